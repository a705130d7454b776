/* `expect`: every kind parsed, with its line, and its errors. */
#include "helpers.h"

#define WORLD                                                                                      \
    TWO_HOSTS                                                                                      \
    ",\n\"apps\": [{\"id\": \"srv\", \"host\": \"server\", \"type\": \"tcp_server\", "             \
    "\"port\": 80},\n  {\"id\": \"c1\", \"host\": \"client\", \"type\": \"tcp_client\", "          \
    "\"connect\": \"server:80\", \"send\": 1000},\n  {\"id\": \"p\", \"host\": "                   \
    "\"client\", \"type\": \"ping\", \"to\": \"server\"}],\n"

static struct scenario *load_expect(const char *expect_json)
{
    char text[4096];
    snprintf(text, sizeof text, "{" WORLD "\"expect\": [%s]}", expect_json);
    return load_ok(text);
}

static void expect_error(const char *expect_json, const char *want)
{
    char text[4096];
    snprintf(text, sizeof text, "{" WORLD "\"expect\": [%s]}", expect_json);
    assert_error(text, want);
}

Test(expect, states_exact_and_subsequence)
{
    struct scenario *sc =
        load_expect("{\"conn\": \"c1\", \"states\": [\"CLOSED\", \"SYN_SENT\", \"ESTABLISHED\"]},\n"
                    "{\"conn\": \"srv#1\", \"states\": [\"LISTEN\", \"TIME_WAIT\"], \"match\": "
                    "\"subsequence\"}");
    cr_assert_eq(sc->n_expects, 2);
    const struct scn_expect *e = &sc->expects[0];
    cr_assert_eq(e->kind, SCN_EXP_STATES);
    cr_assert_str_eq(e->conn, "c1");
    cr_assert_eq(e->app, 1);
    cr_assert_eq(e->n_states, 3);
    cr_assert_eq(e->states[0], TCP_CLOSED);
    cr_assert_eq(e->states[2], TCP_ESTABLISHED);
    cr_assert_not(e->subsequence);
    cr_assert_eq(e->index, 0);
    cr_assert_eq(e->line, 6);
    e = &sc->expects[1];
    cr_assert_str_eq(e->conn, "srv#1");
    cr_assert_eq(e->app, 0);
    cr_assert(e->subsequence);
    cr_assert_eq(e->states[1], TCP_TIME_WAIT);
    cr_assert_eq(e->line, 7);
    scenario_free(sc);
}

Test(expect, state_at_a_time)
{
    struct scenario *sc = load_expect("{\"conn\": \"c1\", \"at\": \"1.1s\", \"state\": "
                                      "\"SYN_SENT\"}");
    const struct scn_expect *e = &sc->expects[0];
    cr_assert_eq(e->kind, SCN_EXP_STATE_AT);
    cr_assert_eq(e->at, 1100 * SIM_MS);
    cr_assert_eq(e->state, TCP_SYN_SENT);
    scenario_free(sc);
}

Test(expect, received_bytes)
{
    struct scenario *sc = load_expect("{\"app\": \"srv\", \"received\": 1000}, {\"app\": \"c1\", "
                                      "\"received\": {\"min\": \"1KiB\"}}");
    const struct scn_expect *e = &sc->expects[0];
    cr_assert_eq(e->kind, SCN_EXP_RECEIVED);
    cr_assert_eq(e->app, 0);
    cr_assert(e->cmp.has_eq);
    cr_assert_eq(e->cmp.eq, 1000);
    e = &sc->expects[1];
    cr_assert(e->cmp.has_min);
    cr_assert_not(e->cmp.has_max);
    cr_assert_eq(e->cmp.min, 1024);
    scenario_free(sc);
}

Test(expect, frame_count)
{
    struct scenario *sc = load_expect(
        "{\"count\": {\"link\": \"wire\", \"from\": \"client\", \"tcp_flags\": \"SYN\"}, "
        "\"equals\": 2}, {\"count\": {\"link\": \"wire\", \"proto\": \"icmp\", \"len\": 56}, "
        "\"min\": 1, \"max\": 4}");
    const struct scn_expect *e = &sc->expects[0];
    cr_assert_eq(e->kind, SCN_EXP_COUNT);
    cr_assert_eq(e->link, 0);
    cr_assert_eq(e->side, 0);
    cr_assert(e->filter.has_flags);
    cr_assert_eq(e->filter.tcp_flags, DEC_SYN);
    cr_assert(e->cmp.has_eq);
    cr_assert_eq(e->cmp.eq, 2);
    e = &sc->expects[1];
    cr_assert_eq(e->side, -1);
    cr_assert_eq(e->filter.proto, DEC_ICMP);
    cr_assert_eq(e->filter.len, 56);
    cr_assert(e->cmp.has_min && e->cmp.has_max);
    cr_assert_eq(e->cmp.min, 1);
    cr_assert_eq(e->cmp.max, 4);
    scenario_free(sc);
}

Test(expect, retransmits_number_or_range)
{
    struct scenario *sc = load_expect("{\"conn\": \"c1\", \"retransmits\": 0}, {\"conn\": \"c1\", "
                                      "\"retransmits\": {\"min\": 1, \"max\": 3}}");
    cr_assert_eq(sc->expects[0].kind, SCN_EXP_RETRANSMITS);
    cr_assert(sc->expects[0].cmp.has_eq);
    cr_assert_eq(sc->expects[0].cmp.eq, 0);
    cr_assert_eq(sc->expects[1].cmp.min, 1);
    cr_assert_eq(sc->expects[1].cmp.max, 3);
    scenario_free(sc);
}

