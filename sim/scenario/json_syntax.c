/* Syntax errors: where a text stops being JSON, the path of the value the
 * scanner (json_pos.c) was in, and a message that says what was expected
 * there with a hint for the kind of mistake: a missing comma, a trailing
 * comma, single quotes, a comment, a number with a unit, a bracket that
 * does not match, a file cut short, a file that is not UTF-8.
 *
 * The path names the innermost member or element being scanned: a value's
 * own path for a mistake inside it, the next member's for a missing comma
 * (the error is placed at its start), and the object's or array's for a
 * mistake in its punctuation. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_scan.h"

/* Longest name or bare word quoted back in a message, and longest path
 * (deeply nested values are cut short with "..."). */
#define WORD_MAX       40
#define PATH_MAX_SHOWN 128

size_t scan_utf8_len(const unsigned char *t, size_t left)
{
    unsigned char c = t[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (left < n || t[1] < lo || t[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((t[k] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* ---- The path ---------------------------------------------------------- */

void scan_push_key(struct scan *s, size_t quote_off, size_t end_off)
{
    if (!s->segs || s->n_segs > JSON_MAX_DEPTH)
        return;
    s->segs[s->n_segs++] = (struct json_seg){.key_off = (uint32_t)quote_off + 1,
                                             .key_len = (uint32_t)(end_off - quote_off - 2),
                                             .is_key = true};
}

void scan_push_index(struct scan *s, uint32_t index)
{
    if (!s->segs || s->n_segs > JSON_MAX_DEPTH)
        return;
    s->segs[s->n_segs++] = (struct json_seg){.index = index};
}

void scan_pop(struct scan *s)
{
    if (s->segs && s->n_segs)
        s->n_segs--;
}

/* Names written as the loader's own paths write them ("hosts[0].name");
 * others in brackets, as written in the file (hosts[0]["a b"]). */
static bool is_plain_name(const char *name, size_t n)
{
    if (n == 0)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = name[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '$'))
            return false;
    }
    return true;
}

/* At most `max` bytes of t[0..n), not cutting a UTF-8 sequence. */
static size_t utf8_prefix(const char *t, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)t[max] & 0xc0) == 0x80)
        max--;
    return max;
}

static void seg_text(const struct scan *s, const struct json_seg *g, bool first, char *out,
                     size_t cap)
{
    if (!g->is_key) {
        snprintf(out, cap, "[%u]", g->index);
        return;
    }
    const char *name = s->t + g->key_off;
    int n = (int)utf8_prefix(name, g->key_len, WORD_MAX);
    const char *more = (uint32_t)n < g->key_len ? "..." : "";
    if (is_plain_name(name, g->key_len))
        snprintf(out, cap, "%s%.*s%s", first ? "" : ".", n, name, more);
    else
        snprintf(out, cap, "[\"%.*s%s\"]", n, name, more);
}

/* The path, cut short with "..." when it does not fit. */
static void render_path(const struct scan *s, char *out, size_t cap)
{
    size_t used = 0;
    if (cap > PATH_MAX_SHOWN)
        cap = PATH_MAX_SHOWN;
    out[0] = '\0';
    for (uint32_t k = 0; s->segs && k < s->n_segs; k++) {
        char seg[WORD_MAX + 16];
        seg_text(s, &s->segs[k], k == 0, seg, sizeof seg);
        size_t n = strlen(seg);
        if (used + n + 4 > cap) {
            memcpy(out + used, "...", 4);
            return;
        }
        memcpy(out + used, seg, n + 1);
        used += n;
    }
}

bool scan_fail(struct scan *s, const char *fmt, ...)
{
    if (!s->failed && s->e) {
        s->e->off = (uint32_t)(s->i < s->len ? s->i : s->len);
        render_path(s, s->e->path, sizeof s->e->path);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->e->msg, sizeof s->e->msg, fmt, ap);
        va_end(ap);
    }
    s->failed = true;
    return false;
}

/* ---- Reading around the failure --------------------------------------- */

static unsigned char byte_at(const struct scan *s, size_t k)
{
    return k < s->len ? (unsigned char)s->t[k] : 0;
}

static bool at_comment(const struct scan *s)
{
    return byte_at(s, s->i) == '/' && (byte_at(s, s->i + 1) == '/' || byte_at(s, s->i + 1) == '*');
}

/* Line and column of an offset, counted as jpos_line_col counts them. */
static void line_col(const struct scan *s, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t k = 0; k < off && k < s->len; k++) {
        if (s->t[k] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)s->t[k] & 0xc0) != 0x80) {
            ++*col;
        }
    }
}

