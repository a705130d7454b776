/* The event core, the random streams and the frame pool. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/rng.h"
#include "sim/sim.h"

/* ---- event core ---- */

struct log {
    int order[64];
    sim_time at[64];
    int n;
};

struct tagged {
    struct sim_timer timer;
    struct log *log;
    int tag;
};

static void note(void *ctx, sim_time now)
{
    struct tagged *t = ctx;
    t->log->order[t->log->n] = t->tag;
    t->log->at[t->log->n] = now;
    t->log->n++;
}

static void tagged_init(struct tagged *t, struct log *log, int tag)
{
    t->log = log;
    t->tag = tag;
    sim_timer_init(&t->timer, note, t);
}

Test(sim_core, runs_events_in_time_order)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[3];
    sim_time when[3] = {30, 10, 20};
    for (int i = 0; i < 3; i++) {
        tagged_init(&t[i], &log, i);
        sim_timer_arm(&s, &t[i].timer, when[i]);
    }
    cr_assert_eq(sim_run(&s, SIM_TIME_NEVER), SIM_DONE);
    cr_assert_eq(log.n, 3);
    cr_assert_eq(log.order[0], 1);
    cr_assert_eq(log.order[1], 2);
    cr_assert_eq(log.order[2], 0);
    cr_assert_eq(log.at[2], 30);
    sim_destroy(&s);
}

Test(sim_core, same_instant_runs_in_arming_order)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[8];
    int arm_order[8] = {5, 2, 7, 0, 3, 6, 1, 4};
    for (int i = 0; i < 8; i++)
        tagged_init(&t[i], &log, i);
    for (int i = 0; i < 8; i++)
        sim_timer_arm(&s, &t[arm_order[i]].timer, 100);
    sim_run(&s, SIM_TIME_NEVER);
    cr_assert_eq(log.n, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(log.order[i], arm_order[i]);
    sim_destroy(&s);
}

Test(sim_core, rearming_moves_the_deadline)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &log, 0);
    tagged_init(&b, &log, 1);
    sim_timer_arm(&s, &a.timer, 10);
    sim_timer_arm(&s, &b.timer, 20);
    sim_timer_arm(&s, &a.timer, 30); /* later */
    cr_assert_eq(sim_pending(&s), 2);
    sim_run(&s, SIM_TIME_NEVER);
    cr_assert_eq(log.n, 2);
    cr_assert_eq(log.order[0], 1);
    cr_assert_eq(log.order[1], 0);
    cr_assert_eq(log.at[1], 30);
    sim_destroy(&s);
}

Test(sim_core, rearming_to_the_same_instant_goes_last)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &log, 0);
    tagged_init(&b, &log, 1);
    sim_timer_arm(&s, &a.timer, 10);
    sim_timer_arm(&s, &b.timer, 10);
    sim_timer_arm(&s, &a.timer, 10);
    sim_run(&s, SIM_TIME_NEVER);
    cr_assert_eq(log.order[0], 1);
    cr_assert_eq(log.order[1], 0);
    sim_destroy(&s);
}

Test(sim_core, cancel_removes_at_once)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &log, 0);
    tagged_init(&b, &log, 1);
    sim_timer_arm(&s, &a.timer, 10);
    sim_timer_arm(&s, &b.timer, 20);
    sim_timer_cancel(&s, &a.timer);
    cr_assert_not(sim_timer_armed(&a.timer));
    cr_assert_eq(sim_pending(&s), 1);
    sim_run(&s, SIM_TIME_NEVER);
    cr_assert_eq(log.n, 1);
    cr_assert_eq(log.order[0], 1);
    sim_destroy(&s);
}

Test(sim_core, run_until_stops_the_clock_there)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a;
    tagged_init(&a, &log, 0);
    sim_timer_arm(&s, &a.timer, 50);
    cr_assert_eq(sim_run(&s, 40), SIM_DONE);
    cr_assert_eq(log.n, 0);
    cr_assert_eq(sim_now(&s), 40);
    sim_run(&s, 60);
    cr_assert_eq(log.n, 1);
    cr_assert_eq(sim_now(&s), 60);
    sim_destroy(&s);
}

