/* The observer: a trace sink that keeps, per connection and per application,
 * exactly what the expectations and the human report need, so nothing has to
 * re-read a trace after the run. */
#include <stdlib.h>
#include <string.h>

#include "world_int.h"

/* ---- name -> index ---------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static bool map_grow(struct name_map *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 64;
    struct name_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].idx1)
            continue;
        uint32_t j = m->slots[i].hash & (cap - 1);
        while (slots[j].idx1)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

static uint32_t map_find(const struct world_observer *o, const struct name_map *m, const char *key)
{
    if (!m->cap || !key)
        return UINT32_MAX;
    uint32_t h = name_hash(key);
    for (uint32_t j = h & (m->cap - 1); m->slots[j].idx1; j = (j + 1) & (m->cap - 1)) {
        const struct name_slot *s = &m->slots[j];
        if (s->hash == h && strcmp(m->key(o, s->idx1 - 1), key) == 0)
            return s->idx1 - 1;
    }
    return UINT32_MAX;
}

/* The record idx must be named key already. */
static bool map_put(struct name_map *m, const char *key, uint32_t idx)
{
    if ((m->used + 1) * 4 > m->cap * 3 && !map_grow(m)) /* at most three quarters full */
        return false;
    uint32_t h = name_hash(key);
    uint32_t j = h & (m->cap - 1);
    while (m->slots[j].idx1)
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = (struct name_slot){.hash = h, .idx1 = idx + 1};
    m->used++;
    return true;
}

static const char *conn_key(const struct world_observer *o, uint32_t idx)
{
    return obs_conn_name(&o->conns[idx]);
}

static const char *app_key(const struct world_observer *o, uint32_t idx)
{
    return o->apps[idx].id;
}

/* ---- growing arrays ---------------------------------------------------- */

/* By half again, from `first`: the records of a big world are many and
 * small.  (A connection's history grows the same way from
 * OBS_FIRST_STATES: 6, 9, 13.) */
static bool grow(void **v, uint32_t *cap, uint32_t n, size_t size, uint32_t first)
{
    if (n < *cap)
        return true;
    uint32_t c = *cap ? *cap + *cap / 2 : first;
    void *p = realloc(*v, (size_t)c * size);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}

/* ---- records ------------------------------------------------------------ */

static enum tcp_state state_from_name(const char *s)
{
    for (int i = 0; i < TCP_STATE_COUNT; i++)
        if (s && strcmp(tcp_state_name((enum tcp_state)i), s) == 0)
            return (enum tcp_state)i;
    return TCP_CLOSED;
}

/* Room for an ordinary life at once: a server's child (LISTEN, SYN_RCVD,
 * ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSED) and a client up to TIME_WAIT
 * (CLOSED, SYN_SENT, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT) fit, so
 * the blocks of a run shorter than 2 MSL are never reallocated; a client's
 * final CLOSED reallocates its block once. */
#define OBS_FIRST_STATES 6

static struct obs_conn *conn_get(struct world_observer *o, const char *name, const char *host)
{
    uint32_t i = map_find(o, &o->conn_map, name);
    if (i != UINT32_MAX)
        return &o->conns[i];
    if (!grow((void **)&o->conns, &o->cap_conns, o->n_conns, sizeof *o->conns, 16))
        return NULL;
    struct obs_conn *c = &o->conns[o->n_conns];
    memset(c, 0, sizeof *c);
    if (!host)
        host = "";
    size_t n = strlen(name) + 1, nh = strlen(host) + 1;
    c->block = malloc(obs_names_at(OBS_FIRST_STATES) + n + nh);
    if (!c->block)
        return NULL;
    c->cap_states = OBS_FIRST_STATES;
    char *names = c->block + obs_names_at(OBS_FIRST_STATES);
    memcpy(names, name, n);
    memcpy(names + n, host, nh);
    if (!map_put(&o->conn_map, names, o->n_conns)) {
        free(c->block);
        return NULL;
    }
    o->n_conns++;
    return c;
}

