/* Sections of a scenario: top level, hosts and tcp settings, links and
 * their directions, apps, faults, events; and the scenarios folder. */
#include <dirent.h>
#include <sys/stat.h>

#include "helpers.h"

Test(load, top_level_defaults)
{
    struct scenario *sc = load_ok("{\"name\": \"n\", \"hosts\": [{\"name\": \"a\"}]}");
    cr_assert_str_eq(sc->name, "n");
    cr_assert_str_eq(sc->title, "n");
    cr_assert_eq(sc->seed, 1);
    cr_assert_eq(sc->duration, 60 * SIM_SEC);
    cr_assert_null(sc->desc_en);
    cr_assert_str_eq(sc->file, "t.json");
    scenario_free(sc);
}

Test(load, top_level_fields)
{
    struct scenario *sc =
        load_ok("{\"$schema\": \"../schema.json\", \"name\": \"n\", \"title\": "
                "\"T\", \"seed\": 7, \"duration\": \"1.5s\", \"description\": "
                "{\"en\": \"E\", \"ko\": \"K\"}, \"hosts\": [{\"name\": \"a\"}]}");
    cr_assert_str_eq(sc->title, "T");
    cr_assert_eq(sc->seed, 7);
    cr_assert_eq(sc->duration, 1500 * SIM_MS);
    cr_assert_str_eq(sc->desc_en, "E");
    cr_assert_str_eq(sc->desc_ko, "K");
    scenario_free(sc);
}

Test(load, name_defaults_to_the_file_stem)
{
    struct scn_diags d = {0};
    const char *t = "{\"hosts\": [{\"name\": \"a\"}]}";
    struct scenario *sc = scenario_load_text("dir/syn-lost.json", t, strlen(t), &d);
    cr_assert_not_null(sc);
    cr_assert_str_eq(sc->name, "syn-lost");
    scenario_free(sc);
    scn_diags_free(&d);
}

Test(load, host_tcp_settings_over_defaults)
{
    struct scenario *sc = load_ok(
        "{\"defaults\": {\"tcp\": {\"mss\": 1000, \"sack\": false, \"min_rto\": \"200ms\"}},\n"
        "\"hosts\": [{\"name\": \"a\", \"forward\": true, \"pos\": [0.25, 1], \"tcp\": {\"mss\": "
        "536, \"cc\": \"cubic\", \"delayed_ack\": false, \"nagle\": false, \"window_scale\": "
        "false, "
        "\"timestamps\": false, \"msl\": \"1s\", \"sndbuf\": \"64KiB\", \"rcvbuf\": 8192, "
        "\"initial_window\": 4, \"syn_retries\": 2, \"keepalive\": \"10s\"}}, {\"name\": \"b\"}]}");
    const struct tcp_config *a = &sc->hosts[0].tcp, *b = &sc->hosts[1].tcp;
    struct tcp_config def;
    tcp_config_default(&def);
    cr_assert_eq(a->mss, 536);
    cr_assert_eq(b->mss, 1000);
    cr_assert_eq(a->sack, false);
    cr_assert_eq(b->sack, false);
    cr_assert_eq(a->min_rto, 200 * SIM_MS);
    cr_assert_eq(a->cc, TCP_CC_CUBIC);
    cr_assert_eq(b->cc, def.cc);
    cr_assert_eq(a->delayed_ack, 0);
    cr_assert_eq(b->delayed_ack, def.delayed_ack);
    cr_assert_eq(a->nagle, false);
    cr_assert_eq(a->window_scale, false);
    cr_assert_eq(a->timestamps, false);
    cr_assert_eq(a->msl, SIM_SEC);
    cr_assert_eq(b->msl, def.msl);
    cr_assert_eq(a->sndbuf, 65536);
    cr_assert_eq(a->rcvbuf, 8192);
    cr_assert_eq(a->initial_window, 4);
    cr_assert_eq(a->syn_retries, 2);
    cr_assert_eq(a->keepalive, 10 * SIM_SEC);
    cr_assert(sc->hosts[0].forward);
    cr_assert_not(sc->hosts[1].forward);
    cr_assert(sc->hosts[0].has_pos);
    cr_assert_float_eq(sc->hosts[0].x, 0.25, 1e-12);
    cr_assert_float_eq(sc->hosts[0].y, 1.0, 1e-12);
    cr_assert_not(sc->hosts[1].has_pos);
    scenario_free(sc);
}

