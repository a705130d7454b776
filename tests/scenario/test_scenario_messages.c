/* The wording of the loader's messages: what was written is quoted as
 * written, a suggestion is a value the loader would accept, and the message
 * says what is wrong rather than that something is. */
#include "helpers.h"

/* A one-host scenario with `extra` members added to the top level. */
static void assert_top_error(const char *extra, const char *want)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"hosts\": [{\"name\": \"a\"}], %s}", extra);
    assert_error(json, want);
}

/* A two-host link carrying `field`. */
static void assert_link_error(const char *field, const char *want)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}],\n"
             "\"links\": [{\"a\": \"a\", \"b\": \"b\", %s}]}",
             field);
    assert_error(json, want);
}

/* The text must fail with exactly `want` as its whole output. */
static void assert_output(const char *json, const char *want)
{
    char *msg = load_err(json);
    cr_assert_str_eq(msg, want);
    free(msg);
}

/* ---- Units ------------------------------------------------------------- */

Test(messages, bare_rate_number_is_bits_per_second_written_in_full)
{
    assert_link_error("\"rate\": 10000000",
                      "links[0].rate: a rate needs a unit: bare numbers are rejected: write "
                      "\"10000000bps\"");
}

Test(messages, bare_rate_number_never_in_exponent_form)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}],\n"
                         "\"links\": [{\"a\": \"a\", \"b\": \"b\", \"rate\": 1e9}]}");
    cr_assert(strstr(msg, "\"1000000000bps\""), "%s", msg);
    cr_assert_null(strstr(msg, "e+"), "%s", msg);
    free(msg);
}

Test(messages, bare_time_number_in_full)
{
    assert_top_error("\"duration\": 1e7", "duration: a time needs a unit: bare numbers are "
                                          "rejected: write \"10000000ms\"");
}

Test(messages, rate_string_without_unit_gets_the_bare_number_wording)
{
    assert_link_error("\"rate\": \"10\"",
                      "links[0].rate: a rate needs a unit: bare numbers are rejected: write "
                      "\"10Mbps\"");
}

Test(messages, rate_in_bytes_per_second_is_converted_to_bits)
{
    assert_link_error("\"rate\": \"10MBps\"", "not bytes (\"B\"): write \"80Mbps\"");
}

Test(messages, time_unit_in_the_wrong_case_is_corrected)
{
    assert_top_error("\"duration\": \"10MS\"", "duration: invalid time \"10MS\": did you mean "
                                               "\"10ms\"?");
}

Test(messages, size_unit_in_the_wrong_case_is_corrected)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\", \"tcp\": {\"sndbuf\": \"64Kib\"}}]}");
    cr_assert(strstr(msg, "did you mean \"64KiB\"?"), "%s", msg);
    free(msg);
}

Test(messages, negative_time)
{
    assert_link_error("\"delay\": \"-5ms\"", "links[0].delay: a time cannot be negative");
}

Test(messages, time_too_large)
{
    assert_top_error("\"duration\": \"99999999999999999999h\"",
                     "duration: time is too large (at most ");
    assert_top_error("\"duration\": \"2562048h\"", "duration: time is too large (at most ");
}

Test(messages, largest_time_in_hours_is_accepted)
{
    scenario_free(load_ok("{\"hosts\": [{\"name\": \"a\"}], \"duration\": \"2562047h\"}"));
}

Test(messages, time_finer_than_a_nanosecond)
{
    assert_top_error("\"duration\": \"1.5ns\"", "not a whole number of nanoseconds");
}

Test(messages, number_overflow_quotes_the_literal)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\"}], \"seed\": 1e400}");
    cr_assert(strstr(msg, "seed: 1e400 is out of range"), "%s", msg);
    cr_assert_null(strstr(msg, "inf"), "%s", msg);
    free(msg);
}

/* ---- JSON syntax (RFC 8259) -------------------------------------------- */

Test(messages, unterminated_string_points_at_its_opening_quote)
{
    assert_output(
        "{\n  \"hosts\": [{\"name\": \"a}]\n}\n",
        "t.json:2:22: error: hosts[0].name: unterminated string: no closing '\"' for this opening "
        "quote\n");
}

