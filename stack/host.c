/* Hosts: interfaces, the routing table, Ethernet input and what the protocol
 * modules share (ephemeral ports, drop and timer traces).
 *
 * Interfaces get locally administered MAC addresses derived from the host's
 * creation index and the interface's: 02:00:HH:HH:HH:II with HH = index + 1
 * (so that no address is all zeros after the prefix) and II = interface index.
 *
 * Routes: longest-prefix match; among routes of equal length the one added
 * first wins (a connected route, added with its address, beats a later static
 * route to the same prefix).
 *
 * Routers forward every packet after looking up its destination among their
 * addresses, their subnets' broadcasts and their routes, on up to 64
 * interfaces: the addresses and broadcasts are hashed by address, and the
 * routes by (prefix length, network), probed from the longest
 * length in use down, so a lookup costs one probe per distinct length rather
 * than one comparison per route.  The indexes are rebuilt or extended
 * whenever an address or a route changes; they are only ever searched, never
 * iterated, so nothing depends on their layout.  Hosts with a few interfaces
 * and routes (most of them) have no index: scanning two entries costs no more
 * than a probe, and the tables would take more memory than the host. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "../sim/sim.h"
#include "icmp.h"
#include "stack_priv.h"
#include "udp.h"

#define EPHEMERAL_LO 32768u /* Linux net.ipv4.ip_local_port_range */
#define EPHEMERAL_HI 60999u
#define DEFAULT_MTU  1500u

static const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define ETH_TEN(d)                                                                                 \
    "eth" #d "0", "eth" #d "1", "eth" #d "2", "eth" #d "3", "eth" #d "4", "eth" #d "5",            \
        "eth" #d "6", "eth" #d "7", "eth" #d "8", "eth" #d "9"

/* Interface names by index: one copy for every host. */
static const char iface_names[HOST_MAX_IFACES][HOST_IFNAME_LEN] = {
    "eth0",     "eth1",  "eth2",  "eth3",     "eth4",     "eth5",     "eth6",
    "eth7",     "eth8",  "eth9",  ETH_TEN(1), ETH_TEN(2), ETH_TEN(3), ETH_TEN(4),
    ETH_TEN(5), "eth60", "eth61", "eth62",    "eth63"};

static struct host_iface *iface_of_port(struct port *p)
{
    return (struct host_iface *)((char *)p - offsetof(struct host_iface, port));
}

sim_time host_now(const struct host *h)
{
    return sim_now(h->sim);
}

struct frame *host_frame_alloc(struct host *h, uint32_t len)
{
    struct frame *f = frame_alloc(h->frames, len);
    if (f)
        f->id = sim_next_frame_id(h->sim);
    return f;
}

void host_frame_new_id(struct host *h, struct frame *f)
{
    f->id = sim_next_frame_id(h->sim);
}

uint32_t host_iface_mtu(const struct host_iface *i)
{
    return i->port.mtu ? i->port.mtu : DEFAULT_MTU;
}

void eth_fill(struct frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(f->data, dst, 6);
    memcpy(f->data + 6, src, 6);
    wr16(f->data + 12, type);
}

/* ---- traces ---- */

void host_trace_drop(struct host *h, const struct frame *f, uint32_t iface, const char *reason)
{
    if (!trace_on(h->bus, TRACE_DROP))
        return;
    /* Drops with no interface of their own (local output) are shown on eth0. */
    const struct host_iface *i = iface < h->n_ifaces ? h->ifaces[iface] : NULL;
    if (!i && h->n_ifaces)
        i = h->ifaces[0];
    trace_emit(h->bus, &(struct trace_event){.t = host_now(h),
                                             .kind = TRACE_DROP,
                                             .host = h->name,
                                             .frame = f,
                                             .iface = i ? i->port.iface : 0,
                                             .ifname = i ? i->port.ifname : NULL,
                                             .reason = reason});
}