Test(load, bad_tcp_settings)
{
    assert_error("{\"hosts\": [{\"name\": \"a\", \"tcp\": {\"cc\": \"cubci\"}}]}",
                 "hosts[0].tcp.cc: unknown value \"cubci\" (did you mean \"cubic\"?)");
    assert_error("{\"hosts\": [{\"name\": \"a\", \"tcp\": {\"delayed_ack\": 40}}]}",
                 "hosts[0].tcp.delayed_ack: a time needs a unit");
    assert_error("{\"defaults\": {\"tcp\": {\"msl\": \"0s\"}}, \"hosts\": [{\"name\": \"a\"}]}",
                 "defaults.tcp.msl: must be a positive time");
}

Test(load, duplicate_and_invalid_names)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"},\n {\"name\": \"a\"}]}",
                 "t.json:2:11: error: hosts[2].name: duplicate host name \"a\" (also hosts[0])");
    assert_error("{\"hosts\": [{\"name\": \"my host\"}]}",
                 "hosts[0].name: host name \"my host\" may only contain");
    assert_error("{\"hosts\": [{\"name\": \"10.0.0.1\"}]}", "must not look like an IPv4 address");
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                 "\"b\": \"b\"}, {\"a\": \"b\", \"b\": \"a\", \"name\": \"a-b\"}]}",
                 "links[1].name: duplicate link name \"a-b\" (also links[0])");
}

Test(load, link_name_defaults_to_its_ends)
{
    struct scenario *sc =
        load_ok("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                "\"b\": \"b\"}]}");
    cr_assert_str_eq(sc->links[0].name, "a-b");
    cr_assert_eq(scenario_link_index(sc, "a-b"), 0);
    cr_assert_eq(scenario_host_index(sc, "b"), 1);
    cr_assert_eq(scenario_host_index(sc, "c"), UINT32_MAX);
    scenario_free(sc);
}

Test(load, link_fields_defaults_and_directions)
{
    struct scenario *sc = load_ok(
        "{\"defaults\": {\"link\": {\"delay\": \"5ms\", \"queue\": 10, \"corrupt\": 0.01}},\n"
        "\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}],\n"
        "\"links\": [{\"a\": \"a\", \"b\": \"b\", \"rate\": \"10Mbps\", \"jitter\": \"1ms\", "
        "\"mtu\": 576, \"loss\": 0.1, \"duplicate\": 0.2, \"reorder\": 0.3,\n"
        "  \"a_to_b\": {\"delay\": \"50ms\", \"loss\": {\"gilbert\": {\"p\": 0.01, \"r\": 0.5, "
        "\"loss_bad\": 0.9}}}, \"b_to_a\": {\"rate\": \"1Mbps\"}},\n"
        " {\"a\": \"b\", \"b\": \"a\", \"name\": \"plain\"}]}");
    struct link_params def;
    link_params_default(&def);
    const struct link_params *ab = &sc->links[0].dir[0], *ba = &sc->links[0].dir[1];
    cr_assert_eq(ab->delay, 50 * SIM_MS);
    cr_assert_eq(ba->delay, 5 * SIM_MS);
    cr_assert_eq(ab->rate_bps, 10000000);
    cr_assert_eq(ba->rate_bps, 1000000);
    cr_assert_eq(ab->jitter, SIM_MS);
    cr_assert_eq(ab->queue, 10);
    cr_assert_eq(ab->mtu, 576);
    cr_assert_eq(ab->loss_model, LINK_LOSS_GILBERT);
    cr_assert_float_eq(ab->gilbert.p, 0.01, 1e-12);
    cr_assert_float_eq(ab->gilbert.r, 0.5, 1e-12);
    cr_assert_float_eq(ab->gilbert.loss_good, 0.0, 1e-12);
    cr_assert_float_eq(ab->gilbert.loss_bad, 0.9, 1e-12);
    cr_assert_eq(ba->loss_model, LINK_LOSS_BERNOULLI);
    cr_assert_float_eq(ba->loss, 0.1, 1e-12);
    cr_assert_float_eq(ba->duplicate, 0.2, 1e-12);
    cr_assert_float_eq(ba->reorder, 0.3, 1e-12);
    cr_assert_float_eq(ba->corrupt, 0.01, 1e-12);
    const struct link_params *plain = &sc->links[1].dir[0];
    cr_assert_eq(plain->delay, 5 * SIM_MS);
    cr_assert_eq(plain->rate_bps, def.rate_bps);
    cr_assert_eq(plain->mtu, def.mtu);
    scenario_free(sc);
}

