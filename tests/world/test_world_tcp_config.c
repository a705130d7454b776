/* Hosts with the same TCP settings share one configuration that the world
 * owns, so a world of many hosts keeps one copy, and it outlives the
 * scenario's records (freed once the apps start). */
#include "world_fixture.h"

#include "stack/host.h"
#include "stack/tcp/tcp.h"

/* Three hosts; `c_tcp` and `s_tcp` are the client's and the server's "tcp" objects. */
static struct fx build3(const char *c_tcp, const char *s_tcp)
{
    static const char fmt[] =
        "{\"name\":\"t\",\"seed\":1,\"duration\":\"1s\","
        "\"hosts\":[{\"name\":\"client\",\"tcp\":%s},{\"name\":\"server\",\"tcp\":%s},"
        "{\"name\":\"other\"}],"
        "\"links\":[{\"name\":\"a\",\"a\":\"client\",\"b\":\"server\",\"delay\":\"1ms\","
        "\"rate\":\"10Mbps\"},{\"name\":\"b\",\"a\":\"server\",\"b\":\"other\",\"delay\":\"1ms\","
        "\"rate\":\"10Mbps\"}]}";
    char text[1024];
    snprintf(text, sizeof text, fmt, c_tcp, s_tcp);
    struct fx f = {.sc = fx_load(text)};
    f.w = world_build(f.sc, 1, NULL, 0);
    cr_assert_not_null(f.w);
    return f;
}

static const struct tcp_config *cfg_of(const struct fx *f, uint32_t host)
{
    return tcp_host_config(f->w->hosts[host]);
}

Test(world_tcp_config, same_settings_share_one_config)
{
    struct fx f = build3("{}", "{}");
    cr_expect_eq(cfg_of(&f, 0), cfg_of(&f, 1));
    cr_expect_eq(cfg_of(&f, 1), cfg_of(&f, 2));
    cr_expect_eq(f.w->n_tcp_cfgs, 1);
    fx_free(&f);
}

Test(world_tcp_config, different_settings_get_their_own)
{
    struct fx f = build3("{\"mss\":536}", "{}");
    cr_expect_neq(cfg_of(&f, 0), cfg_of(&f, 1));
    cr_expect_eq(cfg_of(&f, 1), cfg_of(&f, 2));
    cr_expect_eq(cfg_of(&f, 0)->mss, 536);
    cr_expect_eq(cfg_of(&f, 1)->mss, 1460);
    cr_expect_eq(f.w->n_tcp_cfgs, 2);
    fx_free(&f);
}

Test(world_tcp_config, a_config_met_before_is_shared_again)
{
    struct fx f = build3("{\"sack\":false}", "{\"sack\":false}");
    cr_expect_eq(cfg_of(&f, 0), cfg_of(&f, 1));
    cr_expect_neq(cfg_of(&f, 1), cfg_of(&f, 2));
    cr_expect_eq(f.w->n_tcp_cfgs, 2);
    fx_free(&f);
}

Test(world_tcp_config, shared_config_outlives_the_slimmed_scenario)
{
    struct fx f = build3("{\"rcvbuf\":\"64KiB\"}", "{}");
    world_slim_scenario(f.w, f.sc);
    cr_assert_eq(world_run(f.w, -1), WORLD_OK, "world_run: %s", f.w->error);
    cr_expect_eq(cfg_of(&f, 0)->rcvbuf, 64 * 1024);
    fx_free(&f);
}

Test(world_tcp_config, equal_compares_every_field)
{
    struct tcp_config a, b;
    tcp_config_default(&a);
    tcp_config_default(&b);
    cr_expect(tcp_config_equal(&a, &b));
    b.keepalive = SIM_SEC;
    cr_expect_not(tcp_config_equal(&a, &b));
    b = a;
    b.backlog = 1;
    cr_expect_not(tcp_config_equal(&a, &b));
    b = a;
    b.timestamps = false;
    cr_expect_not(tcp_config_equal(&a, &b));
}
