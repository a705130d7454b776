/* SEGMENT ARRIVES (RFC 9293 §3.10.7): demux, then one function per state group. */
#include "tcp_priv.h"

#include <stdio.h>

/* RFC 7323 §2-§3: options take effect only when both sides offered them. */
static void negotiate_options(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    const struct tcp_config *c = s->th->cfg;
    if (seg->mss)
        s->x->peer_mss = seg->mss;
    uint32_t mss =
        s->x->peer_mss < s->mss ? s->x->peer_mss : s->mss; /* s->mss: ours, path-clamped */
    s->mss = (uint16_t)(mss < 64 ? 64 : mss);
    s->x->ws_ok = c->window_scale && seg->wscale >= 0;
    s->x->snd_wscale = s->x->ws_ok ? (uint8_t)seg->wscale : 0;
    if (!s->x->ws_ok)
        s->rcv_wscale = 0;
    s->ts_ok = c->timestamps && seg->has_ts;
    s->sack_ok = c->sack && seg->sack_ok;
    if (s->ts_ok) {
        s->ts_recent = seg->tsval;
        s->ts_recent_age = now;
        /* RFC 6691 §2: the MSS counts data only, so options every segment
         * carries come off it (Linux's mss_cache: 1460 - 12 = 1448). */
        if (s->mss > 64 + TCP_TS_OPTLEN)
            s->mss = (uint16_t)(s->mss - TCP_TS_OPTLEN);
    }
    s->cwnd = c->initial_window * s->mss;
}

/* iss 0 = a fresh RFC 6528 ISN (Linux likewise never uses 0 as a chosen ISS). */
static void init_send_space(struct tcp_sock *s, uint32_t iss, sim_time now)
{
    s->iss = iss ? iss : tcp_isn(s->th, s->lip, s->lport, s->rip, s->rport, now);
    s->snd_una = s->iss;
    s->snd_nxt = s->iss + 1;
    s->snd_max = s->iss + 1;
    s->x->recover = s->iss - 1;
    s->ts_offset = s->th->ts_secret ^ s->iss;
}

/* §3.10.7.2 LISTEN: RST ignored, ACK answered with RST, SYN makes a child
 * whose ISS is `iss` (0: a fresh one). */
