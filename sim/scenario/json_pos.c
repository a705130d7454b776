/* Reading a JSON text: one scanner checks the syntax and, in the same pass,
 * builds the tree (json_tree.c makes its nodes) with the position of every
 * node's key and value, so that the loader's messages say line:col.  A text
 * that is not JSON gets the place of its first mistake and what was
 * expected there.
 * The scanner follows RFC 8259 more strictly than cJSON: cJSON takes raw
 * control characters inside strings and between values, "\u0000" (which
 * ends its C strings early, silently truncating a name), numbers with
 * leading zeros ("01") and bytes that are not UTF-8, all of which the
 * scanner refuses with their position.  Every text the scanner accepts,
 * cJSON parses too, into the tree the scanner builds (the tests compare
 * them).  The scanner also keeps the path to the value it is in, so that a
 * syntax error names the host or link it is in (json_syntax.c words the
 * message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

static void skip_ws(struct scan *s)
{
    while (s->i < s->len && scan_is_ws(s->t[s->i]))
        s->i++;
}

static bool at(const struct scan *s, char c)
{
    return s->i < s->len && s->t[s->i] == c;
}

static bool out_of_memory(struct scan *s)
{
    return scan_fail(s, "out of memory");
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex4(const char *t)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = t[k];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* The offset after 4 hex digits following "\u" at t[at], or 0. */
static size_t after_u_escape(const struct scan *s, size_t at)
{
    if (s->len - at < 6 || s->t[at] != '\\' || s->t[at + 1] != 'u')
        return 0;
    for (size_t k = 2; k < 6; k++)
        if (!is_hex(s->t[at + k]))
            return 0;
    return at + 6;
}

/* "\uXXXX" at s->i: cJSON refuses a lone half of a UTF-16 surrogate pair,
 * and would cut a string at "\u0000" (RFC 8259 §7 allows it, but a name
 * cannot hold a NUL). */
static bool scan_u_escape(struct scan *s)
{
    for (size_t k = 2; k < 6; k++)
        if (s->i + k >= s->len || !is_hex(s->t[s->i + k])) {
            s->i += k;
            return scan_fail(s, "expected 4 hex digits after \\u, as in \\u00e9");
        }
    unsigned u = hex4(s->t + s->i + 2);
    if (u == 0)
        return scan_fail(s, "\\u0000 (a NUL character) is not allowed in a string");
    if (u >= 0xdc00 && u <= 0xdfff)
        return scan_fail(s,
                         "\\u%04x is the second half of a UTF-16 surrogate pair, without "
                         "the first (\\ud800 to \\udbff)",
                         u);
    if (u >= 0xd800 && u <= 0xdbff) {
        size_t next = after_u_escape(s, s->i + 6);
        unsigned low = next ? hex4(s->t + s->i + 8) : 0;
        if (low < 0xdc00 || low > 0xdfff)
            return scan_fail(s,
                             "\\u%04x is the first half of a UTF-16 surrogate pair: "
                             "\\udc00 to \\udfff must follow",
                             u);
        s->i = next;
        return true;
    }
    s->i += 6;
    return true;
}

static bool scan_escape(struct scan *s)
{
    char e = s->t[s->i + 1];
    if (e == 'u')
        return scan_u_escape(s);
    if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        if (e > 0x20 && e < 0x7f)
            return scan_fail(s,
                             "invalid escape \\%c in a string: write \\\\ for a backslash (the "
                             "escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX)",
                             e);
        s->i++;
        return scan_fail(s, "invalid escape in a string: write \\\\ for a backslash");
    }
    s->i += 2;
    return true;
}

/* RFC 8259 §7: characters below U+0020 must be escaped inside strings. */
static bool control_character(struct scan *s, unsigned char c)
{
    if (c == '\n')
        return scan_fail(s, "a string cannot span lines: write \\n for a newline (or a "
                            "closing '\"' is missing)");
    if (c == '\t')
        return scan_fail(s, "raw tab character in a string: write \\t");
    return scan_fail(s, "raw control character 0x%02x in a string: write \\u%04x", c, c);
}

/* RFC 8259 §8.1: a JSON text is UTF-8.  Other bytes would end up in names,
 * messages and traces. */
