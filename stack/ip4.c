/* IPv4 (RFC 791, RFC 1122 §3.3, RFC 1812 for forwarding).
 *
 * Input validates the header (RFC 1122 §3.2.1.1-2: version, length, checksum),
 * then delivers, reassembles, forwards or drops.  Output builds the header,
 * routes, fragments and hands the packet to ARP.  A packet addressed to one of
 * the host's own addresses is looped back through the event queue at the same
 * instant, never delivered re-entrantly from the sender's call.
 *
 * Identification: one per-host counter, starting from a value drawn from the
 * host's PRNG (Linux draws its per-destination counters at random). */
#include <stdlib.h>

#include "icmp.h"
#include "stack_priv.h"

/* What only hosts that talk to themselves or reassemble need. */
struct ip4_state {
    struct frame_queue loopback; /* in flight through the event queue */
    struct ip4_reass *reass;     /* made for the first fragment that arrives */
};

/* ---- checksums (RFC 1071) ---- */

uint32_t inet_csum_add(uint32_t sum, const void *data, uint32_t len)
{
    const uint8_t *p = data;
    /* Words are summed in the machine's byte order, 32 bits at a time into 64
     * (a loop compilers vectorize), and the folded result is swapped to
     * network order once: the ones' complement sum commutes with byte
     * swapping (RFC 1071 §2(B)), and a word hi:lo adds hi + lo modulo 65535. */
    uint64_t acc = 0;
    uint32_t words = len / 4;
    for (uint32_t k = 0; k < words; k++) {
        uint32_t w;
        memcpy(&w, p + 4 * k, sizeof w);
        acc += w;
    }
    p += 4 * words;
    len -= 4 * words;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    uint16_t native = (uint16_t)acc;
    uint8_t bytes[2];
    memcpy(bytes, &native, sizeof bytes);
    uint32_t s = sum + rd16(bytes);
    if (len > 1) {
        s += rd16(p);
        p += 2;
        len -= 2;
    }
    if (len)
        s += (uint32_t)p[0] << 8;
    /* Keep headroom for the caller's next additions. */
    return (s & 0xffff) + (s >> 16);
}

uint16_t inet_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t inet_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (len >> 16) +
           (len & 0xffff);
}

void ip4_header_checksum(uint8_t *ip)
{
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    wr16(ip + 10, 0);
    wr16(ip + 10, inet_csum_fold(inet_csum_add(0, ip, hlen)));
}

/* ---- state ---- */

void ip4_init(struct host *h)
{
    h->ip_next_id = (uint16_t)rng_below(&h->rng, 65536);
}

/* The host's loopback queue and reassembly, made when first needed; NULL
 * when out of memory. */
static struct ip4_state *state_of(struct host *h)
{
    struct host_more *m = host_more(h);
    if (m && !m->ip)
        m->ip = calloc(1, sizeof(*m->ip));
    return m ? m->ip : NULL;
}

void ip4_fini(struct host *h)
{
    struct ip4_state *s = h->more ? h->more->ip : NULL;
    if (!s)
        return;
    struct frame *f;
    while ((f = frame_queue_pop(&s->loopback))) {
        sim_timer_cancel(h->sim, &f->timer);
        frame_free(h->frames, f);
    }
    ip4_reass_destroy(s->reass);
    free(s);
    h->more->ip = NULL;
}

/* ---- output ---- */

static void write_header(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto,
                         const struct ip4_send_opts *o, uint16_t id, uint32_t l4_len)
{
    ip[0] = 0x45;
    ip[1] = o ? o->tos : 0;
    wr16(ip + 2, (uint16_t)(IP4_HLEN + l4_len));
    wr16(ip + 4, id);
    wr16(ip + 6, o && o->df ? IP4_OFF_DF : 0);
    ip[8] = o && o->ttl ? o->ttl : IP4_DEFAULT_TTL;
    ip[9] = proto;
    wr32(ip + 12, src);
    wr32(ip + 16, dst);
    ip4_header_checksum(ip);
}

static uint16_t next_id(struct host *h)
{
    return h->ip_next_id++;
}

