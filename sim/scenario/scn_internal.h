/* Internals of the scenario loader, shared by its source files only.
 *
 * Loading is one pass per section over the cJSON tree.  Every check reports
 * through ld_err* with the JSON path of the value being read (kept in
 * `ld.path` as the loader descends) and its line:col (from the position
 * index, json_pos.c), then carries on, so one run reports every error. */
#ifndef SIM_SCENARIO_SCN_INTERNAL_H
#define SIM_SCENARIO_SCN_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdarg.h>

#include "scenario.h"

/* ---- The parsed text (json_pos.c, json_tree.c) -------------------------- */

struct jblock;

/* A text parsed into a cJSON tree whose nodes know where they are in it.
 * The nodes live in blocks owned here (not cJSON's allocations: free them
 * with jpos_free, never cJSON_Delete). */
struct jpos {
    const char *text; /* not owned */
    size_t len;
    cJSON *root;           /* NULL until parsed, or when the text is not JSON */
    struct jblock *blocks; /* the nodes and their strings, newest block first */
    size_t first_block;    /* size of the first block, from the text's length */
    uint32_t *line_start;  /* offset of the first byte of each line, built on first use */
    uint32_t n_lines;
    /* Short strings recently stored in the blocks, by a hash of their
     * bytes, so that the keys and values a file repeats ("name", "link",
     * "tcp_client"...) are stored once: a cache, not a set (a string whose
     * slot another took is stored again), of bounded size. */
    const char **interned;
};

/* A syntax error found by the validating scanner. */
struct json_syntax_error {
    uint32_t off;   /* where the mistake is */
    char path[256]; /* of the innermost value or member scanned there ("" at the top) */
    char msg[224];  /* what was expected there, and a hint for the kind of mistake */
};

/* Checks the text's syntax (RFC 8259, plus UTF-8 inside strings); false with
 * the first error's offset, path and message. */
bool json_syntax_check(const char *text, size_t len, struct json_syntax_error *e);
/* Checks and parses the text in one pass: p->root is its tree, every node
 * with its position.  False with the first syntax error in *e (an "out of
 * memory" one when memory runs out), and no tree.  p starts zeroed. */
bool jpos_parse(struct jpos *p, const char *text, size_t len, struct json_syntax_error *e);
void jpos_free(struct jpos *p);
/* 1-based line and column of a byte offset. */
void jpos_line_col(struct jpos *p, uint32_t off, int *line, int *col);
/* Offset of a node's value (or of its key when `key` and it has one); false
 * if unknown.  The node must be one of p's tree. */
bool jpos_offset(const struct jpos *p, const cJSON *node, bool key, uint32_t *off);

/* ---- Loader context ---------------------------------------------------- */

#define LD_PATH_MAX 512

struct ld {
    const char *file;
    struct scn_diags *d;
    struct jpos pos;
    uint32_t errors; /* all errors found, kept or dropped */
    char path[LD_PATH_MAX];
    size_t plen;
    struct scenario *sc;
    struct ld_net *net; /* address index (routes.c) */
};

/* Appends one diagnostic (diag.c); file/path/msg are copied. */
void scn_diag_add(struct scn_diags *d, const char *file, int line, int col, const char *path,
                  const char *msg);

/* Path building: push returns the length to pop back to. */
size_t ld_push_key(struct ld *l, const char *key);
size_t ld_push_index(struct ld *l, uint32_t i);
void ld_pop(struct ld *l, size_t mark);

