/* Event core: a hierarchical timing wheel keyed on the integer deadline.
 *
 * Level L has WHEEL_SLOTS slots, each WHEEL_BITS bits of the deadline wide: an
 * entry sits at the level of the highest digit in which its deadline differs from
 * the wheel position `cur`, in the slot named by that digit.  Level 0 slots thus
 * hold one exact instant each.  When the lowest occupied level is above 0, the
 * position moves to the start of its first slot and that slot is spread over the
 * (then empty) lower levels; this keeps every entry at the level its deadline
 * calls for, so every entry due at an instant ends up in that instant's slot.
 *
 * With few timers, most slots hold one entry.  When the first slot of the lowest
 * occupied level holds a single live entry, that entry is the earliest of all and
 * alone at its instant, so it runs straight from there without a cascade, and the
 * position moves to its deadline (which leaves every other entry at its level and
 * slot).  In a world with a hundred timers in flight this is nearly every event.
 *
 * Slots are FIFOs, and the order within a slot is the arming order: a slot only
 * receives a cascade while its level is empty, and arms after that carry later
 * sequence numbers.  Events due at one instant therefore run in arming order
 * (SPEC section 2) with no sequence number stored anywhere.
 *
 * Entries live in 512-byte chunks from a pool; a timer points at its entry, and
 * the entry's slot follows from the timer's deadline, so cancelling is O(1): the
 * entry is marked dead in place.  Dead entries go when their slot empties, or
 * all together once they outnumber the live ones by DEAD_SLACK.
 *
 * A cascade must tell each moved timer where its entry went, and with many timers
 * that write is a cache miss per entry.  Entries moved into level 0 skip it: their
 * old place, in a chunk kept aside, forwards to the new one.  Level 0 empties
 * before the next cascade (a cascade needs every lower level empty), and by then
 * each of those timers has fired or been cancelled or re-armed, so no timer points
 * into the kept chunks any more and the cascade frees them.
 *
 * With many timers, a level-1 slot holds thousands of entries and level-0 slots
 * one or two each, so the per-slot work (a chunk, a bitmap bit, a slot header)
 * would come once per event.  A level-1 slot with at least RUN_MIN live entries
 * therefore cascades into the run instead: one array, sorted by deadline with a
 * stable counting sort on the level-0 digit (so arming order holds within an
 * instant), forwarded to from the kept chunks like level 0.  The run counts as
 * part of level 0: no cascade happens while it holds live entries.  Everything
 * armed into level 0 while the run lasts was armed after all the run's entries,
 * so at one instant the run goes first.  Dispatch walks the array front to back,
 * which lets it fetch the timers a few events ahead. */
#include "sim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WHEEL_BITS
#define WHEEL_BITS 12
#endif
#define WHEEL_SLOTS  (1u << WHEEL_BITS)
#define WHEEL_LEVELS ((63 + WHEEL_BITS - 1) / WHEEL_BITS) /* deadlines are < 2^63 */
#define WHEEL_WORDS  (WHEEL_SLOTS / 64)

#define CHUNK_BYTES      512
#define CHUNK_ENTS       ((CHUNK_BYTES - 16) / sizeof(struct sim_qent))
#define CHUNKS_PER_BLOCK 64
#define DEAD_SLACK       1024
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 4
#endif
#ifndef RUN_MIN
#define RUN_MIN 256 /* below this, sorting costs more than the slots it spares */
#endif
#ifndef RUN_PREFETCH
#define RUN_PREFETCH 8
#endif
#define RUN_ID (UINT32_MAX - 1) /* run_or_slot_due's answer when the run goes next */

/* Rare work kept out of the hot paths, so that they need few registers. */
#define COLD __attribute__((noinline, cold))

struct sim_qent {
    uint64_t when;
    union {
        struct sim_timer *t; /* in a slot: the timer; NULL once cancelled */
        uintptr_t moved;     /* in a kept chunk: the new place, tagged with 1 */
    };
};

