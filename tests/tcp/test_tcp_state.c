/* The RFC 9293 state machine: every state against the segments that matter. */
#include "tcp_harness.h"

static struct fixture fx;

static void setup(void)
{
    fx_init(&fx, NULL);
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_state, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN

/* ---- CLOSED ---- */

Test(tcp_state, closed_syn_gets_rst_ack)
{
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    expect_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = RISN + 1});
    cr_expect_eq(fx.th->c.drop_no_listener, 1);
}

Test(tcp_state, closed_ack_gets_rst_at_ack)
{
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN, .ack = 777});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = 777});
}

Test(tcp_state, closed_rst_is_ignored)
{
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN});
    expect_nothing(&fx);
}

/* ---- LISTEN ---- */

Test(tcp_state, listen_syn_gets_syn_ack)
{
    struct tcp_sock *l = sock_listen(&fx);
    cr_assert_eq(l->state, TCP_LISTEN);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1000});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    cr_expect_eq(sa.flags, TCP_SYN | TCP_ACK);
    cr_expect_eq(sa.ack, RISN + 1);
    cr_expect_eq(sa.mss, 1460);
    struct tcp_sock *c = tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
    cr_assert(c);
    cr_expect_str_eq(c->name, "srv#1");
    cr_expect_eq(c->state, TCP_SYN_RCVD);
    cr_expect_eq(c->mss, 1000);
}

Test(tcp_state, listen_ack_gets_rst)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN, .ack = 5555});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = 5555});
}

Test(tcp_state, listen_rst_is_ignored)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN});
    expect_nothing(&fx);
}

Test(tcp_state, listen_syn_when_backlog_full_is_dropped)
{
    struct tcp_sock *l = sock_listen(&fx);
    l->x->backlog = 1;
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    uint8_t b[100];
    struct seg syn2 = {.flags = TCP_SYN, .seq = 9000};
    uint32_t n = seg_build(b, &syn2);
    put16(b, REMOTE_PORT + 1); /* another client port */
    put16(b + 16, 0);
    put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
    struct tcp_seg p;
    bool bad;
    cr_assert(tcp_parse(&p, REMOTE_IP, LOCAL_IP, b, n, &bad));
    tcp_input_seg(fx.th, &p, fx.sim.now);
    expect_nothing(&fx);
    cr_expect_eq(fx.th->c.drop_backlog_full, 1);
}

/* The RST a closing listener sends an embryonic child on remote port rport. */
static void expect_embryo_rst(uint16_t rport)
{
    struct tcp_seg rst;
    cr_assert(next_seg(&fx, &rst, NULL), "expected a RST for port %u", rport);
    cr_expect_eq(rst.flags, TCP_RST | TCP_ACK);
    cr_expect_eq(rst.dport, rport);
    cr_expect_eq(rst.ack, RISN + 1);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, rport));
}

/* Closing a listener resets and frees its embryonic children, in creation
 * order, around an accepted one that lives on without it. */
Test(tcp_state, listen_close_resets_embryos_keeps_accepted)
{
    struct tcp_sock *l = sock_listen(&fx);
    for (uint16_t p = 50001; p <= 50003; p++)
        send_seg_from(&fx, p, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460});
    struct tcp_sock *c = tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 50002);
    cr_assert_not_null(c);
    drop_output(&fx);
    send_seg_from(&fx, 50002, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    cr_assert_eq(c->state, TCP_ESTABLISHED);
    cr_assert_eq(fx.accepted, 1);
    tcp_close(l);
    cr_expect_null(tcp_lookup_listener(fx.th, LOCAL_PORT));
    expect_embryo_rst(50001);
    expect_embryo_rst(50003);
    expect_nothing(&fx);
    cr_expect_eq(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 50002), c);
    cr_expect_eq(c->state, TCP_ESTABLISHED);
    cr_expect_null(c->x->listener);
}

/* ---- SYN_RCVD ---- */

static struct tcp_sock *sock_syn_rcvd_on(struct tcp_sock *l)
{
    (void)l;
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    return tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
}

static struct tcp_sock *sock_syn_rcvd(void)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    return tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
}

Test(tcp_state, syn_rcvd_ack_establishes_and_accepts)
{
    struct tcp_sock *c = sock_syn_rcvd();
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    cr_expect_eq(c->state, TCP_ESTABLISHED);
    cr_expect_eq(fx.accepted, 1);
    cr_expect_eq(fx.child, c);
    expect_nothing(&fx);
}

Test(tcp_state, syn_rcvd_bad_ack_gets_rst)
{
    struct tcp_sock *c = sock_syn_rcvd();
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 100});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = c->iss + 100});
    cr_expect_eq(c->state, TCP_SYN_RCVD);
}

