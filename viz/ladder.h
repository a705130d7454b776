/* Sequence (ladder) diagrams of a recorded run: one column per host, time
 * flowing down, one arrow per frame from its sender to its receiver.
 *
 * Text uses ASCII by default (stable for golden files); `unicode` switches to
 * box-drawing characters.  Labels read like a capture tool's info column:
 * "SYN seq=0 win=65535 mss=1460 ws=7 sack_perm ts", relative seq/ack. */
#ifndef VIZ_LADDER_H
#define VIZ_LADDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/time.h"
#include "recording.h"
#include "world.h"

struct ladder_opts {
    const char *const *hosts; /* columns to show, in this order; NULL = auto */
    uint32_t n_hosts;
    const char *conn;  /* only this connection's frames and states; NULL = all */
    sim_time from, to; /* window; to == 0 means to the end */
    uint32_t width;    /* text columns; 0 = 80 */
    bool color;        /* ANSI colours (caller decides: TTY and no NO_COLOR) */
    bool unicode;      /* box-drawing arrows instead of ASCII */
};

/* The label of a frame, e.g. "SYN,ACK seq=0 ack=1 win=65535 mss=1460". */
const char *ladder_frame_label(const struct rec_frame *f, char *buf, size_t size);

/* Each returns 0, or -1 when writing failed. */
int ladder_write_text(const struct recording *r, const struct world_desc *w,
                      const struct ladder_opts *o, FILE *out);
int ladder_write_mermaid(const struct recording *r, const struct world_desc *w,
                         const struct ladder_opts *o, FILE *out);
int ladder_write_svg(const struct recording *r, const struct world_desc *w,
                     const struct ladder_opts *o, FILE *out);

#endif
