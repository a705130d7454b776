/* `apps`: the configuration handed to app_*_create, with addresses resolved
 * (a host name means its address nearest to the app's host), peers checked
 * to be reachable both ways, and ports checked not to be taken twice. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

static const char *const type_names[] = {"tcp_server", "tcp_client", "udp_sender",
                                         "udp_sink",   "ping",       "traceroute"};
/* What an app of each type is called in messages (written out: formatting
 * it for every app cost more than checking its fields). */
static const char *const type_what[] = {"a tcp_server", "a tcp_client", "a udp_sender",
                                        "a udp_sink",   "a ping",       "a traceroute"};

static const char *const fields_by_type[][13] = {
    [SCN_APP_TCP_SERVER] = {"id", "host", "type", "port", "mode", "respond", "close", "backlog",
                            "read_rate", NULL},
    [SCN_APP_TCP_CLIENT] = {"id", "host", "type", "at", "connect", "port", "send", "script",
                            "close", "abort", "read_rate", NULL},
    [SCN_APP_UDP_SENDER] = {"id", "host", "type", "at", "to", "count", "size", "interval", "port",
                            NULL},
    [SCN_APP_UDP_SINK] = {"id", "host", "type", "port", NULL},
    [SCN_APP_PING] = {"id", "host", "type", "at", "to", "count", "interval", "size", "timeout",
                      "ttl", NULL},
    [SCN_APP_TRACEROUTE] = {"id", "host", "type", "at", "to", "max_hops", "probes", "wait", "port",
                            NULL},
};

/* Largest UDP payload in one IPv4 datagram: 65535 - 20 - 8. */
#define UDP_MAX_PAYLOAD 65507u

static void u32_field(struct ld *l, const cJSON *obj, const char *key, uint64_t min, uint64_t max,
                      uint32_t *out)
{
    uint64_t v;
    if (ld_uint(l, obj, key, min, max, &v))
        *out = (uint32_t)v;
}

