/* Small worlds for the app tests: two hosts on one link (10.0.0.1/24 and
 * 10.0.0.2/24), or two hosts on either side of a router; and a trace sink
 * that keeps the state changes and app events the tests look at. */
#ifndef TESTS_APPS_HARNESS_H
#define TESTS_APPS_HARNESS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "apps/apps.h"
#include "sim/link.h"
#include "sim/sim.h"
#include "stack/tcp/tcp.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define A_IP           IP(10, 0, 0, 1)
#define B_IP           IP(10, 0, 0, 2)

#define REC_MAX   512
#define REC_STR   96
#define MAX_APPS  8
#define MAX_HOSTS 3
#define MAX_LINKS 2

struct rec {
    enum trace_kind kind;
    sim_time t;
    char conn[REC_STR], from[REC_STR], to[REC_STR], app[REC_STR], what[REC_STR], detail[REC_STR];
    sim_time rtt;
};

/* Keeps state and app events (copies: event strings live only during the call). */
struct recorder {
    struct trace_sink sink;
    struct rec ev[REC_MAX];
    uint32_t n;
};

struct world {
    struct sim sim;
    struct host *h[MAX_HOSTS];
    struct link *l[MAX_LINKS];
    uint32_t n_hosts, n_links;
    struct app *apps[MAX_APPS];
    uint32_t n_apps;
    struct recorder rec;
};

static inline void copy_str(char *dst, const char *src)
{
    snprintf(dst, REC_STR, "%s", src ? src : "");
}

static inline void record_event(struct trace_sink *sk, const struct trace_event *e)
{
    struct recorder *r = (struct recorder *)sk;
    if (r->n == REC_MAX)
        return;
    struct rec *x = &r->ev[r->n++];
    x->kind = e->kind;
    x->t = e->t;
    x->rtt = e->rtt;
    copy_str(x->conn, e->conn);
    copy_str(x->from, e->from);
    copy_str(x->to, e->to);
    copy_str(x->app, e->app);
    copy_str(x->what, e->what);
    copy_str(x->detail, e->detail);
}

static inline void test_tcp_config(struct tcp_config *c)
{
    tcp_config_default(c);
    c->msl = 500 * SIM_MS; /* TIME_WAIT ends within the tests' run */
}

static inline void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    sim_init(&w->sim, 1);
    w->rec.sink.event = record_event;
    w->rec.sink.mask = TRACE_MASK(TRACE_STATE) | TRACE_MASK(TRACE_APP);
    trace_bus_add_sink(sim_bus(&w->sim), &w->rec.sink);
}

static inline struct host *world_host(struct world *w, const char *name, bool forward)
{
    struct host *h = host_create(&w->sim, name, w->n_hosts, forward);
    cr_assert_not_null(h);
    struct tcp_config cfg;
    test_tcp_config(&cfg);
    cr_assert(tcp_attach(h, &cfg));
    w->h[w->n_hosts++] = h;
    return h;
}

static inline void world_link(struct world *w, const char *name, struct host_iface *a,
                              struct host_iface *b, sim_time delay)
{
    struct link_params p;
    link_params_default(&p);
    p.delay = delay;
    struct link *l = link_create(&w->sim, name, &a->port, &b->port, &p);
    cr_assert_not_null(l);
    w->l[w->n_links++] = l;
}

/* Hosts "a" (10.0.0.1) and "b" (10.0.0.2) on link "wire" with `delay` each way. */
static inline void world_pair(struct world *w, sim_time delay)
{
    world_init(w);
    struct host *a = world_host(w, "a", false);
    struct host *b = world_host(w, "b", false);
    struct host_iface *ia = host_add_iface(a, "wire", A_IP, 24);
    struct host_iface *ib = host_add_iface(b, "wire", B_IP, 24);
    cr_assert(ia && ib);
    world_link(w, "wire", ia, ib, delay);
}

/* a (10.0.1.1) - r (10.0.1.254 | 10.0.2.254, forwarding) - b (10.0.2.1),
 * links "l1" and "l2" with `delay` each way; a and b route via r. */