/* An error at the value of `node` (or the document when NULL), at the current path. */
void ld_err(struct ld *l, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same at the key of an object member. */
/* A copy of s; NULL, with an "out of memory" error at node, when there is
 * no memory for it (so a scenario is never made with a name missing). */
char *ld_strdup(struct ld *l, const cJSON *node, const char *s);
void ld_err_key(struct ld *l, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* At a member of `obj`: pushes `key` onto the path for the message. */
void ld_err_at(struct ld *l, const cJSON *node, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Edit distance, and the closest of `names` to `s` if close enough to be a
 * likely typo (NULL if none). */
uint32_t scn_edit_distance(const char *a, const char *b);
const char *scn_closest(const char *s, const char *const *names, uint32_t n);

/* ---- Units (units.c) -------------------------------------------------- */

/* What is wrong with a time, rate or size string, for the message. */
enum scn_unit_status {
    SCN_UNIT_OK,
    SCN_UNIT_SYNTAX,    /* not "<number><unit>" with a known unit */
    SCN_UNIT_NO_UNIT,   /* a number alone: "10" */
    SCN_UNIT_NOT_WHOLE, /* not a whole number of the base unit: "1.5ns" */
    SCN_UNIT_TOO_LARGE, /* over the largest value */
};
enum scn_unit_kind { SCN_UNIT_TIME, SCN_UNIT_RATE, SCN_UNIT_SIZE };

enum scn_unit_status scn_parse_time_status(const char *s, sim_time *out);
enum scn_unit_status scn_parse_rate_status(const char *s, uint64_t *out_bps);
enum scn_unit_status scn_parse_size_status(const char *s, uint64_t *out_bytes);
/* The known unit that the unit of "<number><unit>" differs from only in
 * case ("10MS" -> "ms"), or NULL. */
const char *scn_unit_fix(const char *s, enum scn_unit_kind kind);

/* ---- Typed field readers (fields.c) -------------------------------------
 * Each reads obj[key] if present; returns false when absent or invalid
 * (invalid is reported).  `*present` (when given) tells the two apart. */

/* Reports every member of obj not in `allowed` (NULL-terminated), with a
 * suggestion, and every duplicate member.  False if obj is not an object. */
bool ld_check_object(struct ld *l, const cJSON *obj, const char *what, const char *const *allowed);
bool ld_require(struct ld *l, const cJSON *obj, const char *key);
const cJSON *ld_get(const cJSON *obj, const char *key);

bool ld_string(struct ld *l, const cJSON *obj, const char *key, const char **out);
bool ld_bool(struct ld *l, const cJSON *obj, const char *key, bool *out);
bool ld_uint(struct ld *l, const cJSON *obj, const char *key, uint64_t min, uint64_t max,
             uint64_t *out);
bool ld_uint_node(struct ld *l, const cJSON *n, uint64_t min, uint64_t max, uint64_t *out);
bool ld_time(struct ld *l, const cJSON *obj, const char *key, sim_time *out);
bool ld_time_node(struct ld *l, const cJSON *n, sim_time *out);
bool ld_rate(struct ld *l, const cJSON *obj, const char *key, uint64_t *out);
bool ld_size(struct ld *l, const cJSON *obj, const char *key, uint64_t max, uint64_t *out);
bool ld_size_node(struct ld *l, const cJSON *n, uint64_t max, uint64_t *out);
bool ld_prob(struct ld *l, const cJSON *obj, const char *key, double *out);
bool ld_double(struct ld *l, const cJSON *obj, const char *key, double min, double max,
               double *out);
/* Returns the index of the matching name in `names` or -1 (reported with a suggestion). */
int ld_enum(struct ld *l, const cJSON *obj, const char *key, const char *const *names, uint32_t n);
/* An array member; false when absent; reports a non-array or more than max items. */
bool ld_array(struct ld *l, const cJSON *obj, const char *key, uint32_t max, const char *what,
              const cJSON **arr, uint32_t *n);

/* Sorting names: refs are sorted by (name, index) in place, so duplicates
 * end up next to each other with the first occurrence first; returns the
 * indices in that order (NULL when out of memory). */
struct name_ref {
    const char *name;
    uint32_t i;
};
uint32_t *scn_sort_names(struct name_ref *refs, uint32_t n);
/* A section's name index (scn_sort_names of refs, which it frees), with each
 * duplicate reported at the later one: `duplicate <what> "x" (also
 * <section>[i])` at its `key`, or, when that entry has no `key` (a default
 * name), at the entry with `hint` (if not NULL) after the message. */
uint32_t *ld_index_names(struct ld *l, const cJSON *arr, struct name_ref *refs, uint32_t n,
                         const char *section, const char *key, const char *what, const char *hint);
/* A valid name for a host, link or app: letters, digits, '_', '-', '.', at
 * most 63 characters, and not an IPv4 address.  NULL or what is wrong. */
const char *scn_name_problem(const char *s);

/* Both checks run (each reports its own errors); true when both passed. */
static inline bool both(bool a, bool b)
{
    return a && b;
}

/* Frees hosts, links, apps and faults with everything they own, names
 * included (slim.c); the briefs are scenario_free's. */
void scn_free_records(struct scenario *sc);

char *scn_strdup(const char *s);
void *scn_calloc(size_t n, size_t size);

/* ---- Sections ---------------------------------------------------------- */

/* Link field parsing shared by links, defaults.link and `set` events. */
enum {
    LP_DELAY = 1u << 0,
    LP_JITTER = 1u << 1,
    LP_RATE = 1u << 2,
    LP_QUEUE = 1u << 3,
    LP_MTU = 1u << 4,
    LP_LOSS = 1u << 5,
    LP_DUPLICATE = 1u << 6,
    LP_REORDER = 1u << 7,
    LP_CORRUPT = 1u << 8,
};
extern const char *const ld_link_param_fields[]; /* NULL-terminated */
/* Reads the link fields present in obj into p; returns the mask of fields read. */
uint32_t ld_link_params(struct ld *l, const cJSON *obj, struct link_params *p);
void ld_link_params_apply(struct link_params *dst, const struct link_params *src, uint32_t mask);
/* Applies obj's fields to both directions, then its `a_to_b` / `b_to_a`
 * overrides to each. */
void ld_link_dirs(struct ld *l, const cJSON *obj, struct link_params dir[2]);

void ld_tcp_config(struct ld *l, const cJSON *obj, struct tcp_config *c);

void ld_hosts(struct ld *l, const cJSON *root, const cJSON *defaults);
void ld_links(struct ld *l, const cJSON *root, const cJSON *defaults);
/* Interfaces, auto-addressing and routes; after hosts and links. */
void ld_network(struct ld *l, const cJSON *root);
void ld_apps(struct ld *l, const cJSON *root);
void ld_faults(struct ld *l, const cJSON *root);
void ld_events(struct ld *l, const cJSON *root);
void ld_expects(struct ld *l, const cJSON *root);

/* Each host's connected subnets (subnets.c), sorted by network: host h's
 * are v[first[h]] to v[first[h + 1] - 1]. */
struct scn_subnet {
    uint32_t net, own, peer; /* the subnet, h's address on it, the other end's */
    uint32_t link, peer_host;
    uint8_t prefix_len;
};
struct scn_subnets {
    struct scn_subnet *v;
    uint32_t *first;
};
/* Once every address is assigned and checked (subnets are then disjoint). */
bool scn_subnets_build(struct scn_subnets *s, const struct scenario *sc);
void scn_subnets_free(struct scn_subnets *s);
/* Host h's subnet holding ip, or NULL. */
const struct scn_subnet *scn_subnet_of(const struct scn_subnets *s, uint32_t h, uint32_t ip);

/* Network queries (routes.c), valid once ld_network succeeded. */
/* Hops from host `from` to the host owning `dst`, following the routing
 * tables; -1 when it does not arrive.  *src gets the egress address at `from`. */
int scn_path_hops(const struct ld *l, uint32_t from, uint32_t dst, uint32_t *src);
/* The host owning an address, or UINT32_MAX. */
uint32_t scn_host_of_ip(const struct ld *l, uint32_t ip);
/* Parses "10.0.0.1"; with `prefix`, "10.0.0.0/24" (the prefix required). */
bool scn_parse_ip(const char *s, uint32_t *ip, int *prefix);
/* Resolves a host name or dotted address seen from host `from`: a name gives
 * the host's address nearest to `from` (fewest hops), or its first.  False
 * when it is neither (reported by the caller). */
bool scn_resolve(const struct ld *l, uint32_t from, const char *s, uint32_t *ip, uint32_t *host);
void ld_net_free(struct ld *l);

/* A filter (faults, count expectations): reads proto, tcp_flags, seq, len. */
void ld_filter(struct ld *l, const cJSON *obj, struct frame_filter *f);
extern const char *const ld_filter_fields[];

/* The index of a host/link/app named by obj[key], reported when unknown. */
uint32_t ld_ref_host(struct ld *l, const cJSON *obj, const char *key);
/* "unknown host" with a suggestion, at node n (member `key` of the current path). */
void ld_err_unknown_host(struct ld *l, const cJSON *n, const char *key, const char *name);
uint32_t ld_ref_link(struct ld *l, const cJSON *obj, const char *key);
uint32_t ld_ref_app(struct ld *l, const cJSON *obj, const char *key);
/* A connection name: a tcp_client id, a tcp_server id, or "<server>#k";
 * stores the app index in *app. */
bool ld_ref_conn(struct ld *l, const cJSON *obj, const char *key, uint32_t *app, const char **conn);
/* When apps, events and expectations cannot be loaded (the hosts, links or
 * network did not): reports only their references to names no host, link
 * or app of the file has; those of faults too when `faults` (which were not
 * loaded either). */
void ld_refs_only(struct ld *l, const cJSON *root, bool faults);

#endif
