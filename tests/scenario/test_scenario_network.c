/* Addresses and routes: auto-numbering, explicit interfaces, shortest-path
 * routes, explicit routes, and the reachability of app peers. */
#include "helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* client - router - server, with whatever the test adds. */
#define CHAIN(extra_hosts_fields)                                                                  \
    "{\"hosts\": [{\"name\": \"client\"}, {\"name\": \"r\", \"forward\": true}, "                  \
    "{\"name\": \"server\"" extra_hosts_fields "}],\n"                                             \
    "\"links\": [{\"name\": \"l1\", \"a\": \"client\", \"b\": \"r\"}, "                            \
    "{\"name\": \"l2\", \"a\": \"r\", \"b\": \"server\"}]"

static const struct scn_route *route_to(const struct scn_host *h, uint32_t dest, uint8_t len)
{
    for (uint32_t i = 0; i < h->n_routes; i++)
        if (h->routes[i].dest == dest && h->routes[i].prefix_len == len)
            return &h->routes[i];
    return NULL;
}

Test(network, links_are_numbered_in_order_a_gets_1_b_gets_2)
{
    struct scenario *sc = load_ok(CHAIN("") "}");
    cr_assert_eq(sc->links[0].end[0].ip, IP(10, 0, 0, 1));
    cr_assert_eq(sc->links[0].end[1].ip, IP(10, 0, 0, 2));
    cr_assert_eq(sc->links[1].end[0].ip, IP(10, 0, 1, 1));
    cr_assert_eq(sc->links[1].end[1].ip, IP(10, 0, 1, 2));
    cr_assert_eq(sc->links[1].end[1].prefix_len, 24);
    cr_assert_eq(sc->links[1].end[1].host, 2);
    scenario_free(sc);
}

Test(network, chain_through_a_router_gets_routes_both_ways)
{
    struct scenario *sc = load_ok(CHAIN("") "}");
    const struct scn_host *client = &sc->hosts[0], *r = &sc->hosts[1], *server = &sc->hosts[2];
    cr_assert_eq(client->n_routes, 1);
    const struct scn_route *rt = route_to(client, IP(10, 0, 1, 0), 24);
    cr_assert_not_null(rt);
    cr_assert_eq(rt->via, IP(10, 0, 0, 2));
    cr_assert_eq(server->n_routes, 1);
    rt = route_to(server, IP(10, 0, 0, 0), 24);
    cr_assert_not_null(rt);
    cr_assert_eq(rt->via, IP(10, 0, 1, 1));
    cr_assert_eq(r->n_routes, 0, "the router is connected to both subnets");
    scenario_free(sc);
}

Test(network, host_links_follow_file_order)
{
    struct scenario *sc = load_ok(CHAIN("") "}");
    cr_assert_eq(sc->hosts[1].n_links, 2);
    cr_assert_eq(sc->hosts[1].links[0], 0);
    cr_assert_eq(sc->hosts[1].links[1], 1);
    scenario_free(sc);
}

Test(network, no_route_through_a_host_that_does_not_forward)
{
    char *msg = load_err(
        "{\"hosts\": [{\"name\": \"client\"}, {\"name\": \"r\"}, {\"name\": \"server\"}],\n"
        "\"links\": [{\"a\": \"client\", \"b\": \"r\"}, {\"a\": \"r\", \"b\": \"server\"}],\n"
        "\"apps\": [{\"id\": \"p\", \"host\": \"client\", \"type\": \"ping\", \"to\": "
        "\"server\"}]}");
    cr_assert(strstr(msg, "t.json:3:62: error: apps[0].to: no route from host \"client\" to "
                          "\"server\" (10.0.1.2)"),
              "%s", msg);
    free(msg);
}