static inline void world_routed(struct world *w, sim_time delay)
{
    world_init(w);
    struct host *a = world_host(w, "a", false);
    struct host *r = world_host(w, "r", true);
    struct host *b = world_host(w, "b", false);
    struct host_iface *ia = host_add_iface(a, "l1", IP(10, 0, 1, 1), 24);
    struct host_iface *r1 = host_add_iface(r, "l1", IP(10, 0, 1, 254), 24);
    struct host_iface *r2 = host_add_iface(r, "l2", IP(10, 0, 2, 254), 24);
    struct host_iface *ib = host_add_iface(b, "l2", IP(10, 0, 2, 1), 24);
    cr_assert(ia && r1 && r2 && ib);
    world_link(w, "l1", ia, r1, delay);
    world_link(w, "l2", r2, ib, delay);
    cr_assert(host_add_route(a, 0, 0, IP(10, 0, 1, 254)));
    cr_assert(host_add_route(b, 0, 0, IP(10, 0, 2, 254)));
}

static inline struct app *world_app(struct world *w, struct app *a)
{
    cr_assert_not_null(a, "app could not be created");
    w->apps[w->n_apps++] = a;
    return a;
}

/* Apps first: they detach from sockets their hosts still own. */
static inline void world_fini(struct world *w)
{
    for (uint32_t i = 0; i < w->n_apps; i++)
        app_destroy(w->apps[i]);
    for (uint32_t i = 0; i < w->n_links; i++)
        link_destroy(w->l[i]);
    for (uint32_t i = 0; i < w->n_hosts; i++)
        host_destroy(w->h[i]);
    sim_destroy(&w->sim);
}

static inline void world_run(struct world *w, sim_time until)
{
    cr_assert_eq(sim_run(&w->sim, until), SIM_DONE);
}

static inline struct app_stats stats_of(struct app *a, const char *conn)
{
    struct app_stats s;
    memset(&s, 0, sizeof(s));
    cr_assert(app_stats(a, conn, &s), "no stats for %s", conn ? conn : a->id);
    return s;
}

/* The states conn went through, as "SYN_SENT ESTABLISHED ..." (the `to` of each change). */
static inline void states_of(const struct world *w, const char *conn, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < w->rec.n && k < n; i++) {
        const struct rec *e = &w->rec.ev[i];
        if (e->kind == TRACE_STATE && strcmp(e->conn, conn) == 0)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? " " : "", e->to);
    }
}

/* The i-th (0-based) app event `what` of app `app`, or NULL. */
static inline const struct rec *app_event(const struct world *w, const char *app, const char *what,
                                          uint32_t i)
{
    for (uint32_t k = 0; k < w->rec.n; k++) {
        const struct rec *e = &w->rec.ev[k];
        if (e->kind == TRACE_APP && strcmp(e->app, app) == 0 && strcmp(e->what, what) == 0 &&
            i-- == 0)
            return e;
    }
    return NULL;
}

static inline uint32_t count_app_events(const struct world *w, const char *app, const char *what)
{
    uint32_t n = 0;
    while (app_event(w, app, what, n))
        n++;
    return n;
}

static inline struct app *sink_server(struct world *w, enum app_server_mode mode, uint64_t respond)
{
    struct app_tcp_server_cfg c = {.id = "srv", .port = 80, .mode = mode, .respond_bytes = respond};
    return world_app(w, app_tcp_server_create(w->h[1], &c));
}

static inline struct app_tcp_client_cfg client_cfg(uint64_t send, enum app_close_mode close)
{
    return (struct app_tcp_client_cfg){.id = "c1",
                                       .dst = B_IP,
                                       .dport = 80,
                                       .at = 10 * SIM_MS,
                                       .send = send,
                                       .close = close,
                                       .abort_at = -1};
}

static inline struct app *client(struct world *w, const struct app_tcp_client_cfg *c)
{
    return world_app(w, app_tcp_client_create(w->h[0], c));
}

/* What an app's report says, as text (the caller frees it). */
static inline char *report_of(struct app *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    a->ops->report(a, f);
    fclose(f);
    return buf;
}

#endif
