/* The state x segment matrix of RFC 9293 §3.10.7 with RFC 5961: every state
 * against SYN, SYN-ACK, ACK, data, FIN, RST and out-of-window segments where
 * test_tcp_state.c does not already cover the pair.  One behaviour each. */
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

TestSuite(tcp_matrix, .init = setup, .fini = teardown);

#define RISN REMOTE_ISN
#define FAR  10000000u /* far outside any window */

static const uint8_t abc[] = "abc";

/* The challenge or duplicate ACK a synchronized socket answers with. */
static void expect_ack(struct tcp_sock *s, uint32_t ack)
{
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->snd_nxt, .ack = ack});
}

/* ---- CLOSED (§3.10.7.1) ---- */

Test(tcp_matrix, closed_data_without_ack_gets_rst_ack_covering_data)
{
    send_seg(&fx, (struct seg){.flags = TCP_PSH, .seq = RISN, .data = abc, .len = 3});
    expect_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = RISN + 3});
}

Test(tcp_matrix, closed_fin_gets_rst_ack_counting_the_fin)
{
    send_seg(&fx, (struct seg){.flags = TCP_FIN, .seq = RISN});
    expect_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = RISN + 1});
}

Test(tcp_matrix, closed_syn_ack_gets_rst_at_its_ack)
{
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = 4242});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = 4242});
}

/* ---- LISTEN (§3.10.7.2) ---- */

Test(tcp_matrix, listen_syn_ack_gets_rst)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = 5555});
    expect_seg(&fx, (struct seg){.flags = TCP_RST, .seq = 5555});
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}

Test(tcp_matrix, listen_data_without_ack_is_dropped)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_PSH, .seq = RISN, .data = abc, .len = 3});
    expect_nothing(&fx);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}

Test(tcp_matrix, listen_fin_without_ack_is_dropped)
{
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN, .seq = RISN});
    expect_nothing(&fx);
}

/* RFC 5961 / RFC 4987: a SYN flood fills the backlog, the excess is dropped,
 * and a legitimate client gets in once the flood's children time out. */
Test(tcp_matrix, listen_syn_flood_fills_backlog_then_legit_client_succeeds)
{
    fx.th->cfg->synack_retries = 1;
    struct tcp_sock *l = sock_listen(&fx); /* backlog 4 */
    for (uint16_t p = 1; p <= 8; p++)
        send_seg_from(&fx, (uint16_t)(30000 + p), (struct seg){.flags = TCP_SYN, .seq = p * 1000});
    cr_expect_eq(fx.out.len, 4, "one SYN,ACK per child that fits");
    cr_expect_eq(fx.th->c.drop_backlog_full, 4);
    cr_expect_eq(l->x->n_children, 4);
    drop_output(&fx);
    send_seg_from(&fx, 40000, (struct seg){.flags = TCP_SYN, .seq = RISN});
    expect_nothing(&fx);
    fx_run(&fx, 3 * SIM_SEC); /* 1 s + 2 s: the spoofed children give up */
    cr_expect_eq(l->x->n_children, 0);
    cr_expect_eq(fx.closed, 0, "embryonic children are never reported");
    drop_output(&fx);
    send_seg_from(&fx, 40000, (struct seg){.flags = TCP_SYN, .seq = RISN});
    struct tcp_sock *c = tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 40000);
    cr_assert(c, "room again: the SYN makes a child");
    expect_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = c->iss, .ack = RISN + 1});
    send_seg_from(&fx, 40000, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    cr_expect_eq(fx.accepted, 1);
    cr_expect_eq(c->state, TCP_ESTABLISHED);
}

/* ---- SYN_SENT (§3.10.7.3) ---- */

Test(tcp_matrix, syn_sent_rst_without_ack_is_ignored)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN});
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_SYN_SENT);
}

Test(tcp_matrix, syn_sent_rst_with_unacceptable_ack_is_ignored)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST | TCP_ACK, .seq = RISN, .ack = s->iss + 5});
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_SYN_SENT);
}

Test(tcp_matrix, syn_sent_ack_without_syn_is_dropped)
{
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN, .ack = s->iss + 1});
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_SYN_SENT);
}

/* ---- SYN_RCVD, passive ---- */

Test(tcp_matrix, syn_rcvd_rst_in_window_not_exact_gets_challenge_ack)
{
    struct tcp_sock *c = to_syn_rcvd(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 5});
    expect_ack(c, RISN + 1);
    cr_expect_eq(c->state, TCP_SYN_RCVD);
}

Test(tcp_matrix, syn_rcvd_fin_with_ack_establishes_then_close_wait)
{
    struct tcp_sock *c = to_syn_rcvd(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = c->iss + 1});
    expect_ack(c, RISN + 2);
    cr_expect_eq(fx.accepted, 1);
    cr_expect_eq(c->state, TCP_CLOSE_WAIT);
}

