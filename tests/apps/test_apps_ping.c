/* ping over a real two-host world. */
#include "apps_harness.h"

#define DELAY (10 * SIM_MS)

static struct world w;

static void setup(void)
{
    world_pair(&w, DELAY);
}

static void setup_routed(void)
{
    world_routed(&w, DELAY);
}

static void teardown(void)
{
    world_fini(&w);
}

TestSuite(ping_app, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(ping_app_routed, .init = setup_routed, .fini = teardown, .timeout = 10);

static struct app *ping(uint32_t dst, uint32_t count)
{
    struct app_ping_cfg c = {.id = "p", .dst = dst, .count = count};
    return world_app(&w, app_ping_create(w.h[0], &c));
}

Test(ping_app, every_request_is_answered)
{
    struct app *p = ping(B_IP, 4);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(p, NULL);
    cr_assert_eq(s.ping_sent, 4);
    cr_assert_eq(s.ping_received, 4);
    cr_assert_eq(count_app_events(&w, "p", "reply"), 4);
}

Test(ping_app, rtt_is_twice_the_link_delay)
{
    struct app *p = ping(B_IP, 3);
    world_run(&w, 10 * SIM_SEC);
    cr_assert_eq(stats_of(p, NULL).rtt_min, 2 * DELAY);
    const struct rec *last = app_event(&w, "p", "reply", 2);
    cr_assert_not_null(last);
    cr_assert_eq(last->rtt, 2 * DELAY);
    cr_assert_str_eq(last->detail, "64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=20.000 ms");
}

Test(ping_app, summary_counts_and_rtts)
{
    ping(B_IP, 2);
    world_run(&w, 10 * SIM_SEC);
    const struct rec *r = app_event(&w, "p", "result", 0);
    cr_assert_not_null(r);
    /* The first request also waits for ARP: one more round trip. */
    cr_assert_str_eq(r->detail, "2 packets transmitted, 2 received, 0% packet loss, "
                                "rtt min/avg/max = 20.000/30.000/40.000 ms");
}

Test(ping_app, unanswered_requests_time_out)
{
    struct app *p = ping(IP(10, 0, 0, 3), 2); /* on the subnet, but nobody there */
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(p, NULL);
    cr_assert_eq(s.ping_sent, 2);
    cr_assert_eq(s.ping_received, 0);
    cr_assert_eq(count_app_events(&w, "p", "timeout"), 2);
    const struct rec *r = app_event(&w, "p", "result", 0);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->detail, "2 packets transmitted, 0 received, 100% packet loss");
}

Test(ping_app_routed, ttl_too_small_is_reported_as_an_error)
{
    struct app_ping_cfg c = {.id = "p", .dst = IP(10, 0, 2, 1), .count = 1, .ttl = 1};
    struct app *p = world_app(&w, app_ping_create(w.h[0], &c));
    world_run(&w, 5 * SIM_SEC);
    const struct rec *e = app_event(&w, "p", "error", 0);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->detail, "From 10.0.1.254 icmp_seq=1 Time to live exceeded");
    cr_assert_eq(stats_of(p, NULL).ping_received, 0);
    const struct rec *r = app_event(&w, "p", "result", 0);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->detail, "1 packets transmitted, 0 received, +1 errors, 100% packet loss");
}
