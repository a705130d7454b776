/* Diagnostics: positions of values, syntax errors, the message format,
 * suggestions, reporting every error, limits. */
#include "helpers.h"
#include "sim/scenario/scn_internal.h"

/* ---- Position index ---------------------------------------------------- */

struct indexed {
    const cJSON *root;
    struct jpos pos;
};

static struct indexed index_text(const char *text)
{
    struct indexed ix = {0};
    struct json_syntax_error e;
    cr_assert(jpos_parse(&ix.pos, text, strlen(text), &e), "%s", e.msg);
    ix.root = ix.pos.root;
    return ix;
}

static void free_indexed(struct indexed *ix)
{
    jpos_free(&ix->pos);
}

static void assert_at(struct indexed *ix, const cJSON *n, bool key, int line, int col)
{
    uint32_t off;
    int l, c;
    cr_assert(jpos_offset(&ix->pos, n, key, &off));
    jpos_line_col(&ix->pos, off, &l, &c);
    cr_assert_eq(l, line, "line %d, expected %d", l, line);
    cr_assert_eq(c, col, "col %d, expected %d", c, col);
}

Test(jpos, values_and_keys_of_nested_members)
{
    struct indexed ix = index_text("{\n  \"a\": [1, {\"b\": true}],\n  \"c\":\"x\"\n}");
    const cJSON *a = cJSON_GetObjectItem(ix.root, "a");
    assert_at(&ix, ix.root, false, 1, 1);
    assert_at(&ix, a, true, 2, 3);
    assert_at(&ix, a, false, 2, 8);
    assert_at(&ix, cJSON_GetArrayItem(a, 0), false, 2, 9);
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "b");
    assert_at(&ix, b, true, 2, 13);
    assert_at(&ix, b, false, 2, 18);
    assert_at(&ix, cJSON_GetObjectItem(ix.root, "c"), false, 3, 7);
    free_indexed(&ix);
}

Test(jpos, strings_with_escapes_and_brackets_do_not_confuse_it)
{
    struct indexed ix = index_text("{\"k\\\"[{\": \"}],\\\\\", \"n\": -1.5e3}");
    assert_at(&ix, cJSON_GetObjectItem(ix.root, "n"), false, 1, 25);
    free_indexed(&ix);
}

Test(jpos, duplicate_keys_each_get_their_own_position)
{
    struct indexed ix = index_text("{\"a\": 1,\n \"a\": 2}");
    const cJSON *first = ix.root->child, *second = first->next;
    assert_at(&ix, first, true, 1, 2);
    assert_at(&ix, second, true, 2, 2);
    free_indexed(&ix);
}

Test(jpos, columns_count_characters_not_bytes)
{
    struct indexed ix = index_text("{\"t\": \"\xed\x95\x9c\xea\xb8\x80\", \"x\": 1}");
    assert_at(&ix, cJSON_GetObjectItem(ix.root, "x"), false, 1, 18);
    free_indexed(&ix);
}

static void syntax_error_at(const char *text, uint32_t off, const char *msg_part)
{
    struct json_syntax_error e = {0};
    cr_assert_not(json_syntax_check(text, strlen(text), &e), "%s", text);
    cr_assert_eq(e.off, off, "offset %u, expected %u for %s", e.off, off, text);
    cr_assert(strstr(e.msg, msg_part), "\"%s\" lacks \"%s\"", e.msg, msg_part);
}

Test(jpos, syntax_errors_say_what_was_expected)
{
    syntax_error_at("[1,,2]", 3, "expected a value");
    syntax_error_at("{\"a\" 1}", 5, "expected ':'");
    syntax_error_at("{\"a\": 1 \"b\": 2}", 8, "expected ',' before this member");
    syntax_error_at("[1 2]", 3, "expected ',' before this element");
    syntax_error_at("{\"a\": 1,}", 7, "trailing comma");
    syntax_error_at("\"abc", 0, "unterminated string");
    syntax_error_at("[1] x", 4, "end of the file");
    syntax_error_at("[tru]", 1, "did you mean true?");
    syntax_error_at("", 0, "the file is empty");
}

