/* Truncated and malformed input at every length: ARP, IPv4 with and without
 * options, UDP, ICMP errors whose quoted header is cut short, fragments.
 * Each bad frame is dropped with a reason and nothing past its end is read:
 * under AddressSanitizer the bytes of the frame buffer after the frame's
 * length are poisoned while the stack handles it. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define A_IP IP(10, 0, 0, 1)
#define B_IP IP(10, 0, 0, 2)

static struct world W;
static struct udp_rec R;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(malformed, .fini = fini);

static void setup(void)
{
    world_two(&W);
    memset(&R, 0, sizeof(R));
}

static struct host_iface *b_if(void)
{
    return W.h[1]->ifaces[0];
}

/* Hands b the first len bytes of `bytes` as a frame of exactly that length. */
static void inject_exact(const uint8_t *bytes, uint32_t len)
{
    struct frame *f = frame_alloc(&W.sim.frames, len);
    cr_assert_not_null(f);
    f->id = sim_next_frame_id(&W.sim);
    if (len)
        memcpy(f->data, bytes, len);
    uint8_t *buf = f->buf;
    uint32_t cap = f->cap;
    POISON(buf + len, cap - len);
    inject(&W, b_if(), f);
    /* The buffer is back in the pool or held by the stack: valid either way. */
    UNPOISON(buf, cap);
}

static uint32_t malformed_at_b(void)
{
    return count_drops(&W, "b", "malformed");
}

/* b's frames of a kind on the wire (-1: any IP protocol). */
static uint32_t sent_by_b(uint16_t ethertype, int proto)
{
    return count_frames(&W.w[0], 1, ethertype, proto);
}

/* ---- builders ---- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static void eth(uint8_t *f, uint16_t type)
{
    memcpy(f, b_if()->mac, 6);
    memcpy(f + 6, W.h[0]->ifaces[0]->mac, 6);
    put16(f + 12, type);
}

static uint32_t arp_request(uint8_t *f)
{
    eth(f, 0x0806);
    uint8_t *a = f + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    memcpy(a + 8, W.h[0]->ifaces[0]->mac, 6);
    put32(a + 14, A_IP);
    memset(a + 18, 0, 6);
    put32(a + 24, B_IP);
    return 14 + 28;
}

/* An IPv4 header at ip with `opt_len` bytes of options (a router alert, then
 * NOPs); total = header + l4_len.  Returns the header length. */
static uint32_t ip_header(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto, uint32_t opt_len,
                          uint32_t l4_len, uint16_t frag, uint16_t id)
{
    uint32_t hlen = 20 + opt_len;
    memset(ip, 0, hlen);
    ip[0] = (uint8_t)(0x40 | hlen / 4);
    put16(ip + 2, hlen + l4_len);
    put16(ip + 4, id);
    put16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    if (opt_len) {
        memset(ip + 20, 1, opt_len);
        ip[20] = 0x94; /* router alert (RFC 2113), copied into fragments */
        ip[21] = 4;
    }
    set_ip_csum(ip);
    return hlen;
}

static uint16_t udp_csum(uint32_t src, uint32_t dst, const uint8_t *u, uint32_t len)
{
    return inet_csum_fold(inet_csum_add(inet_csum_pseudo(src, dst, 17, len), u, len));
}

/* A UDP datagram sport -> dport with `len` bytes of payload. */
static uint32_t udp(uint8_t *u, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    uint32_t len)
{
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, 8 + len);
    put16(u + 6, 0);
    for (uint32_t k = 0; k < len; k++)
        u[8 + k] = (uint8_t)(k + 1);
    put16(u + 6, udp_csum(src, dst, u, 8 + len));
    return 8 + len;
}

/* a:5000 -> b:9, 16 bytes of payload, in IPv4 with opt_len bytes of options. */
static uint32_t udp_frame(uint8_t *f, uint32_t opt_len)
{
    eth(f, 0x0800);
    uint8_t *ip = f + 14;
    uint32_t ulen = udp(ip + 20 + opt_len, A_IP, B_IP, 5000, 9, 16);
    return 14 + ip_header(ip, A_IP, B_IP, 17, opt_len, ulen, 0, 0x1234) + ulen;
}

/* ---- ARP ---- */

