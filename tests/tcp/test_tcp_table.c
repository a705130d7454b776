/* The per-host tables: connections by 4-tuple, local ports in use,
 * listeners.  They grow with the sockets of a host and are never iterated. */
#include "tcp_harness.h"

static struct fixture fx;

static void setup(void)
{
    fx_init(&fx, NULL);
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_table, .init = setup, .fini = teardown);

/* n connections from LOCAL_PORT to REMOTE_IP, remote ports 1000 + i. */
static void connect_many(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        cr_assert_not_null(tcp_connect_from(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP,
                                            (uint16_t)(1000 + i), "c", "c", &test_ops, &fx, 0));
    drop_output(&fx);
}

Test(tcp_table, lookup_finds_every_connection_of_a_large_host)
{
    connect_many(5000);
    for (uint32_t i = 0; i < 5000; i++) {
        struct tcp_sock *s =
            tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, (uint16_t)(1000 + i));
        cr_assert_not_null(s);
        cr_assert_eq(s->rport, 1000 + i);
    }
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 999));
}

Test(tcp_table, connection_table_grows_with_the_sockets)
{
    connect_many(5000);
    cr_expect_geq(fx.th->hash_mask + 1, 5000, "buckets %u for 5000 connections",
                  fx.th->hash_mask + 1);
    cr_expect_eq(fx.th->n_hashed, 5000);
}

Test(tcp_table, aborted_connection_leaves_the_table)
{
    connect_many(100);
    struct tcp_sock *s = tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 1050);
    cr_assert_not_null(s);
    tcp_abort(s);
    cr_expect_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 1050));
    cr_expect_not_null(tcp_lookup(fx.th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, 1051));
    cr_expect_eq(fx.th->n_hashed, 99);
}

Test(tcp_table, local_port_stays_in_use_until_its_last_socket_goes)
{
    struct tcp_sock *a =
        tcp_connect_from(fx.th, LOCAL_IP, 40000, REMOTE_IP, 80, "a", "a", &test_ops, &fx, 0);
    struct tcp_sock *b =
        tcp_connect_from(fx.th, LOCAL_IP, 40000, REMOTE_IP, 81, "b", "b", &test_ops, &fx, 0);
    cr_assert(a && b);
    drop_output(&fx);
    cr_expect(tcp_port_in_use(fx.th, 40000));
    cr_expect_not(tcp_port_in_use(fx.th, 40001));
    tcp_abort(a);
    cr_expect(tcp_port_in_use(fx.th, 40000), "b still uses it");
    tcp_abort(b);
    cr_expect_not(tcp_port_in_use(fx.th, 40000));
    drop_output(&fx);
}

Test(tcp_table, listener_port_is_in_use_and_freed_by_close)
{
    struct tcp_sock *l = sock_listen(&fx);
    cr_assert_not_null(l);
    cr_expect(tcp_port_in_use(fx.th, LOCAL_PORT));
    cr_expect_eq(tcp_lookup_listener(fx.th, LOCAL_PORT), l);
    tcp_close(l);
    cr_expect_null(tcp_lookup_listener(fx.th, LOCAL_PORT));
    cr_expect_not(tcp_port_in_use(fx.th, LOCAL_PORT));
}

Test(tcp_table, many_ports_in_use_are_all_found)
{
    for (uint32_t i = 0; i < 3000; i++)
        cr_assert_not_null(tcp_connect_from(fx.th, LOCAL_IP, (uint16_t)(30000 + i), REMOTE_IP, 80,
                                            "c", "c", &test_ops, &fx, 0));
    drop_output(&fx);
    for (uint32_t i = 0; i < 3000; i++)
        cr_assert(tcp_port_in_use(fx.th, (uint16_t)(30000 + i)));
    cr_expect_not(tcp_port_in_use(fx.th, 29999));
    cr_expect_not(tcp_port_in_use(fx.th, 33000));
}

/* The per-host TCP state of a world with tens of thousands of hosts (256 B:
 * 248 and the graveyard of sockets finished from inside a callback). */
Test(tcp_table, host_state_stays_within_its_budget)
{
    cr_expect_leq(sizeof(struct tcp_host), 256);
}

Test(tcp_table, attach_copies_the_config)
{
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.mss = 1000;
    struct host *h = host_create(&fx.sim, "h", 1, false);
    cr_assert(h && tcp_attach(h, &cfg));
    cfg.mss = 500;
    cr_expect_neq(tcp_host_config(h), &cfg);
    cr_expect_eq(tcp_host_config(h)->mss, 1000);
    host_destroy(h);
}

Test(tcp_table, hosts_attached_shared_share_the_config)
{
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.mss = 1000;
    struct host *a = host_create(&fx.sim, "a", 1, false);
    struct host *b = host_create(&fx.sim, "b", 2, false);
    cr_assert(a && b && tcp_attach_shared(a, &cfg) && tcp_attach_shared(b, &cfg));
    cr_expect_eq(tcp_host_config(a), &cfg);
    cr_expect_eq(tcp_host_config(b), &cfg);
    host_destroy(a);
    host_destroy(b);
}
