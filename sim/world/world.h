/* A running world built from a loaded scenario (sim/scenario/scenario.h):
 * hosts with their interfaces, routes and TCP, links with their faults,
 * applications and the scenario's timed events, all on one `struct sim`.
 *
 * After the run, the expectations of the scenario are judged from what an
 * observer sink saw during the run (states, congestion windows,
 * retransmissions, frame counts, application events) and from the digest of
 * the JSON Lines trace.
 *
 * The digest (`trace_sha256`, `--digest`) covers the events of the run only:
 * the `expect` events that carry the verdicts are emitted after it has been
 * fixed, so judging a scenario never changes its fingerprint. */
#ifndef SIM_WORLD_WORLD_H
#define SIM_WORLD_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../viz/world.h"
#include "../scenario/scenario.h"
#include "../sim.h"
#include "../sinks.h"

#define WORLD_DEFAULT_EVENT_LIMIT 200000000ull
/* Frames alive at once (in queues, on the wire, held for ARP): about 1.5 GB
 * of full-size frames, far beyond any sane world's bandwidth-delay product. */
#define WORLD_DEFAULT_FRAME_LIMIT 1000000ull

struct host;
struct link;
struct app;
struct world_observer;
struct world_event;

enum world_status {
    WORLD_OK = 0,          /* ran to the end */
    WORLD_EVENT_LIMIT = 1, /* the event-count guard stopped it */
    WORLD_RESOURCE = 2,    /* out of memory, a pool limit, an I/O error */
};

/* The verdict of one expectation. */
struct world_verdict {
    uint32_t index; /* position in the file's `expect` array */
    bool ok;
    char *message; /* "expect[2]: client c1 state at 1.2s was SYN_SENT, expected ESTABLISHED" */
};

/* Told how far a run has come: simulated time reached, where it will stop,
 * events executed so far.  Only for showing progress: it must not touch the
 * world. */
typedef void (*world_progress_fn)(void *ctx, sim_time now, sim_time end, uint64_t events);

struct world {
    const struct scenario *scn; /* not owned: must outlive the world */
    struct scenario *slim_scn;  /* to slim once the apps have started (world_slim_scenario) */
    struct sim sim;
    struct host **hosts; /* scenario order */
    struct link **links; /* scenario order */
    struct app **apps;   /* scenario order */
    struct world_event *events;
    struct world_observer *obs;
    /* The distinct TCP configurations of the hosts, shared by every host
     * that has the same (tcp_attach_shared): most worlds have one or two. */
    struct tcp_config **tcp_cfgs;
    uint32_t n_tcp_cfgs;

    /* What the views need (viz/world.h): the scenario's name, title and
     * duration from the start; its hosts and links (n_hosts, n_links) only
     * once world_describe filled them in. */
    struct world_desc desc;
    struct world_host *desc_hosts;
    struct world_link *desc_links;

    /* The JSON Lines sink (world_attach_jsonl) and the digest of the run. */
    struct jsonl_sink *jsonl;
    FILE *jsonl_out;
    bool want_digest;
    bool finished;
    char digest[72]; /* "sha256:<hex>" once the run is finished; "" without a trace */

    struct world_verdict *verdicts;
    uint32_t n_verdicts, n_failed;
    bool update_golden; /* trace_sha256 expectations hold whatever the digest */

    sim_time ran_until;
    char error[256]; /* why building or running failed */

    /* Called between slices of the run (world_set_progress); NULL = none. */
    world_progress_fn progress;
    void *progress_ctx;
};

/* Builds the world with `seed` (usually sc->seed, or --seed).  Returns NULL
 * and writes a one-line reason into err (may be NULL) on failure. */
struct world *world_build(const struct scenario *sc, uint64_t seed, char *err, size_t err_size);
void world_destroy(struct world *w);

/* Lets the world slim sc (scenario_slim) as soon as it has read all it
 * needs to build: at time 0, once the apps have started.  sc must be the
 * scenario the world was built from; describe the world first if the views
 * will need it (world_describe). */
void world_slim_scenario(struct world *w, struct scenario *sc);

/* Fills w->desc with the hosts and links the views draw (viz, ladders),
 * from the scenario's records: call it before the run when a view will be
 * shown, as a slimmed scenario no longer has them.  Only the views need it,
 * so a plain run never builds it.  False when out of memory or too late. */
bool world_describe(struct world *w);

/* The event-count guard; 0 = none.  Defaults to WORLD_DEFAULT_EVENT_LIMIT. */
void world_set_event_limit(struct world *w, uint64_t limit);
/* The most frames alive at once; 0 = none.  Defaults to WORLD_DEFAULT_FRAME_LIMIT.
 * A run that needs more stops with WORLD_RESOURCE and says so. */
void world_set_frame_limit(struct world *w, uint64_t limit);

/* Writes the JSON Lines trace to out (NULL: only the digest is computed).
 * Call before world_run.  The world does not close out. */
bool world_attach_jsonl(struct world *w, FILE *out);
/* Computes the digest even without a trace file (--digest). */
void world_want_digest(struct world *w);

/* Has world_run call fn between slices of simulated time (a thousandth of
 * the run each).  Slicing does not change what happens: the same events run
 * in the same order. */
void world_set_progress(struct world *w, world_progress_fn fn, void *ctx);

/* Runs until `until` (the scenario's duration when < 0), then fixes the
 * digest.  On failure w->error says why. */
enum world_status world_run(struct world *w, sim_time until);

/* Judges every expectation of the scenario (after world_run): emits one
 * TRACE_EXPECT event per expectation on the bus and appends it to the JSON
 * Lines trace.  Returns the number that failed; the verdicts stay in w. */
uint32_t world_judge(struct world *w);

/* The human report of `tcpsim run` (SPEC §1): title, state transitions,
 * bytes per application, drops, retransmissions, verdicts. */
void world_report(const struct world *w, FILE *out);
/* Only the verdicts and the closing verdict line. */
void world_report_verdicts(const struct world *w, FILE *out, bool only_failures);

/* The first failed verdict's message, or NULL. */
const char *world_first_failure(const struct world *w);

/* ---- Observations (for reports and tests) --------------------------------- */

/* Drops seen during the run by reason, in order of first appearance. */
uint32_t world_drop_reasons(const struct world *w);
const char *world_drop_reason(const struct world *w, uint32_t i, uint64_t *count);
/* Retransmissions of one connection (0 when unknown). */
uint64_t world_retransmits(const struct world *w, const char *conn);
/* A connection's history of states (its first state, then each change):
 * copies up to max into out and returns the length of the whole history, or
 * UINT32_MAX when the connection never appeared. */
uint32_t world_conn_history(const struct world *w, const char *conn, enum tcp_state *out,
                            uint32_t max);

/* ---- Suites (tcpsim check) --------------------------------------------- */

/* True when file i (0-based, after sorting) belongs to shard k of n (1-based k). */
bool suite_in_shard(uint32_t i, uint32_t k, uint32_t n);
/* Parses "K/N" (1 <= K <= N). */
bool suite_parse_shard(const char *s, uint32_t *k, uint32_t *n);
/* Replaces the value of every `"trace_sha256"` key of a scenario's text with
 * `digest` ("sha256:<hex>"), keeping the prefix style of each old value and
 * every other byte.  Returns a new malloc'd text (length in *out_len) and the
 * number of values replaced in *n_replaced; NULL when out of memory. */
char *suite_rewrite_golden(const char *text, size_t len, const char *digest, size_t *out_len,
                           uint32_t *n_replaced);

#endif
