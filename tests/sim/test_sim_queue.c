/* The event queue against a reference model, and its corner cases: far-future
 * deadlines, same-instant ties, re-arming and cancelling from inside callbacks,
 * stepping and running up to a bound, and the bound on cancelled entries. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sim/sim.h"

/* ---- reference model ----
 * A plain array of deadlines with their arming sequence; the next event is found by
 * a linear scan for the smallest (when, seq).  Every operation is applied to the
 * model and to the real queue; each callback checks that it is the model's next. */

#define NT     96   /* timers in most models */
#define NT_MAX 1600 /* enough to crowd one level-1 slot into the run */

struct model;

struct rtimer {
    struct sim_timer timer;
    struct model *m;
    int id;
};

struct model {
    struct sim s;
    int nt;
    struct rtimer t[NT_MAX];
    bool armed[NT_MAX];
    sim_time when[NT_MAX];
    uint64_t seq[NT_MAX];
    uint64_t next_seq;
    uint64_t rng;
    uint64_t fired;
    sim_time last_fire;
};

static uint64_t rnd(struct model *m)
{
    uint64_t x = m->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    m->rng = x;
    return x;
}

static sim_time add_sat(sim_time a, sim_time b)
{
    return a > SIM_TIME_NEVER - b ? SIM_TIME_NEVER : a + b;
}

/* Deadlines that exercise every part of the queue: the current instant, a few
 * nanoseconds, instants shared by many timers, microseconds to minutes, the far
 * future, never, and the past. */
static sim_time random_deadline(struct model *m)
{
    sim_time now = sim_now(&m->s);
    uint64_t r = rnd(m), pick = r % 100, v = r >> 8;
    if (pick < 20)
        return now;
    if (pick < 35)
        return add_sat(now, (sim_time)(v % 8));
    if (pick < 55) { /* a coarse grid, so timers armed at different times tie */
        sim_time step = (sim_time)1 << (v % 4 * 6 + 4);
        sim_time base = now / step * step;
        return add_sat(base, step * (sim_time)(1 + (v >> 8) % 3));
    }
    if (pick < 75)
        return add_sat(now, (sim_time)(v % (1u << 22)));
    if (pick < 87)
        return add_sat(now, (sim_time)(v % ((uint64_t)1 << 37)));
    if (pick < 94)
        return add_sat(now, (sim_time)(v % ((uint64_t)1 << 61)));
    if (pick < 97)
        return SIM_TIME_NEVER;
    return now - (sim_time)(v % 1000); /* the past: runs now */
}

static void model_arm(struct model *m, int id, sim_time when)
{
    sim_time now = sim_now(&m->s);
    m->armed[id] = true;
    m->when[id] = when < now ? now : when;
    m->seq[id] = m->next_seq++;
    sim_timer_arm(&m->s, &m->t[id].timer, when);
}

static void model_cancel(struct model *m, int id)
{
    m->armed[id] = false;
    sim_timer_cancel(&m->s, &m->t[id].timer);
}

static int model_next(const struct model *m)
{
    int best = -1;
    for (int i = 0; i < m->nt; i++) {
        if (!m->armed[i])
            continue;
        if (best < 0 || m->when[i] < m->when[best] ||
            (m->when[i] == m->when[best] && m->seq[i] < m->seq[best]))
            best = i;
    }
    return best;
}

static uint32_t model_pending(const struct model *m)
{
    uint32_t n = 0;
    for (int i = 0; i < m->nt; i++)
        n += m->armed[i];
    return n;
}

static void check_agreement(struct model *m)
{
    cr_assert_eq(sim_pending(&m->s), model_pending(m));
    int id = (int)(rnd(m) % (uint64_t)m->nt);
    cr_assert_eq(sim_timer_armed(&m->t[id].timer), m->armed[id]);
}

/* A random action from inside a callback: fewer than one arm per event on
 * average, so that a run to SIM_TIME_NEVER ends. */
static void callback_action(struct model *m)
{
    uint64_t r = rnd(m) % 100;
    int id = (int)(rnd(m) % (uint64_t)m->nt);
    if (r < 40)
        model_arm(m, id, random_deadline(m));
    else if (r < 55)
        model_cancel(m, id);
}

