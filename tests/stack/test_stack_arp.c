/* ARP (RFC 826): resolution, cache, held frames, retries and failure. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"
#include "stack/stack_priv.h"

static struct world W;
static struct udp_rec R;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(arp, .fini = fini);

static struct udp_sock *sink_on(struct host *h, uint16_t port)
{
    memset(&R, 0, sizeof(R));
    struct udp_sock *s = udp_open(h, port, "sink", &udp_rec_ops, &R);
    cr_assert(s);
    return s;
}

static void send_udp(struct host *h, uint32_t dst, uint32_t len)
{
    static const uint8_t data[2000];
    struct udp_sock *s = udp_open(h, 0, "src", &udp_rec_ops, NULL);
    cr_assert(s);
    cr_assert_eq(udp_sendto(s, dst, 9, data, len, NULL), IP4_SENT);
    udp_close(s);
}

static uint16_t arp_op(const struct capture *c)
{
    return (uint16_t)(c->data[20] << 8 | c->data[21]);
}

static bool lose_all(struct wire *w, int side, struct frame *f, void *ctx)
{
    (void)w, (void)side, (void)f, (void)ctx;
    return false;
}

Test(arp, first_packet_is_preceded_by_request_and_reply)
{
    world_two(&W);
    sink_on(W.h[1], 9);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, SIM_SEC);
    struct wire *wi = &W.w[0];
    cr_assert_eq(wi->n_cap, 3);
    cr_assert_eq(cap_ethertype(&wi->cap[0]), 0x0806);
    cr_assert_eq(arp_op(&wi->cap[0]), 1);
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    cr_assert_arr_eq(wi->cap[0].data, bcast, 6, "request is broadcast");
    cr_assert_eq(cap_ethertype(&wi->cap[1]), 0x0806);
    cr_assert_eq(arp_op(&wi->cap[1]), 2);
    cr_assert_eq(wi->cap[1].side, 1);
    cr_assert_arr_eq(wi->cap[1].data, W.h[0]->ifaces[0]->mac, 6, "reply is unicast");
    cr_assert_arr_eq(wi->cap[1].data + 22, W.h[1]->ifaces[0]->mac, 6, "reply carries b's MAC");
    cr_assert_eq(cap_ethertype(&wi->cap[2]), 0x0800);
    cr_assert_arr_eq(wi->cap[2].data, W.h[1]->ifaces[0]->mac, 6);
    cr_assert_eq(R.n_recv, 1);
}

Test(arp, cached_entry_is_used_for_later_packets)
{
    world_two(&W);
    sink_on(W.h[1], 9);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, SIM_SEC);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), 1);
    cr_assert_eq(R.n_recv, 2);
}

Test(arp, target_learns_the_requester_from_its_request)
{
    world_two(&W);
    sink_on(W.h[1], 9);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, SIM_SEC);
    /* b answers without asking: only a's request ever crossed. */
    send_udp(W.h[1], IP(10, 0, 0, 1), 10);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_frames(&W.w[0], 1, 0x0806, -1), 1);
    cr_assert_eq(count_frames(&W.w[0], 1, 0x0800, -1), 1);
}

Test(arp, held_frames_are_released_in_order_on_reply)
{
    world_two(&W);
    sink_on(W.h[1], 9);
    for (uint32_t k = 1; k <= 3; k++)
        send_udp(W.h[0], IP(10, 0, 0, 2), k);
    cr_assert_eq(W.w[0].n_cap, 1, "only the request before the reply");
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 3);
    cr_assert_eq(R.last_len, 3, "the last one sent arrives last");
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), 1, "one request for all three");
}

Test(arp, unanswered_requests_are_retried_then_frames_dropped)
{
    world_two(&W);
    W.w[0].filter = lose_all;
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, 2500 * SIM_MS);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), 3);
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 0);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), 3, "no fourth request");
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 2);
    cr_assert_eq(count_timers(&W, "a", "arp"), 3);
    cr_assert_eq(host_counter(W.h[0]).drop_arp, 2);
    cr_assert_eq(W.w[0].cap[1].t - W.w[0].cap[0].t, SIM_SEC);
}

Test(arp, failure_for_a_forwarded_packet_sends_host_unreachable)
{
    world_three(&W, 1500);
    W.w[1].filter = lose_all;
    struct udp_rec src = {0};
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &src);
    static const uint8_t data[20];
    udp_sendto(s, IP(10, 0, 2, 1), 9, data, sizeof(data), NULL);
    run_for(&W, 5 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "r", "arp_failed"), 1);
    cr_assert_eq(src.n_err, 1);
    cr_assert_eq(src.err.type, ICMP_DEST_UNREACH);
    cr_assert_eq(src.err.code, ICMP_HOST_UNREACH);
    cr_assert_eq(src.err.from, IP(10, 0, 1, 254));
    udp_close(s);
}

