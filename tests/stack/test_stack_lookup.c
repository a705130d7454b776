/* The lookup tables a host keeps for its per-packet decisions: routes by
 * (prefix length, network), addresses and directed broadcasts by address.
 * Results are checked against the plain definitions (a scan of the routes
 * in the order added, of the interfaces in index order). */
#include <criterion/criterion.h>

#include "fixture.h"
#include "stack/stack_priv.h"

static struct world W;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(lookup, .fini = fini);

/* A small deterministic generator for test inputs. */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8 ^ *s << 13;
}

/* Longest prefix, the first added among equals: the definition, by scan. */
static const struct route *reference_lookup(const struct host *h, uint32_t dst)
{
    const struct route *best = NULL;
    for (uint32_t k = 0; k < h->n_routes; k++) {
        const struct route *r = &h->routes[k];
        if ((dst & prefix_mask(r->prefix_len)) == r->dest &&
            (!best || r->prefix_len > best->prefix_len))
            best = r;
    }
    return best;
}

static void assert_lookup_matches_reference(const struct host *h, uint32_t dst)
{
    uint32_t nh = 0;
    const struct route *got = host_route_lookup(h, dst, &nh);
    const struct route *want = reference_lookup(h, dst);
    cr_assert_eq(got, want, "dst %08x: route %ld, expected %ld", dst,
                 got ? (long)(got - h->routes) : -1L, want ? (long)(want - h->routes) : -1L);
    if (want)
        cr_assert_eq(nh, want->via ? want->via : dst);
}

/* r: 10.0.1.254/24 and 10.0.2.254/24 (world_three); gateways a and b. */
static void add_random_routes(struct host *r, uint32_t n, uint32_t *seed)
{
    for (uint32_t k = 0; k < n; k++) {
        uint8_t len = (uint8_t)(next_rand(seed) % 33);
        uint32_t dest = next_rand(seed) & prefix_mask(len);
        uint32_t via = k % 2 ? IP(10, 0, 1, 1) : IP(10, 0, 2, 1);
        cr_assert(host_add_route(r, dest, len, via));
    }
}

Test(lookup, many_routes_of_every_length_give_the_longest_prefix_first_added)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    uint32_t seed = 7;
    add_random_routes(r, 600, &seed);
    /* Duplicates of existing prefixes: never chosen over the first. */
    for (uint32_t k = 2; k < 40; k++) {
        const struct route *old = &r->routes[k * 7];
        cr_assert(host_add_route(r, old->dest, old->prefix_len, IP(10, 0, 1, 1)));
    }
    cr_assert_gt(r->n_routes, 600);
    for (uint32_t k = 0; k < r->n_routes; k++) {
        /* Inside each route's network, at its edges, and just beyond them. */
        const struct route *rt = &r->routes[k];
        uint32_t last = rt->dest | ~prefix_mask(rt->prefix_len);
        assert_lookup_matches_reference(r, rt->dest);
        assert_lookup_matches_reference(r, last);
        assert_lookup_matches_reference(r, last + 1);
        assert_lookup_matches_reference(r, rt->dest - 1);
    }
    for (uint32_t k = 0; k < 5000; k++)
        assert_lookup_matches_reference(r, next_rand(&seed));
}

Test(lookup, no_route_matches_without_a_default)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    cr_assert(host_add_route(r, IP(172, 16, 0, 0), 12, IP(10, 0, 1, 1)));
    cr_assert_null(host_route_lookup(r, IP(172, 32, 0, 1), NULL));
    cr_assert_null(host_route_lookup(r, IP(10, 0, 3, 1), NULL));
    cr_assert_not_null(host_route_lookup(r, IP(172, 31, 255, 255), NULL));
}

Test(lookup, a_route_added_after_lookups_takes_effect_at_once)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    uint32_t nh = 0;
    cr_assert_null(host_route_lookup(r, IP(192, 168, 1, 7), &nh));
    cr_assert(host_add_route(r, 0, 0, IP(10, 0, 1, 1)));
    host_route_lookup(r, IP(192, 168, 1, 7), &nh);
    cr_assert_eq(nh, IP(10, 0, 1, 1));
    cr_assert(host_add_route(r, IP(192, 168, 1, 0), 24, IP(10, 0, 2, 1)));
    host_route_lookup(r, IP(192, 168, 1, 7), &nh);
    cr_assert_eq(nh, IP(10, 0, 2, 1));
    cr_assert(host_add_route(r, IP(192, 168, 1, 7), 32, IP(10, 0, 1, 9)));
    cr_assert_eq(host_route_lookup(r, IP(192, 168, 1, 7), &nh)->prefix_len, 32);
    cr_assert_eq(nh, IP(10, 0, 1, 9));
    /* A shorter prefix added later changes nothing for the longer ones. */
    cr_assert(host_add_route(r, IP(192, 168, 0, 0), 16, IP(10, 0, 1, 2)));
    cr_assert_eq(host_route_lookup(r, IP(192, 168, 1, 8), NULL)->prefix_len, 24);
    cr_assert_eq(host_route_lookup(r, IP(192, 168, 2, 8), NULL)->prefix_len, 16);
}

