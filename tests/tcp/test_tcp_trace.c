/* What TCP reports on the trace bus: state changes with causes, app events,
 * timers, retransmissions and congestion-control changes. */
#include <stdio.h>

#include "tcp_harness.h"

static struct fixture fx;

struct recorder {
    struct trace_sink sink;
    char lines[64][256];
    int n;
};
static struct recorder rec;

static void record(struct trace_sink *s, const struct trace_event *e)
{
    struct recorder *r = (struct recorder *)s;
    if (r->n >= 64)
        return;
    char *l = r->lines[r->n++];
    switch (e->kind) {
    case TRACE_STATE:
        snprintf(l, sizeof r->lines[0], "state %s %s->%s %s", e->conn, e->from, e->to, e->cause);
        break;
    case TRACE_APP:
        snprintf(l, sizeof r->lines[0], "app %s %s %s %lld", e->app, e->conn, e->what,
                 (long long)e->total);
        break;
    case TRACE_TIMER:
        snprintf(l, sizeof r->lines[0], "timer %s %s %u", e->conn, e->timer, e->backoff);
        break;
    case TRACE_RETX:
        snprintf(l, sizeof r->lines[0], "retx %s %u %u %s", e->conn, e->seq, e->len, e->cause);
        break;
    case TRACE_CC:
        snprintf(l, sizeof r->lines[0], "cc %s %llu", e->conn, (unsigned long long)e->cwnd);
        break;
    case TRACE_DROP:
        snprintf(l, sizeof r->lines[0], "drop %s", e->reason);
        break;
    default:
        r->n--;
        break;
    }
}

static bool saw(const char *line)
{
    for (int i = 0; i < rec.n; i++)
        if (strcmp(rec.lines[i], line) == 0)
            return true;
    return false;
}

static void setup(void)
{
    fx_init(&fx, NULL);
    memset(&rec, 0, sizeof(rec));
    rec.sink = (struct trace_sink){.event = record, .mask = TRACE_MASK_ALL};
    trace_bus_add_sink(&fx.sim.bus, &rec.sink);
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_trace, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN

Test(tcp_trace, listener_and_child_states_are_traced)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = sa.seq + 1});
    cr_expect(saw("state srv CLOSED->LISTEN app listen"));
    cr_expect(saw("state srv#1 LISTEN->SYN_RCVD rx SYN"));
    cr_expect(saw("state srv#1 SYN_RCVD->ESTABLISHED rx ACK"));
    cr_expect(saw("app srv srv#1 accept 0"));
}

Test(tcp_trace, active_open_states_are_traced)
{
    sock_established(&fx);
    cr_expect(saw("state cli CLOSED->SYN_SENT app connect"));
    cr_expect(saw("state cli SYN_SENT->ESTABLISHED rx SYN,ACK"));
    cr_expect(saw("app cli cli connect 0"));
}

