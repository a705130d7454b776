/* The simulation: owns the event queue, the frame pool and the trace bus.
 * Nothing is global; any number of simulations can live in one process. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "rng.h"
#include "time.h"
#include "timer.h"
#include "trace.h"

struct sim_qslot;
struct sim_qchunk;
struct sim_oneshot;

/* The event queue (sim.c): a hierarchical timing wheel on the nanosecond deadline.
 * Each slot is a FIFO of entries in arming order; entries cancelled in place are
 * dropped when their slot empties or, all at once, when they outnumber the live
 * ones by more than a fixed slack.  A crowded slot cascading into level 0 becomes
 * the run: one array sorted by deadline, dispatched from front to back. */
struct sim_queue {
    uint64_t cur;            /* wheel position: no entry is due before it */
    uint32_t live;           /* armed timers */
    uint32_t dead;           /* cancelled entries still held */
    uint32_t level_mask;     /* bit L: level L has a slot with live entries */
    uint32_t nfree;          /* chunks on the free list */
    struct sim_qslot *slots; /* all levels' slots; allocated on first use */
    uint64_t *bits;          /* per level, which slots hold live entries */
    struct sim_qchunk *free_chunks;
    struct sim_qchunk *kept; /* moved-from chunks forwarding to level 0 */
    struct sim_qchunk *kept_tail;
    uint32_t nkept;
    uint32_t nblocks, blocks_cap;
    void **blocks; /* chunk memory, freed by sim_destroy */
    /* The run: a crowded level-1 slot cascaded in deadline order, and the
     * scratch that sorts it (allocated at its end). */
    struct sim_qent *run;
    uint32_t *run_count;
    uint32_t run_pos, run_len, run_live, run_cap;
};

enum sim_status {
    SIM_DONE = 0,        /* reached `until`, or nothing left to do */
    SIM_EVENT_LIMIT = 1, /* the event-count guard stopped a runaway world */
    SIM_RESOURCE = 2,    /* a pool or a limit could not grow */
    SIM_STOPPED = 3,     /* sim_stop() was called */
};

struct sim {
    sim_time now;
    struct sim_queue q;
    struct sim_oneshot *oneshot_free;
    struct sim_oneshot_block *oneshot_blocks;

    uint64_t events_executed;
    uint64_t event_limit; /* 0 = none */
    bool stop_requested;
    bool resource_error;
    char error[200];

    uint64_t seed;
    uint64_t next_frame_id;
    struct frame_pool frames;
    struct trace_bus bus;
};

void sim_init(struct sim *s, uint64_t seed);
void sim_destroy(struct sim *s);

/* Runs events in (time, arming order) until the queue is empty or the next event
 * lies after `until`; then the clock stands at `until` (unless SIM_TIME_NEVER). */
enum sim_status sim_run(struct sim *s, sim_time until);
/* Runs exactly one event if any is due no later than `until`; returns false otherwise. */
bool sim_step(struct sim *s, sim_time until);
void sim_stop(struct sim *s);
/* Records a resource error (message kept) and stops the run. */
void sim_fail(struct sim *s, const char *msg);

static inline uint32_t sim_pending(const struct sim *s)
{
    return s->q.live;
}

/* Entries the queue holds, live and cancelled: never more than twice the pending
 * timers plus a fixed slack (a figure for tests and statistics). */
size_t sim_queue_entries(const struct sim *s);

static inline struct trace_bus *sim_bus(struct sim *s)
{
    return &s->bus;
}

static inline uint64_t sim_next_frame_id(struct sim *s)
{
    return ++s->next_frame_id;
}

#endif
