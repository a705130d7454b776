/* IPv4 fragmentation and reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2).
 *
 * Fragmentation: data in multiples of 8 bytes, the header copied into every
 * fragment, options without the "copied" flag replaced by NOPs after the first
 * (as Linux's ip_options_fragment does), MF on all but the last piece (and on
 * the last too when the packet was itself a non-final fragment).
 *
 * Reassembly, keyed by (src, dst, protocol, id), with Linux's choices:
 * - the received data is kept as a sorted list of disjoint runs (RFC 815's
 *   hole list, seen from the other side);
 * - a fragment wholly inside data already received is a duplicate and is
 *   dropped alone ("frag_duplicate"); one that partly overlaps discards the
 *   whole datagram ("reassembly_overlap"), RFC 5722 §4 applied to IPv4 as
 *   Linux does since 4.19;
 * - a datagram not complete 30 s after its first fragment arrived is dropped
 *   ("reassembly_timeout"), with ICMP time exceeded code 1 when fragment zero
 *   is among what arrived (RFC 1122 §3.3.2);
 * - at most REASS_MAX datagrams per host are pending; a new one evicts the
 *   oldest ("reassembly_full"); none exceeds 65535 bytes, fragment zero's
 *   header included ("reassembly_oversize"). */
#include <stdlib.h>

#include "icmp.h"
#include "stack_priv.h"

#define REASS_TIMEOUT (30 * SIM_SEC) /* Linux net.ipv4.ipfrag_time */
#define REASS_MAX     64

struct run {
    uint32_t start, end;
};

struct reass {
    struct ip4_reass *owner;
    struct reass *next; /* creation order: the head is the oldest */
    uint32_t src, dst;
    uint8_t proto;
    uint16_t id;
    uint8_t *data;
    uint32_t cap;
    struct run *runs;
    uint32_t n_runs, cap_runs;
    uint32_t total; /* known once the last fragment arrived */
    bool last_seen, first_seen;
    uint8_t hdr[60];      /* fragment zero's header */
    struct frame *latest; /* the last fragment accepted, for drop traces */
    uint32_t iface;
    struct sim_timer timer;
};

struct ip4_reass {
    struct host *host;
    struct reass *head;
    uint32_t n;
};

/* ---- fragmentation ---- */

static void options_for_later_fragments(uint8_t *hdr, uint32_t hlen)
{
    uint32_t k = IP4_HLEN;
    while (k < hlen) {
        uint8_t type = hdr[k];
        if (type == 0) /* end of list */
            return;
        if (type == 1) {
            k++;
            continue;
        }
        if (k + 1 >= hlen || hdr[k + 1] < 2 || k + hdr[k + 1] > hlen)
            return;
        uint32_t len = hdr[k + 1];
        if (!(type & 0x80))
            memset(hdr + k, 1, len);
        k += len;
    }
}

/* Sends payload[0..plen) in fragments; base is the payload's offset in the
 * original datagram and last_mf its MF flag. */
static bool emit_fragments(struct host *h, struct host_iface *out, uint32_t next_hop,
                           const uint8_t *hdr_in, uint32_t hlen, const uint8_t *payload,
                           uint32_t plen, uint32_t base, bool last_mf, uint32_t mtu, sim_time now)
{
    if (mtu < hlen + 8)
        return false;
    uint32_t chunk = (mtu - hlen) & ~7u;
    uint8_t hdr[60];
    memcpy(hdr, hdr_in, hlen);
    for (uint32_t off = 0; off < plen;) {
        uint32_t n = plen - off < chunk ? plen - off : chunk;
        bool more = off + n < plen || last_mf;
        struct frame *f = host_frame_alloc(h, FRAME_ETH_HLEN + hlen + n);
        if (!f)
            return false;
        memset(f->data, 0, FRAME_ETH_HLEN);
        uint8_t *ip = f->data + FRAME_ETH_HLEN;
        memcpy(ip, hdr, hlen);
        wr16(ip + 2, (uint16_t)(hlen + n));
        wr16(ip + 6, (uint16_t)(((base + off) >> 3) | (more ? IP4_OFF_MF : 0)));
        ip4_header_checksum(ip);
        memcpy(ip + hlen, payload + off, n);
        HOST_COUNT(h, frags_out);
        if (out)
            ip4_link_output(h, out, next_hop, f, now);
        else
            ip4_loopback(h, f);
        if (off == 0 && base == 0)
            options_for_later_fragments(hdr, hlen);
        off += n;
    }
    return true;
}

bool ip4_fragment(struct host *h, struct host_iface *out, uint32_t next_hop, struct frame *f,
                  uint32_t mtu, sim_time now)
{
    const uint8_t *ip = f->data + FRAME_ETH_HLEN;
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    uint32_t total = rd16(ip + 2);
    uint16_t frag = rd16(ip + 6);
    bool ok = emit_fragments(h, out, next_hop, ip, hlen, ip + hlen, total - hlen,
                             (uint32_t)(frag & IP4_OFF_MASK) * 8, frag & IP4_OFF_MF, mtu, now);
    if (ok)
        frame_free(h->frames, f);
    else
        host_drop(h, f, out ? out->index : UINT32_MAX, "frag_failed");
    return ok;
}

