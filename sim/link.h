/* Point-to-point, full-duplex links with per-direction impairments.
 *
 * A frame handed to a direction is traced (tx), checked against the direction's
 * targeted faults, queued behind earlier frames (drop-tail, in packets), then
 * serialized at `rate` and propagated for `delay` (+ jitter).  Random loss,
 * duplication, reordering and corruption are drawn from the direction's own PRNG
 * stream, seeded from (scenario seed, "link:<name>:<a>><b>"), so they do not
 * depend on any other object.  Lost frames are reported where they would have
 * arrived (reason `loss`); corrupted frames are delivered with flipped bits for
 * the receiver's checksums to catch.
 *
 * Details users see in traces:
 * - Drops decided by the link (reasons `fault`, `queue`, `mtu`, `link_down`)
 *   are reported at the link (event `link` set, `host` NULL) when they happen;
 *   frames on the wire when the link goes down are dropped at that moment.
 *   Random loss (`loss`) and non-IPv4 frames chosen for corruption (`checksum`,
 *   as an Ethernet FCS would catch them) are reported at the receiving
 *   interface at the time the frame would have arrived.
 * - A duplicate is a byte-identical copy with the same frame id; its rx event
 *   has `dup` set and comes right after the original's.
 * - `reorder` holds a frame back until the next frame on the direction has
 *   arrived (at most max(delay, 1 ms) longer), so exactly that one overtakes it.
 * - `rate` serializes the stored bytes (Ethernet header and payload, no
 *   preamble, FCS or gap), rounded up to whole nanoseconds.
 * - Random draws per frame, in this order: loss (Gilbert-Elliott: state
 *   transition, then the loss of the state), duplicate, corrupt, reorder,
 *   jitter, then the corrupted bit.  A lost frame draws nothing more; a
 *   targeted fault draws nothing but the bit a `corrupt` fault flips.
 * - Fault filters on `seq` use relative numbers learned from the frames offered
 *   to the direction since its first fault was added.
 * The link must be destroyed before its simulation. */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "frame.h"
#include "port.h"
#include "rng.h"
#include "time.h"
#include "timer.h"

struct sim;

enum link_loss_model { LINK_LOSS_BERNOULLI, LINK_LOSS_GILBERT };

/* Gilbert-Elliott: two states; p = P(good->bad), r = P(bad->good), evaluated
 * once per frame before the loss draw of the current state. */
struct link_gilbert {
    double p, r, loss_good, loss_bad;
};

struct link_params {
    sim_time delay;
    sim_time jitter;   /* uniform extra delay in [0, jitter]; FIFO kept unless reordering */
    uint64_t rate_bps; /* 0 = no serialization delay */
    uint32_t queue;    /* frames waiting behind the one being sent; 0 = unlimited */
    uint32_t mtu;      /* largest IP packet (Ethernet payload) */
    enum link_loss_model loss_model;
    double loss; /* Bernoulli loss probability */
    struct link_gilbert gilbert;
    double duplicate; /* probability a frame is delivered twice */
    double reorder;   /* probability a frame is held back and overtaken */
    double corrupt;   /* probability one bit of the IP packet is flipped */
};

void link_params_default(struct link_params *p); /* 1 ms, no rate limit, queue 1000, mtu 1500 */

enum link_fault_action {
    LINK_FAULT_DROP,
    LINK_FAULT_DELAY,
    LINK_FAULT_DUPLICATE,
    LINK_FAULT_CORRUPT
};

struct link_fault {
    enum link_fault_action action;
    struct frame_filter filter;
    uint32_t nth;     /* 1-based: act on the nth matching frame only; 0 = every match */
    sim_time delay;   /* LINK_FAULT_DELAY: extra delay */
    uint64_t matched; /* frames offered to the direction that matched the filter */
    struct link_fault *next;
};

struct link_counters {
    uint64_t tx_frames, tx_bytes, delivered, drop_loss, drop_queue, drop_fault, drop_down,
        duplicated, reordered, corrupted;
    uint64_t drop_mtu;      /* larger than the link MTU + Ethernet header */
    uint64_t drop_checksum; /* non-IPv4 frames chosen for corruption (an FCS would catch them) */
};

