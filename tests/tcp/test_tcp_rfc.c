/* Rules of the RFCs that are easy to get subtly wrong: Karn's rule and the
 * RTO backoff (RFC 6298), NewReno's recovery timer (RFC 6582), the window
 * after a lossy handshake (RFC 5681), delayed-ACK bounds (RFC 1122), window
 * scaling and PAWS (RFC 7323), initial sequence numbers (RFC 6528). */
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

TestSuite(tcp_rfc, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN

static const uint8_t payload[20000];

static void ack_to(struct tcp_sock *s, uint32_t rel)
{
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1 + rel});
}

/* ---- RFC 6298 ---- */

Test(tcp_rfc, karn_fast_retransmit_of_timed_segment_gives_no_rtt_sample)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t m = s->mss;
    sim_time srtt = s->srtt;
    tcp_send(s, payload, 5 * m);
    drop_output(&fx);
    cr_assert(s->x->rtt_active);
    cr_assert_eq(s->x->rtt_seq, s->iss + 1, "the first segment is timed");
    fx_run(&fx, 100 * SIM_MS);
    for (int i = 0; i < 3; i++)
        ack_to(s, 0); /* fast retransmit of the timed segment */
    drop_output(&fx);
    fx_run(&fx, 300 * SIM_MS);
    ack_to(s, 5 * m);
    cr_expect_eq(s->srtt, srtt, "an ACK of a resent segment is ambiguous: no sample");
}

Test(tcp_rfc, rto_backoff_kept_until_a_valid_rtt_sample)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, payload, 100);
    drop_output(&fx);
    fx_run(&fx, 1 * SIM_SEC); /* RTO: resent, backoff 1 */
    drop_output(&fx);
    fx_run(&fx, 1500 * SIM_MS);
    ack_to(s, 100); /* acknowledges the retransmission: no sample (Karn) */
    cr_expect_eq(s->x->backoff, 1, "RFC 6298 §5.7: the backed-off RTO stays");
    tcp_send(s, payload, 100);
    drop_output(&fx);
    fx_run(&fx, 3500 * SIM_MS - 1);
    expect_nothing(&fx);
    fx_run(&fx, 3500 * SIM_MS);
    expect_seg(&fx,
               (struct seg){.flags = TCP_ACK, .seq = s->iss + 101, .ack = RISN + 1, .len = 100});
}

Test(tcp_rfc, rto_backoff_is_capped_at_max_rto)
{
    fx.th->cfg->max_rto = 4 * SIM_SEC;
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, payload, 100);
    drop_output(&fx);
    fx_run(&fx, 7 * SIM_SEC); /* 1 s, 3 s, 7 s */
    cr_expect_eq(fx.out.len, 3);
    drop_output(&fx);
    fx_run(&fx, 11 * SIM_SEC - 1);
    expect_nothing(&fx);
    fx_run(&fx, 11 * SIM_SEC);
    cr_expect_eq(fx.out.len, 1, "4 s, not 8 s, after the third");
    drop_output(&fx);
}

Test(tcp_rfc, second_rto_of_the_same_segment_keeps_ssthresh)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t m = s->mss;
    tcp_send(s, payload, 10 * m);
    drop_output(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    cr_expect_eq(s->ssthresh, 5 * m, "FlightSize / 2");
    fx_run(&fx, 3 * SIM_SEC);
    cr_expect_eq(s->ssthresh, 5 * m, "not halved again for the same loss");
    cr_expect_eq(s->cwnd, m);
    drop_output(&fx);
}

/* ---- RFC 5681 §3.1, RFC 6298 §5.7: after a lost SYN or SYN,ACK ---- */

Test(tcp_rfc, lost_syn_leaves_one_segment_window_and_3s_rto)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    drop_output(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1, .mss = 1460});
    drop_output(&fx);
    cr_assert_eq(s->state, TCP_ESTABLISHED);
    cr_expect_eq(s->cwnd, s->mss);
    cr_expect_eq(s->rto, 3 * SIM_SEC);
}

