/* The tree the scanner (json_pos.c) builds while it checks a text: cJSON
 * nodes, so that the loader reads them with cJSON's accessors, but made
 * here rather than by cJSON_Parse:
 *  - one pass over the text checks it, builds the tree and records where
 *    each node's key and value start (beside the node, so finding them
 *    needs no index);
 *  - the nodes and their strings come from a few large blocks freed
 *    together, not one allocation per node and string (cJSON_Delete of a
 *    big file cost as much as parsing it);
 *  - a short string is stored once however often the file repeats it
 *    (a scenario of 10,000 clients says "name" and "tcp_client" 10,000
 *    times): nodes share it, and nothing writes to a node's strings.
 * The nodes are what cJSON_Parse makes of the same text (types, strings,
 * numbers through strtod, the head's `prev` pointing at the last child);
 * the tests compare the two trees.  cJSON_Delete must never see them. */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

/* Blocks start small (a regression suite loads thousands of small files)
 * and double up to this size. */
#define BLOCK_MIN ((size_t)8 << 10)
#define BLOCK_MAX ((size_t)1 << 20)

struct jblock {
    struct jblock *prev;
    size_t cap, used;
    _Alignas(max_align_t) char data[];
};

/* n bytes aligned to `align` (a power of two, at most max_align_t's), or NULL. */
static void *arena_alloc(struct jpos *p, size_t n, size_t align)
{
    struct jblock *b = p->blocks;
    if (b) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at <= b->cap && n <= b->cap - at) {
            b->used = at + n;
            return b->data + at;
        }
    }
    size_t cap = b ? (b->cap < BLOCK_MAX ? 2 * b->cap : BLOCK_MAX) : p->first_block;
    if (cap < BLOCK_MIN)
        cap = BLOCK_MIN;
    if (cap < n)
        cap = n;
    struct jblock *nb = malloc(sizeof *nb + cap);
    if (!nb)
        return NULL;
    nb->prev = b;
    nb->cap = cap;
    nb->used = n;
    p->blocks = nb;
    return nb->data;
}

void jtree_free(struct jpos *p)
{
    for (struct jblock *b = p->blocks, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    p->blocks = NULL;
    p->root = NULL;
    free(p->interned);
    p->interned = NULL;
}

cJSON *jtree_node(struct jpos *p, size_t key_off)
{
    struct jnode *n = arena_alloc(p, sizeof *n, _Alignof(struct jnode));
    if (!n)
        return NULL;
    memset(&n->node, 0, sizeof n->node);
    n->key_off = (uint32_t)key_off;
    n->val_off = UINT32_MAX;
    return &n->node;
}

void jtree_append(cJSON *parent, cJSON **last, cJSON *child)
{
    if (*last) {
        (*last)->next = child;
        child->prev = *last;
    } else {
        parent->child = child;
    }
    *last = child;
    parent->child->prev = child; /* as cJSON links them: the head knows the last */
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

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the escapes of a checked string body t[0..n) into out (at most n
 * bytes: no escape decodes to more bytes than it is written with). */
static size_t unescape(const char *t, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (t[i] != '\\') {
            out[o++] = t[i++];
            continue;
        }
        char e = t[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp = hex4(t + i);
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* the scanner checked the low half follows */
                cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(t + i + 2) - 0xdc00);
                i += 6;
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default:
            out[o++] = e;
            break; /* \" \\ \/ */
        }
    }
    return o;
}

/* Strings up to this many bytes (without escapes) are interned: keys and
 * names, not descriptions. */
#define INTERN_MAX   32
#define INTERN_SLOTS 1024u /* a power of two */

static uint32_t intern_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: the content alone decides, never an address */
    for (size_t k = 0; k < n; k++)
        h = (h ^ (unsigned char)s[k]) * 16777619u;
    return h;
}

/* The stored copy of body[0..n) (no escapes, n <= INTERN_MAX): the cached
 * one when its slot holds it, else a new one that takes the slot. */
static char *intern(struct jpos *p, const char *body, size_t n)
{
    if (!p->interned && !(p->interned = calloc(INTERN_SLOTS, sizeof *p->interned)))
        return NULL;
    const char **slot = &p->interned[intern_hash(body, n) & (INTERN_SLOTS - 1)];
    if (*slot && strncmp(*slot, body, n) == 0 && (*slot)[n] == '\0')
        return (char *)*slot; /* the blocks are the tree's, and nothing writes to them */
    char *s = arena_alloc(p, n + 1, 1);
    if (!s)
        return NULL;
    memcpy(s, body, n);
    s[n] = '\0';
    *slot = s;
    return s;
}

char *jtree_string(struct jpos *p, const char *text, size_t open, size_t close)
{
    size_t n = close - open - 2;
    const char *body = text + open + 1;
    if (n <= INTERN_MAX && !memchr(body, '\\', n)) {
        char *s = intern(p, body, n);
        if (s)
            return s;
    }
    char *s = arena_alloc(p, n + 1, 1);
    if (!s)
        return NULL;
    size_t len = memchr(body, '\\', n) ? unescape(body, n, s) : (memcpy(s, body, n), n);
    s[len] = '\0';
    return s;
}

/* cJSON's conversion: strtod, with '.' replaced by the locale's decimal
 * point as cJSON does, so that both make the same double of any text. */
static double parse_double(const char *t, size_t n, bool *ok)
{
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) {
        *ok = false;
        return 0;
    }
    const struct lconv *lc = localeconv();
    char point = '.';
    if (lc && lc->decimal_point && lc->decimal_point[0])
        point = lc->decimal_point[0];
    memcpy(buf, t, n);
    for (size_t k = 0; k < n; k++)
        if (buf[k] == '.')
            buf[k] = point;
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    *ok = true;
    return v;
}

bool jtree_number(cJSON *node, const char *text, size_t start, size_t end)
{
    const char *t = text + start;
    size_t n = end - start;
    double v = 0;
    bool plain = n <= 15; /* whole and below 2^53: exact without strtod */
    for (size_t k = 0; plain && k < n; k++)
        plain = t[k] >= '0' && t[k] <= '9';
    if (plain) {
        uint64_t u = 0;
        for (size_t k = 0; k < n; k++)
            u = u * 10 + (uint64_t)(t[k] - '0');
        v = (double)u;
    } else {
        bool ok;
        v = parse_double(t, n, &ok);
        if (!ok)
            return false;
    }
    node->type = cJSON_Number;
    node->valuedouble = v;
    /* cJSON saturates the int copy */
    node->valueint = v >= INT_MAX ? INT_MAX : v <= (double)INT_MIN ? INT_MIN : (int)v;
    return true;
}

bool jpos_offset(const struct jpos *p, const cJSON *node, bool key, uint32_t *off)
{
    if (!p->root || !node)
        return false;
    const struct jnode *n = (const struct jnode *)(const void *)node;
    if (n->val_off == UINT32_MAX)
        return false;
    *off = key && n->key_off != UINT32_MAX ? n->key_off : n->val_off;
    return true;
}