Test(tcp_matrix, syn_rcvd_out_of_window_gets_ack)
{
    struct tcp_sock *c = to_syn_rcvd(&fx);
    send_seg(
        &fx,
        (struct seg){
            .flags = TCP_ACK, .seq = RISN + 1 + FAR, .ack = c->iss + 1, .data = abc, .len = 3});
    expect_ack(c, RISN + 1);
    cr_expect_eq(c->state, TCP_SYN_RCVD);
}

/* Project decision (tcp_priv.h): a SYN other than the retransmitted one gets
 * a challenge ACK (RFC 5961 §4.2) rather than dropping the child. */
Test(tcp_matrix, syn_rcvd_different_syn_gets_challenge_ack)
{
    struct tcp_sock *c = to_syn_rcvd(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 7});
    expect_ack(c, RISN + 1);
    cr_expect_eq(c->state, TCP_SYN_RCVD);
    cr_expect_eq(fx.th->c.challenge_acks, 1);
}

Test(tcp_matrix, syn_rcvd_synack_retries_exhausted_discards_child)
{
    fx.th->cfg->synack_retries = 2;
    struct tcp_sock *c = to_syn_rcvd(&fx);
    struct tcp_sock *l = c->x->listener;
    fx_run(&fx, 7 * SIM_SEC - 1); /* SYN,ACK again at 1 s and 3 s */
    cr_expect_eq(fx.out.len, 2);
    cr_expect_eq(c->state, TCP_SYN_RCVD);
    fx_run(&fx, 7 * SIM_SEC);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
    cr_expect_eq(l->state, TCP_LISTEN);
    cr_expect_eq(l->x->n_children, 0);
    cr_expect_eq(fx.closed, 0);
    drop_output(&fx);
}

/* ---- SYN_RCVD, simultaneous open ---- */

Test(tcp_matrix, syn_rcvd_active_ack_establishes)
{
    struct tcp_sock *s = to_syn_rcvd_active(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    cr_expect_eq(s->state, TCP_ESTABLISHED);
    cr_expect_eq(fx.connected, 1);
}

Test(tcp_matrix, syn_rcvd_active_rst_is_refused)
{
    to_syn_rcvd_active(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_REFUSED);
}

/* The peer's SYN,ACK (it also saw crossing SYNs) sits below RCV.NXT: it is
 * answered with an ACK, which completes the peer's side (RFC 9293 fig. 8). */
Test(tcp_matrix, syn_rcvd_active_syn_ack_gets_ack)
{
    struct tcp_sock *s = to_syn_rcvd_active(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1});
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = RISN + 1});
}

/* ---- ESTABLISHED ---- */

Test(tcp_matrix, established_rst_out_of_window_is_ignored)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1 + FAR});
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_ESTABLISHED);
}

Test(tcp_matrix, established_syn_out_of_window_gets_challenge_ack)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN - 5000});
    expect_ack(s, RISN + 1);
    cr_expect_eq(fx.th->c.challenge_acks, 1, "RFC 5961 §4.2: whatever the sequence number");
    cr_expect_eq(s->state, TCP_ESTABLISHED);
}

Test(tcp_matrix, established_syn_ack_gets_challenge_ack)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = RISN, .ack = s->iss + 1});
    expect_ack(s, RISN + 1);
    cr_expect_eq(fx.th->c.challenge_acks, 1);
}

Test(tcp_matrix, established_ack_above_snd_nxt_gets_challenge_ack_and_drops_data)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 100, .data = abc, .len = 3});
    expect_ack(s, RISN + 1);
    cr_expect_eq(tcp_readable(s), 0);
    cr_expect_eq(fx.th->c.challenge_acks, 1, "RFC 5961 §5.2");
}

Test(tcp_matrix, established_ack_below_max_window_gets_challenge_ack_and_drops_data)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 1,
                               .ack = s->iss + 1 - 70000, /* peer window: 65535 */
                               .data = abc,
                               .len = 3});
    expect_ack(s, RISN + 1);
    cr_expect_eq(tcp_readable(s), 0);
    cr_expect_eq(fx.th->c.drop_bad_ack, 1);
}

Test(tcp_matrix, established_old_ack_within_max_window_is_accepted)
{
    struct tcp_sock *s = sock_established(&fx);
    tcp_send(s, abc, 3);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 4});
    send_seg(&fx, (struct seg){
                      .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = abc, .len = 3});
    cr_expect_eq(tcp_readable(s), 3);
    cr_expect_eq(fx.th->c.challenge_acks, 0);
}

