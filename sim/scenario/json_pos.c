/* Where things are in a JSON text.  cJSON builds the tree but keeps no
 * positions, so one small scanner serves two purposes:
 *  - checking syntax, to say where a text cJSON refused goes wrong and what
 *    was expected there;
 *  - walking a parsed text and its cJSON tree in step (members and elements
 *    appear in the tree in text order, duplicates included), recording where
 *    each node's key and value start.
 * The scanner follows RFC 8259 more strictly than cJSON, which it runs
 * before: cJSON takes raw control characters inside strings, "\u0000"
 * (which ends its C strings early, silently truncating a name) and numbers
 * with leading zeros ("01"), all of which the scanner refuses with their
 * position.  Every text the scanner accepts, cJSON parses into the same
 * tree, so the walk never disagrees with it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

#define JSON_MAX_DEPTH 1000 /* cJSON's nesting limit */

struct scan {
    const char *t;
    size_t len, i;
    struct jpos *p; /* NULL: check only */
    struct json_syntax_error *e;
    int depth;
    bool failed;
};

static bool fail(struct scan *s, const char *msg)
{
    if (!s->failed && s->e) {
        s->e->off = (uint32_t)(s->i < s->len ? s->i : s->len);
        snprintf(s->e->msg, sizeof s->e->msg, "%s", msg);
    }
    s->failed = true;
    return false;
}

static void skip_ws(struct scan *s)
{
    while (s->i < s->len && (unsigned char)s->t[s->i] <= 32)
        s->i++;
}

static bool at(const struct scan *s, char c)
{
    return s->i < s->len && s->t[s->i] == c;
}

static bool record(struct scan *s, const cJSON *node, size_t key_off)
{
    struct jpos *p = s->p;
    if (!p || !node)
        return true;
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 64;
        struct jpos_entry *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return fail(s, "out of memory");
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = (struct jpos_entry){node, (uint32_t)key_off, (uint32_t)s->i};
    return true;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "\u0000": RFC 8259 §7 allows it, but a name cannot hold a NUL, and cJSON
 * would cut the string there without a word. */
static bool is_escaped_nul(const char *t)
{
    return t[0] == '0' && t[1] == '0' && t[2] == '0' && t[3] == '0';
}

static bool scan_escape(struct scan *s)
{
    char e = s->t[s->i + 1];
    if (e == 'u') {
        for (size_t k = 2; k < 6; k++)
            if (s->i + k >= s->len || !is_hex(s->t[s->i + k])) {
                s->i += k;
                return fail(s, "expected 4 hex digits after \\u");
            }
        if (is_escaped_nul(s->t + s->i + 2))
            return fail(s, "\\u0000 (a NUL character) is not allowed in a string");
        s->i += 6;
        return true;
    }
    if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        s->i++;
        return fail(s, "invalid escape in string");
    }
    s->i += 2;
    return true;
}

/* RFC 8259 §7: characters below U+0020 must be escaped inside strings. */
static bool control_character(struct scan *s, unsigned char c)
{
    char msg[96];
    if (c == '\n')
        snprintf(msg, sizeof msg,
                 "a string cannot span lines: write \\n for a newline (or a "
                 "closing '\"' is missing)");
    else if (c == '\t')
        snprintf(msg, sizeof msg, "raw tab character in a string: write \\t");
    else
        snprintf(msg, sizeof msg, "raw control character 0x%02x in a string: write \\u%04x", c, c);
    return fail(s, msg);
}

/* A raw control character does not stop the scan: if the string never
 * closes, the opening quote is the useful place to point at; if it does,
 * the first control character is. */
