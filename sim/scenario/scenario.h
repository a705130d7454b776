/* A loaded scenario (SPEC §3): the world exactly as the file describes it, with
 * every unit converted to integers, every name resolved to an index, addresses
 * assigned (auto-numbered where the file gives none) and routing tables
 * complete.  Loading validates everything a run would trip over, so a
 * scenario that loads can be built and run without further checks.
 *
 * The loader (scenario.c and its helpers) only reads files; building a
 * simulation from a scenario is world.c's job. */
#ifndef SIM_SCENARIO_SCENARIO_H
#define SIM_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../apps/apps.h"
#include "../../stack/tcp/tcp.h"
#include "../decode.h"
#include "../link.h"
#include "../time.h"

/* ---- Diagnostics ------------------------------------------------------- */

/* One error, printed as `FILE:LINE:COL: error: JSON.PATH: message`.  line/col
 * are 1-based; 0 when unknown (then printed as FILE: error: ...). */
struct scn_diag {
    char *file;
    int line, col;
    char *path; /* "links[0].delay"; "" for the document itself */
    char *msg;  /* the message, with a hint where one helps ("did you mean ...") */
};

struct scn_diags {
    struct scn_diag *v;
    uint32_t n, cap;
    uint32_t limit;   /* at most this many are kept (0 = 50); further ones only counted */
    uint32_t dropped; /* errors beyond the limit */
};

void scn_diags_free(struct scn_diags *d);
/* Prints each error on its own line, and "... and N more errors" if any were dropped. */
void scn_diags_print(const struct scn_diags *d, FILE *out);

/* ---- Units (SPEC §1): shared with the command line ---------------------- */

/* "250us", "10ms", "1.5s", "2min", "0s"; also "ns", "h".  Bare numbers are
 * rejected.  Decimal fractions are parsed exactly (no floating point). */
bool scn_parse_time(const char *s, sim_time *out);
/* "10Mbps", "1Gbps", "64kbps", "9600bps" (decimal SI prefixes). */
bool scn_parse_rate(const char *s, uint64_t *out_bps);
/* "1500B", "64KiB", "100MB", "1MiB", "2GB" (KB/MB/GB decimal, KiB/MiB/GiB binary). */
bool scn_parse_size(const char *s, uint64_t *out_bytes);
/* Writes a time the way scenarios spell it ("1.5s", "250us", "10ms"). */
const char *scn_format_time(sim_time t, char buf[32]);

/* ---- The world --------------------------------------------------------- */

/* Hard limits that keep absurd files from exhausting memory (checked with
 * clear messages at load time). */
#define SCN_MAX_HOSTS  100000u
#define SCN_MAX_LINKS  200000u
#define SCN_MAX_APPS   200000u
#define SCN_MAX_EVENTS 1000000u
#define SCN_MAX_BYTES  ((uint64_t)1 << 40) /* per app send: 1 TiB */
#define SCN_MAX_IFACES 64u                 /* per host (HOST_MAX_IFACES) */

struct scn_route {
    uint32_t dest;
    uint8_t prefix_len;
    uint32_t via; /* 0 = directly connected */
};

/* One end of a link: the host's interface on it. */
struct scn_end {
    uint32_t host; /* index into scenario.hosts */
    uint32_t ip;   /* host byte order */
    uint8_t prefix_len;
};

struct scn_host {
    char *name;
    bool forward;
    bool has_pos;
    double x, y;           /* `pos`, each in [0,1]; only for drawing */
    struct tcp_config tcp; /* defaults, then `defaults.tcp`, then the host's `tcp` */
    /* The links this host is attached to, in the order its interfaces are
     * created (eth0, eth1, ...): the order of the links in the file. */
    uint32_t *links;
    uint32_t n_links;
    /* The complete routing table besides connected subnets: explicit `routes`,
     * or, when the file gives none for this host, shortest-path routes
     * computed by the loader (hop count; ties broken by link order). */
    struct scn_route *routes;
    uint32_t n_routes;
};

struct scn_link {
    char *name;
    struct scn_end end[2];     /* [0] = a, [1] = b */
    struct link_params dir[2]; /* [0] = a->b, [1] = b->a, defaults and overrides applied */
};

enum scn_app_type {
    SCN_APP_TCP_SERVER,
    SCN_APP_TCP_CLIENT,
    SCN_APP_UDP_SENDER,
    SCN_APP_UDP_SINK,
    SCN_APP_PING,
    SCN_APP_TRACEROUTE,
};

const char *scn_app_type_name(enum scn_app_type t); /* "tcp_server", ... */

struct scn_app {
    char *id;
    enum scn_app_type type;
    uint32_t host;      /* index into hosts */
    uint32_t peer_host; /* the host it talks to (clients, senders, ping, traceroute); UINT32_MAX if
                           none */
    /* The configuration handed to app_*_create; its `id` points at `id` above,
     * addresses are resolved, script arrays are owned by the scenario. */
    union {
        struct app_tcp_server_cfg tcp_server;
        struct app_tcp_client_cfg tcp_client;
        struct app_udp_sender_cfg udp_sender;
        struct app_udp_sink_cfg udp_sink;
        struct app_ping_cfg ping;
        struct app_traceroute_cfg traceroute;
    } cfg;
};

/* `faults`: one targeted fault on one direction of a link. */
struct scn_fault {
    uint32_t link;
    int side; /* 0: frames sent by the link's a, 1: by b */
    struct link_fault fault;
};

enum scn_event_kind {
    SCN_EV_LINK_DOWN,
    SCN_EV_LINK_UP,
    SCN_EV_LINK_SET,
    SCN_EV_APP_SEND,
    SCN_EV_APP_CLOSE,
    SCN_EV_APP_ABORT,
};

