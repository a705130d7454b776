/* Byte rings in pages (struct tcp_ring): memory follows the bytes held.
 *
 * A receiver that reads at once holds the page of the segment in hand; one
 * that holds out-of-order data holds the pages that data touches, not the
 * span up to it; an idle connection holds nothing.  Pages come from and go
 * back to the host's small pool, so steady state allocates nothing. */
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

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
    if (pool && pool->n)
        return pool->page[--pool->n];
    return malloc(TCP_PAGE);
}

static void page_put(struct tcp_page_pool *pool, uint8_t *page)
{
    if (pool && pool->n < TCP_POOL_PAGES)
        pool->page[pool->n++] = page;
    else
        free(page);
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

bool tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *d, uint32_t n,
                       struct tcp_page_pool *pool)
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
        if (!*slot) {
            if (!(*slot = page_get(pool)))
                return false;
            r->held++;
        }
        memcpy(*slot + in, d, chunk);
        d += chunk;
        at += chunk;
        n -= chunk;
    }
    return true;
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *d, uint32_t n)
{
    uint8_t *const *t = table_of_const(r);
    uint32_t at = r->head + off;
    while (n) {
        uint32_t k = at / TCP_PAGE, in = at % TCP_PAGE;
        uint32_t chunk = TCP_PAGE - in < n ? TCP_PAGE - in : n;
        memcpy(d, t[slot_of(r, k)] + in, chunk);
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
        if (*slot) {
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
        if (t[k])
            page_put(pool, t[k]);
    if (r->slots > TCP_RING_INLINE)
        free(r->u.table);
    *r = (struct tcp_ring){0};
}

void tcp_page_pool_free(struct tcp_page_pool *pool)
{
    while (pool->n)
        free(pool->page[--pool->n]);
}