Test(tcp_matrix, established_segment_without_ack_is_dropped)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_PSH, .seq = RISN + 1, .data = abc, .len = 3});
    expect_nothing(&fx);
    cr_expect_eq(tcp_readable(s), 0);
}

Test(tcp_matrix, established_segment_filling_a_hole_is_acked_at_once)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = RISN + 4,
                               .ack = s->iss + 1,
                               .data = (const uint8_t *)"def",
                               .len = 3});
    expect_ack(s, RISN + 1); /* out of order: at once (RFC 5681 §4.2) */
    send_seg(&fx, (struct seg){
                      .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = abc, .len = 3});
    expect_ack(s, RISN + 7); /* fills the hole: at once, no delayed-ACK wait */
}

/* A peer that restarted (half-open connection, RFC 9293 §3.5.2): its new SYN
 * draws a challenge ACK, its RST in answer (SEQ = our ACK) resets us. */
Test(tcp_matrix, established_half_open_peer_syn_then_rst_resets)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = 777777});
    struct tcp_seg ch =
        expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = s->snd_nxt, .ack = RISN + 1});
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = ch.ack});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

/* RFC 9293 §3.8.5 / RFC 6093: urgent data is delivered inline; the pointer
 * is ignored. */
Test(tcp_matrix, established_urgent_data_is_delivered_inline)
{
    struct tcp_sock *s = sock_established(&fx);
    uint8_t b[64];
    struct seg u = {.flags = TCP_ACK | TCP_URG | TCP_PSH,
                    .seq = RISN + 1,
                    .ack = s->iss + 1,
                    .data = (const uint8_t *)"hello",
                    .len = 5};
    uint32_t n = seg_build(b, &u);
    put16(b + 18, 2); /* urgent pointer */
    put16(b + 16, 0);
    put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
    struct tcp_seg p;
    bool bad;
    cr_assert(tcp_parse(&p, REMOTE_IP, LOCAL_IP, b, n, &bad));
    tcp_input_seg(fx.th, &p, fx.sim.now);
    uint8_t got[8];
    cr_assert_eq(tcp_recv(s, got, sizeof(got)), 5);
    cr_expect_arr_eq(got, "hello", 5);
}

/* ---- FIN_WAIT_1 ---- */

Test(tcp_matrix, fin_wait_1_data_is_delivered)
{
    struct tcp_sock *s = to_fin_wait_1(&fx);
    send_seg(&fx, (struct seg){
                      .flags = TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1, .data = abc, .len = 3});
    cr_expect_eq(tcp_readable(s), 3);
}

Test(tcp_matrix, fin_wait_1_rst_resets)
{
    to_fin_wait_1(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

Test(tcp_matrix, fin_wait_1_syn_gets_challenge_ack)
{
    struct tcp_sock *s = to_fin_wait_1(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 9});
    expect_ack(s, RISN + 1);
    cr_expect_eq(s->state, TCP_FIN_WAIT_1);
}

Test(tcp_matrix, fin_wait_1_out_of_window_gets_ack)
{
    struct tcp_sock *s = to_fin_wait_1(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + FAR, .ack = s->iss + 1, .data = abc, .len = 3});
    expect_ack(s, RISN + 1);
}

Test(tcp_matrix, fin_wait_1_fin_retries_exhausted_times_out)
{
    fx.th->cfg->retries2 = 2;
    to_fin_wait_1(&fx);
    fx_run(&fx, 7 * SIM_SEC - 1); /* FIN again at 1 s and 3 s */
    cr_expect_eq(fx.out.len, 2);
    cr_expect_eq(fx.closed, 0);
    fx_run(&fx, 7 * SIM_SEC);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_TIMEOUT);
    drop_output(&fx);
}

/* ---- FIN_WAIT_2 ---- */

Test(tcp_matrix, fin_wait_2_rst_resets)
{
    to_fin_wait_2(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 1});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

Test(tcp_matrix, fin_wait_2_syn_gets_challenge_ack)
{
    struct tcp_sock *s = to_fin_wait_2(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 9});
    expect_ack(s, RISN + 1);
    cr_expect_eq(s->state, TCP_FIN_WAIT_2);
}

Test(tcp_matrix, fin_wait_2_out_of_window_gets_ack)
{
    struct tcp_sock *s = to_fin_wait_2(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + FAR, .ack = s->iss + 2, .data = abc, .len = 3});
    expect_ack(s, RISN + 1);
}

/* ---- CLOSE_WAIT ---- */

Test(tcp_matrix, close_wait_data_after_fin_is_ignored)
{
    struct tcp_sock *s = to_close_wait(&fx);
    send_seg(&fx, (struct seg){
                      .flags = TCP_ACK, .seq = RISN + 2, .ack = s->iss + 1, .data = abc, .len = 3});
    cr_expect_eq(tcp_readable(s), 0);
    cr_expect_eq(s->rcv_nxt, RISN + 2);
}

