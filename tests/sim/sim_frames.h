/* Hand-built test frames with correct checksums: Ethernet II + IPv4 + TCP/UDP/ICMP, and ARP. */
#ifndef TESTS_SIM_FRAMES_H
#define TESTS_SIM_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/sim.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static inline void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v & 0xffff);
}

static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static inline void eth_header(uint8_t *p, uint16_t type)
{
    static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 1};
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    wr16(p + 12, type);
}

struct ip_spec {
    uint32_t src, dst;
    uint8_t proto, ttl;
    uint16_t id;
    uint16_t frag; /* flags and offset field as on the wire */
};

/* Writes a 20-byte IPv4 header for `l4len` bytes of payload. */
static inline void ip_header(uint8_t *p, const struct ip_spec *s, uint32_t l4len)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    wr16(p + 2, 20 + l4len);
    wr16(p + 4, s->id);
    wr16(p + 6, s->frag);
    p[8] = s->ttl ? s->ttl : 64;
    p[9] = s->proto;
    wr32(p + 12, s->src);
    wr32(p + 16, s->dst);
    wr16(p + 10, csum_fold(csum_add(0, p, 20)));
}

/* Transport checksum over the pseudo-header (RFC 9293 §3.1, RFC 768). */
static inline uint16_t l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                               uint32_t len)
{
    uint8_t ph[12];
    wr32(ph, src);
    wr32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    wr16(ph + 10, len);
    return csum_fold(csum_add(csum_add(0, ph, 12), l4, len));
}

struct tcp_spec {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    const uint8_t *opts; /* a multiple of 4 bytes */
    uint32_t optlen;
    uint32_t payload; /* bytes of payload (a counting pattern) */
};

/* Writes the frame into buf (large enough) and returns its length. */
static inline uint32_t build_tcp(uint8_t *buf, const struct tcp_spec *s)
{
    uint32_t hl = 20 + s->optlen, l4len = hl + s->payload;
    eth_header(buf, 0x0800);
    struct ip_spec ip = {.src = s->src, .dst = s->dst, .proto = 6, .id = 1, .frag = 0x4000};
    ip_header(buf + 14, &ip, l4len);
    uint8_t *t = buf + 34;
    memset(t, 0, 20);
    wr16(t, s->sport);
    wr16(t + 2, s->dport);
    wr32(t + 4, s->seq);
    wr32(t + 8, s->ack);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = s->flags;
    wr16(t + 14, s->win ? s->win : 65535);
    if (s->optlen)
        memcpy(t + 20, s->opts, s->optlen);
    for (uint32_t i = 0; i < s->payload; i++)
        t[hl + i] = (uint8_t)i;
    wr16(t + 16, l4_csum(s->src, s->dst, 6, t, l4len));
    return 34 + l4len;
}

static inline uint32_t build_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport,
                                 uint16_t dport, uint32_t payload)
{
    uint32_t l4len = 8 + payload;
    eth_header(buf, 0x0800);
    struct ip_spec ip = {.src = src, .dst = dst, .proto = 17, .id = 2};
    ip_header(buf + 14, &ip, l4len);
    uint8_t *u = buf + 34;
    wr16(u, sport);
    wr16(u + 2, dport);
    wr16(u + 4, l4len);
    wr16(u + 6, 0);
    for (uint32_t i = 0; i < payload; i++)
        u[8 + i] = (uint8_t)(i * 7);
    wr16(u + 6, l4_csum(src, dst, 17, u, l4len));
    return 34 + l4len;
}

static inline uint32_t build_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type,
                                       uint16_t id, uint16_t seq)
{
    eth_header(buf, 0x0800);
    struct ip_spec ip = {.src = src, .dst = dst, .proto = 1, .id = 3};
    ip_header(buf + 14, &ip, 16);
    uint8_t *m = buf + 34;
    memset(m, 0, 16);
    m[0] = type;
    wr16(m + 4, id);
    wr16(m + 6, seq);
    wr16(m + 2, csum_fold(csum_add(0, m, 16)));
    return 34 + 16;
}

static inline uint32_t build_arp(uint8_t *buf, uint16_t op, uint32_t spa, uint32_t tpa)
{
    eth_header(buf, 0x0806);
    uint8_t *a = buf + 14;
    wr16(a, 1);
    wr16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wr16(a + 6, op);
    memcpy(a + 8, buf + 6, 6);
    wr32(a + 14, spa);
    memset(a + 18, 0, 6);
    wr32(a + 24, tpa);
    return 14 + 28;
}

/* A pool frame holding a copy of bytes, with a fresh id. */
static inline struct frame *frame_of(struct sim *s, const uint8_t *bytes, uint32_t len)
{
    struct frame *f = frame_alloc(&s->frames, len);
    if (f) {
        memcpy(f->data, bytes, len);
        f->id = sim_next_frame_id(s);
    }
    return f;
}

#endif