struct sim_qchunk {
    struct sim_qchunk *next;
    uint64_t unused; /* keeps the entries on 16-byte boundaries */
    struct sim_qent e[CHUNK_ENTS];
};

static_assert(sizeof(struct sim_qchunk) == CHUNK_BYTES, "entries fill a chunk exactly");
static_assert(sizeof(struct sim_timer) <= 32, "a timer is embedded in every connection");
static_assert(WHEEL_BITS >= 6 && WHEEL_BITS <= 12, "a level's bitmap is 1 to 64 words");

/* A FIFO of entries; `held` counts the live and dead ones from head_pos on. */
struct sim_qslot {
    struct sim_qchunk *head, *tail;
    uint32_t head_pos, tail_len;
    uint32_t live, held;
};

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

/* ---- chunk pool ---- */

/* The entry a timer's link leads to, through a forwarding entry if it has one. */
static struct sim_qent *ent_resolve(struct sim_qent *e)
{
    if (e->moved & 1)
        e = (struct sim_qent *)(e->moved & ~(uintptr_t)1);
    return e;
}

/* Points whatever links to the entry that moved from `from` at `to`. */
static void relink(const struct sim_qent *from, struct sim_qent *to)
{
    struct sim_timer *t = to->t;
    if (t->ent == from)
        t->ent = to;
    else
        t->ent->moved = (uintptr_t)to | 1; /* the forwarding entry */
}

static COLD bool pool_grow(struct sim_queue *q)
{
    if (q->nblocks == q->blocks_cap) {
        uint32_t cap = q->blocks_cap ? q->blocks_cap * 2 : 16;
        void **b = realloc(q->blocks, cap * sizeof *b);
        if (!b)
            return false;
        q->blocks = b;
        q->blocks_cap = cap;
    }
    struct sim_qchunk *c = aligned_alloc(CHUNK_BYTES, CHUNKS_PER_BLOCK * sizeof *c);
    if (!c)
        return false;
    q->blocks[q->nblocks++] = c;
    for (int i = CHUNKS_PER_BLOCK - 1; i >= 0; i--) {
        c[i].next = q->free_chunks;
        q->free_chunks = &c[i];
    }
    q->nfree += CHUNKS_PER_BLOCK;
    return true;
}

/* Makes sure `n` chunks can be taken without failing. */
static bool pool_reserve(struct sim_queue *q, uint32_t n)
{
    while (q->nfree < n)
        if (!pool_grow(q))
            return false;
    return true;
}

static struct sim_qchunk *chunk_take(struct sim_queue *q)
{
    assert(q->nfree > 0);
    struct sim_qchunk *c = q->free_chunks;
    q->free_chunks = c->next;
    q->nfree--;
    __builtin_prefetch(q->free_chunks, 1); /* its link is read on the next take */
    return c;
}

static void chunk_give(struct sim_queue *q, struct sim_qchunk *c)
{
    c->next = q->free_chunks;
    q->free_chunks = c;
    q->nfree++;
}

/* ---- slots ---- */

/* Slot bitmaps: per level WHEEL_WORDS words, then per level a summary word whose
 * bit i says word i is non-zero. */
static uint64_t *summary_of(struct sim_queue *q, unsigned level)
{
    return &q->bits[WHEEL_LEVELS * WHEEL_WORDS + level];
}

static void bit_set(struct sim_queue *q, uint32_t id)
{
    unsigned level = id / WHEEL_SLOTS, word = id / 64;
    uint64_t was = q->bits[word];
    q->bits[word] = was | (uint64_t)1 << (id % 64);
    if (was) /* the summary and the level mask say so already */
        return;
    *summary_of(q, level) |= (uint64_t)1 << (word % WHEEL_WORDS);
    q->level_mask |= 1u << level;
}

static void bit_clear(struct sim_queue *q, uint32_t id)
{
    unsigned level = id / WHEEL_SLOTS, word = id / 64;
    if ((q->bits[word] &= ~((uint64_t)1 << (id % 64))))
        return;
    uint64_t *sum = summary_of(q, level);
    if ((*sum &= ~((uint64_t)1 << (word % WHEEL_WORDS))))
        return;
    q->level_mask &= ~(1u << level);
}

