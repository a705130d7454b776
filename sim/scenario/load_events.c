/* `faults` (targeted packet faults), their filters, and `events` (timed
 * changes to links and actions of apps), sorted by time with the complete
 * link parameters after each `set`. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

const char *const ld_filter_fields[] = {"proto", "tcp_flags", "seq", "len", NULL};

void ld_filter(struct ld *l, const cJSON *obj, struct frame_filter *f)
{
    static const char *const protos[] = {"arp", "ip", "icmp", "udp", "tcp"};
    static const enum dec_proto proto_v[] = {DEC_ARP, DEC_IP, DEC_ICMP, DEC_UDP, DEC_TCP};
    memset(f, 0, sizeof *f);
    int p = ld_enum(l, obj, "proto", protos, 5);
    if (p >= 0) {
        f->has_proto = true;
        f->proto = proto_v[p];
    }
    const char *flags;
    if (ld_string(l, obj, "tcp_flags", &flags)) {
        if (!dec_tcp_flags_parse(flags, &f->tcp_flags) || f->tcp_flags == 0)
            ld_err_at(l, ld_get(obj, "tcp_flags"), "tcp_flags",
                      "invalid TCP flags \"%s\": expected names such as \"SYN\" or \"SYN,ACK\" "
                      "(FIN SYN RST PSH ACK URG ECE CWR)",
                      flags);
        else
            f->has_flags = true;
    }
    uint64_t v;
    if (ld_uint(l, obj, "seq", 0, UINT32_MAX, &v)) {
        f->has_seq = true;
        f->seq = (uint32_t)v;
    }
    if (ld_uint(l, obj, "len", 0, 65535, &v)) {
        f->has_len = true;
        f->len = (uint32_t)v;
    }
}

/* The side of link k whose host is named by obj[key]; -1 when invalid. */
static int ld_side(struct ld *l, const cJSON *obj, const char *key, uint32_t k)
{
    uint32_t h = ld_ref_host(l, obj, key);
    if (h == UINT32_MAX || k == UINT32_MAX)
        return -1;
    const struct scn_link *lk = &l->sc->links[k];
    for (int s = 0; s < 2; s++)
        if (lk->end[s].host == h)
            return s;
    ld_err_at(l, ld_get(obj, key), key, "host \"%s\" is not an end of link \"%s\"",
              l->sc->hosts[h].name, lk->name);
    return -1;
}

static const char *const fault_fields[] = {"link",      "from",    "drop", "delay",
                                           "duplicate", "corrupt", NULL};
static const char *const action_names[] = {"drop", "delay", "duplicate", "corrupt"};

static bool ld_fault(struct ld *l, const cJSON *obj, struct scn_fault *out)
{
    if (!ld_check_object(l, obj, "a fault", fault_fields))
        return false;
    bool ok = both(ld_require(l, obj, "link"), ld_require(l, obj, "from"));
    out->link = ld_ref_link(l, obj, "link");
    out->side = ld_side(l, obj, "from", out->link);
    int act = -1;
    for (int i = 0; i < 4; i++) {
        if (!ld_get(obj, action_names[i]))
            continue;
        if (act >= 0) {
            ld_err_at(l, ld_get(obj, action_names[i]), action_names[i],
                      "a fault has one action; \"%s\" is already given", action_names[act]);
            ok = false;
        } else {
            act = i;
        }
    }
    if (act < 0) {
        ld_err(l, obj,
               "a fault needs an action: \"drop\", \"delay\", \"duplicate\" or \"corrupt\"");
        return false;
    }
    const cJSON *f = ld_get(obj, action_names[act]);
    size_t mark = ld_push_key(l, action_names[act]);
    const char *fields[8];
    uint32_t nf = 0;
    for (const char *const *p = ld_filter_fields; *p; p++)
        fields[nf++] = *p;
    fields[nf++] = "nth";
    if (act == LINK_FAULT_DELAY)
        fields[nf++] = "by";
    fields[nf] = NULL;
    struct link_fault *lf = &out->fault;
    lf->action = (enum link_fault_action)act;
    if (ld_check_object(l, f, "a fault filter", fields)) {
        ld_filter(l, f, &lf->filter);
        uint64_t v;
        if (ld_uint(l, f, "nth", 1, UINT32_MAX, &v))
            lf->nth = (uint32_t)v;
        if (act == LINK_FAULT_DELAY) {
            if (!ld_require(l, f, "by"))
                ok = false;
            else if (ld_time(l, f, "by", &lf->delay) && lf->delay <= 0)
                ld_err_at(l, ld_get(f, "by"), "by", "must be a positive time");
        }
    }
    ld_pop(l, mark);
    return ok && out->link != UINT32_MAX && out->side >= 0;
}

