/* Paths the loader follows through the routing tables to resolve names and
 * to check that peers are reachable, with many apps walking the same
 * routers. */
#include "helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define N_CLIENTS      40

/* The address host `h` has on its link to host `peer`. */
static uint32_t addr_toward(const struct scenario *sc, uint32_t h, uint32_t peer)
{
    for (uint32_t k = 0; k < sc->n_links; k++) {
        const struct scn_link *l = &sc->links[k];
        for (int s = 0; s < 2; s++)
            if (l->end[s].host == h && l->end[1 - s].host == peer)
                return l->end[s].ip;
    }
    cr_assert_fail("no link between hosts %u and %u", h, peer);
    return 0;
}

/* Server "s" with a link to each client (every client pings it twice), and
 * a router r between s and a client behind it, cb. */
static char *star_world(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("{\"hosts\": [{\"name\": \"s\"}, {\"name\": \"r\", \"forward\": true}, "
          "{\"name\": \"cb\"}",
          f);
    for (int k = 0; k < N_CLIENTS; k++)
        fprintf(f, ", {\"name\": \"c%d\"}", k);
    fputs("],\n\"links\": [", f);
    for (int k = 0; k < N_CLIENTS; k++)
        fprintf(f, "{\"a\": \"c%d\", \"b\": \"s\"}, ", k);
    fputs("{\"a\": \"s\", \"b\": \"r\"}, {\"a\": \"r\", \"b\": \"cb\"}],\n\"apps\": [", f);
    for (int k = 0; k < 2 * N_CLIENTS; k++)
        fprintf(f, "{\"id\": \"p%d\", \"host\": \"c%d\", \"type\": \"ping\", \"to\": \"s\"}, ", k,
                k % N_CLIENTS);
    fputs("{\"id\": \"pb\", \"host\": \"cb\", \"type\": \"ping\", \"to\": \"s\"}]}", f);
    fclose(f);
    return buf;
}

Test(paths, every_client_resolves_the_server_to_the_address_on_its_own_link)
{
    char *json = star_world();
    struct scenario *sc = load_ok(json);
    free(json);
    uint32_t s = scenario_host_index(sc, "s");
    for (uint32_t k = 0; k < 2 * N_CLIENTS; k++) {
        const struct scn_app *a = &sc->apps[k];
        char name[16];
        snprintf(name, sizeof name, "c%u", k % N_CLIENTS);
        cr_assert_eq(a->peer_host, s);
        cr_assert_eq(a->cfg.ping.dst, addr_toward(sc, s, scenario_host_index(sc, name)), "app p%u",
                     k);
    }
    /* Two hops to every address of s: the first of them. */
    const struct scn_app *pb = &sc->apps[2 * N_CLIENTS];
    cr_assert_eq(pb->cfg.ping.dst, addr_toward(sc, s, scenario_host_index(sc, "c0")));
    scenario_free(sc);
}

/* a - r1 - r2 - b, and a - b directly.  a's second route names its gateway
 * "b": resolving it walks a -> r1 toward b's far address while r1 has no
 * routes yet.  That walk fails then, and must not decide the later check of
 * a's ping to that address, which r1's computed routes carry. */
Test(paths, a_walk_made_while_routes_load_does_not_decide_later_paths)
{
    struct scenario *sc = load_ok(
        "{\"hosts\": [{\"name\": \"a\", \"routes\": [{\"dest\": \"default\", \"via\": "
        "\"10.0.0.2\"}, {\"dest\": \"10.9.0.0/16\", \"via\": \"b\"}]}, {\"name\": \"r1\", "
        "\"forward\": true}, {\"name\": \"r2\", \"forward\": true}, {\"name\": \"b\"}],\n"
        "\"links\": [{\"a\": \"a\", \"b\": \"r1\"}, {\"a\": \"r1\", \"b\": \"r2\"}, {\"a\": "
        "\"r2\", \"b\": \"b\"}, {\"a\": \"a\", \"b\": \"b\"}],\n"
        "\"apps\": [{\"id\": \"p\", \"host\": \"a\", \"type\": \"ping\", \"to\": \"10.0.2.2\"}]}");
    cr_assert_eq(sc->hosts[0].routes[1].via, IP(10, 0, 3, 2), "b's address on the a-b link");
    cr_assert_eq(sc->apps[0].peer_host, 3);
    scenario_free(sc);
}

/* r1 and r2 send b's address to each other: the walk never arrives. */
Test(paths, a_routing_loop_is_no_route_every_time)
{
    char *msg = load_err(
        "{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"r1\", \"forward\": true, \"routes\": "
        "[{\"dest\": \"10.0.2.2/32\", \"via\": \"10.0.1.2\"}]}, {\"name\": \"r2\", \"forward\": "
        "true, \"routes\": [{\"dest\": \"10.0.2.2/32\", \"via\": \"10.0.1.1\"}]}, {\"name\": "
        "\"b\"}],\n"
        "\"links\": [{\"a\": \"a\", \"b\": \"r1\"}, {\"a\": \"r1\", \"b\": \"r2\"}, {\"a\": "
        "\"r2\", \"b\": \"b\"}],\n"
        "\"apps\": [{\"id\": \"p\", \"host\": \"a\", \"type\": \"ping\", \"to\": \"10.0.2.2\"}, "
        "{\"id\": \"q\", \"host\": \"a\", \"type\": \"ping\", \"to\": \"10.0.2.2\"}]}");
    cr_assert(strstr(msg, "apps[0].to: no route from host \"a\" to \"b\" (10.0.2.2)"), "%s", msg);
    cr_assert(strstr(msg, "apps[1].to: no route from host \"a\" to \"b\" (10.0.2.2)"), "%s", msg);
    free(msg);
}
