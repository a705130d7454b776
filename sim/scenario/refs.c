/* References by name to hosts, links, apps and connections, reported with
 * the closest existing name when there is one. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

/* The closest of n names read from an array of structs (see find_sorted). */
static const char *closest_in(const char *s, const void *base, uint32_t n, size_t stride,
                              size_t off)
{
    const char **names = scn_calloc(n, sizeof *names);
    if (!names)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        names[i] = *(char *const *)((const char *)base + i * stride + off);
    const char *best = scn_closest(s, names, n);
    free(names);
    return best;
}

static void unknown(struct ld *l, const cJSON *n, const char *key, const char *what,
                    const char *name, const char *near)
{
    if (near && strcmp(near, name) != 0) /* never "did you mean" the very name given */
        ld_err_at(l, n, key, "unknown %s \"%s\" (did you mean \"%s\"?)", what, name, near);
    else
        ld_err_at(l, n, key, "unknown %s \"%s\"", what, name);
}

void ld_err_unknown_host(struct ld *l, const cJSON *n, const char *key, const char *name)
{
    const struct scenario *sc = l->sc;
    unknown(l, n, key, "host", name,
            closest_in(name, sc->hosts, sc->n_hosts, sizeof *sc->hosts,
                       offsetof(struct scn_host, name)));
}

uint32_t ld_ref_host(struct ld *l, const cJSON *obj, const char *key)
{
    const char *s;
    if (!ld_string(l, obj, key, &s))
        return UINT32_MAX;
    const struct scenario *sc = l->sc;
    uint32_t i = scenario_host_index(sc, s);
    if (i == UINT32_MAX)
        unknown(l, ld_get(obj, key), key, "host", s,
                closest_in(s, sc->hosts, sc->n_hosts, sizeof *sc->hosts,
                           offsetof(struct scn_host, name)));
    return i;
}

uint32_t ld_ref_link(struct ld *l, const cJSON *obj, const char *key)
{
    const char *s;
    if (!ld_string(l, obj, key, &s))
        return UINT32_MAX;
    const struct scenario *sc = l->sc;
    uint32_t i = scenario_link_index(sc, s);
    if (i == UINT32_MAX)
        unknown(l, ld_get(obj, key), key, "link", s,
                closest_in(s, sc->links, sc->n_links, sizeof *sc->links,
                           offsetof(struct scn_link, name)));
    return i;
}

uint32_t ld_ref_app(struct ld *l, const cJSON *obj, const char *key)
{
    const char *s;
    if (!ld_string(l, obj, key, &s))
        return UINT32_MAX;
    const struct scenario *sc = l->sc;
    uint32_t i = scenario_app_index(sc, s);
    if (i == UINT32_MAX)
        unknown(
            l, ld_get(obj, key), key, "app", s,
            closest_in(s, sc->apps, sc->n_apps, sizeof *sc->apps, offsetof(struct scn_app, id)));
    return i;
}