/* The first slot holding live entries at `level` (which has some). */
static uint32_t first_slot(struct sim_queue *q, unsigned level)
{
    unsigned w = (unsigned)__builtin_ctzll(*summary_of(q, level));
    uint64_t bits = q->bits[level * WHEEL_WORDS + w];
    return level * WHEEL_SLOTS + w * 64 + (uint32_t)__builtin_ctzll(bits);
}

static unsigned level_of(uint64_t when, uint64_t cur)
{
    uint64_t x = when ^ cur;
    if (x < WHEEL_SLOTS)
        return 0;
    return (unsigned)(63 - __builtin_clzll(x)) / WHEEL_BITS;
}

static uint32_t slot_for(uint64_t when, uint64_t cur)
{
    unsigned level = level_of(when, cur);
    uint32_t digit = (uint32_t)(when >> (level * WHEEL_BITS)) & (WHEEL_SLOTS - 1);
    return level * WHEEL_SLOTS + digit;
}

/* The first instant a slot at the given level and index covers, seen from `cur`. */
static uint64_t slot_start(uint64_t cur, uint32_t id)
{
    unsigned level = id / WHEEL_SLOTS, shift = level * WHEEL_BITS;
    uint64_t above =
        shift + WHEEL_BITS >= 64 ? 0 : cur >> (shift + WHEEL_BITS) << (shift + WHEEL_BITS);
    return above | (uint64_t)(id % WHEEL_SLOTS) << shift;
}

/* Appends an entry; a chunk must have been reserved. */
static struct sim_qent *slot_append(struct sim_queue *q, uint32_t id, uint64_t when,
                                    struct sim_timer *t)
{
    struct sim_qslot *sl = &q->slots[id];
    if (!sl->tail || sl->tail_len == CHUNK_ENTS) {
        struct sim_qchunk *c = chunk_take(q);
        c->next = NULL;
        if (sl->tail)
            sl->tail->next = c;
        else {
            sl->head = c;
            sl->head_pos = 0;
        }
        sl->tail = c;
        sl->tail_len = 0;
    }
    struct sim_qent *e = &sl->tail->e[sl->tail_len++];
    e->when = when;
    e->t = t;
    sl->held++;
    if (sl->live++ == 0)
        bit_set(q, id);
    q->live++;
    return e;
}

/* Returns all of a slot's chunks to the pool; its entries are dead or moved. */
static void slot_release(struct sim_queue *q, uint32_t id)
{
    struct sim_qslot *sl = &q->slots[id];
    if (sl->head == sl->tail) /* the usual case: a chunk holds up to CHUNK_ENTS */
        chunk_give(q, sl->head);
    else
        for (struct sim_qchunk *c = sl->head, *next; c; c = next) {
            next = c->next;
            chunk_give(q, c);
        }
    *sl = (struct sim_qslot){0};
    bit_clear(q, id);
}

/* Entries [from, end) of chunk c in slot sl. */
static uint32_t chunk_end(const struct sim_qslot *sl, const struct sim_qchunk *c)
{
    return c == sl->tail ? sl->tail_len : (uint32_t)CHUNK_ENTS;
}

/* ---- the run ---- */

/* Whether an entry lies in the run (compared as addresses: it may lie elsewhere). */
static bool in_run(const struct sim_queue *q, const struct sim_qent *e)
{
    uintptr_t a = (uintptr_t)e, lo = (uintptr_t)q->run;
    return a >= lo && a < lo + (uintptr_t)q->run_len * sizeof *e;
}

/* Empties the run once no live entry is left in it. */
static COLD void run_clear(struct sim_queue *q)
{
    q->dead -= q->run_len - q->run_pos;
    q->run_pos = q->run_len = 0;
}

/* Makes room for n entries in the (empty) run; false if memory is short, and the
 * cascade then goes through the level-0 slots instead. */