/* Half again as many states: the names move up behind the longer arrays,
 * then the states behind the longer array of times. */
static bool grow_history(struct obs_conn *c)
{
    uint32_t old = c->cap_states, cap = old + old / 2;
    const char *name = obs_conn_name(c);
    size_t n = strlen(name) + 1;
    size_t names = n + strlen(name + n) + 1;
    char *b = realloc(c->block, obs_names_at(cap) + names);
    if (!b)
        return false;
    memmove(b + obs_names_at(cap), b + obs_names_at(old), names);
    memmove(b + (size_t)cap * sizeof(sim_time), b + (size_t)old * sizeof(sim_time), c->n_states);
    c->block = b;
    c->cap_states = cap;
    return true;
}

static bool push_state(struct obs_conn *c, sim_time t, enum tcp_state s)
{
    if (c->n_states == c->cap_states && !grow_history(c))
        return false;
    char *h = c->block;
    memcpy(h + (size_t)c->n_states * sizeof t, &t, sizeof t);
    h[(size_t)c->cap_states * sizeof t + c->n_states++] = (char)s;
    return true;
}

/* How a connection ended, from the cause of its change to CLOSED. */
static enum tcp_outcome outcome_of_close(const struct obs_conn *c, const char *cause)
{
    if (cause && strcmp(cause, "timeout") == 0)
        return TCP_OUTCOME_TIMEOUT;
    if (cause && strstr(cause, "RST"))
        return c->established ? TCP_OUTCOME_RESET : TCP_OUTCOME_REFUSED;
    if (cause && (strstr(cause, "abort") || strstr(cause, "listener closed")))
        return TCP_OUTCOME_RESET;
    return c->established ? TCP_OUTCOME_ESTABLISHED : c->outcome;
}

static void on_state(struct world_observer *o, const struct trace_event *e)
{
    if (!e->conn)
        return;
    struct obs_conn *c = conn_get(o, e->conn, e->host);
    if (!c) {
        o->oom = true;
        return;
    }
    enum tcp_state to = state_from_name(e->to);
    if (c->n_states == 0 && !push_state(c, e->t, state_from_name(e->from)))
        o->oom = true;
    if (!push_state(c, e->t, to))
        o->oom = true;
    if (to == TCP_ESTABLISHED) {
        c->established = true;
        c->outcome = TCP_OUTCOME_ESTABLISHED;
    } else if (to == TCP_CLOSED) {
        c->outcome = outcome_of_close(c, e->cause);
    }
}

static struct obs_app *app_of(struct world_observer *o, const char *id)
{
    uint32_t i = map_find(o, &o->app_map, id);
    return i == UINT32_MAX ? NULL : &o->apps[i];
}

static void on_app(struct world_observer *o, const struct trace_event *e)
{
    struct obs_app *a = app_of(o, e->app);
    if (!a || !e->what)
        return;
    if (strcmp(e->what, "deliver") == 0) {
        if (e->bytes > 0)
            a->delivered += (uint64_t)e->bytes;
    } else if (strcmp(e->what, "verify_failed") == 0) {
        a->verify_failed++;
    } else if (strcmp(e->what, "reply") == 0) {
        if (a->replies == 0 || e->rtt < a->rtt_min)
            a->rtt_min = e->rtt;
        if (a->replies == 0 || e->rtt > a->rtt_max)
            a->rtt_max = e->rtt;
        a->replies++;
    }
}

static void on_drop(struct world_observer *o, const struct trace_event *e)
{
    const char *reason = e->reason ? e->reason : "unknown";
    for (uint32_t i = 0; i < o->n_drops; i++) {
        if (strcmp(o->drops[i].reason, reason) == 0) {
            o->drops[i].count++;
            return;
        }
    }
    if (!grow((void **)&o->drops, &o->cap_drops, o->n_drops, sizeof *o->drops, 8)) {
        o->oom = true;
        return;
    }
    char *r = strdup(reason);
    if (!r) {
        o->oom = true;
        return;
    }
    o->drops[o->n_drops++] = (struct obs_drop){.reason = r, .count = 1};
}

