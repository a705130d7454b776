/* An observer's dissector: Ethernet II, ARP, IPv4, ICMP, UDP and TCP.
 *
 * Every layer checks that its header lies inside the bytes it was given before
 * reading it, so a truncated frame never causes a read past `len`.  A layer
 * whose header is complete is recorded in `proto` even when its contents are
 * inconsistent (those set `malformed`); a layer whose header is cut short is not. */
#include "decode.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HLEN       14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 one's-complement sum; a header with a correct checksum sums to 0xffff. */
static uint16_t ones_sum(const uint8_t *p, uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < n; i += 2)
        sum += rd16(p + i);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void decode_arp(const uint8_t *p, uint32_t len, struct frame_summary *s)
{
    /* Only Ethernet/IPv4 ARP (RFC 826 with hlen 6, plen 4): 28 bytes. */
    if (len < 28 || rd16(p) != 1 || rd16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 || p[5] != 4) {
        s->malformed = true;
        return;
    }
    s->proto = DEC_ARP;
    s->arp_op = rd16(p + 6);
    memcpy(s->arp_sha, p + 8, 6);
    s->arp_spa = rd32(p + 14);
    memcpy(s->arp_tha, p + 18, 6);
    s->arp_tpa = rd32(p + 24);
}

/* RFC 7323 §2.3: a shift count above 14 is used as 14. */
static int8_t clamp_wscale(uint8_t v)
{
    return (int8_t)(v > 14 ? 14 : v);
}

static void decode_tcp_option(const uint8_t *o, uint8_t kind, uint8_t olen, struct frame_summary *s)
{
    if (kind == 2 && olen == 4) {
        s->opt_mss = rd16(o + 2);
    } else if (kind == 3 && olen == 3) {
        s->opt_wscale = clamp_wscale(o[2]);
    } else if (kind == 4 && olen == 2) {
        s->opt_sack_perm = true;
    } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
        uint32_t n = (uint32_t)(olen - 2) / 8;
        for (uint32_t i = 0; i < n && s->n_sack < 4; i++, s->n_sack++) {
            s->sack[s->n_sack][0] = rd32(o + 2 + 8 * i);
            s->sack[s->n_sack][1] = rd32(o + 6 + 8 * i);
        }
    } else if (kind == 8 && olen == 10) {
        s->opt_ts = true;
        s->ts_val = rd32(o + 2);
        s->ts_ecr = rd32(o + 6);
    } else if (kind == 2 || kind == 3 || kind == 4 || kind == 5 || kind == 8) {
        s->malformed = true; /* a known option with the wrong length */
    }
}

/* RFC 9293 §3.1: EOL ends the list, NOP is one byte, others are kind-length-value. */
static void decode_tcp_options(const uint8_t *o, uint32_t n, struct frame_summary *s)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t kind = o[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
            s->malformed = true;
            return;
        }
        decode_tcp_option(o + i, kind, o[i + 1], s);
        i += o[i + 1];
    }
}

static void decode_tcp(const uint8_t *p, uint32_t len, uint32_t off, struct frame_summary *s)
{
    if (len < 20) {
        s->malformed = true;
        return;
    }
    uint32_t hl = (uint32_t)(p[12] >> 4) * 4;
    if (hl < 20 || hl > len) {
        s->malformed = true;
        return;
    }
    s->proto = DEC_TCP;
    s->sport = rd16(p);
    s->dport = rd16(p + 2);
    s->seq = rd32(p + 4);
    s->ack = rd32(p + 8);
    s->flags = p[13];
    s->win = rd16(p + 14);
    s->payload_off = off + hl;
    s->payload_len = len - hl;
    decode_tcp_options(p + 20, hl - 20, s);
}

/* `whole` is false for the first fragment of a larger datagram, whose UDP
 * length field counts bytes that travel in later fragments. */