Test(network, shortest_path_wins_over_a_longer_one)
{
    /* a - r1 - b directly, and a - r2 - r3 - b: a reaches b's subnet via r1. */
    struct scenario *sc =
        load_ok("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"r2\", \"forward\": true}, "
                "{\"name\": \"r3\", \"forward\": true}, {\"name\": \"r1\", \"forward\": true}, "
                "{\"name\": \"b\"}],\n"
                "\"links\": [{\"a\": \"a\", \"b\": \"r2\"}, {\"a\": \"r2\", \"b\": \"r3\"}, "
                "{\"a\": \"r3\", \"b\": \"b\"}, {\"a\": \"a\", \"b\": \"r1\"}, {\"a\": \"r1\", "
                "\"b\": \"b\"}]}");
    const struct scn_host *a = &sc->hosts[0];
    /* subnet of r1-b is 10.0.4.0/24: reached through r1 (10.0.3.2) */
    const struct scn_route *rt = route_to(a, IP(10, 0, 4, 0), 24);
    cr_assert_not_null(rt);
    cr_assert_eq(rt->via, IP(10, 0, 3, 2));
    /* subnet r3-b (10.0.2.0/24): 2 hops both ways (via r2 to r3, via r1 to b): link order wins */
    rt = route_to(a, IP(10, 0, 2, 0), 24);
    cr_assert_not_null(rt);
    cr_assert_eq(rt->via, IP(10, 0, 0, 2));
    scenario_free(sc);
}

Test(network, explicit_interfaces_and_the_other_end_takes_the_lowest_free_address)
{
    struct scenario *sc =
        load_ok("{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"w\", \"ip\": "
                "\"192.168.5.1/24\"}]}, {\"name\": \"b\"}],\n"
                "\"links\": [{\"name\": \"w\", \"a\": \"b\", \"b\": \"a\"}, {\"a\": \"a\", \"b\": "
                "\"b\"}]}");
    cr_assert_eq(sc->links[0].end[1].ip, IP(192, 168, 5, 1));
    cr_assert_eq(sc->links[0].end[0].ip, IP(192, 168, 5, 2));
    cr_assert_eq(sc->links[0].end[0].prefix_len, 24);
    cr_assert_eq(sc->links[1].end[0].ip, IP(10, 0, 0, 1));
    scenario_free(sc);
}

Test(network, auto_numbering_skips_subnets_used_explicitly)
{
    struct scenario *sc =
        load_ok("{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"w\", \"ip\": "
                "\"10.0.0.5/16\"}]}, {\"name\": \"b\"}],\n"
                "\"links\": [{\"name\": \"w\", \"a\": \"a\", \"b\": \"b\"}, {\"a\": \"a\", \"b\": "
                "\"b\"}]}");
    cr_assert_eq(sc->links[1].end[0].ip, IP(10, 1, 0, 1));
    scenario_free(sc);
}

Test(network, overlapping_subnets_are_an_error)
{
    assert_error(
        "{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"w1\", \"ip\": "
        "\"10.9.0.1/16\"}, {\"link\": \"w2\", \"ip\": \"10.9.3.1/24\"}]}, {\"name\": \"b\"}],\n"
        "\"links\": [{\"name\": \"w1\", \"a\": \"a\", \"b\": \"b\"}, {\"name\": \"w2\", \"a\": "
        "\"a\", \"b\": \"b\"}]}",
        "hosts[0].interfaces[1].ip: subnet 10.9.3.0 of link \"w2\" overlaps subnet 10.9.0.0 "
        "of link \"w1\"");
}

Test(network, ends_on_different_subnets_are_an_error)
{
    assert_error(
        "{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"w\", \"ip\": "
        "\"10.9.0.1/24\"}]}, {\"name\": \"b\", \"interfaces\": [{\"link\": \"w\", \"ip\": "
        "\"10.8.0.1/24\"}]}],\n\"links\": [{\"name\": \"w\", \"a\": \"a\", \"b\": \"b\"}]}",
        "are not on the same subnet");
}

Test(network, interface_on_a_link_the_host_is_not_on)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\", "
                 "\"interfaces\": [{\"link\": \"w\", \"ip\": \"10.9.0.1/24\"}]}],\n"
                 "\"links\": [{\"name\": \"w\", \"a\": \"a\", \"b\": \"b\"}]}",
                 "hosts[2].interfaces[0].link: host \"c\" is not an end of link \"w\"");
}