static bool run_reserve(struct sim_queue *q, uint32_t n)
{
    if (n <= q->run_cap)
        return true;
    uint32_t cap = n > q->run_cap * 2 ? n : q->run_cap * 2;
    size_t bytes = (size_t)cap * sizeof *q->run + WHEEL_SLOTS * sizeof *q->run_count;
    struct sim_qent *run = malloc(bytes);
    if (!run)
        return false;
    free(q->run);
    q->run = run;
    q->run_count = (uint32_t *)(run + cap);
    q->run_cap = cap;
    return true;
}

/* Squeezes the dead entries out of a slot, keeping the order of the live ones. */
static void slot_compact(struct sim_queue *q, uint32_t id)
{
    struct sim_qslot *sl = &q->slots[id];
    struct sim_qchunk *wc = sl->head;
    /* Only an occupied slot holds dead entries (the last live one leaving
     * releases it), and an occupied slot has a chunk. */
    assert(wc != NULL);
    uint32_t wp = sl->head_pos;
    for (struct sim_qchunk *c = sl->head; c; c = c->next) {
        uint32_t end = chunk_end(sl, c);
        for (uint32_t i = c == sl->head ? sl->head_pos : 0; i < end; i++) {
            if (i + PREFETCH_AHEAD < end)
                __builtin_prefetch(c->e[i + PREFETCH_AHEAD].t, 1);
            struct sim_qent e = c->e[i];
            if (!e.t)
                continue;
            if (wp == CHUNK_ENTS) {
                /* The writer never passes the reader, which is further on. */
                wc = wc->next;
                assert(wc != NULL);
                wp = 0;
            }
            if (&wc->e[wp] != &c->e[i]) {
                wc->e[wp] = e;
                relink(&c->e[i], &wc->e[wp]);
            }
            wp++;
        }
    }
    for (struct sim_qchunk *c = wc->next, *next; c; c = next) {
        next = c->next;
        chunk_give(q, c);
    }
    wc->next = NULL;
    sl->tail = wc;
    sl->tail_len = wp;
    q->dead -= sl->held - sl->live;
    sl->held = sl->live;
}

/* Squeezes the dead entries out of the run, keeping the order of the live ones. */
static void run_compact(struct sim_queue *q)
{
    uint32_t w = q->run_pos;
    for (uint32_t i = q->run_pos; i < q->run_len; i++) {
        if (i + PREFETCH_AHEAD < q->run_len)
            __builtin_prefetch(q->run[i + PREFETCH_AHEAD].t, 1);
        if (!q->run[i].t)
            continue;
        if (w != i) {
            q->run[w] = q->run[i];
            relink(&q->run[i], &q->run[w]);
        }
        w++;
    }
    q->dead -= q->run_len - q->run_pos - q->run_live;
    q->run_len = w;
}

static COLD void queue_compact(struct sim_queue *q)
{
    if (q->run_len - q->run_pos > q->run_live)
        run_compact(q);
    for (uint32_t w = 0; w < WHEEL_LEVELS * WHEEL_WORDS; w++)
        for (uint64_t bits = q->bits[w]; bits; bits &= bits - 1) {
            uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(bits);
            if (q->slots[id].held > q->slots[id].live)
                slot_compact(q, id);
        }
}

/* Takes a live entry out of the queue: it dies in place.  Its slot is the one its
 * deadline calls for (the wheel keeps every entry there), which spares reading
 * the chunk header: with many timers, one cache miss less per cancel. */
static void entry_kill(struct sim_queue *q, struct sim_qent *e, uint32_t id)
{
    e->t = NULL;
    q->live--;
    q->dead++;
    if (in_run(q, e)) {
        if (--q->run_live == 0)
            run_clear(q);
        else if (q->dead > q->live + DEAD_SLACK)
            queue_compact(q);
        return;
    }
    struct sim_qslot *sl = &q->slots[id];
    if (--sl->live == 0) {
        q->dead -= sl->held;
        slot_release(q, id);
    } else if (q->dead > q->live + DEAD_SLACK) {
        queue_compact(q);
    }
}

