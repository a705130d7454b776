#include "fixture.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the wire ---- */

static void queue_remove(struct frame_queue *q, struct frame *f)
{
    struct frame *prev = NULL;
    for (struct frame *x = q->head; x; prev = x, x = x->next) {
        if (x != f)
            continue;
        if (prev)
            prev->next = f->next;
        else
            q->head = f->next;
        if (q->tail == f)
            q->tail = prev;
        q->len--;
        f->next = NULL;
        return;
    }
}

static void wire_deliver(void *ctx, sim_time now)
{
    struct frame *f = ctx;
    struct wire_dir *d = f->holder;
    struct wire *wi = d->w;
    queue_remove(&wi->in_flight, f);
    f->holder = NULL;
    struct port *to = wi->end[1 - d->side];
    to->rx(to, f, now);
}

static void wire_tx(struct port *p, struct frame *f)
{
    struct wire *wi = p->link;
    int side = p == wi->end[0] ? 0 : 1;
    cr_assert(f->id != 0, "every frame sent has a trace id");
    if (wi->n_cap < MAX_CAPTURES) {
        struct capture *c = &wi->cap[wi->n_cap++];
        c->side = side;
        c->t = sim_now(wi->sim);
        c->len = f->len;
        c->id = f->id;
        c->data = malloc(f->len);
        memcpy(c->data, f->data, f->len);
    }
    if (wi->filter && !wi->filter(wi, side, f, wi->filter_ctx)) {
        frame_free(&wi->sim->frames, f);
        return;
    }
    f->holder = &wi->dir[side];
    sim_timer_init(&f->timer, wire_deliver, f);
    frame_queue_push(&wi->in_flight, f);
    sim_timer_arm(wi->sim, &f->timer, sim_now(wi->sim) + WIRE_DELAY);
}

void wire_connect(struct world *w, struct port *a, struct port *b, uint32_t mtu)
{
    struct wire *wi = &w->w[w->n_wires++];
    memset(wi, 0, sizeof(*wi));
    wi->sim = &w->sim;
    wi->end[0] = a;
    wi->end[1] = b;
    for (int s = 0; s < 2; s++) {
        wi->dir[s] = (struct wire_dir){.w = wi, .side = s};
        wi->end[s]->tx = wire_tx;
        wi->end[s]->link = wi;
        wi->end[s]->mtu = mtu;
    }
}

/* ---- the trace sink ---- */

static void copy(char *dst, size_t n, const char *src)
{
    if (src)
        snprintf(dst, n, "%s", src);
}

static void sink_event(struct trace_sink *s, const struct trace_event *e)
{
    struct world *w = (struct world *)((char *)s - offsetof(struct world, sink));
    if (w->n_ev >= MAX_EVENTS)
        return;
    struct ev *v = &w->ev[w->n_ev++];
    memset(v, 0, sizeof(*v));
    v->kind = e->kind;
    v->t = e->t;
    copy(v->host, sizeof(v->host), e->host);
    copy(v->reason, sizeof(v->reason), e->reason);
    copy(v->timer, sizeof(v->timer), e->timer);
    copy(v->what, sizeof(v->what), e->what);
    copy(v->app, sizeof(v->app), e->app);
    copy(v->detail, sizeof(v->detail), e->detail);
    v->bytes = e->bytes;
    v->total = e->total;
    v->frame_id = e->frame ? e->frame->id : 0;
    v->iface = e->iface;
    v->backoff = e->backoff;
}

void world_attach_sink(struct world *w)
{
    w->sink.event = sink_event;
    w->sink.mask = TRACE_MASK_ALL;
    trace_bus_add_sink(&w->sim.bus, &w->sink);
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    sim_init(&w->sim, 42);
    world_attach_sink(w);
}

void world_two(struct world *w)
{
    world_init(w);
    w->h[0] = host_create(&w->sim, "a", 0, false);
    w->h[1] = host_create(&w->sim, "b", 1, false);
    w->n_hosts = 2;
    struct host_iface *ia = host_add_iface(w->h[0], "wire", IP(10, 0, 0, 1), 24);
    struct host_iface *ib = host_add_iface(w->h[1], "wire", IP(10, 0, 0, 2), 24);
    cr_assert(ia && ib);
    wire_connect(w, &ia->port, &ib->port, 1500);
}

void world_three(struct world *w, uint32_t mtu2)
{
    world_init(w);
    w->h[0] = host_create(&w->sim, "a", 0, false);
    w->h[1] = host_create(&w->sim, "r", 1, true);
    w->h[2] = host_create(&w->sim, "b", 2, false);
    w->n_hosts = 3;
    struct host_iface *ia = host_add_iface(w->h[0], "l1", IP(10, 0, 1, 1), 24);
    struct host_iface *r1 = host_add_iface(w->h[1], "l1", IP(10, 0, 1, 254), 24);
    struct host_iface *r2 = host_add_iface(w->h[1], "l2", IP(10, 0, 2, 254), 24);
    struct host_iface *ib = host_add_iface(w->h[2], "l2", IP(10, 0, 2, 1), 24);
    cr_assert(host_add_route(w->h[0], 0, 0, IP(10, 0, 1, 254)));
    cr_assert(host_add_route(w->h[2], 0, 0, IP(10, 0, 2, 254)));
    wire_connect(w, &ia->port, &r1->port, 1500);
    wire_connect(w, &r2->port, &ib->port, mtu2);
}

