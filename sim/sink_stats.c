/* Run statistics for --stats: frames and bytes sent and received, drops by
 * reason, retransmissions and state changes, counted from the trace bus. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "sinks.h"

#define MAX_REASONS 16

struct stats_sink {
    struct trace_sink base; /* first: the bus hands us this pointer */
    struct run_stats st;
    char *names[MAX_REASONS]; /* owned copies behind st.reason_names */
};

/* Index of the reason's counter, adding it in first-seen order; -1 when the
 * table is full (or the copy cannot be made). */
static int reason_slot(struct stats_sink *s, const char *reason)
{
    for (uint32_t i = 0; i < s->st.n_reasons; i++)
        if (strcmp(s->names[i], reason) == 0)
            return (int)i;
    if (s->st.n_reasons == MAX_REASONS)
        return -1;
    char *copy = strdup(reason);
    if (!copy)
        return -1;
    uint32_t i = s->st.n_reasons++;
    s->names[i] = copy;
    s->st.reason_names[i] = copy;
    return (int)i;
}

static void count_drop(struct stats_sink *s, const struct trace_event *e)
{
    s->st.drops++;
    int i = reason_slot(s, e->reason ? e->reason : "unknown");
    if (i < 0)
        s->st.drops_other++;
    else
        s->st.drops_by_reason[i]++;
}

/* An IPv4 frame with protocol 6 and fragment offset 0: a TCP segment.  Read
 * straight from the header bytes, so counting costs no decoding. */
static bool is_tcp_segment(const struct frame *f)
{
    const uint8_t *p = f->data;
    return f->len >= FRAME_ETH_HLEN + 20 && p[12] == 0x08 && p[13] == 0x00 &&
           p[FRAME_ETH_HLEN + 9] == 6 &&
           ((p[FRAME_ETH_HLEN + 6] & 0x1f) | p[FRAME_ETH_HLEN + 7]) == 0;
}

static void on_event(struct trace_sink *sink, const struct trace_event *e)
{
    struct stats_sink *s = (struct stats_sink *)sink;
    switch (e->kind) {
    case TRACE_TX:
        if (e->frame) {
            s->st.frames_tx++;
            s->st.bytes_tx += e->frame->len;
            s->st.tcp_segments_tx += is_tcp_segment(e->frame);
        }
        break;
    case TRACE_RX:
        if (e->frame) {
            s->st.frames_rx++;
            s->st.bytes_rx += e->frame->len;
        }
        break;
    case TRACE_DROP:
        count_drop(s, e);
        break;
    case TRACE_RETX:
        s->st.retransmits++;
        break;
    case TRACE_STATE:
        s->st.state_changes++;
        break;
    default:
        break;
    }
}

struct stats_sink *stats_sink_create(void)
{
    struct stats_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.event = on_event;
    s->base.mask = TRACE_MASK_FRAMES | TRACE_MASK(TRACE_RETX) | TRACE_MASK(TRACE_STATE);
    return s;
}

struct trace_sink *stats_sink_base(struct stats_sink *s)
{
    return &s->base;
}

const struct run_stats *stats_sink_get(const struct stats_sink *s)
{
    return &s->st;
}

void stats_sink_destroy(struct stats_sink *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->st.n_reasons; i++)
        free(s->names[i]);
    free(s);
}

/* VmHWM ("high water mark") in /proc/self/status is the peak resident set,
 * in kB. */
uint64_t stats_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtoull(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb * 1024;
}