bool ip4_fragment_buf(struct host *h, struct host_iface *out, uint32_t next_hop, const uint8_t *hdr,
                      uint32_t hlen, const uint8_t *payload, uint32_t plen, uint32_t mtu,
                      sim_time now)
{
    return emit_fragments(h, out, next_hop, hdr, hlen, payload, plen, 0, false, mtu, now);
}

/* ---- reassembly: lifetime ---- */

struct ip4_reass *ip4_reass_create(struct host *h)
{
    struct ip4_reass *r = calloc(1, sizeof(*r));
    if (r)
        r->host = h;
    return r;
}

static void reass_unlink(struct ip4_reass *q, struct reass *r)
{
    struct reass **p = &q->head;
    while (*p && *p != r)
        p = &(*p)->next;
    if (*p) {
        *p = r->next;
        q->n--;
    }
}

static void reass_free(struct host *h, struct reass *r)
{
    sim_timer_cancel(h->sim, &r->timer);
    if (r->latest)
        frame_free(h->frames, r->latest);
    free(r->data);
    free(r->runs);
    free(r);
}

/* Ends a pending datagram with a drop trace (on its latest fragment). */
static void reass_kill(struct host *h, struct reass *r, const char *reason)
{
    reass_unlink(r->owner, r);
    HOST_COUNT(h, drop_reassembly);
    if (r->latest)
        host_trace_drop(h, r->latest, r->iface, reason);
    reass_free(h, r);
}

void ip4_reass_destroy(struct ip4_reass *q)
{
    if (!q)
        return;
    while (q->head) {
        struct reass *r = q->head;
        q->head = r->next;
        reass_free(q->host, r);
    }
    free(q);
}

static void timeout_fired(void *ctx, sim_time now)
{
    (void)now;
    struct reass *r = ctx;
    struct host *h = r->owner->host;
    host_trace_timer(h, "reassembly", 0);
    reass_unlink(r->owner, r);
    HOST_COUNT(h, drop_reassembly);
    if (r->latest)
        host_trace_drop(h, r->latest, r->iface, "reassembly_timeout");
    if (r->first_seen) {
        /* Quote fragment zero: its header and the first 8 data bytes. */
        uint32_t hlen = (uint32_t)(r->hdr[0] & 0x0f) * 4;
        uint32_t n = r->runs[0].end < 8 ? r->runs[0].end : 8;
        uint8_t quote[68];
        memcpy(quote, r->hdr, hlen);
        memcpy(quote + hlen, r->data, n);
        icmp_send_error(h, quote, hlen + n, ICMP_TIME_EXCEEDED, 1, 0);
    }
    reass_free(h, r);
}

static struct reass *reass_find(struct ip4_reass *q, uint32_t src, uint32_t dst, uint8_t proto,
                                uint16_t id)
{
    for (struct reass *r = q->head; r; r = r->next)
        if (r->src == src && r->dst == dst && r->proto == proto && r->id == id)
            return r;
    return NULL;
}

static struct reass *reass_new(struct host *h, struct ip4_reass *q, const uint8_t *ip, sim_time now)
{
    if (q->n >= REASS_MAX)
        reass_kill(h, q->head, "reassembly_full");
    struct reass *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->owner = q;
    r->src = rd32(ip + 12);
    r->dst = rd32(ip + 16);
    r->proto = ip[9];
    r->id = rd16(ip + 4);
    sim_timer_init(&r->timer, timeout_fired, r);
    sim_timer_arm(h->sim, &r->timer, now + REASS_TIMEOUT);
    struct reass **p = &q->head;
    while (*p)
        p = &(*p)->next;
    *p = r;
    q->n++;
    return r;
}

/* ---- reassembly: runs ---- */

enum fit { FIT_NEW, FIT_DUP, FIT_OVERLAP };

static enum fit classify(const struct reass *r, uint32_t start, uint32_t end)
{
    for (uint32_t k = 0; k < r->n_runs; k++) {
        const struct run *x = &r->runs[k];
        if (start >= x->start && end <= x->end)
            return FIT_DUP;
        if (start < x->end && end > x->start)
            return FIT_OVERLAP;
    }
    return FIT_NEW;
}