static bool scan_string(struct scan *s)
{
    size_t open = s->i, first_ctrl = SIZE_MAX;
    s->i++; /* the opening quote */
    while (s->i < s->len) {
        unsigned char c = (unsigned char)s->t[s->i];
        if (c == '"') {
            if (first_ctrl != SIZE_MAX) {
                s->i = first_ctrl;
                return control_character(s, (unsigned char)s->t[first_ctrl]);
            }
            s->i++;
            return true;
        }
        if (c < 0x20 && first_ctrl == SIZE_MAX)
            first_ctrl = s->i;
        if (c == '\\') {
            if (s->i + 1 >= s->len)
                break;
            if (!scan_escape(s))
                return false;
            continue;
        }
        s->i++;
    }
    s->i = open; /* the end of the file says little: point at the string's start */
    return fail(s, "unterminated string: no closing '\"' for this opening quote");
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool at_digit(const struct scan *s)
{
    return s->i < s->len && is_digit(s->t[s->i]);
}

static void skip_digits(struct scan *s)
{
    while (at_digit(s))
        s->i++;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool scan_number(struct scan *s)
{
    size_t start = s->i;
    if (at(s, '-'))
        s->i++;
    if (!at_digit(s))
        return fail(s, "expected a digit in the number");
    if (at(s, '0')) {
        s->i++;
        if (at_digit(s)) {
            s->i = start;
            return fail(s, "leading zeros are not allowed in numbers (RFC 8259 §6)");
        }
    } else {
        skip_digits(s);
    }
    if (at(s, '.')) {
        s->i++;
        if (!at_digit(s))
            return fail(s, "expected a digit after the decimal point");
        skip_digits(s);
    }
    if (at(s, 'e') || at(s, 'E')) {
        s->i++;
        if (at(s, '+') || at(s, '-'))
            s->i++;
        if (!at_digit(s))
            return fail(s, "expected a digit in the exponent");
        skip_digits(s);
    }
    return true;
}

static bool scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if (s->len - s->i < n || memcmp(s->t + s->i, word, n) != 0)
        return fail(s, "expected a value (a string, number, object, array, true, false or null)");
    s->i += n;
    return true;
}

static bool scan_value(struct scan *s, const cJSON *node, size_t key_off);

static bool scan_object(struct scan *s, const cJSON *node)
{
    const cJSON *child = node ? node->child : NULL;
    s->i++;
    skip_ws(s);
    if (at(s, '}')) {
        s->i++;
        return !child || !s->p || fail(s, "tree mismatch");
    }
    for (;;) {
        skip_ws(s);
        if (!at(s, '"'))
            return fail(s, "expected a member name in double quotes");
        size_t key_off = s->i;
        if (!scan_string(s))
            return false;
        skip_ws(s);
        if (!at(s, ':'))
            return fail(s, "expected ':' after the member name");
        s->i++;
        if (s->p && !child)
            return fail(s, "tree mismatch");
        if (!scan_value(s, child, key_off))
            return false;
        if (child)
            child = child->next;
        skip_ws(s);
        if (at(s, ',')) {
            s->i++;
            continue;
        }
        if (at(s, '}')) {
            s->i++;
            return true;
        }
        return fail(s, "expected ',' or '}' after the member");
    }
}

static bool scan_array(struct scan *s, const cJSON *node)
{
    const cJSON *child = node ? node->child : NULL;
    s->i++;
    skip_ws(s);
    if (at(s, ']')) {
        s->i++;
        return true;
    }
    for (;;) {
        if (s->p && !child)
            return fail(s, "tree mismatch");
        if (!scan_value(s, child, (size_t)UINT32_MAX))
            return false;
        if (child)
            child = child->next;
        skip_ws(s);
        if (at(s, ',')) {
            s->i++;
            continue;
        }
        if (at(s, ']')) {
            s->i++;
            return true;
        }
        return fail(s, "expected ',' or ']' after the element");
    }
}

static bool scan_value(struct scan *s, const cJSON *node, size_t key_off)
{
    skip_ws(s);
    if (s->i >= s->len)
        return fail(s, "unexpected end of file: expected a value");
    if (!record(s, node, key_off))
        return false;
    char c = s->t[s->i];
    bool ok;
    if (++s->depth > JSON_MAX_DEPTH)
        return fail(s, "nesting too deep");
    if (c == '{')
        ok = scan_object(s, node);
    else if (c == '[')
        ok = scan_array(s, node);
    else if (c == '"')
        ok = scan_string(s);
    else if (c == '-' || (c >= '0' && c <= '9'))
        ok = scan_number(s);
    else if (c == 't')
        ok = scan_literal(s, "true");
    else if (c == 'f')
        ok = scan_literal(s, "false");
    else if (c == 'n')
        ok = scan_literal(s, "null");
    else if (c == ']' || c == '}' || c == ',')
        ok = fail(s, "expected a value");
    else
        ok = fail(s, "expected a value (a string, number, object, array, true, false or null)");
    s->depth--;
    return ok;
}

static size_t skip_bom(const char *t, size_t len)
{
    return len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

static bool scan_document(struct scan *s, const cJSON *root)
{
    s->i = skip_bom(s->t, s->len);
    if (!scan_value(s, root, (size_t)UINT32_MAX))
        return false;
    skip_ws(s);
    if (s->i < s->len)
        return fail(s, "expected the end of the file after the top-level value");
    return true;
}

bool json_syntax_check(const char *text, size_t len, struct json_syntax_error *e)
{
    struct scan s = {.t = text, .len = len, .e = e};
    return scan_document(&s, NULL);
}

static int cmp_entry(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct jpos_entry *)a)->node;
    uintptr_t y = (uintptr_t)((const struct jpos_entry *)b)->node;
    return x < y ? -1 : x > y;
}

bool jpos_lines(struct jpos *p, const char *text, size_t len)
{
    p->text = text;
    uint32_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    p->line_start = malloc(n * sizeof *p->line_start);
    if (!p->line_start)
        return false;
    p->n_lines = 0;
    p->line_start[p->n_lines++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            p->line_start[p->n_lines++] = (uint32_t)(i + 1);
    return true;
}

bool jpos_build(struct jpos *p, const char *text, size_t len, const cJSON *root)
{
    if (!p->line_start && !jpos_lines(p, text, len))
        return false;
    struct scan s = {.t = text, .len = len, .p = p};
    if (!scan_document(&s, root)) {
        p->n = 0; /* positions unknown rather than wrong */
        return false;
    }
    qsort(p->v, p->n, sizeof *p->v, cmp_entry);
    return true;
}

void jpos_free(struct jpos *p)
{
    free(p->v);
    free(p->line_start);
    memset(p, 0, sizeof *p);
}

void jpos_line_col(const struct jpos *p, uint32_t off, int *line, int *col)
{
    uint32_t lo = 0, hi = p->n_lines; /* last line starting at or before off */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->line_start[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    /* Columns count characters, not the bytes of UTF-8 sequences. */
    int c = 1;
    for (uint32_t i = p->line_start[lo]; i < off; i++)
        if (((unsigned char)p->text[i] & 0xc0) != 0x80)
            c++;
    *line = (int)lo + 1;
    *col = c;
}

bool jpos_offset(const struct jpos *p, const cJSON *node, bool key, uint32_t *off)
{
    uint32_t lo = 0, hi = p->n;
    uintptr_t want = (uintptr_t)node;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uintptr_t have = (uintptr_t)p->v[mid].node;
        if (have == want) {
            const struct jpos_entry *e = &p->v[mid];
            *off = key && e->key_off != UINT32_MAX ? e->key_off : e->val_off;
            return true;
        }
        if (have < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}
