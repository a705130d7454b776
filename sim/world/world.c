/* Building a simulation from a loaded scenario, running it and judging its
 * expectations.  Objects are created in scenario order (hosts, their
 * interfaces in link order, routes, TCP; links and their faults; apps; timed
 * events) so that two builds of the same scenario schedule the same events in
 * the same order. */
#include <stdlib.h>
#include <string.h>

#include "../../apps/apps.h"
#include "../../stack/host.h"
#include "../../stack/tcp/tcp.h"
#include "../link.h"
#include "world_int.h"

/* A scheduled scenario event and the world it acts on. */
struct world_event {
    struct world *w;
    const struct scn_event *ev;
};

static void set_error(struct world *w, const char *fmt, const char *a, const char *b)
{
    snprintf(w->error, sizeof w->error, fmt, a, b);
}

/* ---- hosts -------------------------------------------------------------- */

/* Which end of link l belongs to host h (the first free one: a link from a
 * host to itself has both). */
static int end_of(const struct scn_link *l, uint32_t h, struct host_iface *const *ifs)
{
    if (l->end[0].host == h && !ifs[0])
        return 0;
    return 1;
}

/* How many of the most recent distinct configurations a host's is compared
 * with: a world whose every host differs stays linear to build. */
#define TCP_CFG_LOOKBACK 8

/* The world's copy of cfg, shared with the hosts that have the same one
 * (the scenario's own records are freed once the apps start). */
static const struct tcp_config *shared_tcp_config(struct world *w, const struct tcp_config *cfg)
{
    for (uint32_t k = w->n_tcp_cfgs; k > 0 && w->n_tcp_cfgs - k < TCP_CFG_LOOKBACK; k--)
        if (tcp_config_equal(w->tcp_cfgs[k - 1], cfg))
            return w->tcp_cfgs[k - 1];
    struct tcp_config *copy = malloc(sizeof *copy);
    struct tcp_config **grown =
        realloc(w->tcp_cfgs, (w->n_tcp_cfgs + 1) * sizeof(struct tcp_config *));
    if (grown)
        w->tcp_cfgs = grown;
    if (!copy || !grown) {
        free(copy);
        return NULL;
    }
    *copy = *cfg;
    w->tcp_cfgs[w->n_tcp_cfgs++] = copy;
    return copy;
}

static bool build_host(struct world *w, uint32_t i, struct host_iface **ifs)
{
    const struct scn_host *sh = &w->scn->hosts[i];
    struct host *h = host_create(&w->sim, sh->name, i, sh->forward);
    if (!h) {
        set_error(w, "host %s: out of memory%s", sh->name, "");
        return false;
    }
    w->hosts[i] = h;
    for (uint32_t k = 0; k < sh->n_links; k++) {
        uint32_t li = sh->links[k];
        const struct scn_link *l = &w->scn->links[li];
        int side = end_of(l, i, &ifs[2 * li]);
        struct host_iface *iface =
            host_add_iface(h, l->name, l->end[side].ip, l->end[side].prefix_len);
        if (!iface) {
            set_error(w, "host %s: cannot add an interface for link %s", sh->name, l->name);
            return false;
        }
        ifs[2 * li + side] = iface;
    }
    for (uint32_t k = 0; k < sh->n_routes; k++) {
        const struct scn_route *r = &sh->routes[k];
        if (!host_add_route(h, r->dest, r->prefix_len, r->via)) {
            char via[16];
            set_error(w, "host %s: route via %s is not on a connected subnet", sh->name,
                      dec_ip_str(r->via, via));
            return false;
        }
    }
    const struct tcp_config *cfg = shared_tcp_config(w, &sh->tcp);
    if (!cfg || !tcp_attach_shared(h, cfg)) {
        set_error(w, "host %s: cannot install TCP%s", sh->name, "");
        return false;
    }
    return true;
}

/* ---- links -------------------------------------------------------------- */

static bool gilbert_equal(const struct link_gilbert *a, const struct link_gilbert *b)
{
    return a->p == b->p && a->r == b->r && a->loss_good == b->loss_good &&
           a->loss_bad == b->loss_bad;
}

static bool params_equal(const struct link_params *a, const struct link_params *b)
{
    return a->delay == b->delay && a->jitter == b->jitter && a->rate_bps == b->rate_bps &&
           a->queue == b->queue && a->mtu == b->mtu && a->loss_model == b->loss_model &&
           a->loss == b->loss && gilbert_equal(&a->gilbert, &b->gilbert) &&
           a->duplicate == b->duplicate && a->reorder == b->reorder && a->corrupt == b->corrupt;
}