struct frame *ip4_alloc(struct host *h, uint32_t l4_len)
{
    if (l4_len > FRAME_LARGE_CAP - IP4_L4_OFF)
        return NULL;
    return host_frame_alloc(h, IP4_L4_OFF + l4_len);
}

void ip4_link_output(struct host *h, struct host_iface *out, uint32_t next_hop, struct frame *f,
                     sim_time now)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memcpy(f->data + 6, out->mac, 6);
    wr16(f->data + 12, ETH_TYPE_IP);
    if (host_is_broadcast(h, next_hop)) {
        memcpy(f->data, bcast, 6);
        host_xmit(out, f);
        return;
    }
    arp_output(h, out, next_hop, f, now);
}

/* Traces the drop, sends the ICMP error about it, frees the frame: in that
 * order so that the trace reads cause before consequence. */
static void drop_with_icmp(struct host *h, struct frame *f, uint32_t iface, const char *reason,
                           uint8_t type, uint8_t code, uint16_t mtu)
{
    host_trace_drop(h, f, iface, reason);
    const uint8_t *ip = f->data + FRAME_ETH_HLEN;
    icmp_send_error(h, ip, f->len - FRAME_ETH_HLEN, type, code, mtu);
    frame_free(h->frames, f);
}

enum ip4_send_result ip4_output_routed(struct host *h, struct host_iface *out, uint32_t next_hop,
                                       struct frame *f, bool forwarded, sim_time now)
{
    const uint8_t *ip = f->data + FRAME_ETH_HLEN;
    uint32_t total = rd16(ip + 2);
    uint32_t mtu = host_iface_mtu(out);
    if (total <= mtu) {
        ip4_link_output(h, out, next_hop, f, now);
        return IP4_SENT;
    }
    if (rd16(ip + 6) & IP4_OFF_DF) {
        /* RFC 1191 §3: tell the sender the next-hop MTU; a local sender
         * learns it from the return value (Linux: EMSGSIZE). */
        HOST_COUNT(h, drop_too_big);
        if (forwarded)
            drop_with_icmp(h, f, out->index, "frag_needed", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
                           (uint16_t)(mtu > 0xffff ? 0xffff : mtu));
        else
            host_drop(h, f, out->index, "frag_needed");
        return IP4_TOO_BIG;
    }
    return ip4_fragment(h, out, next_hop, f, mtu, now) ? IP4_SENT : IP4_NO_BUFFER;
}

/* Routes a locally built packet and sends it; takes f. */
static enum ip4_send_result route_local(struct host *h, struct frame *f, uint32_t dst)
{
    if (host_has_addr(h, dst)) {
        ip4_loopback(h, f);
        return IP4_SENT;
    }
    uint32_t next_hop;
    const struct route *r = host_route_lookup(h, dst, &next_hop);
    if (!r) {
        host_drop_counted(h, f, UINT32_MAX, "no_route", HOST_COUNTER(drop_no_route));
        return IP4_NO_ROUTE;
    }
    return ip4_output_routed(h, h->ifaces[r->iface], next_hop, f, false, host_now(h));
}

enum ip4_send_result ip4_send(struct host *h, struct frame *f, uint32_t src, uint32_t dst,
                              uint8_t proto, const struct ip4_send_opts *o)
{
    if (f->len < IP4_L4_OFF || f->len - FRAME_ETH_HLEN > IP4_MAX_LEN) {
        frame_free(h->frames, f);
        return IP4_TOO_BIG;
    }
    if (!src)
        src = host_src_for(h, dst);
    memset(f->data, 0, FRAME_ETH_HLEN);
    write_header(f->data + FRAME_ETH_HLEN, src, dst, proto, o, next_id(h), f->len - IP4_L4_OFF);
    h->c.ip_out++;
    return route_local(h, f, dst);
}

