/* ARP (RFC 826) for IPv4 over Ethernet.
 *
 * One cache per host, entries keyed by (interface, IP address) in an array in
 * creation order, found through a hash table of chains of indexes (every
 * forwarded packet looks its next hop up); a cache of one or two entries has
 * no table and scans the array instead.  The table is only ever searched,
 * and is rebuilt by chaining entries in index order, so nothing depends on
 * where an entry lands.  What a resolution in progress needs (held frames, the
 * retry timer) lives in a record of its own while it lasts.  Choices where RFC 826 leaves them
 * open, after Linux:
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
#include <string.h>

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

/* One per neighbour, in the host's array (a server's edge routers hold
 * thousands): what a resolved neighbour needs and nothing more. */
struct arp_entry {
    sim_time confirmed;
    struct arp_pending *pend; /* a resolution or re-probe in progress, else NULL */
    uint32_t ip;
    uint32_t chain; /* index + 1 of the next entry in its hash bucket; 0 = none */
    uint8_t mac[6];
    uint8_t iface; /* < HOST_MAX_IFACES */
    bool resolved;
};

/* A resolution in progress: the requests sent, their retry timer and the
 * frames waiting for the address.  Made when the first request of a round
 * goes out, freed when the round ends (a reply, or the last request
 * unanswered), so a neighbour that answered costs nothing more. */
struct arp_pending {
    struct host *host;
    struct frame *held_head, *held_tail; /* linked by `next` */
    struct sim_timer retry;
    uint32_t entry;   /* index in the host's array */
    uint8_t requests; /* sent in this round */
    uint8_t n_held;   /* <= ARP_QUEUE_LEN */
};

static void held_push(struct arp_pending *p, struct frame *f)
{
    f->next = NULL;
    if (p->held_tail)
        p->held_tail->next = f;
    else
        p->held_head = f;
    p->held_tail = f;
    p->n_held++;
}

static struct frame *held_pop(struct arp_pending *p)
{
    struct frame *f = p->held_head;
    if (!f)
        return NULL;
    p->held_head = f->next;
    if (!p->held_head)
        p->held_tail = NULL;
    p->n_held--;
    f->next = NULL;
    return f;
}

static const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_zero[6] = {0};

void arp_init(struct host *h)
{
    memset(&h->arp, 0, sizeof h->arp);
}

static void pending_free(struct host *h, struct arp_pending *p)
{
    sim_timer_cancel(h->sim, &p->retry);
    struct frame *f;
    while ((f = held_pop(p)))
        frame_free(h->frames, f);
    free(p);
}

void arp_fini(struct host *h)
{
    struct host_arp *c = &h->arp;
    for (uint32_t k = 0; k < c->n; k++)
        if (c->entries[k].pend)
            pending_free(h, c->entries[k].pend);
    free(c->entries);
    free(c->buckets);
    memset(c, 0, sizeof *c);
}

static uint32_t entry_hash(uint32_t iface, uint32_t ip)
{
    uint32_t x = ip * 0x9e3779b1u ^ iface * 0x85ebca77u;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    return x;
}

static uint32_t *bucket_of(const struct host_arp *c, uint32_t iface, uint32_t ip)
{
    return &c->buckets[entry_hash(iface, ip) & (c->n_buckets - 1)];
}

static struct arp_entry *entry_find(const struct host_arp *c, uint32_t iface, uint32_t ip)
{
    if (!c->n_buckets) {
        for (uint32_t k = 0; k < c->n; k++)
            if (c->entries[k].iface == iface && c->entries[k].ip == ip)
                return &c->entries[k];
        return NULL;
    }
    for (uint32_t k = *bucket_of(c, iface, ip); k; k = c->entries[k - 1].chain)
        if (c->entries[k - 1].iface == iface && c->entries[k - 1].ip == ip)
            return &c->entries[k - 1];
    return NULL;
}

