/* tcp_server and tcp_client over a real two-host world. */
#include <stdlib.h>

#include "apps_harness.h"

#define DELAY (10 * SIM_MS)

static struct world w;

static void setup(void)
{
    world_pair(&w, DELAY);
}

static void teardown(void)
{
    world_fini(&w);
}

TestSuite(tcp_apps, .init = setup, .fini = teardown, .timeout = 10);

Test(tcp_apps, sink_receives_every_byte_intact)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(100000, APP_CLOSE_AFTER_SEND);
    client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(srv, NULL);
    cr_assert_eq(s.bytes_received, 100000);
    cr_assert(s.intact);
    cr_assert_eq(s.connections, 1);
}

Test(tcp_apps, client_counts_bytes_handed_to_tcp_and_outcome)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(3000, APP_CLOSE_AFTER_SEND);
    struct app *cl = client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(cl, NULL);
    cr_assert_eq(s.bytes_sent, 3000);
    cr_assert_str_eq(s.outcome, "established");
    cr_assert_str_eq(s.state, "CLOSED");
}

Test(tcp_apps, echo_returns_the_bytes_to_the_client)
{
    struct app *srv = sink_server(&w, APP_SERVER_ECHO, 0);
    struct app_tcp_client_cfg c = client_cfg(50000, APP_CLOSE_AFTER_SEND);
    struct app *cl = client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(cl, NULL);
    cr_assert_eq(s.bytes_received, 50000);
    cr_assert(s.intact);
    cr_assert_eq(stats_of(srv, NULL).bytes_sent, 50000);
}

Test(tcp_apps, respond_sends_its_bytes_to_the_client)
{
    sink_server(&w, APP_SERVER_RESPOND, 30000);
    struct app_tcp_client_cfg c = client_cfg(0, APP_CLOSE_NEVER);
    struct app *cl = client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(cl, NULL);
    cr_assert_eq(s.bytes_received, 30000);
    cr_assert(s.intact);
}

Test(tcp_apps, client_closing_after_send_passes_fin_wait_and_time_wait)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_AFTER_SEND);
    client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    char states[256];
    states_of(&w, "c1", states, sizeof(states));
    cr_assert_str_eq(states, "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
}

Test(tcp_apps, server_closes_after_its_peer_through_close_wait_and_last_ack)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_AFTER_SEND);
    client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    char states[256];
    states_of(&w, "srv#1", states, sizeof(states));
    cr_assert_str_eq(states, "SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
}

Test(tcp_apps, server_with_close_never_stays_in_close_wait)
{
    struct app_tcp_server_cfg sc = {.id = "srv", .port = 80, .close_never = true};
    struct app *srv = world_app(&w, app_tcp_server_create(w.h[1], &sc));
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_AFTER_SEND);
    client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    cr_assert_str_eq(stats_of(srv, "srv#1").state, "CLOSE_WAIT");
}

Test(tcp_apps, abort_resets_both_ends)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_NEVER);
    c.abort_at = 500 * SIM_MS;
    struct app *cl = client(&w, &c);
    world_run(&w, 2 * SIM_SEC);
    cr_assert_str_eq(stats_of(cl, NULL).outcome, "reset");
    struct app_stats s = stats_of(srv, "srv#1");
    cr_assert_str_eq(s.outcome, "reset");
    cr_assert_str_eq(s.state, "CLOSED");
    cr_assert_eq(s.bytes_received, 1000);
}

Test(tcp_apps, client_closing_at_a_time_waits_for_it)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_AT);
    c.close_at = 1 * SIM_SEC;
    struct app *cl = client(&w, &c);
    world_run(&w, 900 * SIM_MS);
    cr_assert_str_eq(stats_of(cl, NULL).state, "ESTABLISHED");
    world_run(&w, 1100 * SIM_MS);
    cr_assert_str_eq(stats_of(cl, NULL).state, "TIME_WAIT"); /* 2 MSL = 1 s in these tests */
}

Test(tcp_apps, script_sends_more_bytes_at_its_times)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_send_step script[] = {{.at = 2 * SIM_SEC, .bytes = 700},
                                     {.at = 1 * SIM_SEC, .bytes = 300}};
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_AFTER_SEND);
    c.script = script;
    c.n_script = 2;
    client(&w, &c);
    world_run(&w, 1500 * SIM_MS);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 400);
    world_run(&w, 5 * SIM_SEC);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 1100);
    cr_assert(stats_of(srv, NULL).intact);
    char states[256];
    states_of(&w, "c1", states, sizeof(states));
    cr_assert_str_eq(states, "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
}