Test(lookup, connected_route_beats_a_later_static_route_to_its_subnet)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    cr_assert(host_add_route(r, IP(10, 0, 2, 0), 24, IP(10, 0, 1, 1)));
    uint32_t nh = 0;
    const struct route *rt = host_route_lookup(r, IP(10, 0, 2, 7), &nh);
    cr_assert_eq(rt->via, 0);
    cr_assert_eq(nh, IP(10, 0, 2, 7));
}

Test(lookup, renumbering_an_interface_updates_routes_addresses_and_broadcasts)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    cr_assert(host_add_route(r, 0, 0, IP(10, 0, 1, 1)));
    cr_assert_eq(host_route_lookup(r, IP(10, 0, 2, 9), NULL)->via, 0);
    cr_assert(host_is_broadcast(r, IP(10, 0, 2, 255)));
    host_iface_set_addr(r->ifaces[1], IP(172, 16, 0, 1), 16);
    cr_assert_eq(host_route_lookup(r, IP(10, 0, 2, 9), NULL)->prefix_len, 0, "default now");
    cr_assert_eq(host_route_lookup(r, IP(172, 16, 9, 9), NULL)->iface, 1);
    cr_assert_not(host_has_addr(r, IP(10, 0, 2, 254)));
    cr_assert_eq(host_iface_by_addr(r, IP(172, 16, 0, 1)), r->ifaces[1]);
    cr_assert_not(host_is_broadcast(r, IP(10, 0, 2, 255)));
    cr_assert(host_is_broadcast(r, IP(172, 16, 255, 255)));
    cr_assert(host_is_broadcast(r, IP(10, 0, 1, 255)), "the other interface's is kept");
    /* Unnumbered: nothing left of it. */
    host_iface_set_addr(r->ifaces[1], 0, 0);
    cr_assert_not(host_has_addr(r, IP(172, 16, 0, 1)));
    cr_assert_not(host_is_broadcast(r, IP(172, 16, 255, 255)));
    cr_assert_eq(host_route_lookup(r, IP(172, 16, 9, 9), NULL)->prefix_len, 0);
}

/* A router with 64 interfaces, each on its own /30 (10.1.k.0/30, k = index). */
static struct host *wide_router(void)
{
    world_two(&W);
    struct host *h = host_create(&W.sim, "wide", 9, true);
    cr_assert(h);
    W.h[W.n_hosts++] = h;
    for (uint32_t k = 0; k < HOST_MAX_IFACES; k++)
        cr_assert(host_add_iface(h, "l", IP(10, 1, k, 1), 30));
    cr_assert_null(host_add_iface(h, "l", IP(10, 2, 0, 1), 30), "65th interface");
    return h;
}

Test(lookup, each_of_64_interfaces_is_found_by_its_address)
{
    struct host *h = wide_router();
    for (uint32_t k = 0; k < HOST_MAX_IFACES; k++) {
        cr_assert_eq(host_iface_by_addr(h, IP(10, 1, k, 1)), h->ifaces[k]);
        cr_assert_null(host_iface_by_addr(h, IP(10, 1, k, 2)));
        cr_assert_eq(host_route_lookup(h, IP(10, 1, k, 2), NULL)->iface, k);
    }
    cr_assert_null(host_iface_by_addr(h, 0));
}

Test(lookup, directed_broadcasts_of_64_subnets_and_nothing_else)
{
    struct host *h = wide_router();
    for (uint32_t k = 0; k < HOST_MAX_IFACES; k++) {
        cr_assert(host_is_broadcast(h, IP(10, 1, k, 3)));
        cr_assert_not(host_is_broadcast(h, IP(10, 1, k, 0)), "the network itself");
        cr_assert_not(host_is_broadcast(h, IP(10, 1, k, 2)));
    }
    cr_assert(host_is_broadcast(h, IP4_BROADCAST));
    cr_assert_not(host_is_broadcast(h, 0));
}

