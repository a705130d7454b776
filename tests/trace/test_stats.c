/* Statistics sink: frames and bytes per direction, drops by reason in
 * first-seen order, retransmissions, state changes, peak memory. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "sim/sinks.h"
#include "trace_fixture.h"

static struct frame_pool pool;
static struct trace_bus bus;
static struct stats_sink *st;

static void setup(void)
{
    frame_pool_init(&pool);
    trace_bus_init(&bus);
    st = stats_sink_create();
    cr_assert_not_null(st);
    trace_bus_add_sink(&bus, stats_sink_base(st));
}

static void teardown(void)
{
    stats_sink_destroy(st);
    trace_bus_destroy(&bus);
    frame_pool_destroy(&pool);
}

TestSuite(stats, .init = setup, .fini = teardown);

static void emit(enum trace_kind k, const struct frame *f, const char *reason)
{
    trace_emit(&bus, &(struct trace_event){.kind = k, .frame = f, .reason = reason});
}

static void drop(const char *reason)
{
    emit(TRACE_DROP, NULL, reason);
}

Test(stats, frames_and_bytes_per_direction)
{
    struct frame *syn = fx_syn(&pool, 1);     /* 74 bytes */
    struct frame *udp = fx_udp(&pool, 2, 10); /* 52 bytes */
    emit(TRACE_TX, syn, NULL);
    emit(TRACE_TX, udp, NULL);
    emit(TRACE_RX, syn, NULL);
    const struct run_stats *s = stats_sink_get(st);
    cr_assert_eq(s->frames_tx, 2);
    cr_assert_eq(s->bytes_tx, 74 + 52);
    cr_assert_eq(s->frames_rx, 1);
    cr_assert_eq(s->bytes_rx, 74);
    cr_assert_eq(s->drops, 0);
    frame_free(&pool, syn);
    frame_free(&pool, udp);
}

Test(stats, drops_counted_by_reason_in_first_seen_order)
{
    drop("queue");
    drop("loss");
    drop("queue");
    drop(NULL);
    const struct run_stats *s = stats_sink_get(st);
    cr_assert_eq(s->drops, 4);
    cr_assert_eq(s->n_reasons, 3);
    cr_assert_str_eq(s->reason_names[0], "queue");
    cr_assert_eq(s->drops_by_reason[0], 2);
    cr_assert_str_eq(s->reason_names[1], "loss");
    cr_assert_eq(s->drops_by_reason[1], 1);
    cr_assert_str_eq(s->reason_names[2], "unknown");
    cr_assert_eq(s->drops_by_reason[2], 1);
}

Test(stats, reason_names_are_copies)
{
    char reason[16] = "ttl";
    drop(reason);
    strcpy(reason, "zzz");
    cr_assert_str_eq(stats_sink_get(st)->reason_names[0], "ttl");
}

Test(stats, reasons_beyond_sixteen_counted_as_other)
{
    char name[16];
    for (int i = 0; i < 18; i++) {
        snprintf(name, sizeof name, "r%d", i);
        drop(name);
    }
    drop("r0");
    drop("r17");
    const struct run_stats *s = stats_sink_get(st);
    cr_assert_eq(s->drops, 20);
    cr_assert_eq(s->n_reasons, 16);
    cr_assert_str_eq(s->reason_names[15], "r15");
    cr_assert_eq(s->drops_by_reason[0], 2);
    cr_assert_eq(s->drops_other, 3);
}

Test(stats, retransmits_and_state_changes)
{
    emit(TRACE_RETX, NULL, NULL);
    emit(TRACE_RETX, NULL, NULL);
    emit(TRACE_STATE, NULL, NULL);
    emit(TRACE_APP, NULL, NULL);
    const struct run_stats *s = stats_sink_get(st);
    cr_assert_eq(s->retransmits, 2);
    cr_assert_eq(s->state_changes, 1);
}

Test(stats, mask_leaves_out_unused_kinds)
{
    cr_assert_not(trace_on(&bus, TRACE_APP));
    cr_assert_not(trace_on(&bus, TRACE_CC));
    cr_assert(trace_on(&bus, TRACE_DROP));
}

Test(stats, peak_rss_grows_with_touched_memory)
{
    uint64_t before = stats_peak_rss();
    cr_assert_gt(before, 0);
    size_t n = 64u << 20;
    volatile char *p = malloc(n);
    cr_assert_not_null(p);
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
    cr_assert_geq(stats_peak_rss(), before + n / 2);
    free((void *)p);
}

/* TCP segments sent are counted from the header bytes: not UDP, not ARP,
 * not a fragment past the first, and never a received frame. */
Test(stats, tcp_segments_sent_counted)
{
    struct frame *syn = fx_syn(&pool, 1);
    struct frame *udp = fx_udp(&pool, 2, 10);
    struct frame *arp = fx_arp_request(&pool, 3);
    struct frame *frag = fx_fragment(&pool, 4, 1480, false);
    frag->data[14 + 9] = 6; /* a later fragment of a TCP segment */
    emit(TRACE_TX, syn, NULL);
    emit(TRACE_TX, udp, NULL);
    emit(TRACE_TX, arp, NULL);
    emit(TRACE_TX, frag, NULL);
    emit(TRACE_RX, syn, NULL);
    cr_assert_eq(stats_sink_get(st)->tcp_segments_tx, 1);
    frame_free(&pool, syn);
    frame_free(&pool, udp);
    frame_free(&pool, arp);
    frame_free(&pool, frag);
}
