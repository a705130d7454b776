#include "frame.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void frame_pool_init(struct frame_pool *p)
{
    memset(p, 0, sizeof *p);
}

static void free_list(struct frame *f)
{
    while (f) {
        struct frame *next = f->next;
        free(f);
        f = next;
    }
}

void frame_pool_destroy(struct frame_pool *p)
{
    free_list(p->free_tiny);
    free_list(p->free_small);
    free_list(p->free_large);
    memset(p, 0, sizeof *p);
}

/* The size class of a frame of len bytes: a pure ACK does not take the
 * room of a full-sized segment, and frames are most of a busy world's memory. */
static uint32_t class_cap(uint32_t len)
{
    return len <= FRAME_TINY_CAP    ? FRAME_TINY_CAP
           : len <= FRAME_SMALL_CAP ? FRAME_SMALL_CAP
                                    : FRAME_LARGE_CAP;
}

static struct frame **free_list_of(struct frame_pool *p, uint32_t cap)
{
    return cap == FRAME_TINY_CAP    ? &p->free_tiny
           : cap == FRAME_SMALL_CAP ? &p->free_small
                                    : &p->free_large;
}

struct frame *frame_alloc(struct frame_pool *p, uint32_t len)
{
    if (len > FRAME_LARGE_CAP)
        return NULL;
    if (p->limit && p->in_use >= p->limit) {
        p->limit_hit = true;
        return NULL;
    }
    uint32_t cap = class_cap(len);
    struct frame **list = free_list_of(p, cap);
    struct frame *f = *list;
    if (f) {
        *list = f->next;
    } else {
        f = malloc(sizeof *f + cap);
        if (!f) {
            p->oom = true;
            return NULL;
        }
        f->cap = cap;
        p->allocated++;
    }
    f->next = NULL;
    f->id = 0;
    f->csum_ok = false;
    f->len = len;
    f->holder = NULL;
    f->data = f->buf;
    sim_timer_init(&f->timer, NULL, NULL);
    p->in_use++;
    if (p->in_use > p->peak_in_use)
        p->peak_in_use = p->in_use;
    return f;
}

struct frame *frame_clone(struct frame_pool *p, const struct frame *f)
{
    struct frame *c = frame_alloc(p, f->len);
    if (!c)
        return NULL;
    memcpy(c->data, f->data, f->len);
    c->id = f->id;
    c->csum_ok = f->csum_ok;
    return c;
}

void frame_free(struct frame_pool *p, struct frame *f)
{
    if (!f)
        return;
    assert(!sim_timer_armed(&f->timer));
    struct frame **list = free_list_of(p, f->cap);
    f->next = *list;
    *list = f;
    p->in_use--;
}

void frame_queue_clear(struct frame_pool *p, struct frame_queue *q)
{
    struct frame *f;
    while ((f = frame_queue_pop(q)))
        frame_free(p, f);
}