static void decode_udp(const uint8_t *p, uint32_t len, uint32_t off, bool whole,
                       struct frame_summary *s)
{
    if (len < 8) {
        s->malformed = true;
        return;
    }
    s->proto = DEC_UDP;
    s->sport = rd16(p);
    s->dport = rd16(p + 2);
    s->payload_off = off + 8;
    s->payload_len = len - 8;
    uint16_t ulen = rd16(p + 4);
    if (whole && (ulen < 8 || ulen > len))
        s->malformed = true;
    else if (whole)
        s->payload_len = (uint32_t)ulen - 8;
}

static bool icmp_is_error(uint8_t type)
{
    /* destination unreachable, source quench, redirect, time exceeded, parameter problem */
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The datagram quoted in an ICMP error: its IP header and (RFC 792) at least
 * the first 8 bytes of its payload, enough for the ports. */
static void decode_icmp_quote(const uint8_t *p, uint32_t len, struct frame_summary *s)
{
    if (len < 20 || p[0] >> 4 != 4 || (uint32_t)(p[0] & 0xf) * 4 > len) {
        s->malformed = true;
        return;
    }
    uint32_t hl = (uint32_t)(p[0] & 0xf) * 4;
    s->inner_proto = p[9];
    s->inner_src = rd32(p + 12);
    s->inner_dst = rd32(p + 16);
    bool first = (rd16(p + 6) & 0x1fff) == 0;
    bool ported = p[9] == IPPROTO_TCP_ || p[9] == IPPROTO_UDP_;
    if (first && ported && len >= hl + 4) {
        s->inner_sport = rd16(p + hl);
        s->inner_dport = rd16(p + hl + 2);
    }
}

static void decode_icmp(const uint8_t *p, uint32_t len, struct frame_summary *s)
{
    if (len < 8) {
        s->malformed = true;
        return;
    }
    s->proto = DEC_ICMP;
    s->icmp_type = p[0];
    s->icmp_code = p[1];
    if (p[0] == 0 || p[0] == 8) { /* echo reply / request */
        s->icmp_id = rd16(p + 4);
        s->icmp_seq = rd16(p + 6);
    } else if (p[0] == 3 && p[1] == 4) { /* RFC 1191 §4: next-hop MTU */
        s->icmp_mtu = rd16(p + 6);
    }
    if (icmp_is_error(p[0]))
        decode_icmp_quote(p + 8, len - 8, s);
}

static void decode_ipv4(const uint8_t *p, uint32_t len, struct frame_summary *s)
{
    if (len < 20 || p[0] >> 4 != 4) {
        s->malformed = true;
        return;
    }
    uint32_t hl = (uint32_t)(p[0] & 0xf) * 4;
    if (hl < 20 || hl > len) {
        s->malformed = true;
        return;
    }
    s->proto = DEC_IP;
    s->tos = p[1];
    s->ip_total_len = rd16(p + 2);
    s->ip_id = rd16(p + 4);
    uint16_t frag = rd16(p + 6);
    s->df = (frag & 0x4000) != 0;
    s->mf = (frag & 0x2000) != 0;
    s->frag_offset = (uint16_t)((frag & 0x1fff) * 8);
    s->fragment = s->mf || s->frag_offset != 0;
    s->ttl = p[8];
    s->ip_proto = p[9];
    s->ip_src = rd32(p + 12);
    s->ip_dst = rd32(p + 16);
    s->ip_csum_ok = ones_sum(p, hl) == 0xffff;

    /* Bytes past total_len are Ethernet padding; fewer than total_len is a cut datagram. */
    uint32_t total = s->ip_total_len;
    if (total < hl || total > len) {
        s->malformed = true;
        return;
    }
    if (s->frag_offset != 0)
        return; /* only the first fragment carries the transport header */
    const uint8_t *l4 = p + hl;
    uint32_t l4len = total - hl;
    uint32_t off = ETH_HLEN + hl;
    if (s->ip_proto == IPPROTO_TCP_)
        decode_tcp(l4, l4len, off, s);
    else if (s->ip_proto == IPPROTO_UDP_)
        decode_udp(l4, l4len, off, !s->mf, s);
    else if (s->ip_proto == IPPROTO_ICMP_)
        decode_icmp(l4, l4len, s);
}

bool frame_decode(const uint8_t *p, uint32_t len, struct frame_summary *out)
{
    memset(out, 0, sizeof *out);
    out->proto = DEC_OTHER;
    out->opt_wscale = -1;
    if (len < ETH_HLEN) {
        out->malformed = true;
        return false;
    }
    memcpy(out->eth_dst, p, 6);
    memcpy(out->eth_src, p + 6, 6);
    out->ethertype = rd16(p + 12);
    if (out->ethertype == ETHERTYPE_ARP)
        decode_arp(p + ETH_HLEN, len - ETH_HLEN, out);
    else if (out->ethertype == ETHERTYPE_IPV4)
        decode_ipv4(p + ETH_HLEN, len - ETH_HLEN, out);
    return !out->malformed;
}

const char *dec_tcp_flags_str(uint8_t flags, char buf[40])
{
    static const struct {
        uint8_t bit;
        const char *name;
    } order[] = {
        {DEC_SYN, "SYN"}, {DEC_FIN, "FIN"}, {DEC_RST, "RST"}, {DEC_PSH, "PSH"},
        {DEC_ACK, "ACK"}, {DEC_URG, "URG"}, {DEC_ECE, "ECE"}, {DEC_CWR, "CWR"},
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(flags & order[i].bit))
            continue;
        if (n)
            buf[n++] = ',';
        memcpy(buf + n, order[i].name, 4); /* 3 letters and the terminator */
        n += 3;
    }
    return buf;
}