/* "srv#3" -> the app "srv" (which must be a tcp_server) and k = 3. */
static bool split_accepted(const char *s, char *base, size_t cap, uint64_t *k)
{
    const char *hash = strchr(s, '#');
    if (!hash || (size_t)(hash - s) >= cap)
        return false;
    memcpy(base, s, (size_t)(hash - s));
    base[hash - s] = '\0';
    const char *p = hash + 1;
    if (*p < '1' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *k = v;
    return *p == '\0';
}

bool ld_ref_conn(struct ld *l, const cJSON *obj, const char *key, uint32_t *app, const char **conn)
{
    const char *s;
    if (!ld_string(l, obj, key, &s))
        return false;
    const struct scenario *sc = l->sc;
    const cJSON *n = ld_get(obj, key);
    char base[64];
    uint64_t k;
    if (strchr(s, '#')) {
        if (!split_accepted(s, base, sizeof base, &k)) {
            ld_err_at(l, n, key,
                      "invalid connection name \"%s\": an accepted connection is named "
                      "\"<server id>#<k>\" with k = 1, 2, ...",
                      s);
            return false;
        }
        uint32_t i = scenario_app_index(sc, base);
        if (i == UINT32_MAX || sc->apps[i].type != SCN_APP_TCP_SERVER) {
            ld_err_at(l, n, key, "unknown connection \"%s\": \"%s\" is not a tcp_server", s, base);
            return false;
        }
        *app = i;
        *conn = s;
        return true;
    }
    uint32_t i = scenario_app_index(sc, s);
    if (i == UINT32_MAX) {
        unknown(
            l, n, key, "connection", s,
            closest_in(s, sc->apps, sc->n_apps, sizeof *sc->apps, offsetof(struct scn_app, id)));
        return false;
    }
    if (sc->apps[i].type != SCN_APP_TCP_CLIENT && sc->apps[i].type != SCN_APP_TCP_SERVER) {
        ld_err_at(l, n, key,
                  "\"%s\" is a %s, not a connection (a tcp_client, a tcp_server, or "
                  "\"<server>#k\")",
                  s, scn_app_type_name(sc->apps[i].type));
        return false;
    }
    *app = i;
    *conn = s;
    return true;
}

/* ---- References when the sections they point into did not load ---------
 * A mistake among the hosts or links stops the checks that need a working
 * network (routes, apps, events, expectations), but a misspelt name further
 * on is an independent mistake worth reporting in the same run.  Names are
 * checked against those written in the file, loaded or not, so a host
 * refused for another reason does not make every reference to it an error. */

struct written_names {
    const char **v;
    uint32_t n;
};

/* The string `key` of every object in root[section] (and, for links, the
 * names the loader gave unnamed ones). */
static struct written_names written(const struct ld *l, const cJSON *root, const char *section,
                                    const char *key)
{
    struct written_names w = {0};
    const cJSON *arr = ld_get(root, section);
    uint32_t n = 0;
    if (cJSON_IsArray(arr))
        for (const cJSON *c = arr->child; c; c = c->next)
            n++;
    bool links = strcmp(section, "links") == 0;
    uint32_t extra = links ? l->sc->n_links : 0;
    w.v = scn_calloc(n + extra, sizeof *w.v);
    if (!w.v)
        return w;
    if (cJSON_IsArray(arr))
        for (const cJSON *c = arr->child; c; c = c->next) {
            const cJSON *s = ld_get(c, key);
            if (cJSON_IsString(s))
                w.v[w.n++] = s->valuestring;
        }
    for (uint32_t i = 0; i < extra; i++)
        if (l->sc->links[i].name)
            w.v[w.n++] = l->sc->links[i].name;
    return w;
}

static bool is_written(const struct written_names *w, const char *s)
{
    for (uint32_t i = 0; i < w->n; i++)
        if (strcmp(w->v[i], s) == 0)
            return true;
    return false;
}

/* Reports obj[key] (or just `name` when given) unless it is written. */
static void check_written(struct ld *l, const cJSON *obj, const char *key, const char *name,
                          const struct written_names *w, const char *what)
{
    const cJSON *n = ld_get(obj, key);
    if (!name) {
        if (!cJSON_IsString(n))
            return;
        name = n->valuestring;
    }
    if (is_written(w, name))
        return;
    unknown(l, n, key, what, name, scn_closest(name, w->v, w->n));
}

/* The host part of "host:port" / "host", unless it is an address. */
static bool target_host(const cJSON *obj, const char *key, char *name, size_t cap)
{
    const cJSON *n = ld_get(obj, key);
    if (!cJSON_IsString(n))
        return false;
    const char *s = n->valuestring;
    const char *colon = strrchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    if (len == 0 || len >= cap)
        return false;
    memcpy(name, s, len);
    name[len] = '\0';
    uint32_t ip;
    return !scn_parse_ip(name, &ip, NULL);
}

/* "srv#2" -> "srv" (in place, in a copy). */
static const char *app_of_conn(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s);
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    return buf;
}

static void check_app_ref(struct ld *l, const cJSON *obj, const char *key,
                          const struct written_names *apps)
{
    const cJSON *n = ld_get(obj, key);
    char buf[128];
    if (cJSON_IsString(n))
        check_written(l, obj, key, app_of_conn(n->valuestring, buf, sizeof buf), apps, "app");
}

/* Calls each(obj) for every object of root[section], with the path set. */
static void for_each_item(struct ld *l, const cJSON *root, const char *section,
                          void (*each)(struct ld *, const cJSON *, const struct written_names *),
                          const struct written_names *names)
{
    const cJSON *arr = ld_get(root, section);
    if (!cJSON_IsArray(arr))
        return;
    uint32_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        if (!cJSON_IsObject(c))
            continue;
        size_t mark = ld_push_key(l, section);
        ld_push_index(l, i);
        each(l, c, names);
        ld_pop(l, mark);
    }
}

/* names[0] hosts, names[1] links, names[2] apps */
static void app_refs(struct ld *l, const cJSON *app, const struct written_names *names)
{
    check_written(l, app, "host", NULL, &names[0], "host");
    char host[128];
    if (target_host(app, "connect", host, sizeof host))
        check_written(l, app, "connect", host, &names[0], "host");
    if (target_host(app, "to", host, sizeof host))
        check_written(l, app, "to", host, &names[0], "host");
}

static void event_refs(struct ld *l, const cJSON *ev, const struct written_names *names)
{
    check_written(l, ev, "link", NULL, &names[1], "link");
    check_app_ref(l, ev, "app", &names[2]);
}

static void expect_refs(struct ld *l, const cJSON *ex, const struct written_names *names)
{
    check_app_ref(l, ex, "conn", &names[2]);
    check_app_ref(l, ex, "app", &names[2]);
}

static void fault_refs(struct ld *l, const cJSON *f, const struct written_names *names)
{
    check_written(l, f, "link", NULL, &names[1], "link");
    check_written(l, f, "from", NULL, &names[0], "host");
}

void ld_refs_only(struct ld *l, const cJSON *root, bool faults)
{
    struct written_names names[3] = {written(l, root, "hosts", "name"),
                                     written(l, root, "links", "name"),
                                     written(l, root, "apps", "id")};
    if (names[0].v && names[1].v && names[2].v) {
        for_each_item(l, root, "apps", app_refs, names);
        if (faults)
            for_each_item(l, root, "faults", fault_refs, names);
        for_each_item(l, root, "events", event_refs, names);
        for_each_item(l, root, "expect", expect_refs, names);
    }
    for (int i = 0; i < 3; i++)
        free(names[i].v);
}