static void port_field(struct ld *l, const cJSON *obj, const char *key, uint16_t *out)
{
    uint64_t v;
    if (ld_uint(l, obj, key, 1, 65535, &v))
        *out = (uint16_t)v;
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

/* "server:80", "10.0.0.2:80" (with_port) or "server", "10.0.0.2": resolves
 * the address, checks the peer is reachable both ways, sets peer_host. */
static bool ld_target(struct ld *l, const cJSON *obj, const char *key, bool with_port,
                      struct scn_app *a, uint32_t *ip, uint16_t *port)
{
    const char *s;
    if (!ld_require(l, obj, key) || !ld_string(l, obj, key, &s))
        return false;
    const cJSON *n = ld_get(obj, key);
    char name[128];
    const char *colon = strrchr(s, ':');
    if (with_port) {
        char *end;
        unsigned long p = colon ? strtoul(colon + 1, &end, 10) : 0;
        bool digits = colon && colon[1] >= '0' && colon[1] <= '9' && *end == '\0';
        if (!colon || colon == s || !digits || (size_t)(colon - s) >= sizeof name) {
            ld_err_at(l, n, key, "expected \"host:port\" (e.g. \"server:80\"), not \"%s\"", s);
            return false;
        }
        if (p < 1 || p > 65535 || strlen(colon + 1) > 5) {
            ld_err_at(l, n, key, "port %s is out of range [1, 65535]", colon + 1);
            return false;
        }
        memcpy(name, s, (size_t)(colon - s));
        name[colon - s] = '\0';
        *port = (uint16_t)p;
    } else {
        if (colon || strlen(s) >= sizeof name) {
            ld_err_at(l, n, key, "expected a host name or address, not \"%s\"", s);
            return false;
        }
        snprintf(name, sizeof name, "%s", s);
    }
    uint32_t peer;
    if (!scn_resolve(l, a->host, name, ip, &peer)) {
        uint32_t h = scenario_host_index(l->sc, name);
        if (h != UINT32_MAX) /* the host exists but has no address to reach */
            ld_err_at(l, n, key, "no route from host \"%s\" to \"%s\" (host \"%s\" has no link)",
                      l->sc->hosts[a->host].name, name, name);
        else
            ld_err_unknown_host(l, n, key, name);
        return false;
    }
    a->peer_host = peer;
    if (peer == UINT32_MAX || peer == a->host)
        return true; /* an address nobody has: a lesson in timeouts */
    const struct scenario *sc = l->sc;
    uint32_t src;
    char b[16];
    if (scn_path_hops(l, a->host, *ip, &src) < 0) {
        ld_err_at(l, n, key, "no route from host \"%s\" to \"%s\" (%s)", sc->hosts[a->host].name,
                  sc->hosts[peer].name, dec_ip_str(*ip, b));
        return false;
    }
    if (scn_path_hops(l, peer, src, NULL) < 0) {
        ld_err_at(l, n, key, "no route back from host \"%s\" to \"%s\" (%s)", sc->hosts[peer].name,
                  sc->hosts[a->host].name, dec_ip_str(src, b));
        return false;
    }
    return true;
}

static void ld_tcp_server(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    struct app_tcp_server_cfg *c = &a->cfg.tcp_server;
    static const char *const modes[] = {"sink", "echo", "respond"};
    if (ld_require(l, obj, "port"))
        port_field(l, obj, "port", &c->port);
    int m = ld_enum(l, obj, "mode", modes, 3);
    c->mode = m == 1 ? APP_SERVER_ECHO : m == 2 ? APP_SERVER_RESPOND : APP_SERVER_SINK;
    const cJSON *resp = ld_get(obj, "respond");
    if (m == 2 && !resp)
        ld_err(l, obj, "mode \"respond\" needs \"respond\": the bytes to send on each connection");
    if (resp && m != 2)
        ld_err_at(l, resp, "respond", "\"respond\" applies to mode \"respond\" only");
    ld_size(l, obj, "respond", SCN_MAX_BYTES, &c->respond_bytes);
    const char *close;
    if (ld_string(l, obj, "close", &close)) {
        if (strcmp(close, "never") == 0)
            c->close_never = true;
        else
            ld_err_at(l, ld_get(obj, "close"), "close",
                      "a tcp_server's \"close\" can only be \"never\" (by default it closes "
                      "once the peer has closed)");
    }
    u32_field(l, obj, "backlog", 1, 65535, &c->backlog);
    ld_rate(l, obj, "read_rate", &c->read_rate_bps);
}

static void ld_script(struct ld *l, const cJSON *obj, struct app_tcp_client_cfg *c, uint64_t *total)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, obj, "script", 100000, "script steps", &arr, &n))
        return;
    struct app_send_step *steps = scn_calloc(n, sizeof *steps);
    if (!steps)
        return;
    size_t mark = ld_push_key(l, "script");
    static const char *const fields[] = {"at", "send", NULL};
    uint32_t i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        size_t m2 = ld_push_index(l, i);
        if (ld_check_object(l, it, "a script step", fields) &&
            both(ld_require(l, it, "at"), ld_require(l, it, "send"))) {
            ld_time(l, it, "at", &steps[i].at);
            if (ld_size(l, it, "send", SCN_MAX_BYTES, &steps[i].bytes))
                *total += steps[i].bytes;
        }
        ld_pop(l, m2);
    }
    ld_pop(l, mark);
    c->script = steps;
    c->n_script = n;
}

static void ld_tcp_client(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    struct app_tcp_client_cfg *c = &a->cfg.tcp_client;
    c->close = APP_CLOSE_AFTER_SEND;
    c->abort_at = -1;
    ld_target(l, obj, "connect", true, a, &c->dst, &c->dport);
    port_field(l, obj, "port", &c->sport);
    ld_time(l, obj, "at", &c->at);
    uint64_t total = 0;
    if (ld_size(l, obj, "send", SCN_MAX_BYTES, &c->send))
        total = c->send;
    ld_script(l, obj, c, &total);
    if (total > SCN_MAX_BYTES)
        ld_err(l, obj, "the client sends %llu B in all; the limit is %llu B",
               (unsigned long long)total, (unsigned long long)SCN_MAX_BYTES);
    const cJSON *close = ld_get(obj, "close");
    if (cJSON_IsString(close) && strcmp(close->valuestring, "after_send") == 0) {
        c->close = APP_CLOSE_AFTER_SEND;
    } else if (cJSON_IsString(close) && strcmp(close->valuestring, "never") == 0) {
        c->close = APP_CLOSE_NEVER;
    } else if (cJSON_IsString(close) && scn_parse_time(close->valuestring, &c->close_at)) {
        c->close = APP_CLOSE_AT;
    } else if (close) {
        ld_err_at(l, close, "close", "expected \"after_send\", \"never\" or a time such as \"2s\"");
    }
    ld_time(l, obj, "abort", &c->abort_at);
    ld_rate(l, obj, "read_rate", &c->read_rate_bps);
}