Test(arp, hold_queue_is_bounded_dropping_the_oldest)
{
    world_two(&W);
    W.w[0].filter = lose_all;
    for (int k = 0; k < 105; k++)
        send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    cr_assert_eq(count_drops(&W, "a", "arp_queue"), 4);
    run_for(&W, 5 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 101);
}

Test(arp, stale_entry_keeps_working_while_reprobed_by_unicast)
{
    world_two(&W);
    sink_on(W.h[1], 9);
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    run_for(&W, 61 * SIM_SEC);
    uint32_t before = W.w[0].n_cap;
    send_udp(W.h[0], IP(10, 0, 0, 2), 10);
    struct wire *wi = &W.w[0];
    cr_assert_eq(wi->n_cap, before + 2, "the packet goes at once, with a probe");
    cr_assert_eq(cap_ethertype(&wi->cap[before]), 0x0800);
    cr_assert_eq(cap_ethertype(&wi->cap[before + 1]), 0x0806);
    cr_assert_arr_eq(wi->cap[before + 1].data, W.h[1]->ifaces[0]->mac, 6, "probe is unicast");
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 2);
    cr_assert_eq(count_timers(&W, "a", "arp"), 0, "the probe was answered");
}

Test(arp, malformed_arp_is_dropped)
{
    world_two(&W);
    struct frame *f = frame_alloc(&W.sim.frames, 30);
    f->id = sim_next_frame_id(&W.sim);
    memset(f->data, 0xff, 6);
    f->data[12] = 0x08;
    f->data[13] = 0x06;
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "malformed"), 1);
}

/* ---- the cache as a table: many entries, shared addresses, removals ---- */

static void neighbour_mac(uint32_t k, uint8_t mac[6])
{
    const uint8_t m[6] = {0x02, 0xaa, 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    memcpy(mac, m, 6);
}

/* An ARP request from (sha, spa) for tpa, as if it arrived on i. */
static void inject_request(struct host_iface *i, const uint8_t sha[6], uint32_t spa, uint32_t tpa)
{
    struct frame *f = frame_alloc(&W.sim.frames, 14 + 28);
    cr_assert(f);
    f->id = sim_next_frame_id(&W.sim);
    uint8_t *d = f->data;
    memset(d, 0xff, 6);
    memcpy(d + 6, sha, 6);
    d[12] = 0x08;
    d[13] = 0x06;
    uint8_t *a = d + 14;
    const uint8_t fixed[8] = {0, 1, 0x08, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
    memcpy(a, fixed, 8);
    memcpy(a + 8, sha, 6);
    for (int k = 0; k < 4; k++) {
        a[14 + k] = (uint8_t)(spa >> (24 - 8 * k));
        a[24 + k] = (uint8_t)(tpa >> (24 - 8 * k));
    }
    memset(a + 18, 0, 6);
    inject(&W, i, f);
}

static void assert_cached(const struct host *h, const struct host_iface *i, uint32_t ip, uint32_t k)
{
    uint8_t want[6], got[6];
    neighbour_mac(k, want);
    cr_assert(arp_lookup(h, i, ip, got), "entry for %08x on %s", ip, i->port.ifname);
    cr_assert_arr_eq(got, want, 6);
}

Test(arp, two_hundred_neighbours_each_keep_their_own_address)
{
    world_two(&W);
    struct host *a = W.h[0];
    for (uint32_t k = 3; k < 203; k++) {
        uint8_t mac[6];
        neighbour_mac(k, mac);
        inject_request(a->ifaces[0], mac, IP(10, 0, 0, k), IP(10, 0, 0, 1));
    }
    for (uint32_t k = 3; k < 203; k++)
        assert_cached(a, a->ifaces[0], IP(10, 0, 0, k), k);
    uint8_t mac[6];
    cr_assert_not(arp_lookup(a, a->ifaces[0], IP(10, 0, 0, 250), mac));
    cr_assert_not(arp_lookup(a, a->ifaces[0], IP(10, 0, 1, 3), mac));
}

Test(arp, the_same_address_on_two_interfaces_is_two_entries)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    for (uint32_t k = 0; k < 100; k++) {
        uint8_t m0[6], m1[6];
        neighbour_mac(k, m0);
        neighbour_mac(1000 + k, m1);
        inject_request(r->ifaces[0], m0, IP(10, 0, 9, k), IP(10, 0, 1, 254));
        inject_request(r->ifaces[1], m1, IP(10, 0, 9, k), IP(10, 0, 2, 254));
    }
    for (uint32_t k = 0; k < 100; k++) {
        assert_cached(r, r->ifaces[0], IP(10, 0, 9, k), k);
        assert_cached(r, r->ifaces[1], IP(10, 0, 9, k), 1000 + k);
    }
}

Test(arp, failed_resolutions_are_forgotten_and_the_rest_kept)
{
    world_two(&W);
    W.w[0].filter = lose_all;
    struct host *a = W.h[0];
    /* Resolved (odd) and unanswered (even) next hops, interleaved. */
    for (uint32_t k = 10; k < 130; k++) {
        if (k % 2) {
            uint8_t mac[6];
            neighbour_mac(k, mac);
            inject_request(a->ifaces[0], mac, IP(10, 0, 0, k), IP(10, 0, 0, 1));
        } else {
            send_udp(a, IP(10, 0, 0, k), 10);
        }
    }
    run_for(&W, 5 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 60);
    uint8_t mac[6];
    for (uint32_t k = 10; k < 130; k++) {
        if (k % 2)
            assert_cached(a, a->ifaces[0], IP(10, 0, 0, k), k);
        else
            cr_assert_not(arp_lookup(a, a->ifaces[0], IP(10, 0, 0, k), mac));
    }
    /* A forgotten next hop is resolved afresh: a new broadcast request. */
    uint32_t before = count_frames(&W.w[0], 0, 0x0806, -1);
    send_udp(a, IP(10, 0, 0, 20), 10);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), before + 1);
    send_udp(a, IP(10, 0, 0, 21), 10);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0806, -1), before + 1, "cached: sent at once");
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0800, -1), 1);
}

