/* End to end: two hosts whose TCPs talk through a simulated path (fixed
 * delay, optional random loss), without the IP layer. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "sim/sim.h"
#include "stack/tcp/tcp_priv.h"

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u

struct retx_counter {
    struct trace_sink sink;
    uint64_t rto, fast, sack;
};

static void count_retx(struct trace_sink *sk, const struct trace_event *e)
{
    struct retx_counter *c = (struct retx_counter *)sk;
    if (strcmp(e->cause, "rto") == 0)
        c->rto++;
    else if (strcmp(e->cause, "fast") == 0)
        c->fast++;
    else if (strcmp(e->cause, "sack") == 0)
        c->sack++;
}

struct pair {
    struct host hosts[2]; /* index 0 = a, 1 = b */
    struct sim sim;
    struct tcp_host *th[2];
    sim_time delay;
    rng_prob loss;
    struct rng loss_rng;
    uint64_t dropped;
    /* the transfer */
    uint32_t total, sent, received;
    bool intact, client_closed_called;
    int closed[2];
    enum tcp_outcome outcome[2];
    struct tcp_sock *client, *server;
};

static uint8_t pattern_byte(uint32_t i)
{
    return (uint8_t)(i * 7 + (i >> 8));
}

static struct pair *pair_of(struct host *h)
{
    return (struct pair *)((char *)(h - h->index) - offsetof(struct pair, hosts));
}

static void path_deliver(void *ctx, sim_time now)
{
    struct frame *f = ctx;
    struct tcp_host *dst = f->holder;
    uint32_t src_ip = dst->h->index == 0 ? B_IP : A_IP;
    uint32_t dst_ip = dst->h->index == 0 ? A_IP : B_IP;
    struct tcp_seg seg;
    bool bad;
    bool ok = tcp_parse(&seg, src_ip, dst_ip, f->data + IP4_L4_OFF, f->len - IP4_L4_OFF, &bad);
    cr_assert(ok, "unparsable segment on the path");
    tcp_input_seg(dst, &seg, now);
    frame_free(&pair_of(dst->h)->sim.frames, f);
}

/* Owns the frame: frees it on loss, or after delivery. */
static enum ip4_send_result path_send(struct host *h, struct frame *f, uint32_t src, uint32_t dst,
                                      uint8_t proto, const struct ip4_send_opts *o)
{
    (void)src, (void)dst, (void)proto, (void)o;
    struct pair *p = pair_of(h);
    if (rng_hit(&p->loss_rng, p->loss)) {
        p->dropped++;
        frame_free(&p->sim.frames, f);
        return IP4_SENT;
    }
    f->holder = p->th[1 - h->index];
    sim_timer_init(&f->timer, path_deliver, f);
    sim_timer_arm(&p->sim, &f->timer, p->sim.now + p->delay);
    return IP4_SENT;
}

static void pair_init(struct pair *p, double loss)
{
    memset(p, 0, sizeof(*p));
    sim_init(&p->sim, 7);
    const char *names[2] = {"a", "b"};
    struct tcp_config c;
    tcp_config_default(&c);
    for (uint32_t i = 0; i < 2; i++) {
        p->hosts[i] = (struct host){.sim = &p->sim,
                                    .bus = &p->sim.bus,
                                    .frames = &p->sim.frames,
                                    .name = (char *)names[i],
                                    .index = i};
        rng_seed(&p->hosts[i].rng, 7, names[i]);
        p->th[i] = tcp_host_new(&p->hosts[i], &c, path_send);
    }
    p->delay = 10 * SIM_MS;
    p->loss = rng_prob_from(loss);
    rng_seed(&p->loss_rng, 7, "loss");
    p->intact = true;
}

static void pair_fini(struct pair *p)
{
    for (int i = 0; i < 2; i++)
        tcp_host_free(p->th[i]);
    sim_destroy(&p->sim); /* frames still in flight go back with the pool */
}

/* ---- a bulk sender and a checking receiver ---- */

