/* ACK processing (RFC 9293 §3.10.7.4 fifth check), RTT estimation
 * (RFC 6298) and congestion control: slow start and congestion avoidance
 * (RFC 5681), fast retransmit and NewReno fast recovery (RFC 6582). */
#include "tcp_priv.h"

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* RFC 6298 §2: integer SRTT/RTTVAR with alpha = 1/8, beta = 1/4; clock
 * granularity G = 1 ms. */
void tcp_rtt_sample(struct tcp_sock *s, sim_time r, sim_time now)
{
    const struct tcp_config *c = s->th->cfg;
    if (r <= 0)
        r = 1;
    if (s->srtt == 0) {
        s->srtt = r;
        s->rttvar = r / 2;
    } else {
        sim_time err = s->srtt > r ? s->srtt - r : r - s->srtt;
        s->rttvar = s->rttvar - s->rttvar / 4 + err / 4;
        s->srtt = s->srtt - s->srtt / 8 + r / 8;
    }
    sim_time var = 4 * s->rttvar > SIM_MS ? 4 * s->rttvar : SIM_MS;
    s->rto = s->srtt + var;
    if (s->rto < c->min_rto)
        s->rto = c->min_rto;
    if (s->rto > c->max_rto)
        s->rto = c->max_rto;
    /* RFC 6298 §5.7: a backed-off RTO is kept until a valid sample (Linux
     * clears icsk_backoff in tcp_ack_update_rtt likewise). */
    s->x->backoff = 0;
    (void)now;
}

static void set_cwnd(struct tcp_sock *s, uint32_t cwnd, uint32_t ssthresh, sim_time now)
{
    if (cwnd == s->cwnd && ssthresh == s->ssthresh)
        return;
    s->cwnd = cwnd;
    s->ssthresh = ssthresh;
    tcp_trace_cc(s, now);
}

/* RFC 5681 §3.1 eq. (4): ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS. */
void tcp_cc_on_rto(struct tcp_sock *s, sim_time now)
{
    uint32_t ssthresh = s->x->cc->ssthresh(s);
    if (s->x->retries > 1)
        ssthresh = s->ssthresh; /* the same segment timing out again: RFC 5681 §3.1
                                   halves once per loss, like Linux's tcp_enter_loss */
    s->x->in_recovery = false;
    s->x->dupacks = 0;
    s->x->recover = s->snd_max; /* RFC 6582 §3.2 step 4 after a timeout */
    tcp_sack_clear(s);          /* resent from scratch like Linux after a timeout */
    s->x->high_rxt = s->snd_una;
    s->x->acked_bytes = 0;
    set_cwnd(s, s->mss, ssthresh, now);
}

static void on_third_dupack(struct tcp_sock *s, sim_time now)
{
    /* RFC 6582 §3.2 step 2: only when the ACK covers more than `recover`. */
    if (!SEQ_GT(s->snd_una - 1, s->x->recover))
        return;
    uint32_t ssthresh = s->x->cc->ssthresh(s);
    s->x->recover = s->snd_max;
    s->x->in_recovery = true;
    s->x->partial_acked = false;
    s->x->retx_cause = "fast";
    tcp_retransmit_first(s, "fast", now);
    if (s->sack_ok) { /* RFC 6675 §5 step 4: cwnd = ssthresh, then NextSeg */
        set_cwnd(s, ssthresh, ssthresh, now);
        tcp_sack_output(s, now);
        return;
    }
    set_cwnd(s, ssthresh + 3 * s->mss, ssthresh, now); /* step 3: inflate */
}

static bool is_duplicate_ack(const struct tcp_sock *s, const struct tcp_seg *seg, uint32_t wnd)
{
    return seg->ack == s->snd_una && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
           wnd == s->snd_wnd && s->snd_max != s->snd_una;
}

static void on_dupack(struct tcp_sock *s, sim_time now)
{
    s->th->c.dupacks_in++;
    s->x->dupacks++;
    /* RFC 6675 §5: with SACK, recovery also starts once more than
     * (DupThresh - 1) * SMSS bytes above SND.UNA are SACKed. */
    bool sack_lost = s->sack_ok && tcp_sack_bytes(s) > 2u * s->mss;
    if ((s->x->dupacks == 3 || sack_lost) && !s->x->in_recovery)
        on_third_dupack(s, now);
    else if (s->x->in_recovery && s->sack_ok)
        tcp_sack_output(s, now);
    else if (s->x->in_recovery && s->x->dupacks > 3)
        set_cwnd(s, s->cwnd + s->mss, s->ssthresh, now); /* step 4 */
}

static void grow_cwnd(struct tcp_sock *s, uint32_t acked, sim_time now)
{
    /* Slow start, RFC 5681 eq. (2): cwnd += min(N, SMSS) per ACK, as §3.1
     * RECOMMENDS and ns-3's NewReno does.  Linux counts every segment an ACK
     * covers (RFC 3465 without its limit L), so behind a receiver that ACKs
     * every second segment it doubles cwnd per RTT where this grows it by
     * half: the RFC's recommendation is kept, not left as a choice. */
    if (s->cwnd < s->ssthresh) {
        set_cwnd(s, s->cwnd + (acked < s->mss ? acked : s->mss), s->ssthresh, now);
        return;
    }
    set_cwnd(s, s->x->cc->cong_avoid(s, acked, now), s->ssthresh, now);
}

