/* Each kind of expectation holds when true and fails, with a message that says
 * expected vs. actual, when false. */
#include "world_fixture.h"

static void assert_holds(const char *apps, const char *faults, const char *expect)
{
    struct fx f = fx_run(apps, faults, expect);
    const struct world_verdict *v = fx_verdict(&f);
    cr_assert(v->ok, "should hold: %s", v->message);
    cr_assert_eq(f.w->n_failed, 0);
    fx_free(&f);
}

/* The verdict must fail with exactly `message` (or, when prefix, start with it). */
static void assert_fails(const char *apps, const char *faults, const char *expect,
                         const char *message, bool prefix)
{
    struct fx f = fx_run(apps, faults, expect);
    const struct world_verdict *v = fx_verdict(&f);
    cr_assert_not(v->ok, "should fail: %s", v->message);
    cr_assert_eq(f.w->n_failed, 1);
    if (prefix)
        cr_assert_eq(strncmp(v->message, message, strlen(message)), 0, "message: %s", v->message);
    else
        cr_assert_str_eq(v->message, message);
    cr_assert_str_eq(world_first_failure(f.w), v->message);
    fx_free(&f);
}

#define SYN_LOST                                                                                   \
    "{\"link\":\"wire\",\"from\":\"client\",\"drop\":{\"tcp_flags\":\"SYN\",\"nth\":1}}"

Test(expect, received_holds)
{
    assert_holds(FX_APPS, "", "{\"app\":\"srv\",\"received\":1000}");
}

Test(expect, received_fails_with_bytes)
{
    assert_fails(FX_APPS, "", "{\"app\":\"srv\",\"received\":1001}",
                 "expect[0]: app srv received 1000 B, expected 1001 B", false);
}

Test(expect, exact_states_hold)
{
    assert_holds(FX_APPS, "",
                 "{\"conn\":\"srv#1\",\"states\":[\"LISTEN\",\"SYN_RCVD\",\"ESTABLISHED\","
                 "\"CLOSE_WAIT\",\"LAST_ACK\",\"CLOSED\"]}");
}

Test(expect, exact_states_fail_with_the_history)
{
    assert_fails(FX_APPS, "",
                 "{\"conn\":\"srv#1\",\"states\":[\"LISTEN\",\"SYN_RCVD\",\"CLOSED\"]}",
                 "expect[0]: server srv#1 went LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK "
                 "CLOSED, expected LISTEN SYN_RCVD CLOSED",
                 false);
}

Test(expect, subsequence_holds)
{
    assert_holds(FX_APPS, "",
                 "{\"conn\":\"c1\",\"states\":[\"SYN_SENT\",\"TIME_WAIT\"],"
                 "\"match\":\"subsequence\"}");
}

Test(expect, subsequence_fails_naming_the_missing_state)
{
    assert_fails(FX_APPS, "",
                 "{\"conn\":\"c1\",\"states\":[\"SYN_SENT\",\"CLOSE_WAIT\"],"
                 "\"match\":\"subsequence\"}",
                 "expect[0]: client c1 went CLOSED SYN_SENT", true);
}

Test(expect, states_of_an_unknown_connection_fail)
{
    assert_fails(FX_APPS, "", "{\"conn\":\"srv#2\",\"states\":[\"LISTEN\"]}",
                 "expect[0]: srv#2 never appeared, expected states LISTEN", false);
}

Test(expect, state_at_holds)
{
    assert_holds(FX_APPS, "", "{\"conn\":\"c1\",\"at\":\"5ms\",\"state\":\"SYN_SENT\"}");
}

Test(expect, state_at_fails_with_time_and_states)
{
    assert_fails(FX_APPS, "", "{\"conn\":\"c1\",\"at\":\"5ms\",\"state\":\"ESTABLISHED\"}",
                 "expect[0]: client c1 state at 5ms was SYN_SENT, expected ESTABLISHED", false);
}

Test(expect, count_sees_both_syns_when_the_first_is_dropped)
{
    assert_holds(FX_APPS, SYN_LOST,
                 "{\"count\":{\"link\":\"wire\",\"from\":\"client\",\"tcp_flags\":\"SYN\"},"
                 "\"equals\":2}");
}

Test(expect, count_fails_with_the_number_seen)
{
    assert_fails(FX_APPS, SYN_LOST,
                 "{\"count\":{\"link\":\"wire\",\"from\":\"client\",\"tcp_flags\":\"SYN\"},"
                 "\"equals\":1}",
                 "expect[0]: count of SYN frames on wire from client was 2, expected 1", false);
}

Test(expect, count_with_a_max)
{
    assert_fails(FX_APPS, "",
                 "{\"count\":{\"link\":\"wire\",\"from\":\"server\",\"tcp_flags\":\"SYN,ACK\"},"
                 "\"max\":0}",
                 "expect[0]: count of SYN,ACK frames on wire from server was 1, expected at most 0",
                 false);
}