static bool flag_bit(const char *name, size_t n, uint8_t *bit)
{
    static const char names[8][4] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    if (n != 3)
        return false;
    for (int i = 0; i < 8; i++) {
        bool same = true;
        for (size_t k = 0; k < 3; k++)
            same = same && toupper((unsigned char)name[k]) == names[i][k];
        if (same) {
            *bit = (uint8_t)(1u << i);
            return true;
        }
    }
    return false;
}

bool dec_tcp_flags_parse(const char *s, uint8_t *out)
{
    uint8_t flags = 0;
    for (;;) {
        while (*s == ' ')
            s++;
        size_t n = 0;
        while (s[n] && s[n] != ',' && s[n] != ' ')
            n++;
        uint8_t bit;
        if (!flag_bit(s, n, &bit))
            return false;
        flags |= bit;
        s += n;
        while (*s == ' ')
            s++;
        if (*s == '\0')
            break;
        if (*s != ',')
            return false;
        s++;
    }
    *out = flags;
    return true;
}

const char *dec_ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 0xff),
             (unsigned)(ip >> 8 & 0xff), (unsigned)(ip & 0xff));
    return buf;
}

const char *dec_proto_name(enum dec_proto p)
{
    switch (p) {
    case DEC_ARP:
        return "arp";
    case DEC_IP:
        return "ip";
    case DEC_ICMP:
        return "icmp";
    case DEC_UDP:
        return "udp";
    case DEC_TCP:
        return "tcp";
    case DEC_OTHER:
        break;
    }
    return "other";
}

/* ---- relative sequence numbers ---- */

struct seqrel_key {
    uint32_t src, dst;
    uint16_t sport, dport;
};

struct seqrel_entry {
    struct seqrel_key key;
    uint32_t base;
    bool used;
};

#define SEQREL_MIN_CAP 64u

void seqrel_init(struct seqrel *t)
{
    memset(t, 0, sizeof *t);
}