static void on_new_ack_cc(struct tcp_sock *s, uint32_t ack, uint32_t acked, sim_time now)
{
    if (!s->x->in_recovery) {
        grow_cwnd(s, acked, now);
        return;
    }
    if (SEQ_GEQ(ack, s->x->recover)) { /* RFC 6582 §3.2 step 5 (full ACK): deflate */
        s->x->in_recovery = false;
        /* option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS) */
        uint32_t f = max_u32(tcp_flight(s), s->mss) + s->mss;
        if (s->sack_ok)
            f = s->ssthresh; /* RFC 6675 §5: recovery ends with cwnd = ssthresh */
        set_cwnd(s, s->ssthresh < f ? s->ssthresh : f, s->ssthresh, now);
        return;
    }
    if (s->sack_ok) { /* RFC 6675 §5 (C): a partial ACK lets NextSeg continue */
        tcp_sack_output(s, now);
        return;
    }
    /* Partial ACK (RFC 6582 §3.2 step 5): resend the first unacknowledged
     * segment, deflate by what was acked, add back one SMSS when at least
     * one SMSS was acked. */
    tcp_retransmit_first(s, "fast", now);
    uint32_t cwnd = s->cwnd > acked ? s->cwnd - acked : 0;
    if (acked >= s->mss)
        cwnd += s->mss;
    set_cwnd(s, max_u32(cwnd, s->mss), s->ssthresh, now);
}

/* RFC 6298 §5.3 restarts the timer on every ACK of new data; during fast
 * recovery RFC 6582 §3.2 step 5 prefers the "Impatient" variant: only the
 * first partial ACK restarts it, so a window with many losses ends in an RTO
 * instead of one hole per RTT. */
static void rearm_rto_after_ack(struct tcp_sock *s, sim_time now)
{
    if (s->snd_una == s->snd_max) {
        tcp_timer_stop(s, TCP_T_RTO);
        return;
    }
    if (s->x->in_recovery && !s->sack_ok) { /* RFC 6675 recovery keeps §5.3, like Linux */
        if (s->x->partial_acked)
            return;
        s->x->partial_acked = true;
    }
    tcp_rto_restart(s, now);
}

static void take_rtt_sample(struct tcp_sock *s, const struct tcp_seg *seg, uint32_t ack,
                            sim_time now)
{
    if (s->ts_ok && seg->has_ts && seg->tsecr) { /* RFC 7323 §4.1 RTTM */
        uint32_t ms = (uint32_t)(now / SIM_MS) + s->ts_offset - seg->tsecr;
        if (ms < 0x7fffffff)
            tcp_rtt_sample(s, (sim_time)ms * SIM_MS, now);
    } else if (s->x->rtt_active && SEQ_GT(ack, s->x->rtt_seq)) {
        s->x->rtt_active = false;
        tcp_rtt_sample(s, now - s->x->rtt_start, now);
    }
}

static void update_window(struct tcp_sock *s, const struct tcp_seg *seg, uint32_t wnd)
{
    /* §3.10.7.4: update only from a segment newer than the last update. */
    if (SEQ_LT(s->x->snd_wl1, seg->seq) ||
        (s->x->snd_wl1 == seg->seq && SEQ_LEQ(s->x->snd_wl2, seg->ack))) {
        s->snd_wnd = wnd;
        s->x->snd_wl1 = seg->seq;
        s->x->snd_wl2 = seg->ack;
        if (wnd > s->max_snd_wnd)
            s->max_snd_wnd = wnd;
        if (wnd && sim_timer_armed(&s->x->timers[TCP_T_PERSIST].t)) {
            tcp_timer_stop(s, TCP_T_PERSIST);
            s->x->backoff = 0; /* the probes were answered (Linux tcp_ack_probe) */
        }
    }
}

static void consume_acked(struct tcp_sock *s, uint32_t acked)
{
    uint32_t data = acked < s->x->snd.len ? acked : s->x->snd.len;
    tcp_ring_consume(&s->x->snd, data, &s->th->pages);
    if (!s->x->snd.len)
        tcp_ring_release(&s->x->snd, &s->th->pages);
    s->bytes_acked += data;
}

/* Returns without effect for old ACKs; ACKs beyond snd_max are answered by
 * the caller (§3.10.7.4). */
void tcp_process_ack(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    uint32_t wnd = (uint32_t)seg->wnd << s->x->snd_wscale;
    if (SEQ_LT(seg->ack, s->snd_una))
        return;
    tcp_sack_update(s, seg);
    if (seg->ack == s->snd_una) {
        bool dup = is_duplicate_ack(s, seg, wnd);
        update_window(s, seg, wnd);
        if (dup)
            on_dupack(s, now);
        else if (seg->len == 0)
            s->x->dupacks = 0;
        return;
    }
    uint32_t acked = seg->ack - s->snd_una;
    take_rtt_sample(s, seg, seg->ack, now);
    consume_acked(s, acked);
    s->snd_una = seg->ack;
    tcp_sack_update(s, &(struct tcp_seg){.n_sack = 0}); /* trim to the new SND.UNA */
    if (SEQ_LT(s->snd_nxt, s->snd_una))
        s->snd_nxt = s->snd_una;
    s->x->retries = 0; /* the backoff waits for an RTT sample (RFC 6298 §5.7) */
    s->x->dupacks = 0;
    update_window(s, seg, wnd);
    on_new_ack_cc(s, seg->ack, acked, now);
    rearm_rto_after_ack(s, now);
    tcp_notify_writable(s, now);
}