static void client_push(struct pair *p, struct tcp_sock *s)
{
    uint8_t buf[4096];
    while (p->sent < p->total) {
        uint32_t n = p->total - p->sent < sizeof(buf) ? p->total - p->sent : sizeof(buf);
        for (uint32_t i = 0; i < n; i++)
            buf[i] = pattern_byte(p->sent + i);
        uint32_t put = tcp_send(s, buf, n);
        p->sent += put;
        if (put < n)
            return;
    }
    if (!p->client_closed_called) {
        p->client_closed_called = true;
        tcp_close(s);
    }
}

static void cli_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    client_push(ctx, s);
}
static void cli_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    client_push(ctx, s);
}
static void on_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)now;
    struct pair *p = ctx;
    int i = s->th == p->th[0] ? 0 : 1;
    p->closed[i]++;
    p->outcome[i] = o;
}
static void srv_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    struct pair *p = ctx;
    uint8_t buf[8192];
    uint32_t n;
    while ((n = tcp_recv(s, buf, sizeof(buf))) > 0) {
        for (uint32_t i = 0; i < n; i++)
            if (buf[i] != pattern_byte(p->received + i))
                p->intact = false;
        p->received += n;
    }
}
static void srv_peer_closed(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    tcp_close(s);
}
static void srv_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    ((struct pair *)ctx)->server = c;
}

static const struct tcp_sock_ops cli_ops = {
    .on_connected = cli_connected, .on_writable = cli_writable, .on_closed = on_closed};
static const struct tcp_sock_ops srv_ops = {.on_accept = srv_accept,
                                            .on_readable = srv_readable,
                                            .on_peer_closed = srv_peer_closed,
                                            .on_closed = on_closed};

static void run_transfer(struct pair *p, uint32_t bytes)
{
    p->total = bytes;
    cr_assert(tcp_listen(&p->hosts[1], 80, 0, "srv", &srv_ops, p));
    p->client = tcp_connect_from(p->th[0], A_IP, 40000, B_IP, 80, "cli", "cli", &cli_ops, p, 0);
    cr_assert(p->client);
    sim_run(&p->sim, 30 * SIM_MIN);
}

Test(tcp_e2e, transfer_1mb_intact)
{
    struct pair p;
    pair_init(&p, 0);
    run_transfer(&p, 1 << 20);
    cr_expect_eq(p.received, 1u << 20);
    cr_expect(p.intact);
    cr_expect_eq(p.closed[0], 1);
    cr_expect_eq(p.closed[1], 1);
    cr_expect_eq(p.outcome[0], TCP_OUTCOME_ESTABLISHED);
    cr_expect_eq(p.outcome[1], TCP_OUTCOME_ESTABLISHED);
    pair_fini(&p);
}

/* 4 MiB so that some windows lose more than one segment (SACK repairs the
 * later holes) whatever the ACK timing. */
Test(tcp_e2e, transfer_over_2pct_loss_intact)
{
    struct pair p;
    pair_init(&p, 0.02);
    struct retx_counter rc = {.sink = {.event = count_retx, .mask = TRACE_MASK(TRACE_RETX)}};
    trace_bus_add_sink(&p.sim.bus, &rc.sink);
    run_transfer(&p, 4u << 20);
    cr_log_info("fast %llu sack %llu rto %llu dropped %llu", (unsigned long long)rc.fast,
                (unsigned long long)rc.sack, (unsigned long long)rc.rto,
                (unsigned long long)p.dropped);
    cr_expect_gt(rc.fast, 0, "losses are repaired by fast retransmit");
    cr_expect_gt(rc.sack, 0, "and by SACK-driven retransmissions");
    cr_expect_gt(p.dropped, 0);
    cr_expect_eq(p.received, 4u << 20);
    cr_expect(p.intact);
    cr_expect_eq(p.outcome[0], TCP_OUTCOME_ESTABLISHED);
    cr_expect_eq(p.outcome[1], TCP_OUTCOME_ESTABLISHED);
    pair_fini(&p);
}