Test(lookup, point_to_point_subnets_have_no_broadcast)
{
    world_two(&W);
    struct host *a = W.h[0];
    cr_assert(host_add_iface(a, "p", IP(10, 5, 0, 0), 31));
    cr_assert(host_add_iface(a, "q", IP(10, 6, 0, 1), 32));
    cr_assert_not(host_is_broadcast(a, IP(10, 5, 0, 1)));
    cr_assert_not(host_is_broadcast(a, IP(10, 6, 0, 1)));
    cr_assert(host_has_addr(a, IP(10, 5, 0, 0)));
    cr_assert(host_is_broadcast(a, IP(10, 0, 0, 255)));
}

Test(lookup, an_address_held_twice_belongs_to_the_lower_interface)
{
    world_two(&W);
    struct host *a = W.h[0];
    struct host_iface *second = host_add_iface(a, "p", IP(10, 0, 0, 1), 24);
    cr_assert(second);
    cr_assert_eq(host_iface_by_addr(a, IP(10, 0, 0, 1)), a->ifaces[0]);
    host_iface_set_addr(a->ifaces[0], IP(10, 9, 0, 1), 24);
    cr_assert_eq(host_iface_by_addr(a, IP(10, 0, 0, 1)), second);
}

Test(lookup, an_address_that_is_another_subnets_broadcast_is_both)
{
    world_two(&W);
    struct host *a = W.h[0];
    cr_assert(host_add_iface(a, "p", IP(10, 0, 0, 255), 32));
    cr_assert(host_has_addr(a, IP(10, 0, 0, 255)));
    cr_assert(host_is_broadcast(a, IP(10, 0, 0, 255)));
}

/* A few routes are scanned, more are indexed: the answers are the same on
 * both sides of the change and across it. */
Test(lookup, routes_give_the_same_answers_scanned_and_indexed)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    uint32_t seed = 11;
    for (uint32_t n = 0; n < 12; n++) {
        add_random_routes(r, 1, &seed);
        if (n % 3 == 0) /* a duplicate prefix: never chosen over the first */
            cr_assert(host_add_route(r, r->routes[n / 2].dest, r->routes[n / 2].prefix_len,
                                     IP(10, 0, 1, 7)));
        for (uint32_t k = 0; k < r->n_routes; k++) {
            assert_lookup_matches_reference(r, r->routes[k].dest);
            assert_lookup_matches_reference(r, r->routes[k].dest - 1);
        }
        for (uint32_t k = 0; k < 200; k++)
            assert_lookup_matches_reference(r, next_rand(&seed));
    }
}

/* The interface holding ip, lowest index first, by scan. */
static const struct host_iface *reference_iface(const struct host *h, uint32_t ip)
{
    for (uint32_t k = 0; ip && k < h->n_ifaces; k++)
        if (h->ifaces[k]->ip == ip)
            return h->ifaces[k];
    return NULL;
}

static bool reference_broadcast(const struct host *h, uint32_t ip)
{
    for (uint32_t k = 0; ip && k < h->n_ifaces; k++)
        if (h->ifaces[k]->bcast == ip)
            return true;
    return ip == IP4_BROADCAST;
}

Test(lookup, addresses_give_the_same_answers_scanned_and_indexed)
{
    world_two(&W);
    struct host *a = W.h[0];
    /* 10.0.0.1/24 first; then a second holder of it, a /32 on the first's
     * broadcast, an unnumbered one, and subnets of their own. */
    const uint32_t ips[] = {IP(10, 0, 0, 1), IP(10, 0, 0, 255), 0,
                            IP(10, 3, 0, 1), IP(10, 4, 0, 1),   IP(10, 5, 0, 1)};
    const uint8_t lens[] = {24, 32, 0, 16, 30, 8};
    const uint32_t probes[] = {IP(10, 0, 0, 1),
                               IP(10, 0, 0, 255),
                               IP(10, 3, 0, 1),
                               IP(10, 3, 255, 255),
                               IP(10, 4, 0, 3),
                               IP(10, 4, 0, 1),
                               IP(10, 5, 0, 1),
                               IP(10, 255, 255, 255),
                               IP(10, 0, 0, 2),
                               IP4_BROADCAST,
                               0};
    cr_assert(host_add_iface(a, "p", IP(10, 0, 0, 1), 24), "held twice");
    for (uint32_t n = 0; n < sizeof(ips) / sizeof(ips[0]); n++) {
        cr_assert(host_add_iface(a, "q", ips[n], lens[n]));
        for (uint32_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
            uint32_t ip = probes[k];
            cr_assert_eq(host_iface_by_addr(a, ip), reference_iface(a, ip), "%08x with %u", ip,
                         a->n_ifaces);
            cr_assert_eq(host_is_broadcast(a, ip), reference_broadcast(a, ip), "%08x", ip);
            cr_assert_eq(host_is_local_dst(a, ip),
                         reference_iface(a, ip) != NULL || reference_broadcast(a, ip));
        }
    }
}