Test(load, gilbert_needs_p_and_r)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                 "\"b\": \"b\", \"loss\": {\"gilbert\": {\"p\": 0.1}}}]}",
                 "links[0].loss.gilbert: missing required field \"r\"");
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                 "\"b\": \"b\", \"loss\": {\"gilbert\": {\"p\": 0.1, \"r\": 2}}}]}",
                 "links[0].loss.gilbert.r: probability 2 is out of range");
}

/* ---- Apps -------------------------------------------------------------- */

Test(load, tcp_server_and_client)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"srv\", \"host\": \"server\", \"type\": "
        "\"tcp_server\", \"port\": 80, \"mode\": \"respond\", \"respond\": \"2KiB\", \"close\": "
        "\"never\", \"backlog\": 4, \"read_rate\": \"1Mbps\"},\n"
        "{\"id\": \"c1\", \"host\": \"client\", \"type\": \"tcp_client\", \"connect\": "
        "\"server:80\", \"port\": 40000, \"at\": \"5ms\", \"send\": \"1MB\", \"script\": [{\"at\": "
        "\"2s\", \"send\": 500}, {\"at\": \"1s\", \"send\": 100}], \"close\": \"3s\", \"abort\": "
        "\"4s\", \"read_rate\": \"64kbps\"}]}");
    const struct app_tcp_server_cfg *s = &sc->apps[0].cfg.tcp_server;
    cr_assert_eq(sc->apps[0].type, SCN_APP_TCP_SERVER);
    cr_assert_str_eq(s->id, "srv");
    cr_assert_eq(s->port, 80);
    cr_assert_eq(s->mode, APP_SERVER_RESPOND);
    cr_assert_eq(s->respond_bytes, 2048);
    cr_assert(s->close_never);
    cr_assert_eq(s->backlog, 4);
    cr_assert_eq(s->read_rate_bps, 1000000);
    cr_assert_eq(sc->apps[0].peer_host, UINT32_MAX);
    const struct app_tcp_client_cfg *c = &sc->apps[1].cfg.tcp_client;
    cr_assert_eq(c->id, sc->apps[1].id);
    cr_assert_eq(c->dst, 0x0a000002);
    cr_assert_eq(c->dport, 80);
    cr_assert_eq(c->sport, 40000);
    cr_assert_eq(c->at, 5 * SIM_MS);
    cr_assert_eq(c->send, 1000000);
    cr_assert_eq(c->n_script, 2);
    cr_assert_eq(c->script[0].at, 2 * SIM_SEC);
    cr_assert_eq(c->script[1].bytes, 100);
    cr_assert_eq(c->close, APP_CLOSE_AT);
    cr_assert_eq(c->close_at, 3 * SIM_SEC);
    cr_assert_eq(c->abort_at, 4 * SIM_SEC);
    cr_assert_eq(c->read_rate_bps, 64000);
    cr_assert_eq(sc->apps[1].host, 0);
    cr_assert_eq(sc->apps[1].peer_host, 1);
    scenario_free(sc);
}