Test(network, invalid_interface_addresses)
{
    const char *bad[][2] = {{"10.0.0.1", "invalid address"},
                            {"10.0.0.300/24", "invalid address"},
                            {"10.0.0.0/24", "network address"},
                            {"10.0.0.255/24", "broadcast address"},
                            {"10.0.0.1/32", "needs /1 to /30"}};
    for (size_t i = 0; i < 5; i++) {
        char text[512];
        snprintf(
            text, sizeof text,
            "{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"w\", \"ip\": \"%s\"}]},"
            " {\"name\": \"b\"}], \"links\": [{\"name\": \"w\", \"a\": \"a\", \"b\": \"b\"}]}",
            bad[i][0]);
        assert_error(text, bad[i][1]);
    }
}

Test(network, explicit_routes_replace_the_computed_ones)
{
    struct scenario *sc = load_ok(CHAIN(", \"routes\": [{\"dest\": \"default\", \"via\": "
                                        "\"10.0.1.1\"}]") "}");
    const struct scn_host *server = &sc->hosts[2];
    cr_assert_eq(server->n_routes, 1);
    cr_assert_eq(server->routes[0].dest, 0);
    cr_assert_eq(server->routes[0].prefix_len, 0);
    cr_assert_eq(server->routes[0].via, IP(10, 0, 1, 1));
    scenario_free(sc);
}

Test(network, route_via_must_be_on_a_connected_subnet)
{
    char *msg = load_err(CHAIN(", \"routes\": [{\"dest\": \"10.0.0.0/24\", \"via\": "
                               "\"10.0.0.2\"}]") "}");
    cr_assert(strstr(msg, "hosts[2].routes[0].via: gateway 10.0.0.2 is not on a subnet connected "
                          "to host \"server\""),
              "%s", msg);
    free(msg);
}

Test(network, route_dest_with_host_bits_is_an_error)
{
    assert_error(CHAIN(", \"routes\": [{\"dest\": \"10.0.0.1/24\", \"via\": \"10.0.1.1\"}]") "}",
                 "hosts[2].routes[0].dest: \"10.0.0.1/24\" has host bits set");
}

Test(network, empty_routes_means_connected_subnets_only)
{
    char *msg =
        load_err(CHAIN(", \"routes\": []") ",\n\"apps\": [{\"id\": \"p\", \"host\": "
                                           "\"client\", \"type\": \"ping\", \"to\": \"server\"}]}");
    cr_assert(strstr(msg, "apps[0].to: no route back from host \"server\" to \"client\" "
                          "(10.0.0.1)"),
              "%s", msg);
    free(msg);
}

Test(network, a_name_resolves_to_the_nearest_interface)
{
    /* r has two addresses; seen from client it is 10.0.0.2, from server 10.0.1.1. */
    struct scenario *sc = load_ok(
        CHAIN("") ",\n\"apps\": [{\"id\": \"p1\", \"host\": \"client\", \"type\": \"ping\", "
                  "\"to\": \"r\"}, {\"id\": \"p2\", \"host\": \"server\", \"type\": \"ping\", "
                  "\"to\": \"r\"}, {\"id\": \"p3\", \"host\": \"client\", \"type\": \"ping\", "
                  "\"to\": \"10.0.1.2\"}]}");
    cr_assert_eq(sc->apps[0].cfg.ping.dst, IP(10, 0, 0, 2));
    cr_assert_eq(sc->apps[1].cfg.ping.dst, IP(10, 0, 1, 1));
    cr_assert_eq(sc->apps[0].peer_host, 1);
    cr_assert_eq(sc->apps[2].cfg.ping.dst, IP(10, 0, 1, 2));
    cr_assert_eq(sc->apps[2].peer_host, 2);
    scenario_free(sc);
}

Test(network, link_to_itself_is_an_error)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}], \"links\": [{\"a\": \"a\", \"b\": \"a\"}]}",
                 "links[0].b: a link cannot connect host \"a\" to itself");
}
