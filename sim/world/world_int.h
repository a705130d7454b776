/* Private to sim/world: the observer sink that records what expectations and
 * the report need while a world runs. */
#ifndef SIM_WORLD_WORLD_INT_H
#define SIM_WORLD_WORLD_INT_H

#include "world.h"

/* One state change (or the first state) of a connection. */
struct obs_state {
    sim_time t;
    enum tcp_state state;
};

struct obs_cc {
    sim_time t;
    uint64_t cwnd;
};

struct obs_conn {
    char *name;
    char *host;
    struct obs_state *states; /* [0]: the first state (the `from` of the first change) */
    uint32_t n_states, cap_states;
    bool established;
    enum tcp_outcome outcome;
    uint64_t retx;
    struct obs_cc *cc;
    uint32_t n_cc, cap_cc;
};

struct obs_app {
    char *id;
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

/* A name -> index table (open addressing; only for lookups, never iterated). */
struct name_map {
    struct name_slot {
        const char *key; /* owned by the record it indexes */
        uint32_t idx;
    } * slots;
    uint32_t cap, used;
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
    const char **cc_conns; /* connections whose cwnd is tracked (not owned) */
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

/* The state of a connection at time t (CLOSED before its first event). */
enum tcp_state obs_state_at(const struct obs_conn *c, sim_time t);

/* Judging (expect.c): the verdict message of expectation e, malloc'd. */
char *expect_judge(const struct world *w, const struct scn_expect *e, bool *ok);

/* "1.2s" style time into buf. */
const char *world_fmt_time(sim_time t, char buf[32]);

#endif