Test(tcp_state, syn_rcvd_rst_discards_child_listener_stays)
{
    struct tcp_sock *l = tcp_lookup_listener(fx.th, LOCAL_PORT);
    (void)l;
    sock_syn_rcvd();
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1});
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
    cr_expect_not_null(tcp_lookup_listener(fx.th, LOCAL_PORT));
    cr_expect_eq(fx.closed, 0, "an unaccepted child is never reported");
    expect_nothing(&fx);
}

Test(tcp_state, syn_rcvd_data_with_ack_is_delivered)
{
    struct tcp_sock *c = sock_syn_rcvd();
    send_seg(&fx, (struct seg){.flags = TCP_ACK | TCP_PSH,
                               .seq = RISN + 1,
                               .ack = c->iss + 1,
                               .data = (const uint8_t *)"hi",
                               .len = 2});
    cr_expect_eq(tcp_readable(c), 2);
}

/* ---- SYN_SENT ---- */

/* An application that writes as soon as it is connected. */
static void send_on_connect(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx;
    (void)now;
    static const uint8_t hello[100] = {1};
    cr_assert_eq(tcp_send(s, hello, sizeof hello), sizeof hello);
}

/* Like Linux: the ACK of the SYN,ACK leaves before the application hears of
 * the connection, so the third segment of the handshake is a pure ACK and the
 * data written on connect follows it (no redundant ACK after the data). */
Test(tcp_state, syn_sent_syn_ack_acked_before_data_written_on_connect)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    static const struct tcp_sock_ops ops = {.on_connected = send_on_connect};
    tcp_set_ops(s, &ops, NULL);
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1, .mss = 1460});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK | TCP_PSH, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    expect_nothing(&fx);
}

Test(tcp_state, syn_sent_syn_ack_establishes)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1, .mss = 1200});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_expect_eq(s->state, TCP_ESTABLISHED);
    cr_expect_eq(s->mss, 1200);
    cr_expect_eq(fx.connected, 1);
}

Test(tcp_state, syn_sent_rst_ack_is_refused)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = s->iss + 1});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_REFUSED);
}

Test(tcp_state, syn_sent_bad_ack_gets_rst)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 7});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = s->iss + 7});
    cr_expect_eq(s->state, TCP_SYN_SENT);
}

Test(tcp_state, syn_sent_syn_is_simultaneous_open)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    expect_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = s->iss, .ack = RISN + 1});
    cr_expect_eq(s->state, TCP_SYN_RCVD);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1});
    /* RFC 5961: a SYN in a synchronized state draws a challenge ACK; the
     * peer's next plain ACK completes the open. */
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    cr_expect_eq(s->state, TCP_ESTABLISHED);
    cr_expect_eq(fx.connected, 1);
}

/* ---- ESTABLISHED ---- */

Test(tcp_state, established_fin_goes_close_wait)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
    cr_expect_eq(s->state, TCP_CLOSE_WAIT);
    cr_expect_eq(fx.peer_closed, 1);
}

Test(tcp_state, established_rst_at_rcv_nxt_resets)
{
    sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

Test(tcp_state, established_rst_in_window_gets_challenge_ack)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 100});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_expect_eq(s->state, TCP_ESTABLISHED);
}

Test(tcp_state, established_syn_gets_challenge_ack)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 50});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_expect_eq(s->state, TCP_ESTABLISHED);
}

Test(tcp_state, established_challenge_acks_are_rate_limited_per_host)
{
    for (uint16_t i = 0; i < 1005; i++) {
        sock_established_from(&fx, (uint16_t)(REMOTE_PORT + i));
        send_seg_from(&fx, (uint16_t)(REMOTE_PORT + i),
                      (struct seg){.flags = TCP_RST, .seq = RISN + 100});
    }
    cr_expect_eq(fx.th->c.challenge_acks, 1000);
    cr_expect_eq(fx.th->c.challenge_ack_limited, 5);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_state, established_challenge_acks_are_rate_limited_per_socket)
{
    sock_established(&fx);
    for (int i = 0; i < 5; i++)
        send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 100});
    cr_expect_eq(fx.th->c.challenge_acks, 1);
    cr_expect_eq(fx.th->c.oow_ack_limited, 4);
    cr_expect_eq(fx.out.len, 1);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_state, established_out_of_window_gets_ack_and_drop)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1 + 10000000,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"x",
                               .len = 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_expect_eq(fx.th->c.drop_out_of_window, 1);
}

Test(tcp_state, established_duplicate_data_is_delivered_once)
{
    struct tcp_sock *s = sock_established(&fx);
    struct seg d = {.flags = TCP_ACK,
                    .seq = RISN + 1,
                    .ack = s->iss + 1,
                    .data = (const uint8_t *)"abcd",
                    .len = 4};
    send_seg(&fx, d);
    send_seg(&fx, d);
    cr_expect_eq(tcp_readable(s), 4);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 5});
}