static bool build_link(struct world *w, uint32_t i, struct host_iface **ifs)
{
    const struct scn_link *l = &w->scn->links[i];
    struct host_iface *a = ifs[2 * i], *b = ifs[2 * i + 1];
    if (!a || !b) {
        set_error(w, "link %s: an end has no interface%s", l->name, "");
        return false;
    }
    struct link *lk = link_create(&w->sim, l->name, &a->port, &b->port, &l->dir[0]);
    if (!lk) {
        set_error(w, "link %s: out of memory%s", l->name, "");
        return false;
    }
    w->links[i] = lk;
    if (!params_equal(&l->dir[0], &l->dir[1]))
        link_set_params(lk, 1, &l->dir[1]);
    return true;
}

/* ---- apps --------------------------------------------------------------- */

static struct app *create_app(struct host *h, const struct scn_app *a)
{
    switch (a->type) {
    case SCN_APP_TCP_SERVER:
        return app_tcp_server_create(h, &a->cfg.tcp_server);
    case SCN_APP_TCP_CLIENT:
        return app_tcp_client_create(h, &a->cfg.tcp_client);
    case SCN_APP_UDP_SENDER:
        return app_udp_sender_create(h, &a->cfg.udp_sender);
    case SCN_APP_UDP_SINK:
        return app_udp_sink_create(h, &a->cfg.udp_sink);
    case SCN_APP_PING:
        return app_ping_create(h, &a->cfg.ping);
    case SCN_APP_TRACEROUTE:
        return app_traceroute_create(h, &a->cfg.traceroute);
    }
    return NULL;
}

static bool build_apps(struct world *w)
{
    for (uint32_t i = 0; i < w->scn->n_apps; i++) {
        const struct scn_app *a = &w->scn->apps[i];
        w->apps[i] = create_app(w->hosts[a->host], a);
        if (!w->apps[i]) {
            set_error(w, "app %s: cannot be started on %s (port in use?)", a->id,
                      w->scn->hosts[a->host].name);
            return false;
        }
    }
    return true;
}

/* Apps start as the first event of the run, not while the world is built,
 * so that what they do at once (a listener entering LISTEN) reaches every
 * sink attached before the run. */
static void start_apps(void *ctx, sim_time now)
{
    (void)now;
    struct world *w = ctx;
    if (!build_apps(w))
        sim_fail(&w->sim, w->error);
    /* Nothing more is built from the records: slimming fails only for want
     * of memory, and the run goes on without it then. */
    if (w->slim_scn)
        (void)scenario_slim(w->slim_scn);
}

/* ---- timed events ------------------------------------------------------- */

static enum app_action app_action_of(enum scn_event_kind k)
{
    return k == SCN_EV_APP_SEND ? APP_DO_SEND : k == SCN_EV_APP_CLOSE ? APP_DO_CLOSE : APP_DO_ABORT;
}

static void fire_event(void *ctx, sim_time now)
{
    struct world_event *we = ctx;
    const struct scn_event *ev = we->ev;
    struct world *w = we->w;
    switch (ev->kind) {
    case SCN_EV_LINK_DOWN:
    case SCN_EV_LINK_UP:
        link_set_up(w->links[ev->link], ev->kind == SCN_EV_LINK_UP);
        break;
    case SCN_EV_LINK_SET:
        for (int side = 0; side < 2; side++)
            if (ev->set_dir[side])
                link_set_params(w->links[ev->link], side, &ev->dir[side]);
        break;
    case SCN_EV_APP_SEND:
    case SCN_EV_APP_CLOSE:
    case SCN_EV_APP_ABORT: {
        struct app *a = w->apps[ev->app];
        /* An action that no longer applies (the connection is gone) is not
         * an error: the app says so in its own trace events. */
        if (a && a->ops->action)
            a->ops->action(a, ev->conn, app_action_of(ev->kind), ev->bytes, now);
        break;
    }
    }
}

static bool schedule_events(struct world *w)
{
    const struct scenario *sc = w->scn;
    w->events = calloc(sc->n_events ? sc->n_events : 1, sizeof *w->events);
    if (!w->events)
        return false;
    for (uint32_t i = 0; i < sc->n_events; i++) {
        w->events[i] = (struct world_event){.w = w, .ev = &sc->events[i]};
        if (!sim_schedule(&w->sim, sc->events[i].at, fire_event, &w->events[i]))
            return false;
    }
    return true;
}

/* ---- the views' description --------------------------------------------- */