Test(tcp_rfc, lost_synack_leaves_one_segment_window)
{
    struct tcp_sock *c = to_syn_rcvd(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    cr_assert_eq(c->state, TCP_ESTABLISHED);
    cr_expect_eq(c->cwnd, c->mss);
}

Test(tcp_rfc, handshake_without_loss_keeps_initial_window)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_expect_eq(s->cwnd, 10 * s->mss);
}

/* ---- RFC 6582 ---- */

Test(tcp_rfc, newreno_only_the_first_partial_ack_restarts_rto)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t m = s->mss;
    tcp_send(s, payload, 6 * m); /* RTO due at 1 s */
    drop_output(&fx);
    fx_run(&fx, 100 * SIM_MS);
    for (int i = 0; i < 3; i++)
        ack_to(s, 0);
    cr_assert(s->x->in_recovery);
    fx_run(&fx, 200 * SIM_MS);
    ack_to(s, m); /* first partial ACK: RTO now due at 1.2 s */
    fx_run(&fx, 400 * SIM_MS);
    ack_to(s, 2 * m); /* later partial ACK: the timer keeps running */
    cr_assert(s->x->in_recovery);
    drop_output(&fx);
    fx_run(&fx, 1200 * SIM_MS - 1);
    cr_expect_eq(s->timeouts, 0);
    fx_run(&fx, 1200 * SIM_MS);
    cr_expect_eq(s->timeouts, 1, "impatient variant: RTO 1 s after the first partial ACK");
    drop_output(&fx);
}

/* ---- RFC 1122 ---- */

Test(tcp_rfc, delayed_ack_never_waits_more_than_500ms)
{
    fx.th->cfg->delayed_ack = 2 * SIM_SEC;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 10});
    fx_run(&fx, 500 * SIM_MS - 1);
    expect_nothing(&fx);
    fx_run(&fx, 500 * SIM_MS);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 11});
}

/* A reader that takes every segment at once: the read reopens the window by
 * one segment, too little for an update of its own (Linux tcp_cleanup_rbuf
 * wants it to double), so the delayed ACK answers every second full segment
 * (RFC 1122 §4.2.3.2). */
Test(tcp_rfc, sink_reading_at_once_acks_every_second_full_segment)
{
    struct tcp_sock *s = sock_established(&fx);
    uint8_t buf[1460];
    for (uint32_t i = 0; i < 4; i++) {
        send_seg(&fx, (struct seg){.flags = TCP_ACK,
                                   .seq = RISN + 1 + i * 1460,
                                   .ack = s->iss + 1,
                                   .data = payload,
                                   .len = 1460});
        cr_assert_eq(tcp_recv(s, buf, sizeof buf), 1460);
        if (i % 2 == 0)
            expect_nothing(&fx);
        else
            expect_seg(&fx, (struct seg){.flags = TCP_ACK,
                                         .seq = s->iss + 1,
                                         .ack = RISN + 1 + (i + 1) * 1460});
    }
}

/* A read that at least doubles a small offered window is announced at once. */
Test(tcp_rfc, read_that_doubles_the_window_sends_an_update)
{
    fx.th->cfg->rcvbuf = 8000;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 5000});
    uint8_t buf[5000];
    cr_assert_eq(tcp_recv(s, buf, 1000), 1000);
    expect_nothing(&fx); /* 3000 offered, 4000 free: not double */
    cr_assert_eq(tcp_recv(s, buf, 4000), 4000);
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 5001});
    cr_expect_eq(a.wnd, 8000);
}

Test(tcp_rfc, persist_backoff_restarts_once_the_window_opens)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .zero_wnd = true});
    tcp_send(s, payload, 100);
    fx_run(&fx, 3 * SIM_SEC); /* probes at 1 s and 3 s */
    cr_assert_eq(fx.out.len, 2);
    cr_assert_eq(s->x->backoff, 2);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    cr_expect_eq(s->x->backoff, 0, "the peer answered: probing starts over next time");
    drop_output(&fx);
}

