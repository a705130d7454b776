/* Timers: the one way anything in a simulation makes time pass.
 *
 * A timer is embedded in its owner (a connection, a link, a frame in flight):
 * arming it allocates nothing in the steady state.  Arming an armed timer moves
 * its deadline, cancelling takes it out of the queue; both are O(1) (amortised),
 * and the timer may be freed by its owner as soon as it is cancelled.  Timers
 * that fire at the same instant run in the order they were (last) armed. */
#ifndef SIM_TIMER_H
#define SIM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "time.h"

struct sim;

typedef void (*sim_timer_fn)(void *ctx, sim_time now);

struct sim_qent;

/* Owners may read `when` but never write it: the queue finds an armed timer's
 * entry from its deadline. */
struct sim_timer {
    sim_time when;        /* the deadline it was last armed for */
    struct sim_qent *ent; /* its entry in the event queue; NULL when not armed */
    sim_timer_fn fn;
    void *ctx;
};

static inline void sim_timer_init(struct sim_timer *t, sim_timer_fn fn, void *ctx)
{
    t->when = 0;
    t->ent = NULL;
    t->fn = fn;
    t->ctx = ctx;
}

static inline bool sim_timer_armed(const struct sim_timer *t)
{
    return t->ent != NULL;
}

/* Arms (or re-arms) t to fire at `when`; when < now is treated as now. */
void sim_timer_arm(struct sim *s, struct sim_timer *t, sim_time when);
void sim_timer_cancel(struct sim *s, struct sim_timer *t);

/* A one-shot callback with no owner to embed a timer in; the node comes from a
 * pool and returns to it after firing.  Returns false when the pool cannot grow
 * (the simulation then stops with a resource error). */
bool sim_schedule(struct sim *s, sim_time when, sim_timer_fn fn, void *ctx);

sim_time sim_now(const struct sim *s);

#endif
