/* The recording's cc values and the details panel's text. */
#include <criterion/criterion.h>
#include <string.h>

#include "viz/ladder.h"
#include "viz/viz_details.h"
#include "viz_fixture.h"

static struct recording rec;
static struct scene scene;

/* The handshake, cc events of c1 at 20 and 35 ms, a data segment at 40 ms
 * that is lost at 45 ms. */
static void setup(void)
{
    recording_init(&rec);
    fx_handshake(&rec);
    fx_cc(&rec, 20 * SIM_MS, "client", "c1", 14600, 0x7fffffff, 20 * SIM_MS, 220 * SIM_MS);
    fx_cc(&rec, 35 * SIM_MS, "client", "c1", 29200, 20000, 21 * SIM_MS, 230 * SIM_MS);
    fx_send(&rec, 40 * SIM_MS, "client", NULL,
            C2S(.seq = 1001, .ack = 5001, .flags = 0x18, .win = 512, .len = 100));
    recording_freeze(&rec);
    memset(&scene, 0, sizeof scene);
}

static void teardown(void)
{
    scene_free(&scene);
    recording_destroy(&rec);
}

TestSuite(viz_details, .init = setup, .fini = teardown);

/* Index of the n-th (0-based) event of kind k. */
static uint32_t nth_event(enum trace_kind k, int n)
{
    for (uint32_t i = 0; i < rec.n_events; i++)
        if (rec.events[i].kind == k && n-- == 0)
            return i;
    cr_assert_fail("no event %d of kind %d", n, k);
    return REC_NONE;
}

static bool has_line(const struct viz_details *d, const char *want)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (strcmp(d->line[i], want) == 0)
            return true;
    return false;
}

static bool has_substr(const struct viz_details *d, const char *want)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (strstr(d->line[i], want))
            return true;
    return false;
}

Test(viz_details, recording_keeps_cc_values)
{
    const struct rec_cc *cc = recording_cc_of(&rec, recording_event(&rec, nth_event(TRACE_CC, 1)));
    cr_assert_not_null(cc);
    cr_expect_eq(cc->cwnd, 29200);
    cr_expect_eq(cc->ssthresh, 20000);
    cr_expect_eq(cc->srtt, 21 * SIM_MS);
    cr_expect_eq(cc->rttvar, 21 * SIM_MS / 2);
    cr_expect_eq(cc->rto, 230 * SIM_MS);
    cr_expect_eq(rec.n_ccs, 2);
}

Test(viz_details, other_kinds_have_no_cc_values)
{
    const struct rec_event *tx = recording_event(&rec, nth_event(TRACE_TX, 0));
    cr_expect_eq(tx->cc, REC_NONE);
    cr_expect_null(recording_cc_of(&rec, tx));
    cr_expect_not_null(recording_frame_of(&rec, tx), "frame events keep their frame");
}

Test(viz_details, rec_event_stays_compact)
{
    cr_expect_leq(sizeof(struct rec_event), 48);
}

Test(viz_details, last_cc_is_the_latest_before_upto)
{
    uint32_t c1 = recording_find_str(&rec, "c1");
    uint32_t second = nth_event(TRACE_CC, 1);
    cr_expect_eq(recording_last_cc(&rec, c1, second)->cwnd, 14600);
    cr_expect_eq(recording_last_cc(&rec, c1, second + 1)->cwnd, 29200);
    cr_expect_null(recording_last_cc(&rec, c1, nth_event(TRACE_CC, 0)));
    cr_expect_null(recording_last_cc(&rec, recording_find_str(&rec, "srv#1"), rec.n_events));
}

Test(viz_details, packet_shows_label_addresses_and_times)
{
    struct viz_details d;
    uint32_t syn = nth_event(TRACE_TX, 0);
    viz_details_packet(&rec, syn, 5 * SIM_MS, VIZ_LANG_EN, &d);
    char label[160];
    ladder_frame_label(recording_frame_of(&rec, &rec.events[syn]), label, sizeof label);
    cr_expect_str_eq(d.line[0], label);
    cr_expect(has_line(&d, "10.0.0.1:40000 -> 10.0.0.2:80"), "no addresses: %s", d.line[1]);
    cr_expect(has_line(&d, "58 bytes on the wire, 0 of payload"));
    cr_expect(has_line(&d, "sent by client on l1 at 0.000 ms"));
    cr_expect(has_line(&d, "arrives at server 10.000 ms"));
}