/* Sender SWS avoidance: 500 bytes of window is less than a segment and less
 * than half the largest window seen, so nothing goes at once ... */
Test(tcp_rfc, sender_sws_holds_data_for_a_small_window)
{
    fx.th->cfg->nagle = false;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .wnd = 500});
    tcp_send(s, payload, 2000);
    expect_nothing(&fx);
    drop_output(&fx);
}

/* ... until the override timeout sends what the window allows. */
Test(tcp_rfc, sender_sws_override_timeout_sends_what_the_window_allows)
{
    fx.th->cfg->nagle = false;
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .wnd = 500});
    tcp_send(s, payload, 2000);
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = 500});
}

/* ---- RFC 5961 §7 ---- */

Test(tcp_rfc, challenge_ack_budget_refills_each_second)
{
    for (uint16_t i = 0; i < TCP_CHALLENGE_ACK_LIMIT + 1; i++) {
        sock_established_from(&fx, (uint16_t)(REMOTE_PORT + i));
        send_seg_from(&fx, (uint16_t)(REMOTE_PORT + i),
                      (struct seg){.flags = TCP_RST, .seq = RISN + 100});
    }
    cr_expect_eq(fx.th->c.challenge_ack_limited, 1);
    drop_output(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    send_seg_from(&fx, REMOTE_PORT + 5, (struct seg){.flags = TCP_RST, .seq = RISN + 100});
    cr_expect_eq(fx.out.len, 1);
    cr_expect_eq(fx.th->c.challenge_acks, TCP_CHALLENGE_ACK_LIMIT + 1);
    drop_output(&fx);
}

/* RFC 5961 §7, Linux tcp_oow_rate_limited: one duplicate ACK per socket per
 * 500 ms answers out-of-window pure ACKs ... */
Test(tcp_rfc, out_of_window_acks_answered_once_per_500ms)
{
    struct tcp_sock *s = sock_established(&fx);
    for (int i = 0; i < 3; i++)
        send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 200000, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    expect_nothing(&fx);
    cr_expect_eq(fx.th->c.oow_ack_limited, 2);
    fx_run(&fx, fx.sim.now + TCP_INVALID_RATELIMIT);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 200000, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
}

/* ... and ACKs of data never sent ... */
Test(tcp_rfc, unacceptable_acks_answered_once_per_500ms)
{
    struct tcp_sock *s = sock_established(&fx);
    for (int i = 0; i < 3; i++)
        send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 5000});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    expect_nothing(&fx);
    cr_expect_eq(fx.th->c.drop_bad_ack, 3);
}

/* ... but a segment with data (a retransmission of bytes already taken) is
 * always answered: the sender's loss recovery needs its duplicate ACK. */
Test(tcp_rfc, old_data_always_gets_a_duplicate_ack)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 100});
    fx_run(&fx, fx.sim.now + 1 * SIM_SEC);
    drop_output(&fx);
    for (int i = 0; i < 3; i++) {
        send_seg(
            &fx,
            (struct seg){
                .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 100});
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 101});
    }
    cr_expect_eq(fx.th->c.oow_ack_limited, 0);
}

/* A retransmitted FIN is old sequence space too: always ACKed (Linux counts
 * it like data, end_seq != seq). */
Test(tcp_rfc, retransmitted_fin_always_gets_an_ack)
{
    struct tcp_sock *s = to_close_wait(&fx);
    for (int i = 0; i < 3; i++) {
        send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
    }
    cr_expect_eq(fx.th->c.oow_ack_limited, 0);
}

/* ---- RFC 7323 ---- */

