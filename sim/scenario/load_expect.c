/* `expect`: each expectation's kind is told by the field that names what it
 * checks (`states`, `received`, `count`, ...); the others are its context. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

struct exp_kind {
    const char *key; /* the field that selects the kind */
    enum scn_expect_kind kind;
    const char *fields[6];
};

/* In the order they are recognised: `state` + `at` only when no `cwnd`. */
static const struct exp_kind kinds[] = {
    {"trace_sha256", SCN_EXP_TRACE_SHA256, {"trace_sha256", NULL}},
    {"count", SCN_EXP_COUNT, {"count", "equals", "min", "max", NULL}},
    {"states", SCN_EXP_STATES, {"conn", "states", "match", NULL}},
    {"cwnd", SCN_EXP_CWND, {"conn", "at", "cwnd", NULL}},
    {"state", SCN_EXP_STATE_AT, {"conn", "at", "state", NULL}},
    {"received", SCN_EXP_RECEIVED, {"app", "received", NULL}},
    {"retransmits", SCN_EXP_RETRANSMITS, {"conn", "retransmits", NULL}},
    {"outcome", SCN_EXP_OUTCOME, {"conn", "outcome", NULL}},
    {"replies", SCN_EXP_PING_REPLIES, {"app", "replies", NULL}},
    {"rtt", SCN_EXP_RTT, {"app", "rtt", NULL}},
    {"connections", SCN_EXP_CONNECTIONS, {"app", "connections", NULL}},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

enum val_kind { VAL_COUNT, VAL_SIZE, VAL_TIME };

static bool ld_value(struct ld *l, const cJSON *n, enum val_kind vk, int64_t *out)
{
    uint64_t u;
    sim_time t;
    switch (vk) {
    case VAL_COUNT:
        if (!ld_uint_node(l, n, 0, (uint64_t)1 << 53, &u))
            return false;
        *out = (int64_t)u;
        return true;
    case VAL_SIZE:
        if (!ld_size_node(l, n, (uint64_t)1 << 53, &u))
            return false;
        *out = (int64_t)u;
        return true;
    case VAL_TIME:
        if (!ld_time_node(l, n, &t))
            return false;
        *out = t;
        return true;
    }
    return false;
}

/* A bound of an object: obj[key] into *v. */
static bool ld_bound(struct ld *l, const cJSON *obj, const char *key, enum val_kind vk, bool *has,
                     int64_t *v)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return true;
    size_t mark = ld_push_key(l, key);
    *has = ld_value(l, n, vk, v);
    ld_pop(l, mark);
    return *has;
}

/* {"min": ..., "max": ...}, at least one, min <= max. */
static bool ld_range(struct ld *l, const cJSON *obj, enum val_kind vk, struct scn_cmp *c)
{
    static const char *const fields[] = {"min", "max", NULL};
    if (!ld_check_object(l, obj, "a range", fields))
        return false;
    bool ok = both(ld_bound(l, obj, "min", vk, &c->has_min, &c->min),
                   ld_bound(l, obj, "max", vk, &c->has_max, &c->max));
    if (ok && !c->has_min && !c->has_max) {
        ld_err(l, obj, "a range needs \"min\", \"max\" or both");
        return false;
    }
    if (ok && c->has_min && c->has_max && c->min > c->max) {
        ld_err(l, obj, "\"min\" is larger than \"max\"");
        return false;
    }
    return ok;
}

/* A value (equals) or a range, at obj[key]. */
static bool ld_cmp(struct ld *l, const cJSON *obj, const char *key, enum val_kind vk,
                   bool range_only, struct scn_cmp *c)
{
    const cJSON *n = ld_get(obj, key);
    size_t mark = ld_push_key(l, key);
    bool ok;
    if (cJSON_IsObject(n)) {
        ok = ld_range(l, n, vk, c);
    } else if (range_only) {
        ld_err(l, n, "expected {\"min\": ..., \"max\": ...}");
        ok = false;
    } else {
        ok = c->has_eq = ld_value(l, n, vk, &c->eq);
    }
    ld_pop(l, mark);
    return ok;
}

