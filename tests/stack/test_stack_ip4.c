/* IPv4: validation, delivery, forwarding, routing errors, loopback, checksums. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static struct world W;
static struct udp_rec R;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(ip4, .fini = fini);

static void send_from(struct host *h, uint16_t sport, uint32_t dst, uint32_t len,
                      const struct ip4_send_opts *o, struct udp_rec *rec)
{
    static const uint8_t data[2000];
    static struct udp_rec ignored;
    struct udp_sock *s = udp_open(h, sport, "src", &udp_rec_ops, rec ? rec : &ignored);
    cr_assert(s);
    udp_sendto(s, dst, 9, data, len, o);
}

static const uint8_t *last_ip(const struct wire *wi, int side)
{
    for (uint32_t k = wi->n_cap; k-- > 0;)
        if (wi->cap[k].side == side && cap_ip(&wi->cap[k]))
            return cap_ip(&wi->cap[k]);
    return NULL;
}

static bool header_ok(const uint8_t *ip)
{
    return inet_csum_fold(inet_csum_add(0, ip, 20)) == 0;
}

Test(ip4, checksum_matches_rfc1071_example)
{
    /* RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    cr_assert_eq(inet_csum_fold(inet_csum_add(0, b, 8)), (uint16_t)~0xddf2);
    cr_assert_eq(inet_csum_fold(inet_csum_add(inet_csum_add(0, b, 4), b + 4, 4)), (uint16_t)~0xddf2,
                 "sums chain over even-length pieces");
}

/* RFC 1071 by its definition: 16-bit words, the last byte padded with zero,
 * carries added back. */
static uint16_t reference_csum(uint32_t sum, const uint8_t *p, uint32_t len)
{
    for (uint32_t k = 0; k + 1 < len; k += 2)
        sum += (uint32_t)(p[k] << 8 | p[k + 1]);
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

Test(ip4, checksum_of_every_length_and_alignment_matches_the_definition)
{
    uint8_t buf[80];
    uint32_t x = 12345;
    for (int round = 0; round < 40; round++) {
        for (uint32_t k = 0; k < sizeof(buf); k++) {
            x = x * 1103515245u + 12345u;
            /* Runs of 0xff and 0x00 too: the sums that fold to 0xffff or 0. */
            buf[k] = round % 4 == 1 ? 0xff : round % 4 == 2 ? 0 : (uint8_t)(x >> 16);
        }
        for (uint32_t off = 0; off < 4; off++)
            for (uint32_t len = 0; len + off <= 72; len++) {
                uint32_t start = round * 977u % 0x3fffu;
                cr_assert_eq(inet_csum_fold(inet_csum_add(start, buf + off, len)),
                             reference_csum(start, buf + off, len), "round %d off %u len %u", round,
                             off, len);
            }
    }
}

Test(ip4, checksum_of_full_size_segments_matches_the_definition)
{
    /* Long enough for the summing loop's vectorized body and its tails. */
    static uint8_t buf[1600];
    uint32_t x = 777;
    for (uint32_t k = 0; k < sizeof(buf); k++) {
        x = x * 1103515245u + 12345u;
        buf[k] = k % 97 < 40 ? 0xff : (uint8_t)(x >> 16);
    }
    for (uint32_t off = 0; off < 8; off++)
        for (uint32_t len = 1000; len + off <= sizeof(buf); len += 13)
            cr_assert_eq(inet_csum_fold(inet_csum_add(0x1fffe, buf + off, len)),
                         reference_csum(0x1fffe, buf + off, len), "off %u len %u", off, len);
}

Test(ip4, sent_header_is_well_formed)
{
    world_two(&W);
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    send_from(W.h[0], 5000, IP(10, 0, 0, 2), 100, &(struct ip4_send_opts){.ttl = 17, .df = true},
              NULL);
    run_for(&W, SIM_SEC);
    const uint8_t *ip = last_ip(&W.w[0], 0);
    cr_assert(ip);
    cr_assert_eq(ip[0], 0x45);
    cr_assert_eq(ip[2] << 8 | ip[3], 20 + 8 + 100);
    cr_assert_eq(ip[6] & 0x40, 0x40, "DF");
    cr_assert_eq(ip[8], 17);
    cr_assert_eq(ip[9], IP_PROTO_UDP);
    cr_assert(header_ok(ip));
    cr_assert_eq(R.n_recv, 1);
}

Test(ip4, identification_counts_up_per_datagram)
{
    world_two(&W);
    send_from(W.h[0], 5000, IP(10, 0, 0, 2), 1, NULL, NULL);
    send_from(W.h[0], 5001, IP(10, 0, 0, 2), 1, NULL, NULL);
    run_for(&W, SIM_SEC);
    const struct wire *wi = &W.w[0];
    const uint8_t *a = cap_ip(&wi->cap[2]), *b = cap_ip(&wi->cap[3]);
    cr_assert(a && b);
    cr_assert_eq((uint16_t)((b[4] << 8 | b[5]) - (a[4] << 8 | a[5])), 1);
}

Test(ip4, router_forwards_with_ttl_decremented_and_valid_checksum)
{
    world_three(&W, 1500);
    udp_open(W.h[2], 9, "sink", &udp_rec_ops, &R);
    send_from(W.h[0], 5000, IP(10, 0, 2, 1), 50, NULL, NULL);
    run_for(&W, SIM_SEC);
    const uint8_t *in = last_ip(&W.w[0], 0), *out = last_ip(&W.w[1], 0);
    cr_assert(in && out);
    cr_assert_eq(out[8], in[8] - 1);
    cr_assert(header_ok(out), "incrementally updated checksum verifies");
    cr_assert_eq(R.n_recv, 1);
    cr_assert_eq(host_counter(W.h[1]).ip_forwarded, 1);
}

Test(ip4, forwarded_frame_gets_its_own_id)
{
    world_three(&W, 1500);
    send_from(W.h[0], 5000, IP(10, 0, 2, 1), 50, NULL, NULL);
    run_for(&W, SIM_SEC);
    const struct capture *in = &W.w[0].cap[W.w[0].n_cap - 2]; /* before b's port unreachable */
    const struct capture *out = &W.w[1].cap[2];
    cr_assert_eq(cap_ip(in)[9], IP_PROTO_UDP);
    cr_assert_eq(cap_ip(out)[9], IP_PROTO_UDP);
    cr_assert_neq(in->id, out->id);
}

Test(ip4, ttl_expiry_drops_and_sends_time_exceeded)
{
    world_three(&W, 1500);
    struct udp_rec src = {0};
    send_from(W.h[0], 5000, IP(10, 0, 2, 1), 10, &(struct ip4_send_opts){.ttl = 1}, &src);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "r", "ttl"), 1);
    cr_assert_eq(count_frames(&W.w[1], 0, 0x0800, -1), 0, "not forwarded");
    cr_assert_eq(src.n_err, 1);
    cr_assert_eq(src.err.type, ICMP_TIME_EXCEEDED);
    cr_assert_eq(src.err.code, 0);
    cr_assert_eq(src.err.from, IP(10, 0, 1, 254));
    cr_assert_eq(src.err.sport, 5000);
    cr_assert_eq(src.err.dport, 9);
}

