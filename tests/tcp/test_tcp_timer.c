/* Every timer: RTO with backoff, SYN retries, persist, delayed ACK. */
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

TestSuite(tcp_timer, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN

static const uint8_t payload[4000] = {1, 2, 3};

Test(tcp_timer, syn_sent_rto_backs_off_1_2_4_seconds)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    fx_run(&fx, 1 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = s->iss});
    fx_run(&fx, 3 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 3 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = s->iss});
    fx_run(&fx, 7 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = s->iss});
}

Test(tcp_timer, syn_sent_retries_exhausted_times_out)
{
    fx.th->cfg->syn_retries = 2;
    sock_syn_sent(&fx);
    fx_run(&fx, 7 * SIM_SEC - 1);
    cr_expect_eq(fx.closed, 0);
    fx_run(&fx, 7 * SIM_SEC);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_TIMEOUT);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_timer, syn_rcvd_synack_retransmitted_after_1s)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = sa.seq, .ack = RISN + 1});
}

Test(tcp_timer, established_rto_retransmits_with_backoff)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_assert_eq(tcp_send(s, payload, 100), 100);
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK | TCP_PSH, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    cr_expect_eq(s->cwnd, s->mss, "RFC 5681 eq. (4): cwnd collapses to one segment");
    fx_run(&fx, 3 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 3 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    cr_expect_eq(s->retransmits, 2);
}

Test(tcp_timer, established_retries2_exhausted_times_out)
{
    fx.th->cfg->retries2 = 1;
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, payload, 10);
    fx_run(&fx, 3 * SIM_SEC);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_TIMEOUT);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_timer, fin_wait_1_fin_is_retransmitted)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_close(s);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
}

Test(tcp_timer, established_delayed_ack_fires_at_40ms)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 100});
    fx_run(&fx, 40 * SIM_MS - 1);
    expect_nothing(&fx);
    fx_run(&fx, 40 * SIM_MS);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 101});
}

Test(tcp_timer, established_every_second_full_segment_is_acked)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 1460});
    expect_nothing(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1461, .ack = s->iss + 1, .data = payload, .len = 1460});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2921});
}

Test(tcp_timer, delayed_ack_off_acks_every_segment)
{
    fx.th->cfg->delayed_ack = 0;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 10});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 11});
}

Test(tcp_timer, established_zero_window_sends_persist_probes)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .zero_wnd = true});
    tcp_send(s, payload, 100);
    expect_nothing(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 1});
    fx_run(&fx, 3 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 3 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 1});
    /* the window opens: everything goes */
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK | TCP_PSH, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
}

Test(tcp_timer, established_nagle_holds_small_segment_while_unacked)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, payload, 100);
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK | TCP_PSH, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    tcp_send(s, payload, 100);
    expect_nothing(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 101});
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK | TCP_PSH, .seq = s->iss + 101, .ack = RISN + 1, .len = 100});
}

Test(tcp_timer, nagle_off_sends_small_segments_at_once)
{
    fx.th->cfg->nagle = false;
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, payload, 100);
    tcp_send(s, payload, 100);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 100});
    expect_seg(&fx,
               (struct seg){.flags = TCP_ACK, .seq = s->iss + 101, .ack = RISN + 1, .len = 100});
}

Test(tcp_timer, established_keepalive_probes_after_idle_then_times_out)
{
    fx.th->cfg->keepalive = 10 * SIM_SEC;
    struct tcp_sock *s = sock_established(&fx);
    fx_run(&fx, 10 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 10 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss, .ack = RISN + 1});
    fx_run(&fx, 100 * SIM_SEC);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_TIMEOUT);
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_timer, established_keepalive_answer_restarts_idle_clock)
{
    fx.th->cfg->keepalive = 10 * SIM_SEC;
    struct tcp_sock *s = sock_established(&fx);
    fx_run(&fx, 10 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss, .ack = RISN + 1});
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    fx_run(&fx, 20 * SIM_SEC - 1);
    expect_nothing(&fx);
    cr_expect_eq(s->x->keepalive_probes, 0);
    cr_expect_eq(s->state, TCP_ESTABLISHED);
}

/* Keepalive has nothing to probe in TIME_WAIT: its timer stops there, and
 * with it nothing keeps the transfer state alive. */
Test(tcp_timer, keepalive_stops_in_time_wait)
{
    fx.th->cfg->keepalive = 10 * SIM_SEC;
    struct tcp_sock *s = to_time_wait(&fx);
    cr_expect_null(s->x, "the transfer state is released on entering TIME_WAIT");
    fx_run(&fx, 30 * SIM_SEC);
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_timer, established_full_buffer_advertises_zero_then_reopens_on_read)
{
    fx.th->cfg->rcvbuf = 4000;
    fx.th->cfg->delayed_ack = 0;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 4000});
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 4001});
    cr_expect_eq(a.wnd, 0);
    uint8_t buf[4000];
    cr_assert_eq(tcp_recv(s, buf, 100), 100);
    expect_nothing(&fx); /* RFC 1122 §4.2.3.3: 100 bytes is too small to announce */
    cr_assert_eq(tcp_recv(s, buf, 3900), 3900);
    a = expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 4001});
    cr_expect_eq(a.wnd, 4000);
}

/* A zero-window probe's byte lies beyond the offered edge: it is not taken
 * even though the reader freed 100 bytes, and the ACK still offers 0 because
 * 100 bytes is too small a step (RFC 9293 §3.10.7.4, RFC 1122 §4.2.3.3). */
Test(tcp_timer, established_zero_window_probe_answered_with_zero_window)
{
    fx.th->cfg->rcvbuf = 4000;
    fx.th->cfg->delayed_ack = 0;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 4000});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 4001});
    uint8_t buf[100];
    cr_assert_eq(tcp_recv(s, buf, sizeof buf), 100);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 4001, .ack = s->iss + 1, .data = payload, .len = 1});
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 4001});
    cr_expect_eq(a.wnd, 0);
    cr_expect_eq(tcp_readable(s), 3900);
}