static void note_plain(void *ctx, sim_time now)
{
    struct log *log = ctx;
    log->at[log->n++] = now;
}

Test(sim_core, oneshots_fire_once_and_are_reused)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++)
            cr_assert(sim_schedule(&s, sim_now(&s) + 5 + i, note_plain, &log));
        sim_run(&s, SIM_TIME_NEVER);
    }
    cr_assert_eq(log.n, 30);
    cr_assert_eq(log.at[0], 5);
    cr_assert_eq(log.at[29], 14 + 14 + 14);
    cr_assert_eq(sim_pending(&s), 0);
    sim_destroy(&s);
}

struct chain {
    struct sim *s;
    int left;
    struct log *log;
};

static void chain_step(void *ctx, sim_time now)
{
    struct chain *c = ctx;
    c->log->at[c->log->n++] = now;
    if (--c->left > 0)
        sim_schedule(c->s, now + 7, chain_step, c);
}

Test(sim_core, two_simulations_side_by_side)
{
    struct sim a, b;
    sim_init(&a, 1);
    sim_init(&b, 2);
    struct log la = {0}, lb = {0};
    struct chain ca = {&a, 4, &la}, cb = {&b, 2, &lb};
    sim_schedule(&a, 3, chain_step, &ca);
    sim_schedule(&b, 100, chain_step, &cb);
    sim_run(&a, SIM_TIME_NEVER);
    cr_assert_eq(la.n, 4);
    cr_assert_eq(lb.n, 0, "running one simulation must not run the other");
    cr_assert_eq(sim_now(&a), 3 + 3 * 7);
    sim_run(&b, SIM_TIME_NEVER);
    cr_assert_eq(lb.n, 2);
    cr_assert_eq(lb.at[1], 107);
    cr_assert_eq(a.events_executed, 4);
    cr_assert_eq(b.events_executed, 2);
    sim_destroy(&a);
    sim_destroy(&b);
}

struct forever {
    struct sim *s;
    struct sim_timer timer;
};

static void forever_fire(void *ctx, sim_time now)
{
    struct forever *f = ctx;
    sim_timer_arm(f->s, &f->timer, now + 1);
}

Test(sim_core, event_limit_stops_a_runaway_world)
{
    struct sim s;
    sim_init(&s, 1);
    s.event_limit = 1000;
    struct forever f = {.s = &s};
    sim_timer_init(&f.timer, forever_fire, &f);
    sim_timer_arm(&s, &f.timer, 0);
    cr_assert_eq(sim_run(&s, SIM_TIME_NEVER), SIM_EVENT_LIMIT);
    cr_assert_eq(s.events_executed, 1000);
    sim_timer_cancel(&s, &f.timer);
    sim_destroy(&s);
}

static void stopper(void *ctx, sim_time now)
{
    (void)now;
    sim_stop(ctx);
}

Test(sim_core, stop_ends_the_run)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    sim_schedule(&s, 5, stopper, &s);
    sim_schedule(&s, 6, note_plain, &log);
    cr_assert_eq(sim_run(&s, SIM_TIME_NEVER), SIM_STOPPED);
    cr_assert_eq(log.n, 0);
    cr_assert_eq(sim_now(&s), 5);
    sim_destroy(&s);
}

/* ---- random streams ---- */

