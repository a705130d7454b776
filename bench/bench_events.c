/* Event-core benchmark: with N timers pending, each dispatched timer re-arms
 * itself at a pseudo-random later deadline (the steady state of a busy
 * world: every event schedules another), and a second series re-arms and
 * cancels armed timers (what TCP does with its RTO on every ACK).
 * Prints dispatched events per second for 1 k, 100 k and 1 M pending, and for
 * 128 pending spread over 10 ms (a link full of frames in flight: events tens of
 * microseconds apart, nearly every one alone in its slot of the wheel).
 * `bench_events [dispatch|sparse|rearm] [PENDING [COUNT]]` runs one series (for profiling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "sim/sim.h"

/* CPU time of this process: on a busy machine it tells more than the wall clock. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct bench_timer {
    struct sim_timer t;
    struct sim *sim;
    uint64_t state;
    uint64_t spread; /* delays in [1, spread] us */
};

/* xorshift: cheap and deterministic; a delay in [1, spread] us. */
static uint64_t next_delay_within(uint64_t *state, uint64_t spread)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x % spread + 1;
}

static uint64_t next_delay(uint64_t *state)
{
    return next_delay_within(state, 1024);
}

static uint64_t next_spread_delay(struct bench_timer *b)
{
    return next_delay_within(&b->state, b->spread);
}

static void rearm(void *ctx, sim_time now)
{
    struct bench_timer *b = ctx;
    sim_timer_arm(b->sim, &b->t, now + (sim_time)next_spread_delay(b) * SIM_US);
}

static void dispatch_series(const char *name, uint32_t pending, uint64_t events, uint64_t spread)
{
    struct sim s;
    sim_init(&s, 1);
    struct bench_timer *timers = calloc(pending, sizeof *timers);
    if (!timers) {
        fprintf(stderr, "out of memory\n");
        exit(3);
    }
    for (uint32_t i = 0; i < pending; i++) {
        timers[i].sim = &s;
        timers[i].state = 0x9e3779b97f4a7c15ull ^ (i + 1);
        timers[i].spread = spread;
        sim_timer_init(&timers[i].t, rearm, &timers[i]);
        sim_timer_arm(&s, &timers[i].t, (sim_time)next_spread_delay(&timers[i]) * SIM_US);
    }
    s.event_limit = events;
    double t0 = bench_seconds(), c0 = cpu_seconds();
    sim_run(&s, SIM_TIME_NEVER);
    double dt = bench_seconds() - t0, dc = cpu_seconds() - c0;
    printf("%-9s pending %8u  events %10llu  %7.3f s  %6.1f M events/s  (cpu %6.1f)\n", name,
           pending, (unsigned long long)s.events_executed, dt, (double)s.events_executed / dt / 1e6,
           (double)s.events_executed / dc / 1e6);
    sim_destroy(&s);
    free(timers);
}

static void rearm_cancel_series(uint32_t pending, uint64_t ops)
{
    struct sim s;
    sim_init(&s, 1);
    struct bench_timer *timers = calloc(pending, sizeof *timers);
    if (!timers)
        exit(3);
    uint64_t state = 88172645463325252ull;
    for (uint32_t i = 0; i < pending; i++) {
        sim_timer_init(&timers[i].t, rearm, &timers[i]);
        sim_timer_arm(&s, &timers[i].t, (sim_time)next_delay(&state) * SIM_MS);
    }
    double t0 = bench_seconds(), c0 = cpu_seconds();
    for (uint64_t k = 0; k < ops; k++) {
        struct bench_timer *b = &timers[next_delay(&state) * 7919 % pending];
        if (k & 1)
            sim_timer_cancel(&s, &b->t);
        sim_timer_arm(&s, &b->t, (sim_time)next_delay(&state) * SIM_MS);
    }
    double dt = bench_seconds() - t0, dc = cpu_seconds() - c0;
    printf("re-arm    pending %8u  ops    %10llu  %7.3f s  %6.1f M ops/s     (cpu %6.1f)\n",
           pending, (unsigned long long)ops, dt, (double)ops / dt / 1e6, (double)ops / dc / 1e6);
    sim_destroy(&s);
    free(timers);
}

int main(int argc, char **argv)
{
    const uint32_t sizes[] = {1000, 100000, 1000000};
    const char *only = argc > 1 ? argv[1] : NULL;
    uint32_t only_size = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0;
    uint64_t count = argc > 3 ? strtoull(argv[3], NULL, 10) : 10000000;
    for (unsigned i = 0; i < 3; i++) {
        uint32_t n = only_size ? only_size : sizes[i];
        if (!only || strcmp(only, "dispatch") == 0)
            dispatch_series("dispatch", n, count, 1024);
        if (only_size)
            break;
    }
    if (!only || strcmp(only, "sparse") == 0)
        dispatch_series("sparse", only_size ? only_size : 128, count, 10000);
    for (unsigned i = 0; i < 3; i++) {
        uint32_t n = only_size ? only_size : sizes[i];
        if (!only || strcmp(only, "rearm") == 0)
            rearm_cancel_series(n, count);
        if (only_size)
            break;
    }
    return 0;
}