static void model_fire(void *ctx, sim_time now)
{
    struct rtimer *rt = ctx;
    struct model *m = rt->m;
    int expect = model_next(m);
    cr_assert_eq(rt->id, expect, "fired timer %d, the model expected %d", rt->id, expect);
    cr_assert_eq(now, m->when[expect]);
    cr_assert_eq(sim_now(&m->s), now);
    cr_assert_geq(now, m->last_fire, "time went backwards");
    cr_assert_not(sim_timer_armed(&rt->timer), "a firing timer is no longer armed");
    m->last_fire = now;
    m->armed[expect] = false;
    m->fired++;
    callback_action(m);
    if (rnd(m) % 4 == 0)
        callback_action(m);
}

static struct model *model_new_sized(uint64_t seed, int nt)
{
    struct model *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    m->nt = nt;
    sim_init(&m->s, seed);
    m->rng = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < m->nt; i++) {
        m->t[i].m = m;
        m->t[i].id = i;
        sim_timer_init(&m->t[i].timer, model_fire, &m->t[i]);
    }
    return m;
}

static struct model *model_new(uint64_t seed)
{
    return model_new_sized(seed, NT);
}

static void model_free(struct model *m)
{
    sim_destroy(&m->s);
    free(m);
}

static sim_time random_bound(struct model *m)
{
    sim_time now = sim_now(&m->s);
    uint64_t v = rnd(m);
    int scale = (int)(v % 40);
    return add_sat(now, (sim_time)((v >> 8) % ((uint64_t)1 << scale)));
}

static void model_step(struct model *m)
{
    sim_time until = random_bound(m);
    sim_time before = sim_now(&m->s);
    int next = model_next(m);
    bool due = next >= 0 && m->when[next] <= until;
    cr_assert_eq(sim_step(&m->s, until), due);
    if (!due)
        cr_assert_eq(sim_now(&m->s), before, "a step with nothing due leaves the clock");
}

static void model_run(struct model *m)
{
    sim_time until = random_bound(m);
    cr_assert_eq(sim_run(&m->s, until), SIM_DONE);
    cr_assert_eq(sim_now(&m->s), until);
    int next = model_next(m);
    cr_assert(next < 0 || m->when[next] > until, "sim_run left a due event behind");
}

static void model_op(struct model *m)
{
    uint64_t r = rnd(m) % 100;
    int id = (int)(rnd(m) % (uint64_t)m->nt);
    if (r < 45)
        model_arm(m, id, random_deadline(m));
    else if (r < 60)
        model_cancel(m, id);
    else if (r < 85)
        model_step(m);
    else
        model_run(m);
    check_agreement(m);
}

static void model_drain(struct model *m)
{
    cr_assert_eq(sim_run(&m->s, SIM_TIME_NEVER), SIM_DONE);
    cr_assert_eq(model_next(m), -1);
    cr_assert_eq(sim_pending(&m->s), 0);
}

Test(sim_queue, matches_the_reference_model)
{
    for (uint64_t seed = 1; seed <= 60; seed++) {
        struct model *m = model_new(seed);
        for (int op = 0; op < 3000; op++)
            model_op(m);
        model_drain(m);
        cr_assert_gt(m->fired, 100, "seed %llu fired too little to mean much",
                     (unsigned long long)seed);
        model_free(m);
    }
}

Test(sim_queue, two_queues_interleaved_match_their_models)
{
    struct model *a = model_new(1001), *b = model_new(2002);
    for (int op = 0; op < 4000; op++) {
        model_op(a);
        model_op(b);
    }
    model_drain(a);
    model_drain(b);
    model_free(a);
    model_free(b);
}

/* ---- crowded windows ----
 * Many timers due within a few microseconds of each other, a little ahead: the
 * queue sorts such a crowd into one array when it comes due, and the model checks
 * that cancels, re-arms, ties and squeezing inside it keep the order. */

#define CROWD 1500

/* Arms timers [0, n) within one 4 us window starting two windows ahead, many of
 * them tied on a coarse grid. */