/* The reference xoshiro256** from state {1, 2, 3, 4} (its authors' vector). */
Test(rng, xoshiro256starstar_known_vector)
{
    struct rng r = {.s = {1, 2, 3, 4}};
    const uint64_t want[] = {
        11520u, 0u, 1509978240u, 1215971899390074240u, 1216172134540287360u, 607988272756665600u};
    for (unsigned i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect_eq(rng_next(&r), want[i], "output %u", i);
}

/* Seeding goes through splitmix64: from 0 its first outputs are the
 * published 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ... */
Test(rng, seed_raw_uses_splitmix64)
{
    struct rng r;
    rng_seed_raw(&r, 0);
    cr_expect_eq(r.s[0], 0xe220a8397b1dcdafull);
    cr_expect_eq(r.s[1], 0x6e789e6aa1b965f4ull);
    cr_expect_eq(r.s[2], 0x06c45d188009454full);
    cr_expect_eq(r.s[3], 0xf88bb8a8724c81ecull);
}

Test(rng, same_seed_and_name_same_stream)
{
    struct rng a, b;
    rng_seed(&a, 42, "link:wire:a>b");
    rng_seed(&b, 42, "link:wire:a>b");
    for (int i = 0; i < 100; i++)
        cr_assert_eq(rng_next(&a), rng_next(&b));
}

static int equal_draws(struct rng *a, struct rng *b, int n)
{
    int same = 0;
    for (int i = 0; i < n; i++)
        same += rng_next(a) == rng_next(b);
    return same;
}

Test(rng, different_names_or_seeds_differ)
{
    struct rng a, b, c;
    rng_seed(&a, 42, "link:wire:a>b");
    rng_seed(&b, 42, "link:wire:b>a");
    rng_seed(&c, 43, "link:wire:a>b");
    cr_assert_eq(equal_draws(&a, &b, 100), 0);
    rng_seed(&a, 42, "link:wire:a>b");
    cr_assert_eq(equal_draws(&a, &c, 100), 0);
}

Test(rng, below_stays_in_bounds_and_covers_them)
{
    struct rng r;
    rng_seed(&r, 1, "t");
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t x = rng_below(&r, 7);
        cr_assert_lt(x, 7);
        seen[x]++;
    }
    for (int i = 0; i < 7; i++)
        cr_assert_gt(seen[i], 800);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(rng_below(&r, 1), 0);
}

Test(rng, range_is_inclusive)
{
    struct rng r;
    rng_seed(&r, 1, "t");
    bool lo = false, hi = false;
    for (int i = 0; i < 1000; i++) {
        int64_t x = rng_range(&r, -2, 2);
        cr_assert(x >= -2 && x <= 2);
        lo = lo || x == -2;
        hi = hi || x == 2;
    }
    cr_assert(lo && hi);
}

Test(rng, zero_probability_draws_nothing)
{
    struct rng a, b;
    rng_seed(&a, 9, "x");
    rng_seed(&b, 9, "x");
    for (int i = 0; i < 10; i++)
        cr_assert_not(rng_hit(&a, rng_prob_from(0.0)));
    cr_assert_eq(rng_next(&a), rng_next(&b), "the stream must not have advanced");
}

Test(rng, probability_thresholds)
{
    cr_assert_eq(rng_prob_from(0.0), 0);
    cr_assert_eq(rng_prob_from(1.0), RNG_PROB_ONE);
    cr_assert_eq(rng_prob_from(0.5), RNG_PROB_ONE / 2);
    struct rng r;
    rng_seed(&r, 3, "p");
    for (int i = 0; i < 100; i++)
        cr_assert(rng_hit(&r, RNG_PROB_ONE));
    int hits = 0;
    rng_prob q = rng_prob_from(0.25);
    for (int i = 0; i < 10000; i++)
        hits += rng_hit(&r, q);
    cr_assert(hits > 2300 && hits < 2700, "hits %d", hits);
}

/* ---- frame pool ---- */