/* `events`, sorted by time (stable: file order for equal times). */
struct scn_event {
    sim_time at;
    enum scn_event_kind kind;
    uint32_t link;             /* link events */
    bool set_dir[2];           /* SCN_EV_LINK_SET: which directions change */
    struct link_params dir[2]; /* the complete parameters after the change
                                  (earlier `set` events already applied) */
    uint32_t app;              /* app events: index into apps */
    char *conn;                /* NULL, or an accepted connection's name ("srv#1") */
    uint64_t bytes;            /* SCN_EV_APP_SEND */
};

/* A numeric comparison: `equals`, or `min` and/or `max`. */
struct scn_cmp {
    bool has_eq, has_min, has_max;
    int64_t eq, min, max;
};

enum scn_expect_kind {
    SCN_EXP_STATES,       /* conn + states (+ match: exact | subsequence) */
    SCN_EXP_STATE_AT,     /* conn + at + state */
    SCN_EXP_RECEIVED,     /* app + received (bytes, verified intact) */
    SCN_EXP_COUNT,        /* count {link, from, filter...} + equals|min|max */
    SCN_EXP_RETRANSMITS,  /* conn + retransmits (number or {min,max}) */
    SCN_EXP_OUTCOME,      /* conn + outcome */
    SCN_EXP_PING_REPLIES, /* app (ping) + replies (number or {min,max}) */
    SCN_EXP_RTT,          /* app (ping) + rtt {min,max} (times) */
    SCN_EXP_CWND,         /* conn + at + cwnd {min,max} (bytes) */
    SCN_EXP_TRACE_SHA256, /* trace_sha256 */
    SCN_EXP_CONNECTIONS,  /* app (tcp_server) + connections accepted (number or {min,max}) */
};

struct scn_expect {
    enum scn_expect_kind kind;
    uint32_t index; /* position in the file's `expect` array */
    int line;       /* where it starts in the file (for messages) */
    char *conn;     /* connection name: a client id, "srv#1", or a listener id */
    uint32_t app;   /* index into apps (RECEIVED, PING_*, RTT) */
    enum tcp_state *states;
    uint32_t n_states;
    bool subsequence;
    sim_time at;
    enum tcp_state state;
    enum tcp_outcome outcome;
    struct scn_cmp
        cmp;       /* RECEIVED, COUNT, RETRANSMITS, PING_REPLIES, CWND, CONNECTIONS; RTT in ns */
    uint32_t link; /* COUNT */
    int side;      /* COUNT: direction (0: sent by a), -1 = both */
    struct frame_filter filter; /* COUNT */
    char sha256[72]; /* TRACE_SHA256: "sha256:<hex>" as written (the "sha256:" prefix optional in
                        the file) */
};

/* What a run still reads of a link and of an app once its world is built
 * (scenario_slim). */
struct scn_link_brief {
    char *name;
    uint32_t host[2]; /* the hosts of end a and end b */
};

struct scn_app_brief {
    char *id;
    enum scn_app_type type;
};

struct scenario {
    char *file; /* path as given */
    char *name;
    char *title;
    char *desc_en, *desc_ko; /* NULL when absent */
    uint64_t seed;           /* default 1 */
    sim_time duration;       /* default 60 s */
    struct scn_host *hosts;
    uint32_t n_hosts;
    struct scn_link *links;
    uint32_t n_links;
    struct scn_app *apps;
    uint32_t n_apps;
    struct scn_fault *faults;
    uint32_t n_faults;
    struct scn_event *events;
    uint32_t n_events;
    struct scn_expect *expects;
    uint32_t n_expects;
    /* Indices of hosts, links and apps sorted by name, for the lookups
     * below (NULL until the section is loaded). */
    uint32_t *host_by_name, *link_by_name, *app_by_name;
    /* Set by scenario_slim: hosts, links, apps and faults are then freed
     * (NULL; their counts stay) and only these briefs of them remain. */
    bool slim;
    char **host_names;
    struct scn_link_brief *link_briefs;
    struct scn_app_brief *app_briefs;
};

/* Loads and validates a file.  On any error returns NULL and appends every
 * error found (up to the limit) to d; a file that cannot be read is one error. */
struct scenario *scenario_load_file(const char *path, struct scn_diags *d);
/* The same from memory; `file` names it in messages. */
struct scenario *scenario_load_text(const char *file, const char *text, size_t len,
                                    struct scn_diags *d);
void scenario_free(struct scenario *sc);

/* Frees the records that only building a world needs (interfaces, routes,
 * TCP and link parameters, app configurations, faults), keeping the names
 * of hosts, links and apps, the ends of links, the types of apps, the
 * events and the expectations: what a run reads once its world is built.
 * A big world's records would otherwise hold a few hundred bytes per host
 * for the whole run.  Afterwards read names through the accessors below.
 * False (and the scenario unchanged) when out of memory. */
bool scenario_slim(struct scenario *sc);

/* Valid before and after scenario_slim; i must be in range. */
const char *scenario_host_name(const struct scenario *sc, uint32_t i);
const char *scenario_link_name(const struct scenario *sc, uint32_t i);
uint32_t scenario_link_host(const struct scenario *sc, uint32_t i, int side);
const char *scenario_app_id(const struct scenario *sc, uint32_t i);
enum scn_app_type scenario_app_type(const struct scenario *sc, uint32_t i);

/* Lookups by name; UINT32_MAX when absent. */
uint32_t scenario_host_index(const struct scenario *sc, const char *name);
uint32_t scenario_link_index(const struct scenario *sc, const char *name);
uint32_t scenario_app_index(const struct scenario *sc, const char *id);

#endif
