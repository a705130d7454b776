/* Helpers of `tcpsim check` that are pure functions of their inputs: which
 * shard a file belongs to, and rewriting golden digests in a scenario's text
 * without touching any other byte of it. */
#include <stdlib.h>
#include <string.h>

#include "world.h"

bool suite_in_shard(uint32_t i, uint32_t k, uint32_t n)
{
    return n > 0 && k >= 1 && k <= n && i % n == k - 1;
}

static bool parse_u32(const char *s, const char *end, uint32_t *out)
{
    if (s == end || end - s > 9)
        return false;
    uint32_t v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    *out = v;
    return true;
}

bool suite_parse_shard(const char *s, uint32_t *k, uint32_t *n)
{
    const char *slash = strchr(s, '/');
    if (!slash || !parse_u32(s, slash, k) || !parse_u32(slash + 1, slash + strlen(slash), n))
        return false;
    return *n >= 1 && *k >= 1 && *k <= *n;
}

static size_t skip_ws(const char *t, size_t i, size_t len)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* If a `"trace_sha256"` key starts at i (a real key, not text inside another
 * string: it is followed by a colon and a string value), sets [*vs, *ve) to
 * the value's contents and returns true. */
static bool golden_value_at(const char *t, size_t i, size_t len, size_t *vs, size_t *ve)
{
    static const char key[] = "\"trace_sha256\"";
    size_t klen = sizeof key - 1;
    if (i + klen > len || memcmp(t + i, key, klen) != 0 || (i > 0 && t[i - 1] == '\\'))
        return false;
    size_t j = skip_ws(t, i + klen, len);
    if (j >= len || t[j] != ':')
        return false;
    j = skip_ws(t, j + 1, len);
    if (j >= len || t[j] != '"')
        return false;
    size_t end = j + 1;
    while (end < len && t[end] != '"' && t[end] != '\\' && t[end] != '\n')
        end++;
    if (end >= len || t[end] != '"')
        return false;
    *vs = j + 1;
    *ve = end;
    return true;
}

struct out_buf {
    char *p;
    size_t len, cap;
};

static bool out_put(struct out_buf *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *p = realloc(o->p, cap);
        if (!p)
            return false;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
    return true;
}

char *suite_rewrite_golden(const char *text, size_t len, const char *digest, size_t *out_len,
                           uint32_t *n_replaced)
{
    const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
    struct out_buf o = {0};
    uint32_t n = 0;
    size_t copied = 0;
    bool ok = out_put(&o, "", 0);
    for (size_t i = 0; ok && i < len; i++) {
        size_t vs, ve;
        if (text[i] != '"' || !golden_value_at(text, i, len, &vs, &ve))
            continue;
        /* Keep the writer's style: with the prefix if the old value had it
         * (or was empty: a new golden value is written the way --digest prints it). */
        bool prefixed = ve == vs || (ve - vs >= 7 && memcmp(text + vs, "sha256:", 7) == 0);
        ok = out_put(&o, text + copied, vs - copied) && (!prefixed || out_put(&o, "sha256:", 7)) &&
             out_put(&o, hex, strlen(hex));
        copied = ve;
        i = ve;
        n++;
    }
    ok = ok && out_put(&o, text + copied, len - copied);
    if (!ok) {
        free(o.p);
        return NULL;
    }
    if (out_len)
        *out_len = o.len;
    if (n_replaced)
        *n_replaced = n;
    return o.p;
}