Test(expect, outcomes)
{
    const char *names[] = {"established", "refused", "reset", "timeout"};
    const enum tcp_outcome want[] = {TCP_OUTCOME_ESTABLISHED, TCP_OUTCOME_REFUSED,
                                     TCP_OUTCOME_RESET, TCP_OUTCOME_TIMEOUT};
    for (int i = 0; i < 4; i++) {
        char e[128];
        snprintf(e, sizeof e, "{\"conn\": \"c1\", \"outcome\": \"%s\"}", names[i]);
        struct scenario *sc = load_expect(e);
        cr_assert_eq(sc->expects[0].kind, SCN_EXP_OUTCOME);
        cr_assert_eq(sc->expects[0].outcome, want[i]);
        scenario_free(sc);
    }
}

Test(expect, connections_of_a_server)
{
    struct scenario *sc = load_expect("{\"app\": \"srv\", \"connections\": {\"min\": 3}}");
    cr_assert_eq(sc->expects[0].kind, SCN_EXP_CONNECTIONS);
    cr_assert_eq(sc->expects[0].app, 0);
    cr_assert(sc->expects[0].cmp.has_min);
    cr_assert_eq(sc->expects[0].cmp.min, 3);
    scenario_free(sc);
    expect_error("{\"app\": \"p\", \"connections\": 1}", "\"connections\" applies to tcp_server");
}

Test(expect, ping_replies_and_rtt)
{
    struct scenario *sc = load_expect("{\"app\": \"p\", \"replies\": 4}, {\"app\": \"p\", \"rtt\": "
                                      "{\"min\": \"2ms\", \"max\": \"2.5ms\"}}");
    cr_assert_eq(sc->expects[0].kind, SCN_EXP_PING_REPLIES);
    cr_assert_eq(sc->expects[0].app, 2);
    cr_assert_eq(sc->expects[0].cmp.eq, 4);
    cr_assert_eq(sc->expects[1].kind, SCN_EXP_RTT);
    cr_assert_eq(sc->expects[1].cmp.min, 2 * SIM_MS);
    cr_assert_eq(sc->expects[1].cmp.max, 2500 * SIM_US);
    scenario_free(sc);
}

Test(expect, cwnd_at_a_time)
{
    struct scenario *sc = load_expect("{\"conn\": \"c1\", \"at\": \"2s\", \"cwnd\": {\"min\": "
                                      "\"10KiB\", \"max\": 100000}}");
    const struct scn_expect *e = &sc->expects[0];
    cr_assert_eq(e->kind, SCN_EXP_CWND);
    cr_assert_eq(e->at, 2 * SIM_SEC);
    cr_assert_eq(e->cmp.min, 10240);
    cr_assert_eq(e->cmp.max, 100000);
    scenario_free(sc);
}

Test(expect, trace_sha256_with_or_without_prefix)
{
    const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char e[256];
    snprintf(e, sizeof e, "{\"trace_sha256\": \"%s\"}, {\"trace_sha256\": \"sha256:%s\"}", hex,
             hex);
    struct scenario *sc = load_expect(e);
    char want[80];
    snprintf(want, sizeof want, "sha256:%s", hex);
    cr_assert_eq(sc->expects[0].kind, SCN_EXP_TRACE_SHA256);
    cr_assert_str_eq(sc->expects[0].sha256, want);
    cr_assert_str_eq(sc->expects[1].sha256, want);
    scenario_free(sc);
}

Test(expect, unknown_connection_and_app)
{
    expect_error("{\"conn\": \"c2\", \"outcome\": \"reset\"}",
                 "expect[0].conn: unknown connection \"c2\" (did you mean \"c1\"?)");
    expect_error("{\"conn\": \"srv#0\", \"outcome\": \"reset\"}",
                 "expect[0].conn: invalid connection name \"srv#0\"");
    expect_error("{\"conn\": \"p\", \"outcome\": \"reset\"}",
                 "expect[0].conn: \"p\" is a ping, not a connection");
    expect_error("{\"app\": \"p\", \"received\": 5}",
                 "expect[0].app: app \"p\" is a ping; \"received\" applies to");
    expect_error("{\"app\": \"c1\", \"replies\": 5}", "\"replies\" applies to ping");
    expect_error("{\"app\": \"nobody\", \"received\": 5}", "expect[0].app: unknown app \"nobody\"");
}

Test(expect, malformed_expectations)
{
    expect_error("{\"conn\": \"c1\"}", "expect[0]: an expectation needs one of");
    expect_error("{\"conn\": \"c1\", \"states\": [\"SYN_SEND\"]}",
                 "expect[0].states[0]: unknown TCP state \"SYN_SEND\" (did you mean "
                 "\"SYN_SENT\"?)");
    expect_error("{\"conn\": \"c1\", \"outcome\": \"ok\"}", "expect[0].outcome: unknown value");
    expect_error("{\"count\": {\"link\": \"wire\"}}",
                 "a count needs \"equals\", \"min\" or \"max\"");
    expect_error("{\"conn\": \"c1\", \"retransmits\": {\"min\": 3, \"max\": 1}}",
                 "\"min\" is larger than \"max\"");
    expect_error("{\"app\": \"p\", \"rtt\": \"2ms\"}", "expect[0].rtt: expected {\"min\"");
    expect_error("{\"trace_sha256\": \"abc\"}", "expect[0].trace_sha256: expected \"sha256:\"");
    expect_error("{\"conn\": \"c1\", \"states\": [\"CLOSED\"], \"extra\": 1}",
                 "expect[0].extra: unknown field \"extra\" in a \"states\" expectation");
}