/* Keeps the chain of n chunks from head to tail for forwarding. */
static void kept_add(struct sim_queue *q, struct sim_qchunk *head, struct sim_qchunk *tail,
                     uint32_t n)
{
    if (!q->kept)
        q->kept_tail = tail;
    tail->next = q->kept;
    q->kept = head;
    q->nkept += n;
}

/* Frees the chunks kept for forwarding; level 0 must be empty.  The chain goes
 * to the pool whole: walking it would be a cache miss per chunk. */
static void kept_release(struct sim_queue *q)
{
    if (!q->kept)
        return;
    q->kept_tail->next = q->free_chunks;
    q->free_chunks = q->kept;
    q->nfree += q->nkept;
    q->kept = q->kept_tail = NULL;
    q->nkept = 0;
}

/* Moves the live entries of one chunk of a cascading slot to the lower levels;
 * returns whether any went to level 0 and left a forwarding entry behind. */
static bool cascade_chunk(struct sim_queue *q, struct sim_qchunk *c, uint32_t from, uint32_t end)
{
    bool forwarded = false;
    for (uint32_t i = from; i < end; i++) {
        if (i + PREFETCH_AHEAD < end)
            __builtin_prefetch(c->e[i + PREFETCH_AHEAD].t, 1);
        struct sim_qent *e = &c->e[i];
        if (!e->t)
            continue;
        uint32_t id = slot_for(e->when, q->cur);
        struct sim_qent *to = slot_append(q, id, e->when, e->t);
        if (id < WHEEL_SLOTS) {
            e->moved = (uintptr_t)to | 1;
            forwarded = true;
        } else {
            to->t->ent = to;
        }
    }
    return forwarded;
}

/* Cascades walk a slot's chunks, each a cache miss with many timers: fetch the
 * next one while the current one is worked on. */
static void chunk_prefetch(const struct sim_qchunk *c)
{
    if (c)
        for (unsigned b = 0; b < CHUNK_BYTES; b += 64)
            __builtin_prefetch((const char *)c + b);
}

/* Counts a chunk's live entries per level-0 digit. */
static void run_count_chunk(uint32_t *count, const struct sim_qchunk *c, uint32_t from,
                            uint32_t end)
{
    for (uint32_t i = from; i < end; i++)
        if (c->e[i].t)
            count[c->e[i].when & (WHEEL_SLOTS - 1)]++;
}

/* Moves a chunk's live entries to their sorted places in the run, leaving
 * forwarding entries behind; `next` holds each digit's next free place. */
static void run_fill_chunk(struct sim_queue *q, struct sim_qchunk *c, uint32_t from, uint32_t end)
{
    for (uint32_t i = from; i < end; i++) {
        struct sim_qent *e = &c->e[i];
        if (!e->t)
            continue;
        struct sim_qent *to = &q->run[q->run_count[e->when & (WHEEL_SLOTS - 1)]++];
        *to = *e;
        e->moved = (uintptr_t)to | 1;
    }
}

/* Cascades a level-1 slot (all of whose entries fall in level 0) into the empty
 * run, whose room has been reserved. */
static void cascade_to_run(struct sim_queue *q, const struct sim_qslot *src)
{
    uint32_t *count = q->run_count;
    memset(count, 0, WHEEL_SLOTS * sizeof *count);
    for (const struct sim_qchunk *c = src->head; c; c = c->next) {
        chunk_prefetch(c->next);
        run_count_chunk(count, c, c == src->head ? src->head_pos : 0, chunk_end(src, c));
    }
    uint32_t sum = 0;
    for (uint32_t d = 0; d < WHEEL_SLOTS; d++) {
        uint32_t n = count[d];
        count[d] = sum;
        sum += n;
    }
    uint32_t chunks = 0;
    for (struct sim_qchunk *c = src->head; c; c = c->next, chunks++)
        run_fill_chunk(q, c, c == src->head ? src->head_pos : 0, chunk_end(src, c));
    kept_add(q, src->head, src->tail, chunks); /* chunks of dead entries only, too: rare */
    q->run_pos = 0;
    q->run_len = q->run_live = sum;
    q->live += sum;
    for (uint32_t i = 0; i < RUN_PREFETCH && i < sum; i++)
        __builtin_prefetch(q->run[i].t, 1);
}