enum ip4_send_result ip4_send_buf(struct host *h, const uint8_t *l4, uint32_t len, uint32_t src,
                                  uint32_t dst, uint8_t proto, const struct ip4_send_opts *o)
{
    if (len > IP4_MAX_LEN - IP4_HLEN)
        return IP4_TOO_BIG;
    bool local = host_has_addr(h, dst);
    uint32_t next_hop = dst;
    const struct route *r = local ? NULL : host_route_lookup(h, dst, &next_hop);
    struct host_iface *out = r ? h->ifaces[r->iface] : NULL;
    uint32_t mtu = out ? host_iface_mtu(out) : FRAME_MAX_MTU;
    if (IP4_HLEN + len <= mtu) {
        struct frame *f = ip4_alloc(h, len);
        if (!f)
            return IP4_NO_BUFFER;
        memcpy(f->data + IP4_L4_OFF, l4, len);
        return ip4_send(h, f, src, dst, proto, o);
    }
    if (!local && !r) {
        HOST_COUNT(h, drop_no_route); /* too large to show as one frame in the trace */
        return IP4_NO_ROUTE;
    }
    if (o && o->df) {
        HOST_COUNT(h, drop_too_big);
        return IP4_TOO_BIG;
    }
    if (!src)
        src = host_src_for(h, dst);
    uint8_t hdr[IP4_HLEN];
    write_header(hdr, src, dst, proto, o, next_id(h), len);
    h->c.ip_out++;
    bool ok = ip4_fragment_buf(h, out, next_hop, hdr, IP4_HLEN, l4, len, mtu, host_now(h));
    return ok ? IP4_SENT : IP4_NO_BUFFER;
}

uint32_t ip4_route_mtu(const struct host *h, uint32_t dst)
{
    if (host_has_addr(h, dst))
        return FRAME_MAX_MTU; /* loopback: as much as one frame holds */
    const struct route *r = host_route_lookup(h, dst, NULL);
    return r ? host_iface_mtu(h->ifaces[r->iface]) : 0;
}

/* ---- loopback ---- */

static void queue_remove(struct frame_queue *q, struct frame *f)
{
    struct frame *prev = NULL;
    for (struct frame *x = q->head; x; prev = x, x = x->next) {
        if (x != f)
            continue;
        if (prev)
            prev->next = f->next;
        else
            q->head = f->next;
        if (q->tail == f)
            q->tail = prev;
        q->len--;
        f->next = NULL;
        return;
    }
}

static void loopback_fire(void *ctx, sim_time now)
{
    struct frame *f = ctx;
    struct host *h = f->holder;
    queue_remove(&h->more->ip->loopback, f);
    f->holder = NULL;
    struct host_iface *i = host_iface_by_addr(h, rd32(f->data + FRAME_ETH_HLEN + 16));
    if (!i) { /* the address went away meanwhile */
        host_drop_counted(h, f, UINT32_MAX, "not_for_us", HOST_COUNTER(drop_not_mine));
        return;
    }
    ip4_input(h, i, f, now);
}

void ip4_loopback(struct host *h, struct frame *f)
{
    if (!state_of(h)) {
        host_drop(h, f, UINT32_MAX, "no_buffer");
        return;
    }
    memset(f->data, 0, 12);
    wr16(f->data + 12, ETH_TYPE_IP);
    f->holder = h;
    sim_timer_init(&f->timer, loopback_fire, f);
    frame_queue_push(&h->more->ip->loopback, f);
    sim_timer_arm(h->sim, &f->timer, host_now(h));
}

/* ---- input ---- */

void ip4_deliver(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4, uint32_t len,
                 sim_time now)
{
    const struct ip4_proto_handler *p = host_proto(h, ip->proto);
    if (!p || !p->input) {
        HOST_COUNT(h, drop_no_proto);
        host_trace_drop(h, ip->frame, ip->iface ? ip->iface->index : 0, "no_proto");
        icmp_error_about_rx(h, ip, l4, len, ICMP_DEST_UNREACH, ICMP_PROTO_UNREACH);
        return;
    }
    h->c.ip_delivered++;
    p->input(h, p->ctx, ip, l4, len, now);
}

