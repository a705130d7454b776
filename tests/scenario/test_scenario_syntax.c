/* JSON syntax errors: the path of the value the mistake is in, the place
 * of the mistake, and a hint for its kind; UTF-8 and escapes. */
#include "helpers.h"
#include "sim/scenario/scn_internal.h"
#include "tree_compare.h"

static struct json_syntax_error check_fails(const char *text, size_t len)
{
    struct json_syntax_error e = {0};
    cr_assert_not(json_syntax_check(text, len, &e), "accepted: %s", text);
    return e;
}

/* The text is refused at `off`, in the value at `path`, saying `msg_part`. */
static void refused(const char *text, uint32_t off, const char *path, const char *msg_part)
{
    struct json_syntax_error e = check_fails(text, strlen(text));
    cr_assert_eq(e.off, off, "offset %u, expected %u for %s (%s)", e.off, off, text, e.msg);
    cr_assert_str_eq(e.path, path, "for %s (%s)", text, e.msg);
    cr_assert(strstr(e.msg, msg_part), "\"%s\" lacks \"%s\" for %s", e.msg, msg_part, text);
}

static void accepted(const char *text, size_t len)
{
    struct json_syntax_error e = {0};
    cr_assert(json_syntax_check(text, len, &e), "refused at %u: %s: %s", e.off, e.path, e.msg);
}

/* ---- Paths ------------------------------------------------------------- */

Test(syntax_path, a_value_inside_members_and_elements)
{
    refused("{\"hosts\": [{\"name\": \"a\"}, {\"name\": 01}]}", 35, "hosts[1].name",
            "leading zeros");
}

Test(syntax_path, an_element_of_an_array_in_an_element)
{
    refused("{\"hosts\": [{}, {}, {\"interfaces\": [x]}]}", 35, "hosts[2].interfaces[0]",
            "not a JSON value");
}

Test(syntax_path, a_mistake_at_the_top_level_has_no_path)
{
    refused("{\"a\": 1} 2", 9, "", "end of the file");
    refused("", 0, "", "the file is empty");
    refused("{,}", 1, "", "one comma too many");
}

Test(syntax_path, a_mistake_in_a_member_name_is_in_the_object)
{
    refused("{\"links\": [{\"a\\q\": 1}]}", 14, "links[0]", "invalid escape \\q");
    refused("{\"links\": [{\"delay", 12, "links[0]", "unterminated string");
}

Test(syntax_path, a_missing_colon_names_the_member)
{
    refused("{\"links\": [{\"delay\" \"1ms\"}]}", 20, "links[0].delay", "':' is missing");
}

Test(syntax_path, a_missing_comma_names_the_next_member_at_its_start)
{
    refused("{\"links\": [{\"delay\": \"1ms\"\n \"loss\": 0}]}", 28, "links[0].loss",
            "a comma is missing between two members");
}

Test(syntax_path, a_missing_comma_names_the_next_element_at_its_start)
{
    refused("{\"hosts\": [{}, {}\n{}]}", 18, "hosts[2]", "a comma is missing between two elements");
    refused("[1 \"a\"]", 3, "[1]", "a comma is missing");
}

Test(syntax_path, a_missing_comma_before_an_odd_name_still_names_the_object)
{
    refused("{\"a\": 1 \"b\x01\": 2}", 8, "", "a comma is missing");
}

Test(syntax_path, a_next_name_with_a_raw_line_break_is_not_shown)
{
    refused("{\"a\": 1 \"\\\n\": 2}", 8, "", "a comma is missing");
}

Test(syntax_path, a_trailing_comma_is_placed_on_the_comma_in_its_container)
{
    refused("{\"hosts\": [1, 2 , ]}", 16, "hosts", "trailing commas are not allowed");
    refused("{\"links\": [{\"a\": 1,\n}]}", 18, "links[0]", "trailing commas are not allowed");
}

Test(syntax_path, a_file_cut_short_names_the_unclosed_container)
{
    refused("{\"hosts\": [{}, ", 15, "hosts", "the array opened at line 1, column 11");
    refused("{\"hosts\": [{\"name\": \"a\"}", 24, "hosts", "']' is missing");
    refused("{\"a\": {\"b\": 1", 13, "a", "'}' is missing");
}

Test(syntax_path, a_value_cut_short_names_its_member)
{
    refused("{\"links\": [{\"delay\":  ", 22, "links[0].delay", "unexpected end of file");
}

Test(syntax_path, a_mismatched_bracket_names_the_container_it_should_close)
{
    refused("{\"hosts\": [{\"a\": 1]}", 18, "hosts[0]", "brackets do not match");
    refused("{\"hosts\": [1}", 12, "hosts", "the array opened at line 1, column 11");
}