/* A cache of one or two entries has no hash table; the third makes one.
 * Failures and lookups behave the same on both sides of the change. */
Test(arp, a_small_cache_without_a_table_forgets_and_grows_like_a_big_one)
{
    world_two(&W);
    W.w[0].filter = lose_all;
    struct host *a = W.h[0];
    uint8_t mac[6];
    neighbour_mac(11, mac);
    inject_request(a->ifaces[0], mac, IP(10, 0, 0, 11), IP(10, 0, 0, 1));
    send_udp(a, IP(10, 0, 0, 12), 10); /* never answered */
    run_for(&W, 5 * SIM_SEC);
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 1);
    assert_cached(a, a->ifaces[0], IP(10, 0, 0, 11), 11);
    cr_assert_not(arp_lookup(a, a->ifaces[0], IP(10, 0, 0, 12), mac));
    for (uint32_t k = 13; k < 18; k++) {
        neighbour_mac(k, mac);
        inject_request(a->ifaces[0], mac, IP(10, 0, 0, k), IP(10, 0, 0, 1));
    }
    run_for(&W, SIM_SEC);
    assert_cached(a, a->ifaces[0], IP(10, 0, 0, 11), 11);
    for (uint32_t k = 13; k < 18; k++)
        assert_cached(a, a->ifaces[0], IP(10, 0, 0, k), k);
    cr_assert_not(arp_lookup(a, a->ifaces[0], IP(10, 0, 0, 12), mac));
}

/* Removing a failed entry moves the later ones down the array: a resolution
 * still in progress for one of them must follow its entry. */
Test(arp, a_resolution_in_progress_survives_the_removal_of_an_earlier_entry)
{
    world_two(&W);
    W.w[0].filter = lose_all;
    struct host *a = W.h[0];
    send_udp(a, IP(10, 0, 0, 20), 10); /* entry 0: never answered */
    run_for(&W, 1500 * SIM_MS);
    send_udp(a, IP(10, 0, 0, 21), 10); /* entry 1: answered late */
    run_for(&W, 1700 * SIM_MS);        /* entry 0 has failed, entry 1 is still probing */
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 1);
    cr_assert_eq(a->arp.n, 1);
    uint8_t mac[6];
    neighbour_mac(21, mac);
    inject_request(a->ifaces[0], mac, IP(10, 0, 0, 21), IP(10, 0, 0, 1));
    run_for(&W, 5 * SIM_SEC);
    assert_cached(a, a->ifaces[0], IP(10, 0, 0, 21), 21);
    cr_assert_eq(count_drops(&W, "a", "arp_failed"), 1, "the held datagram went out");
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0800, -1), 1);
}

Test(arp, the_entry_array_grows_past_its_first_size_and_keeps_every_entry)
{
    world_two(&W);
    struct host *a = W.h[0];
    uint8_t mac[6];
    neighbour_mac(3, mac);
    inject_request(a->ifaces[0], mac, IP(10, 0, 0, 3), IP(10, 0, 0, 1));
    cr_assert_eq(a->arp.n, 1);
    cr_assert_eq(a->arp.cap, 1, "one neighbour, one entry's room");
    cr_assert_eq(a->arp.n_buckets, 0);
    for (uint32_t k = 4; k < 12; k++) {
        neighbour_mac(k, mac);
        inject_request(a->ifaces[0], mac, IP(10, 0, 0, k), IP(10, 0, 0, 1));
    }
    cr_assert_eq(a->arp.n, 9);
    cr_assert_geq(a->arp.cap, 9);
    cr_assert_geq(a->arp.n_buckets, 9);
    for (uint32_t k = 3; k < 12; k++)
        assert_cached(a, a->ifaces[0], IP(10, 0, 0, k), k);
}
