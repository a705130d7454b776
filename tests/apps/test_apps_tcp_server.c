/* tcp_server with many connections: what it keeps of a connection once the
 * connection is gone (its state is freed), and tcp_client's compact state. */
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

TestSuite(tcp_server_conns, .init = setup, .fini = teardown, .timeout = 10);

static const char *const ids[] = {"c1", "c2", "c3", "c4", "c5", "c6", "c7"};

/* n clients, one after the other (each done before the next starts):
 * client i (0-based) sends (i + 1) * 100 bytes at i seconds, then closes. */
static void sequential_clients(uint32_t n, enum app_close_mode close)
{
    cr_assert_leq(n, sizeof(ids) / sizeof(ids[0]));
    for (uint32_t i = 0; i < n; i++) {
        struct app_tcp_client_cfg c = client_cfg((i + 1) * 100, close);
        c.id = ids[i];
        c.at = (sim_time)i * SIM_SEC;
        client(&w, &c);
    }
}

Test(tcp_server_conns, totals_count_every_connection_after_they_closed)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(6, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(srv, NULL);
    cr_assert_eq(s.connections, 6);
    cr_assert_eq(s.bytes_received, 2100); /* 100 + 200 + ... + 600 */
    cr_assert(s.intact);
}

Test(tcp_server_conns, a_closed_connection_keeps_its_statistics_by_name)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(6, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    for (uint32_t i = 1; i <= 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "srv#%u", i);
        struct app_stats s = stats_of(srv, name);
        cr_assert_eq(s.bytes_received, i * 100, "%s", name);
        cr_assert_eq(s.bytes_sent, 0);
        cr_assert(s.intact);
        cr_assert_eq(s.connections, 1);
        cr_assert_str_eq(s.outcome, "established");
        cr_assert_str_eq(s.state, "CLOSED");
    }
    struct app_stats none;
    cr_assert_not(app_stats(srv, "srv#7", &none));
}

Test(tcp_server_conns, open_and_closed_connections_add_up)
{
    /* The first three close, the last three stay open (the clients never close). */
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(3, APP_CLOSE_AFTER_SEND);
    for (uint32_t i = 3; i < 6; i++) {
        struct app_tcp_client_cfg c = client_cfg((i + 1) * 100, APP_CLOSE_NEVER);
        c.id = ids[i];
        c.at = (sim_time)i * SIM_SEC;
        client(&w, &c);
    }
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(srv, NULL);
    cr_assert_eq(s.connections, 6);
    cr_assert_eq(s.bytes_received, 2100);
    cr_assert_str_eq(stats_of(srv, "srv#2").state, "CLOSED");
    cr_assert_str_eq(stats_of(srv, "srv#5").state, "ESTABLISHED");
    cr_assert_eq(stats_of(srv, "srv#5").bytes_received, 500);
}

Test(tcp_server_conns, actions_apply_to_open_connections_only)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(3, APP_CLOSE_AFTER_SEND);
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_NEVER);
    c.id = "c4";
    c.at = 3 * SIM_SEC;
    client(&w, &c);
    world_run(&w, 4 * SIM_SEC);
    cr_assert_not(srv->ops->action(srv, "srv#3", APP_DO_CLOSE, 0, 4 * SIM_SEC));
    cr_assert(srv->ops->action(srv, "srv#4", APP_DO_SEND, 50, 4 * SIM_SEC));
    world_run(&w, 5 * SIM_SEC);
    cr_assert_eq(stats_of(srv, "srv#4").bytes_sent, 50);
    cr_assert_eq(stats_of(srv, NULL).bytes_sent, 50);
}