void host_drop(struct host *h, struct frame *f, uint32_t iface, const char *reason)
{
    host_trace_drop(h, f, iface, reason);
    frame_free(h->frames, f);
}

void host_drop_counted(struct host *h, struct frame *f, uint32_t iface, const char *reason,
                       size_t counter)
{
    struct host_more *m = host_more(h);
    if (m)
        (*(uint32_t *)((char *)&m->c + counter))++;
    host_drop(h, f, iface, reason);
}

void host_trace_timer(struct host *h, const char *timer, uint32_t backoff)
{
    if (!trace_on(h->bus, TRACE_TIMER))
        return;
    trace_emit(h->bus, &(struct trace_event){.t = host_now(h),
                                             .kind = TRACE_TIMER,
                                             .host = h->name,
                                             .timer = timer,
                                             .backoff = backoff});
}

/* ---- Ethernet ---- */

void host_xmit(struct host_iface *i, struct frame *f)
{
    if (!i->port.tx) {
        host_drop(host_of_iface(i), f, i->index, "no_link");
        return;
    }
    port_send(&i->port, f);
}

/* port.rx: a frame arrived from the link; the host owns it from here. */
static void eth_input(struct port *p, struct frame *f, sim_time now)
{
    struct host_iface *i = iface_of_port(p);
    struct host *h = host_of_iface(i);
    if (f->len < FRAME_ETH_HLEN) {
        host_drop_counted(h, f, i->index, "malformed", HOST_COUNTER(drop_malformed));
        return;
    }
    if (memcmp(f->data, i->mac, 6) != 0 && memcmp(f->data, eth_broadcast, 6) != 0) {
        host_drop_counted(h, f, i->index, "not_for_us", HOST_COUNTER(drop_not_mine));
        return;
    }
    switch (rd16(f->data + 12)) {
    case ETH_TYPE_IP:
        ip4_input(h, i, f, now);
        break;
    case ETH_TYPE_ARP:
        arp_input(h, i, f, now);
        break;
    default:
        host_drop_counted(h, f, i->index, "unknown_ethertype", HOST_COUNTER(drop_no_proto));
        break;
    }
}

/* ---- lifetime ---- */

struct host *host_create(struct sim *s, const char *name, uint32_t index, bool forward)
{
    size_t name_len = strlen(name);
    struct host *h = calloc(1, sizeof(*h) + name_len + 1);
    if (!h)
        return NULL;
    h->name = (char *)(h + 1);
    memcpy(h->name, name, name_len + 1);
    h->sim = s;
    h->ifaces = h->ifaces_inline;
    h->cap_ifaces = sizeof(h->ifaces_inline) / sizeof(h->ifaces_inline[0]);
    h->routes = h->routes_inline;
    h->cap_routes = sizeof(h->routes_inline) / sizeof(h->routes_inline[0]);
    h->bus = sim_bus(s);
    h->frames = &s->frames;
    h->index = index;
    h->forward = forward;
    char seed_name[160];
    snprintf(seed_name, sizeof(seed_name), "host:%s", name);
    rng_seed(&h->rng, s->seed, seed_name);
    /* Draws in a fixed order: ephemeral start, then IP id (ip4_create), then
     * ICMP echo identifiers (icmp_attach). */
    h->next_ephemeral =
        (uint16_t)(EPHEMERAL_LO + rng_below(&h->rng, EPHEMERAL_HI - EPHEMERAL_LO + 1));
    arp_init(h);
    ip4_init(h);
    if (!icmp_attach(h) || !udp_attach(h)) {
        host_destroy(h);
        return NULL;
    }
    return h;
}

void host_destroy(struct host *h)
{
    if (!h)
        return;
    if (h->tcp_destroy)
        h->tcp_destroy(h);
    udp_detach(h);
    icmp_detach(h);
    ip4_fini(h);
    arp_fini(h);
    for (uint32_t i = 0; i < h->n_ifaces; i++)
        free(h->ifaces[i]);
    if (h->ifaces != h->ifaces_inline)
        free(h->ifaces);
    if (h->more) {
        free(h->more->local);
        free(h->more->route_slots);
        free(h->more);
    }
    if (h->routes != h->routes_inline)
        free(h->routes);
    free(h);
}