static void listen_input(struct tcp_sock *l, const struct tcp_seg *seg, uint32_t iss, sim_time now)
{
    struct tcp_host *th = l->th;
    if (seg->flags & TCP_RST)
        return;
    if (seg->flags & TCP_ACK) {
        tcp_emit_reset(th, seg);
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;
    /* RFC 5961 §1 / RFC 4987: a bounded number of embryonic children, so a
     * SYN flood cannot take all memory; the excess is dropped silently (the
     * peer's SYN retransmission tries again once a child leaves). */
    if (l->x->n_children >= l->x->backlog) {
        th->c.drop_backlog_full++;
        tcp_trace_drop(th, seg, "backlog_full", now);
        return;
    }
    char name[TCP_NAME_LEN];
    snprintf(name, sizeof(name), "%s#%u", l->name, ++l->x->child_seq);
    struct tcp_sock *s = tcp_sock_new(th, name, tcp_app_name(l));
    if (!s)
        return;
    l->x->n_children++;
    s->x->listener = l;
    s->passive = true;
    s->lip = seg->dst;
    s->lport = seg->dport;
    s->rip = seg->src;
    s->rport = seg->sport;
    tcp_hash_insert(s);
    s->state = TCP_LISTEN; /* the child's trace starts at LISTEN -> SYN_RCVD */
    s->irs = seg->seq;
    s->rcv_nxt = seg->seq + 1;
    negotiate_options(s, seg, now);
    init_send_space(s, iss, now);
    s->snd_wnd = seg->wnd; /* §2.2 of RFC 7323: the SYN's window is never scaled */
    s->max_snd_wnd = s->snd_wnd;
    s->x->snd_wl1 = seg->seq;
    tcp_set_state(s, TCP_SYN_RCVD, "rx SYN", now);
    tcp_emit(s, s->iss, TCP_SYN | TCP_ACK, 0, now);
    tcp_rto_restart(s, now);
}

/* RFC 5681 §3.1 (and RFC 6928 §2): when the SYN or SYN,ACK was lost, the
 * window after the handshake is one segment.  RFC 6298 §5.7: with no RTT
 * sample yet after a handshake timeout, data starts with RTO = 3 s (Linux's
 * TCP_TIMEOUT_FALLBACK). */
static void after_lossy_handshake(struct tcp_sock *s)
{
    if (s->x->retries == 0)
        return;
    s->cwnd = s->mss;
    if (s->srtt == 0)
        s->rto = s->th->cfg->min_rto > 3 * SIM_SEC ? s->th->cfg->min_rto : 3 * SIM_SEC;
}

static void become_established(struct tcp_sock *s, const char *cause, sim_time now)
{
    after_lossy_handshake(s);
    s->x->backoff = 0;
    s->x->retries = 0;
    tcp_set_state(s, TCP_ESTABLISHED, cause, now);
}

static void established_now(struct tcp_sock *s, const char *cause, sim_time now)
{
    become_established(s, cause, now);
    tcp_on_established(s, now);
}

/* §3.10.7.3 SYN-SENT. */
static void syn_sent_input(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    bool has_ack = seg->flags & TCP_ACK;
    /* first: an ACK outside (ISS, SND.NXT] is answered with RST (unless RST). */
    if (has_ack && (SEQ_LEQ(seg->ack, s->iss) || SEQ_GT(seg->ack, s->snd_max))) {
        tcp_emit_reset(s->th, seg);
        return;
    }
    /* second: RST with an acceptable ACK refuses the connection. */
    if (seg->flags & TCP_RST) {
        if (has_ack)
            tcp_finish(s, TCP_OUTCOME_REFUSED, "rx RST", now);
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;
    s->irs = seg->seq;
    s->rcv_nxt = seg->seq + 1;
    negotiate_options(s, seg, now);
    s->x->snd_wl1 = seg->seq;
    s->snd_wnd = seg->wnd; /* RFC 7323 §2.2: never scaled on a SYN */
    s->max_snd_wnd = s->snd_wnd;
    if (!has_ack) { /* fourth: simultaneous open -> SYN-RECEIVED, resend as SYN,ACK */
        tcp_set_state(s, TCP_SYN_RCVD, "rx SYN", now);
        tcp_emit(s, s->iss, TCP_SYN | TCP_ACK, 0, now);
        return;
    }
    if (s->x->retries == 0 && !s->ts_ok)
        tcp_rtt_sample(s, now - s->x->rtt_start, now);
    else if (s->ts_ok && seg->has_ts && seg->tsecr)
        tcp_rtt_sample(s, (sim_time)((uint32_t)(now / SIM_MS) + s->ts_offset - seg->tsecr) * SIM_MS,
                       now);
    s->snd_una = seg->ack;
    s->x->snd_wl2 = seg->ack;
    tcp_timer_stop(s, TCP_T_RTO);
    /* The ACK of the SYN,ACK goes out before the application hears of the
     * connection, as in Linux: the handshake's third segment is a pure ACK
     * and the first data follows it. */
    become_established(s, "rx SYN,ACK", now);
    tcp_send_ack(s, now);
    tcp_on_established(s, now);
    if (s->state == TCP_ESTABLISHED)
        tcp_output(s, now);
}

/* §3.10.7.4 first check: the four cases of the acceptability test, against
 * RCV.WND as advertised (like Linux; bytes beyond the offered edge, such as a
 * zero-window probe's, are not taken even when the buffer has room). */
static bool acceptable(const struct tcp_sock *s, const struct tcp_seg *seg)
{
    uint32_t seglen = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
    uint32_t wnd = tcp_rcv_offered(s);
    uint32_t end = s->rcv_nxt + wnd;
    if (seglen == 0 && wnd == 0)
        return seg->seq == s->rcv_nxt;
    if (seglen == 0)
        return SEQ_LEQ(s->rcv_nxt, seg->seq) && SEQ_LT(seg->seq, end);
    if (wnd == 0)
        return false;
    uint32_t last = seg->seq + seglen - 1;
    return (SEQ_LEQ(s->rcv_nxt, seg->seq) && SEQ_LT(seg->seq, end)) ||
           (SEQ_LEQ(s->rcv_nxt, last) && SEQ_LT(last, end));
}

/* RFC 5961 §7 leaves the rate limit of such answers to the implementation.
 * Like Linux's tcp_oow_rate_limited, at most one duplicate ACK per socket per
 * TCP_INVALID_RATELIMIT answers an out-of-window pure ACK or SYN, a bad ACK
 * or a RST that needs a challenge: two hosts that disagree about the
 * sequence space (after a forged segment) would otherwise answer each other's
 * answers forever.  Segments carrying data or a FIN are never limited: they
 * may be retransmissions whose ACK the sender's recovery needs. */
static bool oow_rate_limited(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if ((seg->len || (seg->flags & TCP_FIN)) && !(seg->flags & TCP_SYN))
        return false; /* Linux: seq != end_seq, so a FIN counts like data */
    if (s->oow_acked && now - s->oow_ack_at < TCP_INVALID_RATELIMIT) {
        s->th->c.oow_ack_limited++;
        return true;
    }
    s->oow_acked = true;
    s->oow_ack_at = now;
    return false;
}

/* A duplicate ACK answering an invalid segment, rate limited per socket. */
static void oow_ack(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if (!oow_rate_limited(s, seg, now))
        tcp_send_ack(s, now);
}

/* RFC 5961 §7: challenge ACKs are limited per socket (above), then per host
 * like Linux's tcp_challenge_ack_limit (1000 per second).  Linux draws the
 * host limit at random around that value to hide it from off-path
 * attackers; here it is exact so runs stay deterministic. */
static void challenge_ack(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    struct tcp_host *th = s->th;
    if (oow_rate_limited(s, seg, now))
        return;
    if (now - th->challenge_window >= SIM_SEC) {
        th->challenge_window = now;
        th->challenge_count = 0;
    }
    if (th->challenge_count >= TCP_CHALLENGE_ACK_LIMIT) {
        th->c.challenge_ack_limited++;
        return;
    }
    th->challenge_count++;
    th->c.challenge_acks++;
    tcp_send_ack(s, now);
}

/* RFC 7323 §5.3 PAWS, with the 24-day idle rule (§5.5). */
static bool paws_reject(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if (!s->ts_ok || !seg->has_ts || (seg->flags & TCP_RST))
        return false;
    if (now - s->ts_recent_age > 24 * 24 * 3600 * SIM_SEC)
        return false;
    return tcp_seq_diff(seg->tsval, s->ts_recent) < 0;
}

/* Reset of a synchronized connection (§3.10.7.4 second check). */
static void reset_input(struct tcp_sock *s, sim_time now)
{
    if (s->state == TCP_TIME_WAIT) {
        /* RFC 9293 §3.10.7.4 (and Linux with tcp_rfc1337 = 0): a RST ends
         * TIME-WAIT early; the connection had already closed cleanly. */
        tcp_finish(s, TCP_OUTCOME_ESTABLISHED, "rx RST", now);
        return;
    }
    if (s->state == TCP_SYN_RCVD && s->passive) {
        /* Passive open: the listener stays; like Linux, the embryonic child is
         * discarded (traced SYN_RCVD -> CLOSED, never reported to the app). */
        tcp_finish(s, TCP_OUTCOME_RESET, "rx RST", now);
        return;
    }
    if (s->state == TCP_SYN_RCVD) {
        tcp_finish(s, TCP_OUTCOME_REFUSED, "rx RST", now);
        return;
    }
    tcp_finish(s, TCP_OUTCOME_RESET, "rx RST", now);
}

static void remove_ooo(struct tcp_sock *s, uint32_t i)
{
    for (; i + 1 < s->x->n_ooo; i++)
        s->x->ooo[i] = s->x->ooo[i + 1];
    s->x->n_ooo--;
}

/* Moves range i to the front: the first SACK block reports the most recent
 * arrival (RFC 2018 §4). */
static void ooo_to_front(struct tcp_sock *s, uint32_t i)
{
    struct tcp_range r = s->x->ooo[i];
    for (; i > 0; i--)
        s->x->ooo[i] = s->x->ooo[i - 1];
    s->x->ooo[0] = r;
}

static void merge_ooo(struct tcp_sock *s)
{
    bool moved = true;
    while (moved) {
        moved = false;
        for (uint32_t i = 0; i < s->x->n_ooo; i++) {
            struct tcp_range r = s->x->ooo[i];
            if (SEQ_GT(r.start, s->rcv_nxt))
                continue;
            if (SEQ_GT(r.end, s->rcv_nxt)) {
                uint32_t n = r.end - s->rcv_nxt;
                s->x->rcv.len += n;
                s->rcv_nxt = r.end;
                s->bytes_received += n;
            }
            remove_ooo(s, i);
            moved = true;
            break;
        }
    }
}

/* After range i grew, fold in any other range it now touches; returns
 * where range i ended up. */
static uint32_t absorb_overlaps(struct tcp_sock *s, uint32_t i)
{
    for (uint32_t j = 0; j < s->x->n_ooo; j++) {
        struct tcp_range *r = &s->x->ooo[i], *o = &s->x->ooo[j];
        if (j == i || SEQ_GT(o->start, r->end) || SEQ_LT(o->end, r->start))
            continue;
        if (SEQ_LT(o->start, r->start))
            r->start = o->start;
        if (SEQ_GT(o->end, r->end))
            r->end = o->end;
        remove_ooo(s, j);
        if (j < i)
            i--;
        j = (uint32_t)-1; /* rescan */
    }
    return i;
}

static void add_ooo(struct tcp_sock *s, uint32_t start, uint32_t end)
{
    for (uint32_t i = 0; i < s->x->n_ooo; i++) {
        struct tcp_range *r = &s->x->ooo[i];
        if (SEQ_LEQ(start, r->end) && SEQ_GEQ(end, r->start)) {
            if (SEQ_LT(start, r->start))
                r->start = start;
            if (SEQ_GT(end, r->end))
                r->end = end;
            ooo_to_front(s, absorb_overlaps(s, i));
            return;
        }
    }
    if (s->x->n_ooo == TCP_OOO_MAX)
        s->x->n_ooo--; /* forget the oldest range: its bytes come again */
    s->x->ooo[s->x->n_ooo++] = (struct tcp_range){start, end};
    ooo_to_front(s, s->x->n_ooo - 1);
}

/* §3.10.7.4 seventh check: trim to the window, keep out-of-order data in
 * the ring past the readable bytes, deliver in order exactly once.  Returns
 * true when the data ended at RCV.NXT (so a FIN can be taken). */
static bool data_input(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    uint32_t seq = seg->seq, len = seg->len;
    const uint8_t *d = seg->data;
    if (SEQ_LT(seq, s->rcv_nxt)) {
        uint32_t skip = s->rcv_nxt - seq;
        skip = skip < len ? skip : len;
        seq += skip;
        d += skip;
        len -= skip;
    }
    uint32_t room = tcp_cap(s) - s->x->rcv.len;
    uint32_t off = seq - s->rcv_nxt;
    if (off >= room)
        len = 0;
    else if (len > room - off)
        len = room - off;
    if (len == 0) {
        if (seg->len)
            tcp_send_ack(s, now); /* duplicate: tell the sender where we are */
        return seg->seq + seg->len == s->rcv_nxt;
    }
    struct tcp_ring_source src;
    if (!tcp_ring_write_at(&s->x->rcv, s->x->rcv.len + off, d, len, &s->th->pages,
                           tcp_rcv_source(s, &src)))
        return false;
    if (off) {
        add_ooo(s, seq, seq + len);
        tcp_send_ack(s, now); /* RFC 5681 §4.2: out-of-order -> immediate ACK */
        return false;
    }
    bool had_hole = s->x->n_ooo > 0;
    s->x->rcv.len += len;
    s->rcv_nxt += len;
    s->bytes_received += len;
    merge_ooo(s);
    if (had_hole || (seg->flags & TCP_FIN))
        tcp_send_ack(s, now); /* a segment that fills a hole is ACKed at once */
    else
        tcp_ack_soon(s, len >= s->mss, now);
    return seq + len == seg->seq + seg->len;
}

/* §3.10.7.4 eighth check: FIN. */
static void fin_input(struct tcp_sock *s, sim_time now)
{
    s->rcv_nxt++;
    s->fin_rcvd = true;
    tcp_send_ack(s, now);
    switch (s->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        tcp_set_state(s, TCP_CLOSE_WAIT, "rx FIN", now);
        break;
    case TCP_FIN_WAIT_1:
        tcp_set_state(s, TCP_CLOSING, "rx FIN", now);
        break;
    case TCP_FIN_WAIT_2:
        tcp_enter_time_wait(s, "rx FIN", now);
        break;
    default:
        break;
    }
}

static bool fin_acked(const struct tcp_sock *s)
{
    return s->app_closed && s->x->snd.len == 0 &&
           s->snd_una == s->iss + 2 + (uint32_t)s->bytes_acked;
}

/* §3.10.7.4 fifth check, the state-specific part after ACK processing.
 * Returns false when the socket is gone. */
static bool ack_states(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if (s->state == TCP_SYN_RCVD) {
        if (SEQ_LEQ(seg->ack, s->snd_una) || SEQ_GT(seg->ack, s->snd_max)) {
            tcp_emit_reset(s->th, seg); /* unacceptable ACK in SYN-RECEIVED */
            return false;
        }
        s->snd_una = s->iss + 1;
        s->snd_wnd = (uint32_t)seg->wnd << s->x->snd_wscale;
        if (s->snd_wnd > s->max_snd_wnd)
            s->max_snd_wnd = s->snd_wnd;
        s->x->snd_wl1 = seg->seq;
        s->x->snd_wl2 = seg->ack;
        tcp_timer_stop(s, TCP_T_RTO);
        if (!s->ts_ok)
            s->x->rtt_active = false;
        established_now(s, "rx ACK", now);
        if (s->state == TCP_CLOSED)
            return false;
    }
    tcp_process_ack(s, seg, now);
    if (s->state == TCP_FIN_WAIT_1 && fin_acked(s))
        tcp_set_state(s, TCP_FIN_WAIT_2, "rx ACK", now);
    else if (s->state == TCP_CLOSING && fin_acked(s))
        tcp_enter_time_wait(s, "rx ACK", now);
    else if (s->state == TCP_LAST_ACK && fin_acked(s)) {
        tcp_finish(s, TCP_OUTCOME_ESTABLISHED, "rx ACK", now);
        return false;
    }
    return true;
}

static bool can_receive_data(enum tcp_state st)
{
    return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2;
}

/* RFC 5961 §5.2: an ACK is acceptable only in
 * [SND.UNA - MAX.SND.WND, SND.NXT] (SND.NXT here is the highest sequence
 * sent, snd_max, since snd_nxt goes back after a timeout). */
static bool ack_acceptable(const struct tcp_sock *s, uint32_t ack)
{
    return SEQ_LEQ(ack, s->snd_max) && SEQ_GEQ(ack, s->snd_una - s->max_snd_wnd);
}

/* A SYN reaching a TIME-WAIT connection may open a new incarnation of it.
 * RFC 9293 leaves this to RFC 1122 §4.2.2.13 and RFC 6191; like Linux
 * (tcp_timewait_state_process) a SYN is taken when its sequence number is
 * above RCV.NXT or, with timestamps, its TSval is newer than TS.Recent, and
 * a listener owns the port.  The new connection's ISS is SND.NXT + 65537
 * (Linux's tw_snd_nxt + 65535 + 2) so old duplicates cannot be mistaken. */
/* The reopened connection's ISS, SND.NXT + 65537.  0 would tell listen_input
 * to draw one, so the one SND.NXT whose sum wraps to 0 gets 1 instead. */
static uint32_t reopen_iss(uint32_t snd_nxt)
{
    const uint32_t step = 65535 + 2;
    return snd_nxt == UINT32_MAX - step + 1 ? 1 : snd_nxt + step;
}

static bool time_wait_reopen(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if ((seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN || paws_reject(s, seg, now))
        return false;
    bool newer = SEQ_GT(seg->seq, s->rcv_nxt) ||
                 (s->ts_ok && seg->has_ts && tcp_seq_diff(seg->tsval, s->ts_recent) > 0);
    struct tcp_sock *l = tcp_lookup_listener(s->th, s->lport);
    if (!newer || !l)
        return false;
    uint32_t iss = reopen_iss(s->snd_nxt);
    tcp_finish(s, TCP_OUTCOME_ESTABLISHED, "rx SYN", now);
    listen_input(l, seg, iss, now);
    return true;
}

/* RFC 9293 §3.10.7.4 TIME-WAIT: "The only thing that can arrive in this state
 * is a retransmission of the remote FIN.  Acknowledge it, and restart the 2
 * MSL timeout."  That FIN sits just below RCV.NXT, so the acceptability test
 * would only ACK it without restarting the timer. */
static bool time_wait_fin_again(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if ((seg->flags & (TCP_FIN | TCP_ACK | TCP_SYN | TCP_RST)) != (TCP_FIN | TCP_ACK) ||
        seg->seq + seg->len + 1 != s->rcv_nxt || paws_reject(s, seg, now))
        return false;
    tcp_send_ack(s, now);
    tcp_enter_time_wait(s, "rx FIN", now);
    return true;
}

/* Like Linux (tcp_sequence accepts a segment whose end is not before
 * rcv_wup, then tcp_replace_ts_recent): a resent segment that reaches
 * Last.ACK.sent refreshes TS.Recent, so the duplicate ACK it gets echoes
 * when it was resent.  Typically the RTO retransmission of a segment whose
 * ACK was lost: echoing the original's timestamp (RFC 7323 §4.3 to the
 * letter) would give the sender an RTT sample as long as its RTO. */
static void resent_ts_recent(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    uint32_t seglen = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
    if (!s->ts_ok || !seg->has_ts || !seglen || (seg->flags & (TCP_SYN | TCP_RST)))
        return;
    if (SEQ_GT(seg->seq, s->rcv_wup) || SEQ_LT(seg->seq + seglen, s->rcv_wup))
        return;
    if (tcp_seq_diff(seg->tsval, s->ts_recent) < 0)
        return;
    s->ts_recent = seg->tsval;
    s->ts_recent_age = now;
}

/* §3.10.7.4 first check, with PAWS (RFC 7323 §5.3) before it.  Returns false
 * when the segment was dropped (and answered as the RFCs say). */
static bool sequence_ok(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if (paws_reject(s, seg, now)) { /* RFC 7323 §5.3 R1: drop, ACK */
        s->th->c.drop_paws++;
        tcp_trace_drop(s->th, seg, "paws", now);
        oow_ack(s, seg, now);
        return false;
    }
    if (acceptable(s, seg))
        return true;
    s->th->c.drop_out_of_window++;
    tcp_trace_drop(s->th, seg, "out_of_window", now);
    resent_ts_recent(s, seg, now);
    if (seg->flags & TCP_RST)
        return false; /* an unacceptable RST is dropped silently */
    if (seg->flags & TCP_SYN)
        challenge_ack(s, seg, now); /* RFC 5961 §4.2: any SYN, whatever its SEQ (Linux too) */
    else
        oow_ack(s, seg, now);
    return false;
}

/* §3.10.7.4: SYN-RECEIVED through TIME-WAIT. */
static void synchronized_input(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now)
{
    if (s->state == TCP_SYN_RCVD && (seg->flags & TCP_SYN) && !(seg->flags & TCP_ACK) &&
        seg->seq == s->irs) {
        /* A retransmitted SYN: our SYN,ACK was lost; answer it again (Linux). */
        tcp_emit(s, s->iss, TCP_SYN | TCP_ACK, 0, now);
        return;
    }
    if (s->state == TCP_TIME_WAIT &&
        (time_wait_reopen(s, seg, now) || time_wait_fin_again(s, seg, now)))
        return;
    if (!sequence_ok(s, seg, now))
        return;
    if (seg->flags & TCP_RST) { /* second check, RFC 5961 §3.2 */
        if (seg->seq == s->rcv_nxt)
            reset_input(s, now);
        else
            challenge_ack(s, seg, now);
        return;
    }
    if (seg->flags & TCP_SYN) { /* fourth check, RFC 5961 §4.2: challenge ACK, never a reset */
        challenge_ack(s, seg, now);
        return;
    }
    if (!(seg->flags & TCP_ACK)) /* fifth check: no ACK -> drop */
        return;
    if (s->state != TCP_SYN_RCVD && !ack_acceptable(s, seg->ack)) {
        s->th->c.drop_bad_ack++;
        tcp_trace_drop(s->th, seg, "bad_ack", now);
        challenge_ack(s, seg, now); /* RFC 5961 §5.2 */
        return;
    }
    if (s->ts_ok && seg->has_ts && SEQ_LEQ(seg->seq, s->rcv_nxt)) { /* RFC 7323 §4.3 */
        s->ts_recent = seg->tsval;
        s->ts_recent_age = now;
    }
    if (s->state == TCP_TIME_WAIT)
        return; /* nothing else is expected here (the FIN case is above) */
    if (!ack_states(s, seg, now))
        return;
    bool in_order = true;
    if (seg->len && can_receive_data(s->state))
        in_order = data_input(s, seg, now);
    if ((seg->flags & TCP_FIN) && in_order && !s->fin_rcvd && seg->seq + seg->len == s->rcv_nxt)
        fin_input(s, now);
    if (s->state == TCP_CLOSING && fin_acked(s))
        tcp_enter_time_wait(s, "rx ACK", now);
    tcp_output(s, now);
    if (tcp_rcv_len(s) || s->fin_rcvd) /* (TIME_WAIT may have just released s->x) */
        tcp_notify_readable(s, now);
}

static void input_seg(struct tcp_host *th, const struct tcp_seg *seg, sim_time now)
{
    th->c.segs_in++;
    struct tcp_sock *s = tcp_lookup(th, seg->dst, seg->dport, seg->src, seg->sport);
    if (!s) {
        struct tcp_sock *l = tcp_lookup_listener(th, seg->dport);
        if (l) {
            listen_input(l, seg, 0, now);
            return;
        }
        /* §3.10.7.1 CLOSED: everything but a RST is answered with a RST. */
        th->c.drop_no_listener++;
        tcp_trace_drop(th, seg, "no_listener", now);
        tcp_emit_reset(th, seg);
        return;
    }
    s->segs_in++;
    if (s->th->cfg->keepalive)
        tcp_keepalive_reset(s, now);
    if (s->state == TCP_SYN_SENT)
        syn_sent_input(s, seg, now);
    else
        synchronized_input(s, seg, now);
}

void tcp_input_seg(struct tcp_host *th, const struct tcp_seg *seg, sim_time now)
{
    tcp_input_begin(th);
    input_seg(th, seg, now);
    tcp_input_end(th);
}
