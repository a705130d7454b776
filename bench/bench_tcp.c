/* The TCP engine alone: one bulk connection between two TCP instances whose
 * segments are handed straight to each other (no IP, link or event per
 * segment), so the figure is what TCP input and output cost per segment:
 * building, checksumming and sending data segments, parsing them, queueing
 * and reading the data, and the ACKs back.  The payload is the apps' byte
 * pattern, made by a payload source and verified by the reader as in the
 * benchmark worlds.
 *
 *   bench_tcp [megabytes]    (default 1000)
 *
 * Prints segments sent by both ends and segments per wall second. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/apps.h"
#include "bench_clock.h"
#include "sim/sim.h"
#include "stack/tcp/tcp_priv.h"

#define IP_A    0x0a000001u
#define IP_B    0x0a000002u
#define PORT_B  80
#define BUFSIZE (256u * 1024u)

struct end {
    struct host host;
    struct tcp_host *th;
    struct frame_queue out; /* segments this end sent, not yet delivered */
};

struct bench {
    struct sim sim;
    struct end a, b;
    uint64_t goal, queued, received;
    bool intact;
    struct tcp_sock *sender, *receiver;
};

static struct end *end_of(struct host *h)
{
    return (struct end *)((char *)h - offsetof(struct end, host));
}

static enum ip4_send_result capture(struct host *h, struct frame *f, uint32_t src, uint32_t dst,
                                    uint8_t proto, const struct ip4_send_opts *o)
{
    (void)src, (void)dst, (void)proto, (void)o;
    frame_queue_push(&end_of(h)->out, f);
    return IP4_SENT;
}

static void pump(struct bench *b)
{
    while (b->queued < b->goal) {
        uint64_t want = b->goal - b->queued;
        uint32_t n = tcp_send_generated(b->sender, want < 65536 ? (uint32_t)want : 65536);
        b->queued += n;
        if (!n)
            return;
    }
    tcp_close(b->sender);
}

static void on_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    pump(ctx);
}

static void on_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    pump(ctx);
}

static void on_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    struct bench *b = ctx;
    uint8_t buf[4096];
    uint32_t n;
    while ((n = tcp_recv(s, buf, sizeof buf)) > 0) {
        if (app_pattern_check(buf, b->received, n) != n)
            b->intact = false;
        b->received += n;
    }
}

static const struct tcp_sock_ops reader_ops = {.on_readable = on_readable};

static void on_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    struct bench *b = ctx;
    b->receiver = c;
    tcp_set_ops(c, &reader_ops, b);
}

static const struct tcp_sock_ops listener_ops = {.on_accept = on_accept};
static const struct tcp_sock_ops sender_ops = {.on_connected = on_connected,
                                               .on_writable = on_writable};

static void end_init(struct bench *b, struct end *e, const char *name, const struct tcp_config *cfg)
{
    e->host = (struct host){
        .sim = &b->sim, .bus = &b->sim.bus, .frames = &b->sim.frames, .name = (char *)name};
    rng_seed(&e->host.rng, 1, name);
    e->th = tcp_host_new(&e->host, cfg, capture);
    if (!e->th) {
        fputs("bench_tcp: out of memory\n", stderr);
        exit(1);
    }
}

/* Hands every segment `from` sent to `to`'s TCP input; false when none. */
static bool deliver(struct end *from, struct end *to, uint32_t src, uint32_t dst, sim_time now)
{
    struct frame *f = frame_queue_pop(&from->out);
    if (!f)
        return false;
    struct ip4_rx_info ip = {.src = src, .dst = dst, .proto = 6, .frame = f, .csum_ok = true};
    tcp_input(&to->host, to->th, &ip, f->data + IP4_L4_OFF, f->len - IP4_L4_OFF, now);
    frame_free(&from->host.sim->frames, f);
    return true;
}

int main(int argc, char **argv)
{
    uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    static struct bench b;
    sim_init(&b.sim, 1);
    b.goal = mb * 1000000u;
    b.intact = true;
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.sndbuf = cfg.rcvbuf = BUFSIZE;
    cfg.sack = false;
    cfg.timestamps = false;
    end_init(&b, &b.a, "a", &cfg);
    end_init(&b, &b.b, "b", &cfg);
    if (!tcp_listen(&b.b.host, PORT_B, 8, "srv", &listener_ops, &b)) {
        fputs("bench_tcp: listen failed\n", stderr);
        return 1;
    }
    b.sender = tcp_connect_from(b.a.th, IP_A, 40000, IP_B, PORT_B, "cli", "cli", &sender_ops, &b,
                                b.sim.now);
    if (!b.sender || !tcp_set_payload_source(b.sender, app_pattern_payload, NULL)) {
        fputs("bench_tcp: connect failed\n", stderr);
        return 1;
    }
    double t0 = bench_seconds();
    /* Segments cross at once; time moves on (for the delayed ACK) only when
     * neither end has anything in flight. */
    while (b.received < b.goal) {
        bool moved = false;
        for (;;) {
            bool ab = deliver(&b.a, &b.b, IP_A, IP_B, b.sim.now);
            bool ba = deliver(&b.b, &b.a, IP_B, IP_A, b.sim.now);
            if (!ab && !ba)
                break;
            moved = true;
        }
        if (!moved &&
            (sim_run(&b.sim, b.sim.now + SIM_MS) != SIM_DONE || b.sim.now > 600 * SIM_SEC))
            break;
    }
    double wall = bench_seconds() - t0;
    uint64_t segs = b.a.th->c.segs_out + b.b.th->c.segs_out;
    printf("tcp engine: %" PRIu64 " MB in %" PRIu64 " segments (%" PRIu64 " + %" PRIu64
           "), %.3f s: %.2f M segments/s%s\n",
           mb, segs, b.a.th->c.segs_out, b.b.th->c.segs_out, wall, (double)segs / wall / 1e6,
           b.intact && b.received == b.goal ? "" : " (DATA WRONG)");
    frame_queue_clear(&b.sim.frames, &b.a.out);
    frame_queue_clear(&b.sim.frames, &b.b.out);
    tcp_host_free(b.a.th);
    tcp_host_free(b.b.th);
    sim_destroy(&b.sim);
    return b.intact && b.received == b.goal ? 0 : 1;
}
