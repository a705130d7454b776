/* `links`: endpoints and per-direction parameters.  Each direction starts
 * from link_params_default, then `defaults.link`, then the link's own
 * fields, then its `a_to_b` / `b_to_a` overrides. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

const char *const ld_link_param_fields[] = {"delay", "jitter",    "rate",    "queue",   "mtu",
                                            "loss",  "duplicate", "reorder", "corrupt", NULL};

static bool ld_gilbert(struct ld *l, const cJSON *loss, struct link_params *p)
{
    static const char *const outer[] = {"gilbert", NULL};
    static const char *const inner[] = {"p", "r", "loss_good", "loss_bad", NULL};
    if (!ld_check_object(l, loss, "a loss model", outer))
        return false;
    const cJSON *g = ld_get(loss, "gilbert");
    if (!g) {
        ld_err(l, loss, "expected a probability or {\"gilbert\": {...}}");
        return false;
    }
    size_t mark = ld_push_key(l, "gilbert");
    struct link_gilbert ge = {0, 1, 0, 1};
    bool ok = ld_check_object(l, g, "a Gilbert-Elliott model", inner);
    if (ok) {
        ok = both(ld_require(l, g, "p"), ld_require(l, g, "r"));
        ok &= both(ld_prob(l, g, "p", &ge.p), ld_prob(l, g, "r", &ge.r));
        if (ld_get(g, "loss_good"))
            ok &= ld_prob(l, g, "loss_good", &ge.loss_good);
        if (ld_get(g, "loss_bad"))
            ok &= ld_prob(l, g, "loss_bad", &ge.loss_bad);
    }
    ld_pop(l, mark);
    if (ok) {
        p->loss_model = LINK_LOSS_GILBERT;
        p->gilbert = ge;
    }
    return ok;
}

static uint32_t ld_loss(struct ld *l, const cJSON *obj, struct link_params *p)
{
    const cJSON *n = ld_get(obj, "loss");
    if (!n)
        return 0;
    if (cJSON_IsObject(n)) {
        size_t mark = ld_push_key(l, "loss");
        bool ok = ld_gilbert(l, n, p);
        ld_pop(l, mark);
        return ok ? LP_LOSS : 0;
    }
    double v;
    if (!ld_prob(l, obj, "loss", &v))
        return 0;
    p->loss_model = LINK_LOSS_BERNOULLI;
    p->loss = v;
    return LP_LOSS;
}

uint32_t ld_link_params(struct ld *l, const cJSON *obj, struct link_params *p)
{
    uint32_t mask = 0;
    uint64_t v;
    if (ld_time(l, obj, "delay", &p->delay)) {
        mask |= LP_DELAY;
        if (p->delay < 0)
            ld_err_at(l, ld_get(obj, "delay"), "delay", "must not be negative");
    }
    if (ld_time(l, obj, "jitter", &p->jitter))
        mask |= LP_JITTER;
    if (ld_rate(l, obj, "rate", &p->rate_bps))
        mask |= LP_RATE;
    if (ld_uint(l, obj, "queue", 0, 1000000, &v)) {
        p->queue = (uint32_t)v;
        mask |= LP_QUEUE;
    }
    /* 68: the smallest MTU every IPv4 host must handle (RFC 791). */
    if (ld_uint(l, obj, "mtu", 68, 9000, &v)) {
        p->mtu = (uint32_t)v;
        mask |= LP_MTU;
    }
    mask |= ld_loss(l, obj, p);
    if (ld_prob(l, obj, "duplicate", &p->duplicate))
        mask |= LP_DUPLICATE;
    if (ld_prob(l, obj, "reorder", &p->reorder))
        mask |= LP_REORDER;
    if (ld_prob(l, obj, "corrupt", &p->corrupt))
        mask |= LP_CORRUPT;
    return mask;
}

void ld_link_params_apply(struct link_params *dst, const struct link_params *src, uint32_t mask)
{
    if (mask & LP_DELAY)
        dst->delay = src->delay;
    if (mask & LP_JITTER)
        dst->jitter = src->jitter;
    if (mask & LP_RATE)
        dst->rate_bps = src->rate_bps;
    if (mask & LP_QUEUE)
        dst->queue = src->queue;
    if (mask & LP_MTU)
        dst->mtu = src->mtu;
    if (mask & LP_LOSS) {
        dst->loss_model = src->loss_model;
        dst->loss = src->loss;
        dst->gilbert = src->gilbert;
    }
    if (mask & LP_DUPLICATE)
        dst->duplicate = src->duplicate;
    if (mask & LP_REORDER)
        dst->reorder = src->reorder;
    if (mask & LP_CORRUPT)
        dst->corrupt = src->corrupt;
}

static const char *const dir_names[2] = {"a_to_b", "b_to_a"};

void ld_link_dirs(struct ld *l, const cJSON *obj, struct link_params dir[2])
{
    struct link_params common = dir[0];
    uint32_t mask = ld_link_params(l, obj, &common);
    for (int s = 0; s < 2; s++)
        ld_link_params_apply(&dir[s], &common, mask);
    for (int s = 0; s < 2; s++) {
        const cJSON *o = ld_get(obj, dir_names[s]);
        if (!o)
            continue;
        size_t mark = ld_push_key(l, dir_names[s]);
        if (ld_check_object(l, o, "a direction's parameters", ld_link_param_fields))
            ld_link_params(l, o, &dir[s]);
        ld_pop(l, mark);
    }
}

