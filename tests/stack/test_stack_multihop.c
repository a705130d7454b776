/* Whole paths through routers on the simulator's real links: ping, traceroute
 * and a fragmented datagram across host - r1 - r2 - host (the middle link has
 * an MTU of 576), determinism of the trace, and forwarding across three
 * routers with TTL and header checksum checked on every hop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "apps/apps.h"
#include "chain.h"
#include "sim/sinks.h"
#include "stack/icmp.h"
#include "stack/ip4.h"
#include "stack/udp.h"

static struct host_counters host_counter(const struct host *h)
{
    struct host_counters c;
    host_counters_get(h, &c);
    return c;
}

/* a -1ms- r1 -10ms/MTU 576- r2 -2ms- b */
static const struct chain_link_cfg path4[3] = {
    {.delay = 1 * SIM_MS}, {.delay = 10 * SIM_MS, .mtu = 576}, {.delay = 2 * SIM_MS}};
static const sim_time one_way = 13 * SIM_MS;

static struct chain C;

static void fini(void)
{
    if (C.n)
        chain_free(&C);
}

TestSuite(multihop, .fini = fini);

static uint32_t b_addr(void)
{
    return chain_addr(C.n - 2, 1);
}

static struct app *start_ping(uint32_t count)
{
    struct app_ping_cfg cfg = {
        .id = "ping", .dst = b_addr(), .at = 0, .interval = SIM_SEC, .count = count};
    struct app *p = app_ping_create(C.h[0], &cfg);
    cr_assert_not_null(p);
    return p;
}

Test(multihop, ping_rtt_is_the_path_delay_after_arp_on_every_link)
{
    chain_build(&C, 4, path4, 1);
    struct app *p = start_ping(4);
    chain_run_until(&C, 10 * SIM_SEC);
    const struct chain_app_ev *ev[8];
    cr_assert_eq(chain_app_events(&C, "ping", "reply", ev, 8), 4);
    /* The first request waits for one ARP exchange on each of the 3 links on
     * the way out (each a round trip of that link); the replies find every
     * next hop already cached, as each ARP target learned its requester. */
    cr_expect_eq(ev[0]->rtt, 2 * one_way + 2 * one_way, "first rtt %lld", (long long)ev[0]->rtt);
    for (int k = 1; k < 4; k++)
        cr_expect_eq(ev[k]->rtt, 2 * one_way, "rtt %d: %lld", k, (long long)ev[k]->rtt);
    struct app_stats st;
    cr_assert(app_stats(p, NULL, &st));
    cr_expect_eq(st.ping_sent, 4);
    cr_expect_eq(st.ping_received, 4);
    cr_expect_eq(st.rtt_min, 2 * one_way);
    cr_expect_eq(st.rtt_max, 4 * one_way);
    app_destroy(p);
}

/* The address traceroute printed for a hop (" 2  10.0.1.2  22.000 ms ..."). */
static void hop_addr(const struct chain_app_ev *e, unsigned *ttl, char addr[16])
{
    cr_assert_eq(sscanf(e->detail, "%u %15s", ttl, addr), 2, "hop line '%s'", e->detail);
}