Test(malformed, arp_cut_at_every_length_is_dropped)
{
    setup();
    uint8_t f[64];
    uint32_t full = arp_request(f);
    for (uint32_t len = 0; len < full; len++) {
        inject_exact(f, len);
        cr_assert_eq(malformed_at_b(), len + 1, "ARP cut at %u bytes", len);
    }
    cr_expect_eq(sent_by_b(0x0806, -1), 0, "no reply to a cut request");
    inject_exact(f, full);
    cr_expect_eq(malformed_at_b(), full);
    cr_expect_eq(sent_by_b(0x0806, -1), 1, "the whole request is answered");
}

/* ---- IPv4 and UDP ---- */

static void ip_cut_at_every_length(uint32_t opt_len)
{
    setup();
    cr_assert(udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R));
    uint8_t f[128];
    uint32_t full = udp_frame(f, opt_len);
    for (uint32_t len = 0; len < full; len++) {
        inject_exact(f, len);
        cr_assert_eq(malformed_at_b(), len + 1, "cut at %u bytes", len);
    }
    cr_expect_eq(R.n_recv, 0);
    inject_exact(f, full);
    cr_expect_eq(R.n_recv, 1, "the whole frame is delivered");
    cr_expect_eq(R.last_len, 16);
    cr_expect_eq(malformed_at_b(), full);
}

Test(malformed, ipv4_udp_frame_cut_at_every_length_is_dropped)
{
    ip_cut_at_every_length(0);
}

Test(malformed, ipv4_with_options_cut_at_every_length_is_dropped)
{
    ip_cut_at_every_length(4);
    cr_expect_eq(host_counter(W.h[1]).drop_checksum, 0);
}

/* The IPv4 total length shrunk to every value below the whole (header
 * checksum corrected): the header, then UDP, finds too few bytes. */
static void total_length_cut_everywhere(uint32_t opt_len)
{
    setup();
    cr_assert(udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R));
    uint8_t f[128];
    uint32_t full = udp_frame(f, opt_len);
    uint32_t total = full - 14;
    for (uint32_t k = 0; k < total; k++) {
        uint8_t g[128];
        memcpy(g, f, full);
        put16(g + 14 + 2, k);
        set_ip_csum(g + 14);
        inject_exact(g, 14 + k);
        cr_assert_eq(malformed_at_b(), k + 1, "total length %u", k);
    }
    cr_expect_eq(R.n_recv, 0);
    cr_expect_eq(host_counter(W.h[1]).udp_no_port, 0);
    cr_expect_eq(sent_by_b(0x0800, 1), 0, "no ICMP about malformed datagrams");
}

Test(malformed, udp_cut_by_the_ip_total_length_is_dropped)
{
    total_length_cut_everywhere(0);
}

Test(malformed, udp_with_ip_options_cut_by_the_ip_total_length_is_dropped)
{
    total_length_cut_everywhere(4);
}

Test(malformed, ihl_below_five_or_beyond_the_total_is_dropped)
{
    setup();
    uint8_t f[128];
    uint32_t full = udp_frame(f, 0);
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        f[14] = (uint8_t)(0x40 | ihl);
        inject_exact(f, full);
    }
    cr_expect_eq(malformed_at_b(), 5);
    /* IHL 15 (60 bytes) with a total length of 44: header longer than packet. */
    uint8_t g[128];
    memset(g, 0, sizeof(g));
    memcpy(g, f, full);
    g[14] = 0x4f;
    put16(g + 16, 44);
    set_ip_csum(g + 14);
    inject_exact(g, 14 + 60);
    cr_expect_eq(malformed_at_b(), 6);
}

/* ---- ICMP ---- */

/* An ICMP destination unreachable from a to b quoting b's datagram
 * b:7000 -> a:9 whose IP header has q_opt bytes of options. */
static uint32_t icmp_error_msg(uint8_t *m, uint32_t q_opt)
{
    memset(m, 0, 8);
    m[0] = 3;
    m[1] = 3;
    uint8_t *q = m + 8;
    uint8_t l4[8];
    udp(l4, B_IP, A_IP, 7000, 9, 0);
    uint32_t qh = ip_header(q, B_IP, A_IP, 17, q_opt, 8, 0, 0x777);
    memcpy(q + qh, l4, 8);
    return 8 + qh + 8;
}

/* The ICMP message m cut to k bytes with its checksum recomputed over them. */
static uint32_t icmp_frame(uint8_t *f, const uint8_t *m, uint32_t k)
{
    eth(f, 0x0800);
    uint8_t *icmp = f + 14 + 20;
    memcpy(icmp, m, k);
    if (k >= 4) {
        put16(icmp + 2, 0);
        put16(icmp + 2, inet_csum_fold(inet_csum_add(0, icmp, k)));
    }
    return 14 + ip_header(f + 14, A_IP, B_IP, 1, 0, k, 0, 0x4321) + k;
}

