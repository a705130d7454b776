#include "chain.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static void record_frame(struct chain *c, const struct trace_event *e)
{
    if (c->n_fr == c->cap_fr) {
        c->cap_fr = c->cap_fr ? c->cap_fr * 2 : 256;
        c->fr = realloc(c->fr, c->cap_fr * sizeof(*c->fr));
        cr_assert_not_null(c->fr);
    }
    struct chain_frame *r = &c->fr[c->n_fr++];
    memset(r, 0, sizeof(*r));
    r->kind = e->kind;
    r->t = e->t;
    copy(r->host, sizeof(r->host), e->host);
    copy(r->reason, sizeof(r->reason), e->reason);
    r->iface = e->iface;
    if (e->frame) {
        r->len = e->frame->len;
        r->data = malloc(r->len ? r->len : 1);
        cr_assert_not_null(r->data);
        memcpy(r->data, e->frame->data, r->len);
    }
}

static void record_app(struct chain *c, const struct trace_event *e)
{
    if (c->n_ap == c->cap_ap) {
        c->cap_ap = c->cap_ap ? c->cap_ap * 2 : 64;
        c->ap = realloc(c->ap, c->cap_ap * sizeof(*c->ap));
        cr_assert_not_null(c->ap);
    }
    struct chain_app_ev *a = &c->ap[c->n_ap++];
    memset(a, 0, sizeof(*a));
    a->t = e->t;
    copy(a->app, sizeof(a->app), e->app);
    copy(a->what, sizeof(a->what), e->what);
    copy(a->detail, sizeof(a->detail), e->detail);
    a->total = e->total;
    a->rtt = e->rtt;
}

static void sink_event(struct trace_sink *s, const struct trace_event *e)
{
    struct chain *c = (struct chain *)((char *)s - offsetof(struct chain, sink));
    if (e->kind == TRACE_APP)
        record_app(c, e);
    else
        record_frame(c, e);
}

static const char *host_name(uint32_t k, uint32_t n, char buf[16])
{
    if (k == 0)
        return "a";
    if (k == n - 1)
        return "b";
    snprintf(buf, 16, "r%u", (unsigned)k);
    return buf;
}

static void add_routes(struct chain *c, uint32_t k)
{
    struct host *h = c->h[k];
    if (k == 0) {
        cr_assert(host_add_route(h, 0, 0, chain_addr(0, 1)));
        return;
    }
    if (k == c->n - 1) {
        cr_assert(host_add_route(h, 0, 0, chain_addr(k - 1, 0)));
        return;
    }
    for (uint32_t j = 0; j + 1 < c->n; j++) {
        if (j + 1 < k) /* left of the link toward the left neighbour */
            cr_assert(host_add_route(h, CHAIN_IP(10, 0, j, 0), 24, chain_addr(k - 1, 0)));
        else if (j > k)
            cr_assert(host_add_route(h, CHAIN_IP(10, 0, j, 0), 24, chain_addr(k, 1)));
    }
}

void chain_build(struct chain *c, uint32_t n, const struct chain_link_cfg *links, uint64_t seed)
{
    cr_assert(n >= 2 && n <= CHAIN_MAX_HOSTS);
    memset(c, 0, sizeof(*c));
    sim_init(&c->sim, seed);
    c->n = n;
    c->sink.event = sink_event;
    c->sink.mask = TRACE_MASK_FRAMES | TRACE_MASK(TRACE_APP);
    trace_bus_add_sink(&c->sim.bus, &c->sink);
    for (uint32_t k = 0; k < n; k++) {
        char buf[16];
        c->h[k] = host_create(&c->sim, host_name(k, n, buf), k, k > 0 && k < n - 1);
        cr_assert_not_null(c->h[k]);
    }
    for (uint32_t k = 0; k + 1 < n; k++) {
        char name[16];
        snprintf(name, sizeof(name), "l%u", (unsigned)k);
        struct host_iface *left = host_add_iface(c->h[k], name, chain_addr(k, 0), 24);
        struct host_iface *right = host_add_iface(c->h[k + 1], name, chain_addr(k, 1), 24);
        cr_assert(left && right);
        struct link_params p;
        link_params_default(&p);
        p.delay = links[k].delay;
        p.rate_bps = 0;
        if (links[k].mtu)
            p.mtu = links[k].mtu;
        c->l[k] = link_create(&c->sim, name, &left->port, &right->port, &p);
        cr_assert_not_null(c->l[k]);
    }
    for (uint32_t k = 0; k < n; k++)
        add_routes(c, k);
}

void chain_free(struct chain *c)
{
    while (c->sim.bus.sinks)
        trace_bus_remove_sink(&c->sim.bus, c->sim.bus.sinks);
    for (uint32_t k = 0; k + 1 < c->n; k++)
        link_destroy(c->l[k]);
    for (uint32_t k = 0; k < c->n; k++)
        host_destroy(c->h[k]);
    cr_expect_eq(c->sim.frames.in_use, 0, "every frame returned to the pool");
    sim_destroy(&c->sim);
    for (uint32_t k = 0; k < c->n_fr; k++)
        free(c->fr[k].data);
    free(c->fr);
    free(c->ap);
    memset(c, 0, sizeof(*c));
}

void chain_run_until(struct chain *c, sim_time t)
{
    cr_assert_eq(sim_run(&c->sim, t), SIM_DONE);
}

struct host_iface *chain_iface(const struct chain *c, uint32_t k, uint32_t link)
{
    cr_assert(link == k || link + 1 == k, "host %u is not on link %u", k, link);
    /* Host k's interfaces: eth0 toward link k-1 (when k > 0), then link k. */
    uint32_t idx = k == 0 ? 0 : link == k - 1 ? 0 : 1;
    cr_assert(idx < c->h[k]->n_ifaces);
    return c->h[k]->ifaces[idx];
}

uint32_t chain_frames_on(const struct chain *c, enum trace_kind kind, const struct host_iface *i,
                         const struct chain_frame **out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->n_fr; k++) {
        const struct chain_frame *f = &c->fr[k];
        if (f->kind != kind || f->iface != i->port.iface)
            continue;
        if (n < max)
            out[n] = f;
        n++;
    }
    return n;
}

uint32_t chain_count_drops(const struct chain *c, const char *reason)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->n_fr; k++)
        n += c->fr[k].kind == TRACE_DROP && !strcmp(c->fr[k].reason, reason);
    return n;
}

uint32_t chain_app_events(const struct chain *c, const char *app, const char *what,
                          const struct chain_app_ev **out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->n_ap; k++) {
        const struct chain_app_ev *a = &c->ap[k];
        if (strcmp(a->app, app) || strcmp(a->what, what))
            continue;
        if (n < max)
            out[n] = a;
        n++;
    }
    return n;
}

static void rec_recv(void *ctx, struct udp_sock *s, uint32_t src, uint16_t sport,
                     const uint8_t *data, uint32_t len, sim_time now)
{
    (void)s, (void)sport, (void)now;
    struct chain_udp_rec *r = ctx;
    r->n_recv++;
    r->last_len = len;
    r->last_src = src;
    memcpy(r->last_data, data, len < sizeof(r->last_data) ? len : sizeof(r->last_data));
}

static void rec_error(void *ctx, struct udp_sock *s, const struct icmp_error *e, sim_time now)
{
    (void)s, (void)now;
    struct chain_udp_rec *r = ctx;
    r->n_err++;
    r->err = *e;
}

const struct udp_sock_ops chain_udp_rec_ops = {.on_recv = rec_recv, .on_error = rec_error};