Test(tcp_apps, actions_send_on_a_client_and_close_an_accepted_connection)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(0, APP_CLOSE_NEVER);
    struct app *cl = client(&w, &c);
    world_run(&w, 500 * SIM_MS);
    cr_assert(cl->ops->action(cl, NULL, APP_DO_SEND, 2500, 500 * SIM_MS));
    cr_assert(srv->ops->action(srv, "srv#1", APP_DO_CLOSE, 0, 500 * SIM_MS));
    cr_assert_not(srv->ops->action(srv, "srv#9", APP_DO_CLOSE, 0, 500 * SIM_MS));
    world_run(&w, 2 * SIM_SEC);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 2500);
    cr_assert_str_eq(stats_of(srv, "srv#1").state, "FIN_WAIT_2");
    cr_assert_str_eq(stats_of(cl, NULL).state, "CLOSE_WAIT");
}

Test(tcp_apps, accepted_connections_are_numbered_in_accept_order)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c1 = client_cfg(100, APP_CLOSE_AFTER_SEND);
    struct app_tcp_client_cfg c2 = client_cfg(200, APP_CLOSE_AFTER_SEND);
    c2.id = "c2";
    c2.at = 300 * SIM_MS;
    client(&w, &c1);
    client(&w, &c2);
    world_run(&w, 5 * SIM_SEC);
    cr_assert_eq(stats_of(srv, NULL).connections, 2);
    cr_assert_eq(stats_of(srv, "srv#1").bytes_received, 100);
    cr_assert_eq(stats_of(srv, "srv#2").bytes_received, 200);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 300);
}

Test(tcp_apps, slow_reader_takes_the_time_its_rate_allows)
{
    /* 80 kbit/s = 10 kB/s: 20 kB need about two seconds of reading. */
    struct app_tcp_server_cfg sc = {.id = "srv", .port = 80, .read_rate_bps = 80000};
    struct app *srv = world_app(&w, app_tcp_server_create(w.h[1], &sc));
    struct app_tcp_client_cfg c = client_cfg(20000, APP_CLOSE_AFTER_SEND);
    client(&w, &c);
    world_run(&w, 1 * SIM_SEC);
    uint64_t early = stats_of(srv, NULL).bytes_received;
    cr_assert_gt(early, 5000);
    cr_assert_lt(early, 15000);
    world_run(&w, 5 * SIM_SEC);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 20000);
    cr_assert(stats_of(srv, NULL).intact);
}

Test(tcp_apps, server_listening_on_a_taken_port_is_not_created)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_server_cfg sc = {.id = "srv2", .port = 80};
    cr_assert_null(app_tcp_server_create(w.h[1], &sc));
}

Test(tcp_apps, refused_connection_is_the_client_outcome)
{
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_AFTER_SEND);
    struct app *cl = client(&w, &c);
    world_run(&w, 2 * SIM_SEC);
    cr_assert_str_eq(stats_of(cl, NULL).outcome, "refused");
}

Test(tcp_apps, reports_say_what_was_sent_and_received)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(1000, APP_CLOSE_AFTER_SEND);
    struct app *cl = client(&w, &c);
    world_run(&w, 10 * SIM_SEC);
    char *r = report_of(cl);
    cr_assert(strstr(r, "c1: sent 1000 B, received 0 B, outcome established, closed at "), "%s", r);
    cr_assert(strstr(r, " s, 0 retransmissions, srtt "), "no per-connection figures: %s", r);
    cr_assert(strstr(r, " ms, open "), "no duration: %s", r);
    free(r);
    r = report_of(srv);
    cr_assert(strstr(r, "srv: sink on port 80, 1 connection, received 1000 B intact"), "%s", r);
    cr_assert(strstr(r, "  srv#1: sent 0 B, received 1000 B, outcome established"), "%s", r);
    free(r);
}

Test(tcp_apps, echo_keeps_up_with_more_than_a_send_buffer)
{
    /* Three times the 128 KiB buffers: the echo must wait for room to send. */
    sink_server(&w, APP_SERVER_ECHO, 0);
    struct app_tcp_client_cfg c = client_cfg(3 * 128 * 1024, APP_CLOSE_AFTER_SEND);
    struct app *cl = client(&w, &c);
    world_run(&w, 20 * SIM_SEC);
    struct app_stats s = stats_of(cl, NULL);
    cr_assert_eq(s.bytes_received, 3 * 128 * 1024);
    cr_assert(s.intact);
    cr_assert_str_eq(s.state, "CLOSED");
}

Test(tcp_apps, slow_client_reads_a_response_at_its_rate)
{
    sink_server(&w, APP_SERVER_RESPOND, 20000);
    struct app_tcp_client_cfg c = client_cfg(0, APP_CLOSE_NEVER);
    c.read_rate_bps = 80000;
    struct app *cl = client(&w, &c);
    world_run(&w, 1 * SIM_SEC);
    uint64_t early = stats_of(cl, NULL).bytes_received;
    cr_assert_gt(early, 5000);
    cr_assert_lt(early, 15000);
    world_run(&w, 5 * SIM_SEC);
    cr_assert_eq(stats_of(cl, NULL).bytes_received, 20000);
    cr_assert(stats_of(cl, NULL).intact);
}
