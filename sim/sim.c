/* Event core: a 4-ary min-heap of armed timers keyed by (when, seq).
 *
 * `seq` is taken from a counter each time a timer is armed, so events due at the
 * same instant run in the order they were scheduled (SPEC §2).  A heap entry keeps
 * its key beside the pointer so sifting touches only the heap array. */
#include "sim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_ARITY 4

struct sim_oneshot {
    struct sim_timer timer;
    sim_timer_fn fn;
    void *ctx;
    struct sim *sim;
    struct sim_oneshot *next_free;
};

#define ONESHOT_BLOCK 256

struct sim_oneshot_block {
    struct sim_oneshot_block *next;
    struct sim_oneshot nodes[ONESHOT_BLOCK];
};

static inline bool ent_before(const struct sim_heap_ent *a, const struct sim_heap_ent *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void heap_place(struct sim *s, uint32_t i, struct sim_heap_ent e)
{
    s->heap[i] = e;
    e.t->heap_idx = i;
}

static void sift_up(struct sim *s, uint32_t i, struct sim_heap_ent e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / HEAP_ARITY;
        if (!ent_before(&e, &s->heap[parent]))
            break;
        heap_place(s, i, s->heap[parent]);
        i = parent;
    }
    heap_place(s, i, e);
}

static void sift_down(struct sim *s, uint32_t i, struct sim_heap_ent e)
{
    uint32_t n = s->heap_len;
    for (;;) {
        uint32_t first = i * HEAP_ARITY + 1;
        if (first >= n)
            break;
        uint32_t last = first + HEAP_ARITY < n ? first + HEAP_ARITY : n;
        uint32_t best = first;
        for (uint32_t c = first + 1; c < last; c++)
            if (ent_before(&s->heap[c], &s->heap[best]))
                best = c;
        if (!ent_before(&s->heap[best], &e))
            break;
        heap_place(s, i, s->heap[best]);
        i = best;
    }
    heap_place(s, i, e);
}

static bool heap_reserve(struct sim *s)
{
    if (s->heap_len < s->heap_cap)
        return true;
    uint32_t cap = s->heap_cap ? s->heap_cap * 2 : 1024;
    struct sim_heap_ent *h = realloc(s->heap, (size_t)cap * sizeof *h);
    if (!h)
        return false;
    s->heap = h;
    s->heap_cap = cap;
    return true;
}

/* Removes the entry at index i and restores the heap property. */
static void heap_remove_at(struct sim *s, uint32_t i)
{
    struct sim_timer *t = s->heap[i].t;
    t->heap_idx = SIM_TIMER_IDLE;
    s->heap_len--;
    if (i == s->heap_len)
        return;
    struct sim_heap_ent moved = s->heap[s->heap_len];
    if (i > 0 && ent_before(&moved, &s->heap[(i - 1) / HEAP_ARITY]))
        sift_up(s, i, moved);
    else
        sift_down(s, i, moved);
}

void sim_timer_arm(struct sim *s, struct sim_timer *t, sim_time when)
{
    if (when < s->now)
        when = s->now;
    struct sim_heap_ent e = {.when = when, .seq = s->seq++, .t = t};
    t->when = when;
    if (sim_timer_armed(t)) {
        /* Re-arm in place: the new key may move either way. */
        uint32_t i = t->heap_idx;
        if (i > 0 && ent_before(&e, &s->heap[(i - 1) / HEAP_ARITY]))
            sift_up(s, i, e);
        else
            sift_down(s, i, e);
        return;
    }
    if (!heap_reserve(s)) {
        sim_fail(s, "out of memory growing the event queue");
        return;
    }
    sift_up(s, s->heap_len++, e);
}

void sim_timer_cancel(struct sim *s, struct sim_timer *t)
{
    if (!sim_timer_armed(t))
        return;
    assert(t->heap_idx < s->heap_len && s->heap[t->heap_idx].t == t);
    heap_remove_at(s, t->heap_idx);
}

static void oneshot_fire(void *ctx, sim_time now)
{
    struct sim_oneshot *o = ctx;
    struct sim *s = o->sim;
    sim_timer_fn fn = o->fn;
    void *fctx = o->ctx;
    /* Return the node before the callback so it can schedule again at once. */
    o->next_free = s->oneshot_free;
    s->oneshot_free = o;
    fn(fctx, now);
}

bool sim_schedule(struct sim *s, sim_time when, sim_timer_fn fn, void *ctx)
{
    if (!s->oneshot_free) {
        struct sim_oneshot_block *b = malloc(sizeof *b);
        if (!b) {
            sim_fail(s, "out of memory for scheduled events");
            return false;
        }
        b->next = s->oneshot_blocks;
        s->oneshot_blocks = b;
        for (int i = ONESHOT_BLOCK - 1; i >= 0; i--) {
            b->nodes[i].next_free = s->oneshot_free;
            s->oneshot_free = &b->nodes[i];
        }
    }
    struct sim_oneshot *o = s->oneshot_free;
    s->oneshot_free = o->next_free;
    sim_timer_init(&o->timer, oneshot_fire, o);
    o->fn = fn;
    o->ctx = ctx;
    o->sim = s;
    sim_timer_arm(s, &o->timer, when);
    return true;
}

sim_time sim_now(const struct sim *s)
{
    return s->now;
}

void sim_init(struct sim *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
    frame_pool_init(&s->frames);
    trace_bus_init(&s->bus);
}

void sim_destroy(struct sim *s)
{
    /* Detach anything still queued; owners free their own objects. */
    for (uint32_t i = 0; i < s->heap_len; i++)
        s->heap[i].t->heap_idx = SIM_TIMER_IDLE;
    free(s->heap);
    struct sim_oneshot_block *b = s->oneshot_blocks;
    while (b) {
        struct sim_oneshot_block *next = b->next;
        free(b);
        b = next;
    }
    frame_pool_destroy(&s->frames);
    trace_bus_destroy(&s->bus);
    memset(s, 0, sizeof *s);
}

void sim_stop(struct sim *s)
{
    s->stop_requested = true;
}

void sim_fail(struct sim *s, const char *msg)
{
    if (!s->resource_error)
        snprintf(s->error, sizeof s->error, "%s", msg);
    s->resource_error = true;
    s->stop_requested = true;
}

bool sim_step(struct sim *s, sim_time until)
{
    if (s->heap_len == 0 || s->heap[0].when > until)
        return false;
    struct sim_heap_ent top = s->heap[0];
    assert(top.when >= s->now); /* time never goes backwards */
    heap_remove_at(s, 0);
    s->now = top.when;
    s->events_executed++;
    top.t->fn(top.t->ctx, top.when);
    return true;
}

enum sim_status sim_run(struct sim *s, sim_time until)
{
    s->stop_requested = false;
    while (!s->stop_requested) {
        if (s->event_limit && s->events_executed >= s->event_limit)
            return SIM_EVENT_LIMIT;
        if (!sim_step(s, until))
            break;
    }
    if (s->resource_error)
        return SIM_RESOURCE;
    if (s->stop_requested)
        return SIM_STOPPED;
    if (until != SIM_TIME_NEVER && s->now < until)
        s->now = until;
    return SIM_DONE;
}
