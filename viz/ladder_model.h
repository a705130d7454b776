/* The rows of a ladder diagram, shared by the text, Mermaid and SVG writers:
 * columns chosen, frames paired with their arrival or loss, filters applied. */
#ifndef VIZ_LADDER_MODEL_H
#define VIZ_LADDER_MODEL_H

#include "ladder.h"

#define LADDER_MAX_COLS 32

enum ladder_row_kind { LROW_FRAME, LROW_STATE, LROW_LINK };

struct ladder_row {
    enum ladder_row_kind kind;
    sim_time t;     /* tx time, or the time of the state/link event */
    sim_time t_end; /* arrival or loss time (frames) */
    int from, to;   /* columns; `to` may be -1 when the receiver is unknown */
    bool lost;
    const struct rec_frame *frame;
    const char *text; /* state name, or what happened to a link */
    const char *link; /* link rows: the link's name */
};

struct ladder_model {
    const char *cols[LADDER_MAX_COLS];
    uint32_t n_cols;
    struct ladder_row *rows;
    uint32_t n_rows;
};

/* Builds the model; false when out of memory.  Free with ladder_model_free. */
bool ladder_model_build(const struct recording *r, const struct world_desc *w,
                        const struct ladder_opts *o, struct ladder_model *m);
void ladder_model_free(struct ladder_model *m);

#endif