Test(tcp_state, established_overlapping_segment_is_trimmed)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"abcd",
                               .len = 4});
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 3,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"cdef",
                               .len = 4});
    uint8_t b[16];
    cr_assert_eq(tcp_recv(s, b, sizeof(b)), 6);
    cr_expect_arr_eq(b, "abcdef", 6);
}

Test(tcp_state, established_out_of_order_is_kept_and_acked_at_once)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 5,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"efgh",
                               .len = 4});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_expect_eq(tcp_readable(s), 0);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"abcd",
                               .len = 4});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 9});
    uint8_t b[16];
    cr_assert_eq(tcp_recv(s, b, sizeof(b)), 8);
    cr_expect_arr_eq(b, "abcdefgh", 8);
}

Test(tcp_state, established_abort_sends_rst)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t iss = s->iss;
    tcp_abort(s);
    expect_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = iss + 1, .ack = RISN + 1});
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

/* ---- closing ---- */

static struct tcp_sock *sock_fin_wait_1(void)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_close(s);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_assert_eq(s->state, TCP_FIN_WAIT_1);
    return s;
}

Test(tcp_state, fin_wait_1_ack_goes_fin_wait_2)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    cr_expect_eq(s->state, TCP_FIN_WAIT_2);
}

Test(tcp_state, fin_wait_1_fin_goes_closing_then_time_wait)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    cr_expect_eq(s->state, TCP_CLOSING);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 2, .ack = s->iss + 2});
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_state, fin_wait_1_fin_ack_goes_time_wait)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_state, fin_wait_2_data_still_flows_half_close)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 2,
                               .data = (const uint8_t *)"late",
                               .len = 4});
    cr_expect_eq(tcp_readable(s), 4);
}

Test(tcp_state, fin_wait_2_fin_goes_time_wait)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_state, close_wait_close_goes_last_ack_then_closed)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
    uint32_t iss = s->iss;
    tcp_close(s);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = iss + 1, .ack = RISN + 2});
    cr_expect_eq(s->state, TCP_LAST_ACK);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 2, .ack = iss + 2});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
}

Test(tcp_state, close_wait_send_still_works)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
    cr_expect_eq(tcp_send(s, (const uint8_t *)"bye", 3), 3);
    expect_seg(&fx, (struct seg){
                        .flags = TCP_ACK | TCP_PSH, .seq = s->iss + 1, .ack = RISN + 2, .len = 3});
}

Test(tcp_state, time_wait_fin_is_acked_again)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_state, time_wait_lasts_two_msl)
{
    struct tcp_sock *s = sock_fin_wait_1();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    fx_run(&fx, 4 * SIM_MIN - 1);
    cr_expect_eq(fx.closed, 0);
    fx_run(&fx, 4 * SIM_MIN);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

/* ---- wire ---- */

Test(tcp_state, wire_bad_checksum_is_rejected)
{
    uint8_t b[64];
    uint32_t n = seg_build(b, &(struct seg){.flags = TCP_SYN, .seq = 1});
    b[5] ^= 1;
    struct tcp_seg p;
    bool bad;
    cr_expect_not(tcp_parse(&p, REMOTE_IP, LOCAL_IP, b, n, &bad));
    cr_expect(bad);
}

Test(tcp_state, wire_truncated_header_is_rejected)
{
    uint8_t b[64];
    uint32_t n = seg_build(b, &(struct seg){.flags = TCP_SYN, .seq = 1, .mss = 1460});
    struct tcp_seg p;
    bool bad;
    cr_expect_not(tcp_parse(&p, REMOTE_IP, LOCAL_IP, b, n - 4, &bad));
    cr_expect_not(tcp_parse(&p, REMOTE_IP, LOCAL_IP, b, 10, &bad));
}

Test(tcp_state, listen_accepted_connections_free_the_backlog)
{
    struct tcp_sock *l = sock_listen(&fx);
    l->x->backlog = 1;
    struct tcp_sock *c = sock_syn_rcvd_on(l);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    cr_assert_eq(fx.accepted, 1);
    cr_expect_eq(l->x->n_children, 0);
}

Test(tcp_state, listen_close_resets_embryonic_children)
{
    struct tcp_sock *l = sock_listen(&fx);
    struct tcp_sock *c = sock_syn_rcvd_on(l);
    uint32_t iss = c->iss;
    tcp_close(l);
    expect_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = iss + 1, .ack = RISN + 1});
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}

Test(tcp_state, syn_rcvd_retransmitted_syn_gets_syn_ack_again)
{
    struct tcp_sock *c = sock_syn_rcvd();
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460});
    expect_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = c->iss, .ack = RISN + 1});
    cr_expect_eq(c->state, TCP_SYN_RCVD);
}
