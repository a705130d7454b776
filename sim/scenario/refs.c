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
    if (near)
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