Test(load, client_defaults)
{
    struct scenario *sc = load_ok("{" TWO_HOSTS ",\n" SERVER_AND_CLIENT "}");
    const struct app_tcp_client_cfg *c = &sc->apps[1].cfg.tcp_client;
    cr_assert_eq(c->close, APP_CLOSE_AFTER_SEND);
    cr_assert_lt(c->abort_at, 0);
    cr_assert_eq(c->sport, 0);
    cr_assert_eq(c->at, 0);
    cr_assert_eq(sc->apps[0].cfg.tcp_server.mode, APP_SERVER_SINK);
    cr_assert_not(sc->apps[0].cfg.tcp_server.close_never);
    scenario_free(sc);
}

Test(load, udp_ping_traceroute)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS
        ",\n\"apps\": [{\"id\": \"rx\", \"host\": \"server\", \"type\": \"udp_sink\", "
        "\"port\": 9000}, {\"id\": \"tx\", \"host\": \"client\", \"type\": \"udp_sender\", \"to\": "
        "\"server:9000\", \"count\": 20, \"size\": 100, \"interval\": \"10ms\", \"port\": 5000, "
        "\"at\": \"1s\"},\n{\"id\": \"p\", \"host\": \"client\", \"type\": \"ping\", \"to\": "
        "\"server\", \"count\": 3, \"interval\": \"100ms\", \"size\": 1000, \"timeout\": \"2s\", "
        "\"ttl\": 5},\n{\"id\": \"tr\", \"host\": \"client\", \"type\": \"traceroute\", \"to\": "
        "\"10.0.0.2\", \"max_hops\": 8, \"probes\": 1, \"wait\": \"500ms\", \"port\": 40000}]}");
    cr_assert_eq(sc->apps[0].cfg.udp_sink.port, 9000);
    const struct app_udp_sender_cfg *u = &sc->apps[1].cfg.udp_sender;
    cr_assert_eq(u->dst, 0x0a000002);
    cr_assert_eq(u->dport, 9000);
    cr_assert_eq(u->sport, 5000);
    cr_assert_eq(u->count, 20);
    cr_assert_eq(u->size, 100);
    cr_assert_eq(u->interval, 10 * SIM_MS);
    cr_assert_eq(u->at, SIM_SEC);
    const struct app_ping_cfg *p = &sc->apps[2].cfg.ping;
    cr_assert_eq(p->count, 3);
    cr_assert_eq(p->size, 1000);
    cr_assert_eq(p->timeout, 2 * SIM_SEC);
    cr_assert_eq(p->interval, 100 * SIM_MS);
    cr_assert_eq(p->ttl, 5);
    const struct app_traceroute_cfg *t = &sc->apps[3].cfg.traceroute;
    cr_assert_eq(t->dst, 0x0a000002);
    cr_assert_eq(t->max_hops, 8);
    cr_assert_eq(t->probes, 1);
    cr_assert_eq(t->wait, 500 * SIM_MS);
    cr_assert_eq(t->dport, 40000);
    cr_assert_eq(scenario_app_index(sc, "tr"), 3);
    scenario_free(sc);
}