static void arm_crowd(struct model *m, int n)
{
    sim_time base = (sim_now(&m->s) / 4096 + 2) * 4096;
    for (int i = 0; i < n; i++) {
        uint64_t r = rnd(m);
        sim_time off = (sim_time)(r % 2 ? (r >> 8) % 4096 : (r >> 8) % 32 * 128);
        model_arm(m, i, base + off);
    }
}

Test(sim_queue, a_crowded_window_matches_the_reference_model)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct model *m = model_new_sized(seed, CROWD);
        for (int op = 0; op < 4000; op++) {
            if (op % 800 == 0)
                arm_crowd(m, m->nt);
            model_op(m);
        }
        model_drain(m);
        cr_assert_gt(m->fired, 2 * CROWD, "seed %llu fired too little to mean much",
                     (unsigned long long)seed);
        model_free(m);
    }
}

Test(sim_queue, cancelling_most_of_a_crowd_keeps_its_order_and_bounds_the_entries)
{
    struct model *m = model_new_sized(7, CROWD);
    arm_crowd(m, m->nt);
    cr_assert(sim_step(&m->s, SIM_TIME_NEVER - 1)); /* the first of the crowd fires */
    for (int i = 0; i < m->nt; i++)
        if (rnd(m) % 16 != 0) {
            model_cancel(m, i);
            size_t held = sim_queue_entries(&m->s);
            cr_assert_leq(held, 2 * (size_t)sim_pending(&m->s) + 4096, "%zu held for %u pending",
                          held, sim_pending(&m->s));
        }
    check_agreement(m);
    model_drain(m);
    cr_assert_eq(sim_queue_entries(&m->s), 0);
    model_free(m);
}

/* ---- targeted cases ---- */

struct log {
    int order[64];
    sim_time at[64];
    int n;
};

struct tagged {
    struct sim_timer timer;
    struct sim *s;
    struct log *log;
    int tag;
    struct tagged *other; /* acted on by the callback, if any */
    void (*then)(struct tagged *self, sim_time now);
};

static void note(void *ctx, sim_time now)
{
    struct tagged *t = ctx;
    t->log->order[t->log->n] = t->tag;
    t->log->at[t->log->n] = now;
    t->log->n++;
    if (t->then)
        t->then(t, now);
}

static void tagged_init(struct tagged *t, struct sim *s, struct log *log, int tag)
{
    *t = (struct tagged){.s = s, .log = log, .tag = tag};
    sim_timer_init(&t->timer, note, t);
}

static void assert_order(const struct log *log, const int *tags, int n)
{
    cr_assert_eq(log->n, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(log->order[i], tags[i], "event %d: got %d, expected %d", i, log->order[i],
                     tags[i]);
}

Test(sim_queue, far_future_and_never_run_last_in_order)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[5];
    sim_time when[5] = {SIM_TIME_NEVER, (sim_time)1 << 62, 1, SIM_TIME_NEVER, 3 * SIM_SEC};
    for (int i = 0; i < 5; i++) {
        tagged_init(&t[i], &s, &log, i);
        sim_timer_arm(&s, &t[i].timer, when[i]);
    }
    cr_assert_eq(sim_run(&s, (sim_time)1 << 61), SIM_DONE);
    assert_order(&log, (int[]){2, 4}, 2);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){2, 4, 1, 0, 3}, 5);
    cr_assert_eq(log.at[4], SIM_TIME_NEVER);
    sim_destroy(&s);
}

Test(sim_queue, tie_between_an_early_far_arm_and_a_late_near_arm)
{
    /* A is armed long before its deadline, B and C just before it: the order at
     * the shared instant is still the arming order, and re-arming A sends it last. */
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b, c;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    tagged_init(&c, &s, &log, 2);
    const sim_time T = 10 * SIM_SEC + 7;
    sim_timer_arm(&s, &a.timer, T);
    sim_timer_arm(&s, &b.timer, T);
    sim_run(&s, T - 1);
    sim_timer_arm(&s, &c.timer, T);
    sim_run(&s, T);
    assert_order(&log, (int[]){0, 1, 2}, 3);

    log.n = 0;
    sim_timer_arm(&s, &a.timer, 2 * T);
    sim_timer_arm(&s, &b.timer, 2 * T);
    sim_run(&s, 2 * T - 3);
    sim_timer_arm(&s, &c.timer, 2 * T);
    sim_timer_arm(&s, &a.timer, 2 * T);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){1, 2, 0}, 3);
    sim_destroy(&s);
}