Test(tcp_e2e, transfer_over_5pct_loss_intact)
{
    struct pair p;
    pair_init(&p, 0.05);
    run_transfer(&p, 256 * 1024);
    cr_expect_eq(p.received, 256u * 1024);
    cr_expect(p.intact);
    pair_fini(&p);
}

static void idle_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)s, (void)now;
}
static const struct tcp_sock_ops idle_ops = {
    .on_connected = idle_connected, .on_accept = srv_accept, .on_closed = on_closed};

Test(tcp_e2e, transfer_without_sack_uses_newreno)
{
    struct pair p;
    pair_init(&p, 0.01);
    p.th[0]->cfg->sack = false;
    run_transfer(&p, 512 * 1024);
    cr_expect_eq(p.received, 512u * 1024);
    cr_expect(p.intact);
    pair_fini(&p);
}

Test(tcp_e2e, transfer_with_cubic_over_loss_intact)
{
    struct pair p;
    pair_init(&p, 0.01);
    p.th[0]->cfg->cc = TCP_CC_CUBIC;
    run_transfer(&p, 1 << 20);
    cr_expect_eq(p.received, 1u << 20);
    cr_expect(p.intact);
    cr_expect_eq(p.outcome[0], TCP_OUTCOME_ESTABLISHED);
    pair_fini(&p);
}

Test(tcp_e2e, transfer_is_deterministic)
{
    uint64_t segs[2];
    for (int i = 0; i < 2; i++) {
        struct pair p;
        pair_init(&p, 0.02);
        run_transfer(&p, 256 * 1024);
        segs[i] = p.th[0]->c.segs_out * 1000003 + p.th[1]->c.segs_out + p.dropped;
        pair_fini(&p);
    }
    cr_expect_eq(segs[0], segs[1]);
}

Test(tcp_e2e, simultaneous_close_goes_through_closing)
{
    struct pair p;
    pair_init(&p, 0);
    cr_assert(tcp_listen(&p.hosts[1], 80, 0, "srv", &idle_ops, &p));
    p.client = tcp_connect_from(p.th[0], A_IP, 40000, B_IP, 80, "cli", "cli", &idle_ops, &p, 0);
    sim_run(&p.sim, 1 * SIM_SEC);
    cr_assert(p.server);
    cr_assert_eq(p.client->state, TCP_ESTABLISHED);
    struct tcp_sock *c = p.client, *s = p.server;
    tcp_close(c);
    tcp_close(s);
    sim_run(&p.sim, 1 * SIM_SEC + 15 * SIM_MS);
    cr_expect_eq(c->state, TCP_CLOSING);
    cr_expect_eq(s->state, TCP_CLOSING);
    sim_run(&p.sim, 2 * SIM_SEC);
    cr_expect_eq(c->state, TCP_TIME_WAIT);
    cr_expect_eq(s->state, TCP_TIME_WAIT);
    sim_run(&p.sim, 10 * SIM_MIN);
    cr_expect_eq(p.closed[0], 1);
    cr_expect_eq(p.closed[1], 1);
    pair_fini(&p);
}

Test(tcp_e2e, simultaneous_open_establishes_both)
{
    struct pair p;
    pair_init(&p, 0);
    struct tcp_sock *a =
        tcp_connect_from(p.th[0], A_IP, 5000, B_IP, 6000, "a", "a", &idle_ops, &p, 0);
    struct tcp_sock *b =
        tcp_connect_from(p.th[1], B_IP, 6000, A_IP, 5000, "b", "b", &idle_ops, &p, 0);
    sim_run(&p.sim, 5 * SIM_SEC);
    cr_expect_eq(a->state, TCP_ESTABLISHED);
    cr_expect_eq(b->state, TCP_ESTABLISHED);
    pair_fini(&p);
}

