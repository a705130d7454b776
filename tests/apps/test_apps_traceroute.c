/* traceroute across a router: a (10.0.1.1) - r - b (10.0.2.1). */
#include "apps_harness.h"

#define DELAY (10 * SIM_MS)

static struct world w;

static void setup(void)
{
    world_routed(&w, DELAY);
}

static void teardown(void)
{
    world_fini(&w);
}

TestSuite(traceroute_app, .init = setup, .fini = teardown, .timeout = 10);

static struct app *traceroute(uint32_t dst, uint8_t max_hops)
{
    struct app_traceroute_cfg c = {.id = "t", .dst = dst, .max_hops = max_hops};
    return world_app(&w, app_traceroute_create(w.h[0], &c));
}

Test(traceroute_app, reaches_the_destination_behind_the_router)
{
    struct app *t = traceroute(IP(10, 0, 2, 1), 0);
    world_run(&w, 30 * SIM_SEC);
    struct app_stats s = stats_of(t, NULL);
    cr_assert_eq(s.hops, 2);
    cr_assert(s.reached);
}

Test(traceroute_app, each_hop_names_who_answered)
{
    traceroute(IP(10, 0, 2, 1), 0);
    world_run(&w, 30 * SIM_SEC);
    const struct rec *h1 = app_event(&w, "t", "hop", 0);
    const struct rec *h2 = app_event(&w, "t", "hop", 1);
    cr_assert(h1 && h2);
    /* The first probe of each hop also waits for ARP. */
    cr_assert_str_eq(h1->detail, " 1  10.0.1.254  40.000 ms  20.000 ms  20.000 ms");
    cr_assert_str_eq(h2->detail, " 2  10.0.2.1  60.000 ms  40.000 ms  40.000 ms");
    const struct rec *r = app_event(&w, "t", "result", 0);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->detail, "reached 10.0.2.1 in 2 hops");
}

Test(traceroute_app, unanswered_probes_show_stars_until_max_hops)
{
    struct app *t = traceroute(IP(10, 0, 1, 9), 2); /* on a's own link, nobody there */
    world_run(&w, 60 * SIM_SEC);
    struct app_stats s = stats_of(t, NULL);
    cr_assert_eq(s.hops, 2);
    cr_assert_not(s.reached);
    const struct rec *h2 = app_event(&w, "t", "hop", 1);
    cr_assert_not_null(h2);
    cr_assert_str_eq(h2->detail, " 2  *  *  *");
    const struct rec *r = app_event(&w, "t", "result", 0);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->detail, "10.0.1.9 not reached in 2 hops");
}
