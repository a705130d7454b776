/* TIME_WAIT with timestamps (RFC 7323 PAWS, RFC 6191 reopening), what an
 * application can still do with a socket in TIME_WAIT, and what it reads of
 * it until on_closed.  One behaviour each. */
#include "tcp_harness.h"

static struct fixture fx;

static void setup(void)
{
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.window_scale = false; /* windows read as bytes */
    fx_init(&fx, &cfg);
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_timewait, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN
#define TS0  1000u /* the peer's first TSval */

/* Established with timestamps (the peer's SYN,ACK sent at TSval TS0). */
static struct tcp_sock *ts_established(void)
{
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT,
                                          "cli", "cli", &test_ops, &fx, fx.sim.now);
    cr_assert(s);
    struct tcp_seg syn;
    cr_assert(next_seg(&fx, &syn, NULL));
    cr_assert(syn.has_ts);
    fx_run(&fx, 20 * SIM_MS);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = TS0,
                               .tsecr = syn.tsval});
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    cr_assert_eq(s->state, TCP_ESTABLISHED);
    cr_assert(s->ts_ok);
    return s;
}

/* FIN_WAIT_2: our FIN sent and ACKed (TSval TS0 + 1). */
static struct tcp_sock *ts_fin_wait_2(void)
{
    struct tcp_sock *s = ts_established();
    tcp_close(s);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2, .ts = true, .tsval = TS0 + 1});
    cr_assert_eq(s->state, TCP_FIN_WAIT_2);
    return s;
}

/* The peer's FIN (TSval TS0 + 2) ends FIN_WAIT_2; its ACK consumed. */
static struct tcp_sock *ts_time_wait(void)
{
    struct tcp_sock *s = ts_fin_wait_2();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 2,
                               .ts = true,
                               .tsval = TS0 + 2});
    struct tcp_seg ack =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_expect_eq(ack.tsecr, TS0 + 2);
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    return s;
}

static void send_fin_again(struct tcp_sock *s, uint32_t tsval)
{
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 2,
                               .ts = true,
                               .tsval = tsval});
}

Test(tcp_timewait, ack_of_retransmitted_fin_carries_timestamps)
{
    struct tcp_sock *s = ts_time_wait();
    fx_run(&fx, 1 * SIM_SEC);
    send_fin_again(s, TS0 + 50);
    struct tcp_seg ack =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_assert(ack.has_ts);
    cr_expect_eq(ack.tsecr, TS0 + 2, "TS.Recent is echoed as it was when the FIN came");
    cr_expect_eq(ack.tsval, (uint32_t)(1000 + s->ts_offset), "our clock, 1 s, plus the offset");
}

/* RFC 7323 §5.3: a retransmitted FIN with an older timestamp is an old
 * duplicate: dropped by PAWS (and ACKed), 2*MSL not restarted. */
Test(tcp_timewait, fin_with_older_timestamp_is_dropped_by_paws)
{
    struct tcp_sock *s = ts_time_wait(); /* at 20 ms: ends at 4 min + 20 ms */
    fx_run(&fx, 1 * SIM_MIN);
    send_fin_again(s, TS0 - 5);
    cr_expect_eq(fx.th->c.drop_paws, 1);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    fx_run(&fx, 4 * SIM_MIN + 20 * SIM_MS);
    cr_expect_eq(fx.closed, 1, "2*MSL still counted from the first FIN");
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
}

Test(tcp_timewait, fin_with_newer_timestamp_restarts_two_msl)
{
    struct tcp_sock *s = ts_time_wait();
    fx_run(&fx, 1 * SIM_MIN);
    send_fin_again(s, TS0 + 60000);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    fx_run(&fx, 5 * SIM_MIN - 1);
    cr_expect_eq(fx.closed, 0);
    fx_run(&fx, 5 * SIM_MIN);
    cr_expect_eq(fx.closed, 1);
}

