/* ARP (RFC 826) for IPv4 over Ethernet.
 *
 * One cache per host, entries keyed by (interface, IP address): found through
 * a hash table of chains (every forwarded packet looks its next hop up), kept
 * in creation order on a list for teardown; a cache of one or two entries has
 * no table and walks the list instead.  The table is only ever searched,
 * and grows by re-inserting entries in creation order, so nothing depends on
 * where an entry lands.  Choices where RFC 826 leaves them open, after Linux:
 *
 * - An entry is confirmed for ARP_REACHABLE (60 s).  Used after that, it keeps
 *   working while it is re-probed by unicast requests (Linux's STALE/PROBE);
 *   when the probes go unanswered the entry is deleted.
 * - An unresolved next hop holds up to ARP_QUEUE_LEN frames (101, Linux's
 *   unres_qlen default: enough for every fragment of a 64 KiB datagram);
 *   when full the oldest is dropped ("arp_queue").
 * - Requests are broadcast every ARP_RETRY (1 s), at most ARP_MAX_REQUESTS (3,
 *   Linux's mcast_solicit); when the last goes unanswered the held frames are
 *   dropped ("arp_failed"), and the senders of forwarded ones are told with
 *   ICMP host unreachable (RFC 1812 §4.3.3.1).
 * - Requests for any of the host's addresses are answered whatever interface
 *   they arrive on (Linux's arp_ignore=0). */
#include <stdlib.h>

#include "icmp.h"
#include "stack_priv.h"

#define ARP_REACHABLE    (60 * SIM_SEC)
#define ARP_RETRY        SIM_SEC
#define ARP_MAX_REQUESTS 3
#define ARP_QUEUE_LEN    101
#define ARP_SCAN_MAX     2 /* entries looked up without a hash table */
#define ARP_LEN          28
#define ARP_OP_REQUEST   1
#define ARP_OP_REPLY     2

/* One per neighbour, packed (a server's edge routers hold thousands). */
struct arp_entry {
    struct arp_cache *cache;
    struct arp_entry *next, *prev; /* creation order */
    struct arp_entry *chain;       /* next in its hash bucket */
    sim_time confirmed;
    struct frame *held_head, *held_tail; /* frames waiting for the address, linked by `next` */
    struct sim_timer retry;
    uint32_t ip;
    uint8_t mac[6];
    uint8_t iface; /* < HOST_MAX_IFACES */
    bool resolved;
    uint8_t requests; /* sent in the current round; 0 = not probing */
    uint8_t n_held;   /* <= ARP_QUEUE_LEN */
};

static void held_push(struct arp_entry *e, struct frame *f)
{
    f->next = NULL;
    if (e->held_tail)
        e->held_tail->next = f;
    else
        e->held_head = f;
    e->held_tail = f;
    e->n_held++;
}

static struct frame *held_pop(struct arp_entry *e)
{
    struct frame *f = e->held_head;
    if (!f)
        return NULL;
    e->held_head = f->next;
    if (!e->held_head)
        e->held_tail = NULL;
    e->n_held--;
    f->next = NULL;
    return f;
}

struct arp_cache {
    struct host *host;
    struct arp_entry *head, *tail;
    struct arp_entry **buckets;
    uint32_t n_buckets; /* 0 or a power of two */
    uint32_t n_entries;
};

static const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_zero[6] = {0};

struct arp_cache *arp_create(struct host *h)
{
    struct arp_cache *c = calloc(1, sizeof(*c));
    if (c)
        c->host = h;
    return c;
}

static void entry_free(struct arp_entry *e)
{
    struct host *h = e->cache->host;
    sim_timer_cancel(h->sim, &e->retry);
    struct frame *f;
    while ((f = held_pop(e)))
        frame_free(h->frames, f);
    free(e);
}

void arp_destroy(struct arp_cache *c)
{
    if (!c)
        return;
    struct arp_entry *e = c->head;
    while (e) {
        struct arp_entry *next = e->next;
        entry_free(e);
        e = next;
    }
    free(c->buckets);
    free(c);
}

