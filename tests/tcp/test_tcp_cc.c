/* Congestion control and loss recovery (RFC 5681, RFC 6582), RTT estimation
 * (RFC 6298) and option negotiation (RFC 7323). */
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

TestSuite(tcp_cc, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN
#define MSS  1000

static const uint8_t payload[20000];

static struct tcp_sock *sock_established_mss(void)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1, .mss = MSS});
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    return s;
}

static void ack_to(struct tcp_sock *s, uint32_t rel)
{
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1 + rel});
}

static void drain(void)
{
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

Test(tcp_cc, established_initial_window_is_ten_segments)
{
    struct tcp_sock *s = sock_established_mss();
    tcp_send(s, payload, sizeof(payload));
    cr_expect_eq(fx.out.len, 10);
    cr_expect_eq(s->cwnd, 10 * MSS);
    drain();
}

Test(tcp_cc, slow_start_grows_one_mss_per_ack)
{
    struct tcp_sock *s = sock_established_mss();
    tcp_send(s, payload, sizeof(payload));
    drain();
    ack_to(s, MSS);
    cr_expect_eq(s->cwnd, 11 * MSS);
    ack_to(s, 2 * MSS);
    cr_expect_eq(s->cwnd, 12 * MSS);
    cr_expect_eq(fx.out.len, 4, "each ACK releases two segments in slow start");
    drain();
}

Test(tcp_cc, triple_dupack_fast_retransmit_and_partial_ack)
{
    struct tcp_sock *s = sock_established_mss();
    tcp_send(s, payload, 5 * MSS);
    drain();
    for (int i = 0; i < 2; i++)
        ack_to(s, 0);
    expect_nothing(&fx);
    ack_to(s, 0);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1, .len = MSS});
    cr_expect_eq(s->ssthresh, 2500, "max(FlightSize/2, 2*SMSS)");
    cr_expect_eq(s->cwnd, 2500 + 3 * MSS, "RFC 6582 step 3: inflated by 3 segments");
    cr_expect(s->x->in_recovery);
    ack_to(s, 0);
    cr_expect_eq(s->cwnd, 2500 + 4 * MSS, "step 4: each further dup ACK inflates");
    /* partial ACK: first two segments arrived; the third is resent at once */
    ack_to(s, 2 * MSS);
    expect_seg(
        &fx,
        (struct seg){.flags = TCP_ACK, .seq = s->iss + 1 + 2 * MSS, .ack = RISN + 1, .len = MSS});
    cr_expect(s->x->in_recovery);
    cr_expect_eq(s->cwnd, 2500 + 4 * MSS - 2 * MSS + MSS, "deflate by acked, add back one");
    ack_to(s, 5 * MSS);
    cr_expect_not(s->x->in_recovery);
    cr_expect_eq(s->cwnd, 2 * MSS, "full ACK: min(ssthresh, max(FlightSize, SMSS) + SMSS)");
    drain();
}

Test(tcp_cc, established_rto_collapses_cwnd_and_halves_ssthresh)
{
    struct tcp_sock *s = sock_established_mss();
    tcp_send(s, payload, 4 * MSS);
    drain();
    fx_run(&fx, 1 * SIM_SEC);
    cr_expect_eq(s->cwnd, MSS);
    cr_expect_eq(s->ssthresh, 2 * MSS);
    cr_expect_eq(fx.out.len, 1, "only the first unacknowledged segment is resent");
    drain();
}

Test(tcp_cc, rtt_sample_sets_srtt_rttvar_rto)
{
    struct tcp_sock *s = sock_established_mss();
    s->srtt = 0;
    tcp_rtt_sample(s, 100 * SIM_MS, 0);
    cr_expect_eq(s->srtt, 100 * SIM_MS);
    cr_expect_eq(s->rttvar, 50 * SIM_MS);
    cr_expect_eq(s->rto, 1 * SIM_SEC, "clamped to min_rto");
    tcp_rtt_sample(s, 200 * SIM_MS, 0);
    cr_expect_eq(s->srtt, 100 * SIM_MS - 100 * SIM_MS / 8 + 200 * SIM_MS / 8);
    cr_expect_eq(s->rttvar, 50 * SIM_MS - 50 * SIM_MS / 4 + 100 * SIM_MS / 4);
}