Test(expect, two_nth_faults_drop_the_first_two_syns)
{
    assert_holds(FX_APPS,
                 SYN_LOST ",{\"link\":\"wire\",\"from\":\"client\",\"drop\":{\"tcp_flags\":\"SYN\","
                          "\"nth\":2}}",
                 "{\"count\":{\"link\":\"wire\",\"from\":\"client\",\"tcp_flags\":\"SYN\"},"
                 "\"equals\":3}");
}

Test(expect, retransmits_hold)
{
    assert_holds(FX_APPS, SYN_LOST, "{\"conn\":\"c1\",\"retransmits\":{\"min\":1}}");
}

Test(expect, retransmits_fail_with_the_count)
{
    assert_fails(FX_APPS, SYN_LOST, "{\"conn\":\"c1\",\"retransmits\":0}",
                 "expect[0]: client c1 retransmitted 1 segment, expected 0", false);
}

#define REFUSED_CLIENT                                                                             \
    "{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\",\"connect\":\"server:81\","        \
    "\"at\":\"0ms\",\"send\":10,\"close\":\"after_send\"}"

Test(expect, outcome_refused_holds)
{
    assert_holds(FX_SERVER "," REFUSED_CLIENT, "", "{\"conn\":\"c1\",\"outcome\":\"refused\"}");
}

Test(expect, outcome_fails_with_the_actual_one)
{
    assert_fails(FX_SERVER "," REFUSED_CLIENT, "", "{\"conn\":\"c1\",\"outcome\":\"established\"}",
                 "expect[0]: client c1 outcome was refused, expected established", false);
}

#define PING                                                                                       \
    "{\"id\":\"p1\",\"host\":\"client\",\"type\":\"ping\",\"to\":\"server\",\"at\":\"0ms\","       \
    "\"count\":3,\"interval\":\"100ms\"}"

Test(expect, connections_accepted_hold)
{
    assert_holds(FX_APPS, "", "{\"app\":\"srv\",\"connections\":1}");
}

Test(expect, connections_accepted_fail_with_the_count)
{
    assert_fails(FX_APPS, "", "{\"app\":\"srv\",\"connections\":{\"min\":2}}",
                 "expect[0]: srv accepted 1 connection, expected at least 2", false);
}

Test(expect, ping_replies_hold)
{
    assert_holds(PING, "", "{\"app\":\"p1\",\"replies\":3}");
}

Test(expect, ping_replies_fail_with_the_count)
{
    assert_fails(PING, "", "{\"app\":\"p1\",\"replies\":4}",
                 "expect[0]: p1 got 3 replies, expected 4", false);
}

Test(expect, rtt_holds)
{
    assert_holds(PING, "", "{\"app\":\"p1\",\"rtt\":{\"min\":\"20ms\",\"max\":\"200ms\"}}");
}

Test(expect, rtt_fails_with_the_range)
{
    assert_fails(PING, "", "{\"app\":\"p1\",\"rtt\":{\"max\":\"1ms\"}}", "expect[0]: p1 rtt was ",
                 true);
}

Test(expect, cwnd_holds)
{
    assert_holds(FX_APPS, "", "{\"conn\":\"c1\",\"at\":\"1s\",\"cwnd\":{\"min\":1}}");
}

Test(expect, cwnd_fails_with_the_window_at_that_time)
{
    assert_fails(FX_APPS, "", "{\"conn\":\"c1\",\"at\":\"1s\",\"cwnd\":{\"max\":1}}",
                 "expect[0]: client c1 cwnd at 1s was ", true);
}

#define ZERO_DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"

Test(expect, trace_sha256_fails_with_both_digests)
{
    struct fx f = fx_run(FX_APPS, "", "{\"trace_sha256\":\"" ZERO_DIGEST "\"}");
    const struct world_verdict *v = fx_verdict(&f);
    cr_assert_not(v->ok);
    char want[256];
    snprintf(want, sizeof want, "expect[0]: trace_sha256 was %s, expected " ZERO_DIGEST,
             f.w->digest);
    cr_assert_str_eq(v->message, want);
    fx_free(&f);
}

Test(expect, trace_sha256_holds_for_the_golden_digest)
{
    struct fx first = fx_run(FX_APPS, "", "");
    char exp[160];
    snprintf(exp, sizeof exp, "{\"trace_sha256\":\"%s\"}", first.w->digest);
    assert_holds(FX_APPS, "", exp);
    fx_free(&first);
}

Test(expect, messages_carry_their_index)
{
    struct fx f =
        fx_run(FX_APPS, "", "{\"app\":\"srv\",\"received\":1000},{\"app\":\"srv\",\"received\":7}");
    cr_assert_eq(f.w->n_verdicts, 2);
    cr_assert(f.w->verdicts[0].ok);
    cr_assert_str_eq(f.w->verdicts[1].message, "expect[1]: app srv received 1000 B, expected 7 B");
    fx_free(&f);
}