static bool bad_utf8(struct scan *s, unsigned char c)
{
    return scan_fail(s,
                     "invalid UTF-8 in a string (byte 0x%02x): save the file as UTF-8, or "
                     "write the character as \\uXXXX",
                     c);
}

/* A raw control character or a byte that is not UTF-8 does not stop the
 * scan: if the string never closes, the opening quote is the useful place
 * to point at; if it does, the first such byte is. */
static bool scan_string(struct scan *s)
{
    size_t open = s->i, first_bad = SIZE_MAX;
    s->i++; /* the opening quote */
    while (s->i < s->len) {
        unsigned char c = (unsigned char)s->t[s->i];
        if (c == '"') {
            if (first_bad != SIZE_MAX) {
                s->i = first_bad;
                c = (unsigned char)s->t[first_bad];
                return c < 0x20 ? control_character(s, c) : bad_utf8(s, c);
            }
            s->i++;
            return true;
        }
        if (c == '\\') {
            if (s->i + 1 >= s->len)
                break;
            if (!scan_escape(s))
                return false;
            continue;
        }
        size_t n = c < 0x20   ? 0
                   : c < 0x80 ? 1
                              : scan_utf8_len((const unsigned char *)s->t + s->i, s->len - s->i);
        if (n == 0 && first_bad == SIZE_MAX)
            first_bad = s->i;
        s->i += n ? n : 1;
    }
    s->i = open; /* the end of the file says little: point at the string's start */
    return scan_fail(s, "unterminated string: no closing '\"' for this opening quote");
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

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* Whether the number that ends at s->i is done, as far as the number is
 * concerned: a letter, a digit, '.', '/', '%' or a sign right after it
 * ("10ms", "10.0.0.1", "1/2") makes a string without its quotes, explained
 * as such; anything else the enclosing object or array judges. */
static bool at_value_end(const struct scan *s)
{
    if (s->i >= s->len)
        return true;
    char c = s->t[s->i];
    bool comment = c == '/' && s->i + 1 < s->len && strchr("/*", s->t[s->i + 1]);
    return comment || !(is_word_char(c) || (c != '\0' && strchr("./%+-", c)));
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool scan_number(struct scan *s)
{
    size_t start = s->i;
    if (at(s, '-'))
        s->i++;
    if (!at_digit(s))
        return scan_explain_number_tail(s, start);
    if (at(s, '0')) {
        s->i++;
        if (at_digit(s)) {
            s->i = start;
            return scan_fail(s, "leading zeros are not allowed in numbers (RFC 8259 §6)");
        }
    } else {
        skip_digits(s);
    }
    if (at(s, '.')) {
        s->i++;
        if (!at_digit(s))
            return at_value_end(s) ? scan_fail(s, "expected a digit after the decimal point")
                                   : scan_explain_number_tail(s, start);
        skip_digits(s);
    }
    if (at(s, 'e') || at(s, 'E')) {
        s->i++;
        if (at(s, '+') || at(s, '-'))
            s->i++;
        if (!at_digit(s))
            return at_value_end(s) ? scan_fail(s, "expected a digit in the exponent")
                                   : scan_explain_number_tail(s, start);
        skip_digits(s);
    }
    return at_value_end(s) || scan_explain_number_tail(s, start);
}

/* true, false, null: a longer word ("nullx", "true1") is no literal. */
static bool scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if (s->len - s->i < n || memcmp(s->t + s->i, word, n) != 0 ||
        (s->i + n < s->len && is_word_char(s->t[s->i + n])))
        return scan_explain_value(s);
    s->i += n;
    return true;
}

static bool scan_value(struct scan *s, cJSON *node);

/* After a member name: ':' and the value. */
static bool scan_member_value(struct scan *s, cJSON *child)
{
    skip_ws(s);
    if (!at(s, ':'))
        return scan_explain_colon(s);
    s->i++;
    return scan_value(s, child);
}

/* When building: a new member of `node` named by the string at
 * key_off..s->i, appended after *last; NULL when only checking. */
static bool new_member(struct scan *s, cJSON *node, cJSON **last, size_t key_off, cJSON **child)
{
    *child = NULL;
    if (!node)
        return true;
    cJSON *c = jtree_node(s->p, key_off);
    if (!c || !(c->string = jtree_string(s->p, s->t, key_off, s->i)))
        return out_of_memory(s);
    jtree_append(node, last, c);
    *child = c;
    return true;
}

static bool scan_object(struct scan *s, cJSON *node)
{
    cJSON *last = NULL;
    size_t open = s->i, comma = SIZE_MAX;
    if (node)
        node->type = cJSON_Object;
    s->i++;
    skip_ws(s);
    if (at(s, '}')) {
        s->i++;
        return true;
    }
    for (;;) {
        skip_ws(s);
        if (!at(s, '"'))
            return scan_explain_member_name(s, open, comma);
        size_t key_off = s->i;
        cJSON *child;
        if (!scan_string(s) || !new_member(s, node, &last, key_off, &child))
            return false;
        scan_push_key(s, key_off, s->i);
        bool ok = scan_member_value(s, child);
        scan_pop(s);
        if (!ok)
            return false;
        skip_ws(s);
        if (at(s, ',')) {
            comma = s->i++;
            continue;
        }
        if (at(s, '}')) {
            s->i++;
            return true;
        }
        return scan_explain_after_item(s, open, 0);
    }
}

/* When building: a new element of `node`, appended after *last. */
static bool new_element(struct scan *s, cJSON *node, cJSON **last, cJSON **child)
{
    *child = NULL;
    if (!node)
        return true;
    cJSON *c = jtree_node(s->p, UINT32_MAX);
    if (!c)
        return out_of_memory(s);
    jtree_append(node, last, c);
    *child = c;
    return true;
}

static bool scan_array(struct scan *s, cJSON *node)
{
    cJSON *last = NULL;
    size_t open = s->i;
    if (node)
        node->type = cJSON_Array;
    s->i++;
    skip_ws(s);
    if (at(s, ']')) {
        s->i++;
        return true;
    }
    for (uint32_t index = 0;; index++) {
        skip_ws(s);
        if (s->i >= s->len) /* the array is not closed: say so rather than "[n]: no value" */
            return scan_explain_after_item(s, open, index);
        cJSON *child;
        if (!new_element(s, node, &last, &child))
            return false;
        scan_push_index(s, index);
        bool ok = scan_value(s, child);
        scan_pop(s);
        if (!ok)
            return false;
        skip_ws(s);
        if (at(s, ',')) {
            size_t comma = s->i++;
            skip_ws(s);
            if (at(s, ']'))
                return scan_explain_trailing_comma(s, comma, "element");
            continue;
        }
        if (at(s, ']')) {
            s->i++;
            return true;
        }
        return scan_explain_after_item(s, open, index + 1);
    }
}

static bool string_value(struct scan *s, cJSON *node)
{
    size_t open = s->i;
    if (!scan_string(s))
        return false;
    if (node) {
        node->type = cJSON_String;
        if (!(node->valuestring = jtree_string(s->p, s->t, open, s->i)))
            return out_of_memory(s);
    }
    return true;
}

static bool number_value(struct scan *s, cJSON *node)
{
    size_t start = s->i;
    if (!scan_number(s))
        return false;
    return !node || jtree_number(node, s->t, start, s->i) || out_of_memory(s);
}

/* true, false, null, typed as cJSON types them (true's valueint is 1). */
static bool literal_value(struct scan *s, cJSON *node, const char *word, int type)
{
    if (!scan_literal(s, word))
        return false;
    if (node) {
        node->type = type;
        node->valueint = type == cJSON_True;
    }
    return true;
}

/* Scans one value; when building, `node` (already linked into the tree)
 * becomes it. */
static bool scan_value(struct scan *s, cJSON *node)
{
    skip_ws(s);
    if (s->i >= s->len)
        return scan_explain_value(s);
    if (node)
        ((struct jnode *)(void *)node)->val_off = (uint32_t)s->i;
    char c = s->t[s->i];
    bool ok;
    if (s->depth + 1 > JSON_MAX_DEPTH)
        return scan_fail(s, "nesting too deep: at most %d arrays and objects may be nested",
                         JSON_MAX_DEPTH);
    s->depth++;
    if (c == '{')
        ok = scan_object(s, node);
    else if (c == '[')
        ok = scan_array(s, node);
    else if (c == '"')
        ok = string_value(s, node);
    else if (c == '-' || is_digit(c))
        ok = number_value(s, node);
    else if (c == 't')
        ok = literal_value(s, node, "true", cJSON_True);
    else if (c == 'f')
        ok = literal_value(s, node, "false", cJSON_False);
    else if (c == 'n')
        ok = literal_value(s, node, "null", cJSON_NULL);
    else
        ok = scan_explain_value(s);
    s->depth--;
    return ok;
}

/* RFC 8259 §8.1 lets a parser ignore a UTF-8 byte-order mark at the start,
 * as cJSON does; editors on some systems write one. */
static size_t skip_bom(const char *t, size_t len)
{
    return len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

static bool scan_document(struct scan *s, cJSON *root)
{
    s->i = skip_bom(s->t, s->len);
    skip_ws(s);
    size_t start = s->i;
    if (!scan_value(s, root))
        return false;
    size_t end = s->i;
    skip_ws(s);
    if (s->i < s->len)
        return scan_explain_after_top(s, start, end);
    return true;
}

bool json_syntax_check(const char *text, size_t len, struct json_syntax_error *e)
{
    struct json_seg segs[JSON_MAX_DEPTH + 1];
    struct scan s = {.t = text, .len = len, .e = e, .segs = e ? segs : NULL};
    return scan_document(&s, NULL);
}

/* The first block holds about what a text of this length makes (nodes and
 * strings take somewhat more than the text), so most files need one or
 * two allocations; blocks that follow double. */
static size_t first_block_for(size_t len)
{
    return len + len / 2;
}

bool jpos_parse(struct jpos *p, const char *text, size_t len, struct json_syntax_error *e)
{
    struct json_seg segs[JSON_MAX_DEPTH + 1];
    struct scan s = {.t = text, .len = len, .p = p, .e = e, .segs = e ? segs : NULL};
    p->text = text;
    p->len = len;
    p->first_block = first_block_for(len);
    cJSON *root = jtree_node(p, UINT32_MAX);
    if (!root || !scan_document(&s, root)) {
        if (!root)
            out_of_memory(&s);
        jtree_free(p);
        return false;
    }
    p->root = root;
    return true;
}

void jpos_free(struct jpos *p)
{
    jtree_free(p);
    free(p->line_start);
    memset(p, 0, sizeof *p);
}

/* The line table, built when the first position is asked for: a file that
 * loads cleanly never needs one. */
static bool build_lines(struct jpos *p)
{
    const char *t = p->text;
    uint32_t n = 1;
    for (const char *c = t; (c = memchr(c, '\n', (size_t)(t + p->len - c))); c++)
        n++;
    p->line_start = malloc(n * sizeof *p->line_start);
    if (!p->line_start)
        return false;
    p->n_lines = 0;
    p->line_start[p->n_lines++] = 0;
    for (const char *c = t; (c = memchr(c, '\n', (size_t)(t + p->len - c))); c++)
        p->line_start[p->n_lines++] = (uint32_t)(c - t + 1);
    return true;
}

/* The start of the line holding `off` and its 0-based number; without a
 * table (out of memory), by counting. */
static uint32_t line_of(struct jpos *p, uint32_t off, uint32_t *start)
{
    if (!p->line_start && !build_lines(p)) {
        uint32_t line = 0;
        *start = 0;
        for (uint32_t i = 0; i < off && i < p->len; i++)
            if (p->text[i] == '\n') {
                line++;
                *start = i + 1;
            }
        return line;
    }
    uint32_t lo = 0, hi = p->n_lines; /* last line starting at or before off */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->line_start[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *start = p->line_start[lo];
    return lo;
}

void jpos_line_col(struct jpos *p, uint32_t off, int *line, int *col)
{
    uint32_t start;
    uint32_t lo = line_of(p, off, &start);
    /* Columns count characters, not the bytes of UTF-8 sequences. */
    int c = 1;
    for (uint32_t i = start; i < off; i++)
        if (((unsigned char)p->text[i] & 0xc0) != 0x80)
            c++;
    *line = (int)lo + 1;
    *col = c;
}