Test(tcp_cc, rto_uses_srtt_plus_4_rttvar_above_min)
{
    struct tcp_sock *s = sock_established_mss();
    fx.th->cfg->min_rto = 200 * SIM_MS;
    s->srtt = 0;
    tcp_rtt_sample(s, 100 * SIM_MS, 0);
    cr_expect_eq(s->rto, 300 * SIM_MS);
}

/* ---- options ---- */

Test(tcp_cc, options_window_scale_used_when_both_offer)
{
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = false;
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .wscale = 7 + 1,
                               .wnd = 100});
    drain();
    cr_expect(s->x->ws_ok);
    cr_expect_eq(s->x->snd_wscale, 7);
    cr_expect_eq(s->rcv_wscale, 2, "128 KiB needs a shift of 2");
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .wnd = 100});
    cr_expect_eq(s->snd_wnd, 100 << 7);
}

Test(tcp_cc, options_window_scale_off_when_peer_does_not_offer)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx,
             (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1, .mss = 1460});
    drain();
    cr_expect_not(s->x->ws_ok);
    cr_expect_not(s->ts_ok);
    cr_expect_eq(s->rcv_wscale, 0);
}

Test(tcp_cc, options_syn_offers_configured_options)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT, "cli", "cli", &test_ops,
                     &fx, 0);
    struct tcp_seg syn;
    cr_assert(next_seg(&fx, &syn, NULL));
    cr_expect_eq(syn.mss, 1460);
    cr_expect_eq(syn.wscale, 2);
    cr_expect(syn.has_ts);
    cr_expect_eq(syn.wnd, 65535, "the SYN's window is never scaled");
}

Test(tcp_cc, options_timestamps_echoed_when_both_offer)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 4242,
                               .tsecr = 1});
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    cr_expect(s->ts_ok);
    cr_expect(ack.has_ts);
    cr_expect_eq(ack.tsecr, 4242);
}

Test(tcp_cc, established_paws_drops_old_timestamp)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 5000,
                               .tsecr = 1});
    drain();
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .data = payload,
                               .len = 10,
                               .ts = true,
                               .tsval = 4000});
    cr_expect_eq(tcp_readable(s), 0);
    cr_expect_eq(fx.th->c.drop_paws, 1);
    drain();
}

/* ---- SACK ---- */

static struct tcp_sock *sock_established_sack(void)
{
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = false;
    c.window_scale = false;
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = MSS,
                               .sack_ok = true});
    drain();
    cr_assert(s->sack_ok);
    return s;
}

Test(tcp_cc, sack_not_used_when_peer_does_not_offer)
{
    struct tcp_sock *s = sock_established_mss();
    cr_expect_not(s->sack_ok);
}

Test(tcp_cc, sack_receiver_reports_most_recent_block_first)
{
    struct tcp_sock *s = sock_established_sack();
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 11, .ack = s->iss + 1, .data = payload, .len = 10});
    drain();
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 31, .ack = s->iss + 1, .data = payload, .len = 10});
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
    cr_assert_eq(a.n_sack, 2);
    cr_expect_eq(a.sack[0].start, RISN + 31);
    cr_expect_eq(a.sack[0].end, RISN + 41);
    cr_expect_eq(a.sack[1].start, RISN + 11);
    cr_expect_eq(a.sack[1].end, RISN + 21);
}

Test(tcp_cc, sack_receiver_drops_blocks_once_filled)
{
    struct tcp_sock *s = sock_established_sack();
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 11, .ack = s->iss + 1, .data = payload, .len = 10});
    drain();
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = payload, .len = 10});
    struct tcp_seg a =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 21});
    cr_expect_eq(a.n_sack, 0);
}

