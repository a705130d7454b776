/* Recording trace events into flat arrays for the views. */
#include "recording.h"

#include <stdlib.h>
#include <string.h>

#include "../sim/frame.h"
#include "rec_decode.h"

static void recording_sink_event(struct trace_sink *s, const struct trace_event *e)
{
    struct recording *r = (struct recording *)((char *)s - offsetof(struct recording, sink));
    recording_add(r, e);
}

void recording_init(struct recording *r)
{
    memset(r, 0, sizeof *r);
    r->sink.event = recording_sink_event;
    r->sink.mask = TRACE_MASK_ALL;
}

void recording_destroy(struct recording *r)
{
    for (uint32_t i = 0; i < r->n_strings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r->events);
    free(r->frames);
    free(r->ccs);
    rec_dirs_free(&r->dirs);
    memset(r, 0, sizeof *r);
}

void recording_freeze(struct recording *r)
{
    r->frozen = true;
}

/* Grows an array to hold one more element; false when out of memory. */
static bool recording_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap)
        return true;
    uint32_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

uint32_t recording_find_str(const struct recording *r, const char *s)
{
    if (!s)
        return REC_NONE;
    for (uint32_t i = 0; i < r->n_strings; i++)
        if (strcmp(r->strings[i], s) == 0)
            return i;
    return REC_NONE;
}

static uint32_t recording_intern(struct recording *r, const char *s)
{
    if (!s)
        return REC_NONE;
    uint32_t i = recording_find_str(r, s);
    if (i != REC_NONE)
        return i;
    if (!recording_grow((void **)&r->strings, &r->cap_strings, r->n_strings, sizeof(char *)))
        goto oom;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (!copy)
        goto oom;
    memcpy(copy, s, n);
    r->strings[r->n_strings] = copy;
    return r->n_strings++;
oom:
    r->oom = true;
    return REC_NONE;
}

static void recording_fill_frame(struct recording *r, const struct frame *fr, struct rec_frame *out)
{
    rec_decode(fr->data, fr->len, out);
    out->id = fr->id;
    if (out->proto == DEC_TCP && !rec_dirs_relativize(&r->dirs, out, out->rel_seq, out->rel_ack))
        r->oom = true;
}

/* The recording's frame index for e's frame: a tx makes a new one (relative
 * sequence numbers advance once per frame on the wire); rx and drop reuse
 * the latest with the same id. */
static uint32_t recording_frame_index(struct recording *r, const struct trace_event *e)
{
    if (!e->frame)
        return REC_NONE;
    if (e->kind != TRACE_TX) {
        for (uint32_t i = r->n_frames; i-- > 0;)
            if (r->frames[i].id == e->frame->id)
                return i;
    }
    if (!recording_grow((void **)&r->frames, &r->cap_frames, r->n_frames, sizeof *r->frames)) {
        r->oom = true;
        return REC_NONE;
    }
    recording_fill_frame(r, e->frame, &r->frames[r->n_frames]);
    return r->n_frames++;
}

/* A cc event's values go to the side array; other kinds have none. */
static uint32_t recording_cc_index(struct recording *r, const struct trace_event *e)
{
    if (e->kind != TRACE_CC)
        return REC_NONE;
    if (!recording_grow((void **)&r->ccs, &r->cap_ccs, r->n_ccs, sizeof *r->ccs)) {
        r->oom = true;
        return REC_NONE;
    }
    r->ccs[r->n_ccs] = (struct rec_cc){.cwnd = e->cwnd,
                                       .ssthresh = e->ssthresh,
                                       .srtt = e->srtt,
                                       .rttvar = e->rttvar,
                                       .rto = e->rto};
    return r->n_ccs++;
}

static const char *recording_reason_of(const struct trace_event *e)
{
    if (e->reason)
        return e->reason;
    if (e->cause)
        return e->cause;
    if (e->what)
        return e->what;
    return e->timer;
}

void recording_add(struct recording *r, const struct trace_event *e)
{
    if (r->frozen)
        return;
    if (!recording_grow((void **)&r->events, &r->cap_events, r->n_events, sizeof *r->events)) {
        r->oom = true;
        return;
    }
    struct rec_event ev = {
        .t = e->t,
        .kind = e->kind,
        .host = recording_intern(r, e->host),
        .link = recording_intern(r, e->link),
        .conn = recording_intern(r, e->conn),
        .from = recording_intern(r, e->from),
        .to = recording_intern(r, e->to),
        .reason = recording_intern(r, recording_reason_of(e)),
        .frame = recording_frame_index(r, e),
        .cc = recording_cc_index(r, e),
        .dup = e->dup,
    };
    r->events[r->n_events++] = ev;
}

const char *recording_str(const struct recording *r, uint32_t i)
{
    return i < r->n_strings ? r->strings[i] : "";
}

const struct rec_event *recording_event(const struct recording *r, uint32_t i)
{
    return i < r->n_events ? &r->events[i] : NULL;
}

const struct rec_frame *recording_frame_of(const struct recording *r, const struct rec_event *e)
{
    return e && e->frame < r->n_frames ? &r->frames[e->frame] : NULL;
}

const struct rec_cc *recording_cc_of(const struct recording *r, const struct rec_event *e)
{
    return e && e->kind == TRACE_CC && e->cc < r->n_ccs ? &r->ccs[e->cc] : NULL;
}

const struct rec_cc *recording_last_cc(const struct recording *r, uint32_t conn, uint32_t upto)
{
    if (conn == REC_NONE)
        return NULL;
    for (uint32_t i = upto < r->n_events ? upto : r->n_events; i-- > 0;)
        if (r->events[i].kind == TRACE_CC && r->events[i].conn == conn)
            return recording_cc_of(r, &r->events[i]);
    return NULL;
}

uint32_t recording_seek_time(const struct recording *r, sim_time t)
{
    uint32_t lo = 0, hi = r->n_events;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->events[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t recording_frame_end(const struct recording *r, uint32_t i)
{
    if (i >= r->n_events || r->events[i].frame == REC_NONE)
        return REC_NONE;
    uint32_t f = r->events[i].frame;
    for (uint32_t j = i + 1; j < r->n_events; j++) {
        const struct rec_event *e = &r->events[j];
        if (e->frame == f && (e->kind == TRACE_RX || e->kind == TRACE_DROP))
            return j;
    }
    return REC_NONE;
}