Test(frame_pool, freed_frames_are_reused)
{
    struct frame_pool p;
    frame_pool_init(&p);
    struct frame *a = frame_alloc(&p, 1000);
    cr_assert_not_null(a);
    frame_free(&p, a);
    struct frame *b = frame_alloc(&p, 1500);
    cr_assert_eq(a, b, "a small frame must come back from the free list");
    cr_assert_eq(p.allocated, 1);
    cr_assert_eq(b->len, 1500);
    struct frame *big = frame_alloc(&p, 9000);
    cr_assert_not_null(big);
    cr_assert_geq(big->cap, 9000);
    cr_assert_eq(p.allocated, 2);
    cr_assert_eq(p.in_use, 2);
    frame_free(&p, b);
    frame_free(&p, big);
    cr_assert_eq(p.in_use, 0);
    cr_assert_eq(p.peak_in_use, 2);
    frame_pool_destroy(&p);
}

Test(frame_pool, an_ack_sized_frame_takes_a_tiny_buffer)
{
    struct frame_pool p;
    frame_pool_init(&p);
    struct frame *ack = frame_alloc(&p, 66);
    struct frame *edge = frame_alloc(&p, FRAME_TINY_CAP);
    struct frame *seg = frame_alloc(&p, FRAME_TINY_CAP + 1);
    cr_assert(ack && edge && seg);
    cr_expect_eq(ack->cap, FRAME_TINY_CAP);
    cr_expect_eq(edge->cap, FRAME_TINY_CAP);
    cr_expect_eq(seg->cap, FRAME_SMALL_CAP);
    frame_free(&p, ack);
    struct frame *again = frame_alloc(&p, 1400);
    cr_expect_neq(again, ack, "a tiny buffer never serves a larger frame");
    struct frame *ack2 = frame_alloc(&p, 54);
    cr_expect_eq(ack2, ack, "but comes back for the next small one");
    frame_free(&p, edge);
    frame_free(&p, seg);
    frame_free(&p, again);
    frame_free(&p, ack2);
    cr_expect_eq(p.in_use, 0);
    frame_pool_destroy(&p);
}

Test(frame_pool, clone_keeps_bytes_and_id)
{
    struct frame_pool p;
    frame_pool_init(&p);
    struct frame *a = frame_alloc(&p, 60);
    for (uint32_t i = 0; i < 60; i++)
        a->data[i] = (uint8_t)(i * 3);
    a->id = 77;
    struct frame *c = frame_clone(&p, a);
    cr_assert_not_null(c);
    cr_assert_neq(c, a);
    cr_assert_eq(c->id, 77);
    cr_assert_eq(c->len, 60);
    cr_assert_eq(memcmp(c->data, a->data, 60), 0);
    frame_free(&p, a);
    frame_free(&p, c);
    frame_pool_destroy(&p);
}

Test(frame_pool, limit_refuses_more_frames)
{
    struct frame_pool p;
    frame_pool_init(&p);
    p.limit = 2;
    struct frame *a = frame_alloc(&p, 10), *b = frame_alloc(&p, 10);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_null(frame_alloc(&p, 10));
    cr_assert_null(frame_clone(&p, a));
    frame_free(&p, a);
    struct frame *c = frame_alloc(&p, 10);
    cr_assert_not_null(c);
    cr_assert_null(frame_alloc(&p, FRAME_LARGE_CAP + 1));
    frame_free(&p, b);
    frame_free(&p, c);
    frame_pool_destroy(&p);
}

Test(frame_pool, queue_is_fifo_and_clear_frees)
{
    struct frame_pool p;
    frame_pool_init(&p);
    struct frame_queue q = {0};
    struct frame *f[3];
    for (int i = 0; i < 3; i++) {
        f[i] = frame_alloc(&p, 10);
        frame_queue_push(&q, f[i]);
    }
    cr_assert_eq(q.len, 3);
    cr_assert_eq(frame_queue_pop(&q), f[0]);
    frame_free(&p, f[0]);
    frame_queue_clear(&p, &q);
    cr_assert_eq(q.len, 0);
    cr_assert_null(q.head);
    cr_assert_eq(p.in_use, 0);
    frame_pool_destroy(&p);
}