static void rearm_other_at_now(struct tagged *self, sim_time now)
{
    sim_timer_arm(self->s, &self->other->timer, now);
}

Test(sim_queue, rearm_at_now_from_a_callback_runs_after_those_already_due)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b, c;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    tagged_init(&c, &s, &log, 2);
    a.then = rearm_other_at_now;
    a.other = &b; /* b is due now too, armed before: it moves behind c */
    sim_timer_arm(&s, &a.timer, 500);
    sim_timer_arm(&s, &b.timer, 500);
    sim_timer_arm(&s, &c.timer, 500);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){0, 2, 1}, 3);
    cr_assert_eq(log.at[2], 500);
    sim_destroy(&s);
}

static void rearm_self_at_now_once(struct tagged *self, sim_time now)
{
    self->then = NULL;
    sim_timer_arm(self->s, &self->timer, now);
}

Test(sim_queue, a_callback_rearming_itself_at_now_runs_again_at_now)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    a.then = rearm_self_at_now_once;
    sim_timer_arm(&s, &a.timer, 40);
    sim_timer_arm(&s, &b.timer, 40);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){0, 1, 0}, 3);
    cr_assert_eq(log.at[2], 40);
    sim_destroy(&s);
}

static void cancel_other(struct tagged *self, sim_time now)
{
    (void)now;
    sim_timer_cancel(self->s, &self->other->timer);
}

Test(sim_queue, cancel_of_a_timer_due_at_the_same_instant)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b, c;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    tagged_init(&c, &s, &log, 2);
    a.then = cancel_other;
    a.other = &b;
    sim_timer_arm(&s, &a.timer, 77);
    sim_timer_arm(&s, &b.timer, 77);
    sim_timer_arm(&s, &c.timer, 77);
    sim_run(&s, 77);
    assert_order(&log, (int[]){0, 2}, 2);
    cr_assert_not(sim_timer_armed(&b.timer));
    cr_assert_eq(sim_pending(&s), 0);
    sim_destroy(&s);
}

Test(sim_queue, a_failed_step_keeps_the_clock_and_earlier_arms_still_run_first)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    sim_timer_arm(&s, &a.timer, 5 * SIM_SEC + 3);
    cr_assert_not(sim_step(&s, 5 * SIM_SEC));
    cr_assert_eq(sim_now(&s), 0);
    sim_timer_arm(&s, &b.timer, 1);
    cr_assert(sim_step(&s, 5 * SIM_SEC));
    cr_assert_eq(sim_now(&s), 1);
    cr_assert(sim_step(&s, SIM_TIME_NEVER));
    assert_order(&log, (int[]){1, 0}, 2);
    cr_assert_eq(sim_now(&s), 5 * SIM_SEC + 3);
    sim_destroy(&s);
}

Test(sim_queue, run_until_then_arm_before_the_next_deadline)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    sim_timer_arm(&s, &a.timer, 1000000 + 999);
    cr_assert_eq(sim_run(&s, 1000000 + 500), SIM_DONE);
    cr_assert_eq(sim_now(&s), 1000000 + 500);
    sim_timer_arm(&s, &b.timer, 1000000 + 501);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){1, 0}, 2);
    cr_assert_eq(log.at[0], 1000000 + 501);
    sim_destroy(&s);
}

Test(sim_queue, destroy_disarms_what_is_still_queued)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[40];
    for (int i = 0; i < 40; i++) {
        tagged_init(&t[i], &s, &log, i);
        sim_timer_arm(&s, &t[i].timer, (sim_time)i * i * i * 1000);
    }
    sim_destroy(&s);
    for (int i = 0; i < 40; i++)
        cr_assert_not(sim_timer_armed(&t[i].timer));
}

/* ---- a lone timer above level 0 ----
 * With few timers pending, the earliest one usually sits alone in a slot that
 * spans many instants; it runs straight from there. */