static void describe_host(struct world_host *d, const struct scenario *sc, uint32_t i)
{
    const struct scn_host *h = &sc->hosts[i];
    d->name = h->name;
    d->router = h->forward;
    d->has_pos = h->has_pos;
    d->x = h->x;
    d->y = h->y;
    for (uint32_t k = 0; k < h->n_links && d->n_addrs < 8; k++) {
        const struct scn_link *l = &sc->links[h->links[k]];
        int side = l->end[0].host == i ? 0 : 1;
        if (!l->end[side].ip)
            continue;
        d->addrs[d->n_addrs] = l->end[side].ip;
        d->prefix[d->n_addrs++] = l->end[side].prefix_len;
    }
}

bool world_describe(struct world *w)
{
    const struct scenario *sc = w->scn;
    if (w->desc_hosts)
        return true;
    if (sc->slim) {
        snprintf(w->error, sizeof w->error,
                 "the views need the hosts and links: describe the world before the scenario "
                 "is slimmed");
        return false;
    }
    w->desc_hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *w->desc_hosts);
    w->desc_links = calloc(sc->n_links ? sc->n_links : 1, sizeof *w->desc_links);
    if (!w->desc_hosts || !w->desc_links) {
        free(w->desc_hosts);
        free(w->desc_links);
        w->desc_hosts = NULL;
        w->desc_links = NULL;
        snprintf(w->error, sizeof w->error, "out of memory describing the world for the views");
        return false;
    }
    for (uint32_t i = 0; i < sc->n_hosts; i++)
        describe_host(&w->desc_hosts[i], sc, i);
    for (uint32_t i = 0; i < sc->n_links; i++) {
        const struct scn_link *l = &sc->links[i];
        w->desc_links[i] = (struct world_link){.name = l->name,
                                               .a = l->end[0].host,
                                               .b = l->end[1].host,
                                               .delay = l->dir[0].delay,
                                               .rate_bps = l->dir[0].rate_bps,
                                               .loss = l->dir[0].loss,
                                               .mtu = l->dir[0].mtu};
    }
    w->desc.n_hosts = sc->n_hosts;
    w->desc.n_links = sc->n_links;
    w->desc.hosts = w->desc_hosts;
    w->desc.links = w->desc_links;
    return true;
}

/* The description's header; its hosts and links wait for world_describe. */
static void describe_scenario(struct world *w)
{
    const struct scenario *sc = w->scn;
    w->desc = (struct world_desc){.name = sc->name,
                                  .title = sc->title,
                                  .desc_en = sc->desc_en,
                                  .desc_ko = sc->desc_ko,
                                  .duration = sc->duration};
}

void world_slim_scenario(struct world *w, struct scenario *sc)
{
    if (sc == w->scn)
        w->slim_scn = sc;
}

/* ---- building ----------------------------------------------------------- */

static bool build_all(struct world *w)
{
    const struct scenario *sc = w->scn;
    describe_scenario(w);
    w->obs = observer_create(sc);
    if (!w->obs)
        return false;
    trace_bus_add_sink(&w->sim.bus, &w->obs->sink);
    struct host_iface **ifs = calloc(2 * (size_t)sc->n_links + 1, sizeof(struct host_iface *));
    if (!ifs)
        return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < sc->n_hosts; i++)
        ok = build_host(w, i, ifs);
    for (uint32_t i = 0; ok && i < sc->n_links; i++)
        ok = build_link(w, i, ifs);
    free(ifs);
    for (uint32_t i = 0; ok && i < sc->n_faults; i++)
        link_add_fault(w->links[sc->faults[i].link], sc->faults[i].side, &sc->faults[i].fault);
    return ok && sim_schedule(&w->sim, 0, start_apps, w) && schedule_events(w);
}

struct world *world_build(const struct scenario *sc, uint64_t seed, char *err, size_t err_size)
{
    struct world *w = calloc(1, sizeof *w);
    if (!w) {
        if (err)
            snprintf(err, err_size, "out of memory");
        return NULL;
    }
    w->scn = sc;
    if (sc->slim) { /* its records are gone */
        if (err)
            snprintf(err, err_size, "the scenario was slimmed: load it again to build a world");
        free(w);
        return NULL;
    }
    sim_init(&w->sim, seed);
    w->sim.event_limit = WORLD_DEFAULT_EVENT_LIMIT;
    w->sim.frames.limit = WORLD_DEFAULT_FRAME_LIMIT;
    w->hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof(struct host *));
    w->links = calloc(sc->n_links ? sc->n_links : 1, sizeof(struct link *));
    w->apps = calloc(sc->n_apps ? sc->n_apps : 1, sizeof(struct app *));
    if (!w->hosts || !w->links || !w->apps || !build_all(w)) {
        if (err)
            snprintf(err, err_size, "%s", w->error[0] ? w->error : "out of memory");
        world_destroy(w);
        return NULL;
    }
    return w;
}