static bool parse_state(const char *s, enum tcp_state *out)
{
    for (int i = 0; i < TCP_STATE_COUNT; i++)
        if (strcmp(s, tcp_state_name((enum tcp_state)i)) == 0) {
            *out = (enum tcp_state)i;
            return true;
        }
    return false;
}

static bool ld_state_node(struct ld *l, const cJSON *n, enum tcp_state *out)
{
    if (cJSON_IsString(n) && parse_state(n->valuestring, out))
        return true;
    const char *names[TCP_STATE_COUNT];
    for (int i = 0; i < TCP_STATE_COUNT; i++)
        names[i] = tcp_state_name((enum tcp_state)i);
    const char *near =
        cJSON_IsString(n) ? scn_closest(n->valuestring, names, TCP_STATE_COUNT) : NULL;
    if (near)
        ld_err(l, n, "unknown TCP state \"%s\" (did you mean \"%s\"?)", n->valuestring, near);
    else
        ld_err(l, n,
               "expected a TCP state: CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 "
               "FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT");
    return false;
}

static bool ld_states(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, obj, "states", 10000, "states", &arr, &n))
        return false;
    if (n == 0) {
        ld_err_at(l, arr, "states", "expected at least one state");
        return false;
    }
    e->states = scn_calloc(n, sizeof *e->states);
    if (!e->states)
        return false;
    size_t mark = ld_push_key(l, "states");
    bool ok = true;
    uint32_t i = 0;
    for (const cJSON *s = arr->child; s; s = s->next, i++) {
        size_t m2 = ld_push_index(l, i);
        ok &= ld_state_node(l, s, &e->states[i]);
        ld_pop(l, m2);
    }
    ld_pop(l, mark);
    e->n_states = n;
    static const char *const matches[] = {"exact", "subsequence"};
    int m = ld_enum(l, obj, "match", matches, 2);
    if (m < 0 && ld_get(obj, "match"))
        ok = false;
    e->subsequence = m == 1;
    return ok;
}

static bool ld_sha(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    const char *s;
    if (!ld_string(l, obj, "trace_sha256", &s))
        return false;
    const char *hex = strncmp(s, "sha256:", 7) == 0 ? s + 7 : s;
    bool ok = strlen(hex) == 64;
    for (size_t i = 0; ok && i < 64; i++)
        ok = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f');
    if (!ok) {
        ld_err_at(l, ld_get(obj, "trace_sha256"), "trace_sha256",
                  "expected \"sha256:\" and 64 lowercase hex digits");
        return false;
    }
    snprintf(e->sha256, sizeof e->sha256, "sha256:%s", hex);
    return true;
}

static bool ld_count(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    const cJSON *c = ld_get(obj, "count");
    size_t mark = ld_push_key(l, "count");
    const char *fields[8] = {"link", "from"};
    uint32_t nf = 2;
    for (const char *const *p = ld_filter_fields; *p; p++)
        fields[nf++] = *p;
    fields[nf] = NULL;
    bool ok = ld_check_object(l, c, "a frame count", fields) && ld_require(l, c, "link");
    e->side = -1;
    e->link = UINT32_MAX;
    if (ok) {
        uint32_t before = l->errors;
        e->link = ld_ref_link(l, c, "link");
        if (ld_get(c, "from") && e->link != UINT32_MAX) {
            uint32_t h = ld_ref_host(l, c, "from");
            const struct scn_link *lk = &l->sc->links[e->link];
            if (h != UINT32_MAX && lk->end[0].host != h && lk->end[1].host != h)
                ld_err_at(l, ld_get(c, "from"), "from", "host \"%s\" is not an end of link \"%s\"",
                          l->sc->hosts[h].name, lk->name);
            else if (h != UINT32_MAX)
                e->side = lk->end[0].host == h ? 0 : 1;
        }
        ld_filter(l, c, &e->filter);
        ok = l->errors == before;
    }
    ld_pop(l, mark);
    struct scn_cmp *cmp = &e->cmp;
    ok &= ld_bound(l, obj, "equals", VAL_COUNT, &cmp->has_eq, &cmp->eq);
    ok &= ld_bound(l, obj, "min", VAL_COUNT, &cmp->has_min, &cmp->min);
    ok &= ld_bound(l, obj, "max", VAL_COUNT, &cmp->has_max, &cmp->max);
    if (ok && !cmp->has_eq && !cmp->has_min && !cmp->has_max) {
        ld_err(l, obj, "a count needs \"equals\", \"min\" or \"max\"");
        ok = false;
    }
    if (ok && cmp->has_eq && (cmp->has_min || cmp->has_max)) {
        ld_err(l, obj, "give either \"equals\" or \"min\"/\"max\"");
        ok = false;
    }
    return ok;
}