/* RFC 6191: a SYN whose sequence number is not above RCV.NXT but whose
 * timestamp is newer reopens the connection (ISS = SND.NXT + 65537). */
Test(tcp_timewait, syn_with_newer_timestamp_reopens)
{
    struct tcp_sock *s = ts_time_wait();
    uint32_t old_nxt = s->snd_nxt;
    cr_assert(sock_listen(&fx));
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .ts = true, .tsval = TS0 + 100});
    cr_expect_eq(fx.closed, 1, "the TIME_WAIT connection is gone");
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
    struct tcp_seg sa = expect_seg(
        &fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = old_nxt + 65537, .ack = RISN + 1});
    cr_expect(sa.has_ts);
    cr_expect_eq(sa.tsecr, TS0 + 100);
}

/* A SYN with an older timestamp fails PAWS even with a higher sequence
 * number: it is dropped and answered with an ACK, TIME_WAIT goes on. */
Test(tcp_timewait, syn_with_older_timestamp_gets_ack)
{
    struct tcp_sock *s = ts_time_wait();
    cr_assert(sock_listen(&fx));
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN, .seq = RISN + 100000, .ts = true, .tsval = TS0 - 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_expect_eq(fx.th->c.drop_paws, 1);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
    cr_expect_eq(fx.closed, 0);
}

/* Like Linux's tcp_oow_rate_limited: one duplicate ACK per 500 ms answers
 * old SYNs, in TIME_WAIT as in any synchronized state. */
Test(tcp_timewait, acks_to_old_syns_are_rate_limited)
{
    struct tcp_sock *s = ts_time_wait();
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .ts = true, .tsval = TS0 + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    fx_run(&fx, fx.sim.now + 100 * SIM_MS);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .ts = true, .tsval = TS0 + 2});
    expect_nothing(&fx);
    cr_expect_eq(fx.th->c.oow_ack_limited, 1);
    fx_run(&fx, fx.sim.now + 500 * SIM_MS);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .ts = true, .tsval = TS0 + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
}

Test(tcp_timewait, rst_at_rcv_nxt_ends_it_as_established)
{
    ts_time_wait();
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 2});
    expect_nothing(&fx);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
}

Test(tcp_timewait, rst_elsewhere_in_window_gets_challenge_ack)
{
    struct tcp_sock *s = ts_time_wait();
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 5});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 2});
    cr_expect_eq(fx.th->c.challenge_acks, 1);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

/* What tcp_get_info says of a connection does not change when it enters
 * TIME_WAIT (but for the state and the segments of the last exchange), nor
 * until on_closed. */
static struct tcp_info info_at_close;
static void closed_keep_info(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    tcp_get_info(s, &info_at_close);
    app_closed(ctx, s, o, now);
}

static void expect_same_figures(const struct tcp_info *a, const struct tcp_info *b)
{
    cr_expect_eq(a->outcome, b->outcome);
    cr_expect_eq(a->local_ip, b->local_ip);
    cr_expect_eq(a->remote_ip, b->remote_ip);
    cr_expect_eq(a->local_port, b->local_port);
    cr_expect_eq(a->remote_port, b->remote_port);
    cr_expect_eq(a->bytes_sent, b->bytes_sent);
    cr_expect_eq(a->bytes_acked, b->bytes_acked);
    cr_expect_eq(a->bytes_received, b->bytes_received);
    cr_expect_eq(a->retransmits, b->retransmits);
    cr_expect_eq(a->timeouts, b->timeouts);
    cr_expect_eq(a->cwnd, b->cwnd);
    cr_expect_eq(a->ssthresh, b->ssthresh);
    cr_expect_eq(a->snd_wnd, b->snd_wnd);
    cr_expect_eq(a->rcv_wnd, b->rcv_wnd);
    cr_expect_eq(a->mss, b->mss);
    cr_expect_eq(a->srtt, b->srtt);
    cr_expect_eq(a->rttvar, b->rttvar);
    cr_expect_eq(a->rto, b->rto);
    cr_expect_eq(a->established_at, b->established_at);
}