Test(load, app_errors)
{
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"c\", \"host\": \"client\", \"type\": "
                 "\"tcp_client\", \"connect\": \"server\"}]}",
                 "apps[0].connect: expected \"host:port\"");
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"c\", \"host\": \"client\", \"type\": "
                 "\"tcp_client\", \"connect\": \"servr:80\"}]}",
                 "apps[0].connect: unknown host \"servr\" (did you mean \"server\"?)");
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"c\", \"host\": \"client\", \"type\": "
                 "\"tcp_clint\"}]}",
                 "apps[0].type: unknown value \"tcp_clint\" (did you mean \"tcp_client\"?)");
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"s\", \"host\": \"server\", \"type\": "
                 "\"tcp_server\", \"port\": 80, \"mode\": \"respond\"}]}",
                 "mode \"respond\" needs \"respond\"");
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"s\", \"host\": \"server\", \"type\": "
                 "\"udp_sink\", \"port\": 80, \"mode\": \"sink\"}]}",
                 "apps[0].mode: unknown field \"mode\" in a udp_sink");
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"s\", \"host\": \"server\", \"type\": "
                 "\"tcp_server\", \"port\": 80}, {\"id\": \"s\", \"host\": \"server\", \"type\": "
                 "\"udp_sink\", \"port\": 81}]}",
                 "apps[1].id: duplicate app id \"s\" (also apps[0])");
}

Test(load, a_port_used_twice_on_a_host)
{
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"s1\", \"host\": \"server\", \"type\": "
                 "\"tcp_server\", \"port\": 80}, {\"id\": \"s2\", \"host\": \"server\", \"type\": "
                 "\"tcp_server\", \"port\": 80}]}",
                 "apps[1].port: TCP port 80 on host \"server\" is already used by app \"s1\"");
    /* the same number over UDP, or on another host, is fine */
    struct scenario *sc =
        load_ok("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"s1\", \"host\": \"server\", \"type\": "
                "\"tcp_server\", \"port\": 80}, {\"id\": \"s2\", \"host\": \"server\", \"type\": "
                "\"udp_sink\", \"port\": 80}, {\"id\": \"s3\", \"host\": \"client\", \"type\": "
                "\"tcp_server\", \"port\": 80}]}");
    scenario_free(sc);
}

/* ---- Faults ------------------------------------------------------------ */

Test(load, faults_with_filters)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wire\", \"from\": \"server\", \"drop\": "
        "{\"tcp_flags\": \"SYN,ACK\", \"nth\": 1}},\n{\"link\": \"wire\", \"from\": \"client\", "
        "\"delay\": {\"proto\": \"tcp\", \"seq\": 1, \"len\": 100, \"by\": \"200ms\"}},\n"
        "{\"link\": \"wire\", \"from\": \"client\", \"corrupt\": {\"proto\": \"udp\"}}]}");
    cr_assert_eq(sc->n_faults, 3);
    const struct scn_fault *f = &sc->faults[0];
    cr_assert_eq(f->link, 0);
    cr_assert_eq(f->side, 1);
    cr_assert_eq(f->fault.action, LINK_FAULT_DROP);
    cr_assert(f->fault.filter.has_flags);
    cr_assert_eq(f->fault.filter.tcp_flags, DEC_SYN | DEC_ACK);
    cr_assert_eq(f->fault.nth, 1);
    f = &sc->faults[1];
    cr_assert_eq(f->side, 0);
    cr_assert_eq(f->fault.action, LINK_FAULT_DELAY);
    cr_assert_eq(f->fault.delay, 200 * SIM_MS);
    cr_assert(f->fault.filter.has_proto);
    cr_assert_eq(f->fault.filter.proto, DEC_TCP);
    cr_assert(f->fault.filter.has_seq);
    cr_assert_eq(f->fault.filter.seq, 1);
    cr_assert_eq(f->fault.filter.len, 100);
    cr_assert_not(f->fault.filter.has_flags);
    cr_assert_eq(f->fault.nth, 0);
    cr_assert_eq(sc->faults[2].fault.action, LINK_FAULT_CORRUPT);
    scenario_free(sc);
}