static void local_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now)
{
    const uint8_t *ip = f->data + FRAME_ETH_HLEN;
    if (rd16(ip + 6) & (IP4_OFF_MF | IP4_OFF_MASK)) {
        ip4_reass_input(h, i, f, now);
        return;
    }
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    struct ip4_rx_info info = {.src = rd32(ip + 12),
                               .dst = rd32(ip + 16),
                               .proto = ip[9],
                               .ttl = ip[8],
                               .tos = ip[1],
                               .id = rd16(ip + 4),
                               .iface = i,
                               .frame = f,
                               .hdr = ip,
                               .csum_ok = f->csum_ok};
    ip4_deliver(h, &info, ip + hlen, rd16(ip + 2) - hlen, now);
    frame_free(h->frames, f);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for the TTL/protocol word. */
static void decrement_ttl(uint8_t *ip)
{
    uint16_t old = rd16(ip + 8);
    ip[8]--;
    uint32_t sum = (uint16_t)~rd16(ip + 10) + (uint32_t)(uint16_t)~old + rd16(ip + 8);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    wr16(ip + 10, (uint16_t)~sum);
}

/* RFC 1812 §5.2: route first (no route: net unreachable, as Linux answers),
 * then the TTL check, then out with a decremented TTL. */
static void forward(struct host *h, struct host_iface *in, struct frame *f, sim_time now)
{
    uint8_t *ip = f->data + FRAME_ETH_HLEN;
    uint32_t next_hop;
    const struct route *r = host_route_lookup(h, rd32(ip + 16), &next_hop);
    if (!r) {
        HOST_COUNT(h, drop_no_route);
        drop_with_icmp(h, f, in->index, "no_route", ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0);
        return;
    }
    if (ip[8] <= 1) {
        HOST_COUNT(h, drop_ttl);
        drop_with_icmp(h, f, in->index, "ttl", ICMP_TIME_EXCEEDED, 0, 0);
        return;
    }
    decrement_ttl(ip);
    host_frame_new_id(h, f);
    h->c.ip_forwarded++;
    ip4_output_routed(h, h->ifaces[r->iface], next_hop, f, true, now);
}

static bool is_multicast(uint32_t ip)
{
    return (ip >> 28) == 0xe;
}

void ip4_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now)
{
    uint8_t *ip = f->data + FRAME_ETH_HLEN;
    uint32_t avail = f->len - FRAME_ETH_HLEN;
    uint32_t hlen = avail ? (uint32_t)(ip[0] & 0x0f) * 4 : 0;
    if (avail < IP4_HLEN || ip[0] >> 4 != 4 || hlen < IP4_HLEN || hlen > avail) {
        host_drop_counted(h, f, i->index, "malformed", HOST_COUNTER(drop_malformed));
        return;
    }
    if (inet_csum_fold(inet_csum_add(0, ip, hlen)) != 0) {
        host_drop_counted(h, f, i->index, "checksum", HOST_COUNTER(drop_checksum));
        return;
    }
    uint32_t total = rd16(ip + 2);
    if (total < hlen || total > avail) {
        host_drop_counted(h, f, i->index, "malformed", HOST_COUNTER(drop_malformed));
        return;
    }
    f->len = FRAME_ETH_HLEN + total; /* Ethernet padding is not part of the packet */
    h->c.ip_in++;
    uint32_t dst = rd32(ip + 16);
    if (host_is_local_dst(h, dst)) {
        local_input(h, i, f, now);
        return;
    }
    /* Only frames sent to our own MAC are forwarded: a link-layer broadcast
     * is for the hosts of this link alone (RFC 1812 §5.3.4; Linux's
     * ip_forward drops what did not arrive as PACKET_HOST). */
    if (!h->forward || is_multicast(dst) || dst == 0 || eth_is_broadcast(f)) {
        host_drop_counted(h, f, i->index, "not_for_us", HOST_COUNTER(drop_not_mine));
        return;
    }
    forward(h, i, f, now);
}

struct ip4_reass *ip4_reass_of(struct host *h)
{
    struct ip4_state *s = state_of(h);
    if (!s)
        return NULL;
    if (!s->reass)
        s->reass = ip4_reass_create(h);
    return s->reass;
}