Test(tcp_timewait, info_is_kept_through_time_wait_until_on_closed)
{
    static const struct tcp_sock_ops ops = {.on_closed = closed_keep_info};
    struct tcp_sock *s = ts_established();
    tcp_set_ops(s, &ops, &fx);
    cr_assert_eq(tcp_send(s, (const uint8_t *)"hello", 5), 5);
    drop_output(&fx);
    fx_run(&fx, 40 * SIM_MS);
    send_seg(&fx, (struct seg){.flags = TCP_ACK | TCP_PSH,
                               .seq = RISN + 1,
                               .ack = s->iss + 6,
                               .data = (const uint8_t *)"abc",
                               .len = 3,
                               .ts = true,
                               .tsval = TS0 + 1});
    uint8_t buf[8];
    cr_assert_eq(tcp_recv(s, buf, sizeof(buf)), 3);
    fx_run(&fx, 300 * SIM_MS); /* the delayed ACK goes out */
    drop_output(&fx);
    tcp_close(s);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK,
                               .seq = RISN + 4,
                               .ack = s->iss + 7,
                               .ts = true,
                               .tsval = TS0 + 2});
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    struct tcp_info before, in_tw;
    tcp_get_info(s, &in_tw);
    cr_expect_eq(in_tw.state, TCP_TIME_WAIT);
    cr_expect_str_eq(in_tw.name, "cli");
    cr_expect_eq(in_tw.bytes_sent, 5);
    cr_expect_eq(in_tw.bytes_acked, 5);
    cr_expect_eq(in_tw.bytes_received, 3);
    cr_expect_eq(in_tw.srtt, 20 * SIM_MS);
    cr_expect_eq(in_tw.cwnd, 10 * 1448 + 6, "slow start: + the 5 bytes and the FIN acked");
    cr_expect_eq(in_tw.rcv_wnd, 128 * 1024);
    cr_expect_eq(in_tw.segs_in, 3);
    before = in_tw;
    fx_run(&fx, 5 * SIM_MIN);
    cr_assert_eq(fx.closed, 1);
    expect_same_figures(&before, &info_at_close);
    cr_expect_eq(info_at_close.state, TCP_CLOSED);
    cr_expect_eq(info_at_close.segs_in, before.segs_in);
    cr_expect_eq(info_at_close.segs_out, before.segs_out);
    cr_expect_eq(info_at_close.closed_at, 4 * SIM_MIN + 300 * SIM_MS);
}

/* Data that came with the FIN and was not read yet stays readable in
 * TIME_WAIT; the window ACKs advertise grows back as it is read. */
Test(tcp_timewait, unread_data_stays_readable)
{
    struct tcp_sock *s = ts_fin_wait_2();
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK | TCP_PSH,
                               .seq = RISN + 1,
                               .ack = s->iss + 2,
                               .data = (const uint8_t *)"abcd",
                               .len = 4,
                               .ts = true,
                               .tsval = TS0 + 2});
    /* the data is ACKed at once (a FIN came with it), then the FIN */
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 5});
    struct tcp_seg ack =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 6});
    cr_expect_eq(ack.wnd, 65535, "128 KiB less 4 bytes, unscaled");
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    cr_expect_eq(tcp_readable(s), 4);
    cr_expect_not_null(s->x, "the receive buffer is still needed");
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK,
                               .seq = RISN + 5,
                               .ack = s->iss + 2,
                               .ts = true,
                               .tsval = TS0 + 3});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 6});
    uint8_t buf[8] = {0};
    cr_expect_eq(tcp_recv(s, buf, sizeof(buf)), 4);
    cr_expect_arr_eq(buf, "abcd", 4);
    cr_expect_null(s->x, "released with the last byte read");
    expect_nothing(&fx); /* no window update once the peer's FIN came */
    cr_expect_eq(tcp_readable(s), 0);
    struct tcp_info ti;
    tcp_get_info(s, &ti);
    cr_expect_eq(ti.rcv_wnd, 128 * 1024);
    cr_expect_eq(ti.bytes_received, 4);
    send_fin_again(s, TS0 + 4);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = RISN + 6});
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

