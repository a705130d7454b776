/* The tree the scanner builds while it checks a text is the tree cJSON
 * makes of it, and each node knows its position. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "helpers.h"
#include "tree_compare.h"

static void same_as_cjson(const char *text)
{
    cr_assert(parse_both(text, strlen(text)), "refused: %s", text);
}

Test(tree, scalars_and_literals)
{
    same_as_cjson("true");
    same_as_cjson("false");
    same_as_cjson("null");
    same_as_cjson("\"x\"");
    same_as_cjson("[true, false, null, \"\", 0, -0]");
}

Test(tree, numbers_convert_as_cjson_converts_them)
{
    same_as_cjson("[0, 1, -1, 80, 1024, 999999999999999, 1000000000000000, 9007199254740993]");
    same_as_cjson("[2147483647, 2147483648, -2147483648, -2147483649, 1e10, -1e10]");
    same_as_cjson("[0.5, -0.5, 1.5e-3, 1E+2, 2e-400, 1e400, -1e400, 0.1, 3.14159265358979323846]");
    same_as_cjson("[123456789012345678901234567890123456789012345678901234567890123456789012]");
    same_as_cjson("[0.000000000000000000000000000000000000000000000000000000000000000000000001]");
}

Test(tree, strings_decode_every_escape)
{
    same_as_cjson("[\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"]");
    same_as_cjson("[\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\u07ff\\u0800\\uffff\"]");
    same_as_cjson("[\"\xed\x95\x9c\xea\xb8\x80\", \"\xf0\x9f\x98\x80\"]");
}

Test(tree, objects_keep_members_in_order_with_duplicates)
{
    same_as_cjson("{\"b\": 1, \"a\": {\"x\": [], \"y\": {}}, \"b\": 2, \"k\\u00e9y\": \"v\"}");
    same_as_cjson("{\"one\": [1]}");
    same_as_cjson("\xef\xbb\xbf {\"bom\": true} \n");
}

Test(tree, deep_nesting_up_to_the_limit)
{
    char text[2 * 999 + 1];
    memset(text, '[', 999);
    memset(text + 999, ']', 999);
    text[2 * 999] = '\0';
    same_as_cjson(text);
}

Test(tree, a_text_that_is_not_json_leaves_no_tree)
{
    struct jpos p = {0};
    struct json_syntax_error e = {0};
    cr_assert_not(jpos_parse(&p, "{\"a\": [1, 2,]}", 14, &e));
    cr_assert_null(p.root);
    cr_assert_eq(e.off, 11);
    cr_assert_str_eq(e.path, "a");
    jpos_free(&p);
}

Test(tree, a_large_text_spans_several_blocks)
{
    size_t n = 20000, cap = n * 40 + 16, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s{\"name\": \"h%zu\", \"v\": %zu}",
                                i ? "," : "", i, i * 7);
    len += (size_t)snprintf(text + len, cap - len, "]");
    cr_assert(parse_both(text, len));
    free(text);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Every .json under dir (not its subfolders named bench: big, and generated
 * like the small ones). */
static unsigned compare_dir(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    unsigned count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "bench"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            count += compare_dir(path);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        size_t len;
        char *text = read_all(path, &len);
        parse_both(text, len); /* the bad files include texts that are not JSON */
        free(text);
        count++;
    }
    closedir(d);
    return count;
}

Test(tree, every_scenario_and_bad_file_parses_as_cjson_parses_it)
{
    const char *root = getenv("TCPSIM_SOURCE_ROOT");
    cr_assert_not_null(root);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/scenarios", root);
    unsigned n = compare_dir(dir);
    snprintf(dir, sizeof dir, "%s/tests/bad", root);
    n += compare_dir(dir);
    cr_assert_gt(n, 100);
}

Test(tree, every_node_knows_its_position)
{
    const char *text = "{\"a\": [1,\n  {\"b\": null}]}";
    struct jpos p = {0};
    cr_assert(jpos_parse(&p, text, strlen(text), NULL));
    const cJSON *a = p.root->child, *b = a->child->next->child;
    uint32_t off;
    cr_assert(jpos_offset(&p, p.root, false, &off) && off == 0);
    cr_assert(jpos_offset(&p, a, true, &off) && off == 1);
    cr_assert(jpos_offset(&p, a, false, &off) && off == 6);
    cr_assert(jpos_offset(&p, a->child, true, &off) && off == 7); /* no key: the value */
    cr_assert(jpos_offset(&p, b, true, &off) && off == 13);
    cr_assert(jpos_offset(&p, b, false, &off) && off == 18);
    int line, col;
    jpos_line_col(&p, off, &line, &col);
    cr_assert(line == 2 && col == 9, "%d:%d", line, col);
    jpos_free(&p);
}

Test(tree, repeated_short_strings_are_stored_once)
{
    const char *text =
        "[{\"name\": \"tcp_client\"}, {\"name\": \"tcp_client\"}, {\"name\": \"x\\n\"},"
        " {\"name\": \"x\\n\"}]";
    struct jpos p = {0};
    cr_assert(jpos_parse(&p, text, strlen(text), NULL));
    const cJSON *a = p.root->child->child, *b = p.root->child->next->child;
    cr_expect_eq(a->string, b->string, "the key is stored once");
    cr_expect_eq(a->valuestring, b->valuestring, "the value is stored once");
    const cJSON *c = p.root->child->next->next->child, *d = p.root->child->next->next->next->child;
    cr_expect_str_eq(c->valuestring, "x\n");
    cr_expect_neq(c->valuestring, d->valuestring, "strings with escapes are decoded each time");
    jpos_free(&p);
}

Test(tree, a_long_string_is_not_shared)
{
    const char *text = "[\"a string longer than the interned ones, as a description is\","
                       " \"a string longer than the interned ones, as a description is\"]";
    struct jpos p = {0};
    cr_assert(jpos_parse(&p, text, strlen(text), NULL));
    cr_expect_str_eq(p.root->child->valuestring, p.root->child->next->valuestring);
    cr_expect_neq(p.root->child->valuestring, p.root->child->next->valuestring);
    jpos_free(&p);
}
