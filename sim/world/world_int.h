/* Private to sim/world: the observer sink that records what expectations and
 * the report need while a world runs. */
#ifndef SIM_WORLD_WORLD_INT_H
#define SIM_WORLD_WORLD_INT_H

#include <string.h>

#include "world.h"

struct obs_cc {
    sim_time t;
    uint64_t cwnd;
};

/* The cwnd samples of a connection an expectation tracks. */
struct obs_cc_log {
    uint32_t n, cap;
    struct obs_cc v[];
};

/* Kept for every connection of the run (tens of thousands in the larger
 * worlds), so packed into one block each: the first state (the `from` of
 * the first change), then each change: cap_states times, then cap_states
 * states of a byte each (obs_time, obs_state), then "<name>\0<host>\0". */
struct obs_conn {
    char *block;
    uint64_t retx;
    uint32_t n_states, cap_states;
    enum tcp_outcome outcome;
    bool established;
};

/* Where the names start in a block of cap states. */
static inline size_t obs_names_at(uint32_t cap)
{
    return (size_t)cap * (sizeof(sim_time) + 1);
}

/* When the connection entered its i-th state (the first: when it appeared). */
static inline sim_time obs_time(const struct obs_conn *c, uint32_t i)
{
    sim_time t;
    memcpy(&t, c->block + (size_t)i * sizeof t, sizeof t);
    return t;
}

static inline enum tcp_state obs_state(const struct obs_conn *c, uint32_t i)
{
    return (enum tcp_state)(
        (const uint8_t *)c->block)[(size_t)c->cap_states * sizeof(sim_time) + i];
}

static inline const char *obs_conn_name(const struct obs_conn *c)
{
    return c->block + obs_names_at(c->cap_states);
}

/* The host the connection belongs to ("" when unknown). */
static inline const char *obs_conn_host(const struct obs_conn *c)
{
    const char *name = obs_conn_name(c);
    return name + strlen(name) + 1;
}

struct obs_app {
    const char *id;         /* the scenario's, which outlives the world */
    uint64_t delivered;     /* payload bytes handed to the app */
    uint64_t verify_failed; /* deliveries that did not match the sender's pattern */
    uint64_t replies;       /* ping replies */
    sim_time rtt_min, rtt_max;
};

/* A `count` expectation: tx events on one link direction that match a filter. */
struct obs_count {
    uint32_t expect; /* index into scenario.expects */
    const char *link;
    const char *host; /* the sender; NULL = both directions */
    struct frame_filter filter;
    struct seqrel rel;
    uint64_t count;
};

struct obs_drop {
    char *reason;
    uint64_t count;
};

struct world_observer;

/* A name -> index table (open addressing; only for lookups, never iterated).
 * The names are the records' own, found through `key`. */
struct name_map {
    struct name_slot {
        uint32_t hash;
        uint32_t idx1; /* index + 1; 0 = free */
    } * slots;
    uint32_t cap, used;
    const char *(*key)(const struct world_observer *o, uint32_t idx);
};

struct world_observer {
    struct trace_sink sink;
    struct obs_conn *conns; /* order of first appearance */
    uint32_t n_conns, cap_conns;
    struct name_map conn_map;
    struct obs_app *apps; /* scenario order */
    uint32_t n_apps;
    struct name_map app_map;
    struct obs_count *counts;
    uint32_t n_counts;
    const char **cc_conns;       /* connections whose cwnd is tracked (not owned) */
    struct obs_cc_log **cc_logs; /* their samples, NULL until the first */
    uint32_t n_cc_conns;
    struct obs_drop *drops;
    uint32_t n_drops, cap_drops;
    uint64_t frames_tx, bytes_tx, retx_total;
    bool oom;
};

struct world_observer *observer_create(const struct scenario *sc);
void observer_destroy(struct world_observer *o);
const struct obs_conn *observer_conn(const struct world_observer *o, const char *name);
const struct obs_app *observer_app(const struct world_observer *o, const char *id);
const struct obs_count *observer_count(const struct world_observer *o, uint32_t expect);
/* The cwnd samples of a tracked connection; NULL when none. */
const struct obs_cc_log *observer_cc(const struct world_observer *o, const char *conn);

/* The state of a connection at time t (CLOSED before its first event). */
enum tcp_state obs_state_at(const struct obs_conn *c, sim_time t);

/* Judging (expect.c): the verdict message of expectation e, malloc'd. */
char *expect_judge(const struct world *w, const struct scn_expect *e, bool *ok);

/* "1.2s" style time into buf. */
const char *world_fmt_time(sim_time t, char buf[32]);

#endif