Test(syntax_path, names_other_than_plain_words_are_bracketed_as_written)
{
    refused("{\"a b\": {\"x\\\"y\": [1,,2]}}", 20, "[\"a b\"][\"x\\\"y\"][1]", "comma");
    refused("{\"$schema\": tru}", 12, "$schema", "did you mean true?");
}

Test(syntax_path, long_names_are_cut_short)
{
    char text[256];
    snprintf(text, sizeof text, "{\"%s\": x}",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
    struct json_syntax_error e = check_fails(text, strlen(text));
    cr_assert_str_eq(e.path, "abcdefghijklmnopqrstuvwxyzabcdefghijklmn...");
}

Test(syntax_path, deep_nesting_gives_a_path_cut_short_on_one_line)
{
    enum { DEPTH = 1100 };
    static char text[DEPTH + 16];
    memset(text, '[', DEPTH);
    text[DEPTH] = '\0';
    struct json_syntax_error e = check_fails(text, DEPTH);
    cr_assert(strstr(e.msg, "nesting too deep"), "%s", e.msg);
    cr_assert_lt(strlen(e.path), 128);
    cr_assert(strncmp(e.path, "[0][0][0]", 9) == 0, "%s", e.path);
    cr_assert(strstr(e.path, "...") != NULL, "%s", e.path);
}

/* ---- Hints ------------------------------------------------------------- */

Test(syntax_hint, a_number_with_a_unit_is_a_string_placed_at_the_number)
{
    refused("{\"delay\": 10ms}", 10, "delay", "write \"10ms\"");
    refused("{\"ip\": 10.0.0.1}", 7, "ip", "write \"10.0.0.1\"");
    refused("{\"seed\": 0x2a}", 9, "seed", "no hexadecimal numbers");
}

Test(syntax_hint, words_that_are_not_literals)
{
    refused("{\"cc\": cubic}", 7, "cc", "strings need double quotes: write \"cubic\"");
    refused("{\"nagle\": True}", 10, "nagle", "written in lowercase");
    refused("{\"nagle\": nul}", 10, "nagle", "did you mean null?");
    refused("{\"nagle\": yes}", 10, "nagle", "booleans are true and false");
    refused("{\"loss\": NaN}", 9, "loss", "no NaN or infinity");
    refused("{\"nagle\": truex}", 10, "nagle", "double quotes");
}

Test(syntax_hint, quotes_and_comments)
{
    refused("{'name': 1}", 1, "", "member names need double quotes");
    refused("{\"name\": 'a'}", 9, "name", "strings need double quotes");
    refused("{\"name\": \"a\" // note\n}", 13, "", "comments are not allowed");
    refused("{name: 1}", 1, "", "write \"name\"");
    refused("{\"name\": \xe2\x80\x9c"
            "a\xe2\x80\x9d}",
            9, "name", "typographic quote");
}

Test(syntax_hint, punctuation)
{
    refused("{\"a\" = 1}", 5, "a", "found '='");
    refused("{\"a\": 1; \"b\": 2}", 7, "", "separated by ','");
    refused("[\"a\": 1]", 4, "", "an array holds values");
    refused("{\"a\": }", 6, "a", "the member has no value");
    refused("[+1]", 1, "[0]", "cannot start with '+'");
    refused("[.5]", 1, "[0]", "write 0.5");
}

/* ---- Encoding ---------------------------------------------------------- */

Test(syntax_utf8, well_formed_sequences_of_every_length_pass)
{
    const char *t = "{\"t\": \"\xc3\xa9 \xed\x95\x9c \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}";
    accepted(t, strlen(t));
}

Test(syntax_utf8, ill_formed_bytes_in_strings_are_refused_where_they_are)
{
    refused("{\"t\": \"caf\xe9\"}", 10, "t", "invalid UTF-8 in a string (byte 0xe9)");
    refused("{\"t\": \"\xc0\x80\"}", 7, "t", "invalid UTF-8");         /* overlong NUL */
    refused("{\"t\": \"\xed\xa0\x80\"}", 7, "t", "invalid UTF-8");     /* a surrogate */
    refused("{\"t\": \"\xf4\x90\x80\x80\"}", 7, "t", "invalid UTF-8"); /* above U+10FFFF */
    refused("{\"t\": \"\xe2\x82\"}", 7, "t", "invalid UTF-8");         /* cut short */
}

Test(syntax_utf8, an_unclosed_string_is_reported_before_its_bad_bytes)
{
    refused("{\"t\": \"caf\xe9}", 6, "t", "unterminated string");
}

Test(syntax_utf8, surrogate_escapes_come_in_pairs)
{
    const char *pair = "{\"t\": \"\\ud83d\\ude00\"}";
    accepted(pair, strlen(pair));
    refused("{\"t\": \"\\ud83d\"}", 7, "t", "first half of a UTF-16 surrogate pair");
    refused("{\"t\": \"\\ud83d\\u0041\"}", 7, "t", "\\udc00 to \\udfff must follow");
    refused("{\"t\": \"\\ude00\"}", 7, "t", "second half");
}

Test(syntax_utf8, a_byte_order_mark_only_at_the_start)
{
    accepted("\xef\xbb\xbf{}", 5);
    refused(" \xef\xbb\xbf{}", 1, "", "byte-order mark");
    refused("\xff\xfe{\0}\0", 0, "", "the file is UTF-16");
}

Test(syntax_utf8, only_four_whitespace_characters_separate_values)
{
    const char *ws = " \t\r\n{ \t\r\n} \t\r\n";
    accepted(ws, strlen(ws));
    refused("{\f}", 1, "", "stray control character 0x0c");
    struct json_syntax_error e = check_fails("{\0}", 3);
    cr_assert(strstr(e.msg, "NUL byte"), "%s", e.msg);
    refused("{\"a\":\xc2\xa0"
            "1}",
            5, "a", "non-breaking space");
}

/* ---- Every mutation of a valid text ------------------------------------ */

static const char base[] = "{\"name\": \"x\", \"hosts\": [{\"name\": \"a\", \"tcp\": {\"nagle\": "
                           "true}}], \"links\": [{\"a\": \"a\", \"b\": \"a\", \"loss\": 0.5e-1, "
                           "\"delay\": \"1ms\"}], \"seed\": null}";

/* A refused text gets a one-line message and path at an offset inside it; a
 * text the scanner accepts, cJSON parses too, into the tree the scanner
 * builds (the loader relies on it). */
static void judge(const char *text, size_t len)
{
    struct json_syntax_error e = {0};
    if (json_syntax_check(text, len, &e)) {
        parse_both(text, len);
        return;
    }
    cr_assert_not(parse_both(text, len));
    cr_assert_leq(e.off, len);
    cr_assert(e.msg[0] != '\0');
    for (const char *c = e.msg; *c; c++)
        cr_assert_geq((unsigned char)*c, 0x20, "control character in: %s", e.msg);
    for (const char *c = e.path; *c; c++)
        cr_assert_geq((unsigned char)*c, 0x20, "control character in: %s", e.path);
}

static const char inserts[] = {',', ':', '"', '[',  ']',    '{',    '}', '\\',
                               'x', '0', ' ', '\n', '\x01', '\xe9', '\''};

/* `text` with `c` inserted at `at` (len + 1 bytes, no terminating NUL). */
static void insert_at(char *out, const char *text, size_t len, size_t at, char c)
{
    memcpy(out, text, at);
    out[at] = c;
    memcpy(out + at + 1, text + at, len - at);
}

Test(syntax_mutations, every_deletion_and_insertion_is_judged_safely)
{
    size_t n = sizeof base - 1;
    char buf[sizeof base + 1];
    for (size_t k = 0; k <= n; k++) {
        if (k < n) {
            memcpy(buf, base, k);
            memcpy(buf + k, base + k + 1, n - k - 1);
            judge(buf, n - 1);
        }
        for (size_t c = 0; c < sizeof inserts; c++) {
            insert_at(buf, base, n, k, inserts[c]);
            judge(buf, n + 1);
        }
        judge(base, k); /* cut short */
    }
}

Test(syntax_mutations, every_pair_of_insertions_in_a_small_text_is_judged_safely)
{
    static const char small[] = "{\"a\": [1, \"b\"]}";
    size_t n = sizeof small - 1;
    char one[sizeof small + 1], two[sizeof small + 2];
    for (size_t k = 0; k <= n; k++)
        for (size_t c = 0; c < sizeof inserts; c++) {
            insert_at(one, small, n, k, inserts[c]);
            for (size_t j = 0; j <= n + 1; j++)
                for (size_t d = 0; d < sizeof inserts; d++) {
                    insert_at(two, one, n + 1, j, inserts[d]);
                    judge(two, n + 2);
                }
        }
}

/* ---- Through the loader ------------------------------------------------ */

Test(syntax_message, the_line_carries_file_place_path_and_hint)
{
    char *msg = load_err("{\"hosts\": [{\"name\": \"a\"}],\n"
                         " \"links\": [{\"a\": \"a\", \"b\": \"a\" \"delay\": \"1ms\"}]}");
    cr_assert_str_eq(msg, "t.json:2:32: error: links[0].delay: expected ',' before this member: "
                          "a comma is missing between two members\n");
    free(msg);
}