/* The app at obj["app"], which must be of one of the given types. */
static bool ld_app_of(struct ld *l, const cJSON *obj, struct scn_expect *e, const char *what,
                      uint32_t types)
{
    if (!ld_require(l, obj, "app"))
        return false;
    e->app = ld_ref_app(l, obj, "app");
    if (e->app == UINT32_MAX)
        return false;
    enum scn_app_type t = l->sc->apps[e->app].type;
    if (!(types & (1u << t))) {
        ld_err_at(l, ld_get(obj, "app"), "app", "app \"%s\" is a %s; %s", l->sc->apps[e->app].id,
                  scn_app_type_name(t), what);
        return false;
    }
    return true;
}

static bool ld_conn_of(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    const char *conn;
    uint32_t app;
    if (!ld_require(l, obj, "conn") || !ld_ref_conn(l, obj, "conn", &app, &conn))
        return false;
    e->conn = ld_strdup(l, obj, conn);
    e->app = app;
    return e->conn != NULL;
}

static bool ld_outcome(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    static const char *const names[] = {"established", "refused", "reset", "timeout"};
    static const enum tcp_outcome vals[] = {TCP_OUTCOME_ESTABLISHED, TCP_OUTCOME_REFUSED,
                                            TCP_OUTCOME_RESET, TCP_OUTCOME_TIMEOUT};
    int o = ld_enum(l, obj, "outcome", names, 4);
    if (o < 0)
        return false;
    e->outcome = vals[o];
    return true;
}

#define BIT(t) (1u << (t))

static bool ld_expect_body(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    bool ok;
    switch (e->kind) {
    case SCN_EXP_TRACE_SHA256:
        return ld_sha(l, obj, e);
    case SCN_EXP_COUNT:
        return ld_count(l, obj, e);
    case SCN_EXP_STATES:
        return both(ld_conn_of(l, obj, e), ld_states(l, obj, e));
    case SCN_EXP_CWND:
        ok = both(ld_conn_of(l, obj, e), ld_require(l, obj, "at"));
        ok &= ld_time(l, obj, "at", &e->at);
        return both(ok, ld_cmp(l, obj, "cwnd", VAL_SIZE, true, &e->cmp));
    case SCN_EXP_STATE_AT:
        ok = both(ld_conn_of(l, obj, e), ld_require(l, obj, "at"));
        ok &= ld_time(l, obj, "at", &e->at);
        {
            size_t mark = ld_push_key(l, "state");
            ok &= ld_state_node(l, ld_get(obj, "state"), &e->state);
            ld_pop(l, mark);
        }
        return ok;
    case SCN_EXP_RECEIVED:
        ok = ld_app_of(l, obj, e, "\"received\" applies to tcp_server, tcp_client and udp_sink",
                       BIT(SCN_APP_TCP_SERVER) | BIT(SCN_APP_TCP_CLIENT) | BIT(SCN_APP_UDP_SINK));
        return both(ok, ld_cmp(l, obj, "received", VAL_SIZE, false, &e->cmp));
    case SCN_EXP_RETRANSMITS:
        return both(ld_conn_of(l, obj, e),
                    ld_cmp(l, obj, "retransmits", VAL_COUNT, false, &e->cmp));
    case SCN_EXP_OUTCOME:
        return both(ld_conn_of(l, obj, e), ld_outcome(l, obj, e));
    case SCN_EXP_PING_REPLIES:
        ok = ld_app_of(l, obj, e, "\"replies\" applies to ping", BIT(SCN_APP_PING));
        return both(ok, ld_cmp(l, obj, "replies", VAL_COUNT, false, &e->cmp));
    case SCN_EXP_RTT:
        ok = ld_app_of(l, obj, e, "\"rtt\" applies to ping", BIT(SCN_APP_PING));
        return both(ok, ld_cmp(l, obj, "rtt", VAL_TIME, true, &e->cmp));
    case SCN_EXP_CONNECTIONS:
        ok = ld_app_of(l, obj, e, "\"connections\" applies to tcp_server", BIT(SCN_APP_TCP_SERVER));
        return both(ok, ld_cmp(l, obj, "connections", VAL_COUNT, false, &e->cmp));
    }
    return false;
}

