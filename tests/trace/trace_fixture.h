/* Inputs for the trace sink tests: real Ethernet frames (TCP, UDP, ICMP, ARP)
 * with correct IPv4 and transport checksums, built byte by byte here so the
 * tests do not depend on the protocol stack. */
#ifndef TESTS_TRACE_FIXTURE_H
#define TESTS_TRACE_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/frame.h"
#include "sim/trace.h"

#define IP_A 0x0a000001u /* 10.0.0.1 */
#define IP_B 0x0a000002u /* 10.0.0.2 */

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x02};

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* RFC 1071 one's complement sum, folded; `sum` carries a partial sum in. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* An IPv4 datagram's headers and payload inside an Ethernet frame. */
struct ip_spec {
    uint32_t src, dst;
    uint8_t proto, ttl;
    uint16_t frag; /* flags and offset field as on the wire (0x2000 = MF) */
};

static inline struct frame *fx_alloc(struct frame_pool *pool, uint32_t len, uint64_t id)
{
    struct frame *f = frame_alloc(pool, len);
    cr_assert_not_null(f);
    memset(f->data, 0, len);
    f->id = id;
    return f;
}

static inline void fx_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    put16(p + 12, type);
}

static inline void fx_ipv4(uint8_t *ip, const struct ip_spec *s, uint16_t l4len)
{
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4len));
    put16(ip + 4, 0x1234);
    put16(ip + 6, s->frag);
    ip[8] = s->ttl ? s->ttl : 64;
    ip[9] = s->proto;
    put32(ip + 12, s->src);
    put32(ip + 16, s->dst);
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
}

/* TCP or UDP checksum over the pseudo-header (RFC 9293 §3.1, RFC 768). */
static inline uint16_t fx_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                                  uint16_t len)
{
    uint8_t ph[12];
    put32(ph, src);
    put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    put16(ph + 10, len);
    return csum_fold(csum_add(csum_add(0, ph, 12), l4, len));
}

struct tcp_spec {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    const uint8_t *opts; /* already padded to a multiple of 4 */
    uint8_t optlen;
    uint32_t plen; /* payload bytes (filled with 'x') */
};

static inline struct frame *fx_tcp(struct frame_pool *pool, uint64_t id, const struct tcp_spec *t)
{
    uint16_t thl = (uint16_t)(20 + t->optlen);
    uint16_t l4len = (uint16_t)(thl + t->plen);
    struct frame *f = fx_alloc(pool, 14 + 20 + l4len, id);
    bool from_a = t->src == IP_A;
    fx_eth(f->data, from_a ? MAC_B : MAC_A, from_a ? MAC_A : MAC_B, 0x0800);
    fx_ipv4(f->data + 14, &(struct ip_spec){.src = t->src, .dst = t->dst, .proto = 6}, l4len);
    uint8_t *tcp = f->data + 34;
    put16(tcp, t->sport);
    put16(tcp + 2, t->dport);
    put32(tcp + 4, t->seq);
    put32(tcp + 8, t->ack);
    tcp[12] = (uint8_t)((thl / 4) << 4);
    tcp[13] = t->flags;
    put16(tcp + 14, t->win);
    if (t->optlen)
        memcpy(tcp + 20, t->opts, t->optlen);
    memset(tcp + thl, 'x', t->plen);
    put16(tcp + 16, fx_l4_csum(t->src, t->dst, 6, tcp, l4len));
    return f;
}

/* Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t SYN_OPTS[20] = {2,    4,    0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0x03, 0xe8, 0,    0,    0, 0, 1, 3,  3, 7};

#define ISN_A 1000000u
#define ISN_B 5000000u

static inline struct frame *fx_syn(struct frame_pool *pool, uint64_t id)
{
    return fx_tcp(pool, id,
                  &(struct tcp_spec){.src = IP_A,
                                     .dst = IP_B,
                                     .sport = 49152,
                                     .dport = 80,
                                     .seq = ISN_A,
                                     .flags = 0x02,
                                     .win = 64240,
                                     .opts = SYN_OPTS,
                                     .optlen = sizeof SYN_OPTS});
}

static inline struct frame *fx_udp(struct frame_pool *pool, uint64_t id, uint16_t plen)
{
    uint16_t l4len = (uint16_t)(8 + plen);
    struct frame *f = fx_alloc(pool, 14 + 20 + l4len, id);
    fx_eth(f->data, MAC_B, MAC_A, 0x0800);
    fx_ipv4(f->data + 14, &(struct ip_spec){.src = IP_A, .dst = IP_B, .proto = 17}, l4len);
    uint8_t *udp = f->data + 34;
    put16(udp, 40000);
    put16(udp + 2, 40001);
    put16(udp + 4, l4len);
    memset(udp + 8, 'u', plen);
    put16(udp + 6, fx_l4_csum(IP_A, IP_B, 17, udp, l4len));
    return f;
}

static inline struct frame *fx_icmp_echo(struct frame_pool *pool, uint64_t id, uint16_t ident,
                                         uint16_t seq)
{
    uint16_t l4len = 8 + 16;
    struct frame *f = fx_alloc(pool, 14 + 20 + l4len, id);
    fx_eth(f->data, MAC_B, MAC_A, 0x0800);
    fx_ipv4(f->data + 14, &(struct ip_spec){.src = IP_A, .dst = IP_B, .proto = 1}, l4len);
    uint8_t *icmp = f->data + 34;
    icmp[0] = 8; /* echo request */
    put16(icmp + 4, ident);
    put16(icmp + 6, seq);
    memset(icmp + 8, 'p', 16);
    put16(icmp + 2, csum_fold(csum_add(0, icmp, l4len)));
    return f;
}

/* A who-has request for IP_B from A, padded to Ethernet's 60-byte minimum. */
static inline struct frame *fx_arp_request(struct frame_pool *pool, uint64_t id)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct frame *f = fx_alloc(pool, 60, id);
    fx_eth(f->data, bcast, MAC_A, 0x0806);
    uint8_t *a = f->data + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    memcpy(a + 8, MAC_A, 6);
    put32(a + 14, IP_A);
    put32(a + 24, IP_B);
    return f;
}

/* A UDP datagram's later fragment (offset in bytes, a multiple of 8). */
static inline struct frame *fx_fragment(struct frame_pool *pool, uint64_t id, uint16_t offset,
                                        bool more)
{
    uint16_t l3len = 32;
    struct frame *f = fx_alloc(pool, 14 + 20 + l3len, id);
    fx_eth(f->data, MAC_B, MAC_A, 0x0800);
    uint16_t field = (uint16_t)((more ? 0x2000 : 0) | offset / 8);
    fx_ipv4(f->data + 14, &(struct ip_spec){.src = IP_A, .dst = IP_B, .proto = 17, .frag = field},
            l3len);
    memset(f->data + 34, 'f', l3len);
    return f;
}

/* A temporary directory for output files, removed with its files by fx_rmdir. */
static inline void fx_mkdtemp(char *dir, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, cap, "%s/tcpsim-trace-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
}

/* Number of entries in dir (without . and ..). */
static inline int fx_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static inline void fx_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        remove(path);
    }
    closedir(d);
    rmdir(dir);
}

#endif