void ld_faults(struct ld *l, const cJSON *root)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, root, "faults", SCN_MAX_EVENTS, "faults", &arr, &n))
        return;
    struct scenario *sc = l->sc;
    sc->faults = scn_calloc(n, sizeof *sc->faults);
    if (!sc->faults)
        return;
    uint32_t i = 0;
    for (const cJSON *obj = arr->child; obj; obj = obj->next, i++) {
        size_t mark = ld_push_key(l, "faults");
        ld_push_index(l, i);
        if (ld_fault(l, obj, &sc->faults[sc->n_faults]))
            sc->n_faults++;
        ld_pop(l, mark);
    }
}

/* ---- Events ------------------------------------------------------------ */

/* An event as read, before sorting: a `set` keeps its parsed fields and
 * masks until the cumulative parameters are computed in time order. */
struct raw_event {
    struct scn_event ev;
    uint32_t order;
    struct link_params set[2];
    uint32_t mask[2];
};

static const char *const link_event_fields[] = {"at", "link", "do", "set", "dir", NULL};
static const char *const app_event_fields[] = {"at", "app", "do", "bytes", NULL};
static const char *const set_fields[] = {"delay",   "jitter", "rate",      "queue",
                                         "mtu",     "loss",   "duplicate", "reorder",
                                         "corrupt", "a_to_b", "b_to_a",    NULL};

static bool ld_link_event(struct ld *l, const cJSON *obj, struct raw_event *r)
{
    if (!ld_check_object(l, obj, "a link event", link_event_fields))
        return false;
    struct scn_event *e = &r->ev;
    e->link = ld_ref_link(l, obj, "link");
    const cJSON *set = ld_get(obj, "set");
    const cJSON *d = ld_get(obj, "do");
    if (set && d) {
        ld_err_at(l, d, "do", "a link event either sets parameters or does \"down\"/\"up\"");
        return false;
    }
    if (d) {
        static const char *const acts[] = {"down", "up"};
        int a = ld_enum(l, obj, "do", acts, 2);
        if (ld_get(obj, "dir"))
            ld_err_at(l, ld_get(obj, "dir"), "dir", "\"dir\" applies to \"set\" only");
        e->kind = a == 1 ? SCN_EV_LINK_UP : SCN_EV_LINK_DOWN;
        return a >= 0 && e->link != UINT32_MAX;
    }
    if (!set) {
        ld_err(l, obj, "a link event needs \"do\" (\"down\" or \"up\") or \"set\"");
        return false;
    }
    e->kind = SCN_EV_LINK_SET;
    bool dirs[2] = {true, true};
    static const char *const dir_names[] = {"a_to_b", "b_to_a"};
    int dir = ld_enum(l, obj, "dir", dir_names, 2);
    if (dir >= 0)
        dirs[1 - dir] = false;
    else if (ld_get(obj, "dir"))
        return false;
    size_t mark = ld_push_key(l, "set");
    uint32_t before = l->errors;
    if (ld_check_object(l, set, "link parameters", set_fields)) {
        struct link_params common;
        memset(&common, 0, sizeof common);
        uint32_t mask = ld_link_params(l, set, &common);
        for (int s = 0; s < 2; s++) {
            if (!dirs[s])
                continue;
            r->set[s] = common;
            r->mask[s] = mask;
            const cJSON *o = ld_get(set, dir_names[s]);
            if (o) {
                size_t m2 = ld_push_key(l, dir_names[s]);
                if (ld_check_object(l, o, "a direction's parameters", ld_link_param_fields))
                    r->mask[s] |= ld_link_params(l, o, &r->set[s]);
                ld_pop(l, m2);
            }
            e->set_dir[s] = r->mask[s] != 0;
        }
        if (dir >= 0 && ld_get(set, dir_names[1 - dir]))
            ld_err_at(l, ld_get(set, dir_names[1 - dir]), dir_names[1 - dir],
                      "this direction is excluded by \"dir\"");
    }
    ld_pop(l, mark);
    return l->errors == before && e->link != UINT32_MAX;
}

