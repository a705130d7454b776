/* IPv4 fragmentation and reassembly. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static struct world W;
static struct udp_rec R;
static uint8_t DG[4000]; /* a UDP datagram from a (10.0.0.1:5000) to b (10.0.0.2:9) */
static uint32_t DG_LEN;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(frag, .fini = fini);

static uint8_t pattern(uint32_t k)
{
    return (uint8_t)(k * 7 + 3);
}

static void setup_two(void)
{
    world_two(&W);
    memset(&R, 0, sizeof(R));
    cr_assert(udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R));
}

static bool intact(uint32_t len)
{
    if (R.last_len != len)
        return false;
    for (uint32_t k = 0; k < len; k++)
        if (R.last_data[k] != pattern(k))
            return false;
    return true;
}

static struct udp_sock *sender(struct host *h, struct udp_rec *rec)
{
    struct udp_sock *s = udp_open(h, 5000, "src", &udp_rec_ops, rec);
    cr_assert(s);
    return s;
}

static enum ip4_send_result send_pattern(struct udp_sock *s, uint32_t dst, uint32_t len, bool df)
{
    static uint8_t data[70000];
    for (uint32_t k = 0; k < len; k++)
        data[k] = pattern(k);
    return udp_sendto(s, dst, 9, data, len, &(struct ip4_send_opts){.df = df});
}

/* Builds DG: a UDP datagram of `len` payload bytes with a valid checksum. */
static void build_datagram(uint32_t len)
{
    DG_LEN = 8 + len;
    DG[0] = 0x13, DG[1] = 0x88, DG[2] = 0, DG[3] = 9;
    DG[4] = (uint8_t)(DG_LEN >> 8), DG[5] = (uint8_t)DG_LEN, DG[6] = DG[7] = 0;
    for (uint32_t k = 0; k < len; k++)
        DG[8 + k] = pattern(k);
    uint16_t c = inet_csum_fold(
        inet_csum_add(inet_csum_pseudo(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, DG_LEN), DG, DG_LEN));
    DG[6] = (uint8_t)(c >> 8), DG[7] = (uint8_t)c;
}

/* Injects DG[off, off+len) at b as a fragment of datagram `id`. */
static void inject_frag(uint16_t id, uint32_t off, uint32_t len, bool mf)
{
    struct host_iface *to = W.h[1]->ifaces[0];
    struct frame *f = mk_ip_frame(&W, to, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, DG + off, len);
    uint8_t *ip = f->data + 14;
    ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
    uint16_t fo = (uint16_t)(off / 8 | (mf ? 0x2000 : 0));
    ip[6] = (uint8_t)(fo >> 8), ip[7] = (uint8_t)fo;
    set_ip_csum(ip);
    inject(&W, to, f);
}

static uint32_t count_icmp(const struct wire *wi, int side, uint8_t type, uint8_t code)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < wi->n_cap; k++) {
        const uint8_t *ip = cap_ip(&wi->cap[k]);
        if (wi->cap[k].side == side && ip && ip[9] == 1 && ip[20] == type && ip[21] == code)
            n++;
    }
    return n;
}

Test(frag, large_datagram_is_split_on_8_byte_boundaries)
{
    setup_two();
    struct udp_sock *s = sender(W.h[0], NULL);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 3000, false), IP4_SENT);
    run_for(&W, SIM_SEC);
    const uint32_t want_len[3] = {1500, 1500, 20 + 48};
    const uint16_t want_off[3] = {0x2000 | 0, 0x2000 | 185, 370};
    uint32_t n = 0;
    uint16_t id = 0;
    for (uint32_t k = 0; k < W.w[0].n_cap; k++) {
        const uint8_t *ip = cap_ip(&W.w[0].cap[k]);
        if (!ip || W.w[0].cap[k].side != 0)
            continue;
        cr_assert_lt(n, 3);
        cr_assert_eq((uint32_t)(ip[2] << 8 | ip[3]), want_len[n], "fragment %u", n);
        cr_assert_eq(ip[6] << 8 | ip[7], want_off[n], "fragment %u", n);
        cr_assert_eq(inet_csum_fold(inet_csum_add(0, ip, 20)), 0);
        if (n == 0)
            id = (uint16_t)(ip[4] << 8 | ip[5]);
        cr_assert_eq(ip[4] << 8 | ip[5], id, "one identification");
        n++;
    }
    cr_assert_eq(n, 3);
    cr_assert_eq(host_counter(W.h[0]).frags_out, 3);
}

