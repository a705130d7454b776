/* Trace sinks that ship with tcpsim: the JSON Lines writer (with its sha256
 * digest), the pcapng writer, and run statistics.  Each is a trace_sink to add
 * to a bus; the caller owns it and must finish it after the run. */
#ifndef SIM_SINKS_H
#define SIM_SINKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

/* JSON Lines (SPEC §4): one object per event, keys in a fixed order starting
 * with "t" and "ev".  `out` may be NULL when only the digest is wanted.  The
 * digest is the sha256 of exactly the bytes written (or that would be). */
struct jsonl_sink;
struct jsonl_sink *jsonl_sink_create(FILE *out, bool digest);
struct trace_sink *jsonl_sink_base(struct jsonl_sink *j);
/* Formats one event as its JSON line (with '\n') into buf; returns the length
 * (truncated at cap-1 if longer).  The decoder state (relative sequence
 * numbers) lives in the sink. */
size_t jsonl_format(struct jsonl_sink *j, const struct trace_event *e, char *buf, size_t cap);
/* Flushes `out` (it stays open: the caller owns it) and fills `digest` (may be
 * NULL) with "sha256:<64 hex>", or "" when the sink was created without
 * digest.  False if any write failed.  The key order of each kind is listed at
 * the top of sink_jsonl.c. */
bool jsonl_sink_finish(struct jsonl_sink *j, char digest[72]);
void jsonl_sink_destroy(struct jsonl_sink *j);

/* pcapng: a Section Header, one Interface Description per bus interface
 * (LINKTYPE_ETHERNET, if_tsresol = 9: nanoseconds), and an Enhanced Packet
 * Block for each tx (on the sender's interface) and rx (on the receiver's).
 * Writes to a temporary file beside `path` and renames it on success, so an
 * error never leaves a partial capture behind.  Create it after the world is
 * built, so that every interface is described before the first packet (a
 * later interface still gets its block, just before its first packet); the
 * bus must outlive the sink.  NULL (errno set) if the file cannot be made. */
struct pcapng_sink;
struct pcapng_sink *pcapng_sink_create(const char *path, const struct trace_bus *bus);
struct trace_sink *pcapng_sink_base(struct pcapng_sink *p);
/* Completes the file; false (and the file removed) on an I/O error. */
bool pcapng_sink_finish(struct pcapng_sink *p);
void pcapng_sink_destroy(struct pcapng_sink *p); /* removes the temp file if unfinished */

/* Counts for --stats.  Drops are counted by reason in the order reasons are
 * first seen (a drop without a reason counts as "unknown"); drops of a 17th
 * and later distinct reason are counted in drops_other only.  Every drop also
 * counts in `drops`.  Reason names are owned by the sink. */
struct run_stats {
    uint64_t frames_tx, bytes_tx, frames_rx, bytes_rx, drops;
    uint64_t drops_by_reason[16];
    const char *reason_names[16];
    uint32_t n_reasons;
    uint64_t retransmits, state_changes;
    uint64_t tcp_segments_tx; /* frames sent carrying a TCP header (first fragments) */
    uint64_t drops_other;
};
struct stats_sink;
struct stats_sink *stats_sink_create(void);
struct trace_sink *stats_sink_base(struct stats_sink *s);
const struct run_stats *stats_sink_get(const struct stats_sink *s);
void stats_sink_destroy(struct stats_sink *s);
/* Peak resident set size of this process in bytes (from /proc), 0 if unknown. */
uint64_t stats_peak_rss(void);

#endif