/* What the targeted faults decided for a frame waiting for the transmitter;
 * kept only for frames where they decided something. */
struct link_pending {
    const struct frame *frame;
    sim_time extra; /* LINK_FAULT_DELAY */
    bool dup, corrupt;
};

/* A direction's random draws: its PRNG stream and the thresholds of its
 * impairments.  Seeded once the direction has an impairment, jitter or a
 * fault that corrupts (most links never do), and kept from then on: nothing
 * is drawn before, so the stream is the same as if it had always been there. */
struct link_random {
    struct rng rng;
    rng_prob loss_thr, dup_thr, reorder_thr, corrupt_thr, ge_p, ge_r, ge_loss_good, ge_loss_bad;
    sim_time jitter;
    enum link_loss_model loss_model;
    bool ge_bad;
};

/* What a direction with faults keeps to apply them. */
struct link_fault_state {
    struct seqrel seqrel; /* for fault filters on relative sequence numbers */
    /* Fault decisions of the queued frames, in queue order (a ring). */
    struct link_pending *pend;
    uint32_t pend_head, pend_len, pend_cap;
};

/* What only some directions need: allocated the first time a direction gets
 * an impairment, jitter, a fault, or something rare to count (a drop at the
 * link, a duplicate...).  Most links in a big world never do. */
struct link_dir_extra {
    struct link_random rnd; /* valid when `seeded` */
    struct link_fault *faults;
    struct link_fault_state fs;
    struct frame *held; /* a frame held back by `reorder` until the next one arrives */
    /* Counters other than tx_frames, tx_bytes and delivered (kept in the direction). */
    struct link_counters c;
    bool seeded;
};

struct link;

/* Fields ordered by size: a world may hold tens of thousands of links, and a
 * direction that only carries frames needs no more than this. */
struct link_dir {
    struct link *link;
    struct port *from;        /* the sender; the receiver is the other direction's `from` */
    struct link_dir_extra *x; /* NULL until needed */
    /* Frames on the wire (arrival or loss pending), linked through `next` in send order. */
    struct frame *flight_head, *flight_tail;
    /* On the transmitter now; its own timer marks the end of its serialization. */
    struct frame *sending;
    struct frame_queue queue; /* waiting for the transmitter */
    /* The parameters in force (link_params); jitter and loss in `x`. */
    sim_time delay;
    uint64_t rate_bps;
    sim_time last_arrival; /* keeps FIFO order under jitter */
    uint64_t tx_frames, tx_bytes, delivered;
    uint32_t queue_max;
    uint16_t mtu; /* <= FRAME_MAX_MTU */
    uint8_t side; /* 0: a->b, 1: b->a */
};

struct link {
    struct sim *sim;
    bool up;
    struct link_dir dir[2];
    /* The link's name, then both directions' trace names ("a>b", "b>a"). */
    char name[];
};

/* Creates a link between ports a and b, both with the same parameters; sets
 * their `tx`, `link` and `mtu`.  NULL on allocation failure. */
struct link *link_create(struct sim *s, const char *name, struct port *a, struct port *b,
                         const struct link_params *p);
void link_destroy(struct link *l);

/* Changes one direction's parameters (side 0: a->b); frames already queued keep
 * their place.  Reported on the trace bus (kind link). */
void link_set_params(struct link *l, int side, const struct link_params *p);
/* Down: queued frames and frames in flight are dropped (reason link_down), and
 * so is everything offered until it comes up again. */
void link_set_up(struct link *l, bool up);
/* Adds a fault to one direction (side 0: frames sent by a). The link owns it. */
void link_add_fault(struct link *l, int side, const struct link_fault *f);

/* The direction from the given port, or NULL. */
struct link_dir *link_dir_from(struct link *l, const struct port *from);
/* The name of one direction in traces and seeds: "a>b" for side 0. */
const char *link_dir_name(const struct link *l, int side);
/* All counters of one direction. */
void link_counters_get(const struct link *l, int side, struct link_counters *out);

#endif