Test(load, fault_errors)
{
    assert_error("{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wire\", \"from\": \"client\", "
                 "\"drop\": {\"tcp_flags\": \"SYN,AKC\"}}]}",
                 "faults[0].drop.tcp_flags: invalid TCP flags \"SYN,AKC\"");
    assert_error("{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wire\", \"from\": \"client\", "
                 "\"delay\": {\"proto\": \"tcp\"}}]}",
                 "faults[0].delay: missing required field \"by\"");
    assert_error("{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wier\", \"from\": \"client\", "
                 "\"drop\": {}}]}",
                 "faults[0].link: unknown link \"wier\" (did you mean \"wire\"?)");
    assert_error("{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wire\", \"from\": \"client\", "
                 "\"drop\": {}, \"duplicate\": {}}]}",
                 "faults[0].duplicate: a fault has one action");
    assert_error("{" TWO_HOSTS ",\n\"faults\": [{\"link\": \"wire\", \"from\": \"client\", "
                 "\"drop\": {\"nth\": 0}}]}",
                 "faults[0].drop.nth: 0 is out of range");
}

/* ---- Events ------------------------------------------------------------ */

Test(load, events_sorted_by_time_stably)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS ",\n" SERVER_AND_CLIENT
        ",\n\"events\": [{\"at\": \"3s\", \"link\": \"wire\", "
        "\"do\": \"up\"}, {\"at\": \"1s\", \"link\": \"wire\", \"do\": \"down\"}, {\"at\": \"3s\", "
        "\"app\": \"c1\", \"do\": \"send\", \"bytes\": 500}, {\"at\": \"2s\", \"app\": \"srv#1\", "
        "\"do\": \"close\"}, {\"at\": \"3s\", \"app\": \"c1\", \"do\": \"abort\"}]}");
    cr_assert_eq(sc->n_events, 5);
    cr_assert_eq(sc->events[0].kind, SCN_EV_LINK_DOWN);
    cr_assert_eq(sc->events[0].at, SIM_SEC);
    cr_assert_eq(sc->events[1].kind, SCN_EV_APP_CLOSE);
    cr_assert_str_eq(sc->events[1].conn, "srv#1");
    cr_assert_eq(sc->events[1].app, 0);
    cr_assert_eq(sc->events[2].kind, SCN_EV_LINK_UP);
    cr_assert_eq(sc->events[3].kind, SCN_EV_APP_SEND);
    cr_assert_eq(sc->events[3].bytes, 500);
    cr_assert_null(sc->events[3].conn);
    cr_assert_eq(sc->events[3].app, 1);
    cr_assert_eq(sc->events[4].kind, SCN_EV_APP_ABORT);
    scenario_free(sc);
}

Test(load, set_events_are_cumulative_in_time_order)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS ",\n\"events\": [{\"at\": \"5s\", \"link\": \"wire\", \"set\": {\"delay\": "
        "\"7ms\"}, \"dir\": \"b_to_a\"},\n{\"at\": \"2s\", \"link\": \"wire\", \"set\": {\"loss\": "
        "0.05}}]}");
    cr_assert_eq(sc->n_events, 2);
    const struct scn_event *e = &sc->events[0];
    cr_assert_eq(e->kind, SCN_EV_LINK_SET);
    cr_assert(e->set_dir[0] && e->set_dir[1]);
    cr_assert_float_eq(e->dir[0].loss, 0.05, 1e-12);
    cr_assert_eq(e->dir[0].delay, SIM_MS);
    e = &sc->events[1];
    cr_assert_not(e->set_dir[0]);
    cr_assert(e->set_dir[1]);
    cr_assert_eq(e->dir[1].delay, 7 * SIM_MS);
    cr_assert_float_eq(e->dir[1].loss, 0.05, 1e-12, "the earlier set stays applied");
    cr_assert_eq(e->dir[0].delay, SIM_MS);
    scenario_free(sc);
}