struct host_more *host_more(struct host *h)
{
    if (!h->more)
        h->more = calloc(1, sizeof(*h->more));
    return h->more;
}

void host_counters_get(const struct host *h, struct host_counters *out)
{
    if (h->more)
        *out = h->more->c;
    else
        memset(out, 0, sizeof(*out));
    out->ip_in = h->c.ip_in;
    out->ip_out = h->c.ip_out;
    out->ip_forwarded = h->c.ip_forwarded;
    out->ip_delivered = h->c.ip_delivered;
}

/* ---- lookup tables ---- */

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

#define ROUTE_LEN_BITS 6 /* a prefix length fits in the low bits of a slot's ref */
#define ROUTE_SCAN_MAX 4 /* routes looked up by scanning, before an index is made */
#define LOCAL_SCAN_MAX 2 /* interfaces looked up by scanning, before an index is made */

/* The slot holding the route for (dest, prefix_len), or the free slot where
 * it would go; the host has an index. */
static struct host_route_slot *route_slot(const struct host *h, uint32_t dest, uint8_t prefix_len)
{
    struct host_route_slot *slots = h->more->route_slots;
    uint32_t m = h->more->route_slots_cap - 1;
    for (uint32_t i = hash32(dest ^ (uint32_t)prefix_len * 0x9e3779b1u) & m;; i = (i + 1) & m) {
        struct host_route_slot *slot = &slots[i];
        if (!slot->ref ||
            (slot->dest == dest && (slot->ref & ((1u << ROUTE_LEN_BITS) - 1)) == prefix_len))
            return slot;
    }
}

/* Indexes routes[k]; an earlier route to the same prefix keeps precedence. */
static void route_index_add(struct host *h, uint32_t k)
{
    struct host_more *m = h->more;
    if (!m || !m->route_slots_cap)
        return;
    const struct route *r = &h->routes[k];
    struct host_route_slot *slot = route_slot(h, r->dest, r->prefix_len);
    if (!slot->ref)
        *slot = (struct host_route_slot){r->dest, (k + 1) << ROUTE_LEN_BITS | r->prefix_len};
    m->route_lens |= 1ull << r->prefix_len;
}

static void route_index_rebuild(struct host *h)
{
    struct host_more *m = h->more;
    if (!m || !m->route_slots_cap)
        return;
    memset(m->route_slots, 0, m->route_slots_cap * sizeof(*m->route_slots));
    m->route_lens = 0;
    for (uint32_t k = 0; k < h->n_routes; k++)
        route_index_add(h, k);
}

/* Room in the index for n routes at a load of at most one half (none needed
 * while they are few enough to scan). */
static bool route_index_reserve(struct host *h, uint32_t n)
{
    uint32_t have = h->more ? h->more->route_slots_cap : 0;
    if (2 * n <= have || (!have && n <= ROUTE_SCAN_MAX))
        return true;
    struct host_more *m = host_more(h);
    if (!m)
        return false;
    uint32_t cap = have ? have : 8;
    while (2 * n > cap)
        cap *= 2;
    struct host_route_slot *slots = malloc(cap * sizeof(*slots));
    if (!slots)
        return false;
    free(m->route_slots);
    m->route_slots = slots;
    m->route_slots_cap = cap;
    route_index_rebuild(h);
    return true;
}

/* The slot for ip in the local table, or the free slot where it would go;
 * the host has a table. */
static struct host_local_slot *local_slot(const struct host *h, uint32_t ip)
{
    struct host_local_slot *local = h->more->local;
    uint32_t m = h->more->local_cap - 1;
    for (uint32_t i = hash32(ip) & m;; i = (i + 1) & m)
        if (local[i].ip == ip || !local[i].ip)
            return &local[i];
}