static void chain_push(struct host_arp *c, uint32_t k)
{
    struct arp_entry *e = &c->entries[k];
    uint32_t *b = bucket_of(c, e->iface, e->ip);
    e->chain = *b;
    *b = k + 1;
}

/* Chains every entry again, in index order. */
static void buckets_rebuild(struct host_arp *c)
{
    if (!c->n_buckets)
        return;
    memset(c->buckets, 0, c->n_buckets * sizeof *c->buckets);
    for (uint32_t k = 0; k < c->n; k++)
        chain_push(c, k);
}

/* Room for one more entry, in the array and at no more than one per bucket
 * on average.  The first ARP_SCAN_MAX entries need no table: they are
 * scanned (most hosts have one neighbour). */
static bool reserve(struct host_arp *c)
{
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? 2 * c->cap : 1;
        struct arp_entry *v = realloc(c->entries, cap * sizeof *v);
        if (!v)
            return false;
        c->entries = v;
        c->cap = cap;
    }
    if (c->n < c->n_buckets || (!c->n_buckets && c->n < ARP_SCAN_MAX))
        return true;
    uint32_t n = c->n_buckets ? 2 * c->n_buckets : 4;
    uint32_t *b = malloc(n * sizeof *b);
    if (!b)
        return false;
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
    buckets_rebuild(c);
    return true;
}

/* Removes entry k, keeping the others in creation order; its pending record
 * (which the caller now owns) is not freed. */
static void entry_remove(struct host_arp *c, uint32_t k)
{
    memmove(&c->entries[k], &c->entries[k + 1], (c->n - k - 1) * sizeof *c->entries);
    c->n--;
    for (uint32_t j = k; j < c->n; j++)
        if (c->entries[j].pend)
            c->entries[j].pend->entry = j;
    buckets_rebuild(c);
}

static struct arp_entry *entry_new(struct host *h, uint32_t iface, uint32_t ip)
{
    struct host_arp *c = &h->arp;
    if (!reserve(c))
        return NULL;
    uint32_t k = c->n++;
    c->entries[k] = (struct arp_entry){.ip = ip, .iface = (uint8_t)iface};
    if (c->n_buckets)
        chain_push(c, k);
    return &c->entries[k];
}

static uint32_t index_of(const struct host *h, const struct arp_entry *e)
{
    return (uint32_t)(e - h->arp.entries);
}

static void retry_fired(void *ctx, sim_time now);

/* The entry's resolution record, made when a round of requests starts;
 * NULL when out of memory. */
static struct arp_pending *pending_of(struct host *h, struct arp_entry *e)
{
    if (e->pend)
        return e->pend;
    struct arp_pending *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->host = h;
    p->entry = index_of(h, e);
    sim_timer_init(&p->retry, retry_fired, p);
    e->pend = p;
    return p;
}