/* Spreads a slot over the lower levels after moving the wheel to its start. */
static void cascade(struct sim_queue *q, uint32_t id)
{
    struct sim_qslot src = q->slots[id];
    q->cur = slot_start(q->cur, id);
    q->live -= src.live;
    q->dead -= src.held - src.live;
    q->slots[id] = (struct sim_qslot){0};
    bit_clear(q, id);
    if (id / WHEEL_SLOTS == 1 && src.live >= RUN_MIN && run_reserve(q, src.live)) {
        cascade_to_run(q, &src);
        return;
    }
    for (struct sim_qchunk *c = src.head, *next; c; c = next) {
        next = c->next;
        chunk_prefetch(next);
        if (cascade_chunk(q, c, c == src.head ? src.head_pos : 0, chunk_end(&src, c))) {
            kept_add(q, c, c, 1);
        } else {
            chunk_give(q, c);
        }
    }
}

/* Chunks a cascade may need: those the moved entries fill, and a first chunk for
 * each slot of the (empty) levels below, but never more than one per entry. */
static uint32_t cascade_reserve(const struct sim_queue *q, uint32_t id)
{
    uint32_t below = id / WHEEL_SLOTS * WHEEL_SLOTS;
    uint32_t live = q->slots[id].live;
    uint32_t most = live / (uint32_t)CHUNK_ENTS + below + 1;
    return live < most ? live : most;
}

static uint64_t slot_earliest(const struct sim_qslot *sl)
{
    uint64_t best = UINT64_MAX;
    for (struct sim_qchunk *c = sl->head; c; c = c->next) {
        uint32_t end = chunk_end(sl, c);
        for (uint32_t i = c == sl->head ? sl->head_pos : 0; i < end; i++)
            if (c->e[i].t && c->e[i].when < best)
                best = c->e[i].when;
    }
    return best;
}

/* While the run has live entries: RUN_ID if the run goes next, a level-0 slot's id
 * if that slot does, UINT32_MAX if neither is due by `until`.  Nothing at the
 * higher levels can come first: the run lies within level 0's span. */
static uint32_t run_or_slot_due(struct sim_queue *q, uint64_t until)
{
    while (!q->run[q->run_pos].t) { /* cancelled entries at the front */
        q->run_pos++;
        q->dead--;
    }
    uint64_t when = q->run[q->run_pos].when;
    if (q->level_mask & 1) {
        uint32_t id = first_slot(q, 0);
        uint64_t start = slot_start(q->cur, id);
        if (start < when) /* at the same instant the run's entries were armed first */
            return start > until ? UINT32_MAX : id;
    }
    return when > until ? UINT32_MAX : RUN_ID;
}

/* Takes the first live entry of a level-0 slot out of the queue. */
static struct sim_qent slot_pop(struct sim_queue *q, uint32_t id)
{
    struct sim_qslot *sl = &q->slots[id];
    struct sim_qent e;
    for (;;) {
        if (sl->head_pos == CHUNK_ENTS) {
            struct sim_qchunk *done = sl->head;
            sl->head = done->next;
            sl->head_pos = 0;
            chunk_give(q, done);
        }
        e = sl->head->e[sl->head_pos++];
        sl->held--;
        if (e.t)
            break;
        q->dead--;
    }
    q->live--;
    if (--sl->live == 0) {
        q->dead -= sl->held;
        slot_release(q, id);
    } else {
        /* Timers are spread all over memory: fetch the one due a few turns on. */
        uint32_t ahead = sl->head_pos + PREFETCH_AHEAD;
        if (ahead < chunk_end(sl, sl->head))
            __builtin_prefetch(sl->head->e[ahead].t, 1);
    }
    e.t->ent = NULL;
    return e;
}