Test(jpos, valid_texts_pass_the_syntax_check)
{
    const char *ok[] = {"{}", "[]", "  {\"a\": [1, 2.5, -3e2, true, false, null, \"\\u00e9\"]}\n",
                        "\xef\xbb\xbf{}"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_assert(json_syntax_check(ok[i], strlen(ok[i]), NULL), "%s", ok[i]);
}

/* ---- Messages ---------------------------------------------------------- */

Test(diag, syntax_error_has_file_line_col_and_expectation)
{
    char *msg =
        load_err("{\n  \"name\": \"x\",\n  \"hosts\": [{\"name\": \"a\"},, {\"name\": \"b\"}]\n}");
    cr_assert_str_eq(msg, "t.json:3:27: error: hosts[1]: expected a value, found ',': one comma "
                          "too many\n");
    free(msg);
}

Test(diag, print_format_without_position_and_dropped_count)
{
    struct scn_diags d = {.limit = 1};
    scn_diag_add(&d, "f.json", 0, 0, "", "cannot read the file");
    scn_diag_add(&d, "f.json", 2, 3, "x", "dropped");
    scn_diag_add(&d, "f.json", 2, 3, "x", "dropped");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scn_diags_print(&d, f);
    fclose(f);
    cr_assert_str_eq(buf, "f.json: error: cannot read the file\n... and 2 more errors\n");
    free(buf);
    scn_diags_free(&d);
}

Test(diag, unreadable_file_is_one_error)
{
    struct scn_diags d = {0};
    cr_assert_null(scenario_load_file("/nonexistent/dir/x.json", &d));
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.v[0].msg, "cannot read"));
    scn_diags_free(&d);
}

Test(diag, unknown_host_with_suggestion_exact_position)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"client\"}, {\"name\": \"server\"}],\n"
                         "\"links\": [{\"a\": \"client\", \"b\": \"sever\"}]}");
    cr_assert_str_eq(
        msg, "t.json:2:32: error: links[0].b: unknown host \"sever\" (did you mean \"server\"?)\n");
    free(msg);
}

Test(diag, unknown_field_points_at_the_key_and_suggests)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\", \"fowrard\": true}]}");
    cr_assert_str_eq(msg, "t.json:1:26: error: hosts[0].fowrard: unknown field \"fowrard\" in a "
                          "host (did you mean \"forward\"?)\n");
    free(msg);
}

Test(diag, unknown_field_far_from_any_gets_no_suggestion)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\", \"zzzzzz\": 1}]}");
    cr_assert(strstr(msg, "unknown field \"zzzzzz\" in a host\n"), "%s", msg);
    free(msg);
}

Test(diag, wrong_type)
{
    assert_error("{\"hosts\": [{\"name\": 5}]}", "t.json:1:21: error: hosts[0].name: expected a "
                                                 "string, not a number");
    assert_error("{\"hosts\": {}}", "hosts: expected an array of hosts, not an object");
    assert_error("{\"hosts\": [{\"name\": \"a\", \"forward\": 1}]}",
                 "hosts[0].forward: expected true or false");
}

Test(diag, missing_required_field)
{
    assert_error("{\"hosts\": [{\"forward\": true}]}",
                 "t.json:1:12: error: hosts[0]: missing required field \"name\"");
    assert_error("{\"name\": \"x\"}", "t.json:1:1: error: missing required field \"hosts\"");
}

Test(diag, bare_number_time_is_rejected_with_a_hint)
{
    assert_error("{" TWO_HOSTS ", \"duration\": 10}",
                 "duration: a time needs a unit: bare numbers are rejected: write \"10ms\"");
}

Test(diag, out_of_range_values)
{
    assert_error("{" TWO_HOSTS ", \"seed\": -1}", "seed: must not be negative");
    assert_error("{" TWO_HOSTS ", \"seed\": 1.5}", "seed: expected a whole number");
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                 "\"b\": \"b\", \"mtu\": 40}]}",
                 "links[0].mtu: 40 is out of range [68, 9000]");
    assert_error("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"links\": [{\"a\": \"a\", "
                 "\"b\": \"b\", \"duplicate\": -0.1}]}",
                 "links[0].duplicate: probability -0.1 is out of range");
}

Test(diag, all_errors_are_reported_in_file_order)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\", \"x\": 1}, {\"name\": \"b\", \"y\": 2}],\n"
                         "\"links\": [{\"a\": \"a\", \"b\": \"b\", \"delay\": 5, \"loss\": 2}]}");
    const char *want[] = {"hosts[0].x", "hosts[1].y", "links[0].delay", "links[0].loss"};
    const char *p = msg;
    for (size_t i = 0; i < 4; i++) {
        const char *q = strstr(p, want[i]);
        cr_assert(q, "missing %s after the earlier ones in:\n%s", want[i], msg);
        p = q;
    }
    free(msg);
}

