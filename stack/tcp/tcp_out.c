/* Output: what to send now (window, Nagle, sender SWS avoidance), ACKs and
 * retransmissions.  The retransmission queue is the unacknowledged part of
 * the send ring: nothing is allocated per segment. */
#include "tcp_priv.h"

uint32_t tcp_rcv_window(const struct tcp_sock *s)
{
    uint32_t free_space = tcp_cap(s) - tcp_rcv_len(s);
    /* Never advertise a window that is not a multiple of the scale unit. */
    return free_space & ~((1u << s->rcv_wscale) - 1);
}

/* RCV.WND as last advertised: from RCV.NXT to the right edge the peer knows. */
uint32_t tcp_rcv_offered(const struct tcp_sock *s)
{
    return SEQ_GT(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
}

/* Receiver SWS avoidance (RFC 1122 §4.2.3.3): the right edge moves forward
 * only by at least min(rcvbuf/2, MSS); below that every segment keeps
 * offering the edge already advertised (so a window of 0 stays 0). */
uint32_t tcp_rcv_window_to_advertise(const struct tcp_sock *s)
{
    uint32_t free_space = tcp_rcv_window(s);
    uint32_t offered = tcp_rcv_offered(s);
    uint32_t thresh = tcp_cap(s) / 2 < s->mss ? tcp_cap(s) / 2 : s->mss;
    if (free_space > offered && free_space - offered < thresh)
        return offered;
    return free_space;
}

uint32_t tcp_flight(const struct tcp_sock *s)
{
    return s->snd_nxt - s->snd_una;
}

static uint32_t fin_seq(const struct tcp_sock *s)
{
    return s->snd_una + s->x->snd.len;
}

static bool fin_wanted(const struct tcp_sock *s)
{
    return s->app_closed &&
           (s->state == TCP_FIN_WAIT_1 || s->state == TCP_CLOSING || s->state == TCP_LAST_ACK);
}

void tcp_send_ack(struct tcp_sock *s, sim_time now)
{
    tcp_emit(s, s->snd_nxt, TCP_ACK, 0, now);
}

/* RFC 1122 §4.2.3.2, RFC 5681 §4.2: ACK at least every second full segment,
 * otherwise within the delayed-ACK timeout. */
void tcp_ack_soon(struct tcp_sock *s, bool full_seg, sim_time now)
{
    sim_time delay = s->th->cfg->delayed_ack;
    s->x->unacked_segs += full_seg ? 1 : 0;
    if (delay == 0 || s->x->unacked_segs >= 2) {
        tcp_send_ack(s, now);
        return;
    }
    if (delay > TCP_DELACK_MAX)
        delay = TCP_DELACK_MAX; /* RFC 1122 §4.2.3.2: MUST be less than 0.5 s */
    if (!sim_timer_armed(&s->x->timers[TCP_T_DELACK].t))
        tcp_timer_arm(s, TCP_T_DELACK, now + delay);
}

/* Karn's rule (RFC 6298 §3): an RTT timed on a segment that is sent again
 * is ambiguous, so the measurement is abandoned. */
void tcp_note_retransmit(struct tcp_sock *s, uint32_t seq, uint32_t len, const char *cause,
                         sim_time now)
{
    if (s->x->rtt_active && SEQ_GEQ(s->x->rtt_seq, seq) &&
        SEQ_LT(s->x->rtt_seq, seq + (len ? len : 1)))
        s->x->rtt_active = false;
    tcp_trace_retx(s, seq, len, cause, now);
}

static void note_sent(struct tcp_sock *s, uint32_t seq, uint32_t end, sim_time now)
{
    if (SEQ_LT(seq, s->snd_max)) {
        tcp_note_retransmit(s, seq, end - seq, s->x->retx_cause ? s->x->retx_cause : "rto", now);
    } else if (!s->x->rtt_active && !s->ts_ok) {
        s->x->rtt_active = true; /* time one segment per RTT (RFC 6298 §3) */
        s->x->rtt_seq = seq;
        s->x->rtt_start = now;
    }
    if (SEQ_GT(end, s->snd_max))
        s->snd_max = end;
    if (!sim_timer_armed(&s->x->timers[TCP_T_RTO].t))
        tcp_rto_restart(s, now);
}

/* Nagle (RFC 896, Linux-like) and sender SWS avoidance (RFC 1122 §4.2.3.4):
 * is a segment of `len` bytes (out of `unsent`) worth sending now? */
static bool segment_worth_sending(const struct tcp_sock *s, uint32_t len, uint32_t unsent)
{
    if (len >= s->mss)
        return true;
    if (len == unsent) /* all we have */
        return !s->th->cfg->nagle || s->snd_nxt == s->snd_una || s->app_closed;
    return s->max_snd_wnd && len >= s->max_snd_wnd / 2;
}

static bool send_one(struct tcp_sock *s, sim_time now)
{
    uint32_t queued_off = s->snd_nxt - s->snd_una;
    uint32_t unsent = s->x->snd.len > queued_off ? s->x->snd.len - queued_off : 0;
    uint32_t wnd = s->snd_wnd < s->cwnd ? s->snd_wnd : s->cwnd;
    uint32_t flight = s->x->in_recovery && s->sack_ok ? tcp_sack_pipe(s) : tcp_flight(s);
    uint32_t usable = wnd > flight ? wnd - flight : 0;
    uint32_t len = unsent < s->mss ? unsent : s->mss;
    if (len > usable)
        len = usable;
    bool fin = fin_wanted(s) && len == unsent && SEQ_LEQ(s->snd_nxt + len, fin_seq(s)) &&
               s->snd_nxt + len == fin_seq(s);
    if (len == 0 && !fin)
        return false;
    if (len && !segment_worth_sending(s, len, unsent))
        return false;
    uint8_t flags = TCP_ACK | (fin ? TCP_FIN : 0) | (len && len == unsent ? TCP_PSH : 0);
    uint32_t seq = s->snd_nxt;
    tcp_emit(s, seq, flags, len, now);
    s->snd_nxt = seq + len + (fin ? 1 : 0);
    note_sent(s, seq, s->snd_nxt, now);
    return !fin;
}

static bool fin_already_sent(const struct tcp_sock *s)
{
    return s->app_closed && SEQ_GT(s->snd_nxt, fin_seq(s));
}

void tcp_output(struct tcp_sock *s, sim_time now)
{
    if (s->state < TCP_ESTABLISHED || s->state == TCP_TIME_WAIT)
        return;
    while (!fin_already_sent(s) && send_one(s, now)) {
    }
    uint32_t queued_off = s->snd_nxt - s->snd_una;
    bool unsent = s->x->snd.len > queued_off;
    /* Data held back with nothing in flight (a zero window, or one too small
     * to be worth a segment): the persist timer probes or, for a small
     * window, is RFC 1122 §4.2.3.4's override timeout (Linux's probe0). */
    if (unsent && s->snd_nxt == s->snd_una && !sim_timer_armed(&s->x->timers[TCP_T_RTO].t) &&
        !sim_timer_armed(&s->x->timers[TCP_T_PERSIST].t))
        tcp_timer_arm(s, TCP_T_PERSIST, now + s->rto);
}

/* RFC 1122 §4.2.3.4: when sender SWS avoidance has held data back and the
 * override timeout fires, send as much as the window allows. */
void tcp_output_override(struct tcp_sock *s, sim_time now)
{
    uint32_t queued_off = s->snd_nxt - s->snd_una;
    uint32_t unsent = s->x->snd.len > queued_off ? s->x->snd.len - queued_off : 0;
    uint32_t len = unsent < s->snd_wnd ? unsent : s->snd_wnd;
    len = len < s->mss ? len : s->mss;
    if (len == 0 || s->state < TCP_ESTABLISHED || s->state == TCP_TIME_WAIT)
        return;
    uint32_t seq = s->snd_nxt;
    tcp_emit(s, seq, TCP_ACK | (len == unsent ? TCP_PSH : 0), len, now);
    s->snd_nxt = seq + len;
    note_sent(s, seq, s->snd_nxt, now);
}

/* Resends the earliest unacknowledged segment (SYN, SYN-ACK, data or FIN). */
void tcp_retransmit_first(struct tcp_sock *s, const char *cause, sim_time now)
{
    if (s->state == TCP_SYN_SENT || s->state == TCP_SYN_RCVD) {
        uint8_t flags = TCP_SYN | (s->state == TCP_SYN_RCVD ? TCP_ACK : 0);
        tcp_emit(s, s->iss, flags, 0, now);
        tcp_note_retransmit(s, s->iss, 0, "syn", now);
        return;
    }
    uint32_t outstanding = s->snd_max - s->snd_una;
    if (outstanding == 0)
        return;
    uint32_t data = s->x->snd.len < outstanding ? s->x->snd.len : outstanding;
    uint32_t len = data < s->mss ? data : s->mss;
    bool fin = s->app_closed && len == s->x->snd.len && SEQ_GT(s->snd_max, fin_seq(s));
    tcp_emit(s, s->snd_una, TCP_ACK | (fin ? TCP_FIN : 0), len, now);
    tcp_note_retransmit(s, s->snd_una, len, fin && !len ? "fin" : cause, now);
    s->x->high_rxt = s->snd_una + len;
    if (SEQ_LT(s->snd_nxt, s->snd_una + len + fin))
        s->snd_nxt = s->snd_una + len + fin;
}
