/* udp_sender and udp_sink over a real two-host world. */
#include <stdlib.h>

#include "apps_harness.h"
#include "stack/udp.h"

static struct world w;

static void setup(void)
{
    world_pair(&w, 5 * SIM_MS);
}

static void teardown(void)
{
    world_fini(&w);
}

TestSuite(udp_apps, .init = setup, .fini = teardown, .timeout = 10);

static struct app *sink(void)
{
    struct app_udp_sink_cfg c = {.id = "sink", .port = 9000};
    return world_app(&w, app_udp_sink_create(w.h[1], &c));
}

static struct app *sender(uint32_t count, uint32_t size)
{
    struct app_udp_sender_cfg c = {.id = "tx",
                                   .dst = B_IP,
                                   .dport = 9000,
                                   .at = 100 * SIM_MS,
                                   .interval = 10 * SIM_MS,
                                   .count = count,
                                   .size = size};
    return world_app(&w, app_udp_sender_create(w.h[0], &c));
}

Test(udp_apps, sink_counts_datagrams_and_payload_bytes)
{
    struct app *k = sink();
    sender(10, 100);
    world_run(&w, 2 * SIM_SEC);
    struct app_stats s = stats_of(k, NULL);
    cr_assert_eq(s.datagrams, 10);
    cr_assert_eq(s.bytes_received, 1000);
    cr_assert(s.intact);
}

Test(udp_apps, sender_spaces_datagrams_by_its_interval)
{
    struct app *k = sink();
    struct app *tx = sender(10, 100);
    /* Datagram i leaves at 100 ms + i * 10 ms and arrives 5 ms later (plus ARP first). */
    world_run(&w, 152 * SIM_MS);
    uint32_t got = stats_of(k, NULL).datagrams;
    cr_assert_geq(got, 4);
    cr_assert_leq(got, 6);
    cr_assert_eq(stats_of(tx, NULL).datagrams, 6);
}

Test(udp_apps, sink_verifies_large_fragmented_datagrams)
{
    struct app *k = sink();
    sender(3, 4000);
    world_run(&w, 2 * SIM_SEC);
    struct app_stats s = stats_of(k, NULL);
    cr_assert_eq(s.datagrams, 3);
    cr_assert_eq(s.bytes_received, 12000);
    cr_assert(s.intact);
}

Test(udp_apps, sink_flags_a_datagram_that_breaks_the_pattern)
{
    struct app *k = sink();
    struct udp_sock *raw = udp_open(w.h[0], 0, "raw", NULL, NULL);
    cr_assert_not_null(raw);
    uint8_t junk[64];
    app_pattern_fill(junk, 40, sizeof(junk));
    junk[30] ^= 0xff;
    cr_assert_eq(udp_sendto(raw, B_IP, 9000, junk, sizeof(junk), NULL), IP4_SENT);
    world_run(&w, 1 * SIM_SEC);
    udp_close(raw);
    struct app_stats s = stats_of(k, NULL);
    cr_assert_eq(s.datagrams, 1);
    cr_assert_not(s.intact);
    cr_assert_not_null(app_event(&w, "sink", "verify_failed", 0));
}

Test(udp_apps, sink_on_a_taken_port_is_not_created)
{
    sink();
    struct app_udp_sink_cfg c = {.id = "sink2", .port = 9000};
    cr_assert_null(app_udp_sink_create(w.h[1], &c));
}

Test(udp_apps, reports_count_datagrams)
{
    struct app *k = sink();
    struct app *tx = sender(4, 50);
    world_run(&w, 2 * SIM_SEC);
    char *r = report_of(tx);
    cr_assert_str_eq(r, "tx: sent 4 of 4 datagrams (200 B)\n");
    free(r);
    r = report_of(k);
    cr_assert_str_eq(r, "sink: received 4 datagrams (200 B) intact on port 9000\n");
    free(r);
}