static const char *container_name(const struct scan *s, size_t open)
{
    return s->t[open] == '{' ? "object" : "array";
}

/* A bare word at `from`, up to whitespace, a control character or
 * punctuation: its length, or 0 when it is too long to quote or holds a
 * byte that is not ASCII. */
static size_t bare_word(const struct scan *s, size_t from, bool stop_at_colon)
{
    size_t k = from;
    for (; k < s->len; k++) {
        unsigned char c = (unsigned char)s->t[k];
        if (c <= 0x20 || strchr(",]}[{\"", c) || (stop_at_colon && c == ':'))
            break;
        if (c >= 0x7f || k - from >= WORD_MAX)
            return 0;
    }
    return k - from;
}

static bool word_is_nocase(const char *w, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return false;
    for (size_t k = 0; k < n; k++)
        if ((w[k] | 0x20) != lit[k])
            return false;
    return true;
}

/* "tru", "fals", "nul" */
static const char *literal_started(const char *w, size_t n)
{
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++)
        if (n < strlen(lits[k]) && strncmp(w, lits[k], n) == 0)
            return lits[k];
    return NULL;
}

/* ---- Explanations ------------------------------------------------------ */

/* Bytes that are never JSON outside a string: control characters and
 * anything not ASCII. */
static bool at_stray_byte(const struct scan *s)
{
    unsigned char c = byte_at(s, s->i);
    return s->i < s->len && (c >= 0x7f || (c < 0x20 && !scan_is_ws((char)c)));
}

