/* Bad input never crashes: random and mangled segments against every kind
 * of socket (run under ASan+UBSan in CI). */
#include "tcp_harness.h"

static struct fixture fx;

static void setup(void)
{
    struct tcp_config c;
    tcp_config_default(&c);
    fx_init(&fx, &c);
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_robust, .init = setup, .fini = teardown);

static void feed_random(struct rng *r, uint32_t rounds)
{
    uint8_t b[1600];
    for (uint32_t i = 0; i < rounds; i++) {
        uint32_t n = (uint32_t)rng_below(r, sizeof(b));
        for (uint32_t k = 0; k < n; k++)
            b[k] = (uint8_t)rng_next(r);
        if (n >= 20) {
            put16(b + 2, LOCAL_PORT); /* reach the sockets */
            put16(b, REMOTE_PORT);
            b[12] = (uint8_t)((b[12] & 0xf0) | 0);
            put16(b + 16, 0);
            put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
        }
        struct tcp_seg seg;
        bool bad;
        if (tcp_parse(&seg, REMOTE_IP, LOCAL_IP, b, n, &bad)) {
            cr_assert_leq(seg.len, n);
            cr_assert_leq(seg.data + seg.len, b + n);
            tcp_input_seg(fx.th, &seg, fx.sim.now);
        }
        frame_queue_clear(&fx.sim.frames, &fx.out);
    }
}

Test(tcp_robust, parser_never_reads_past_the_buffer)
{
    struct rng r;
    rng_seed(&r, 42, "parser");
    uint8_t b[64];
    for (int i = 0; i < 20000; i++) {
        uint32_t n = (uint32_t)rng_below(&r, sizeof(b) + 1);
        for (uint32_t k = 0; k < n; k++)
            b[k] = (uint8_t)rng_next(&r);
        struct tcp_seg seg;
        bool bad;
        if (n >= 20) {
            put16(b + 16, 0);
            put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
        }
        if (tcp_parse(&seg, REMOTE_IP, LOCAL_IP, b, n, &bad))
            cr_assert_leq(seg.data + seg.len, b + n);
    }
}

Test(tcp_robust, listener_survives_random_segments)
{
    struct rng r;
    rng_seed(&r, 1, "listen");
    sock_listen(&fx);
    feed_random(&r, 5000);
}

Test(tcp_robust, established_survives_random_segments)
{
    struct rng r;
    rng_seed(&r, 2, "est");
    struct tcp_sock *s = sock_syn_sent(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_SYN | TCP_ACK,
                               .seq = REMOTE_ISN,
                               .ack = s->iss + 1,
                               .mss = 1460,
                               .sack_ok = true,
                               .wscale = 3});
    static const uint8_t data[3000];
    tcp_send(s, data, sizeof(data));
    feed_random(&r, 5000);
}

Test(tcp_robust, in_window_random_flags_never_crash)
{
    struct rng r;
    rng_seed(&r, 3, "flags");
    struct tcp_sock *s = sock_established(&fx);
    static const uint8_t data[2000];
    tcp_send(s, data, sizeof(data));
    uint32_t iss = s->iss;
    for (int i = 0; i < 3000 && fx.closed == 0; i++) {
        uint8_t flags = (uint8_t)rng_below(&r, 64) & (uint8_t)~TCP_RST;
        uint32_t len = (uint32_t)rng_below(&r, 1500);
        send_seg(&fx, (struct seg){.flags = flags,
                                   .seq = REMOTE_ISN + 1 + (uint32_t)rng_below(&r, 70000),
                                   .ack = iss + (uint32_t)rng_below(&r, 2100),
                                   .data = data,
                                   .len = len,
                                   .wnd = (uint16_t)rng_below(&r, 65536)});
        frame_queue_clear(&fx.sim.frames, &fx.out);
        fx_run(&fx, fx.sim.now + 10 * SIM_MS);
    }
    frame_queue_clear(&fx.sim.frames, &fx.out);
}