static uint32_t entry_hash(uint32_t iface, uint32_t ip)
{
    uint32_t x = ip * 0x9e3779b1u ^ iface * 0x85ebca77u;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    return x;
}

static struct arp_entry **bucket_of(const struct arp_cache *c, uint32_t iface, uint32_t ip)
{
    return &c->buckets[entry_hash(iface, ip) & (c->n_buckets - 1)];
}

static struct arp_entry *entry_find(const struct arp_cache *c, uint32_t iface, uint32_t ip)
{
    if (!c->n_buckets) {
        for (struct arp_entry *e = c->head; e; e = e->next)
            if (e->iface == iface && e->ip == ip)
                return e;
        return NULL;
    }
    for (struct arp_entry *e = *bucket_of(c, iface, ip); e; e = e->chain)
        if (e->iface == iface && e->ip == ip)
            return e;
    return NULL;
}

static void chain_push(struct arp_cache *c, struct arp_entry *e)
{
    struct arp_entry **b = bucket_of(c, e->iface, e->ip);
    e->chain = *b;
    *b = e;
}

/* Room for one more entry at no more than one per bucket on average.  The
 * first ARP_SCAN_MAX entries need no table: they are found on the list (most
 * hosts have one neighbour). */
static bool buckets_reserve(struct arp_cache *c)
{
    if (c->n_entries < c->n_buckets || (!c->n_buckets && c->n_entries < ARP_SCAN_MAX))
        return true;
    uint32_t n = c->n_buckets ? 2 * c->n_buckets : 4;
    struct arp_entry **b = calloc(n, sizeof(struct arp_entry *));
    if (!b)
        return false;
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
    for (struct arp_entry *e = c->head; e; e = e->next)
        chain_push(c, e);
    return true;
}

static void entry_unlink(struct arp_cache *c, struct arp_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    if (c->n_buckets) {
        struct arp_entry **p = bucket_of(c, e->iface, e->ip);
        while (*p != e)
            p = &(*p)->chain;
        *p = e->chain;
    }
    c->n_entries--;
}

static void retry_fired(void *ctx, sim_time now);

static struct arp_entry *entry_new(struct arp_cache *c, uint32_t iface, uint32_t ip)
{
    if (!buckets_reserve(c))
        return NULL;
    struct arp_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->cache = c;
    e->iface = (uint8_t)iface;
    e->ip = ip;
    sim_timer_init(&e->retry, retry_fired, e);
    e->prev = c->tail;
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
    if (c->n_buckets)
        chain_push(c, e);
    c->n_entries++;
    return e;
}

bool arp_lookup(const struct host *h, const struct host_iface *i, uint32_t ip, uint8_t mac[6])
{
    const struct arp_entry *e = entry_find(h->arp, i->index, ip);
    if (!e || !e->resolved)
        return false;
    memcpy(mac, e->mac, 6);
    return true;
}

/* ---- packets ---- */

static void send_arp(struct host *h, struct host_iface *i, uint16_t op, const uint8_t eth_dst[6],
                     uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    struct frame *f = host_frame_alloc(h, FRAME_ETH_HLEN + ARP_LEN);
    if (!f)
        return;
    eth_fill(f, eth_dst, i->mac, ETH_TYPE_ARP);
    uint8_t *a = f->data + FRAME_ETH_HLEN;
    wr16(a, 1); /* hardware: Ethernet */
    wr16(a + 2, ETH_TYPE_IP);
    a[4] = 6;
    a[5] = 4;
    wr16(a + 6, op);
    memcpy(a + 8, i->mac, 6);
    wr32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    wr32(a + 24, tpa);
    host_xmit(i, f);
}

/* A request: broadcast while unresolved, unicast when re-probing a known
 * address (Linux's PROBE state). */