Test(load, set_event_per_direction_override)
{
    struct scenario *sc = load_ok(
        "{" TWO_HOSTS ",\n\"events\": [{\"at\": \"1s\", \"link\": \"wire\", \"set\": {\"rate\": "
        "\"1Mbps\", \"a_to_b\": {\"rate\": \"2Mbps\"}}}]}");
    cr_assert_eq(sc->events[0].dir[0].rate_bps, 2000000);
    cr_assert_eq(sc->events[0].dir[1].rate_bps, 1000000);
    scenario_free(sc);
}

Test(load, event_errors)
{
    assert_error("{" TWO_HOSTS ",\n" SERVER_AND_CLIENT ",\n\"events\": [{\"at\": \"1s\", \"app\": "
                 "\"c2\", \"do\": \"close\"}]}",
                 "events[0].app: unknown app \"c2\" (did you mean \"c1\"?)");
    assert_error("{" TWO_HOSTS ",\n" SERVER_AND_CLIENT ",\n\"events\": [{\"at\": \"1s\", \"app\": "
                 "\"c1#1\", \"do\": \"close\"}]}",
                 "events[0].app: unknown connection \"c1#1\": \"c1\" is not a tcp_server");
    assert_error("{" TWO_HOSTS ",\n\"events\": [{\"at\": \"1s\", \"link\": \"wir\", \"do\": "
                 "\"down\"}]}",
                 "events[0].link: unknown link \"wir\"");
    assert_error("{" TWO_HOSTS ",\n\"events\": [{\"at\": 1, \"link\": \"wire\", \"do\": "
                 "\"down\"}]}",
                 "events[0].at: a time needs a unit");
    assert_error("{" TWO_HOSTS ",\n\"events\": [{\"at\": \"1s\", \"link\": \"wire\", \"set\": "
                 "{\"los\": 0.1}}]}",
                 "events[0].set.los: unknown field \"los\" in link parameters (did you mean "
                 "\"loss\"?)");
}

/* ---- The scenarios folder --------------------------------------------- */

/* scenarios/bench/ holds the benchmark worlds (up to 100,000 connections):
 * far too slow to load under the sanitizers for a unit test, and the
 * benchmark runner loads them anyway. */
static bool skipped_folder(const char *parent_rel, const char *name)
{
    return strcmp(name, "bad") == 0 || (parent_rel[0] == '\0' && strcmp(name, "bench") == 0);
}

static void load_tree(const char *dir, const char *rel, int *count)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            char sub[1024];
            snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
            if (!skipped_folder(rel, e->d_name))
                load_tree(path, sub, count);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") || !strcmp(e->d_name, "schema.json"))
            continue;
        struct scn_diags dg = {0};
        struct scenario *sc = scenario_load_file(path, &dg);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        scn_diags_print(&dg, f);
        fclose(f);
        cr_expect_not_null(sc, "%s does not load:\n%s", path, buf);
        free(buf);
        scenario_free(sc);
        scn_diags_free(&dg);
        (*count)++;
    }
    closedir(d);
}

Test(load, every_scenario_file_loads)
{
    const char *root = getenv("TCPSIM_SOURCE_ROOT");
    cr_assert_not_null(root, "TCPSIM_SOURCE_ROOT is not set");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scenarios", root);
    int count = 0;
    load_tree(dir, "", &count);
    cr_assert_gt(count, 0);
}

/* Every bad file is refused, with at least one positioned diagnostic. */
Test(load, every_bad_file_is_refused)
{
    const char *root = getenv("TCPSIM_SOURCE_ROOT");
    cr_assert_not_null(root);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/bad", root);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct scn_diags dg = {0};
        struct scenario *sc = scenario_load_file(path, &dg);
        cr_expect_null(sc, "%s loaded", path);
        cr_expect_gt(dg.n, 0);
        cr_expect(dg.n == 0 || dg.v[0].line > 0, "%s: no position", path);
        scenario_free(sc);
        scn_diags_free(&dg);
        count++;
    }
    closedir(d);
    cr_assert_gt(count, 0);
}
