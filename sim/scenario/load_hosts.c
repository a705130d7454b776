/* `hosts` and the `tcp` settings (defaults, then `defaults.tcp`, then the
 * host's own `tcp`). Interfaces and routes are read by routes.c once the
 * links are known. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

static const char *const tcp_fields[] = {
    "mss",      "initial_window", "cc",           "delayed_ack",
    "nagle",    "sack",           "window_scale", "timestamps",
    "min_rto",  "max_rto",        "initial_rto",  "msl",
    "sndbuf",   "rcvbuf",         "syn_retries",  "synack_retries",
    "retries2", "backlog",        "keepalive",    NULL};

/* A time, or false for "off" (0). */
static void time_or_off(struct ld *l, const cJSON *obj, const char *key, sim_time *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return;
    if (cJSON_IsFalse(n)) {
        *out = 0;
        return;
    }
    if (cJSON_IsTrue(n))
        return; /* on, with the default time */
    sim_time t;
    if (ld_time(l, obj, key, &t)) {
        if (t <= 0)
            ld_err_at(l, n, key, "must be a positive time (or false for off)");
        else
            *out = t;
    }
}

static void positive_time(struct ld *l, const cJSON *obj, const char *key, sim_time *out)
{
    sim_time t;
    if (!ld_time(l, obj, key, &t))
        return;
    if (t <= 0)
        ld_err_at(l, ld_get(obj, key), key, "must be a positive time");
    else
        *out = t;
}

static void u32_field(struct ld *l, const cJSON *obj, const char *key, uint64_t min, uint64_t max,
                      uint32_t *out)
{
    uint64_t v;
    if (ld_uint(l, obj, key, min, max, &v))
        *out = (uint32_t)v;
}

static void buf_field(struct ld *l, const cJSON *obj, const char *key, uint32_t *out)
{
    uint64_t v;
    if (!ld_size(l, obj, key, (uint64_t)1 << 30, &v))
        return;
    if (v < 2048)
        ld_err_at(l, ld_get(obj, key), key, "a socket buffer needs at least 2048 B");
    else
        *out = (uint32_t)v;
}

void ld_tcp_config(struct ld *l, const cJSON *obj, struct tcp_config *c)
{
    if (!ld_check_object(l, obj, "tcp settings", tcp_fields))
        return;
    static const char *const cc_names[] = {"newreno", "cubic"};
    bool b;
    /* An MSS must leave room for a segment in the smallest IPv4 MTU (RFC 791: 68). */
    u32_field(l, obj, "mss", 28, 65495, &c->mss);
    u32_field(l, obj, "initial_window", 1, 1000, &c->initial_window);
    int cc = ld_enum(l, obj, "cc", cc_names, 2);
    if (cc >= 0)
        c->cc = cc == 0 ? TCP_CC_NEWRENO : TCP_CC_CUBIC;
    time_or_off(l, obj, "delayed_ack", &c->delayed_ack);
    if (ld_bool(l, obj, "nagle", &b))
        c->nagle = b;
    if (ld_bool(l, obj, "sack", &b))
        c->sack = b;
    if (ld_bool(l, obj, "window_scale", &b))
        c->window_scale = b;
    if (ld_bool(l, obj, "timestamps", &b))
        c->timestamps = b;
    positive_time(l, obj, "min_rto", &c->min_rto);
    positive_time(l, obj, "max_rto", &c->max_rto);
    positive_time(l, obj, "initial_rto", &c->initial_rto);
    positive_time(l, obj, "msl", &c->msl);
    buf_field(l, obj, "sndbuf", &c->sndbuf);
    buf_field(l, obj, "rcvbuf", &c->rcvbuf);
    u32_field(l, obj, "syn_retries", 0, 255, &c->syn_retries);
    u32_field(l, obj, "synack_retries", 0, 255, &c->synack_retries);
    u32_field(l, obj, "retries2", 0, 255, &c->retries2);
    u32_field(l, obj, "backlog", 1, 65535, &c->backlog);
    time_or_off(l, obj, "keepalive", &c->keepalive);
}

static const char *const host_fields[] = {"name",       "forward", "pos", "tcp",
                                          "interfaces", "routes",  NULL};

