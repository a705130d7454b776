/* Byte rings in pages (struct tcp_ring): memory follows the bytes held.
 *
 * A ring may also be given a source, the function its bytes are expected to
 * follow (the apps' pattern): a page whose bytes all equal the source's is
 * kept as a mark, not as bytes, and made again when read; a byte that
 * differs gives the page real storage.  What is read is what arrived.
 *
 * A receiver that reads at once holds the page of the segment in hand; one
 * that holds out-of-order data holds the pages that data touches, not the
 * span up to it; an idle connection holds nothing.  Pages come from and go
 * back to the host's small pool, so steady state allocates nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

/* A page slot whose bytes are the ring's source's (see tcp_ring_write_at):
 * nothing is allocated for it. */
static const uint8_t source_tag;
#define SOURCE_PAGE ((uint8_t *)(uintptr_t)&source_tag)

static uint8_t **table_of(struct tcp_ring *r)
{
    return r->slots > TCP_RING_INLINE ? r->u.table : r->u.inline_pages;
}

static uint8_t *const *table_of_const(const struct tcp_ring *r)
{
    return r->slots > TCP_RING_INLINE ? r->u.table : r->u.inline_pages;
}

/* The table slot of the k-th page from byte 0's. */
static uint32_t slot_of(const struct tcp_ring *r, uint32_t k)
{
    return (r->first + k) & (r->slots - 1);
}

static uint8_t *page_get(struct tcp_page_pool *pool)
{
    if (!pool || !pool->n)
        return malloc(TCP_PAGE);
    uint8_t *page = pool->free;
    memcpy(&pool->free, page, sizeof(pool->free));
    pool->n--;
    return page;
}

static void page_put(struct tcp_page_pool *pool, uint8_t *page)
{
    if (!pool || pool->n >= TCP_POOL_PAGES) {
        free(page);
        return;
    }
    memcpy(page, &pool->free, sizeof(pool->free));
    pool->free = page;
    pool->n++;
}

/* Makes the table hold at least `pages` slots, keeping each page's place
 * relative to byte 0; false when memory runs out. */
static bool table_grow(struct tcp_ring *r, uint32_t pages)
{
    if (pages <= r->slots)
        return true;
    uint32_t slots = TCP_RING_INLINE;
    while (slots < pages)
        slots *= 2;
    uint8_t *moved[TCP_RING_INLINE] = {0};
    uint8_t **t = slots > TCP_RING_INLINE ? calloc(slots, sizeof *t) : moved;
    if (!t)
        return false;
    uint8_t **old = table_of(r);
    for (uint32_t k = 0; k < r->slots; k++)
        t[k] = old[slot_of(r, k)];
    if (r->slots > TCP_RING_INLINE)
        free(r->u.table);
    if (slots > TCP_RING_INLINE)
        r->u.table = t;
    else
        memcpy(r->u.inline_pages, moved, sizeof moved);
    r->slots = slots;
    r->first = 0;
    return true;
}

/* True when the n bytes at d are the source's at ring offset off. */
static bool from_source(const struct tcp_ring_source *src, uint32_t off, const uint8_t *d,
                        uint32_t n)
{
    uint8_t made[TCP_PAGE];
    src->fill(src->ctx, src->base + off, made, n);
    return memcmp(made, d, n) == 0;
}

/* Gives slot k a page of its own, holding the source's bytes when it had
 * none; false when memory runs out. */
static bool materialize(struct tcp_ring *r, uint8_t **slot, uint32_t k,
                        const struct tcp_ring_source *src, struct tcp_page_pool *pool)
{
    bool marked = *slot == SOURCE_PAGE;
    if (marked && !src)
        return false; /* a mark is only ever written with its source */
    uint8_t *page = page_get(pool);
    if (!page)
        return false;
    if (marked) /* ring offset k * TCP_PAGE - head starts it */
        src->fill(src->ctx, src->base - r->head + (uint64_t)k * TCP_PAGE, page, TCP_PAGE);
    *slot = page;
    r->held++;
    return true;
}

bool tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *d, uint32_t n,
                       struct tcp_page_pool *pool, const struct tcp_ring_source *src)
{
    if (!n)
        return true;
    uint64_t end = (uint64_t)r->head + off + n;
    if (!table_grow(r, (uint32_t)((end + TCP_PAGE - 1) / TCP_PAGE)))
        return false;
    uint8_t **t = table_of(r);
    uint32_t at = r->head + off;
    while (n) {
        uint32_t k = at / TCP_PAGE, in = at % TCP_PAGE;
        uint32_t chunk = TCP_PAGE - in < n ? TCP_PAGE - in : n;
        uint8_t **slot = &t[slot_of(r, k)];
        bool as_source =
            src && (!*slot || *slot == SOURCE_PAGE) && from_source(src, at - r->head, d, chunk);
        if (as_source)
            *slot = SOURCE_PAGE;
        else if ((!*slot || *slot == SOURCE_PAGE) && !materialize(r, slot, k, src, pool))
            return false;
        if (!as_source)
            memcpy(*slot + in, d, chunk);
        d += chunk;
        at += chunk;
        n -= chunk;
    }
    return true;
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *d, uint32_t n,
                      const struct tcp_ring_source *src)
{
    uint8_t *const *t = table_of_const(r);
    uint32_t at = r->head + off;
    while (n) {
        uint32_t k = at / TCP_PAGE, in = at % TCP_PAGE;
        uint32_t chunk = TCP_PAGE - in < n ? TCP_PAGE - in : n;
        const uint8_t *page = t[slot_of(r, k)];
        if (page == SOURCE_PAGE)
            src->fill(src->ctx, src->base + (at - r->head), d, chunk);
        else
            memcpy(d, page + in, chunk);
        d += chunk;
        at += chunk;
        n -= chunk;
    }
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n, struct tcp_page_pool *pool)
{
    r->len -= n;
    if (!r->slots)
        return; /* a count only (a socket with a payload source) */
    uint8_t **t = table_of(r);
    r->head += n;
    while (r->head >= TCP_PAGE) { /* pages wholly consumed */
        uint8_t **slot = &t[r->first];
        if (*slot && *slot != SOURCE_PAGE) {
            page_put(pool, *slot);
            *slot = NULL;
            r->held--;
        }
        r->first = (r->first + 1) & (r->slots - 1);
        r->head -= TCP_PAGE;
    }
}

void tcp_ring_release(struct tcp_ring *r, struct tcp_page_pool *pool)
{
    uint8_t **t = table_of(r);
    for (uint32_t k = 0; k < r->slots; k++)
        if (t[k] && t[k] != SOURCE_PAGE)
            page_put(pool, t[k]);
    if (r->slots > TCP_RING_INLINE)
        free(r->u.table);
    *r = (struct tcp_ring){0};
}

void tcp_page_pool_free(struct tcp_page_pool *pool)
{
    while (pool->n)
        free(page_get(pool));
}