static void icmp_error_quote_cut(uint32_t q_opt)
{
    setup();
    struct udp_rec tx = {0};
    cr_assert(udp_open(W.h[1], 7000, "tx", &udp_rec_ops, &tx));
    uint8_t m[64];
    uint32_t full = icmp_error_msg(m, q_opt);
    /* The ICMP header, the quoted IP header and the quoted ports are needed. */
    uint32_t need = 8 + 20 + q_opt + 4;
    for (uint32_t k = 0; k <= full; k++) {
        uint8_t f[128];
        inject_exact(f, icmp_frame(f, m, k));
        uint32_t bad = k < need ? k + 1 : need;
        cr_assert_eq(malformed_at_b(), bad, "ICMP message cut at %u bytes", k);
        cr_assert_eq(tx.n_err, k < need ? 0 : k - need + 1, "ICMP message cut at %u bytes", k);
    }
    cr_expect_eq(tx.err.type, 3);
    cr_expect_eq(tx.err.code, 3);
    cr_expect_eq(tx.err.sport, 7000);
    cr_expect_eq(tx.err.dport, 9);
    cr_expect_eq(host_counter(W.h[1]).drop_checksum, 0);
}

Test(malformed, icmp_error_with_its_quoted_header_cut_is_dropped)
{
    icmp_error_quote_cut(0);
}

Test(malformed, icmp_error_quoting_ip_options_cut_is_dropped)
{
    icmp_error_quote_cut(8);
}

Test(malformed, icmp_shorter_than_its_header_is_dropped)
{
    setup();
    uint8_t m[8] = {8, 0, 0, 0, 0, 1, 0, 1}; /* echo request */
    for (uint32_t k = 0; k < 8; k++) {
        uint8_t f[64];
        inject_exact(f, icmp_frame(f, m, k));
        cr_assert_eq(malformed_at_b(), k + 1);
    }
    run_for(&W, SIM_SEC);
    cr_expect_eq(sent_by_b(0x0800, 1), 0, "no echo reply");
}

/* ---- fragments ---- */

/* Fragment `id` of a:5000 -> b:9: payload bytes [off, off + len) of a
 * datagram, MF as given, with opt_len bytes of options. */
static uint32_t frag_frame(uint8_t *f, uint16_t id, uint32_t off, uint32_t len, bool mf,
                           uint32_t opt_len)
{
    eth(f, 0x0800);
    uint8_t *ip = f + 14;
    uint32_t hlen = 20 + opt_len;
    for (uint32_t k = 0; k < len; k++)
        ip[hlen + k] = (uint8_t)(off + k);
    uint16_t frag = (uint16_t)(off / 8 | (mf ? 0x2000 : 0));
    return 14 + ip_header(ip, A_IP, B_IP, 17, opt_len, len, frag, id) + len;
}

static void fragment_cut_everywhere(uint32_t opt_len)
{
    setup();
    uint8_t f[128];
    uint16_t id = 100;
    uint32_t drops = 0;
    /* A first and a last fragment, cut at every length. */
    for (int last = 0; last < 2; last++) {
        uint32_t full = frag_frame(f, 0, last ? 16 : 0, 16, !last, opt_len);
        for (uint32_t len = 0; len < full; len++) {
            frag_frame(f, id++, last ? 16 : 0, 16, !last, opt_len);
            inject_exact(f, len);
            cr_assert_eq(malformed_at_b(), ++drops, "fragment cut at %u bytes", len);
        }
    }
    /* Fragments left with no data: a non-final one shorter than 8 bytes
     * (trimmed to a multiple of 8), a final one of none. */
    for (uint32_t len = 0; len < 8; len++) {
        inject_exact(f, frag_frame(f, id++, 0, len, true, opt_len));
        cr_assert_eq(malformed_at_b(), ++drops, "first fragment of %u bytes", len);
    }
    inject_exact(f, frag_frame(f, id++, 16, 0, false, opt_len));
    cr_assert_eq(malformed_at_b(), ++drops);
    cr_expect_eq(host_counter(W.h[1]).reassembled, 0);
    cr_expect_eq(host_counter(W.h[1]).ip_delivered, 0);
}

Test(malformed, fragment_cut_at_every_length_is_dropped)
{
    fragment_cut_everywhere(0);
}

Test(malformed, fragment_with_options_cut_at_every_length_is_dropped)
{
    fragment_cut_everywhere(4);
}