static bool ld_app_event(struct ld *l, const cJSON *obj, struct raw_event *r)
{
    if (!ld_check_object(l, obj, "an app event", app_event_fields))
        return false;
    struct scn_event *e = &r->ev;
    const char *name;
    if (!ld_string(l, obj, "app", &name))
        return false;
    uint32_t app = UINT32_MAX;
    if (strchr(name, '#')) {
        const char *conn;
        if (!ld_ref_conn(l, obj, "app", &app, &conn))
            return false;
        e->conn = ld_strdup(l, obj, conn);
    } else {
        app = ld_ref_app(l, obj, "app");
    }
    e->app = app;
    static const char *const acts[] = {"send", "close", "abort"};
    if (!ld_require(l, obj, "do"))
        return false;
    int a = ld_enum(l, obj, "do", acts, 3);
    if (a < 0)
        return false;
    e->kind = a == 0 ? SCN_EV_APP_SEND : a == 1 ? SCN_EV_APP_CLOSE : SCN_EV_APP_ABORT;
    if (a == 0) {
        if (!ld_require(l, obj, "bytes"))
            return false;
        if (!ld_size(l, obj, "bytes", SCN_MAX_BYTES, &e->bytes))
            return false;
    } else if (ld_get(obj, "bytes")) {
        ld_err_at(l, ld_get(obj, "bytes"), "bytes", "\"bytes\" applies to \"do\": \"send\" only");
        return false;
    }
    if (app != UINT32_MAX) {
        enum scn_app_type t = l->sc->apps[app].type;
        if (t != SCN_APP_TCP_CLIENT && t != SCN_APP_TCP_SERVER) {
            ld_err_at(l, ld_get(obj, "app"), "app",
                      "app \"%s\" is a %s; events act on tcp_client and tcp_server apps", name,
                      scn_app_type_name(t));
            return false;
        }
    }
    return app != UINT32_MAX;
}

static int cmp_raw_event(const void *a, const void *b)
{
    const struct raw_event *x = a, *y = b;
    if (x->ev.at != y->ev.at)
        return x->ev.at < y->ev.at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* In time order: each `set` starts from the link's parameters as left by
 * the earlier ones. */
static void accumulate_sets(struct scenario *sc, struct raw_event *raw, uint32_t n)
{
    struct link_params(*cur)[2] = scn_calloc(sc->n_links, sizeof *cur);
    if (!cur)
        return;
    for (uint32_t k = 0; k < sc->n_links; k++) {
        cur[k][0] = sc->links[k].dir[0];
        cur[k][1] = sc->links[k].dir[1];
    }
    for (uint32_t i = 0; i < n; i++) {
        struct raw_event *r = &raw[i];
        if (r->ev.kind != SCN_EV_LINK_SET)
            continue;
        for (int s = 0; s < 2; s++) {
            ld_link_params_apply(&cur[r->ev.link][s], &r->set[s], r->mask[s]);
            r->ev.dir[s] = cur[r->ev.link][s];
        }
    }
    free(cur);
}

void ld_events(struct ld *l, const cJSON *root)
{
    const cJSON *arr;
    uint32_t n;
    if (!ld_array(l, root, "events", SCN_MAX_EVENTS, "events", &arr, &n))
        return;
    struct scenario *sc = l->sc;
    struct raw_event *raw = scn_calloc(n, sizeof *raw);
    if (!raw)
        return;
    uint32_t m = 0, i = 0;
    for (const cJSON *obj = arr->child; obj; obj = obj->next, i++) {
        size_t mark = ld_push_key(l, "events");
        ld_push_index(l, i);
        struct raw_event *r = &raw[m];
        memset(r, 0, sizeof *r);
        r->order = i;
        r->ev.link = r->ev.app = UINT32_MAX;
        bool ok = cJSON_IsObject(obj);
        if (!ok) {
            ld_err(l, obj, "an event must be an object");
        } else {
            ok = ld_require(l, obj, "at") && ld_time(l, obj, "at", &r->ev.at);
            bool is_link = ld_get(obj, "link") != NULL, is_app = ld_get(obj, "app") != NULL;
            if (is_link && is_app) {
                ld_err(l, obj, "an event acts on a \"link\" or an \"app\", not both");
                ok = false;
            } else if (is_link) {
                ok &= ld_link_event(l, obj, r);
            } else if (is_app) {
                ok &= ld_app_event(l, obj, r);
            } else {
                ld_err(l, obj, "an event needs \"link\" or \"app\"");
                ok = false;
            }
        }
        if (ok)
            m++;
        else
            free(r->ev.conn);
        ld_pop(l, mark);
    }
    qsort(raw, m, sizeof *raw, cmp_raw_event);
    accumulate_sets(sc, raw, m);
    sc->events = scn_calloc(m, sizeof *sc->events);
    if (sc->events) {
        for (uint32_t k = 0; k < m; k++)
            sc->events[k] = raw[k].ev;
        sc->n_events = m;
    } else {
        for (uint32_t k = 0; k < m; k++)
            free(raw[k].ev.conn);
    }
    free(raw);
}