/* What the host knows of ip as a destination: *out as the index's slot for
 * it would be.  False when ip is neither an address nor a directed broadcast
 * of the host.  Without an index the interfaces are scanned in index order,
 * so an address held twice maps to the lower, as in the index. */
static bool local_find(const struct host *h, uint32_t ip, struct host_local_slot *out)
{
    const struct host_more *m = h->more;
    if (!ip)
        return false;
    if (m && m->local_cap) {
        const struct host_local_slot *s = local_slot(h, ip);
        *out = *s;
        return s->ip != 0;
    }
    *out = (struct host_local_slot){0};
    for (uint32_t k = 0; k < h->n_ifaces; k++) {
        const struct host_iface *i = h->ifaces[k];
        if (i->ip == ip && !out->iface1)
            out->iface1 = (uint8_t)(k + 1);
        if (i->bcast == ip)
            out->bcast = true;
    }
    out->ip = out->iface1 || out->bcast ? ip : 0;
    return out->ip != 0;
}

/* Interfaces in index order, so an address held twice maps to the lower. */
static void local_rebuild(struct host *h)
{
    struct host_more *m = h->more;
    if (!m || !m->local_cap)
        return;
    memset(m->local, 0, m->local_cap * sizeof(*m->local));
    for (uint32_t k = 0; k < h->n_ifaces; k++) {
        const struct host_iface *i = h->ifaces[k];
        if (i->ip) {
            struct host_local_slot *s = local_slot(h, i->ip);
            s->ip = i->ip;
            if (!s->iface1)
                s->iface1 = (uint8_t)(k + 1);
        }
        if (i->bcast) {
            struct host_local_slot *s = local_slot(h, i->bcast);
            s->ip = i->bcast;
            s->bcast = true;
        }
    }
}

/* Room for the address and broadcast of n interfaces at a load of at most
 * one half. */
static bool local_reserve(struct host *h, uint32_t n)
{
    uint32_t have = h->more ? h->more->local_cap : 0;
    if (4 * n <= have || (!have && n <= LOCAL_SCAN_MAX))
        return true;
    struct host_more *m = host_more(h);
    if (!m)
        return false;
    uint32_t cap = have ? 2 * have : 4;
    while (4 * n > cap)
        cap *= 2;
    struct host_local_slot *t = calloc(cap, sizeof(*t));
    if (!t)
        return false;
    free(m->local);
    m->local = t;
    m->local_cap = cap;
    local_rebuild(h);
    return true;
}

/* ---- interfaces and routes ---- */

static bool add_route(struct host *h, uint32_t dest, uint8_t prefix_len, uint32_t via,
                      uint32_t iface)
{
    if (h->n_routes == h->cap_routes) {
        uint32_t cap = h->cap_routes ? h->cap_routes * 2 : 2;
        struct route *r = malloc(cap * sizeof(*r));
        if (!r)
            return false;
        if (h->n_routes)
            memcpy(r, h->routes, h->n_routes * sizeof(*r));
        if (h->routes != h->routes_inline)
            free(h->routes);
        h->routes = r;
        h->cap_routes = cap;
    }
    if (!route_index_reserve(h, h->n_routes + 1))
        return false;
    h->routes[h->n_routes++] = (struct route){.dest = dest & prefix_mask(prefix_len),
                                              .prefix_len = prefix_len,
                                              .via = via,
                                              .iface = (uint8_t)iface};
    route_index_add(h, h->n_routes - 1);
    return true;
}

static void remove_connected_routes(struct host *h, uint32_t iface)
{
    uint32_t k = 0;
    for (uint32_t j = 0; j < h->n_routes; j++) {
        const struct route *r = &h->routes[j];
        if (!(r->iface == iface && r->via == 0))
            h->routes[k++] = *r;
    }
    if (k == h->n_routes)
        return;
    h->n_routes = k;
    route_index_rebuild(h);
}

