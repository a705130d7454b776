/* Worlds of real hosts (IPv4, ARP, TCP) joined by sim/link.c links, for the
 * end-to-end TCP tests: bulk senders that stream a checkable byte pattern and
 * receivers that verify every byte and count what arrived. */
#ifndef TESTS_TCP_WORLD_H
#define TESTS_TCP_WORLD_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/link.h"
#include "sim/sim.h"
#include "stack/tcp/tcp.h"

#define TW_IP(a, b, c, d)                                                                          \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define TW_MAX_HOSTS 24
#define TW_MAX_LINKS 24
#define TW_MAX_FLOWS 10

/* One bulk flow: the sender's and the receiver's view. */
struct tw_flow {
    uint64_t total, sent, received;
    bool intact, connected, closed;
    enum tcp_outcome outcome;
    sim_time first_byte, last_byte;
    struct tcp_sock *cli;
};

struct tw_world {
    struct sim sim;
    struct host *h[TW_MAX_HOSTS];
    struct link *l[TW_MAX_LINKS];
    uint32_t n_hosts, n_links;
    struct tw_flow flow[TW_MAX_FLOWS];
    uint32_t n_flows;
};

static inline uint8_t tw_pattern(uint64_t i)
{
    return (uint8_t)(i * 7 + (i >> 8) + (i >> 16));
}

static inline void tw_init(struct tw_world *w)
{
    memset(w, 0, sizeof(*w));
    sim_init(&w->sim, 11);
}

static inline struct host *tw_host(struct tw_world *w, const char *name, bool forward,
                                   const struct tcp_config *cfg)
{
    cr_assert_lt(w->n_hosts, TW_MAX_HOSTS);
    struct host *h = host_create(&w->sim, name, w->n_hosts, forward);
    cr_assert_not_null(h);
    cr_assert(tcp_attach(h, cfg));
    w->h[w->n_hosts++] = h;
    return h;
}

static inline struct link *tw_link_jitter(struct tw_world *w, const char *name,
                                          struct host_iface *a, struct host_iface *b,
                                          sim_time delay, uint64_t rate_bps, uint32_t queue,
                                          sim_time jitter)
{
    cr_assert(a && b);
    cr_assert_lt(w->n_links, TW_MAX_LINKS);
    struct link_params p;
    link_params_default(&p);
    p.delay = delay;
    p.rate_bps = rate_bps;
    p.queue = queue;
    p.jitter = jitter;
    struct link *l = link_create(&w->sim, name, &a->port, &b->port, &p);
    cr_assert_not_null(l);
    w->l[w->n_links++] = l;
    return l;
}

static inline struct link *tw_link(struct tw_world *w, const char *name, struct host_iface *a,
                                   struct host_iface *b, sim_time delay, uint64_t rate_bps,
                                   uint32_t queue)
{
    return tw_link_jitter(w, name, a, b, delay, rate_bps, queue, 0);
}

static inline void tw_fini(struct tw_world *w)
{
    for (uint32_t i = 0; i < w->n_links; i++)
        link_destroy(w->l[i]);
    for (uint32_t i = 0; i < w->n_hosts; i++)
        host_destroy(w->h[i]);
    sim_destroy(&w->sim);
}

/* ---- sender: fills the send buffer with the pattern, closes when done ---- */

static inline void tw_push(struct tw_flow *f, struct tcp_sock *s)
{
    uint8_t buf[8192];
    while (f->sent < f->total) {
        uint64_t left = f->total - f->sent;
        uint32_t n = left < sizeof(buf) ? (uint32_t)left : (uint32_t)sizeof(buf);
        uint32_t space = tcp_send_space(s);
        if (space == 0)
            return;
        if (n > space)
            n = space;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = tw_pattern(f->sent + i);
        f->sent += tcp_send(s, buf, n);
    }
    tcp_close(s);
}

static inline void tw_cli_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    struct tw_flow *f = ctx;
    f->connected = true;
    tw_push(f, s);
}

static inline void tw_cli_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    tw_push(ctx, s);
}

static inline void tw_cli_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s, (void)now;
    struct tw_flow *f = ctx;
    f->closed = true;
    f->outcome = o;
    f->cli = NULL;
}

static const struct tcp_sock_ops tw_cli_ops = {
    .on_connected = tw_cli_connected,
    .on_writable = tw_cli_writable,
    .on_closed = tw_cli_closed,
};

/* ---- receiver: checks the pattern, closes after the peer's FIN ---- */

static inline void tw_srv_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    struct tw_flow *f = ctx;
    uint8_t buf[16384];
    uint32_t n;
    while ((n = tcp_recv(s, buf, sizeof(buf))) > 0) {
        if (f->received == 0)
            f->first_byte = now;
        for (uint32_t i = 0; i < n; i++)
            if (buf[i] != tw_pattern(f->received + i))
                f->intact = false;
        f->received += n;
        f->last_byte = now;
    }
}

static inline void tw_srv_peer_closed(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    tcp_close(s);
}

static const struct tcp_sock_ops tw_srv_child_ops = {
    .on_readable = tw_srv_readable,
    .on_peer_closed = tw_srv_peer_closed,
};

/* Flows are told apart by the listener port: flow k listens on 5000 + k. */
static inline void tw_srv_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    tcp_set_ops(c, &tw_srv_child_ops, ctx);
}

static const struct tcp_sock_ops tw_srv_ops = {.on_accept = tw_srv_accept};

/* Starts flow k: `bytes` from src to dst_ip (listening on dst). */
static inline struct tw_flow *tw_start_flow(struct tw_world *w, struct host *src, struct host *dst,
                                            uint32_t dst_ip, uint64_t bytes)
{
    cr_assert_lt(w->n_flows, TW_MAX_FLOWS);
    uint32_t k = w->n_flows++;
    struct tw_flow *f = &w->flow[k];
    *f = (struct tw_flow){.total = bytes, .intact = true};
    char name[16];
    snprintf(name, sizeof(name), "srv%u", k);
    cr_assert(tcp_listen(dst, (uint16_t)(5000 + k), 0, name, &tw_srv_ops, f));
    snprintf(name, sizeof(name), "f%u", k);
    f->cli = tcp_connect(src, dst_ip, (uint16_t)(5000 + k), 0, name, name, &tw_cli_ops, f);
    cr_assert_not_null(f->cli);
    return f;
}

/* Jain's fairness index (sum x)^2 / (n * sum x^2) in parts per thousand, in
 * integer arithmetic (x scaled to KiB so the squares fit in 64 bits). */
static inline uint64_t tw_jain_permille(const uint64_t *x, uint32_t n)
{
    uint64_t sum = 0, sq = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k = x[i] >> 10;
        sum += k;
        sq += k * k;
    }
    return sq ? sum * sum * 1000 / (sq * n) : 0;
}

#endif
