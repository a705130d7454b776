/* Tests of the scanner's tree: it must be the tree cJSON_Parse makes of the
 * same text, node for node. */
#ifndef TESTS_SCENARIO_TREE_COMPARE_H
#define TESTS_SCENARIO_TREE_COMPARE_H

#include <criterion/criterion.h>
#include <string.h>

#include "sim/scenario/scn_internal.h"

static inline bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Asserts that `mine` and `ref` agree in everything the loader can read:
 * types, keys, strings, numbers (bit for bit), children and their links. */
static inline void assert_same_tree(const cJSON *mine, const cJSON *ref, const char *text)
{
    cr_assert_eq(mine->type, ref->type, "type %d, cJSON %d in %s", mine->type, ref->type, text);
    cr_assert(same_str(mine->string, ref->string), "key \"%s\", cJSON \"%s\" in %s",
              mine->string ? mine->string : "(none)", ref->string ? ref->string : "(none)", text);
    cr_assert(same_str(mine->valuestring, ref->valuestring), "string \"%s\", cJSON \"%s\" in %s",
              mine->valuestring ? mine->valuestring : "(none)",
              ref->valuestring ? ref->valuestring : "(none)", text);
    cr_assert_eq(memcmp(&mine->valuedouble, &ref->valuedouble, sizeof(double)), 0,
                 "number %.17g, cJSON %.17g in %s", mine->valuedouble, ref->valuedouble, text);
    cr_assert_eq(mine->valueint, ref->valueint, "valueint %d, cJSON %d in %s", mine->valueint,
                 ref->valueint, text);
    const cJSON *a = mine->child, *b = ref->child, *last_a = NULL;
    for (; a && b; a = a->next, b = b->next) {
        cr_assert_eq(a->prev, last_a ? last_a : mine->child->prev, "prev link in %s", text);
        assert_same_tree(a, b, text);
        last_a = a;
    }
    cr_assert(!a && !b, "child counts differ in %s", text);
    if (mine->child)
        cr_assert_eq(mine->child->prev, last_a, "the head's prev is not the last child in %s",
                     text);
}

/* Parses with both; when cJSON accepts and the scanner does too, the trees
 * must agree.  Returns whether the scanner accepted. */
static inline bool parse_both(const char *text, size_t len)
{
    struct jpos p = {0};
    struct json_syntax_error e = {0};
    bool ok = jpos_parse(&p, text, len, &e);
    cr_assert_eq(ok, json_syntax_check(text, len, NULL), "parse and check disagree on %.*s",
                 (int)len, text);
    if (ok) {
        cJSON *ref = cJSON_ParseWithLength(text, len);
        cr_assert_not_null(ref, "scanner accepts what cJSON refuses: %.*s", (int)len, text);
        assert_same_tree(p.root, ref, "the text");
        cJSON_Delete(ref);
    }
    jpos_free(&p);
    return ok;
}

#endif