static void fx_with_options(bool ts, bool ws, uint32_t rcvbuf)
{
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = ts;
    c.window_scale = ws;
    c.rcvbuf = rcvbuf;
    fx_fini(&fx);
    fx_init(&fx, &c);
}

/* The RTO retransmission of a segment whose ACK was lost: its duplicate ACK
 * echoes the retransmission's timestamp (Linux), not the original's, so the
 * sender does not measure an RTT as long as its RTO. */
Test(tcp_rfc, resent_segment_whose_ack_was_lost_refreshes_ts_recent)
{
    fx_with_options(true, false, 128 * 1024);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 5000,
                               .tsecr = 1});
    drop_output(&fx);
    struct seg data = {.flags = TCP_ACK,
                       .seq = RISN + 1,
                       .ack = s->iss + 1,
                       .data = payload,
                       .len = 100,
                       .ts = true,
                       .tsval = 5100};
    send_seg(&fx, data);
    fx_run(&fx, fx.sim.now + 1 * SIM_SEC); /* the delayed ACK goes out (and is lost) */
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 101});
    cr_expect_eq(a.tsecr, 5100);
    data.tsval = 6100; /* resent one RTO later */
    send_seg(&fx, data);
    a = expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 101});
    cr_expect_eq(a.tsecr, 6100, "echoes %u", a.tsecr);
}

/* An older duplicate, wholly below what was last ACKed, leaves it alone. */
Test(tcp_rfc, old_duplicate_below_last_ack_keeps_ts_recent)
{
    fx_with_options(true, false, 128 * 1024);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 5000,
                               .tsecr = 1});
    drop_output(&fx);
    for (uint32_t i = 0; i < 2; i++)
        send_seg(&fx, (struct seg){.flags = TCP_ACK,
                                   .seq = RISN + 1 + i * 100,
                                   .ack = s->iss + 1,
                                   .data = payload,
                                   .len = 100,
                                   .ts = true,
                                   .tsval = 5100 + i});
    fx_run(&fx, fx.sim.now + 1 * SIM_SEC);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .data = payload,
                               .len = 100,
                               .ts = true,
                               .tsval = 6100});
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 201});
    cr_expect_eq(a.tsecr, 5101);
}

Test(tcp_rfc, window_scale_never_applies_to_syn_windows)
{
    fx_with_options(false, true, 1u << 20);
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT,
                                          "cli", "cli", &test_ops, &fx, 0);
    struct tcp_seg syn;
    cr_assert(next_seg(&fx, &syn, NULL));
    cr_expect_eq(syn.wnd, 65535, "our SYN's window is the unscaled field");
    cr_expect_eq(syn.wscale, 5, "1 MiB needs a shift of 5");
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .wscale = 7 + 1,
                               .wnd = 1000});
    cr_expect_eq(s->snd_wnd, 1000, "the peer's SYN,ACK window is not scaled either");
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    cr_expect_eq(ack.wnd, (1u << 20) >> 5, "later segments carry the scaled window");
}

Test(tcp_rfc, paws_never_drops_a_rst)
{
    fx_with_options(true, false, 128 * 1024);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 5000,
                               .tsecr = 1});
    drop_output(&fx);
    cr_assert(s->ts_ok);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1, .ts = true, .tsval = 10});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

/* ---- RFC 6528 ---- */

Test(tcp_rfc, isn_is_per_tuple_and_follows_a_4us_clock)
{
    uint32_t a = tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1000, 0);
    cr_expect_eq(tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1000, 0), a, "deterministic");
    cr_expect_neq(tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1001, 0), a);
    cr_expect_eq(tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1000, 1 * SIM_SEC) - a, 250000u);
}

Test(tcp_rfc, isn_depends_on_the_host_secret)
{
    uint32_t a = tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1000, 0);
    fx.th->isn_secret[0] ^= 1;
    cr_expect_neq(tcp_isn(fx.th, LOCAL_IP, 80, REMOTE_IP, 1000, 0), a);
}