Test(sim_queue, a_lone_timer_behind_cancelled_ones_in_its_slot_runs_at_its_deadline)
{
    /* 40 timers within one 4 us window far ahead share a slot; all but the last
     * are cancelled, leaving more dead entries in front of it than one chunk holds. */
    enum { N = 40 };
    const sim_time base = 3 * SIM_MS + 8192; /* a window start: 4096 divides it */
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[N];
    for (int i = 0; i < N; i++) {
        tagged_init(&t[i], &s, &log, i);
        sim_timer_arm(&s, &t[i].timer, base + 100 * i);
    }
    for (int i = 0; i < N - 1; i++)
        sim_timer_cancel(&s, &t[i].timer);
    cr_assert_eq(sim_pending(&s), 1);
    cr_assert(sim_step(&s, SIM_TIME_NEVER));
    assert_order(&log, (int[]){N - 1}, 1);
    cr_assert_eq(log.at[0], base + 100 * (N - 1));
    cr_assert_eq(sim_queue_entries(&s), 0, "the slot's dead entries went with it");
    sim_destroy(&s);
}

Test(sim_queue, a_lone_timer_due_after_the_bound_stays_and_so_does_the_clock)
{
    /* The bound falls inside the slot of the lone timer, before its deadline. */
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    sim_timer_arm(&s, &a.timer, 12000); /* the slot of [8192, 12288) */
    cr_assert_not(sim_step(&s, 9000));
    cr_assert_eq(sim_now(&s), 0);
    cr_assert_eq(sim_run(&s, 11999), SIM_DONE);
    cr_assert_eq(sim_now(&s), 11999);
    cr_assert(sim_timer_armed(&a.timer));
    sim_timer_arm(&s, &b.timer, 11999);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){1, 0}, 2);
    cr_assert_eq(log.at[1], 12000);
    sim_destroy(&s);
}

static void arm_other_and_self_at_now(struct tagged *self, sim_time now)
{
    self->then = NULL;
    sim_timer_arm(self->s, &self->other->timer, now);
    sim_timer_arm(self->s, &self->timer, now);
}

Test(sim_queue, timers_armed_at_the_instant_of_a_lone_timer_run_after_it_in_order)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a, b, c;
    tagged_init(&a, &s, &log, 0);
    tagged_init(&b, &s, &log, 1);
    tagged_init(&c, &s, &log, 2);
    a.then = arm_other_and_self_at_now;
    a.other = &b;
    const sim_time T = 7 * SIM_MS + 3;
    sim_timer_arm(&s, &a.timer, T);
    sim_timer_arm(&s, &c.timer, T + 1);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){0, 1, 0, 2}, 4);
    cr_assert_eq(log.at[2], T);
    cr_assert_eq(log.at[3], T + 1);
    sim_destroy(&s);
}

Test(sim_queue, after_a_lone_timer_runs_the_others_can_be_cancelled_and_rearmed)
{
    /* Running the lone timer moves the wheel to its deadline: the timers waiting
     * at every higher level must still be found where they are. */
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged t[6];
    const sim_time when[6] = {10 * SIM_US,        20 * SIM_MS,       5 * SIM_SEC,
                              3 * 3600 * SIM_SEC, (sim_time)1 << 50, SIM_TIME_NEVER};
    for (int i = 0; i < 6; i++) {
        tagged_init(&t[i], &s, &log, i);
        sim_timer_arm(&s, &t[i].timer, when[i]);
    }
    cr_assert(sim_step(&s, SIM_TIME_NEVER));
    cr_assert_eq(sim_now(&s), 10 * SIM_US);
    sim_timer_cancel(&s, &t[1].timer);
    sim_timer_cancel(&s, &t[4].timer);
    sim_timer_arm(&s, &t[2].timer, 30 * SIM_US);
    sim_timer_arm(&s, &t[5].timer, 30 * SIM_US);
    cr_assert_eq(sim_pending(&s), 3);
    sim_run(&s, SIM_TIME_NEVER);
    assert_order(&log, (int[]){0, 2, 5, 3}, 4);
    cr_assert_eq(log.at[2], 30 * SIM_US);
    cr_assert_eq(log.at[3], 3 * 3600 * SIM_SEC);
    cr_assert_eq(sim_queue_entries(&s), 0);
    sim_destroy(&s);
}

