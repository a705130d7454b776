/* The JSON scanner's state, shared by json_pos.c, which scans,
 * json_syntax.c, which says where and why a text is not JSON, and
 * json_tree.c, which makes the nodes of the tree.  Private to these files. */
#ifndef SIM_SCENARIO_JSON_SCAN_H
#define SIM_SCENARIO_JSON_SCAN_H

#include "scn_internal.h"

#define JSON_MAX_DEPTH 1000 /* cJSON's nesting limit */

/* One step of the path from the top-level value to the one being scanned. */
struct json_seg {
    uint32_t key_off, key_len; /* a member: its name as written, between the quotes */
    uint32_t index;            /* an element: its index */
    bool is_key;
};

struct scan {
    const char *t;
    size_t len, i;
    struct jpos *p; /* NULL: check only; else the tree is built there */
    struct json_syntax_error *e;
    struct json_seg *segs; /* the path (with e), JSON_MAX_DEPTH + 1 steps */
    uint32_t n_segs;
    int depth;
    bool failed;
};

/* Records the first error at s->i with the current path; always false. */
bool scan_fail(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void scan_push_key(struct scan *s, size_t quote_off, size_t end_off);
void scan_push_index(struct scan *s, uint32_t index);
void scan_pop(struct scan *s);

/* RFC 8259 whitespace: space, tab, line feed, carriage return.  Inline: the
 * scanner asks for every byte between tokens. */
static inline bool scan_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
/* Length of the well-formed UTF-8 sequence at t[0..left), 0 if there is none
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
size_t scan_utf8_len(const unsigned char *t, size_t left);

/* Explanations of a failure at s->i, each with a hint for the kind of
 * mistake; all return false. */
/* No value starts at s->i (at the top, after ':', or as an element). */
bool scan_explain_value(struct scan *s);
/* A number ends at s->i but something other than a delimiter follows. */
bool scan_explain_number_tail(struct scan *s, size_t start);
/* In the object opened at `open`: no member name at s->i; `comma` is the
 * offset of the comma before, or SIZE_MAX after '{'. */
bool scan_explain_member_name(struct scan *s, size_t open, size_t comma);
/* No ':' after a member name (the member is on the path). */
bool scan_explain_colon(struct scan *s);
/* Neither ',' nor the closing bracket after a member or an element of the
 * object or array opened at `open`; `index` is the next element's. */
bool scan_explain_after_item(struct scan *s, size_t open, uint32_t index);
/* A closing bracket right after the comma at `comma`; `what` is "member"
 * or "element". */
bool scan_explain_trailing_comma(struct scan *s, size_t comma, const char *what);
/* Something after the top-level value that started at `start`. */
bool scan_explain_after_top(struct scan *s, size_t start, size_t end);

/* ---- The tree (json_tree.c) ------------------------------------------- */

/* A node and where it is: the loader finds a node's position from the node
 * itself (jpos_offset), with no index to build or search. */
struct jnode {
    cJSON node;       /* first: a cJSON pointer to it is a pointer to the jnode */
    uint32_t key_off; /* a member: its key's opening quote; else UINT32_MAX */
    uint32_t val_off; /* the value's first character */
};

/* A zeroed node (NULL when out of memory); `key_off` as in struct jnode. */
cJSON *jtree_node(struct jpos *p, size_t key_off);
/* Appends child to parent's children, *last being the last so far. */
void jtree_append(cJSON *parent, cJSON **last, cJSON *child);
/* The string whose quotes are at text[open] and text[close - 1] (checked by
 * the scanner), escapes decoded, NUL-terminated; NULL when out of memory. */
char *jtree_string(struct jpos *p, const char *text, size_t open, size_t close);
/* Makes node the number text[start..end) (checked); false when out of memory. */
bool jtree_number(cJSON *node, const char *text, size_t start, size_t end);
/* Frees every node and string. */
void jtree_free(struct jpos *p);

#endif