Test(ip4, bad_header_checksum_is_dropped)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, NULL, 0);
    f->data[14 + 8] ^= 0x10;
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "checksum"), 1);
    cr_assert_eq(host_counter(W.h[1]).drop_checksum, 1);
    cr_assert_eq(host_counter(W.h[1]).ip_in, 0);
}

Test(ip4, wrong_version_is_malformed)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, NULL, 0);
    f->data[14] = 0x65;
    set_ip_csum(f->data + 14);
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "malformed"), 1);
}

Test(ip4, total_length_beyond_frame_is_malformed)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, NULL, 0);
    f->data[14 + 3] = 200;
    set_ip_csum(f->data + 14);
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "malformed"), 1);
}

Test(ip4, ethernet_padding_is_ignored)
{
    world_two(&W);
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    uint8_t udp[8] = {0x13, 0x88, 0, 9, 0, 8, 0, 0};
    struct frame *f = mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64,
                                  udp, sizeof(udp));
    f->len = 60; /* padded to Ethernet's minimum */
    memset(f->data + 42, 0xaa, 18);
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(R.n_recv, 1);
    cr_assert_eq(R.last_len, 0);
}

Test(ip4, host_not_forwarding_drops_packets_for_others)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 77), 17, 64, NULL, 0);
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "not_for_us"), 1);
    cr_assert_eq(W.w[0].n_cap, 0, "nothing sent back");
}

/* A router forwards only frames addressed to its own MAC (Linux's ip_forward
 * drops every packet that did not arrive as PACKET_HOST). */
Test(ip4, router_does_not_forward_a_link_layer_broadcast)
{
    world_three(&W, 1500);
    struct host_iface *r1 = W.h[1]->ifaces[0];
    struct frame *f = mk_ip_frame(&W, r1, IP(10, 0, 1, 1), IP(10, 0, 2, 1), 17, 64, NULL, 0);
    memset(f->data, 0xff, 6);
    inject(&W, r1, f);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "r", "not_for_us"), 1);
    cr_assert_eq(host_counter(W.h[1]).ip_forwarded, 0);
    cr_assert_eq(W.w[1].n_cap, 0, "nothing sent toward b");
}