void seqrel_destroy(struct seqrel *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static bool key_eq(const struct seqrel_key *a, const struct seqrel_key *b)
{
    return a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport;
}

/* A fixed mix of the four-tuple (no pointers), so probing is reproducible. */
static uint32_t key_hash(const struct seqrel_key *k)
{
    uint64_t x = (uint64_t)k->src << 32 | k->dst;
    x ^= ((uint64_t)k->sport << 16 | k->dport) * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* The slot holding k, or the empty slot where it belongs. cap is a power of two. */
static struct seqrel_entry *slot_for(struct seqrel_entry *slots, uint32_t cap,
                                     const struct seqrel_key *k)
{
    uint32_t i = key_hash(k) & (cap - 1);
    while (slots[i].used && !key_eq(&slots[i].key, k))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static struct seqrel_entry *seqrel_find(const struct seqrel *t, const struct seqrel_key *k)
{
    if (!t->cap)
        return NULL;
    struct seqrel_entry *e = slot_for(t->slots, t->cap, k);
    return e->used ? e : NULL;
}

static bool seqrel_grow(struct seqrel *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : SEQREL_MIN_CAP;
    struct seqrel_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].used)
            *slot_for(slots, cap, &t->slots[i].key) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

/* The entry for k, created with base `seq` if new; NULL when memory runs out. */
static struct seqrel_entry *seqrel_get(struct seqrel *t, const struct seqrel_key *k, uint32_t seq)
{
    struct seqrel_entry *e = seqrel_find(t, k);
    if (e)
        return e;
    /* Keep the load under 3/4 so probe sequences stay short. */
    if ((t->used + 1) * 4 > t->cap * 3 && !seqrel_grow(t))
        return NULL;
    e = slot_for(t->slots, t->cap, k);
    e->key = *k;
    e->base = seq;
    e->used = true;
    t->used++;
    return e;
}

void seqrel_observe(struct seqrel *t, const struct frame_summary *s, uint32_t *rel_seq,
                    uint32_t *rel_ack)
{
    *rel_seq = 0;
    *rel_ack = 0;
    if (s->proto != DEC_TCP)
        return;
    struct seqrel_key k = {
        .src = s->ip_src, .dst = s->ip_dst, .sport = s->sport, .dport = s->dport};
    struct seqrel_entry *e = seqrel_get(t, &k, s->seq);
    if (e && (s->flags & DEC_SYN))
        e->base = s->seq; /* a SYN (re)starts this direction's numbering */
    if (e)
        *rel_seq = s->seq - e->base;
    struct seqrel_key r = {
        .src = s->ip_dst, .dst = s->ip_src, .sport = s->dport, .dport = s->sport};
    const struct seqrel_entry *rev = seqrel_find(t, &r);
    if (rev && (s->flags & DEC_ACK))
        *rel_ack = s->ack - rev->base;
}

/* ---- filters ---- */

static bool proto_matches(enum dec_proto want, const struct frame_summary *s)
{
    bool ip = s->proto >= DEC_IP; /* the IPv4 header was decoded */
    switch (want) {
    case DEC_ARP:
        return s->proto == DEC_ARP;
    case DEC_IP:
        return ip;
    /* The IP protocol field, so every fragment of a datagram matches (SPEC §3). */
    case DEC_ICMP:
        return ip && s->ip_proto == IPPROTO_ICMP_;
    case DEC_UDP:
        return ip && s->ip_proto == IPPROTO_UDP_;
    case DEC_TCP:
        return ip && s->ip_proto == IPPROTO_TCP_;
    case DEC_OTHER:
        break;
    }
    return s->proto == DEC_OTHER;
}

bool frame_filter_match(const struct frame_filter *f, const struct frame_summary *s,
                        uint32_t rel_seq)
{
    if (f->has_proto && !proto_matches(f->proto, s))
        return false;
    if (f->has_flags && (s->proto != DEC_TCP || (s->flags & f->tcp_flags) != f->tcp_flags))
        return false;
    if (f->has_seq && (s->proto != DEC_TCP || rel_seq != f->seq))
        return false;
    if (f->has_len && ((s->proto != DEC_TCP && s->proto != DEC_UDP) || s->payload_len != f->len))
        return false;
    return true;
}