static void ld_udp_sender(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    struct app_udp_sender_cfg *c = &a->cfg.udp_sender;
    c->count = 1;
    c->size = 512;
    c->interval = SIM_SEC;
    ld_target(l, obj, "to", true, a, &c->dst, &c->dport);
    ld_time(l, obj, "at", &c->at);
    u32_field(l, obj, "count", 0, 10000000, &c->count);
    uint64_t size;
    if (ld_size(l, obj, "size", UDP_MAX_PAYLOAD, &size))
        c->size = (uint32_t)size;
    ld_time(l, obj, "interval", &c->interval);
    port_field(l, obj, "port", &c->sport);
}

static void ld_udp_sink(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    if (ld_require(l, obj, "port"))
        port_field(l, obj, "port", &a->cfg.udp_sink.port);
}

static void ld_ping(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    struct app_ping_cfg *c = &a->cfg.ping;
    c->ttl = 64;
    ld_target(l, obj, "to", false, a, &c->dst, NULL);
    ld_time(l, obj, "at", &c->at);
    u32_field(l, obj, "count", 1, 100000, &c->count);
    positive_time(l, obj, "interval", &c->interval);
    positive_time(l, obj, "timeout", &c->timeout);
    uint64_t v;
    /* ICMP payload: the datagram is 20 + 8 bytes more. */
    if (ld_size(l, obj, "size", UDP_MAX_PAYLOAD, &v))
        c->size = (uint32_t)v;
    if (ld_uint(l, obj, "ttl", 1, 255, &v))
        c->ttl = (uint8_t)v;
}

static void ld_traceroute(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    struct app_traceroute_cfg *c = &a->cfg.traceroute;
    c->max_hops = 30;
    c->probes = 3;
    c->wait = SIM_SEC;
    c->dport = 33434; /* as traceroute(8) */
    ld_target(l, obj, "to", false, a, &c->dst, NULL);
    ld_time(l, obj, "at", &c->at);
    uint64_t v;
    if (ld_uint(l, obj, "max_hops", 1, 255, &v))
        c->max_hops = (uint8_t)v;
    u32_field(l, obj, "probes", 1, 10, &c->probes);
    positive_time(l, obj, "wait", &c->wait);
    port_field(l, obj, "port", &c->dport);
}

/* id, host and type: what the others refer to.  *type_ok tells whether the
 * type is known even when something else is wrong. */
static bool ld_app_head(struct ld *l, const cJSON *obj, struct scn_app *a, bool *type_ok)
{
    *type_ok = false;
    a->host = a->peer_host = UINT32_MAX;
    if (!cJSON_IsObject(obj)) {
        ld_err(l, obj, "an app must be an object");
        return false;
    }
    bool ok = both(ld_require(l, obj, "id"),
                   both(ld_require(l, obj, "host"), ld_require(l, obj, "type")));
    const char *id;
    if (ld_string(l, obj, "id", &id)) {
        const char *why = scn_name_problem(id);
        if (why)
            ld_err_at(l, ld_get(obj, "id"), "id", "app id \"%s\" %s", id, why);
        else
            a->id = ld_strdup(l, ld_get(obj, "id"), id);
    }
    a->host = ld_ref_host(l, obj, "host");
    int t = ld_enum(l, obj, "type", type_names, 6);
    if (t < 0)
        return false;
    a->type = (enum scn_app_type)t;
    *type_ok = true;
    return ok && a->id && a->host != UINT32_MAX;
}