void world_fini(struct world *w)
{
    for (uint32_t k = 0; k < w->n_wires; k++) {
        struct wire *wi = &w->w[k];
        struct frame *f;
        while ((f = frame_queue_pop(&wi->in_flight))) {
            sim_timer_cancel(&w->sim, &f->timer);
            frame_free(&w->sim.frames, f);
        }
        for (uint32_t c = 0; c < wi->n_cap; c++)
            free(wi->cap[c].data);
    }
    for (uint32_t k = 0; k < w->n_hosts; k++)
        host_destroy(w->h[k]);
    cr_expect_eq(w->sim.frames.in_use, 0, "every frame returned to the pool");
    sim_destroy(&w->sim);
}

void run_for(struct world *w, sim_time d)
{
    sim_run(&w->sim, sim_now(&w->sim) + d);
}

/* ---- events ---- */

uint32_t count_drops(const struct world *w, const char *host, const char *reason)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < w->n_ev; k++) {
        const struct ev *v = &w->ev[k];
        if (v->kind == TRACE_DROP && !strcmp(v->host, host) && !strcmp(v->reason, reason))
            n++;
    }
    return n;
}

uint32_t count_timers(const struct world *w, const char *host, const char *timer)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < w->n_ev; k++) {
        const struct ev *v = &w->ev[k];
        if (v->kind == TRACE_TIMER && !strcmp(v->host, host) && !strcmp(v->timer, timer))
            n++;
    }
    return n;
}

const struct ev *find_event(const struct world *w, enum trace_kind k, const char *what)
{
    for (uint32_t i = 0; i < w->n_ev; i++)
        if (w->ev[i].kind == k && (!what || !strcmp(w->ev[i].what, what)))
            return &w->ev[i];
    return NULL;
}

/* ---- frames ---- */

uint16_t cap_ethertype(const struct capture *c)
{
    return (uint16_t)(c->data[12] << 8 | c->data[13]);
}

const uint8_t *cap_ip(const struct capture *c)
{
    return cap_ethertype(c) == 0x0800 ? c->data + 14 : NULL;
}

uint32_t count_frames(const struct wire *wi, int side, uint16_t ethertype, int ip_proto)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < wi->n_cap; k++) {
        const struct capture *c = &wi->cap[k];
        if (c->side != side || cap_ethertype(c) != ethertype)
            continue;
        if (ip_proto >= 0 && c->data[14 + 9] != ip_proto)
            continue;
        n++;
    }
    return n;
}

void set_ip_csum(uint8_t *ip)
{
    ip[10] = ip[11] = 0;
    uint16_t c = inet_csum_fold(inet_csum_add(0, ip, (uint32_t)(ip[0] & 0xf) * 4));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
}

struct frame *mk_ip_frame(struct world *w, const struct host_iface *to, uint32_t src, uint32_t dst,
                          uint8_t proto, uint8_t ttl, const uint8_t *l4, uint32_t len)
{
    struct frame *f = frame_alloc(&w->sim.frames, 14 + 20 + len);
    cr_assert(f);
    f->id = sim_next_frame_id(&w->sim);
    uint8_t *d = f->data;
    memcpy(d, to->mac, 6);
    memcpy(d + 6, (uint8_t[6]){0x02, 0xee, 0, 0, 0, 1}, 6);
    d[12] = 0x08;
    d[13] = 0x00;
    uint8_t *ip = d + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + len) >> 8);
    ip[3] = (uint8_t)(20 + len);
    ip[4] = 0x12;
    ip[5] = 0x34;
    ip[8] = ttl;
    ip[9] = proto;
    for (int k = 0; k < 4; k++) {
        ip[12 + k] = (uint8_t)(src >> (24 - 8 * k));
        ip[16 + k] = (uint8_t)(dst >> (24 - 8 * k));
    }
    set_ip_csum(ip);
    if (len)
        memcpy(ip + 20, l4, len);
    return f;
}

void inject(struct world *w, struct host_iface *i, struct frame *f)
{
    i->port.rx(&i->port, f, sim_now(&w->sim));
}

/* ---- recording UDP socket ---- */

static void rec_recv(void *ctx, struct udp_sock *s, uint32_t src, uint16_t sport,
                     const uint8_t *data, uint32_t len, sim_time now)
{
    (void)s, (void)now;
    struct udp_rec *r = ctx;
    r->n_recv++;
    r->last_len = len;
    r->last_src = src;
    r->last_sport = sport;
    memcpy(r->last_data, data, len < sizeof(r->last_data) ? len : sizeof(r->last_data));
}

static void rec_error(void *ctx, struct udp_sock *s, const struct icmp_error *e, sim_time now)
{
    (void)s, (void)now;
    struct udp_rec *r = ctx;
    r->n_err++;
    r->err = *e;
}

const struct udp_sock_ops udp_rec_ops = {.on_recv = rec_recv, .on_error = rec_error};