void world_destroy(struct world *w)
{
    if (!w)
        return;
    /* Tearing down emits nothing: every sink is detached first (the caller's
     * too; they may already be gone). */
    while (w->sim.bus.sinks)
        trace_bus_remove_sink(&w->sim.bus, w->sim.bus.sinks);
    for (uint32_t i = 0; w->apps && i < w->scn->n_apps; i++)
        app_destroy(w->apps[i]);
    for (uint32_t i = 0; w->links && i < w->scn->n_links; i++)
        if (w->links[i])
            link_destroy(w->links[i]);
    for (uint32_t i = 0; w->hosts && i < w->scn->n_hosts; i++)
        if (w->hosts[i])
            host_destroy(w->hosts[i]);
    sim_destroy(&w->sim);
    for (uint32_t i = 0; i < w->n_tcp_cfgs; i++) /* after the hosts that share them */
        free(w->tcp_cfgs[i]);
    free(w->tcp_cfgs);
    jsonl_sink_destroy(w->jsonl);
    observer_destroy(w->obs);
    for (uint32_t i = 0; i < w->n_verdicts; i++)
        free(w->verdicts[i].message);
    free(w->verdicts);
    free(w->events);
    free(w->apps);
    free(w->links);
    free(w->hosts);
    free(w->desc_hosts);
    free(w->desc_links);
    free(w);
}

void world_set_event_limit(struct world *w, uint64_t limit)
{
    w->sim.event_limit = limit;
}

/* ---- running ------------------------------------------------------------ */

bool world_attach_jsonl(struct world *w, FILE *out)
{
    if (w->jsonl)
        return true;
    w->jsonl = jsonl_sink_create(out, true);
    if (!w->jsonl)
        return false;
    w->jsonl_out = out;
    trace_bus_add_sink(&w->sim.bus, jsonl_sink_base(w->jsonl));
    return true;
}

void world_want_digest(struct world *w)
{
    w->want_digest = true;
}

static bool needs_digest(const struct world *w)
{
    if (w->want_digest)
        return true;
    for (uint32_t i = 0; i < w->scn->n_expects; i++)
        if (w->scn->expects[i].kind == SCN_EXP_TRACE_SHA256)
            return true;
    return false;
}

/* Fixes the digest over the run's events and detaches the trace sink: what
 * is emitted from now on (the verdicts) is not part of the fingerprint. */
static bool finish_trace(struct world *w)
{
    if (!w->jsonl)
        return true;
    trace_bus_remove_sink(&w->sim.bus, jsonl_sink_base(w->jsonl));
    return jsonl_sink_finish(w->jsonl, w->digest);
}

void world_set_frame_limit(struct world *w, uint64_t limit)
{
    w->sim.frames.limit = limit;
}

void world_set_progress(struct world *w, world_progress_fn fn, void *ctx)
{
    w->progress = fn;
    w->progress_ctx = ctx;
}

/* Runs to `end` in a thousand slices: after each the progress hook is told,
 * and a world that outgrew the frame limit, or the memory for its frames,
 * stops there (a run that refuses frames is no longer the world the
 * scenario describes). */
static enum sim_status run_slices(struct world *w, sim_time end)
{
    sim_time step = end / 1000 > 0 ? end / 1000 : 1;
    enum sim_status st;
    do { /* at least once: a run to 0 still runs what happens at 0 */
        sim_time next = end - w->sim.now > step ? w->sim.now + step : end;
        st = sim_run(&w->sim, next);
        if (w->progress)
            w->progress(w->progress_ctx, w->sim.now, end, w->sim.events_executed);
        if (w->sim.frames.limit_hit || w->sim.frames.oom)
            return SIM_RESOURCE;
    } while (st == SIM_DONE && w->sim.now < end);
    return st;
}