/* Takes the first live entry of the run out of the queue (run_or_slot_due has
 * skipped the cancelled ones in front of it). */
static struct sim_qent run_pop(struct sim_queue *q)
{
    struct sim_qent e = q->run[q->run_pos++];
    q->live--;
    if (--q->run_live == 0) {
        run_clear(q);
    } else {
        uint32_t ahead = q->run_pos + RUN_PREFETCH - 1;
        if (ahead < q->run_len)
            __builtin_prefetch(q->run[ahead].t, 1);
    }
    e.t->ent = NULL;
    return e;
}

/* The first live entry of an occupied slot. */
static const struct sim_qent *slot_first_live(const struct sim_qslot *sl)
{
    const struct sim_qchunk *c = sl->head;
    uint32_t i = sl->head_pos;
    for (;;) {
        if (i == CHUNK_ENTS) {
            c = c->next;
            i = 0;
        }
        if (c->e[i].t)
            return &c->e[i];
        i++;
    }
}

/* The first slot of the lowest occupied level, above 0, holds one live entry: the
 * earliest of all, and alone at its instant (an instant's entries share a slot).
 * With few timers this is the common case, and the entry is taken straight from
 * there instead of cascading it to level 0 first.  The wheel moves to its
 * deadline, where every other entry keeps its level and slot. */
static bool lone_pop(struct sim_queue *q, uint32_t id, uint64_t until, struct sim_qent *out)
{
    struct sim_qslot *sl = &q->slots[id];
    const struct sim_qent *e = slot_first_live(sl);
    if (e->when > until)
        return false;
    *out = *e;
    q->cur = e->when;
    q->live--;
    q->dead -= sl->held - 1;
    slot_release(q, id);
    out->t->ent = NULL;
    return true;
}

/* The first slot of the lowest occupied level, `id`, lies above level 0 and
 * holds several entries: spreads it over the lower levels.  Returns false when
 * nothing is due by `until` (or memory ran out); see queue_pop_due for keep_clock. */
static COLD bool cascade_next(struct sim *s, uint32_t id, uint64_t until, bool *keep_clock)
{
    struct sim_queue *q = &s->q;
    uint64_t start = slot_start(q->cur, id);
    if (start > until)
        return false;
    if (*keep_clock && start > (uint64_t)s->now && until < (uint64_t)SIM_TIME_NEVER) {
        if (slot_earliest(&q->slots[id]) > until)
            return false;
        *keep_clock = false; /* an event will run, and the clock will pass start */
    }
    kept_release(q);
    if (!pool_reserve(q, cascade_reserve(q, id))) {
        sim_fail(s, "out of memory growing the event queue");
        return false;
    }
    cascade(q, id);
    return true;
}

/* Takes the earliest live entry out of the queue into `out`, or returns false
 * when nothing is due by `until`.  With `keep_clock`, the wheel never moves past
 * the clock unless an event by `until` will run, so the caller may leave the
 * clock where it is. */
static bool queue_pop_due(struct sim *s, uint64_t until, bool keep_clock, struct sim_qent *out)
{
    struct sim_queue *q = &s->q;
    for (;;) {
        if (q->run_live) {
            uint32_t id = run_or_slot_due(q, until);
            if (id == UINT32_MAX)
                return false;
            *out = id == RUN_ID ? run_pop(q) : slot_pop(q, id);
            return true;
        }
        if (!q->level_mask)
            return false;
        uint32_t id = first_slot(q, (unsigned)__builtin_ctz(q->level_mask));
        if (id < WHEEL_SLOTS) {
            if (slot_start(q->cur, id) > until)
                return false;
            *out = slot_pop(q, id);
            return true;
        }
        if (q->slots[id].live == 1)
            return lone_pop(q, id, until, out);
        if (!cascade_next(s, id, until, &keep_clock))
            return false;
    }
}