bool arp_lookup(const struct host *h, const struct host_iface *i, uint32_t ip, uint8_t mac[6])
{
    const struct arp_entry *e = entry_find(&h->arp, i->index, ip);
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
 * address (Linux's PROBE state).  Not sent when no record of the round can
 * be made (out of memory). */
static void send_request(struct host *h, struct arp_entry *e)
{
    struct arp_pending *p = pending_of(h, e);
    if (!p)
        return;
    struct host_iface *i = h->ifaces[e->iface];
    p->requests++;
    send_arp(h, i, ARP_OP_REQUEST, e->resolved ? e->mac : eth_broadcast, i->ip, mac_zero, e->ip);
    sim_timer_arm(h->sim, &p->retry, host_now(h) + ARP_RETRY);
}

static void fail_held(struct host *h, struct arp_pending *p, uint32_t iface)
{
    struct frame *f;
    while ((f = held_pop(p))) {
        HOST_COUNT(h, drop_arp);
        uint8_t *ip = f->data + FRAME_ETH_HLEN;
        /* Only forwarded packets have a sender elsewhere to tell. */
        if (!host_has_addr(h, rd32(ip + 12)))
            icmp_send_error(h, ip, f->len - FRAME_ETH_HLEN, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
                            0);
        host_drop(h, f, iface, "arp_failed");
    }
}

static void retry_fired(void *ctx, sim_time now)
{
    (void)now;
    struct arp_pending *p = ctx;
    struct host *h = p->host;
    struct arp_entry *e = &h->arp.entries[p->entry];
    host_trace_timer(h, "arp", p->requests);
    if (p->requests < ARP_MAX_REQUESTS) {
        send_request(h, e);
        return;
    }
    /* Removed first: an ICMP error sent from fail_held may need this next
     * hop again and must then start a resolution of its own. */
    uint32_t iface = e->iface;
    entry_remove(&h->arp, p->entry);
    fail_held(h, p, iface);
    pending_free(h, p);
}

/* The round is over: the frames waiting go out to the address just learnt. */
static void release_held(struct host *h, struct arp_entry *e)
{
    struct arp_pending *p = e->pend;
    if (!p)
        return;
    e->pend = NULL;
    sim_timer_cancel(h->sim, &p->retry);
    struct host_iface *i = h->ifaces[e->iface];
    uint8_t mac[6];
    memcpy(mac, e->mac, 6);
    struct frame *f;
    while ((f = held_pop(p))) {
        memcpy(f->data, mac, 6);
        host_xmit(i, f);
    }
    free(p);
}

static void hold(struct host *h, struct arp_pending *p, uint32_t iface, struct frame *f)
{
    if (p->n_held >= ARP_QUEUE_LEN) {
        HOST_COUNT(h, drop_arp);
        host_drop(h, held_pop(p), iface, "arp_queue");
    }
    held_push(p, f);
}

void arp_output(struct host *h, struct host_iface *i, uint32_t next_hop, struct frame *f,
                sim_time now)
{
    struct arp_entry *e = entry_find(&h->arp, i->index, next_hop);
    if (!e && !(e = entry_new(h, i->index, next_hop))) {
        host_drop(h, f, i->index, "arp_failed");
        return;
    }
    if (!e->resolved) {
        struct arp_pending *p = pending_of(h, e);
        if (!p) {
            host_drop(h, f, i->index, "arp_failed");
            return;
        }
        hold(h, p, e->iface, f);
        if (!p->requests)
            send_request(h, e);
        return;
    }
    memcpy(f->data, e->mac, 6);
    host_xmit(i, f);
    if (now - e->confirmed >= ARP_REACHABLE && !e->pend)
        send_request(h, e);
}

/* RFC 826 "Packet Reception": merge the sender into an existing entry, add it
 * when we are the target, answer requests. */
void arp_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now)
{
    const uint8_t *a = f->data + FRAME_ETH_HLEN;
    if (f->len < FRAME_ETH_HLEN + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != ETH_TYPE_IP ||
        a[4] != 6 || a[5] != 4) {
        host_drop_counted(h, f, i->index, "malformed", HOST_COUNTER(drop_malformed));
        return;
    }
    uint16_t op = rd16(a + 6);
    uint8_t sha[6];
    memcpy(sha, a + 8, 6);
    uint32_t spa = rd32(a + 14), tpa = rd32(a + 24);
    bool for_us = host_has_addr(h, tpa);

    struct arp_entry *e = spa ? entry_find(&h->arp, i->index, spa) : NULL;
    if (!e && spa && for_us)
        e = entry_new(h, i->index, spa);
    if (e) {
        memcpy(e->mac, sha, 6);
        e->resolved = true;
        e->confirmed = now;
        release_held(h, e);
    }
    if (for_us && op == ARP_OP_REQUEST) {
        /* Answer for the requested address (which may be another interface's). */
        send_arp(h, i, ARP_OP_REPLY, sha, tpa, sha, spa);
    }
    frame_free(h->frames, f);
}