/* fuzz/crashes/fuzz_frames-ack-loop-out-of-window: a forged segment from "b"
 * carrying sequence space b never sent moves a's RCV.NXT past b's SND.NXT.
 * b answers a's ACK (of unsent data) with a challenge ACK, a answers b's
 * (now below RCV.NXT) with a duplicate ACK, and so on every round trip,
 * unless the answers are rate limited per socket (RFC 5961 §7). */
Test(tcp_e2e, forged_segment_does_not_start_an_endless_ack_exchange)
{
    struct pair p;
    pair_init(&p, 0);
    cr_assert(tcp_listen(&p.hosts[1], 80, 0, "srv", &idle_ops, &p));
    p.client = tcp_connect_from(p.th[0], A_IP, 40000, B_IP, 80, "cli", "cli", &idle_ops, &p, 0);
    sim_run(&p.sim, 1 * SIM_SEC);
    cr_assert(p.server);
    static const uint8_t junk[100];
    struct tcp_seg forged = {.src = B_IP,
                             .dst = A_IP,
                             .sport = 80,
                             .dport = 40000,
                             .seq = p.server->snd_nxt,
                             .ack = p.client->snd_nxt,
                             .flags = TCP_ACK | TCP_PSH,
                             .wnd = 65535,
                             .data = junk,
                             .len = sizeof(junk),
                             .wscale = -1};
    tcp_input_seg(p.th[0], &forged, p.sim.now);
    cr_assert_eq(p.client->rcv_nxt, p.server->snd_nxt + sizeof(junk), "the forgery was taken");
    uint64_t before = p.th[0]->c.segs_out + p.th[1]->c.segs_out;
    sim_run(&p.sim, 11 * SIM_SEC);
    uint64_t answers = p.th[0]->c.segs_out + p.th[1]->c.segs_out - before;
    /* 10 s at a 20 ms round trip: ~1000 segments if nothing stops it */
    cr_expect_leq(answers, 6, "%llu segments exchanged after the forgery",
                  (unsigned long long)answers);
    cr_expect_eq(p.client->state, TCP_ESTABLISHED);
    cr_expect_eq(p.server->state, TCP_ESTABLISHED);
    pair_fini(&p);
}

/* ---- real hosts over sim/link.c ---- */

#include "tcp_world.h"

/* Sanitizers slow the simulation down about tenfold: the bulk test moves
 * 32 MB there (enough for slow start to cost under 10%) and 100 MB
 * otherwise, checking the same rate. */
#if defined(__SANITIZE_ADDRESS__)
#define BULK_BYTES (32u << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BULK_BYTES (32u << 20)
#endif
#endif
#ifndef BULK_BYTES
#define BULK_BYTES (100u << 20)
#endif

#define MBPS (1000u * 1000u)

/* Goodput in kbit/s of `bytes` delivered in `t`. */
static uint64_t kbps(uint64_t bytes, sim_time t)
{
    return t > 0 ? bytes * 8 * (uint64_t)SIM_SEC / (uint64_t)t / 1000 : 0;
}

Test(tcp_e2e, bulk_100mb_over_100mbps_10ms_near_line_rate)
{
    static struct tw_world w;
    tw_init(&w);
    struct tcp_config c;
    tcp_config_default(&c);
    /* a window above the 250 KB bandwidth-delay product */
    c.sndbuf = c.rcvbuf = 1u << 20;
    struct host *a = tw_host(&w, "a", false, &c);
    struct host *b = tw_host(&w, "b", false, &c);
    tw_link(&w, "wire", host_add_iface(a, "wire", TW_IP(10, 0, 0, 1), 24),
            host_add_iface(b, "wire", TW_IP(10, 0, 0, 2), 24), 10 * SIM_MS, 100 * MBPS, 1000);
    struct tw_flow *f = tw_start_flow(&w, a, b, TW_IP(10, 0, 0, 2), BULK_BYTES);
    sim_run(&w.sim, 60 * SIM_SEC);
    cr_expect_eq(f->received, BULK_BYTES);
    cr_expect(f->intact);
    uint64_t rate = kbps(f->received, f->last_byte);
    cr_log_info("bulk: %u MB, goodput %llu kbit/s", BULK_BYTES >> 20, (unsigned long long)rate);
    cr_expect_geq(rate, 90000, "goodput %llu kbit/s from the connect to the last byte",
                  (unsigned long long)rate);
    cr_expect_leq(rate, 100000);
    tw_fini(&w);
}