Test(frag, fragments_in_order_are_reassembled)
{
    setup_two();
    struct udp_sock *s = sender(W.h[0], NULL);
    send_pattern(s, IP(10, 0, 0, 2), 3000, false);
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(3000));
    cr_assert_eq(host_counter(W.h[1]).reassembled, 1);
}

Test(frag, fragments_in_reverse_order_are_reassembled)
{
    setup_two();
    build_datagram(100);
    inject_frag(7, 96, DG_LEN - 96, false);
    inject_frag(7, 48, 48, true);
    inject_frag(7, 0, 48, true);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(100));
}

Test(frag, duplicate_fragment_is_dropped_alone)
{
    setup_two();
    build_datagram(100);
    inject_frag(7, 0, 48, true);
    inject_frag(7, 0, 48, true);
    inject_frag(7, 48, 48, true);
    inject_frag(7, 56, 16, true); /* inside what arrived: also a duplicate */
    inject_frag(7, 96, DG_LEN - 96, false);
    cr_assert_eq(count_drops(&W, "b", "frag_duplicate"), 2);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(100));
}

Test(frag, partly_overlapping_fragment_discards_the_datagram)
{
    setup_two();
    build_datagram(100);
    inject_frag(7, 0, 48, true);
    inject_frag(7, 40, 24, true);
    cr_assert_eq(count_drops(&W, "b", "reassembly_overlap"), 1);
    inject_frag(7, 48, 48, true);
    inject_frag(7, 96, DG_LEN - 96, false);
    cr_assert_eq(R.n_recv, 0, "what remains never completes");
}

Test(frag, incomplete_datagram_times_out_with_time_exceeded)
{
    setup_two();
    build_datagram(100);
    inject_frag(7, 0, 48, true);
    run_for(&W, 29 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "reassembly_timeout"), 0);
    run_for(&W, 2 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "reassembly_timeout"), 1);
    cr_assert_eq(count_timers(&W, "b", "reassembly"), 1);
    cr_assert_eq(count_icmp(&W.w[0], 1, ICMP_TIME_EXCEEDED, 1), 1);
    cr_assert_eq(host_counter(W.h[1]).drop_reassembly, 1);
}

Test(frag, timeout_without_first_fragment_sends_no_icmp)
{
    setup_two();
    build_datagram(100);
    inject_frag(7, 48, 48, true);
    run_for(&W, 31 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "reassembly_timeout"), 1);
    cr_assert_eq(count_icmp(&W.w[0], 1, ICMP_TIME_EXCEEDED, 1), 0);
}

Test(frag, pending_reassemblies_are_bounded)
{
    setup_two();
    build_datagram(100);
    for (uint16_t id = 0; id < 65; id++)
        inject_frag(id, 48, 48, true);
    cr_assert_eq(count_drops(&W, "b", "reassembly_full"), 1);
    /* The oldest (id 0) went: its other pieces start afresh (evicting id 1)
     * and never complete; id 2 is still pending and does. */
    inject_frag(0, 0, 48, true);
    inject_frag(0, 96, DG_LEN - 96, false);
    cr_assert_eq(R.n_recv, 0);
    cr_assert_eq(count_drops(&W, "b", "reassembly_full"), 2);
    inject_frag(2, 0, 48, true);
    inject_frag(2, 96, DG_LEN - 96, false);
    cr_assert_eq(R.n_recv, 1);
}

Test(frag, router_fragments_for_a_smaller_mtu)
{
    world_three(&W, 576);
    memset(&R, 0, sizeof(R));
    udp_open(W.h[2], 9, "sink", &udp_rec_ops, &R);
    struct udp_sock *s = sender(W.h[0], NULL);
    send_pattern(s, IP(10, 0, 2, 1), 1000, false);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_frames(&W.w[1], 0, 0x0800, 17), 2);
    cr_assert_eq(host_counter(W.h[1]).frags_out, 2);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(1000));
}

