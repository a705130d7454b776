/* Each host's index of its connected subnets (subnets.c), and the slimming
 * of a loaded scenario (slim.c). */
#include "helpers.h"
#include "sim/scenario/scn_internal.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A router r with three subnets given out of order, to hosts a, b and c. */
static const char world[] =
    "{\"hosts\": [{\"name\": \"r\", \"forward\": true, \"interfaces\": ["
    "{\"link\": \"l2\", \"ip\": \"10.0.2.1/24\"}, {\"link\": \"l0\", \"ip\": \"10.0.0.1/30\"},"
    "{\"link\": \"l1\", \"ip\": \"10.0.1.129/25\"}]},"
    "{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}],"
    "\"links\": [{\"name\": \"l2\", \"a\": \"r\", \"b\": \"a\"}, {\"name\": \"l0\", \"a\": \"r\", "
    "\"b\": \"b\"}, {\"name\": \"l1\", \"a\": \"r\", \"b\": \"c\"}"
    "]}";

struct fx {
    struct scenario *sc;
    struct scn_subnets s;
};

static struct fx build(void)
{
    struct fx f = {.sc = load_ok(world)};
    cr_assert(scn_subnets_build(&f.s, f.sc));
    return f;
}

static void fx_free(struct fx *f)
{
    scn_subnets_free(&f->s);
    scenario_free(f->sc);
}

Test(subnets, an_address_is_found_on_the_subnet_that_holds_it)
{
    struct fx f = build();
    const struct scn_subnet *e = scn_subnet_of(&f.s, 0, IP(10, 0, 1, 200));
    cr_assert_not_null(e);
    cr_assert_eq(e->link, 2);
    cr_assert_eq(e->net, IP(10, 0, 1, 128));
    cr_assert_eq(e->prefix_len, 25);
    cr_assert_eq(e->own, IP(10, 0, 1, 129));
    cr_assert_eq(e->peer_host, 3);
    fx_free(&f);
}

Test(subnets, every_subnet_of_a_host_is_found_whatever_the_order_given)
{
    struct fx f = build();
    cr_assert_eq(scn_subnet_of(&f.s, 0, IP(10, 0, 2, 77))->link, 0);
    cr_assert_eq(scn_subnet_of(&f.s, 0, IP(10, 0, 0, 2))->link, 1);
    cr_assert_eq(scn_subnet_of(&f.s, 0, IP(10, 0, 0, 2))->peer, IP(10, 0, 0, 2));
    fx_free(&f);
}

Test(subnets, an_address_between_or_outside_the_subnets_is_on_none)
{
    struct fx f = build();
    cr_assert_null(scn_subnet_of(&f.s, 0, IP(10, 0, 0, 4)), "just past the /30");
    cr_assert_null(scn_subnet_of(&f.s, 0, IP(10, 0, 1, 127)), "just below the /25");
    cr_assert_null(scn_subnet_of(&f.s, 0, IP(9, 255, 255, 255)), "below them all");
    cr_assert_null(scn_subnet_of(&f.s, 0, IP(10, 0, 3, 0)), "above them all");
    cr_assert_null(scn_subnet_of(&f.s, 1, IP(10, 0, 0, 2)), "another host's subnet");
    fx_free(&f);
}

Test(slim, names_ends_and_types_survive_and_lookups_still_work)
{
    struct scenario *sc = load_ok(
        "{\"hosts\": [{\"name\": \"x\"}, {\"name\": \"y\"}],"
        "\"links\": [{\"name\": \"w\", \"a\": \"y\", \"b\": \"x\"}],"
        "\"apps\": [{\"id\": \"s\", \"host\": \"x\", \"type\": \"tcp_server\", \"port\": 80},"
        "{\"id\": \"c\", \"host\": \"y\", \"type\": \"tcp_client\", \"connect\": \"x:80\","
        "\"script\": [{\"at\": \"1s\", \"send\": 10}]}]}");
    cr_assert(scenario_slim(sc));
    cr_assert(sc->slim);
    cr_assert_null(sc->hosts);
    cr_assert_str_eq(scenario_host_name(sc, 1), "y");
    cr_assert_str_eq(scenario_link_name(sc, 0), "w");
    cr_assert_eq(scenario_link_host(sc, 0, 0), 1);
    cr_assert_eq(scenario_link_host(sc, 0, 1), 0);
    cr_assert_str_eq(scenario_app_id(sc, 1), "c");
    cr_assert_eq(scenario_app_type(sc, 0), SCN_APP_TCP_SERVER);
    cr_assert_eq(scenario_host_index(sc, "y"), 1);
    cr_assert_eq(scenario_link_index(sc, "w"), 0);
    cr_assert_eq(scenario_app_index(sc, "c"), 1);
    cr_assert_eq(scenario_app_index(sc, "nope"), UINT32_MAX);
    cr_assert(scenario_slim(sc), "twice is once");
    scenario_free(sc);
}