Test(tcp_matrix, close_wait_retransmitted_fin_is_acked)
{
    struct tcp_sock *s = to_close_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_CLOSE_WAIT);
}

Test(tcp_matrix, close_wait_rst_resets)
{
    to_close_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 2});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
}

Test(tcp_matrix, close_wait_syn_gets_challenge_ack)
{
    struct tcp_sock *s = to_close_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 9});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_CLOSE_WAIT);
}

/* ---- CLOSING ---- */

Test(tcp_matrix, closing_rst_closes)
{
    to_closing(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 2});
    cr_expect_eq(fx.closed, 1);
}

Test(tcp_matrix, closing_retransmitted_fin_is_acked)
{
    struct tcp_sock *s = to_closing(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_CLOSING);
}

Test(tcp_matrix, closing_fin_is_retransmitted_after_rto)
{
    struct tcp_sock *s = to_closing(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
}

Test(tcp_matrix, closing_syn_gets_challenge_ack)
{
    struct tcp_sock *s = to_closing(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 9});
    expect_ack(s, RISN + 2);
}

/* ---- LAST_ACK ---- */

Test(tcp_matrix, last_ack_fin_is_retransmitted_after_rto)
{
    struct tcp_sock *s = to_last_ack(&fx);
    fx_run(&fx, 1 * SIM_SEC);
    expect_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = RISN + 2});
}

Test(tcp_matrix, last_ack_fin_retries_exhausted_times_out)
{
    fx.th->cfg->retries2 = 2;
    to_last_ack(&fx);
    fx_run(&fx, 7 * SIM_SEC);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_TIMEOUT);
    drop_output(&fx);
}

Test(tcp_matrix, last_ack_rst_closes)
{
    to_last_ack(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 2});
    cr_expect_eq(fx.closed, 1);
}

Test(tcp_matrix, last_ack_retransmitted_fin_is_acked)
{
    struct tcp_sock *s = to_last_ack(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 1});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_LAST_ACK);
}

Test(tcp_matrix, last_ack_syn_gets_challenge_ack)
{
    struct tcp_sock *s = to_last_ack(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 9});
    expect_ack(s, RISN + 2);
}

/* ---- TIME_WAIT ---- */

Test(tcp_matrix, time_wait_retransmitted_fin_restarts_two_msl)
{
    struct tcp_sock *s = to_time_wait(&fx); /* at t = 0: ends at 4 min */
    fx_run(&fx, 1 * SIM_MIN);
    send_seg(&fx, (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = RISN + 1, .ack = s->iss + 2});
    expect_ack(s, RISN + 2);
    fx_run(&fx, 5 * SIM_MIN - 1);
    cr_expect_eq(fx.closed, 0, "the 2*MSL timer restarted at 1 min");
    fx_run(&fx, 5 * SIM_MIN);
    cr_expect_eq(fx.closed, 1);
}

/* Linux (tcp_rfc1337 = 0) and RFC 9293: a RST ends TIME_WAIT; the connection
 * had closed normally, so the outcome stays `established`. */
Test(tcp_matrix, time_wait_rst_ends_it_early)
{
    to_time_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_RST, .seq = RISN + 2});
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
}

Test(tcp_matrix, time_wait_old_syn_gets_ack)
{
    struct tcp_sock *s = to_time_wait(&fx);
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_matrix, time_wait_newer_syn_opens_a_new_connection)
{
    struct tcp_sock *s = to_time_wait(&fx);
    uint32_t old_nxt = s->snd_nxt;
    sock_listen(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 100000});
    cr_expect_eq(fx.closed, 1, "the TIME_WAIT connection is gone");
    cr_expect_eq(fx.outcome, TCP_OUTCOME_ESTABLISHED);
    expect_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                                 .seq = old_nxt + 65537, /* Linux: tw_snd_nxt + 65535 + 2 */
                                 .ack = RISN + 100001});
    struct tcp_sock *c = tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
    cr_assert(c);
    cr_expect_eq(c->state, TCP_SYN_RCVD);
}

Test(tcp_matrix, time_wait_newer_syn_without_listener_gets_ack)
{
    struct tcp_sock *s = to_time_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = RISN + 100000});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_matrix, time_wait_out_of_window_gets_ack)
{
    struct tcp_sock *s = to_time_wait(&fx);
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_ACK, .seq = RISN + FAR, .ack = s->iss + 2, .data = abc, .len = 3});
    expect_ack(s, RISN + 2);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}

Test(tcp_matrix, time_wait_ack_is_ignored)
{
    struct tcp_sock *s = to_time_wait(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = RISN + 2, .ack = s->iss + 2});
    expect_nothing(&fx);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
}