/* Room in ifaces[] for one more interface. */
static bool ifaces_reserve(struct host *h)
{
    if (h->n_ifaces < h->cap_ifaces)
        return true;
    uint32_t cap = h->cap_ifaces ? 2 * h->cap_ifaces : 1;
    if (cap > HOST_MAX_IFACES)
        cap = HOST_MAX_IFACES;
    struct host_iface **v = malloc(cap * sizeof(struct host_iface *));
    if (!v)
        return false;
    if (h->n_ifaces)
        memcpy(v, h->ifaces, h->n_ifaces * sizeof(struct host_iface *));
    if (h->ifaces != h->ifaces_inline)
        free(h->ifaces);
    h->ifaces = v;
    h->cap_ifaces = cap;
    return true;
}

struct host_iface *host_add_iface(struct host *h, const char *link, uint32_t ip, uint8_t prefix_len)
{
    if (h->n_ifaces >= HOST_MAX_IFACES || !ifaces_reserve(h) || !local_reserve(h, h->n_ifaces + 1))
        return NULL;
    struct host_iface *i = calloc(1, sizeof(*i));
    if (!i)
        return NULL;
    i->index = (uint8_t)h->n_ifaces;
    _Static_assert(sizeof(iface_names) / sizeof(iface_names[0]) == HOST_MAX_IFACES,
                   "a name for every interface");
    uint32_t hi = h->index + 1;
    const uint8_t mac[6] = {
        0x02, 0x00, (uint8_t)(hi >> 16), (uint8_t)(hi >> 8), (uint8_t)hi, (uint8_t)i->index};
    memcpy(i->mac, mac, 6);
    i->port.mtu = DEFAULT_MTU;
    i->port.rx = eth_input;
    i->port.owner = h;
    i->port.host = h->name;
    i->port.ifname = iface_names[i->index];
    uint32_t bus_idx =
        trace_bus_add_iface(h->bus, h->name, i->port.ifname, link, i->mac, DEFAULT_MTU);
    if (bus_idx == UINT32_MAX) {
        free(i);
        return NULL;
    }
    i->port.iface = bus_idx;
    h->ifaces[h->n_ifaces++] = i;
    if (ip)
        host_iface_set_addr(i, ip, prefix_len);
    return i;
}

/* The directed broadcast of ip/prefix_len; /31 and /32 have none (RFC 3021). */
static uint32_t directed_broadcast(uint32_t ip, uint8_t prefix_len)
{
    uint32_t m = prefix_mask(prefix_len);
    return ip && prefix_len < 31 ? (ip & m) | ~m : 0;
}

void host_iface_set_addr(struct host_iface *i, uint32_t ip, uint8_t prefix_len)
{
    struct host *h = host_of_iface(i);
    if (prefix_len > 32) /* the route index keeps lengths 0-32 */
        prefix_len = 32;
    remove_connected_routes(h, i->index);
    i->ip = ip;
    i->prefix_len = prefix_len;
    i->bcast = directed_broadcast(ip, prefix_len);
    local_rebuild(h);
    if (ip)
        add_route(h, ip, prefix_len, 0, i->index);
}

/* The interface whose connected subnet holds ip, or NULL. */
static const struct host_iface *iface_on_link(const struct host *h, uint32_t ip)
{
    const struct host_iface *best = NULL;
    for (uint32_t k = 0; k < h->n_ifaces; k++) {
        const struct host_iface *i = h->ifaces[k];
        uint32_t m = prefix_mask(i->prefix_len);
        if (i->ip && (ip & m) == (i->ip & m) && (!best || i->prefix_len > best->prefix_len))
            best = i;
    }
    return best;
}

bool host_add_route(struct host *h, uint32_t dest, uint8_t prefix_len, uint32_t via)
{
    if (prefix_len > 32)
        return false;
    /* A gateway must be on a connected subnet (RFC 1122 §3.3.1.1); a route
     * with no gateway goes out of the interface whose subnet holds dest. */
    const struct host_iface *i = iface_on_link(h, via ? via : dest);
    if (!i)
        return false;
    return add_route(h, dest, prefix_len, via, i->index);
}

