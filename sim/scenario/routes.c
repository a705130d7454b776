/* Addresses and routes: explicit `interfaces`, auto-numbered subnets for the
 * other links, explicit `routes` or shortest-path ones, and the queries the
 * apps use to resolve names and to check that their peer is reachable. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

/* Links beyond this many: hosts with a single link whose neighbour forwards
 * get one default route instead of a route per subnet, which keeps the
 * tables of large generated topologies linear in size. */
#define PER_SUBNET_ROUTES_MAX_LINKS 1024u
#define MAX_PATH_HOPS               64

struct ip_ref {
    uint32_t ip, host;
};

/* One remembered walk: from `host`, reached as a hop of a path (not its
 * origin), a packet for `dst` arrives after `hops` more hops, or never within
 * MAX_PATH_HOPS (-1).  A slot not `used` is free (calloc makes every slot
 * free). */
struct transit {
    uint32_t host, dst;
    int32_t hops;
    bool used;
};

struct ld_net {
    struct ip_ref *ips; /* every interface address, sorted */
    uint32_t n_ips;
    struct scn_subnets subnets; /* each host's, for the path queries */
    /* Once every routing table is complete the walk from a host toward an
     * address never changes: resolving a name for 10,000 clients walks the
     * same routers toward the same addresses again and again.  An open
     * addressing table, looked up only, never iterated. */
    bool routes_final;
    struct transit *memo;
    uint32_t memo_cap, memo_n; /* cap: 0 or a power of two */
    uint32_t *walk;            /* the hosts of the walk being followed */
    uint32_t walk_n, walk_cap;
};

static uint32_t mask_of(int prefix)
{
    return prefix <= 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

bool scn_parse_ip(const char *s, uint32_t *ip, int *prefix)
{
    uint32_t v = 0;
    const char *p = s;
    for (int part = 0; part < 4; part++) {
        if (*p < '0' || *p > '9')
            return false;
        uint32_t octet = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++)
            octet = octet * 10 + (uint32_t)(*p - '0');
        if (digits > 3 || octet > 255 || (digits > 1 && p[-digits] == '0'))
            return false;
        v = v << 8 | octet;
        if (part < 3 && *p++ != '.')
            return false;
    }
    if (prefix) {
        if (*p++ != '/' || *p < '0' || *p > '9')
            return false;
        int len = 0, digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++)
            len = len * 10 + (*p - '0');
        if (digits > 2 || len > 32)
            return false;
        *prefix = len;
    }
    if (*p)
        return false;
    *ip = v;
    return true;
}

/* Why "a.b.c.d/len" is not a valid address with a prefix: the specific
 * reason when there is one ("prefix length /33 is over 32"), else NULL. */
static const char *prefix_problem(const char *s, char *buf, size_t cap)
{
    const char *slash = strchr(s, '/');
    char addr[32];
    uint32_t ip;
    if (!slash) {
        if (scn_parse_ip(s, &ip, NULL))
            return "the prefix length is missing: write e.g. \"/24\" after the address";
        return NULL;
    }
    if ((size_t)(slash - s) >= sizeof addr)
        return NULL;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    const char *p = slash + 1;
    size_t digits = strspn(p, "0123456789");
    if (!scn_parse_ip(addr, &ip, NULL) || digits == 0 || p[digits] != '\0')
        return NULL;
    if (digits > 2 || strtoul(p, NULL, 10) > 32) {
        snprintf(buf, cap, "prefix length /%s is over 32", p);
        return buf;
    }
    return NULL;
}

static const char *ip_str(uint32_t ip, char buf[16])
{
    return dec_ip_str(ip, buf);
}

/* ---- Address index ----------------------------------------------------- */