Test(frag, df_too_big_at_router_sends_frag_needed_with_mtu)
{
    world_three(&W, 576);
    struct udp_rec src = {0};
    struct udp_sock *s = sender(W.h[0], &src);
    cr_assert_eq(send_pattern(s, IP(10, 0, 2, 1), 1000, true), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "r", "frag_needed"), 1);
    cr_assert_eq(src.n_err, 1);
    cr_assert_eq(src.err.type, ICMP_DEST_UNREACH);
    cr_assert_eq(src.err.code, ICMP_FRAG_NEEDED);
    cr_assert_eq(src.err.mtu, 576);
}

Test(frag, df_too_big_locally_is_refused)
{
    setup_two();
    struct udp_sock *s = sender(W.h[0], NULL);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 1473, true), IP4_TOO_BIG);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 1472, true), IP4_SENT);
}

Test(frag, datagram_larger_than_a_frame_travels_in_fragments)
{
    setup_two();
    struct udp_sock *s = sender(W.h[0], NULL);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 20000, false), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(20000));
}

Test(frag, largest_datagram_is_reassembled)
{
    setup_two();
    struct udp_sock *s = sender(W.h[0], NULL);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 65507, false), IP4_SENT);
    cr_assert_eq(send_pattern(s, IP(10, 0, 0, 2), 65508, false), IP4_TOO_BIG);
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 1);
    cr_assert(intact(65507));
}

/* Injects at b a fragment zero of `id` carrying l4[0, 8) behind a 60-byte
 * header (40 bytes of NOP options). */
static void inject_first_with_options(uint16_t id, const uint8_t *l4)
{
    struct host_iface *to = W.h[1]->ifaces[0];
    struct frame *f = mk_ip_frame(&W, to, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, l4, 48);
    uint8_t *ip = f->data + 14;
    memmove(ip + 60, ip + 20, 8);
    memset(ip + 20, 1, 40);
    ip[0] = 0x4f;
    ip[2] = 0, ip[3] = 68;
    ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
    ip[6] = 0x20, ip[7] = 0;
    set_ip_csum(ip);
    f->len = 14 + 68;
    inject(&W, to, f);
}

Test(frag, reassembled_datagram_longer_than_65535_with_its_header_is_dropped)
{
    /* Fragment zero's 60-byte header plus 65515 bytes of data: 65575 bytes,
     * more than an IPv4 datagram can be (RFC 791).  Each fragment alone is
     * fine; Linux's ip_frag_reasm refuses the whole ("Oversized IP packet"). */
    setup_two();
    static uint8_t l4[65515];
    for (uint32_t k = 0; k < sizeof(l4); k++)
        l4[k] = pattern(k);
    l4[0] = 0x13, l4[1] = 0x88, l4[2] = 0, l4[3] = 9; /* 5000 -> 9 */
    l4[4] = 0xff, l4[5] = 0xeb, l4[6] = l4[7] = 0;    /* UDP length 65515, no checksum */
    inject_first_with_options(77, l4);
    struct host_iface *to = W.h[1]->ifaces[0];
    for (uint32_t off = 8; off < sizeof(l4); off += 8000) {
        uint32_t n = sizeof(l4) - off < 8000 ? (uint32_t)sizeof(l4) - off : 8000;
        struct frame *f =
            mk_ip_frame(&W, to, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, l4 + off, n);
        uint8_t *ip = f->data + 14;
        ip[4] = 0, ip[5] = 77;
        uint16_t fo = (uint16_t)(off / 8 | (off + n < sizeof(l4) ? 0x2000 : 0));
        ip[6] = (uint8_t)(fo >> 8), ip[7] = (uint8_t)fo;
        set_ip_csum(ip);
        inject(&W, to, f);
    }
    run_for(&W, SIM_SEC);
    cr_expect_eq(R.n_recv, 0, "an oversized datagram is not delivered");
    cr_expect_eq(host_counter(W.h[1]).reassembled, 0);
    cr_expect_eq(count_drops(&W, "b", "reassembly_oversize"), 1);
}
