/* The pure helpers of `tcpsim check`: shards and the golden rewrite. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world/world.h"

Test(suite, shards_partition_the_files)
{
    for (uint32_t n = 1; n <= 7; n++) {
        for (uint32_t files = 0; files <= 40; files++) {
            uint32_t total = 0;
            for (uint32_t i = 0; i < files; i++) {
                uint32_t owners = 0;
                for (uint32_t k = 1; k <= n; k++)
                    owners += suite_in_shard(i, k, n);
                cr_assert_eq(owners, 1, "file %u of %u has %u shards of %u", i, files, owners, n);
                total += owners;
            }
            cr_assert_eq(total, files);
        }
    }
}

Test(suite, shard_k_takes_every_nth_file_from_k_minus_1)
{
    cr_assert(suite_in_shard(0, 1, 3));
    cr_assert(suite_in_shard(3, 1, 3));
    cr_assert(suite_in_shard(1, 2, 3));
    cr_assert(suite_in_shard(5, 3, 3));
    cr_assert_not(suite_in_shard(5, 1, 3));
}

Test(suite, shards_are_balanced)
{
    for (uint32_t k = 1; k <= 4; k++) {
        uint32_t c = 0;
        for (uint32_t i = 0; i < 10; i++)
            c += suite_in_shard(i, k, 4);
        cr_assert(c == 2 || c == 3);
    }
}

Test(suite, shard_spec_parses)
{
    uint32_t k, n;
    cr_assert(suite_parse_shard("2/5", &k, &n));
    cr_assert_eq(k, 2);
    cr_assert_eq(n, 5);
    cr_assert_not(suite_parse_shard("0/5", &k, &n));
    cr_assert_not(suite_parse_shard("6/5", &k, &n));
    cr_assert_not(suite_parse_shard("2", &k, &n));
    cr_assert_not(suite_parse_shard("a/b", &k, &n));
    cr_assert_not(suite_parse_shard("1/", &k, &n));
}

#define NEW_HEX "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define NEW     "sha256:" NEW_HEX

static char *rewrite(const char *text, uint32_t *n)
{
    size_t len = 0;
    char *out = suite_rewrite_golden(text, strlen(text), NEW, &len, n);
    cr_assert_not_null(out);
    cr_assert_eq(len, strlen(out));
    return out;
}

Test(suite, golden_rewrite_replaces_only_the_value)
{
    const char *in = "{\n  \"expect\": [\n    {\"trace_sha256\": \"sha256:1111\"},\n"
                     "    {\"app\": \"srv\", \"received\": 10}\n  ]\n}\n";
    uint32_t n = 0;
    char *out = rewrite(in, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out, "{\n  \"expect\": [\n    {\"trace_sha256\": \"" NEW "\"},\n"
                          "    {\"app\": \"srv\", \"received\": 10}\n  ]\n}\n");
    free(out);
}

Test(suite, golden_rewrite_keeps_a_value_without_prefix_bare)
{
    uint32_t n = 0;
    char *out = rewrite("{\"trace_sha256\" :\t\"00ff\"}", &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out, "{\"trace_sha256\" :\t\"" NEW_HEX "\"}");
    free(out);
}

Test(suite, golden_rewrite_fills_an_empty_value_with_the_prefix)
{
    uint32_t n = 0;
    char *out = rewrite("{\"trace_sha256\":\"\"}", &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(out, "{\"trace_sha256\":\"" NEW "\"}");
    free(out);
}

Test(suite, golden_rewrite_replaces_every_occurrence)
{
    uint32_t n = 0;
    char *out = rewrite("[{\"trace_sha256\":\"sha256:1\"},{\"trace_sha256\":\"sha256:2\"}]", &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out, "[{\"trace_sha256\":\"" NEW "\"},{\"trace_sha256\":\"" NEW "\"}]");
    free(out);
}

Test(suite, golden_rewrite_ignores_the_key_inside_a_string)
{
    const char *in = "{\"title\":\"the \\\"trace_sha256\\\": \\\"x\\\" key\",\"seed\":1}";
    uint32_t n = 7;
    char *out = rewrite(in, &n);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(out, in);
    free(out);
}

Test(suite, golden_rewrite_of_a_file_without_goldens_is_identical)
{
    const char *in = "{\"name\":\"x\"}\r\n";
    uint32_t n = 1;
    char *out = rewrite(in, &n);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(out, in);
    free(out);
}