static void send_request(struct host *h, struct arp_entry *e)
{
    struct host_iface *i = h->ifaces[e->iface];
    e->requests++;
    send_arp(h, i, ARP_OP_REQUEST, e->resolved ? e->mac : eth_broadcast, i->ip, mac_zero, e->ip);
    sim_timer_arm(h->sim, &e->retry, host_now(h) + ARP_RETRY);
}

static void fail_held(struct host *h, struct arp_entry *e)
{
    struct frame *f;
    while ((f = held_pop(e))) {
        h->c.drop_arp++;
        uint8_t *ip = f->data + FRAME_ETH_HLEN;
        /* Only forwarded packets have a sender elsewhere to tell. */
        if (!host_has_addr(h, rd32(ip + 12)))
            icmp_send_error(h, ip, f->len - FRAME_ETH_HLEN, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
                            0);
        host_drop(h, f, e->iface, "arp_failed");
    }
}

static void retry_fired(void *ctx, sim_time now)
{
    (void)now;
    struct arp_entry *e = ctx;
    struct arp_cache *c = e->cache;
    struct host *h = c->host;
    host_trace_timer(h, "arp", e->requests);
    if (e->requests < ARP_MAX_REQUESTS) {
        send_request(h, e);
        return;
    }
    /* Unlinked first: an ICMP error sent from fail_held may need this next
     * hop again and must then start a resolution of its own. */
    entry_unlink(c, e);
    fail_held(h, e);
    entry_free(e);
}

static void release_held(struct host *h, struct arp_entry *e)
{
    struct host_iface *i = h->ifaces[e->iface];
    struct frame *f;
    while ((f = held_pop(e))) {
        memcpy(f->data, e->mac, 6);
        host_xmit(i, f);
    }
}

static void hold(struct host *h, struct arp_entry *e, struct frame *f)
{
    if (e->n_held >= ARP_QUEUE_LEN) {
        h->c.drop_arp++;
        host_drop(h, held_pop(e), e->iface, "arp_queue");
    }
    held_push(e, f);
}

void arp_output(struct host *h, struct host_iface *i, uint32_t next_hop, struct frame *f,
                sim_time now)
{
    struct arp_cache *c = h->arp;
    struct arp_entry *e = entry_find(c, i->index, next_hop);
    if (!e && !(e = entry_new(c, i->index, next_hop))) {
        host_drop(h, f, i->index, "arp_failed");
        return;
    }
    if (!e->resolved) {
        hold(h, e, f);
        if (!e->requests)
            send_request(h, e);
        return;
    }
    memcpy(f->data, e->mac, 6);
    host_xmit(i, f);
    if (now - e->confirmed >= ARP_REACHABLE && !e->requests)
        send_request(h, e);
}

/* RFC 826 "Packet Reception": merge the sender into an existing entry, add it
 * when we are the target, answer requests. */
void arp_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now)
{
    const uint8_t *a = f->data + FRAME_ETH_HLEN;
    if (f->len < FRAME_ETH_HLEN + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != ETH_TYPE_IP ||
        a[4] != 6 || a[5] != 4) {
        h->c.drop_malformed++;
        host_drop(h, f, i->index, "malformed");
        return;
    }
    uint16_t op = rd16(a + 6);
    uint8_t sha[6];
    memcpy(sha, a + 8, 6);
    uint32_t spa = rd32(a + 14), tpa = rd32(a + 24);
    bool for_us = host_has_addr(h, tpa);

    struct arp_entry *e = spa ? entry_find(h->arp, i->index, spa) : NULL;
    if (!e && spa && for_us)
        e = entry_new(h->arp, i->index, spa);
    if (e) {
        memcpy(e->mac, sha, 6);
        e->resolved = true;
        e->confirmed = now;
        e->requests = 0;
        sim_timer_cancel(h->sim, &e->retry);
        release_held(h, e);
    }
    if (for_us && op == ARP_OP_REQUEST) {
        /* Answer for the requested address (which may be another interface's). */
        send_arp(h, i, ARP_OP_REPLY, sha, tpa, sha, spa);
    }
    frame_free(h->frames, f);
}