Test(tcp_cc, sack_sender_resends_each_hole_once)
{
    struct tcp_sock *s = sock_established_sack();
    tcp_send(s, payload, 6 * MSS);
    drain();
    uint32_t base = s->iss + 1;
    /* segments 0 and 2 lost; 1 and 3 SACKed: 2 SMSS, not yet a loss */
    struct seg d = {.flags = TCP_ACK,
                    .seq = RISN + 1,
                    .ack = base,
                    .n_sack = 2,
                    .sack_start = {base + 3 * MSS, base + MSS},
                    .sack_end = {base + 4 * MSS, base + 2 * MSS}};
    send_seg(&fx, d);
    expect_nothing(&fx);
    /* segment 4 SACKed too: more than (DupThresh-1)*SMSS above SND.UNA */
    d.sack_end[0] = base + 5 * MSS;
    send_seg(&fx, d);
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = base, .ack = RISN + 1, .len = MSS});
    expect_seg(&fx,
               (struct seg){.flags = TCP_ACK, .seq = base + 2 * MSS, .ack = RISN + 1, .len = MSS});
    d.sack_end[0] = base + 6 * MSS;
    send_seg(&fx, d);
    expect_nothing(&fx);
    cr_expect_eq(s->cwnd, s->ssthresh, "RFC 6675: no inflation, cwnd = ssthresh");
    ack_to(s, 6 * MSS);
    cr_expect_not(s->x->in_recovery);
}

Test(tcp_cc, options_timestamps_off_here_ignores_peer_offer)
{
    struct tcp_sock *s = sock_syn_sent(&fx); /* fixture config: timestamps off */
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 1});
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    cr_expect_not(s->ts_ok);
    cr_expect_not(ack.has_ts);
}

Test(tcp_cc, options_sack_off_here_ignores_peer_offer)
{
    fx.th->cfg->sack = false;
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .sack_ok = true});
    drain();
    cr_expect_not(s->sack_ok);
}

Test(tcp_cc, options_listener_answers_only_offered_options)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN, .mss = 1460, .sack_ok = true});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    cr_expect(sa.sack_ok);
    cr_expect_not(sa.has_ts, "the peer did not offer timestamps");
    cr_expect_eq(sa.wscale, -1, "the peer did not offer window scaling");
}

Test(tcp_cc, sack_recovery_starts_when_enough_is_sacked)
{
    struct tcp_sock *s = sock_established_sack();
    tcp_send(s, payload, 5 * MSS);
    drain();
    uint32_t base = s->iss + 1;
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = base,
                               .n_sack = 1,
                               .sack_start = {base + MSS},
                               .sack_end = {base + 4 * MSS}});
    cr_expect(s->x->in_recovery, "3 segments SACKed above the hole after one dup ACK");
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = base, .ack = RISN + 1, .len = MSS});
    drain();
}

static struct tcp_sock *sock_established_ts(uint32_t peer_tsval)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = peer_tsval,
                               .tsecr = 0});
    drain();
    return s;
}

Test(tcp_cc, established_paws_accepts_old_timestamp_after_24_days_idle)
{
    struct tcp_sock *s = sock_established_ts(5000);
    fx_run(&fx, 25 * 24 * 3600 * SIM_SEC);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1,
                               .data = payload,
                               .len = 10,
                               .ts = true,
                               .tsval = 4000});
    cr_expect_eq(tcp_readable(s), 10);
    cr_expect_eq(fx.th->c.drop_paws, 0);
    drain();
}