Test(tcp_server_conns, echo_totals_include_connections_gone)
{
    struct app *srv = sink_server(&w, APP_SERVER_ECHO, 0);
    sequential_clients(4, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    struct app_stats s = stats_of(srv, NULL);
    cr_assert_eq(s.bytes_received, 1000);
    cr_assert_eq(s.bytes_sent, 1000);
    cr_assert_eq(stats_of(srv, "srv#4").bytes_sent, 400);
}

Test(tcp_server_conns, slow_reader_closes_each_connection_once_read)
{
    struct app_tcp_server_cfg sc = {.id = "srv", .port = 80, .read_rate_bps = 80000};
    struct app *srv = world_app(&w, app_tcp_server_create(w.h[1], &sc));
    sequential_clients(3, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    cr_assert_eq(stats_of(srv, NULL).bytes_received, 600);
    for (uint32_t i = 1; i <= 3; i++) {
        char name[16], states[256];
        snprintf(name, sizeof(name), "srv#%u", i);
        states_of(&w, name, states, sizeof(states));
        cr_assert_str_eq(states, "SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED", "%s", name);
    }
}

Test(tcp_server_conns, report_lists_two_closed_connections_with_their_figures)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(2, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    char *r = report_of(srv);
    cr_assert(strstr(r, "srv: sink on port 80, 2 connections, received 300 B intact"), "%s", r);
    cr_assert(strstr(r, "  srv#1: sent 0 B, received 100 B, outcome established, closed at "), "%s",
              r);
    cr_assert(strstr(r, "  srv#2: sent 0 B, received 200 B, outcome established, closed at "), "%s",
              r);
    cr_assert(strstr(r, " s, 0 retransmissions, srtt 20.000 ms, open "), "%s", r);
    free(r);
}

Test(tcp_server_conns, report_has_no_connection_lines_beyond_two)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(3, APP_CLOSE_AFTER_SEND);
    world_run(&w, 10 * SIM_SEC);
    char *r = report_of(srv);
    cr_assert_str_eq(r, "srv: sink on port 80, 3 connections, received 600 B intact, sent 0 B\n");
    free(r);
}

/* A peer that sends zeros instead of the pattern, then closes. */
static void send_zeros(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx;
    (void)now;
    uint8_t zeros[300] = {0};
    cr_assert_eq(tcp_send(s, zeros, sizeof(zeros)), sizeof(zeros));
    tcp_close(s);
}

static const struct tcp_sock_ops zeros_ops = {.on_connected = send_zeros};

Test(tcp_server_conns, corruption_is_named_and_kept_after_the_connection_is_gone)
{
    struct app *srv = sink_server(&w, APP_SERVER_SINK, 0);
    sequential_clients(2, APP_CLOSE_AFTER_SEND);
    world_run(&w, 3 * SIM_SEC);
    cr_assert_not_null(tcp_connect(w.h[0], B_IP, 80, 0, "raw", "raw", &zeros_ops, NULL));
    world_run(&w, 10 * SIM_SEC);
    const struct rec *e = app_event(&w, "srv", "verify_failed", 0);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->conn, "srv#3");
    cr_assert_str_eq(e->detail, "offset 0");
    struct app_stats s = stats_of(srv, "srv#3");
    cr_assert_str_eq(s.state, "CLOSED");
    cr_assert_not(s.intact);
    cr_assert_eq(s.bytes_received, 300);
    cr_assert_not(stats_of(srv, NULL).intact);
    cr_assert(stats_of(srv, "srv#2").intact);
}

Test(tcp_server_conns, a_long_client_id_names_the_app_and_its_report)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    static const char long_id[] = "a-client-with-a-rather-long-identifier-of-sixty-four-characters";
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_AFTER_SEND);
    c.id = long_id;
    struct app *cl = client(&w, &c);
    cr_assert_str_eq(cl->id, long_id);
    world_run(&w, 10 * SIM_SEC);
    char *r = report_of(cl);
    cr_assert(strncmp(r, long_id, sizeof(long_id) - 1) == 0, "%s", r);
    cr_assert(strstr(r, ": sent 100 B, received 0 B, outcome established, closed at "), "%s", r);
    free(r);
}

Test(tcp_server_conns, a_client_not_yet_started_reports_so)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_AFTER_SEND);
    c.at = 50 * SIM_SEC; /* after the run: destroyed with its connect timer armed */
    struct app *cl = client(&w, &c);
    world_run(&w, 1 * SIM_SEC);
    char *r = report_of(cl);
    cr_assert_str_eq(r, "c1: sent 0 B, received 0 B, not started\n");
    free(r);
    cr_assert_str_eq(stats_of(cl, NULL).outcome, "pending");
}

Test(tcp_server_conns, a_client_still_open_reports_its_live_figures)
{
    sink_server(&w, APP_SERVER_SINK, 0);
    struct app_tcp_client_cfg c = client_cfg(100, APP_CLOSE_NEVER);
    struct app *cl = client(&w, &c);
    world_run(&w, 1 * SIM_SEC);
    char *r = report_of(cl);
    cr_assert(strstr(r, "c1: sent 100 B, received 0 B, outcome established, state ESTABLISHED, 0 "
                        "retransmissions, srtt "),
              "%s", r);
    free(r);
}