/* Inserts [start, end), known not to overlap, merging with touching runs. */
static bool add_run(struct reass *r, uint32_t start, uint32_t end)
{
    if (r->n_runs == r->cap_runs) {
        uint32_t cap = r->cap_runs ? r->cap_runs * 2 : 8;
        struct run *n = realloc(r->runs, cap * sizeof(*n));
        if (!n)
            return false;
        r->runs = n;
        r->cap_runs = cap;
    }
    uint32_t k = 0;
    while (k < r->n_runs && r->runs[k].start < start)
        k++;
    memmove(&r->runs[k + 1], &r->runs[k], (r->n_runs - k) * sizeof(struct run));
    r->runs[k] = (struct run){start, end};
    r->n_runs++;
    if (k + 1 < r->n_runs && r->runs[k + 1].start == end) {
        r->runs[k].end = r->runs[k + 1].end;
        memmove(&r->runs[k + 1], &r->runs[k + 2], (r->n_runs - k - 2) * sizeof(struct run));
        r->n_runs--;
    }
    if (k > 0 && r->runs[k - 1].end == start) {
        r->runs[k - 1].end = r->runs[k].end;
        memmove(&r->runs[k], &r->runs[k + 1], (r->n_runs - k - 1) * sizeof(struct run));
        r->n_runs--;
    }
    return true;
}

static bool reserve_data(struct reass *r, uint32_t end)
{
    if (end <= r->cap)
        return true;
    uint32_t cap = r->cap ? r->cap : 2048;
    while (cap < end)
        cap *= 2;
    if (cap > IP4_MAX_LEN)
        cap = IP4_MAX_LEN;
    uint8_t *d = realloc(r->data, cap);
    if (!d)
        return false;
    r->data = d;
    r->cap = cap;
    return true;
}

static bool complete(const struct reass *r)
{
    return r->last_seen && r->n_runs == 1 && r->runs[0].start == 0 && r->runs[0].end == r->total;
}

static void deliver(struct host *h, struct reass *r, struct host_iface *i, sim_time now)
{
    reass_unlink(r->owner, r);
    HOST_COUNT(h, reassembled);
    struct ip4_rx_info info = {.src = r->src,
                               .dst = r->dst,
                               .proto = r->proto,
                               .ttl = r->hdr[8],
                               .tos = r->hdr[1],
                               .id = r->id,
                               .iface = i,
                               .frame = r->latest,
                               .hdr = r->hdr};
    ip4_deliver(h, &info, r->data, r->total, now);
    reass_free(h, r);
}

/* ---- reassembly: input ---- */

/* Checks the fragment against what is known of the datagram's end. */
static bool consistent_end(struct reass *r, uint32_t end, bool mf)
{
    if (mf)
        return !r->last_seen || end <= r->total;
    if (r->last_seen)
        return end == r->total;
    return r->n_runs == 0 || r->runs[r->n_runs - 1].end <= end;
}

void ip4_reass_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now)
{
    const uint8_t *ip = f->data + FRAME_ETH_HLEN;
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    uint16_t frag = rd16(ip + 6);
    bool mf = frag & IP4_OFF_MF;
    uint32_t start = (uint32_t)(frag & IP4_OFF_MASK) * 8;
    uint32_t end = start + rd16(ip + 2) - hlen;
    if (mf)
        end &= ~7u; /* non-final fragments carry multiples of 8 (Linux trims) */
    if (end <= start || hlen + end > IP4_MAX_LEN) {
        host_drop_counted(h, f, i->index, "malformed", HOST_COUNTER(drop_malformed));
        return;
    }
    struct ip4_reass *q = ip4_reass_of(h);
    struct reass *r = q ? reass_find(q, rd32(ip + 12), rd32(ip + 16), ip[9], rd16(ip + 4)) : NULL;
    if (!r && (!q || !(r = reass_new(h, q, ip, now)))) {
        host_drop(h, f, i->index, "reassembly_full");
        return;
    }
    enum fit fit = classify(r, start, end);
    if (fit == FIT_DUP) {
        host_drop(h, f, i->index, "frag_duplicate");
        return;
    }
    /* The offending fragment becomes the one the datagram's drop is shown with. */
    bool bad_end = !consistent_end(r, end, mf);
    if (fit == FIT_OVERLAP || bad_end || !reserve_data(r, end) || !add_run(r, start, end)) {
        if (r->latest)
            frame_free(h->frames, r->latest);
        r->latest = f;
        r->iface = i->index;
        reass_kill(h, r, fit == FIT_OVERLAP ? "reassembly_overlap" : "malformed");
        return;
    }
    memcpy(r->data + start, ip + hlen, end - start);
    if (!mf) {
        r->last_seen = true;
        r->total = end;
    }
    if (start == 0) {
        memcpy(r->hdr, ip, hlen);
        r->first_seen = true;
    }
    if (r->latest)
        frame_free(h->frames, r->latest);
    r->latest = f;
    r->iface = i->index;
    if (!complete(r))
        return;
    /* Each fragment was checked against its own header; the datagram gets
     * fragment zero's, which may be longer (Linux ip_frag_reasm: "Oversized
     * IP packet"). */
    if ((uint32_t)(r->hdr[0] & 0x0f) * 4 + r->total > IP4_MAX_LEN) {
        reass_kill(h, r, "reassembly_oversize");
        return;
    }
    deliver(h, r, i, now);
}