static void ip_str(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

Test(multihop, traceroute_names_each_router_then_the_destination)
{
    chain_build(&C, 4, path4, 1);
    struct app_traceroute_cfg cfg = {.id = "trace", .dst = b_addr()};
    struct app *t = app_traceroute_create(C.h[0], &cfg);
    cr_assert_not_null(t);
    chain_run_until(&C, 30 * SIM_SEC);
    const struct chain_app_ev *ev[8];
    cr_assert_eq(chain_app_events(&C, "trace", "hop", ev, 8), 3);
    /* Routers answer from the interface toward the sender (Linux). */
    const uint32_t want[3] = {chain_addr(0, 1), chain_addr(1, 1), chain_addr(2, 1)};
    for (unsigned k = 0; k < 3; k++) {
        unsigned ttl;
        char got[16], exp[16];
        hop_addr(ev[k], &ttl, got);
        ip_str(want[k], exp);
        cr_expect_eq(ttl, k + 1);
        cr_expect_str_eq(got, exp, "hop %u", k + 1);
        cr_expect_eq(ev[k]->total, k + 1);
    }
    struct app_stats st;
    cr_assert(app_stats(t, NULL, &st));
    cr_expect(st.reached);
    cr_expect_eq(st.hops, 3);
    /* Hops 1 and 2 each drop their probes for TTL; b answers port unreachable. */
    cr_expect_eq(chain_count_drops(&C, "ttl"), 6);
    cr_expect_eq(chain_count_drops(&C, "no_port"), 3);
    app_destroy(t);
}

static void fill(uint8_t *buf, uint32_t len)
{
    for (uint32_t k = 0; k < len; k++)
        buf[k] = (uint8_t)(k * 7 + k / 251 + 3);
}

Test(multihop, datagram_of_4000_bytes_crosses_the_576_byte_link_intact)
{
    chain_build(&C, 4, path4, 1);
    static struct chain_udp_rec rx;
    memset(&rx, 0, sizeof(rx));
    struct udp_sock *sink = udp_open(C.h[3], 9000, "rx", &chain_udp_rec_ops, &rx);
    struct udp_sock *src = udp_open(C.h[0], 0, "tx", NULL, NULL);
    cr_assert(sink && src);
    static uint8_t data[4000];
    fill(data, sizeof(data));
    cr_assert_eq(udp_sendto(src, b_addr(), 9000, data, sizeof(data), NULL), IP4_SENT);
    chain_run_until(&C, SIM_SEC);

    cr_assert_eq(rx.n_recv, 1);
    cr_assert_eq(rx.last_len, sizeof(data));
    cr_assert_eq(memcmp(rx.last_data, data, sizeof(data)), 0, "payload differs");
    cr_expect_eq(rx.last_src, chain_addr(0, 0));
    cr_expect_eq(host_counter(C.h[3]).reassembled, 1);
    cr_expect_eq(host_counter(C.h[3]).drop_reassembly, 0);

    /* On the small link every frame fits, and only r1 had to cut again. */
    const struct chain_frame *f[64];
    uint32_t n = chain_frames_on(&C, TRACE_TX, chain_iface(&C, 1, 1), f, 64);
    uint32_t frags = 0;
    for (uint32_t k = 0; k < n && k < 64; k++) {
        cr_expect_leq(f[k]->len, 14 + 576, "frame %u is %u bytes", k, f[k]->len);
        const uint8_t *ip = f[k]->data + 14;
        if (f[k]->data[12] == 0x08 && f[k]->data[13] == 0 && ip[9] == 17)
            frags++;
    }
    /* 4008 bytes of UDP: 1480 + 1480 + 1048 from a, then 552-byte pieces. */
    cr_expect_eq(frags, 3 + 3 + 2);
    cr_expect_eq(host_counter(C.h[1]).frags_out, 8);
    cr_expect_eq(host_counter(C.h[2]).frags_out, 0);
    udp_close(src);
    udp_close(sink);
}

/* ---- determinism ---- */

/* Builds the 4-host world with ping, traceroute and a large datagram, runs it
 * and returns the digest of its JSON Lines trace. */
static void run_digest(uint64_t seed, char digest[72])
{
    chain_build(&C, 4, path4, seed);
    struct jsonl_sink *j = jsonl_sink_create(NULL, true);
    cr_assert_not_null(j);
    trace_bus_add_sink(&C.sim.bus, jsonl_sink_base(j));
    struct app *p = start_ping(3);
    struct app_traceroute_cfg tc = {.id = "trace", .dst = b_addr(), .at = 4 * SIM_SEC};
    struct app *t = app_traceroute_create(C.h[0], &tc);
    struct app_udp_sink_cfg sc = {.id = "rx", .port = 9000};
    struct app *rx = app_udp_sink_create(C.h[3], &sc);
    struct app_udp_sender_cfg uc = {
        .id = "tx", .dst = b_addr(), .dport = 9000, .at = 9 * SIM_SEC, .count = 2, .size = 4000};
    uc.interval = 100 * SIM_MS;
    struct app *tx = app_udp_sender_create(C.h[0], &uc);
    cr_assert(t && rx && tx);
    chain_run_until(&C, 20 * SIM_SEC);
    cr_assert(jsonl_sink_finish(j, digest));
    struct app_stats st;
    cr_assert(app_stats(rx, NULL, &st));
    cr_expect_eq(st.datagrams, 2);
    cr_expect(st.intact);
    app_destroy(p);
    app_destroy(t);
    app_destroy(rx);
    app_destroy(tx);
    chain_free(&C);
    jsonl_sink_destroy(j);
}

Test(multihop, the_same_world_twice_gives_the_same_digest)
{
    char d1[72], d2[72], d3[72];
    run_digest(5, d1);
    run_digest(5, d2);
    cr_assert_eq(strncmp(d1, "sha256:", 7), 0, "digest '%s'", d1);
    cr_assert_str_eq(d1, d2);
    /* The digest does see the seed (IP identifications, ports, ICMP ids). */
    run_digest(6, d3);
    cr_assert_str_neq(d1, d3);
}

/* ---- forwarding across three routers ---- */

static const struct chain_link_cfg path5[4] = {
    {.delay = SIM_MS}, {.delay = SIM_MS}, {.delay = SIM_MS}, {.delay = SIM_MS}};

/* The one UDP frame received at the right end of link k. */
static const uint8_t *udp_packet_at(uint32_t link)
{
    const struct chain_frame *f[16];
    uint32_t n = chain_frames_on(&C, TRACE_RX, chain_iface(&C, link + 1, link), f, 16);
    const uint8_t *found = NULL;
    for (uint32_t k = 0; k < n && k < 16; k++) {
        const uint8_t *ip = f[k]->data + 14;
        if (f[k]->data[12] == 0x08 && ip[9] == 17) {
            cr_assert_null(found, "one UDP packet on link %u", link);
            found = ip;
        }
    }
    cr_assert_not_null(found, "no UDP packet reached the end of link %u", link);
    return found;
}

static uint16_t fresh_checksum(const uint8_t *ip)
{
    uint8_t h[60];
    uint32_t hlen = (uint32_t)(ip[0] & 0xf) * 4;
    memcpy(h, ip, hlen);
    h[10] = h[11] = 0;
    return inet_csum_fold(inet_csum_add(0, h, hlen));
}

Test(multihop, three_routers_decrement_ttl_and_keep_the_checksum_right)
{
    chain_build(&C, 5, path5, 1);
    static struct chain_udp_rec rx;
    memset(&rx, 0, sizeof(rx));
    struct udp_sock *sink = udp_open(C.h[4], 9000, "rx", &chain_udp_rec_ops, &rx);
    struct udp_sock *src = udp_open(C.h[0], 5000, "tx", NULL, NULL);
    uint8_t data[100];
    fill(data, sizeof(data));
    cr_assert_eq(udp_sendto(src, chain_addr(3, 1), 9000, data, sizeof(data),
                            &(struct ip4_send_opts){.ttl = 64}),
                 IP4_SENT);
    chain_run_until(&C, SIM_SEC);
    cr_assert_eq(rx.n_recv, 1);
    cr_assert_eq(memcmp(rx.last_data, data, sizeof(data)), 0);
    const uint8_t *first = udp_packet_at(0);
    for (uint32_t k = 0; k < 4; k++) {
        const uint8_t *ip = udp_packet_at(k);
        cr_expect_eq(ip[8], 64 - k, "TTL on link %u", k);
        uint16_t stored = (uint16_t)(ip[10] << 8 | ip[11]);
        cr_expect_eq(stored, fresh_checksum(ip), "header checksum on link %u", k);
        /* Nothing but the TTL and the checksum changes on the way. */
        cr_expect_eq(memcmp(ip, first, 8), 0);
        cr_expect_eq(memcmp(ip + 9, first + 9, 1), 0);
        cr_expect_eq(memcmp(ip + 12, first + 12, 8 + 8 + sizeof(data)), 0);
    }
    for (uint32_t k = 1; k <= 3; k++)
        cr_expect_eq(C.h[k]->c.ip_forwarded, 1, "r%u forwarded", k);
    udp_close(src);
    udp_close(sink);
}

/* A datagram sent with `ttl`; returns what the sender's socket saw. */
static void send_with_ttl(uint8_t ttl, struct chain_udp_rec *tx, struct chain_udp_rec *rx)
{
    chain_build(&C, 5, path5, 1);
    memset(tx, 0, sizeof(*tx));
    memset(rx, 0, sizeof(*rx));
    struct udp_sock *sink = udp_open(C.h[4], 9000, "rx", &chain_udp_rec_ops, rx);
    struct udp_sock *src = udp_open(C.h[0], 5000, "tx", &chain_udp_rec_ops, tx);
    const uint8_t msg[4] = "ttl!";
    cr_assert_eq(udp_sendto(src, chain_addr(3, 1), 9000, msg, sizeof(msg),
                            &(struct ip4_send_opts){.ttl = ttl}),
                 IP4_SENT);
    chain_run_until(&C, SIM_SEC);
    udp_close(src);
    udp_close(sink);
}

Test(multihop, ttl_of_4_is_just_enough_for_three_routers)
{
    struct chain_udp_rec tx, rx;
    send_with_ttl(4, &tx, &rx);
    cr_expect_eq(rx.n_recv, 1);
    cr_expect_eq(tx.n_err, 0);
    cr_expect_eq(udp_packet_at(3)[8], 1, "arrives with TTL 1");
}

Test(multihop, ttl_of_3_expires_at_the_third_router)
{
    struct chain_udp_rec tx, rx;
    send_with_ttl(3, &tx, &rx);
    cr_expect_eq(rx.n_recv, 0);
    cr_assert_eq(tx.n_err, 1);
    cr_expect_eq(tx.err.type, ICMP_TIME_EXCEEDED);
    cr_expect_eq(tx.err.code, 0);
    cr_expect_eq(tx.err.from, chain_addr(2, 1), "r3's address toward the sender");
    cr_expect_eq(tx.err.sport, 5000);
    cr_expect_eq(tx.err.dport, 9000);
    cr_expect_eq(host_counter(C.h[3]).drop_ttl, 1);
    cr_expect_eq(host_counter(C.h[1]).drop_ttl + host_counter(C.h[2]).drop_ttl, 0);
    /* The error crossed r2 and r1 on its way back with valid headers. */
    const struct chain_frame *f[16];
    uint32_t n = chain_frames_on(&C, TRACE_RX, chain_iface(&C, 0, 0), f, 16);
    uint32_t icmp = 0;
    for (uint32_t k = 0; k < n && k < 16; k++) {
        const uint8_t *ip = f[k]->data + 14;
        if (f[k]->data[12] != 0x08 || ip[9] != 1)
            continue;
        icmp++;
        cr_expect_eq(ip[8], 64 - 2, "the error's TTL after two routers");
        cr_expect_eq((uint16_t)(ip[10] << 8 | ip[11]), fresh_checksum(ip));
    }
    cr_expect_eq(icmp, 1);
}