static COLD bool queue_init(struct sim *s)
{
    struct sim_queue *q = &s->q;
    q->slots = calloc(WHEEL_LEVELS * WHEEL_SLOTS, sizeof *q->slots);
    q->bits = calloc(WHEEL_LEVELS * (WHEEL_WORDS + 1), sizeof *q->bits);
    if (q->slots && q->bits)
        return true;
    free(q->slots);
    free(q->bits);
    q->slots = NULL;
    q->bits = NULL;
    return false;
}

static void queue_destroy(struct sim_queue *q)
{
    if (q->slots)
        for (uint32_t w = 0; w < WHEEL_LEVELS * WHEEL_WORDS; w++)
            for (uint64_t bits = q->bits[w]; bits; bits &= bits - 1) {
                const struct sim_qslot *sl = &q->slots[w * 64 + __builtin_ctzll(bits)];
                for (struct sim_qchunk *c = sl->head; c; c = c->next) {
                    uint32_t end = chunk_end(sl, c);
                    for (uint32_t i = c == sl->head ? sl->head_pos : 0; i < end; i++)
                        if (c->e[i].t)
                            c->e[i].t->ent = NULL; /* owners free their own objects */
                }
            }
    for (uint32_t i = q->run_pos; i < q->run_len; i++)
        if (q->run[i].t)
            q->run[i].t->ent = NULL;
    free(q->run);
    for (uint32_t i = 0; i < q->nblocks; i++)
        free(q->blocks[i]);
    free(q->blocks);
    free(q->slots);
    free(q->bits);
}

size_t sim_queue_entries(const struct sim *s)
{
    return (size_t)s->q.live + s->q.dead;
}

/* Allocates the queue on first use and makes sure a chunk can be taken. */
static COLD bool queue_ready(struct sim *s)
{
    struct sim_queue *q = &s->q;
    if ((!q->slots && !queue_init(s)) || !pool_reserve(q, 1)) {
        sim_fail(s, "out of memory growing the event queue");
        return false;
    }
    return true;
}

/* Takes an armed timer's entry out of the queue.  Kept out of line: the hot
 * path of arming, a timer not armed yet, then needs few registers. */
static __attribute__((noinline)) void timer_unlink(struct sim_queue *q, struct sim_timer *t)
{
    entry_kill(q, ent_resolve(t->ent), slot_for((uint64_t)t->when, q->cur));
}

void sim_timer_arm(struct sim *s, struct sim_timer *t, sim_time when)
{
    struct sim_queue *q = &s->q;
    if (when < s->now)
        when = s->now;
    /* An empty pool is also what a queue not yet allocated has. */
    if (!q->nfree && !queue_ready(s))
        return;
    if (t->ent)
        timer_unlink(q, t);
    t->when = when;
    t->ent = slot_append(q, slot_for((uint64_t)when, q->cur), (uint64_t)when, t);
}

void sim_timer_cancel(struct sim *s, struct sim_timer *t)
{
    if (!t->ent)
        return;
    timer_unlink(&s->q, t);
    t->ent = NULL;
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
    queue_destroy(&s->q);
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

/* Runs the next event if it is due by `until`; see queue_pop_due for keep_clock. */
static bool step(struct sim *s, sim_time until, bool keep_clock)
{
    if (s->q.live == 0 || until < s->now)
        return false;
    struct sim_qent e;
    if (!queue_pop_due(s, (uint64_t)until, keep_clock, &e))
        return false;
    assert((sim_time)e.when >= s->now); /* time never goes backwards */
    s->now = (sim_time)e.when;
    s->events_executed++;
    e.t->fn(e.t->ctx, s->now);
    return true;
}

bool sim_step(struct sim *s, sim_time until)
{
    return step(s, until, true);
}

enum sim_status sim_run(struct sim *s, sim_time until)
{
    s->stop_requested = false;
    while (!s->stop_requested) {
        if (s->event_limit && s->events_executed >= s->event_limit)
            return SIM_EVENT_LIMIT;
        /* The wheel may move up to `until`: the clock goes there when this ends. */
        if (!step(s, until, false))
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