/* ---- cancelled entries do not accumulate ---- */

Test(sim_queue, rearming_one_timer_many_times_keeps_the_queue_small)
{
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged a;
    tagged_init(&a, &s, &log, 0);
    uint64_t x = 12345;
    size_t most = 0;
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sim_timer_arm(&s, &a.timer, SIM_SEC + (sim_time)(x >> 40));
        size_t held = sim_queue_entries(&s);
        most = held > most ? held : most;
    }
    cr_assert_leq(most, 256, "the queue held %zu entries for one timer", most);
    sim_timer_cancel(&s, &a.timer);
    cr_assert_eq(sim_queue_entries(&s), 0);
    sim_destroy(&s);
}

Test(sim_queue, cancelled_entries_stay_within_a_bound_of_the_live_ones)
{
    enum { N = 2000 };
    struct sim s;
    sim_init(&s, 1);
    struct log log = {0};
    struct tagged *t = calloc(N, sizeof *t);
    cr_assert_not_null(t);
    for (int i = 0; i < N; i++)
        tagged_init(&t[i], &s, &log, i);
    uint64_t x = 99;
    for (int i = 0; i < 400000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        struct tagged *p = &t[(x >> 33) % N];
        if (x & 1)
            sim_timer_cancel(&s, &p->timer);
        else
            sim_timer_arm(&s, &p->timer, (sim_time)((x >> 20) % (1u << 30)));
        size_t held = sim_queue_entries(&s);
        cr_assert_leq(held, 2 * (size_t)sim_pending(&s) + 4096, "%zu held for %u pending", held,
                      sim_pending(&s));
    }
    for (int i = 0; i < N; i++)
        sim_timer_cancel(&s, &t[i].timer);
    cr_assert_eq(sim_queue_entries(&s), 0);
    sim_destroy(&s);
    free(t);
}

struct ordinal {
    struct sim_timer timer;
    int id;
    int *log;
    int *n;
};

static void log_ordinal(void *ctx, sim_time now)
{
    (void)now;
    struct ordinal *o = ctx;
    o->log[(*o->n)++] = o->id;
}

Test(sim_queue, squeezing_out_cancelled_entries_keeps_the_order_at_an_instant)
{
    /* Thousands of timers share one instant and are re-armed and cancelled there
     * until the dead entries are squeezed out: the survivors still run in the
     * order of their last arming. */
    enum { N = 3000 };
    const sim_time T = SIM_SEC + 5;
    struct sim s;
    sim_init(&s, 1);
    struct ordinal *t = calloc(N, sizeof *t);
    int *log = calloc(N, sizeof *log), n = 0;
    int *expect = calloc(N, sizeof *expect), m = 0;
    cr_assert(t && log && expect);
    for (int i = 0; i < N; i++) {
        t[i] = (struct ordinal){.id = i, .log = log, .n = &n};
        sim_timer_init(&t[i].timer, log_ordinal, &t[i]);
        sim_timer_arm(&s, &t[i].timer, T);
    }
    sim_run(&s, T - 1); /* the timers now wait in the slot of instant T */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < N; i += 2)
            sim_timer_arm(&s, &t[i].timer, T);
    for (int i = 3; i < N; i += 6)
        sim_timer_cancel(&s, &t[i].timer);
    cr_assert_leq(sim_queue_entries(&s), 2 * (size_t)sim_pending(&s) + 4096);
    for (int i = 1; i < N; i += 2)
        if (i % 6 != 3)
            expect[m++] = i;
    for (int i = 0; i < N; i += 2)
        expect[m++] = i;
    cr_assert_eq(sim_pending(&s), (uint32_t)m);
    sim_run(&s, SIM_TIME_NEVER);
    cr_assert_eq(n, m);
    for (int i = 0; i < m; i++)
        cr_assert_eq(log[i], expect[i], "position %d: got %d, expected %d", i, log[i], expect[i]);
    sim_destroy(&s);
    free(t);
    free(log);
    free(expect);
}