Test(messages, raw_newline_in_a_string_is_refused_where_it_is)
{
    assert_output("{\"hosts\": [{\"name\": \"a\nb\"}]}",
                  "t.json:1:23: error: hosts[0].name: a string cannot span lines: write \\n for a "
                  "newline (or a "
                  "closing '\"' is missing)\n");
}

Test(messages, raw_tab_in_a_string_is_refused_where_it_is)
{
    assert_output("{\"hosts\": [{\"name\": \"a\tb\"}]}",
                  "t.json:1:23: error: hosts[0].name: raw tab character in a string: write \\t\n");
}

Test(messages, other_control_characters_in_a_string_are_refused)
{
    assert_error(
        "{\"hosts\": [{\"name\": \"a\x01\"}]}",
        "t.json:1:23: error: hosts[0].name: raw control character 0x01 in a string: write \\u0001");
}

Test(messages, escaped_nul_is_refused)
{
    assert_error(
        "{\"hosts\": [{\"name\": \"a\\u0000b\"}]}",
        "t.json:1:23: error: hosts[0].name: \\u0000 (a NUL character) is not allowed in a string");
}

Test(messages, escaped_control_characters_are_fine)
{
    struct scenario *sc =
        load_ok("{\"hosts\": [{\"name\": \"a\"}], \"title\": \"x\\ty\\n\\u0001\"}");
    cr_assert_str_eq(sc->title, "x\ty\n\x01");
    scenario_free(sc);
}

Test(messages, leading_zeros_are_refused)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}], \"seed\": 01}",
                 "t.json:1:36: error: seed: leading zeros are not allowed in numbers");
    assert_error("{\"hosts\": [{\"name\": \"a\"}], \"seed\": -00}", "leading zeros");
}

Test(messages, a_lone_zero_is_fine)
{
    struct scenario *sc = load_ok("{\"hosts\": [{\"name\": \"a\"}], \"seed\": 0}");
    scenario_free(sc);
}

Test(messages, malformed_numbers_are_refused)
{
    assert_error("{\"hosts\": [{\"name\": \"a\"}], \"seed\": 1.}", "after the decimal point");
    assert_error("{\"hosts\": [{\"name\": \"a\"}], \"seed\": 1e}", "in the exponent");
}

/* ---- Names, addresses and ports ---------------------------------------- */

Test(messages, connect_to_a_host_without_a_link_says_so)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"client\"}, {\"name\": \"server\"}],\n"
                         "\"apps\": [{\"id\": \"c1\", \"host\": \"client\", \"type\": "
                         "\"tcp_client\", \"connect\": \"server:80\"}]}");
    cr_assert(strstr(msg, "apps[0].connect: no route from host \"client\" to \"server\" (host "
                          "\"server\" has no link)"),
              "%s", msg);
    cr_assert_null(strstr(msg, "did you mean \"server\""), "%s", msg);
    free(msg);
}

Test(messages, connect_port_out_of_range)
{
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"c1\", \"host\": \"client\", \"type\": "
                 "\"tcp_client\", \"connect\": \"server:70000\"}]}",
                 "apps[0].connect: port 70000 is out of range [1, 65535]");
}

Test(messages, connect_port_zero)
{
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"c1\", \"host\": \"client\", \"type\": "
                 "\"tcp_client\", \"connect\": \"server:0\"}]}",
                 "apps[0].connect: port 0 is out of range [1, 65535]");
}

Test(messages, interface_prefix_over_32)
{
    assert_error("{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"wire\", \"ip\": "
                 "\"10.0.0.1/33\"}]}, {\"name\": \"b\"}],\n"
                 "\"links\": [{\"name\": \"wire\", \"a\": \"a\", \"b\": \"b\"}]}",
                 "hosts[0].interfaces[0].ip: invalid address \"10.0.0.1/33\": prefix length /33 "
                 "is over 32");
}

Test(messages, interface_without_prefix)
{
    assert_error("{\"hosts\": [{\"name\": \"a\", \"interfaces\": [{\"link\": \"wire\", \"ip\": "
                 "\"10.0.0.1\"}]}, {\"name\": \"b\"}],\n"
                 "\"links\": [{\"name\": \"wire\", \"a\": \"a\", \"b\": \"b\"}]}",
                 "the prefix length is missing");
}

