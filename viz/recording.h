/* A recording of one run: every trace event the views need, copied into
 * compact arrays while the run goes, then frozen and read by the ladder
 * writers and the visualizer.  Frame events carry a decoded summary with
 * sequence numbers relative to each direction's ISN (as Wireshark shows
 * them), so views never decode bytes themselves. */
#ifndef VIZ_RECORDING_H
#define VIZ_RECORDING_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/decode.h"
#include "../sim/time.h"
#include "../sim/trace.h"

#define REC_NONE UINT32_MAX /* "no string" / "no host" */

/* What a view needs to know of one frame. */
struct rec_frame {
    uint64_t id;          /* frame id: pairs a tx with its rx or drop */
    enum dec_proto proto; /* innermost layer decoded */
    bool malformed;
    uint8_t flags; /* TCP flags */
    uint32_t rel_seq, rel_ack;
    uint16_t win;
    uint16_t mss;
    int8_t wscale; /* -1 when absent */
    bool sack_perm, ts;
    uint8_t n_sack;
    uint32_t len; /* UDP/TCP payload bytes */
    uint32_t wire_len;
    uint16_t sport, dport;
    uint32_t src, dst; /* IPv4, host byte order */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    uint16_t arp_op;
    uint32_t arp_spa, arp_tpa;
    uint8_t arp_sha[6];
};

/* One direction of a TCP connection and the ISN it started from. */
struct rec_dir {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t isn;
};

struct rec_dirs {
    struct rec_dir *v;
    uint32_t n, cap;
};

/* The values of a `cc` event (congestion window and RTT estimate), kept
 * beside the events so rec_event stays small. */
struct rec_cc {
    uint64_t cwnd, ssthresh; /* bytes */
    sim_time srtt, rttvar, rto;
};

struct rec_event {
    sim_time t;
    enum trace_kind kind;
    uint32_t host; /* string index of the host name, or REC_NONE */
    uint32_t link; /* string index, or REC_NONE */
    uint32_t conn; /* string index, or REC_NONE */
    uint32_t from; /* state events: string indices */
    uint32_t to;
    uint32_t reason; /* drops; also cause/what/timer for other kinds */
    uint32_t frame;  /* index into recording.frames, or REC_NONE */
    uint32_t cc;     /* cc events: index into recording.ccs, or REC_NONE */
    bool dup;
};

struct recording {
    struct trace_sink sink; /* add to the simulation's trace bus before the run */
    struct rec_event *events;
    uint32_t n_events, cap_events;
    struct rec_frame *frames;
    uint32_t n_frames, cap_frames;
    struct rec_cc *ccs; /* one per cc event, in event order */
    uint32_t n_ccs, cap_ccs;
    char **strings; /* interned, index order = first appearance */
    uint32_t n_strings, cap_strings;
    struct rec_dirs dirs; /* ISN of each TCP direction seen */
    bool frozen;
    bool oom; /* an allocation failed: the recording is incomplete */
};

void recording_init(struct recording *r);
void recording_destroy(struct recording *r);
/* Stops recording: later events are ignored. */
void recording_freeze(struct recording *r);
/* Records one event directly (the sink does this for each event). */
void recording_add(struct recording *r, const struct trace_event *e);

/* The string with index i, or "" for REC_NONE. Owned by the recording. */
const char *recording_str(const struct recording *r, uint32_t i);
/* The index of an interned string, or REC_NONE when it never appeared. */
uint32_t recording_find_str(const struct recording *r, const char *s);
const struct rec_event *recording_event(const struct recording *r, uint32_t i);
/* The frame summary of event e, or NULL when it has no frame. */
const struct rec_frame *recording_frame_of(const struct recording *r, const struct rec_event *e);
/* The cc values of event e, or NULL when it is not a cc event. */
const struct rec_cc *recording_cc_of(const struct recording *r, const struct rec_event *e);
/* The values of the last cc event of connection `conn` (string index) among
 * events [0, upto), or NULL when there is none. */
const struct rec_cc *recording_last_cc(const struct recording *r, uint32_t conn, uint32_t upto);
/* Index of the first event at or after time t (n_events when none). */
uint32_t recording_seek_time(const struct recording *r, sim_time t);
/* Index of the first event after event i that belongs to the same frame with
 * kind rx or drop, or REC_NONE. */
uint32_t recording_frame_end(const struct recording *r, uint32_t i);

#endif
