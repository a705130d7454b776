/* Diagnostics: `FILE:LINE:COL: error: JSON.PATH: message`, JSON paths built
 * while descending, and "did you mean" suggestions by edit distance. */
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

char *scn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

void *scn_calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

void scn_diag_add(struct scn_diags *d, const char *file, int line, int col, const char *path,
                  const char *msg)
{
    uint32_t limit = d->limit ? d->limit : 50;
    if (d->n >= limit) {
        d->dropped++;
        return;
    }
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 8;
        struct scn_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->dropped++;
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    struct scn_diag *g = &d->v[d->n];
    g->file = scn_strdup(file ? file : "");
    g->path = scn_strdup(path ? path : "");
    g->msg = scn_strdup(msg ? msg : "");
    g->line = line;
    g->col = col;
    if (!g->file || !g->path || !g->msg) {
        free(g->file);
        free(g->path);
        free(g->msg);
        d->dropped++;
        return;
    }
    d->n++;
}

void scn_diags_free(struct scn_diags *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].path);
        free(d->v[i].msg);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = d->dropped = 0;
}

void scn_diags_print(const struct scn_diags *d, FILE *out)
{
    for (uint32_t i = 0; i < d->n; i++) {
        const struct scn_diag *g = &d->v[i];
        if (g->line > 0)
            fprintf(out, "%s:%d:%d: error: ", g->file, g->line, g->col);
        else
            fprintf(out, "%s: error: ", g->file);
        if (g->path[0])
            fprintf(out, "%s: ", g->path);
        fprintf(out, "%s\n", g->msg);
    }
    if (d->dropped)
        fprintf(out, "... and %u more error%s\n", d->dropped, d->dropped == 1 ? "" : "s");
}

/* ---- Paths ------------------------------------------------------------- */

static size_t ld_append(struct ld *l, const char *s)
{
    size_t mark = l->plen;
    size_t n = strlen(s);
    if (l->plen + n >= LD_PATH_MAX)
        n = LD_PATH_MAX - 1 - l->plen;
    memcpy(l->path + l->plen, s, n);
    l->plen += n;
    l->path[l->plen] = '\0';
    return mark;
}

size_t ld_push_key(struct ld *l, const char *key)
{
    size_t mark = l->plen;
    if (l->plen)
        ld_append(l, ".");
    ld_append(l, key);
    return mark;
}

/* "[i]", written by hand: the loader pushes an index for every element it
 * reads, and snprintf cost ten times the rest of the push. */
size_t ld_push_index(struct ld *l, uint32_t i)
{
    char b[16], *p = b + sizeof b;
    *--p = '\0';
    *--p = ']';
    do {
        *--p = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    *--p = '[';
    return ld_append(l, p);
}

void ld_pop(struct ld *l, size_t mark)
{
    l->plen = mark;
    l->path[mark] = '\0';
}

/* ---- Errors ------------------------------------------------------------ */

static void ld_verr(struct ld *l, const cJSON *node, bool key, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    int line = 0, col = 0;
    uint32_t off;
    if (node && jpos_offset(&l->pos, node, key, &off))
        jpos_line_col(&l->pos, off, &line, &col);
    l->errors++;
    scn_diag_add(l->d, l->file, line, col, l->path, msg);
}

void ld_err(struct ld *l, const cJSON *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verr(l, node, false, fmt, ap);
    va_end(ap);
}

char *ld_strdup(struct ld *l, const cJSON *node, const char *s)
{
    char *c = scn_strdup(s);
    if (!c)
        ld_err(l, node, "out of memory copying \"%.40s\"", s);
    return c;
}

void ld_err_key(struct ld *l, const cJSON *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verr(l, node, true, fmt, ap);
    va_end(ap);
}

void ld_err_at(struct ld *l, const cJSON *node, const char *key, const char *fmt, ...)
{
    size_t mark = ld_push_key(l, key);
    va_list ap;
    va_start(ap, fmt);
    ld_verr(l, node, false, fmt, ap);
    va_end(ap);
    ld_pop(l, mark);
}

/* ---- Suggestions ------------------------------------------------------- */

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and transpositions of neighbours ("lsos" is one step from "loss"). */
uint32_t scn_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64) /* names longer than this are not typos of each other */
        return (uint32_t)(na > nb ? na : nb);
    uint32_t d[65][65];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (uint32_t)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (uint32_t)j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            uint32_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            uint32_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

const char *scn_closest(const char *s, const char *const *names, uint32_t n)
{
    size_t len = strlen(s);
    /* How far a typo may plausibly stray grows with the name's length. */
    uint32_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    uint32_t best_d = limit + 1;
    for (uint32_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        uint32_t d = scn_edit_distance(s, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}