static bool explain_stray_byte(struct scan *s)
{
    const unsigned char *b = (const unsigned char *)s->t + s->i;
    size_t left = s->len - s->i;
    if (s->i == 0 && left >= 2 &&
        ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
        return scan_fail(s, "the file is UTF-16 (it starts with a UTF-16 byte-order mark): "
                            "save it as UTF-8");
    if (b[0] == 0)
        return scan_fail(s, "NUL byte: this is not UTF-8 text (UTF-16?): save the file as UTF-8");
    if (b[0] < 0x20 || b[0] == 0x7f)
        return scan_fail(s,
                         "stray control character 0x%02x: only spaces, tabs and line breaks "
                         "may separate JSON values",
                         b[0]);
    size_t n = scan_utf8_len(b, left);
    if (n == 0)
        return scan_fail(s, "invalid UTF-8 (byte 0x%02x): save the file as UTF-8", b[0]);
    if (n == 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        return scan_fail(s, "a byte-order mark (U+FEFF) is allowed only at the very start of "
                            "the file");
    if (n == 3 && b[0] == 0xe2 && b[1] == 0x80 && b[2] >= 0x98 && b[2] <= 0x9f)
        return scan_fail(s, "typographic quote: strings need plain double quotes (\")");
    if (n == 2 && b[0] == 0xc2 && b[1] == 0xa0)
        return scan_fail(s, "non-breaking space (U+00A0): only plain spaces, tabs and line "
                            "breaks may separate JSON values");
    return scan_fail(s, "unexpected character outside a string: strings need double quotes");
}

static bool explain_comment(struct scan *s)
{
    return scan_fail(s, "comments are not allowed in JSON (notes can go in the scenario's "
                        "\"description\")");
}

/* A word where a value should be: a misspelt literal, or a string without
 * its quotes. */
static bool explain_word(struct scan *s)
{
    const char *w = s->t + s->i;
    size_t n = bare_word(s, s->i, false);
    if (n == 0)
        return scan_fail(s, "expected a value: strings need double quotes");
    int len = (int)n;
    if (word_is_nocase(w, n, "true") || word_is_nocase(w, n, "false") ||
        word_is_nocase(w, n, "null"))
        return scan_fail(s,
                         "%.*s is not a JSON value: true, false and null are written in "
                         "lowercase",
                         len, w);
    if (word_is_nocase(w, n, "nan") || word_is_nocase(w, n, "infinity") ||
        word_is_nocase(w, n, "-infinity") || word_is_nocase(w, n, "inf"))
        return scan_fail(s, "%.*s is not a JSON value: JSON has no NaN or infinity", len, w);
    if (word_is_nocase(w, n, "none") || word_is_nocase(w, n, "nil") ||
        word_is_nocase(w, n, "undefined"))
        return scan_fail(s, "%.*s is not a JSON value: write null", len, w);
    if (word_is_nocase(w, n, "yes") || word_is_nocase(w, n, "no") || word_is_nocase(w, n, "on") ||
        word_is_nocase(w, n, "off"))
        return scan_fail(s, "%.*s is not a JSON value: booleans are true and false", len, w);
    const char *lit = literal_started(w, n);
    if (lit)
        return scan_fail(s, "%.*s is not a JSON value: did you mean %s?", len, w, lit);
    return scan_fail(s, "%.*s is not a JSON value: strings need double quotes: write \"%.*s\"", len,
                     w, len, w);
}

static bool is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool explain_eof(struct scan *s)
{
    if (s->depth == 0 && s->n_segs == 0)
        return scan_fail(s, "the file is empty: a scenario is a JSON object, {...}");
    return scan_fail(s, "unexpected end of file: expected a value (is the file cut short?)");
}

bool scan_explain_value(struct scan *s)
{
    if (s->i >= s->len)
        return explain_eof(s);
    if (at_stray_byte(s))
        return explain_stray_byte(s);
    if (at_comment(s))
        return explain_comment(s);
    unsigned char c = byte_at(s, s->i);
    bool member = s->segs && s->n_segs && s->segs[s->n_segs - 1].is_key;
    if (c == '\'')
        return scan_fail(s, "strings need double quotes, not single quotes");
    if (c == ',')
        return scan_fail(s, "expected a value, found ',': %s",
                         member ? "the member has no value" : "one comma too many");
    if ((c == '}' || c == ']') && member)
        return scan_fail(s, "expected a value, found '%c': the member has no value", c);
    if (c == '+')
        return scan_fail(s, "a number cannot start with '+': write it without the sign");
    if (c == '.' && byte_at(s, s->i + 1) >= '0' && byte_at(s, s->i + 1) <= '9')
        return scan_fail(s, "a number needs a digit before the decimal point: write 0.5, not .5");
    if (is_letter(c))
        return explain_word(s);
    return scan_fail(s,
                     "expected a value (a string, number, object, array, true, false or "
                     "null), found '%c'",
                     c);
}

bool scan_explain_number_tail(struct scan *s, size_t start)
{
    s->i = start;
    const char *w = s->t + start;
    size_t sign = w[0] == '-';
    if (start + sign < s->len && is_letter((unsigned char)w[sign]))
        return explain_word(s); /* -Infinity */
    size_t n = bare_word(s, start, true);
    int len = (int)n;
    if (n > sign + 1 && w[sign] == '0' && (w[sign + 1] | 0x20) == 'x')
        return scan_fail(s, "%.*s: JSON has no hexadecimal numbers: write it in decimal", len, w);
    if (n == 0)
        return scan_fail(s, "not a JSON number: strings need double quotes");
    if (n == sign)
        return scan_fail(s, "expected a digit in the number");
    size_t digits = sign;
    while (digits < n && ((w[digits] >= '0' && w[digits] <= '9') || w[digits] == '.'))
        digits++;
    if (digits < n && is_letter((unsigned char)w[digits]))
        return scan_fail(s,
                         "%.*s is not a JSON number: a value with a unit is a string: write "
                         "\"%.*s\"",
                         len, w, len, w);
    return scan_fail(s, "%.*s is not a JSON number: strings need double quotes: write \"%.*s\"",
                     len, w, len, w);
}

/* The end of the file inside an object or array. */
static bool explain_unclosed(struct scan *s, size_t open)
{
    int line, col;
    line_col(s, open, &line, &col);
    return scan_fail(s,
                     "unexpected end of file: the %s opened at line %d, column %d is not "
                     "closed: '%c' is missing (is the file cut short?)",
                     container_name(s, open), line, col, s->t[open] == '{' ? '}' : ']');
}

static bool explain_mismatch(struct scan *s, size_t open)
{
    int line, col;
    line_col(s, open, &line, &col);
    return scan_fail(s,
                     "found '%c' where '%c' should close the %s opened at line %d, column %d: "
                     "brackets do not match",
                     s->t[s->i], s->t[open] == '{' ? '}' : ']', container_name(s, open), line, col);
}

bool scan_explain_trailing_comma(struct scan *s, size_t comma, const char *what)
{
    s->i = comma;
    return scan_fail(s,
                     "trailing comma after the last %s: trailing commas are not allowed in "
                     "JSON",
                     what);
}

bool scan_explain_member_name(struct scan *s, size_t open, size_t comma)
{
    if (s->i >= s->len)
        return explain_unclosed(s, open);
    unsigned char c = byte_at(s, s->i);
    if (c == '}' && comma != SIZE_MAX)
        return scan_explain_trailing_comma(s, comma, "member");
    if (c == ']')
        return explain_mismatch(s, open);
    if (at_stray_byte(s))
        return explain_stray_byte(s);
    if (at_comment(s))
        return explain_comment(s);
    if (c == '\'')
        return scan_fail(s, "member names need double quotes, not single quotes");
    if (c == ',')
        return scan_fail(s, "expected a member name, found ',': one comma too many");
    size_t n = bare_word(s, s->i, true);
    if (n && is_letter(c))
        return scan_fail(s, "expected a member name in double quotes: write \"%.*s\"", (int)n,
                         s->t + s->i);
    return scan_fail(s, "expected a member name in double quotes, found '%c'", c);
}

bool scan_explain_colon(struct scan *s)
{
    if (s->i >= s->len)
        return scan_fail(s, "unexpected end of file: expected ':' after the member name (is "
                            "the file cut short?)");
    unsigned char c = byte_at(s, s->i);
    if (at_stray_byte(s))
        return explain_stray_byte(s);
    if (c == '=')
        return scan_fail(s, "expected ':' after the member name, found '=': a member is "
                            "written \"name\": value");
    if (c == ',' || c == '}')
        return scan_fail(s, "expected ':' after the member name: the member has no value");
    return scan_fail(s, "expected ':' after the member name: a ':' is missing between the name "
                        "and its value");
}

/* The offset after a member name at s->i that can be shown in a path (no
 * control characters, UTF-8), or 0. */
static size_t name_end(const struct scan *s)
{
    size_t k = s->i + 1;
    while (k < s->len && s->t[k] != '"') {
        const unsigned char *b = (const unsigned char *)s->t + k;
        bool escape = b[0] == '\\' && k + 1 < s->len && b[1] >= 0x20 && b[1] < 0x7f;
        size_t n = escape ? 2 : b[0] < 0x20 || b[0] == '\\' ? 0 : scan_utf8_len(b, s->len - k);
        if (n == 0 || k + n > s->len)
            return 0;
        k += n;
    }
    return k < s->len ? k + 1 : 0;
}

static bool starts_value(unsigned char c)
{
    return c == '"' || c == '{' || c == '[' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
           c == 'f' || c == 'n';
}

/* A missing comma is reported at the start of the next member or element,
 * with that one's path. */
static bool explain_missing_comma(struct scan *s, bool object, uint32_t index)
{
    if (object) {
        size_t end = name_end(s);
        if (end)
            scan_push_key(s, s->i, end);
    } else {
        scan_push_index(s, index);
    }
    scan_fail(s, "expected ',' before this %s: a comma is missing between two %s",
              object ? "member" : "element", object ? "members" : "elements");
    scan_pop(s);
    return false;
}

bool scan_explain_after_item(struct scan *s, size_t open, uint32_t index)
{
    bool object = s->t[open] == '{';
    if (s->i >= s->len)
        return explain_unclosed(s, open);
    unsigned char c = byte_at(s, s->i);
    if ((object && c == '"') || (!object && starts_value(c)))
        return explain_missing_comma(s, object, index);
    if (c == ']' || c == '}')
        return explain_mismatch(s, open);
    if (at_stray_byte(s))
        return explain_stray_byte(s);
    if (at_comment(s))
        return explain_comment(s);
    if (!object && c == ':')
        return scan_fail(s, "expected ',' or ']', found ':': an array holds values, not "
                            "\"name\": value members (those go in an object, {...})");
    if (c == ';')
        return scan_fail(s, "found ';': %s are separated by ',' in JSON",
                         object ? "members" : "elements");
    bool word = is_letter(c) || (c >= '0' && c <= '9');
    return scan_fail(s, "expected ',' or '%c' after the %s, found '%c'%s", object ? '}' : ']',
                     object ? "member" : "element", c,
                     word ? " (is a string missing its double quotes?)" : "");
}

bool scan_explain_after_top(struct scan *s, size_t start, size_t end)
{
    if (at_stray_byte(s))
        return explain_stray_byte(s);
    if (at_comment(s))
        return explain_comment(s);
    char first = s->t[start];
    if (first != '{' && first != '[')
        return scan_fail(s, "expected the end of the file after the top-level value: a file "
                            "holds one JSON value");
    int line, col;
    line_col(s, end - 1, &line, &col);
    return scan_fail(s,
                     "expected the end of the file: the top-level %s already ended at line %d, "
                     "column %d (is there one '}' or ']' too many?)",
                     container_name(s, start), line, col);
}