static void ld_pos(struct ld *l, const cJSON *h, struct scn_host *out)
{
    const cJSON *p = ld_get(h, "pos");
    if (!p)
        return;
    size_t mark = ld_push_key(l, "pos");
    double xy[2];
    bool ok = false;
    if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 2) {
        ok = true;
        for (int i = 0; i < 2; i++) {
            const cJSON *v = cJSON_GetArrayItem(p, i);
            size_t m2 = ld_push_index(l, (uint32_t)i);
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1)) {
                ld_err(l, v, "a coordinate must be a number in [0, 1]");
                ok = false;
            } else {
                xy[i] = v->valuedouble;
            }
            ld_pop(l, m2);
        }
    } else if (cJSON_IsObject(p)) {
        static const char *const fields[] = {"x", "y", NULL};
        if (ld_check_object(l, p, "a position", fields) && ld_require(l, p, "x") &&
            ld_require(l, p, "y"))
            ok = both(ld_double(l, p, "x", 0, 1, &xy[0]), ld_double(l, p, "y", 0, 1, &xy[1]));
    } else {
        ld_err(l, p, "expected [x, y] with each in [0, 1]");
    }
    if (ok) {
        out->has_pos = true;
        out->x = xy[0];
        out->y = xy[1];
    }
    ld_pop(l, mark);
}

static void ld_host(struct ld *l, const cJSON *h, const struct tcp_config *base,
                    struct scn_host *out)
{
    out->tcp = *base;
    if (!ld_check_object(l, h, "a host", host_fields))
        return;
    const char *name;
    if (ld_require(l, h, "name") && ld_string(l, h, "name", &name)) {
        const char *why = scn_name_problem(name);
        if (why)
            ld_err_at(l, ld_get(h, "name"), "name", "host name \"%s\" %s", name, why);
        else
            out->name = ld_strdup(l, ld_get(h, "name"), name);
    }
    bool b;
    if (ld_bool(l, h, "forward", &b))
        out->forward = b;
    ld_pos(l, h, out);
    const cJSON *tcp = ld_get(h, "tcp");
    if (tcp) {
        size_t mark = ld_push_key(l, "tcp");
        ld_tcp_config(l, tcp, &out->tcp);
        ld_pop(l, mark);
    }
}

/* Reports duplicate names (at the later one) and builds the name index. */
static void index_hosts(struct ld *l, const cJSON *arr)
{
    struct scenario *sc = l->sc;
    struct name_ref *refs = scn_calloc(sc->n_hosts, sizeof *refs);
    if (!refs)
        return;
    for (uint32_t i = 0; i < sc->n_hosts; i++)
        refs[i] = (struct name_ref){sc->hosts[i].name, i};
    sc->host_by_name =
        ld_index_names(l, arr, refs, sc->n_hosts, "hosts", "name", "host name", NULL);
}

void ld_hosts(struct ld *l, const cJSON *root, const cJSON *defaults)
{
    struct tcp_config base;
    tcp_config_default(&base);
    const cJSON *dt = ld_get(defaults, "tcp");
    if (dt) {
        size_t mark = ld_push_key(l, "defaults");
        ld_push_key(l, "tcp");
        ld_tcp_config(l, dt, &base);
        ld_pop(l, mark);
    }
    const cJSON *arr;
    uint32_t n;
    if (!ld_get(root, "hosts")) {
        ld_err(l, root, "missing required field \"hosts\"");
        return;
    }
    if (!ld_array(l, root, "hosts", SCN_MAX_HOSTS, "hosts", &arr, &n))
        return;
    if (n == 0) {
        ld_err_at(l, arr, "hosts", "a scenario needs at least one host");
        return;
    }
    struct scenario *sc = l->sc;
    sc->hosts = scn_calloc(n, sizeof *sc->hosts);
    if (!sc->hosts) {
        ld_err(l, arr, "out of memory");
        return;
    }
    sc->n_hosts = n;
    uint32_t i = 0;
    for (const cJSON *h = arr->child; h; h = h->next, i++) {
        size_t mark = ld_push_key(l, "hosts");
        ld_push_index(l, i);
        ld_host(l, h, &base, &sc->hosts[i]);
        ld_pop(l, mark);
    }
    index_hosts(l, arr);
}