Test(ip4, local_output_without_route_fails)
{
    world_two(&W);
    struct frame *f = ip4_alloc(W.h[0], 8);
    memset(f->data + IP4_L4_OFF, 0, 8);
    cr_assert_eq(ip4_send(W.h[0], f, 0, IP(1, 1, 1, 1), 17, NULL), IP4_NO_ROUTE);
    cr_assert_eq(count_drops(&W, "a", "no_route"), 1);
}

Test(ip4, forwarded_without_route_sends_net_unreachable)
{
    world_three(&W, 1500);
    struct udp_rec src = {0};
    send_from(W.h[0], 5000, IP(172, 16, 0, 1), 10, NULL, &src);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "r", "no_route"), 1);
    cr_assert_eq(src.n_err, 1);
    cr_assert_eq(src.err.type, ICMP_DEST_UNREACH);
    cr_assert_eq(src.err.code, ICMP_NET_UNREACH);
}

Test(ip4, unknown_protocol_gets_protocol_unreachable)
{
    world_two(&W);
    struct frame *f = ip4_alloc(W.h[0], 4);
    memset(f->data + IP4_L4_OFF, 0, 4);
    cr_assert_eq(ip4_send(W.h[0], f, 0, IP(10, 0, 0, 2), 99, NULL), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "no_proto"), 1);
    const uint8_t *ip = last_ip(&W.w[0], 1);
    cr_assert(ip);
    cr_assert_eq(ip[9], IP_PROTO_ICMP);
    cr_assert_eq(ip[20], ICMP_DEST_UNREACH);
    cr_assert_eq(ip[21], ICMP_PROTO_UNREACH);
    cr_assert_eq(ip[20 + 8 + 9], 99, "quotes the offending header");
}

struct seen {
    uint32_t n;
    sim_time at;
    bool had_frame, had_iface;
    uint32_t src;
};

static void record_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
                         uint32_t len, sim_time now)
{
    (void)h, (void)l4, (void)len;
    struct seen *s = ctx;
    s->n++;
    s->at = now;
    s->had_frame = ip->frame != NULL;
    s->had_iface = ip->iface != NULL;
    s->src = ip->src;
}

Test(ip4, protocol_handler_gets_frame_and_interface)
{
    world_two(&W);
    struct seen seen = {0};
    host_register_proto(W.h[1], IP_PROTO_TCP, record_input, NULL, &seen);
    struct frame *f = ip4_alloc(W.h[0], 20);
    memset(f->data + IP4_L4_OFF, 0, 20);
    ip4_send(W.h[0], f, 0, IP(10, 0, 0, 2), IP_PROTO_TCP, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(seen.n, 1);
    cr_assert(seen.had_frame);
    cr_assert(seen.had_iface);
    cr_assert_eq(seen.src, IP(10, 0, 0, 1));
}

Test(ip4, packet_to_own_address_is_looped_back_later_at_the_same_time)
{
    world_two(&W);
    struct seen seen = {0};
    host_register_proto(W.h[0], 200, record_input, NULL, &seen);
    struct frame *f = ip4_alloc(W.h[0], 4);
    memset(f->data + IP4_L4_OFF, 0, 4);
    sim_time t0 = sim_now(&W.sim);
    cr_assert_eq(ip4_send(W.h[0], f, 0, IP(10, 0, 0, 1), 200, NULL), IP4_SENT);
    cr_assert_eq(seen.n, 0, "not delivered re-entrantly");
    run_for(&W, SIM_SEC);
    cr_assert_eq(seen.n, 1);
    cr_assert_eq(seen.at, t0);
    cr_assert_eq(W.w[0].n_cap, 0, "never on the wire");
}

Test(ip4, route_mtu_is_the_outgoing_interfaces)
{
    world_three(&W, 576);
    cr_assert_eq(ip4_route_mtu(W.h[1], IP(10, 0, 2, 1)), 576);
    cr_assert_eq(ip4_route_mtu(W.h[1], IP(10, 0, 1, 1)), 1500);
    cr_assert_eq(ip4_route_mtu(W.h[1], IP(99, 0, 0, 1)), 0);
}

Test(ip4, alloc_refuses_what_no_frame_holds)
{
    world_two(&W);
    cr_assert_null(ip4_alloc(W.h[0], 20000));
    struct frame *f = ip4_alloc(W.h[0], 100);
    cr_assert(f);
    cr_assert_eq(f->len, IP4_L4_OFF + 100);
    cr_assert_neq(f->id, 0);
    frame_free(&W.sim.frames, f);
}