static const char *const link_fields[] = {"name",    "a",       "b",      "delay",  "jitter",
                                          "rate",    "queue",   "mtu",    "loss",   "duplicate",
                                          "reorder", "corrupt", "a_to_b", "b_to_a", NULL};

static void ld_link(struct ld *l, const cJSON *obj, const struct link_params base[2],
                    struct scn_link *out)
{
    out->dir[0] = base[0];
    out->dir[1] = base[1];
    out->end[0].host = out->end[1].host = UINT32_MAX;
    if (!ld_check_object(l, obj, "a link", link_fields))
        return;
    bool have_ends = both(ld_require(l, obj, "a"), ld_require(l, obj, "b"));
    if (have_ends) {
        out->end[0].host = ld_ref_host(l, obj, "a");
        out->end[1].host = ld_ref_host(l, obj, "b");
    }
    const char *name;
    if (ld_string(l, obj, "name", &name)) {
        const char *why = scn_name_problem(name);
        if (why)
            ld_err_at(l, ld_get(obj, "name"), "name", "link name \"%s\" %s", name, why);
        else
            out->name = ld_strdup(l, ld_get(obj, "name"), name);
    } else if (!ld_get(obj, "name") && out->end[0].host != UINT32_MAX &&
               out->end[1].host != UINT32_MAX) {
        const char *a = l->sc->hosts[out->end[0].host].name;
        const char *b = l->sc->hosts[out->end[1].host].name;
        size_t n = strlen(a) + strlen(b) + 2;
        out->name = malloc(n);
        if (out->name)
            snprintf(out->name, n, "%s-%s", a, b);
    }
    if (out->end[0].host != UINT32_MAX && out->end[0].host == out->end[1].host)
        ld_err_at(l, ld_get(obj, "b"), "b", "a link cannot connect host \"%s\" to itself",
                  l->sc->hosts[out->end[0].host].name);
    ld_link_dirs(l, obj, out->dir);
}

static void index_links(struct ld *l, const cJSON *arr)
{
    struct scenario *sc = l->sc;
    struct name_ref *refs = scn_calloc(sc->n_links, sizeof *refs);
    if (!refs)
        return;
    for (uint32_t i = 0; i < sc->n_links; i++)
        refs[i] = (struct name_ref){sc->links[i].name, i};
    sc->link_by_name = ld_index_names(l, arr, refs, sc->n_links, "links", "name", "link name",
                                      "give parallel links a \"name\"");
}

/* Each host's links in file order; at most SCN_MAX_IFACES each. */
static void attach_links(struct ld *l, const cJSON *arr)
{
    struct scenario *sc = l->sc;
    uint32_t *count = scn_calloc(sc->n_hosts, sizeof *count);
    if (!count)
        return;
    for (uint32_t k = 0; k < sc->n_links; k++)
        for (int s = 0; s < 2; s++)
            if (sc->links[k].end[s].host != UINT32_MAX)
                count[sc->links[k].end[s].host]++;
    for (uint32_t h = 0; h < sc->n_hosts; h++) {
        if (count[h] > SCN_MAX_IFACES) {
            ld_err(l, arr, "host \"%s\" is attached to %u links; the limit is %u interfaces",
                   sc->hosts[h].name, count[h], SCN_MAX_IFACES);
            count[h] = 0;
        }
        sc->hosts[h].links = scn_calloc(count[h], sizeof(uint32_t));
    }
    for (uint32_t k = 0; k < sc->n_links; k++)
        for (int s = 0; s < 2; s++) {
            uint32_t h = sc->links[k].end[s].host;
            if (h == UINT32_MAX || !count[h] || !sc->hosts[h].links)
                continue;
            if (s == 1 && h == sc->links[k].end[0].host)
                continue; /* a link to itself, already reported */
            sc->hosts[h].links[sc->hosts[h].n_links++] = k;
        }
    free(count);
}

void ld_links(struct ld *l, const cJSON *root, const cJSON *defaults)
{
    struct link_params base[2];
    link_params_default(&base[0]);
    base[1] = base[0];
    const cJSON *dl = ld_get(defaults, "link");
    if (dl) {
        static const char *const fields[] = {"delay",   "jitter", "rate",      "queue",
                                             "mtu",     "loss",   "duplicate", "reorder",
                                             "corrupt", "a_to_b", "b_to_a",    NULL};
        size_t mark = ld_push_key(l, "defaults");
        ld_push_key(l, "link");
        if (ld_check_object(l, dl, "link defaults", fields))
            ld_link_dirs(l, dl, base);
        ld_pop(l, mark);
    }
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, root, "links", SCN_MAX_LINKS, "links", &arr, &n))
        return;
    struct scenario *sc = l->sc;
    sc->links = scn_calloc(n, sizeof *sc->links);
    if (!sc->links) {
        ld_err(l, arr, "out of memory");
        return;
    }
    sc->n_links = n;
    uint32_t i = 0;
    for (const cJSON *obj = arr->child; obj; obj = obj->next, i++) {
        size_t mark = ld_push_key(l, "links");
        ld_push_index(l, i);
        ld_link(l, obj, base, &sc->links[i]);
        ld_pop(l, mark);
    }
    index_links(l, arr);
    attach_links(l, arr);
}