/* Longest prefix; of equal ones the first added, as the index keeps it. */
static const struct route *route_scan(const struct host *h, uint32_t dst)
{
    const struct route *best = NULL;
    for (uint32_t k = 0; k < h->n_routes; k++) {
        const struct route *r = &h->routes[k];
        if ((dst & prefix_mask(r->prefix_len)) == r->dest &&
            (!best || r->prefix_len > best->prefix_len))
            best = r;
    }
    return best;
}

const struct route *host_route_lookup(const struct host *h, uint32_t dst, uint32_t *next_hop)
{
    bool indexed = h->more && h->more->route_slots_cap;
    const struct route *best = indexed ? NULL : route_scan(h, dst);
    /* Longest first: the first length with a matching network wins. */
    for (uint64_t lens = indexed ? h->more->route_lens : 0; lens && !best;) {
        uint8_t len = (uint8_t)(63 - __builtin_clzll(lens));
        lens &= ~(1ull << len);
        const struct host_route_slot *slot = route_slot(h, dst & prefix_mask(len), len);
        if (slot->ref)
            best = &h->routes[(slot->ref >> ROUTE_LEN_BITS) - 1];
    }
    if (best && next_hop)
        *next_hop = best->via ? best->via : dst;
    return best;
}

struct host_iface *host_iface_by_addr(const struct host *h, uint32_t ip)
{
    struct host_local_slot s;
    return local_find(h, ip, &s) && s.iface1 ? h->ifaces[s.iface1 - 1] : NULL;
}

bool host_has_addr(const struct host *h, uint32_t ip)
{
    return host_iface_by_addr(h, ip) != NULL;
}

bool host_is_broadcast(const struct host *h, uint32_t ip)
{
    struct host_local_slot s;
    return ip == IP4_BROADCAST || (local_find(h, ip, &s) && s.bcast);
}

bool host_is_local_dst(const struct host *h, uint32_t ip)
{
    struct host_local_slot s;
    return ip == IP4_BROADCAST || local_find(h, ip, &s);
}

uint32_t host_src_for(const struct host *h, uint32_t dst)
{
    if (host_has_addr(h, dst))
        return dst;
    const struct route *r = host_route_lookup(h, dst, NULL);
    return r ? h->ifaces[r->iface]->ip : 0;
}

uint16_t host_ephemeral_port(struct host *h,
                             bool (*in_use)(struct host *h, uint16_t port, void *ctx), void *ctx)
{
    const uint32_t range = EPHEMERAL_HI - EPHEMERAL_LO + 1;
    for (uint32_t tries = 0; tries < range; tries++) {
        uint16_t p = h->next_ephemeral;
        h->next_ephemeral = p >= EPHEMERAL_HI ? EPHEMERAL_LO : (uint16_t)(p + 1);
        if (p < EPHEMERAL_LO || p > EPHEMERAL_HI)
            continue;
        if (!in_use || !in_use(h, p, ctx))
            return p;
    }
    return 0;
}

bool host_register_proto(struct host *h, uint8_t proto, ip4_input_fn in, ip4_error_fn err,
                         void *ctx)
{
    uint32_t k = 0;
    while (k < h->n_protos && h->proto_num[k] != proto)
        k++;
    if (!in && !err) { /* removed: the last handler takes its place */
        if (k < h->n_protos) {
            h->n_protos--;
            h->proto[k] = h->proto[h->n_protos];
            h->proto_num[k] = h->proto_num[h->n_protos];
        }
        return true;
    }
    if (k == HOST_MAX_PROTOS)
        return false;
    if (k == h->n_protos)
        h->n_protos++;
    h->proto[k] = (struct ip4_proto_handler){.input = in, .error = err, .ctx = ctx};
    h->proto_num[k] = proto;
    return true;
}