Test(viz_details, packet_arrival_in_past_tense_once_arrived)
{
    struct viz_details d;
    viz_details_packet(&rec, nth_event(TRACE_TX, 0), 12 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_line(&d, "arrived at server 10.000 ms"));
}

Test(viz_details, lost_packet_says_where_and_why)
{
    struct viz_details d;
    viz_details_packet(&rec, nth_event(TRACE_TX, 3), 46 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_line(&d, "lost at 45.000 ms (loss)"));
    cr_expect(has_line(&d, "154 bytes on the wire, 100 of payload"));
}

Test(viz_details, host_shows_addresses_and_connection_state)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 32 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 1, 32 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect_str_eq(d.line[0], "server");
    cr_expect(has_line(&d, "10.0.0.2/24"));
    cr_expect(has_line(&d, "srv#1: ESTABLISHED"));
    cr_expect_not(has_substr(&d, "c1"), "another host's connection listed");
}

Test(viz_details, host_shows_cc_values_at_the_viewed_time)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 30 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 30 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_line(&d, "c1: ESTABLISHED"));
    cr_expect(has_substr(&d, "cwnd 14600  ssthresh -  srtt 20.000 ms  rto 220.000 ms"), "got: %s",
              d.n > 3 ? d.line[3] : "");
    scene_at(&rec, &fx_world, 36 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 36 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_substr(&d, "cwnd 29200  ssthresh 20000  srtt 21.000 ms  rto 230.000 ms"));
}

Test(viz_details, host_shows_window_of_its_last_frame_sent)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 30 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 30 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_substr(&d, "win 512"), "the ACK at 20 ms advertised 512");
    scene_at(&rec, &fx_world, 5 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 5 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_substr(&d, "win 65535"), "the SYN advertised 65535");
}

Test(viz_details, host_without_connections_lists_only_addresses)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 30 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 2, 30 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect_eq(d.n, 2);
    cr_expect_str_eq(d.line[1], "10.0.0.3/24");
}

/* --lang ko: the panel's words in Korean; numbers, units, state names and
 * the ladder label stay as they are. */

Test(viz_details, host_cc_labels_in_korean)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 30 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 30 * SIM_MS, VIZ_LANG_KO, &d);
    cr_expect(has_line(&d, "c1: ESTABLISHED"));
    cr_expect(has_line(&d, "  혼잡 윈도 14600  임계값 -  평활 RTT 20.000 ms  재전송 타임아웃 "
                           "220.000 ms  수신 윈도 512"),
              "got: %s", d.n > 3 ? d.line[3] : "");
    cr_expect_not(has_substr(&d, "cwnd"));
}

Test(viz_details, host_cc_labels_in_english)
{
    struct viz_details d;
    scene_at(&rec, &fx_world, 30 * SIM_MS, &scene);
    viz_details_host(&rec, &fx_world, &scene, 0, 30 * SIM_MS, VIZ_LANG_EN, &d);
    cr_expect(has_line(&d, "  cwnd 14600  ssthresh -  srtt 20.000 ms  rto 220.000 ms  win 512"),
              "got: %s", d.n > 3 ? d.line[3] : "");
    cr_expect_not(has_substr(&d, "혼잡"));
}

Test(viz_details, packet_labels_in_korean)
{
    struct viz_details d;
    viz_details_packet(&rec, nth_event(TRACE_TX, 0), 5 * SIM_MS, VIZ_LANG_KO, &d);
    cr_expect(has_line(&d, "10.0.0.1:40000 -> 10.0.0.2:80"));
    cr_expect(has_line(&d, "회선 58바이트, 페이로드 0바이트"));
    cr_expect(has_line(&d, "보낸 호스트 client, 링크 l1, 시각 0.000 ms"));
    cr_expect(has_line(&d, "server에 도착 예정, 10.000 ms"));
    viz_details_packet(&rec, nth_event(TRACE_TX, 0), 12 * SIM_MS, VIZ_LANG_KO, &d);
    cr_expect(has_line(&d, "server에 도착, 10.000 ms"));
}

Test(viz_details, lost_packet_in_korean)
{
    struct viz_details d;
    viz_details_packet(&rec, nth_event(TRACE_TX, 3), 42 * SIM_MS, VIZ_LANG_KO, &d);
    cr_expect(has_line(&d, "45.000 ms에 손실될 예정 (loss)"));
    viz_details_packet(&rec, nth_event(TRACE_TX, 3), 46 * SIM_MS, VIZ_LANG_KO, &d);
    cr_expect(has_line(&d, "45.000 ms에 손실 (loss)"));
}
