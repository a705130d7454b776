/* Per-connection timers: an indexed array of sim_timers embedded in the
 * socket, re-armed by moving the deadline. */
#include "tcp_priv.h"

static void on_rto(struct tcp_sock *s, sim_time now);
static void on_persist(struct tcp_sock *s, sim_time now);
static void on_delack(struct tcp_sock *s, sim_time now);
static void on_timewait(struct tcp_sock *s, sim_time now);
static void on_keepalive(struct tcp_sock *s, sim_time now);

static void rto_fired(void *ctx, sim_time now)
{
    on_rto(ctx, now);
}
static void persist_fired(void *ctx, sim_time now)
{
    on_persist(ctx, now);
}
static void delack_fired(void *ctx, sim_time now)
{
    on_delack(ctx, now);
}
static void timewait_fired(void *ctx, sim_time now)
{
    on_timewait(ctx, now);
}
static void keepalive_fired(void *ctx, sim_time now)
{
    on_keepalive(ctx, now);
}

void tcp_timers_init(struct tcp_sock *s)
{
    static const sim_timer_fn fired[TCP_T_XFER_COUNT] = {
        [TCP_T_RTO] = rto_fired,
        [TCP_T_PERSIST] = persist_fired,
        [TCP_T_DELACK] = delack_fired,
        [TCP_T_KEEPALIVE] = keepalive_fired,
    };
    for (int i = 0; i < TCP_T_XFER_COUNT; i++)
        sim_timer_init(&s->x->timers[i].t, fired[i], s);
    sim_timer_init(&s->timewait.t, timewait_fired, s);
}

void tcp_timers_stop_all(struct tcp_sock *s)
{
    for (int i = 0; i <= TCP_T_TIMEWAIT; i++)
        tcp_timer_stop(s, (enum tcp_timer_id)i);
}

static sim_time backed_off_rto(const struct tcp_sock *s)
{
    sim_time rto = s->rto;
    for (uint32_t i = 0; i < s->x->backoff && rto < s->th->cfg->max_rto; i++)
        rto *= 2;
    return rto < s->th->cfg->max_rto ? rto : s->th->cfg->max_rto;
}

/* RFC 6298 §5.1/5.3: (re)start the timer for the current RTO. */
void tcp_rto_restart(struct tcp_sock *s, sim_time now)
{
    tcp_timer_arm(s, TCP_T_RTO, now + backed_off_rto(s));
}

static uint32_t retry_limit(const struct tcp_sock *s)
{
    const struct tcp_config *c = s->th->cfg;
    if (s->state == TCP_SYN_SENT)
        return c->syn_retries;
    if (s->state == TCP_SYN_RCVD)
        return c->synack_retries;
    return c->retries2;
}

/* RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment, back
 * off the timer, collapse cwnd (RFC 5681 §3.1 eq. 4). */
static void on_rto(struct tcp_sock *s, sim_time now)
{
    if (s->x->retries >= retry_limit(s)) {
        s->timeouts++;
        tcp_finish(s, TCP_OUTCOME_TIMEOUT, "timeout", now);
        return;
    }
    s->x->retries++;
    s->x->backoff++;
    s->timeouts++;
    tcp_trace_timer(s, "rto", s->x->backoff, now);
    s->x->rtt_active = false; /* Karn's rule */
    if (s->state >= TCP_ESTABLISHED) {
        tcp_cc_on_rto(s, now);
        s->snd_nxt = s->snd_una; /* go back: resend from the first hole, like Linux */
        s->x->retx_cause = "rto";
    }
    tcp_retransmit_first(s, "rto", now);
    tcp_rto_restart(s, now);
}

/* RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe a zero window with one byte. */
static void on_persist(struct tcp_sock *s, sim_time now)
{
    if (s->snd_wnd && s->snd_nxt == s->snd_una) {
        tcp_trace_timer(s, "persist", s->x->backoff, now);
        tcp_output_override(s, now); /* a window too small for SWS avoidance */
        return;
    }
    s->x->backoff++;
    tcp_trace_timer(s, "persist", s->x->backoff, now);
    uint32_t unsent = s->x->snd.len - (s->snd_nxt - s->snd_una);
    if (s->snd_wnd == 0 && unsent > 0 && s->snd_nxt == s->snd_una) {
        tcp_emit(s, s->snd_nxt, TCP_ACK, 1, now);
        tcp_trace_retx(s, s->snd_nxt, 1, "probe", now);
        s->retransmits--; /* a probe is not a retransmission */
        if (SEQ_GT(s->snd_nxt + 1, s->snd_max))
            s->snd_max = s->snd_nxt + 1;
    } else if (s->snd_wnd == 0) {
        tcp_emit(s, s->snd_una - 1, TCP_ACK, 0, now);
    }
    if (s->snd_wnd == 0)
        tcp_timer_arm(s, TCP_T_PERSIST, now + backed_off_rto(s));
}

static void on_delack(struct tcp_sock *s, sim_time now)
{
    tcp_trace_timer(s, "delack", 0, now);
    tcp_send_ack(s, now);
    tcp_release_xfer(s); /* when it was all TIME_WAIT still waited for */
}

static void on_timewait(struct tcp_sock *s, sim_time now)
{
    tcp_trace_timer(s, "time_wait", 0, now);
    tcp_finish(s, TCP_OUTCOME_ESTABLISHED, "2msl", now);
}

/* RFC 9293 §3.10.7.4: TIME_WAIT lasts 2*MSL, restarted by a retransmitted
 * FIN.  What TIME_WAIT needs is in the socket itself: the transfer state
 * goes now unless bytes are still to be read (the callers read nothing more
 * of it but through tcp_rcv_len). */
void tcp_enter_time_wait(struct tcp_sock *s, const char *cause, sim_time now)
{
    tcp_set_state(s, TCP_TIME_WAIT, cause, now);
    tcp_timer_stop(s, TCP_T_RTO);
    tcp_timer_stop(s, TCP_T_PERSIST);
    tcp_timer_stop(s, TCP_T_KEEPALIVE); /* nothing to probe: the peer closed too */
    tcp_timer_arm(s, TCP_T_TIMEWAIT, now + 2 * s->th->cfg->msl);
    tcp_release_xfer(s);
}

void tcp_keepalive_reset(struct tcp_sock *s, sim_time now)
{
    sim_time idle = s->th->cfg->keepalive;
    if (idle == 0 || (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT))
        return;
    s->x->keepalive_probes = 0;
    tcp_timer_arm(s, TCP_T_KEEPALIVE, now + idle);
}

/* RFC 1122 §4.2.3.6: after `keepalive` of silence, probe with SEG.SEQ =
 * SND.NXT-1 and no data (Linux style); after TCP_KEEPALIVE_PROBES unanswered
 * probes, one `keepalive` apart, the connection times out. */
static void on_keepalive(struct tcp_sock *s, sim_time now)
{
    if (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT) {
        tcp_release_xfer(s); /* when it was all TIME_WAIT still waited for */
        return;
    }
    if (s->x->keepalive_probes >= TCP_KEEPALIVE_PROBES) {
        tcp_finish(s, TCP_OUTCOME_TIMEOUT, "timeout", now);
        return;
    }
    s->x->keepalive_probes++;
    tcp_trace_timer(s, "keepalive", s->x->keepalive_probes, now);
    tcp_emit(s, s->snd_una - 1, TCP_ACK, 0, now);
    tcp_timer_arm(s, TCP_T_KEEPALIVE, now + s->th->cfg->keepalive);
}