static void on_tx(struct world_observer *o, const struct trace_event *e)
{
    o->frames_tx++;
    if (e->frame)
        o->bytes_tx += e->frame->len;
    if (!e->frame || !e->link || !e->host)
        return;
    struct frame_summary s;
    bool decoded = false;
    for (uint32_t i = 0; i < o->n_counts; i++) {
        struct obs_count *c = &o->counts[i];
        if (strcmp(c->link, e->link) != 0 || (c->host && strcmp(c->host, e->host) != 0))
            continue;
        if (!decoded) {
            frame_decode(e->frame->data, e->frame->len, &s);
            decoded = true;
        }
        uint32_t rel_seq = 0, rel_ack = 0;
        if (s.proto == DEC_TCP)
            seqrel_observe(&c->rel, &s, &rel_seq, &rel_ack);
        if (frame_filter_match(&c->filter, &s, rel_seq))
            c->count++;
    }
}

/* The index of a tracked connection in cc_conns, or UINT32_MAX. */
static uint32_t tracked_cc(const struct world_observer *o, const char *conn)
{
    for (uint32_t i = 0; i < o->n_cc_conns; i++)
        if (strcmp(o->cc_conns[i], conn) == 0)
            return i;
    return UINT32_MAX;
}

/* Room for one more cwnd sample. */
static bool cc_reserve(struct obs_cc_log **logp)
{
    struct obs_cc_log *log = *logp;
    if (log && log->n < log->cap)
        return true;
    uint32_t cap = log ? log->cap + log->cap / 2 : 8;
    struct obs_cc_log *grown = realloc(log, sizeof *grown + (size_t)cap * sizeof grown->v[0]);
    if (!grown)
        return false;
    if (!log)
        grown->n = 0;
    grown->cap = cap;
    *logp = grown;
    return true;
}

static void on_cc(struct world_observer *o, const struct trace_event *e)
{
    uint32_t k = e->conn ? tracked_cc(o, e->conn) : UINT32_MAX;
    if (k == UINT32_MAX)
        return;
    /* The connection is recorded too, as every other one is. */
    if (!conn_get(o, e->conn, e->host) || !cc_reserve(&o->cc_logs[k])) {
        o->oom = true;
        return;
    }
    struct obs_cc_log *log = o->cc_logs[k];
    log->v[log->n++] = (struct obs_cc){.t = e->t, .cwnd = e->cwnd};
}

static void on_retx(struct world_observer *o, const struct trace_event *e)
{
    o->retx_total++;
    if (!e->conn)
        return;
    struct obs_conn *c = conn_get(o, e->conn, e->host);
    if (c)
        c->retx++;
    else
        o->oom = true;
}

static void observer_event(struct trace_sink *s, const struct trace_event *e)
{
    struct world_observer *o = (struct world_observer *)s;
    switch (e->kind) {
    case TRACE_STATE:
        on_state(o, e);
        break;
    case TRACE_APP:
        on_app(o, e);
        break;
    case TRACE_DROP:
        on_drop(o, e);
        break;
    case TRACE_TX:
        on_tx(o, e);
        break;
    case TRACE_CC:
        on_cc(o, e);
        break;
    case TRACE_RETX:
        on_retx(o, e);
        break;
    default:
        break;
    }
}

/* ---- setup -------------------------------------------------------------- */

static bool setup_apps(struct world_observer *o, const struct scenario *sc)
{
    o->apps = calloc(sc->n_apps ? sc->n_apps : 1, sizeof *o->apps);
    if (!o->apps)
        return false;
    for (uint32_t i = 0; i < sc->n_apps; i++) {
        o->apps[i].id = scenario_app_id(sc, i);
        o->n_apps++;
        if (!map_put(&o->app_map, o->apps[i].id, i))
            return false;
    }
    return true;
}