/* ---- apps that end a connection from inside a callback ---- */

/* Aborts whichever socket a callback hands it: an app giving up on a
 * connection as soon as it hears of it (tcp_server does this when it has
 * no memory for the connection). */
static void abort_accepted(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    ((struct fixture *)ctx)->accepted++;
    tcp_abort(c);
}
static void abort_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    ((struct fixture *)ctx)->connected++;
    tcp_abort(s);
}
static void abort_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    ((struct fixture *)ctx)->readable++;
    tcp_abort(s);
}
static void abort_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    tcp_abort(s);
}

static const struct tcp_sock_ops aborting_ops = {
    .on_connected = abort_connected,
    .on_accept = abort_accepted,
    .on_readable = abort_readable,
    .on_closed = app_closed,
};

Test(tcp_robust, abort_inside_on_accept_resets_and_frees_the_child)
{
    struct tcp_sock *l = tcp_listen(&fx.host, LOCAL_PORT, 4, "srv", &aborting_ops, &fx);
    cr_assert(l);
    send_seg(&fx, (struct seg){.flags = TCP_SYN, .seq = REMOTE_ISN, .mss = 1460});
    struct tcp_seg sa;
    cr_assert(next_seg(&fx, &sa, NULL));
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = sa.seq + 1});
    cr_expect_eq(fx.accepted, 1);
    expect_seg(&fx,
               (struct seg){.flags = TCP_RST | TCP_ACK, .seq = sa.seq + 1, .ack = REMOTE_ISN + 1});
    expect_nothing(&fx);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
    cr_expect_eq(l->state, TCP_LISTEN);
}

Test(tcp_robust, abort_inside_on_connected_sends_one_reset)
{
    struct tcp_sock *s = tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT,
                                          "cli", "cli", &aborting_ops, &fx, fx.sim.now);
    cr_assert(s);
    struct tcp_seg syn;
    cr_assert(next_seg(&fx, &syn, NULL));
    send_seg(&fx,
             (struct seg){
                 .flags = TCP_SYN | TCP_ACK, .seq = REMOTE_ISN, .ack = syn.seq + 1, .mss = 1460});
    cr_expect_eq(fx.connected, 1);
    cr_expect_eq(fx.closed, 1);
    cr_expect_eq(fx.outcome, TCP_OUTCOME_RESET);
    /* The handshake's ACK goes out before the app hears of it, then the RST. */
    expect_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = syn.seq + 1, .ack = REMOTE_ISN + 1});
    expect_seg(&fx,
               (struct seg){.flags = TCP_RST | TCP_ACK, .seq = syn.seq + 1, .ack = REMOTE_ISN + 1});
    expect_nothing(&fx);
}

Test(tcp_robust, abort_inside_on_readable_frees_the_socket_once)
{
    struct tcp_sock *s = sock_established(&fx);
    s->ops = &aborting_ops;
    uint8_t data[100] = {0};
    send_seg(&fx, (struct seg){.flags = TCP_ACK | TCP_PSH,
                               .seq = REMOTE_ISN + 1,
                               .ack = s->iss + 1,
                               .data = data,
                               .len = sizeof data});
    cr_expect_eq(fx.readable, 1);
    cr_expect_eq(fx.closed, 1);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}

Test(tcp_robust, abort_inside_on_writable_frees_the_socket_once)
{
    static const struct tcp_sock_ops ops = {.on_writable = abort_writable, .on_closed = app_closed};
    struct tcp_sock *s = sock_established(&fx);
    uint8_t data[3000] = {0};
    cr_assert_eq(tcp_send(s, data, sizeof data), sizeof data);
    struct tcp_seg seg;
    uint32_t sent = 0;
    while (next_seg(&fx, &seg, NULL))
        sent += seg.len;
    cr_assert_gt(sent, 0);
    s->ops = &ops;
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 1 + sent});
    cr_expect_eq(fx.closed, 1);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT));
}
