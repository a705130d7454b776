/* State changes and the trace events of a connection. */
#include "tcp_priv.h"

static const char *const state_names[TCP_STATE_COUNT] = {
    [TCP_CLOSED] = "CLOSED",           [TCP_LISTEN] = "LISTEN",
    [TCP_SYN_SENT] = "SYN_SENT",       [TCP_SYN_RCVD] = "SYN_RCVD",
    [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCP_FIN_WAIT_2] = "FIN_WAIT_2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCP_CLOSING] = "CLOSING",         [TCP_LAST_ACK] = "LAST_ACK",
    [TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state s)
{
    return (unsigned)s < TCP_STATE_COUNT ? state_names[s] : "?";
}

const char *tcp_outcome_name(enum tcp_outcome o)
{
    switch (o) {
    case TCP_OUTCOME_PENDING:
        return "pending";
    case TCP_OUTCOME_ESTABLISHED:
        return "established";
    case TCP_OUTCOME_REFUSED:
        return "refused";
    case TCP_OUTCOME_RESET:
        return "reset";
    case TCP_OUTCOME_TIMEOUT:
        return "timeout";
    }
    return "?";
}

void tcp_set_state(struct tcp_sock *s, enum tcp_state to, const char *cause, sim_time now)
{
    if (s->state == to)
        return;
    struct trace_bus *b = tcp_bus(s);
    if (trace_on(b, TRACE_STATE))
        trace_emit(b, &(struct trace_event){.t = now,
                                            .kind = TRACE_STATE,
                                            .host = s->th->h->name,
                                            .conn = s->name,
                                            .from = tcp_state_name(s->state),
                                            .to = tcp_state_name(to),
                                            .cause = cause});
    s->state = to;
}

void tcp_trace_app(struct tcp_sock *s, const char *what, int64_t bytes, int64_t total,
                   const char *detail, sim_time now)
{
    struct trace_bus *b = tcp_bus(s);
    if (trace_on(b, TRACE_APP))
        trace_emit(b, &(struct trace_event){.t = now,
                                            .kind = TRACE_APP,
                                            .host = s->th->h->name,
                                            .conn = s->name,
                                            .app = tcp_app_name(s),
                                            .what = what,
                                            .bytes = bytes,
                                            .total = total,
                                            .detail = detail});
}

void tcp_trace_timer(struct tcp_sock *s, const char *timer, uint32_t backoff, sim_time now)
{
    struct trace_bus *b = tcp_bus(s);
    if (trace_on(b, TRACE_TIMER))
        trace_emit(b, &(struct trace_event){.t = now,
                                            .kind = TRACE_TIMER,
                                            .host = s->th->h->name,
                                            .conn = s->name,
                                            .timer = timer,
                                            .backoff = backoff});
}

void tcp_trace_cc(struct tcp_sock *s, sim_time now)
{
    struct trace_bus *b = tcp_bus(s);
    if (trace_on(b, TRACE_CC))
        trace_emit(b, &(struct trace_event){.t = now,
                                            .kind = TRACE_CC,
                                            .host = s->th->h->name,
                                            .conn = s->name,
                                            .cwnd = s->cwnd,
                                            .ssthresh = s->ssthresh,
                                            .srtt = s->srtt,
                                            .rttvar = s->rttvar,
                                            .rto = s->rto});
}

void tcp_trace_retx(struct tcp_sock *s, uint32_t seq, uint32_t len, const char *cause, sim_time now)
{
    s->retransmits++;
    struct trace_bus *b = tcp_bus(s);
    if (trace_on(b, TRACE_RETX))
        trace_emit(b, &(struct trace_event){.t = now,
                                            .kind = TRACE_RETX,
                                            .host = s->th->h->name,
                                            .conn = s->name,
                                            .seq = seq - s->iss,
                                            .len = len,
                                            .cause = cause});
}

/* A segment dropped by TCP: through the host (with its frame) when bound to
 * IP, else a frameless event. */
void tcp_trace_drop(struct tcp_host *th, const struct tcp_seg *seg, const char *reason,
                    sim_time now)
{
    if (th->bound && seg->frame) {
        host_trace_drop(th->h, seg->frame, seg->iface, reason);
        return;
    }
    struct trace_bus *b = th->h->bus;
    if (trace_on(b, TRACE_DROP))
        trace_emit(b, &(struct trace_event){
                          .t = now, .kind = TRACE_DROP, .host = th->h->name, .reason = reason});
}