static void ld_app(struct ld *l, const cJSON *obj, struct scn_app *a)
{
    bool type_ok;
    bool ok = ld_app_head(l, obj, a, &type_ok);
    if (type_ok)
        ld_check_object(l, obj, type_what[a->type], fields_by_type[a->type]);
    if (!ok)
        return;
    switch (a->type) {
    case SCN_APP_TCP_SERVER:
        a->cfg.tcp_server.id = a->id;
        ld_tcp_server(l, obj, a);
        break;
    case SCN_APP_TCP_CLIENT:
        a->cfg.tcp_client.id = a->id;
        ld_tcp_client(l, obj, a);
        break;
    case SCN_APP_UDP_SENDER:
        a->cfg.udp_sender.id = a->id;
        ld_udp_sender(l, obj, a);
        break;
    case SCN_APP_UDP_SINK:
        a->cfg.udp_sink.id = a->id;
        ld_udp_sink(l, obj, a);
        break;
    case SCN_APP_PING:
        a->cfg.ping.id = a->id;
        ld_ping(l, obj, a);
        break;
    case SCN_APP_TRACEROUTE:
        a->cfg.traceroute.id = a->id;
        ld_traceroute(l, obj, a);
        break;
    }
}

struct port_use {
    uint32_t host, proto, port, app;
};

static int cmp_port_use(const void *a, const void *b)
{
    const struct port_use *x = a, *y = b;
    if (x->host != y->host)
        return x->host < y->host ? -1 : 1;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->app < y->app ? -1 : x->app > y->app;
}

/* The port an app binds explicitly (0: none), and whether it is TCP. */
static uint16_t bound_port(const struct scn_app *a, bool *tcp)
{
    *tcp = a->type == SCN_APP_TCP_SERVER || a->type == SCN_APP_TCP_CLIENT;
    switch (a->type) {
    case SCN_APP_TCP_SERVER:
        return a->cfg.tcp_server.port;
    case SCN_APP_TCP_CLIENT:
        return a->cfg.tcp_client.sport;
    case SCN_APP_UDP_SENDER:
        return a->cfg.udp_sender.sport;
    case SCN_APP_UDP_SINK:
        return a->cfg.udp_sink.port;
    default:
        return 0;
    }
}

static void check_ports(struct ld *l, const cJSON *arr)
{
    const struct scenario *sc = l->sc;
    struct port_use *v = scn_calloc(sc->n_apps, sizeof *v);
    if (!v)
        return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < sc->n_apps; i++) {
        bool tcp;
        uint16_t p = bound_port(&sc->apps[i], &tcp);
        if (p && sc->apps[i].host != UINT32_MAX)
            v[n++] = (struct port_use){sc->apps[i].host, tcp, p, i};
    }
    qsort(v, n, sizeof *v, cmp_port_use);
    for (uint32_t k = 1; k < n; k++) {
        if (v[k].host != v[k - 1].host || v[k].proto != v[k - 1].proto ||
            v[k].port != v[k - 1].port)
            continue;
        const cJSON *obj = cJSON_GetArrayItem(arr, (int)v[k].app);
        size_t mark = ld_push_key(l, "apps");
        ld_push_index(l, v[k].app);
        ld_err_at(l, ld_get(obj, "port"), "port",
                  "%s port %u on host \"%s\" is already used by "
                  "app \"%s\"",
                  v[k].proto ? "TCP" : "UDP", v[k].port, sc->hosts[v[k].host].name,
                  sc->apps[v[k - 1].app].id);
        ld_pop(l, mark);
    }
    free(v);
}

static void index_apps(struct ld *l, const cJSON *arr)
{
    struct scenario *sc = l->sc;
    struct name_ref *refs = scn_calloc(sc->n_apps, sizeof *refs);
    if (!refs)
        return;
    for (uint32_t i = 0; i < sc->n_apps; i++)
        refs[i] = (struct name_ref){sc->apps[i].id, i};
    sc->app_by_name = ld_index_names(l, arr, refs, sc->n_apps, "apps", "id", "app id", NULL);
}

void ld_apps(struct ld *l, const cJSON *root)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, root, "apps", SCN_MAX_APPS, "apps", &arr, &n))
        return;
    struct scenario *sc = l->sc;
    sc->apps = scn_calloc(n, sizeof *sc->apps);
    if (!sc->apps) {
        ld_err(l, arr, "out of memory");
        return;
    }
    sc->n_apps = n;
    uint32_t i = 0;
    for (const cJSON *obj = arr->child; obj; obj = obj->next, i++) {
        size_t mark = ld_push_key(l, "apps");
        ld_push_index(l, i);
        ld_app(l, obj, &sc->apps[i]);
        ld_pop(l, mark);
    }
    index_apps(l, arr);
    check_ports(l, arr);
}