static bool setup_expectations(struct world_observer *o, const struct scenario *sc)
{
    o->counts = calloc(sc->n_expects ? sc->n_expects : 1, sizeof *o->counts);
    o->cc_conns = calloc(sc->n_expects ? sc->n_expects : 1, sizeof *o->cc_conns);
    o->cc_logs = calloc(sc->n_expects ? sc->n_expects : 1, sizeof(struct obs_cc_log *));
    if (!o->counts || !o->cc_conns || !o->cc_logs)
        return false;
    for (uint32_t i = 0; i < sc->n_expects; i++) {
        const struct scn_expect *e = &sc->expects[i];
        if (e->kind == SCN_EXP_CWND && e->conn) {
            o->cc_conns[o->n_cc_conns++] = e->conn;
        } else if (e->kind == SCN_EXP_COUNT && e->link < sc->n_links) {
            struct obs_count *c = &o->counts[o->n_counts++];
            c->expect = i;
            c->link = scenario_link_name(sc, e->link);
            c->host =
                e->side < 0
                    ? NULL
                    : scenario_host_name(sc, scenario_link_host(sc, e->link, e->side ? 1 : 0));
            c->filter = e->filter;
            seqrel_init(&c->rel);
        }
    }
    return true;
}

struct world_observer *observer_create(const struct scenario *sc)
{
    struct world_observer *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->sink.event = observer_event;
    o->conn_map.key = conn_key;
    o->app_map.key = app_key;
    o->sink.mask = TRACE_MASK(TRACE_STATE) | TRACE_MASK(TRACE_APP) | TRACE_MASK(TRACE_DROP) |
                   TRACE_MASK(TRACE_RETX) | TRACE_MASK(TRACE_TX);
    if (!setup_apps(o, sc) || !setup_expectations(o, sc)) {
        observer_destroy(o);
        return NULL;
    }
    if (o->n_cc_conns)
        o->sink.mask |= TRACE_MASK(TRACE_CC);
    return o;
}

void observer_destroy(struct world_observer *o)
{
    if (!o)
        return;
    for (uint32_t i = 0; i < o->n_conns; i++)
        free(o->conns[i].block);
    free(o->conns);
    free(o->conn_map.slots);
    free(o->apps);
    free(o->app_map.slots);
    for (uint32_t i = 0; i < o->n_counts; i++)
        seqrel_destroy(&o->counts[i].rel);
    free(o->counts);
    for (uint32_t i = 0; o->cc_logs && i < o->n_cc_conns; i++)
        free(o->cc_logs[i]);
    free(o->cc_logs);
    free(o->cc_conns);
    for (uint32_t i = 0; i < o->n_drops; i++)
        free(o->drops[i].reason);
    free(o->drops);
    free(o);
}

const struct obs_conn *observer_conn(const struct world_observer *o, const char *name)
{
    uint32_t i = map_find(o, &o->conn_map, name);
    return i == UINT32_MAX ? NULL : &o->conns[i];
}

const struct obs_app *observer_app(const struct world_observer *o, const char *id)
{
    uint32_t i = map_find(o, &o->app_map, id);
    return i == UINT32_MAX ? NULL : &o->apps[i];
}

const struct obs_cc_log *observer_cc(const struct world_observer *o, const char *conn)
{
    uint32_t k = conn ? tracked_cc(o, conn) : UINT32_MAX;
    return k == UINT32_MAX ? NULL : o->cc_logs[k];
}

const struct obs_count *observer_count(const struct world_observer *o, uint32_t expect)
{
    for (uint32_t i = 0; i < o->n_counts; i++)
        if (o->counts[i].expect == expect)
            return &o->counts[i];
    return NULL;
}

enum tcp_state obs_state_at(const struct obs_conn *c, sim_time t)
{
    if (!c || c->n_states == 0)
        return TCP_CLOSED;
    enum tcp_state s = obs_state(c, 0);
    for (uint32_t i = 1; i < c->n_states && obs_time(c, i) <= t; i++)
        s = obs_state(c, i);
    return s;
}