static int cmp_ip_ref(const void *a, const void *b)
{
    const struct ip_ref *x = a, *y = b;
    return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static bool build_ip_index(struct ld *l)
{
    const struct scenario *sc = l->sc;
    struct ld_net *net = scn_calloc(1, sizeof *net);
    if (!net)
        return false;
    net->ips = scn_calloc((size_t)sc->n_links * 2, sizeof *net->ips);
    if (!net->ips) {
        free(net);
        return false;
    }
    for (uint32_t k = 0; k < sc->n_links; k++)
        for (int s = 0; s < 2; s++)
            net->ips[net->n_ips++] =
                (struct ip_ref){sc->links[k].end[s].ip, sc->links[k].end[s].host};
    qsort(net->ips, net->n_ips, sizeof *net->ips, cmp_ip_ref);
    l->net = net;
    return scn_subnets_build(&net->subnets, sc);
}

void ld_net_free(struct ld *l)
{
    if (l->net) {
        scn_subnets_free(&l->net->subnets);
        free(l->net->ips);
        free(l->net->memo);
        free(l->net->walk);
    }
    free(l->net);
    l->net = NULL;
}

uint32_t scn_host_of_ip(const struct ld *l, uint32_t ip)
{
    if (!l->net)
        return UINT32_MAX;
    uint32_t lo = 0, hi = l->net->n_ips;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t have = l->net->ips[mid].ip;
        if (have == ip)
            return l->net->ips[mid].host;
        if (have < ip)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* ---- Path queries ------------------------------------------------------ */

/* The side of link k that host h is on. */
static int side_of(const struct scn_link *k, uint32_t h)
{
    return k->end[0].host == h ? 0 : 1;
}

static bool on_subnet(const struct scn_end *e, uint32_t ip)
{
    uint32_t m = mask_of(e->prefix_len);
    return (e->ip & m) == (ip & m);
}

/* Where host h sends a packet for dst: the link and the next host.  Longest
 * prefix wins; connected subnets before routes of the same length. */
static bool next_hop(const struct ld *l, uint32_t h, uint32_t dst, uint32_t *link, uint32_t *next)
{
    const struct scn_host *host = &l->sc->hosts[h];
    const struct scn_subnet *on = scn_subnet_of(&l->net->subnets, h, dst);
    int best = on ? on->prefix_len : -1;
    uint32_t gw = dst;
    for (uint32_t r = 0; r < host->n_routes; r++) {
        const struct scn_route *rt = &host->routes[r];
        if ((dst & mask_of(rt->prefix_len)) == rt->dest && rt->prefix_len > best) {
            best = rt->prefix_len;
            gw = rt->via ? rt->via : dst;
        }
    }
    if (best < 0)
        return false;
    const struct scn_subnet *via = scn_subnet_of(&l->net->subnets, h, gw);
    if (!via || via->peer != gw)
        return false;
    *link = via->link;
    *next = via->peer_host;
    return true;
}

static bool connected_to(const struct ld *l, uint32_t h, uint32_t ip)
{
    return scn_subnet_of(&l->net->subnets, h, ip) != NULL;
}

static bool owns_ip(const struct ld *l, uint32_t h, uint32_t ip)
{
    const struct scn_subnet *on = scn_subnet_of(&l->net->subnets, h, ip);
    return on && on->own == ip;
}

/* The walk itself: hop by hop through the routing tables. */
static int path_hops_walk(const struct ld *l, uint32_t from, uint32_t dst, uint32_t *src)
{
    const struct scenario *sc = l->sc;
    uint32_t cur = from;
    for (int hops = 0; hops <= MAX_PATH_HOPS; hops++) {
        if (owns_ip(l, cur, dst)) {
            if (hops == 0 && src)
                *src = dst;
            return hops;
        }
        if (hops > 0 && !sc->hosts[cur].forward)
            return -1;
        uint32_t link, next;
        if (!next_hop(l, cur, dst, &link, &next))
            return -1;
        if (hops == 0 && src) {
            const struct scn_link *k = &sc->links[link];
            *src = k->end[side_of(k, cur)].ip;
        }
        cur = next;
    }
    return -1;
}

/* ---- Memo of walks ---- */

#define HOPS_VISITING INT32_MIN /* on the walk being followed */
#define HOPS_UNKNOWN  (-2)      /* the memo gave up (out of memory) */

static uint32_t transit_hash(uint32_t host, uint32_t dst)
{
    uint32_t x = host * 0x9e3779b1u ^ dst * 0x85ebca77u;
    x ^= x >> 15;
    x *= 0xc2b2ae3du;
    x ^= x >> 13;
    return x;
}

/* The entry for (host, dst), or the free slot where it would go. */
static struct transit *memo_slot(const struct ld_net *net, uint32_t host, uint32_t dst)
{
    uint32_t m = net->memo_cap - 1;
    for (uint32_t i = transit_hash(host, dst) & m;; i = (i + 1) & m) {
        struct transit *t = &net->memo[i];
        if (!t->used || (t->host == host && t->dst == dst))
            return t;
    }
}

/* Room for one more entry at a load of at most one half. */
static bool memo_reserve(struct ld_net *net)
{
    if (2 * (net->memo_n + 1) <= net->memo_cap)
        return true;
    /* Doubling past 2^31 would wrap the capacity to 0. */
    if (net->memo_cap > UINT32_MAX / 2)
        return false;
    uint32_t cap = net->memo_cap ? 2 * net->memo_cap : 256;
    struct transit *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return false;
    struct transit *old = net->memo;
    uint32_t old_cap = net->memo_cap;
    net->memo = tab;
    net->memo_cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *memo_slot(net, old[i].host, old[i].dst) = old[i];
    free(old);
    return true;
}

static bool walk_push(struct ld_net *net, uint32_t host)
{
    if (net->walk_n == net->walk_cap) {
        uint32_t cap = net->walk_cap ? 2 * net->walk_cap : 64;
        uint32_t *w = realloc(net->walk, (size_t)cap * sizeof *w);
        if (!w)
            return false;
        net->walk = w;
        net->walk_cap = cap;
    }
    net->walk[net->walk_n++] = host;
    return true;
}

/* Out of memory: entries of an unfinished walk may be left behind, so the
 * memo is no longer used; every later query walks afresh. */
static int32_t memo_give_up(struct ld_net *net)
{
    net->routes_final = false;
    return HOPS_UNKNOWN;
}

/* Hops from `cur`, reached as a hop of a path (not its origin), to the owner
 * of dst: the distance when it is at most MAX_PATH_HOPS, -1 when the packet
 * never arrives (a host that does not forward, no route, a loop) or later.
 * Follows the walk until a host whose answer is known, then records the
 * answer of every host on the way.  A host met again on the same walk is a
 * loop. */
static int32_t transit_hops(const struct ld *l, uint32_t cur, uint32_t dst)
{
    const struct scenario *sc = l->sc;
    struct ld_net *net = l->net;
    int32_t hops;
    net->walk_n = 0;
    for (;;) {
        if (!memo_reserve(net))
            return memo_give_up(net);
        struct transit *t = memo_slot(net, cur, dst);
        if (t->used) {
            hops = t->hops == HOPS_VISITING ? -1 : t->hops;
            break;
        }
        uint32_t link, next;
        bool arrives = owns_ip(l, cur, dst);
        if (arrives || !sc->hosts[cur].forward || !next_hop(l, cur, dst, &link, &next)) {
            hops = arrives ? 0 : -1;
            *t = (struct transit){cur, dst, hops, true};
            net->memo_n++;
            break;
        }
        *t = (struct transit){cur, dst, HOPS_VISITING, true};
        net->memo_n++;
        if (!walk_push(net, cur))
            return memo_give_up(net);
        cur = next;
    }
    while (net->walk_n > 0) {
        hops = hops < 0 || hops + 1 > MAX_PATH_HOPS ? -1 : hops + 1;
        memo_slot(net, net->walk[--net->walk_n], dst)->hops = hops;
    }
    return hops;
}

int scn_path_hops(const struct ld *l, uint32_t from, uint32_t dst, uint32_t *src)
{
    const struct scenario *sc = l->sc;
    if (!l->net->routes_final)
        return path_hops_walk(l, from, dst, src);
    if (owns_ip(l, from, dst)) {
        if (src)
            *src = dst;
        return 0;
    }
    uint32_t link, next;
    if (!next_hop(l, from, dst, &link, &next))
        return -1;
    if (src) {
        const struct scn_link *k = &sc->links[link];
        *src = k->end[side_of(k, from)].ip;
    }
    int32_t rest = transit_hops(l, next, dst);
    if (rest == HOPS_UNKNOWN)
        return path_hops_walk(l, from, dst, src);
    return rest < 0 || rest + 1 > MAX_PATH_HOPS ? -1 : rest + 1;
}

bool scn_resolve(const struct ld *l, uint32_t from, const char *s, uint32_t *ip, uint32_t *host)
{
    const struct scenario *sc = l->sc;
    if (scn_parse_ip(s, ip, NULL)) {
        *host = scn_host_of_ip(l, *ip);
        return true;
    }
    uint32_t h = scenario_host_index(sc, s);
    if (h == UINT32_MAX || sc->hosts[h].n_links == 0)
        return false;
    const struct scn_host *t = &sc->hosts[h];
    int best = -1;
    bool best_connected = false;
    for (uint32_t i = 0; i < t->n_links; i++) {
        const struct scn_link *k = &sc->links[t->links[i]];
        uint32_t cand = k->end[side_of(k, h)].ip;
        int hops = scn_path_hops(l, from, cand, NULL);
        /* Equal hops: an address on a subnet `from` is on is the nearer. */
        bool connected = connected_to(l, from, cand);
        if (hops >= 0 &&
            (best < 0 || hops < best || (hops == best && connected && !best_connected))) {
            best = hops;
            best_connected = connected;
            *ip = cand;
        }
    }
    if (best < 0) { /* unreachable everywhere: its first address */
        const struct scn_link *k = &sc->links[t->links[0]];
        *ip = k->end[side_of(k, h)].ip;
    }
    *host = h;
    return true;
}

/* ---- Interfaces and addressing ----------------------------------------- */

struct ends {
    bool *given;         /* [2k + s]: address given in `interfaces` */
    const cJSON **where; /* the `ip` node that gave it */
    uint32_t *iface;     /* its index in the host's `interfaces` */
};

/* An error at the `ip` of the interface that gave end s of link k. */
__attribute__((format(printf, 5, 6))) static void
err_at_end(struct ld *l, const struct ends *e, uint32_t k, int s, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mark = ld_push_key(l, "hosts");
    ld_push_index(l, l->sc->links[k].end[s].host);
    ld_push_key(l, "interfaces");
    ld_push_index(l, e->iface[2 * k + s]);
    ld_push_key(l, "ip");
    ld_err(l, e->where[2 * k + s], "%s", msg);
    ld_pop(l, mark);
}

static const char *const iface_fields[] = {"link", "ip", NULL};

static void ld_iface(struct ld *l, uint32_t h, uint32_t idx, const cJSON *obj, struct ends *e)
{
    struct scenario *sc = l->sc;
    if (!ld_check_object(l, obj, "an interface", iface_fields))
        return;
    bool ok = both(ld_require(l, obj, "link"), ld_require(l, obj, "ip"));
    if (!ok)
        return;
    uint32_t k = ld_ref_link(l, obj, "link");
    const char *s;
    if (!ld_string(l, obj, "ip", &s) || k == UINT32_MAX)
        return;
    const cJSON *ipn = ld_get(obj, "ip");
    struct scn_link *lk = &sc->links[k];
    if (lk->end[0].host != h && lk->end[1].host != h) {
        ld_err_at(l, ld_get(obj, "link"), "link", "host \"%s\" is not an end of link \"%s\"",
                  sc->hosts[h].name, lk->name);
        return;
    }
    uint32_t ip;
    int prefix;
    if (!scn_parse_ip(s, &ip, &prefix)) {
        char why[64];
        const char *problem = prefix_problem(s, why, sizeof why);
        if (problem)
            ld_err_at(l, ipn, "ip", "invalid address \"%s\": %s", s, problem);
        else
            ld_err_at(l, ipn, "ip", "invalid address \"%s\": expected e.g. \"10.0.1.1/24\"", s);
        return;
    }
    if (prefix < 1 || prefix > 30) {
        ld_err_at(l, ipn, "ip", "prefix length /%d: a link's subnet needs /1 to /30", prefix);
        return;
    }
    uint32_t m = mask_of(prefix);
    if ((ip & ~m) == 0 || (ip & ~m) == ~m) {
        ld_err_at(l, ipn, "ip",
                  "%s is the %s address of its subnet; a host needs an address in between", s,
                  (ip & ~m) == 0 ? "network" : "broadcast");
        return;
    }
    int side = side_of(lk, h);
    if (e->given[2 * k + side]) {
        ld_err_at(l, ld_get(obj, "link"), "link", "host \"%s\" already has an address on \"%s\"",
                  sc->hosts[h].name, lk->name);
        return;
    }
    e->given[2 * k + side] = true;
    e->where[2 * k + side] = ipn;
    e->iface[2 * k + side] = idx;
    lk->end[side].ip = ip;
    lk->end[side].prefix_len = (uint8_t)prefix;
}

static void ld_ifaces(struct ld *l, const cJSON *hosts, struct ends *e)
{
    uint32_t h = 0;
    for (const cJSON *obj = hosts->child; obj; obj = obj->next, h++) {
        const cJSON *arr;
        uint32_t n;
        size_t mark = ld_push_key(l, "hosts");
        ld_push_index(l, h);
        if (ld_array(l, obj, "interfaces", SCN_MAX_IFACES, "interfaces", &arr, &n)) {
            size_t m2 = ld_push_key(l, "interfaces");
            uint32_t i = 0;
            for (const cJSON *it = arr->child; it; it = it->next, i++) {
                size_t m3 = ld_push_index(l, i);
                ld_iface(l, h, i, it, e);
                ld_pop(l, m3);
            }
            ld_pop(l, m2);
        }
        ld_pop(l, mark);
    }
}

/* A link with one end given: the other end takes the lowest free address. */
static void complete_link(struct ld *l, uint32_t k, struct ends *e)
{
    struct scn_link *lk = &l->sc->links[k];
    bool g0 = e->given[2 * k], g1 = e->given[2 * k + 1];
    char a[24], b[24];
    if (g0 && g1) {
        struct scn_end *x = &lk->end[0], *y = &lk->end[1];
        if (x->prefix_len != y->prefix_len || !on_subnet(x, y->ip)) {
            snprintf(a + strlen(ip_str(x->ip, a)), 8, "/%u", x->prefix_len);
            snprintf(b + strlen(ip_str(y->ip, b)), 8, "/%u", y->prefix_len);
            err_at_end(l, e, k, 1, "%s and %s on link \"%s\" are not on the same subnet", a, b,
                       lk->name);
        } else if (x->ip == y->ip) {
            err_at_end(l, e, k, 1, "both ends of link \"%s\" have address %s", lk->name,
                       ip_str(x->ip, a));
        }
        return;
    }
    int given = g0 ? 0 : 1;
    struct scn_end *x = &lk->end[given], *y = &lk->end[1 - given];
    uint32_t net = x->ip & mask_of(x->prefix_len);
    uint32_t cand = net + 1;
    if (cand == x->ip)
        cand++;
    y->ip = cand;
    y->prefix_len = x->prefix_len;
}

struct subnet {
    uint32_t lo, hi, link;
};

static int cmp_subnet(const void *a, const void *b)
{
    const struct subnet *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->link < y->link ? -1 : x->link > y->link;
}

/* True if [lo, hi] overlaps one of the sorted, disjoint subnets. */
static bool overlaps(const struct subnet *v, uint32_t n, uint32_t lo, uint32_t hi)
{
    uint32_t a = 0, b = n; /* first subnet whose hi >= lo */
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (v[mid].hi < lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a < n && v[a].lo <= hi;
}

/* Explicit subnets must not overlap; then number the others. */
static void assign_subnets(struct ld *l, struct ends *e)
{
    struct scenario *sc = l->sc;
    struct subnet *v = scn_calloc(sc->n_links, sizeof *v);
    if (!v)
        return;
    uint32_t n = 0;
    for (uint32_t k = 0; k < sc->n_links; k++) {
        if (!e->given[2 * k] && !e->given[2 * k + 1])
            continue;
        const struct scn_end *x = &sc->links[k].end[e->given[2 * k] ? 0 : 1];
        uint32_t m = mask_of(x->prefix_len);
        v[n++] = (struct subnet){x->ip & m, (x->ip & m) | ~m, k};
    }
    qsort(v, n, sizeof *v, cmp_subnet);
    char a[16], b[16];
    for (uint32_t i = 1; i < n; i++) {
        /* The subnet that reaches furthest so far, for nested overlaps. */
        uint32_t j = i - 1;
        if (v[i].lo > v[j].hi)
            continue;
        uint32_t k = v[i].link, o = v[j].link;
        int s = e->given[2 * k] ? 0 : 1;
        err_at_end(l, e, k, s, "subnet %s of link \"%s\" overlaps subnet %s of link \"%s\"",
                   ip_str(v[i].lo, a), sc->links[k].name, ip_str(v[j].lo, b), sc->links[o].name);
        v[i].hi = v[j].hi > v[i].hi ? v[j].hi : v[i].hi;
    }
    uint32_t next = 0; /* 10.<next/256>.<next%256>.0/24 */
    for (uint32_t k = 0; k < sc->n_links; k++) {
        if (e->given[2 * k] || e->given[2 * k + 1])
            continue;
        uint32_t lo;
        for (;; next++) {
            if (next >= 65536) {
                ld_err(l, NULL,
                       "links: more links than automatic subnets (65536 in 10.0.0.0/8); "
                       "give the other links addresses in `interfaces`");
                free(v);
                return;
            }
            lo = 0x0a000000u | next << 8;
            if (!overlaps(v, n, lo, lo | 0xff))
                break;
        }
        next++;
        sc->links[k].end[0] = (struct scn_end){sc->links[k].end[0].host, lo | 1, 24};
        sc->links[k].end[1] = (struct scn_end){sc->links[k].end[1].host, lo | 2, 24};
    }
    free(v);
}

/* ---- Routes ------------------------------------------------------------ */

static const char *const route_fields[] = {"dest", "via", NULL};

static bool ld_route(struct ld *l, uint32_t h, const cJSON *obj, struct scn_route *r)
{
    const struct scenario *sc = l->sc;
    if (!ld_check_object(l, obj, "a route", route_fields))
        return false;
    bool ok = both(ld_require(l, obj, "dest"), ld_require(l, obj, "via"));
    const char *d, *v;
    if (!ok || !ld_string(l, obj, "dest", &d) || !ld_string(l, obj, "via", &v))
        return false;
    int prefix = 0;
    uint32_t dest = 0, via;
    if (strcmp(d, "default") != 0) {
        if (!scn_parse_ip(d, &dest, &prefix)) {
            char why[64];
            const char *problem = prefix_problem(d, why, sizeof why);
            if (problem)
                ld_err_at(l, ld_get(obj, "dest"), "dest", "invalid destination \"%s\": %s", d,
                          problem);
            else
                ld_err_at(l, ld_get(obj, "dest"), "dest",
                          "invalid destination \"%s\": expected e.g. \"10.0.2.0/24\" or "
                          "\"default\"",
                          d);
            ok = false;
        } else if (dest & ~mask_of(prefix)) {
            ld_err_at(l, ld_get(obj, "dest"), "dest",
                      "\"%s\" has host bits set: the subnet would be written with zeros there", d);
            ok = false;
        }
    }
    uint32_t via_host;
    if (!scn_resolve(l, h, v, &via, &via_host)) {
        ld_err_at(l, ld_get(obj, "via"), "via", "invalid gateway \"%s\": expected an address", v);
        return false;
    }
    if (!connected_to(l, h, via) || owns_ip(l, h, via)) {
        char b[16];
        ld_err_at(l, ld_get(obj, "via"), "via",
                  "gateway %s is not on a subnet connected to host \"%s\"", ip_str(via, b),
                  sc->hosts[h].name);
        ok = false;
    }
    *r = (struct scn_route){dest, (uint8_t)prefix, via};
    return ok;
}

static void explicit_routes(struct ld *l, uint32_t h, const cJSON *arr, uint32_t n)
{
    struct scn_host *host = &l->sc->hosts[h];
    host->routes = scn_calloc(n, sizeof *host->routes);
    if (!host->routes)
        return;
    size_t mark = ld_push_key(l, "routes");
    uint32_t i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        size_t m2 = ld_push_index(l, i);
        if (ld_route(l, h, it, &host->routes[host->n_routes]))
            host->n_routes++;
        ld_pop(l, m2);
    }
    ld_pop(l, mark);
}

struct bfs {
    uint32_t *dist, *first, *queue, *stamp;
    uint32_t gen;
};

/* Shortest paths (hop count) from h through forwarding hosts; ties go to
 * the path found first, exploring links in file order. */
static void bfs_from(const struct scenario *sc, uint32_t h, struct bfs *b)
{
    b->gen++;
    uint32_t head = 0, tail = 0;
    b->stamp[h] = b->gen;
    b->dist[h] = 0;
    b->first[h] = UINT32_MAX;
    b->queue[tail++] = h;
    while (head < tail) {
        uint32_t u = b->queue[head++];
        if (u != h && !sc->hosts[u].forward)
            continue;
        const struct scn_host *hu = &sc->hosts[u];
        for (uint32_t i = 0; i < hu->n_links; i++) {
            const struct scn_link *k = &sc->links[hu->links[i]];
            uint32_t v = k->end[1 - side_of(k, u)].host;
            if (b->stamp[v] == b->gen)
                continue;
            b->stamp[v] = b->gen;
            b->dist[v] = b->dist[u] + 1;
            b->first[v] = u == h ? hu->links[i] : b->first[u];
            b->queue[tail++] = v;
        }
    }
}

static void auto_routes(struct ld *l, uint32_t h, struct bfs *b)
{
    const struct scenario *sc = l->sc;
    struct scn_host *host = &sc->hosts[h];
    if (host->n_links == 0)
        return;
    if (sc->n_links > PER_SUBNET_ROUTES_MAX_LINKS && host->n_links == 1) {
        const struct scn_link *k = &sc->links[host->links[0]];
        const struct scn_end *peer = &k->end[1 - side_of(k, h)];
        if (sc->hosts[peer->host].forward) {
            host->routes = scn_calloc(1, sizeof *host->routes);
            if (host->routes)
                host->routes[host->n_routes++] = (struct scn_route){0, 0, peer->ip};
        }
        return;
    }
    bfs_from(sc, h, b);
    host->routes = scn_calloc(sc->n_links, sizeof *host->routes);
    if (!host->routes)
        return;
    for (uint32_t k = 0; k < sc->n_links; k++) {
        const struct scn_link *lk = &sc->links[k];
        if (lk->end[0].host == h || lk->end[1].host == h)
            continue;
        uint32_t best = UINT32_MAX;
        for (int s = 0; s < 2; s++) {
            uint32_t e = lk->end[s].host;
            if (b->stamp[e] == b->gen && (best == UINT32_MAX || b->dist[e] < b->dist[best]))
                best = e;
        }
        if (best == UINT32_MAX)
            continue;
        const struct scn_link *fl = &sc->links[b->first[best]];
        uint32_t via = fl->end[1 - side_of(fl, h)].ip;
        uint32_t m = mask_of(lk->end[0].prefix_len);
        host->routes[host->n_routes++] =
            (struct scn_route){lk->end[0].ip & m, lk->end[0].prefix_len, via};
    }
}

static void ld_routes(struct ld *l, const cJSON *hosts)
{
    struct scenario *sc = l->sc;
    struct bfs b = {0};
    b.dist = scn_calloc(sc->n_hosts, sizeof *b.dist);
    b.first = scn_calloc(sc->n_hosts, sizeof *b.first);
    b.queue = scn_calloc(sc->n_hosts, sizeof *b.queue);
    b.stamp = scn_calloc(sc->n_hosts, sizeof *b.stamp);
    if (b.dist && b.first && b.queue && b.stamp) {
        uint32_t h = 0;
        for (const cJSON *obj = hosts->child; obj; obj = obj->next, h++) {
            const cJSON *arr;
            uint32_t n;
            size_t mark = ld_push_key(l, "hosts");
            ld_push_index(l, h);
            if (ld_array(l, obj, "routes", 100000, "routes", &arr, &n))
                explicit_routes(l, h, arr, n);
            else if (!ld_get(obj, "routes"))
                auto_routes(l, h, &b);
            ld_pop(l, mark);
        }
    } else {
        ld_err(l, NULL, "out of memory");
    }
    free(b.dist);
    free(b.first);
    free(b.queue);
    free(b.stamp);
}

void ld_network(struct ld *l, const cJSON *root)
{
    struct scenario *sc = l->sc;
    const cJSON *hosts = ld_get(root, "hosts");
    struct ends e;
    e.given = scn_calloc((size_t)sc->n_links * 2, sizeof *e.given);
    e.where = scn_calloc((size_t)sc->n_links * 2, sizeof(const cJSON *));
    e.iface = scn_calloc((size_t)sc->n_links * 2, sizeof *e.iface);
    if (!e.given || !e.where || !e.iface) {
        ld_err(l, NULL, "out of memory");
        goto out;
    }
    uint32_t before = l->errors;
    ld_ifaces(l, hosts, &e);
    if (l->errors != before)
        goto out;
    for (uint32_t k = 0; k < sc->n_links; k++)
        if (e.given[2 * k] || e.given[2 * k + 1])
            complete_link(l, k, &e);
    assign_subnets(l, &e);
    if (l->errors != before)
        goto out;
    if (!build_ip_index(l)) {
        ld_err(l, NULL, "out of memory");
        goto out;
    }
    ld_routes(l, hosts);
    l->net->routes_final = true;
out:
    free(e.given);
    free(e.where);
    free(e.iface);
}