/* The socket API on a connection in TIME_WAIT: nothing more can be sent. */
Test(tcp_timewait, send_calls_take_nothing)
{
    struct tcp_sock *s = ts_time_wait();
    cr_expect_eq(tcp_send(s, (const uint8_t *)"x", 1), 0);
    cr_expect_eq(tcp_send_generated(s, 100), 0);
    cr_expect_eq(tcp_send_space(s), 128 * 1024);
    cr_expect_eq(tcp_readable(s), 0);
    uint8_t b[4];
    cr_expect_eq(tcp_recv(s, b, sizeof(b)), 0);
    tcp_close(s); /* closed already: nothing happens */
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_timewait, abort_ends_it_without_rst)
{
    struct tcp_sock *s = ts_time_wait();
    tcp_abort(s);
    expect_nothing(&fx);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}

/* Keepalive stops probing once the connection is closing: its timer stops
 * on entering TIME_WAIT, which releases the transfer state at once. */
Test(tcp_timewait, keepalive_sends_nothing_in_time_wait)
{
    fx.th->cfg->keepalive = 30 * SIM_SEC;
    struct tcp_sock *s = ts_time_wait();
    cr_expect_null(s->x, "no keepalive timer keeps the transfer state");
    fx_run(&fx, 4 * SIM_MIN);
    expect_nothing(&fx);
    cr_expect_eq(fx.closed, 0);
    fx_run(&fx, 4 * SIM_MIN + 20 * SIM_MS);
    cr_expect_eq(fx.closed, 1);
}

/* An accepted connection in TIME_WAIT outlives its listener. */
Test(tcp_timewait, accepted_connection_outlives_its_listener)
{
    struct tcp_sock *l = sock_listen(&fx);
    cr_assert(l);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = sa.seq + 1});
    struct tcp_sock *c = fx.child;
    cr_assert(c);
    tcp_close(c);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = sa.seq + 1, .ack = RISN + 1});
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = sa.seq + 2});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = sa.seq + 2, .ack = RISN + 2});
    cr_assert_eq(c->state, TCP_TIME_WAIT);
    tcp_close(l);
    cr_expect_eq(fx.closed, 1, "the listener");
    expect_nothing(&fx);
    cr_expect_eq(c->state, TCP_TIME_WAIT);
    fx_run(&fx, 4 * SIM_MIN);
    cr_expect_eq(fx.closed, 2);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
}

/* A connection in TIME_WAIT is only its struct tcp_sock (and names): the
 * transfer state is freed when it enters TIME_WAIT. */
Test(tcp_timewait, entering_it_releases_the_transfer_state)
{
    struct tcp_sock *s = ts_fin_wait_2();
    cr_expect_not_null(s->x);
    send_fin_again(s, TS0 + 2);
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    cr_expect_null(s->x);
}

Test(tcp_timewait, entering_it_from_closing_releases_the_transfer_state)
{
    struct tcp_sock *s = ts_established();
    tcp_close(s);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .ts = true,
                               .tsval = TS0 + 1});
    cr_assert_eq(s->state, TCP_CLOSING);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 2, .ack = s->iss + 2, .ts = true, .tsval = TS0 + 2});
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    cr_expect_null(s->x);
    cr_expect_eq(fx.peer_closed, 1, "the app heard of the peer's FIN");
}

/* The memory a connection in TIME_WAIT keeps (glibc adds 8 bytes and rounds
 * to 16): Linux's inet_timewait_sock is about 200 bytes. */
Test(tcp_timewait, socket_stays_within_its_budget)
{
    cr_expect_leq(offsetof(struct tcp_sock, name), 288);
}