/* s0..s9 -- r1 == 20 Mbps, 10 ms == r2 -- d: ten NewReno flows with the same
 * RTT share the bottleneck; Jain's index over their goodputs. */
Test(tcp_e2e, dumbbell_ten_flows_share_bottleneck_fairly)
{
    static struct tw_world w;
    tw_init(&w);
    struct tcp_config c;
    tcp_config_default(&c);
    struct host *r1 = tw_host(&w, "r1", true, &c);
    struct host *r2 = tw_host(&w, "r2", true, &c);
    struct host *d = tw_host(&w, "d", false, &c);
    tw_link(&w, "neck", host_add_iface(r1, "neck", TW_IP(10, 0, 0, 1), 24),
            host_add_iface(r2, "neck", TW_IP(10, 0, 0, 2), 24), 10 * SIM_MS, 20 * MBPS, 50);
    tw_link(&w, "dl", host_add_iface(r2, "dl", TW_IP(10, 2, 0, 254), 24),
            host_add_iface(d, "dl", TW_IP(10, 2, 0, 1), 24), 1 * SIM_MS, 1000 * MBPS, 1000);
    cr_assert(host_add_route(r1, TW_IP(10, 2, 0, 0), 24, TW_IP(10, 0, 0, 2)));
    cr_assert(host_add_route(r2, TW_IP(10, 1, 0, 0), 16, TW_IP(10, 0, 0, 1)));
    cr_assert(host_add_route(d, 0, 0, TW_IP(10, 2, 0, 254)));
    struct host *s[10];
    for (uint32_t k = 0; k < 10; k++) {
        char name[8], ln[8];
        snprintf(name, sizeof(name), "s%u", k);
        snprintf(ln, sizeof(ln), "a%u", k);
        s[k] = tw_host(&w, name, false, &c);
        /* A little jitter on the access links breaks the phase effects that a
         * drop-tail queue shows with perfectly periodic senders (Floyd and
         * Jacobson, 1992), as real hosts' processing times do. */
        tw_link_jitter(&w, ln, host_add_iface(s[k], ln, TW_IP(10, 1, k, 1), 24),
                       host_add_iface(r1, ln, TW_IP(10, 1, k, 254), 24), 1 * SIM_MS, 1000 * MBPS,
                       1000, 200 * SIM_US);
        cr_assert(host_add_route(s[k], 0, 0, TW_IP(10, 1, k, 254)));
    }
    for (uint32_t k = 0; k < 10; k++)
        tw_start_flow(&w, s[k], d, TW_IP(10, 2, 0, 1), 1ull << 40);
    sim_run(&w.sim, 20 * SIM_SEC);
    uint64_t got[10], sum = 0;
    for (uint32_t k = 0; k < 10; k++) {
        cr_expect(w.flow[k].intact, "flow %u intact", k);
        got[k] = w.flow[k].received;
        sum += got[k];
    }
    for (uint32_t k = 0; k < 10; k++)
        cr_log_info("flow %u: %llu bytes, last at %lld ms, closed %d", k,
                    (unsigned long long)got[k], (long long)(w.flow[k].last_byte / SIM_MS),
                    w.flow[k].closed);
    uint64_t jain = tw_jain_permille(got, 10);
    cr_log_info("dumbbell: Jain index %llu/1000, aggregate %llu kbit/s", (unsigned long long)jain,
                (unsigned long long)kbps(sum, 20 * SIM_SEC));
    cr_expect_geq(jain, 900, "Jain index %llu/1000", (unsigned long long)jain);
    cr_expect_geq(kbps(sum, 20 * SIM_SEC), 16000, "the bottleneck is kept busy");
    tw_fini(&w);
}