/* ---- Expectations ------------------------------------------------------- */

Test(messages, misspelt_expectation_kind_is_named_with_a_suggestion)
{
    char *msg = load_err("{" TWO_HOSTS ",\n" SERVER_AND_CLIENT
                         ",\n\"expect\": [{\"conn\": \"c1\", \"outcom\": \"established\"}]}");
    cr_assert(strstr(msg, "expect[0].outcom: unknown field \"outcom\" (did you mean "
                          "\"outcome\"?)"),
              "%s", msg);
    cr_assert_null(strstr(msg, "needs one of"), "%s", msg);
    free(msg);
}

Test(messages, expectation_with_no_kind_and_nothing_close_lists_the_kinds)
{
    assert_error("{" TWO_HOSTS ",\n" SERVER_AND_CLIENT ",\n\"expect\": [{\"conn\": \"c1\"}]}",
                 "expect[0]: an expectation needs one of");
}

/* ---- Every independent error, in the order of the file ----------------- */

static const char several_errors[] =
    "{\n"
    "\"hosts\": [{\"name\": \"client\"}, {\"name\": \"server\"}, {\"name\": \"client\"}],\n"
    "\"links\": [{\"name\": \"wire\", \"a\": \"client\", \"b\": \"sever\"}],\n"
    "\"apps\": [{\"id\": \"c1\", \"host\": \"clinet\", \"type\": \"tcp_client\", \"connect\": "
    "\"srever:80\"}],\n"
    "\"faults\": [{\"link\": \"wrie\", \"from\": \"client\", \"drop\": {\"nth\": 1}}],\n"
    "\"events\": [{\"at\": \"1s\", \"link\": \"wir\", \"do\": \"down\"}],\n"
    "\"expect\": [{\"conn\": \"c2\", \"outcome\": \"established\"}]\n"
    "}";

Test(messages, references_are_checked_after_a_duplicate_host)
{
    char *msg = load_err(several_errors);
    const char *want[] = {
        "hosts[2].name: duplicate host name \"client\"",
        "links[0].b: unknown host \"sever\" (did you mean \"server\"?)",
        "apps[0].host: unknown host \"clinet\" (did you mean \"client\"?)",
        "apps[0].connect: unknown host \"srever\"",
        "faults[0].link: unknown link \"wrie\" (did you mean \"wire\"?)",
        "events[0].link: unknown link \"wir\" (did you mean \"wire\"?)",
        "expect[0].conn: unknown app \"c2\" (did you mean \"c1\"?)",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(strstr(msg, want[i]), "\"%s\" not in:\n%s", want[i], msg);
    free(msg);
}

Test(messages, a_reference_to_a_host_refused_for_another_reason_is_not_an_error)
{
    char *msg =
        load_err("{\"hosts\": [{\"name\": \"a b\"}, {\"name\": \"c\"}],\n"
                 "\"apps\": [{\"id\": \"p\", \"host\": \"a b\", \"type\": \"ping\", \"to\": "
                 "\"c\"}]}");
    cr_assert(strstr(msg, "hosts[0].name: host name \"a b\""), "%s", msg);
    cr_assert_null(strstr(msg, "unknown host"), "%s", msg);
    free(msg);
}

/* Line numbers of every diagnostic line of msg, in order. */
static int lines_of(const char *msg, int *out, int max)
{
    int n = 0;
    for (const char *p = msg; p && *p && n < max; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        int line, col;
        if (sscanf(p, "t.json:%d:%d:", &line, &col) == 2)
            out[n++] = line * 1000 + col;
    }
    return n;
}

Test(messages, diagnostics_are_sorted_by_position)
{
    /* found in the order loss (range), mtu (range), delay (unit) by the link
     * reader, but written delay, mtu, loss */
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}],\n"
                         "\"links\": [{\"a\": \"a\", \"b\": \"b\",\n\"delay\": \"5 ms\",\n"
                         "\"mtu\": 10,\n\"loss\": 2}],\n\"duration\": 10}");
    int pos[8];
    int n = lines_of(msg, pos, 8);
    cr_assert_eq(n, 4, "%s", msg);
    for (int i = 1; i < n; i++)
        cr_assert_lt(pos[i - 1], pos[i], "not sorted:\n%s", msg);
    free(msg);
}