Test(diag, error_limit_keeps_the_first_and_counts_the_rest)
{
    char text[8192] = "{\"hosts\": [";
    for (int i = 0; i < 80; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s{\"name\": \"h%d\", \"q\": 1}",
                 i ? ", " : "", i);
    strcat(text, "]}");
    struct scn_diags d = {.limit = 10};
    cr_assert_null(scenario_load_text("t.json", text, strlen(text), &d));
    cr_assert_eq(d.n, 10);
    cr_assert_eq(d.dropped, 70);
    cr_assert_str_eq(d.v[0].path, "hosts[0].q");
    scn_diags_free(&d);
}

Test(diag, absurd_host_count_is_refused_before_allocating)
{
    /* Counting stops at the limit: SCN_MAX_HOSTS + 1 empty objects. */
    size_t n = SCN_MAX_HOSTS + 1;
    char *text = malloc(n * 3 + 32);
    strcpy(text, "{\"hosts\": [");
    char *p = text + strlen(text);
    for (size_t i = 0; i < n; i++) {
        memcpy(p, i ? ",{}" : "{}", i ? 3 : 2);
        p += i ? 3 : 2;
    }
    strcpy(p, "]}");
    char *msg = load_err(text);
    cr_assert(strstr(msg, "hosts: too many hosts: the limit is 100000"), "%s", msg);
    free(msg);
    free(text);
}

Test(diag, absurd_byte_count_is_refused)
{
    assert_error("{" TWO_HOSTS ",\n\"apps\": [{\"id\": \"srv\", \"host\": \"server\", \"type\": "
                 "\"tcp_server\", \"port\": 80}, {\"id\": \"c1\", \"host\": \"client\", \"type\": "
                 "\"tcp_client\", \"connect\": \"server:80\", \"send\": 1000000000000000}]}",
                 "apps[1].send: size 1000000000000000 B is over the limit of 1099511627776 B");
}

Test(diag, edit_distance_counts_transpositions_once)
{
    cr_assert_eq(scn_edit_distance("lsos", "loss"), 1);
    cr_assert_eq(scn_edit_distance("sever", "server"), 1);
    cr_assert_eq(scn_edit_distance("", "abc"), 3);
    cr_assert_eq(scn_edit_distance("kitten", "sitting"), 3);
    const char *names[] = {"delay", "loss", "rate"};
    cr_assert_str_eq(scn_closest("lsos", names, 3), "loss");
    cr_assert_null(scn_closest("bandwidth", names, 3));
}

/* ---- The acceptance check's bad files ---------------------------------- */

/* The acceptance files live in tests/bad (TCPSIM_ACCEPT_DIR overrides); there a
 * file the schema accepts carries a semantic- prefix, so that name is tried too. */
static char *load_accept_bad(const char *name)
{
    char dir[1024];
    const char *accept = getenv("TCPSIM_ACCEPT_DIR");
    const char *root = getenv("TCPSIM_SOURCE_ROOT");
    cr_assert(accept || root, "neither TCPSIM_ACCEPT_DIR nor TCPSIM_SOURCE_ROOT is set");
    if (accept)
        snprintf(dir, sizeof dir, "%s", accept);
    else
        snprintf(dir, sizeof dir, "%s/tests/bad", root);
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *probe = fopen(path, "r");
    if (!probe) {
        snprintf(path, sizeof path, "%s/semantic-%s.json", dir, name);
        probe = fopen(path, "r");
    }
    cr_assert_not_null(probe, "%s/%s.json: no such file", dir, name);
    fclose(probe);
    struct scn_diags d = {0};
    cr_assert_null(scenario_load_file(path, &d));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scn_diags_print(&d, f);
    fclose(f);
    scn_diags_free(&d);
    return buf;
}

Test(diag, accept_bad_files_name_the_place)
{
    const char *cases[][2] = {{"syntax", "syntax.json:3:"},
                              {"unknown-host", "links[0].b: unknown host \"sever\""},
                              {"bare-number-time", "links[0].delay: a time needs a unit"},
                              {"unknown-field", "links[0].lsos: unknown field"},
                              {"loss-out-of-range", "links[0].loss: probability 1.5"}};
    for (size_t i = 0; i < 5; i++) {
        char *msg = load_accept_bad(cases[i][0]);
        cr_assert(strstr(msg, cases[i][1]), "%s: \"%s\" not in\n%s", cases[i][0], cases[i][1], msg);
        free(msg);
    }
}