enum world_status world_run(struct world *w, sim_time until)
{
    if (!w->jsonl && needs_digest(w) && !world_attach_jsonl(w, NULL)) {
        snprintf(w->error, sizeof w->error, "out of memory for the trace digest");
        return WORLD_RESOURCE;
    }
    sim_time end = until < 0 ? w->scn->duration : until;
    enum sim_status st = run_slices(w, end);
    w->ran_until = w->sim.now;
    w->desc.duration = w->ran_until; /* the views show the run as it went (--until) */
    w->finished = true;
    bool trace_ok = finish_trace(w);
    if (st == SIM_EVENT_LIMIT) {
        char t[32];
        snprintf(w->error, sizeof w->error,
                 "stopped after %llu events at %s (the event limit); the world may be "
                 "running away",
                 (unsigned long long)w->sim.events_executed, world_fmt_time(w->sim.now, t));
        return WORLD_EVENT_LIMIT;
    }
    if (st == SIM_RESOURCE && w->sim.frames.limit_hit) {
        char t[32];
        snprintf(w->error, sizeof w->error,
                 "more than %llu frames alive at once at %s (the frame limit; raise it with "
                 "--max-frames)",
                 (unsigned long long)w->sim.frames.limit, world_fmt_time(w->sim.now, t));
        return WORLD_RESOURCE;
    }
    if (st == SIM_RESOURCE && w->sim.frames.oom && !w->sim.error[0]) {
        char t[32];
        snprintf(w->error, sizeof w->error, "out of memory for frames at %s",
                 world_fmt_time(w->sim.now, t));
        return WORLD_RESOURCE;
    }
    if (st == SIM_RESOURCE) {
        snprintf(w->error, sizeof w->error, "%s", w->sim.error);
        return WORLD_RESOURCE;
    }
    if (!trace_ok) {
        snprintf(w->error, sizeof w->error, "writing the trace failed");
        return WORLD_RESOURCE;
    }
    if (w->obs->oom) {
        snprintf(w->error, sizeof w->error, "out of memory recording observations");
        return WORLD_RESOURCE;
    }
    return WORLD_OK;
}

/* ---- judging ------------------------------------------------------------ */

/* Appends the verdict's line to the JSON Lines trace (after the digest). */
static void trace_verdict(struct world *w, const struct trace_event *ev)
{
    if (!w->jsonl || !w->jsonl_out)
        return;
    size_t cap = strlen(ev->message) * 6 + 256;
    char *line = malloc(cap);
    if (!line)
        return;
    size_t n = jsonl_format(w->jsonl, ev, line, cap);
    fwrite(line, 1, n, w->jsonl_out);
    free(line);
}

uint32_t world_judge(struct world *w)
{
    const struct scenario *sc = w->scn;
    w->verdicts = calloc(sc->n_expects ? sc->n_expects : 1, sizeof *w->verdicts);
    if (!w->verdicts)
        return sc->n_expects;
    w->n_failed = 0;
    for (uint32_t i = 0; i < sc->n_expects; i++) {
        struct world_verdict *v = &w->verdicts[w->n_verdicts++];
        v->index = sc->expects[i].index;
        v->message = expect_judge(w, &sc->expects[i], &v->ok);
        if (!v->message) {
            v->ok = false;
            v->message = strdup("out of memory");
        }
        if (!v->ok)
            w->n_failed++;
        struct trace_event ev = {.t = w->sim.now,
                                 .kind = TRACE_EXPECT,
                                 .index = (int)v->index,
                                 .ok = v->ok,
                                 .message = v->message ? v->message : ""};
        if (trace_on(&w->sim.bus, TRACE_EXPECT))
            trace_emit(&w->sim.bus, &ev);
        trace_verdict(w, &ev);
    }
    if (w->jsonl_out)
        fflush(w->jsonl_out);
    return w->n_failed;
}

const char *world_first_failure(const struct world *w)
{
    for (uint32_t i = 0; i < w->n_verdicts; i++)
        if (!w->verdicts[i].ok)
            return w->verdicts[i].message;
    return NULL;
}

/* ---- observations ------------------------------------------------------- */

uint32_t world_drop_reasons(const struct world *w)
{
    return w->obs->n_drops;
}

const char *world_drop_reason(const struct world *w, uint32_t i, uint64_t *count)
{
    if (i >= w->obs->n_drops)
        return NULL;
    if (count)
        *count = w->obs->drops[i].count;
    return w->obs->drops[i].reason;
}

uint64_t world_retransmits(const struct world *w, const char *conn)
{
    const struct obs_conn *c = observer_conn(w->obs, conn);
    return c ? c->retx : 0;
}

uint32_t world_conn_history(const struct world *w, const char *conn, enum tcp_state *out,
                            uint32_t max)
{
    const struct obs_conn *c = observer_conn(w->obs, conn);
    if (!c)
        return UINT32_MAX;
    for (uint32_t i = 0; i < c->n_states && i < max; i++)
        out[i] = obs_state(c, i);
    return c->n_states;
}