static bool known_expect_field(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++)
        for (const char *const *f = kinds[i].fields; *f; f++)
            if (strcmp(name, *f) == 0)
                return true;
    return false;
}

/* With no field naming the kind, a misspelt one is the likely cause: each
 * member no expectation knows is reported, with the kind it is closest to.
 * True if one of them was taken for a misspelt kind. */
static bool unknown_expect_fields(struct ld *l, const cJSON *obj)
{
    const char *keys[N_KINDS];
    for (size_t i = 0; i < N_KINDS; i++)
        keys[i] = kinds[i].key;
    bool kind_suggested = false;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (known_expect_field(c->string))
            continue;
        const char *near = scn_closest(c->string, keys, N_KINDS);
        size_t mark = ld_push_key(l, c->string);
        if (near)
            ld_err_key(l, c, "unknown field \"%s\" (did you mean \"%s\"?)", c->string, near);
        else
            ld_err_key(l, c, "unknown field \"%s\"", c->string);
        ld_pop(l, mark);
        kind_suggested |= near != NULL;
    }
    return kind_suggested;
}

static bool ld_expect(struct ld *l, const cJSON *obj, struct scn_expect *e)
{
    if (!cJSON_IsObject(obj)) {
        ld_err(l, obj, "an expectation must be an object");
        return false;
    }
    const struct exp_kind *k = NULL;
    for (size_t i = 0; i < N_KINDS && !k; i++)
        if (ld_get(obj, kinds[i].key))
            k = &kinds[i];
    if (!k) {
        if (unknown_expect_fields(l, obj))
            return false;
        ld_err(l, obj,
               "an expectation needs one of \"states\", \"state\", \"received\", \"count\", "
               "\"retransmits\", \"outcome\", \"replies\", \"rtt\", \"cwnd\", \"connections\", "
               "\"trace_sha256\"");
        return false;
    }
    e->kind = k->kind;
    char what[48];
    snprintf(what, sizeof what, "a \"%s\" expectation", k->key);
    if (!ld_check_object(l, obj, what, k->fields))
        return false;
    uint32_t before = l->errors;
    bool ok = ld_expect_body(l, obj, e);
    return ok && l->errors == before;
}

void ld_expects(struct ld *l, const cJSON *root)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, root, "expect", SCN_MAX_EVENTS, "expectations", &arr, &n))
        return;
    struct scenario *sc = l->sc;
    sc->expects = scn_calloc(n, sizeof *sc->expects);
    if (!sc->expects)
        return;
    uint32_t i = 0;
    for (const cJSON *obj = arr->child; obj; obj = obj->next, i++) {
        struct scn_expect *e = &sc->expects[sc->n_expects];
        size_t mark = ld_push_key(l, "expect");
        ld_push_index(l, i);
        e->index = i;
        e->app = e->link = UINT32_MAX;
        e->side = -1;
        uint32_t off;
        int col;
        if (jpos_offset(&l->pos, obj, false, &off))
            jpos_line_col(&l->pos, off, &e->line, &col);
        if (ld_expect(l, obj, e)) {
            sc->n_expects++;
        } else {
            free(e->conn);
            free(e->states);
            memset(e, 0, sizeof *e);
        }
        ld_pop(l, mark);
    }
}