Test(tcp_trace, send_and_deliver_totals_are_traced)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, (const uint8_t *)"hello", 5);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 6,
                               .data = (const uint8_t *)"abc",
                               .len = 3});
    uint8_t b[8];
    tcp_recv(s, b, 2);
    tcp_recv(s, b, 2);
    cr_expect(saw("app cli cli send 5"));
    cr_expect(saw("app cli cli deliver 2"));
    cr_expect(saw("app cli cli deliver 3"));
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_trace, rto_timer_and_retx_are_traced)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, (const uint8_t *)"hello", 5);
    fx_run(&fx, 1 * SIM_SEC);
    cr_expect(saw("timer cli rto 1"));
    cr_expect(saw("retx cli 1 5 rto"));
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_trace, syn_timeout_is_traced)
{
    fx.th->cfg->syn_retries = 0;
    sock_syn_sent(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    cr_expect(saw("state cli SYN_SENT->CLOSED timeout"));
}

Test(tcp_trace, time_wait_end_is_traced_as_2msl)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_close(s);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    fx_run(&fx, 5 * SIM_MIN);
    cr_expect(saw("state cli ESTABLISHED->FIN_WAIT_1 app close"));
    cr_expect(saw("state cli FIN_WAIT_2->TIME_WAIT rx FIN"));
    cr_expect(saw("state cli TIME_WAIT->CLOSED 2msl"));
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_trace, no_listener_drop_is_traced)
{
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    cr_expect(saw("drop no_listener"));
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_trace, slow_start_cwnd_changes_are_traced)
{
    static const uint8_t data[8000];
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, data, sizeof(data));
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1 + 1460});
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1 + 2920});
    cr_expect(saw("cc cli 16060"));
    cr_expect(saw("cc cli 17520"));
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_trace, backlog_full_drop_is_traced)
{
    struct tcp_sock *l = sock_listen(&fx);
    l->x->backlog = 1;
    send_seg_from(&fx, 30001, (struct seg){.flags = TCP_SYN, .seq = 1});
    send_seg_from(&fx, 30002, (struct seg){.flags = TCP_SYN, .seq = 2});
    cr_expect(saw("drop backlog_full"));
    drop_output(&fx);
}

Test(tcp_trace, unacceptable_ack_drop_is_traced)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 500});
    cr_expect(saw("drop bad_ack"));
    drop_output(&fx);
}

Test(tcp_trace, rto_cc_event_is_traced)
{
    struct tcp_sock *s = sock_established(&fx);
    static const uint8_t data[3000];
    tcp_send(s, data, sizeof(data));
    drop_output(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    char line[96];
    snprintf(line, sizeof(line), "cc cli %u", s->mss);
    cr_expect(saw(line), "cwnd collapses to one segment on the RTO");
    drop_output(&fx);
}

/* A connection named apart from its application traces both names. */
Test(tcp_trace, connection_and_app_names_are_traced_apart)
{
    cr_assert(tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT, "conn-1", "web",
                               &test_ops, &fx, 0));
    cr_expect(saw("state conn-1 CLOSED->SYN_SENT app connect"));
    drop_output(&fx);
}

/* A scenario id has up to 63 characters: names that long are kept whole. */
Test(tcp_trace, names_as_long_as_a_scenario_id_are_kept)
{
    const char *conn = "a-connection-name-of-sixty-three-characters-which-the-schema-ok";
    const char *app = "an-application-name-of-sixty-three-characters-the-schema-allows";
    cr_assert_eq(strlen(conn), 63);
    cr_assert_eq(strlen(app), 63);
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT, conn,
                                          app, &test_ops, &fx, 0);
    cr_assert(s);
    cr_expect_str_eq(tcp_sock_name(s), conn);
    tcp_abort(s);
    char line[256];
    snprintf(line, sizeof line, "app %s %s abort 0", app, conn);
    cr_expect(saw(line));
    drop_output(&fx);
}

/* Longer names are cut to TCP_NAME_LEN - 1 bytes, the app's too. */
Test(tcp_trace, longer_names_are_cut)
{
    char conn[128], app[128];
    memset(conn, 'c', 100);
    conn[100] = '\0';
    memset(app, 'a', 100);
    app[100] = '\0';
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT, conn,
                                          app, &test_ops, &fx, 0);
    cr_assert(s);
    cr_expect_eq(strlen(tcp_sock_name(s)), TCP_NAME_LEN - 1);
    tcp_abort(s);
    char line[256];
    snprintf(line, sizeof line, "app %.*s %.*s abort 0", TCP_NAME_LEN - 1, app, TCP_NAME_LEN - 1,
             conn);
    cr_expect(saw(line));
    drop_output(&fx);
}

/* Without an app name, the connection's is the app's. */
Test(tcp_trace, app_name_defaults_to_the_connection_name)
{
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT,
                                          "solo", NULL, &test_ops, &fx, 0);
    cr_assert(s);
    tcp_abort(s);
    cr_expect(saw("app solo solo abort 0"));
    drop_output(&fx);
}