Test(tcp_cc, timestamps_echo_gives_rtt_sample)
{
    struct tcp_sock *s = sock_established_ts(5000);
    tcp_send(s, payload, 100);
    struct tcp_seg d;
    cr_assert(next_seg(&fx, &d, NULL));
    cr_assert(d.has_ts);
    fx_run(&fx, 300 * SIM_MS);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 101,
                               .ts = true,
                               .tsval = 5001,
                               .tsecr = d.tsval});
    cr_expect_eq(s->srtt, 300 * SIM_MS, "the first RTTM sample after the handshake's");
    drain();
}

/* ---- CUBIC ---- */

Test(tcp_cc, cubic_loss_reduces_to_seven_tenths)
{
    fx.th->cfg->cc = TCP_CC_CUBIC;
    struct tcp_sock *s = sock_established_mss();
    tcp_send(s, payload, 10 * MSS);
    drain();
    for (int i = 0; i < 3; i++)
        ack_to(s, 0);
    cr_expect_eq(s->ssthresh, 7 * MSS, "beta = 0.7 of cwnd 10 segments");
    cr_expect_eq(s->x->cubic_wmax, 10 * MSS);
    drain();
}

Test(tcp_cc, cubic_grows_back_toward_wmax_then_beyond)
{
    fx.th->cfg->cc = TCP_CC_CUBIC;
    struct tcp_sock *s = sock_established_mss();
    s->cwnd = 70 * MSS;
    s->ssthresh = 70 * MSS;
    s->x->cubic_wmax = 100 * MSS;
    s->srtt = 100 * SIM_MS;
    uint32_t at_k = 0, early = 0;
    /* a full segment acknowledged every millisecond for 8 simulated seconds */
    for (int i = 1; i <= 8000; i++) {
        s->cwnd = s->x->cc->cong_avoid(s, MSS, (sim_time)i * SIM_MS);
        if (i == 1000)
            early = s->cwnd;
        if (i == 4100) /* K = cbrt(30 / 0.4) ~ 4.2 s, minus one RTT */
            at_k = s->cwnd;
    }
    cr_expect_gt(early, 80 * MSS, "concave: fast growth right after the reduction");
    cr_expect_geq(at_k, 95 * MSS, "plateau near W_max around K");
    cr_expect_leq(at_k, 101 * MSS);
    cr_expect_gt(s->cwnd, 110 * MSS, "convex growth past W_max");
}

/* RFC 6691: with timestamps on every segment, a full segment carries
 * MSS - 12 bytes of data, so the IP packet stays within the MTU. */
Test(tcp_cc, options_timestamps_reduce_segment_data_to_fit_mss)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_fini(&fx);
    fx_init(&fx, &c);
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = RISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .ts = true,
                               .tsval = 7,
                               .tsecr = 1});
    struct tcp_seg ack;
    cr_assert(next_seg(&fx, &ack, NULL));
    static uint8_t data[4000];
    cr_assert_eq(tcp_send(s, data, sizeof data), sizeof data);
    tcp_output(s, fx.sim.now);
    struct tcp_seg seg;
    uint8_t buf[2048];
    cr_assert(next_seg(&fx, &seg, buf));
    cr_expect_eq(seg.len, 1448);
    cr_expect(seg.has_ts);
}

/* The algorithm is one struct of callbacks, taken from the host's setting
 * when the connection is made. */
Test(tcp_cc, algorithm_comes_from_the_host_config)
{
    struct tcp_sock *reno = sock_established_mss();
    cr_expect_eq(reno->x->cc, &tcp_cc_newreno);
    cr_expect_str_eq(reno->x->cc->name, "newreno");
    fx.th->cfg->cc = TCP_CC_CUBIC;
    struct tcp_sock *cubic = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT + 1, REMOTE_IP,
                                              REMOTE_PORT, "c2", "c2", NULL, NULL, fx.sim.now);
    cr_assert_not_null(cubic);
    cr_expect_eq(cubic->x->cc, &tcp_cc_cubic);
    cr_expect_str_eq(cubic->x->cc->name, "cubic");
    cr_expect_eq(reno->x->cc, &tcp_cc_newreno, "a connection keeps its algorithm");
    drain();
}
