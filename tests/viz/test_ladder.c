/* Ladder diagrams (text, Mermaid, SVG) and the recording they read. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz/ladder.h"
#include "viz_fixture.h"

static struct recording rec;

static void rec_setup(void)
{
    recording_init(&rec);
}

static void rec_teardown(void)
{
    recording_destroy(&rec);
}

TestSuite(ladder, .init = rec_setup, .fini = rec_teardown);

typedef int (*ladder_writer)(const struct recording *, const struct world_desc *,
                             const struct ladder_opts *, FILE *);

/* Runs a writer into a string the caller frees. */
static char *render(ladder_writer w, const struct ladder_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(w(&rec, &fx_world, o, f), 0);
    fclose(f);
    return buf;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Compares against tests/viz/golden/NAME; VIZ_UPDATE_GOLDEN=1 rewrites it. */
static void expect_golden(const char *name, const char *got)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
    if (getenv("VIZ_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        fputs(got, f);
        fclose(f);
    }
    char *want = read_file(path);
    cr_assert_not_null(want, "missing golden %s", path);
    cr_expect_str_eq(got, want, "%s differs:\n%s", name, got);
    free(want);
}

static void fx_close(struct recording *r)
{
    sim_time t = 100 * SIM_MS;
    fx_state(r, t, "client", "c1", "ESTABLISHED", "FIN_WAIT_1");
    fx_send(r, t, "client", "server", C2S(.seq = 1001, .ack = 5001, .flags = 0x11, .win = 512));
    fx_state(r, t + 10 * SIM_MS, "server", "srv#1", "ESTABLISHED", "CLOSE_WAIT");
    fx_send(r, t + 10 * SIM_MS, "server", "client",
            S2C(.seq = 5001, .ack = 1002, .flags = 0x10, .win = 512));
    fx_state(r, t + 20 * SIM_MS, "client", "c1", "FIN_WAIT_1", "FIN_WAIT_2");
}

Test(ladder, text_handshake)
{
    fx_handshake(&rec);
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    expect_golden("handshake.txt", s);
    free(s);
}

Test(ladder, text_close)
{
    fx_handshake(&rec);
    fx_close(&rec);
    char *s = render(ladder_write_text, &(struct ladder_opts){.from = 100 * SIM_MS});
    expect_golden("close.txt", s);
    free(s);
}

static void ev_frame(sim_time t, enum trace_kind k, const char *host, struct frame *f)
{
    recording_add(&rec,
                  &(struct trace_event){.t = t, .kind = k, .host = host, .frame = f, .link = "l1"});
}

Test(ladder, text_simultaneous_open)
{
    struct frame *a = fx_tcp(1, (struct fx_seg){.src = IP_CLIENT,
                                                .dst = IP_SERVER,
                                                .sport = 7000,
                                                .dport = 8000,
                                                .seq = 100,
                                                .flags = 0x02,
                                                .win = 1000});
    struct frame *b = fx_tcp(2, (struct fx_seg){.src = IP_SERVER,
                                                .dst = IP_CLIENT,
                                                .sport = 8000,
                                                .dport = 7000,
                                                .seq = 300,
                                                .flags = 0x02,
                                                .win = 1000});
    struct frame *a2 = fx_tcp(3, (struct fx_seg){.src = IP_CLIENT,
                                                 .dst = IP_SERVER,
                                                 .sport = 7000,
                                                 .dport = 8000,
                                                 .seq = 100,
                                                 .ack = 301,
                                                 .flags = 0x12,
                                                 .win = 1000});
    struct frame *b2 = fx_tcp(4, (struct fx_seg){.src = IP_SERVER,
                                                 .dst = IP_CLIENT,
                                                 .sport = 8000,
                                                 .dport = 7000,
                                                 .seq = 300,
                                                 .ack = 101,
                                                 .flags = 0x12,
                                                 .win = 1000});
    fx_state(&rec, 0, "client", "a", "CLOSED", "SYN_SENT");
    ev_frame(0, TRACE_TX, "client", a);
    fx_state(&rec, 0, "server", "b", "CLOSED", "SYN_SENT");
    ev_frame(0, TRACE_TX, "server", b);
    ev_frame(10 * SIM_MS, TRACE_RX, "server", a);
    fx_state(&rec, 10 * SIM_MS, "server", "b", "SYN_SENT", "SYN_RCVD");
    ev_frame(10 * SIM_MS, TRACE_TX, "server", b2);
    ev_frame(10 * SIM_MS, TRACE_RX, "client", b);
    fx_state(&rec, 10 * SIM_MS, "client", "a", "SYN_SENT", "SYN_RCVD");
    ev_frame(10 * SIM_MS, TRACE_TX, "client", a2);
    ev_frame(20 * SIM_MS, TRACE_RX, "client", b2);
    fx_state(&rec, 20 * SIM_MS, "client", "a", "SYN_RCVD", "ESTABLISHED");
    ev_frame(20 * SIM_MS, TRACE_RX, "server", a2);
    fx_state(&rec, 20 * SIM_MS, "server", "b", "SYN_RCVD", "ESTABLISHED");
    free(a);
    free(b);
    free(a2);
    free(b2);
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    expect_golden("simultaneous_open.txt", s);
    free(s);
}

static void fx_lost_syn(void)
{
    fx_state(&rec, 0, "client", "c1", "CLOSED", "SYN_SENT");
    fx_send(&rec, 0, "client", NULL, C2S(.seq = 1000, .flags = 0x02, .win = 65535, .mss = 1460));
    fx_send(&rec, 1000 * SIM_MS, "client", "server",
            C2S(.seq = 1000, .flags = 0x02, .win = 65535, .mss = 1460));
}

Test(ladder, text_lost_syn)
{
    fx_lost_syn();
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    expect_golden("lost_syn.txt", s);
    free(s);
}

Test(ladder, text_unicode_uses_box_drawing)
{
    fx_handshake(&rec);
    char *s = render(ladder_write_text, &(struct ladder_opts){.unicode = true});
    cr_expect_not_null(strstr(s, "\u2500\u25b6"));
    cr_expect_null(strstr(s, "->"));
    free(s);
}

Test(ladder, text_color_only_when_asked)
{
    fx_handshake(&rec);
    char *plain = render(ladder_write_text, &(struct ladder_opts){0});
    char *color = render(ladder_write_text, &(struct ladder_opts){.color = true});
    cr_expect_null(strchr(plain, '\x1b'));
    cr_expect_not_null(strchr(color, '\x1b'));
    free(plain);
    free(color);
}

Test(ladder, text_fits_width)
{
    fx_handshake(&rec);
    fx_close(&rec);
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
        cr_expect_leq(strlen(line), 80, "too wide: %s", line);
    free(s);
}

Test(ladder, text_conn_filter_keeps_only_its_frames)
{
    fx_handshake(&rec);
    fx_send(&rec, 50 * SIM_MS, "client", "server",
            fx_udp(0, IP_CLIENT, IP_SERVER, 5000, 9000, 500));
    char *all = render(ladder_write_text, &(struct ladder_opts){0});
    char *one = render(ladder_write_text, &(struct ladder_opts){.conn = "c1"});
    cr_expect_not_null(strstr(all, "UDP 5000->9000 len=500"));
    cr_expect_null(strstr(one, "UDP"));
    cr_expect_not_null(strstr(one, "SYN,ACK seq=0 ack=1"));
    cr_expect_not_null(strstr(one, "[SYN_RCVD]"), "the listener's side is shown: %s", one);
    free(all);
    free(one);
}

Test(ladder, text_conn_filter_leaves_out_other_connections)
{
    fx_handshake(&rec);
    fx_state(&rec, 60 * SIM_MS, "client", "c2", "CLOSED", "SYN_SENT");
    fx_send(&rec, 60 * SIM_MS, "client", "server",
            fx_tcp(0, (struct fx_seg){.src = IP_CLIENT,
                                      .dst = IP_SERVER,
                                      .sport = 40001,
                                      .dport = 80,
                                      .seq = 9,
                                      .flags = 0x02,
                                      .win = 100}));
    char *one = render(ladder_write_text, &(struct ladder_opts){.conn = "c1"});
    cr_expect_null(strstr(one, "win=100"), "%s", one);
    cr_expect_null(strstr(one, "60.000ms"), "%s", one);
    free(one);
}

Test(ladder, text_hosts_option_orders_columns)
{
    fx_handshake(&rec);
    const char *const hosts[] = {"server", "client"};
    char *s = render(ladder_write_text, &(struct ladder_opts){.hosts = hosts, .n_hosts = 2});
    cr_expect_lt(strstr(s, "server") - s, strstr(s, "client") - s);
    cr_expect_not_null(strstr(s, "<-"));
    free(s);
}

Test(ladder, label_syn_with_options)
{
    struct rec_frame f = {.proto = DEC_TCP,
                          .flags = DEC_SYN,
                          .win = 65535,
                          .mss = 1460,
                          .wscale = 7,
                          .sack_perm = true,
                          .ts = true};
    char buf[160];
    cr_expect_str_eq(ladder_frame_label(&f, buf, sizeof buf),
                     "SYN seq=0 win=65535 mss=1460 ws=7 sack_perm ts");
}

Test(ladder, label_data_segment)
{
    struct rec_frame f = {.proto = DEC_TCP,
                          .flags = DEC_PSH | DEC_ACK,
                          .rel_seq = 1,
                          .rel_ack = 1,
                          .len = 1000,
                          .wscale = -1};
    char buf[160];
    cr_expect_str_eq(ladder_frame_label(&f, buf, sizeof buf), "PSH,ACK seq=1 ack=1 len=1000");
}

Test(ladder, label_arp_and_icmp)
{
    struct rec_frame who = {
        .proto = DEC_ARP, .arp_op = 1, .arp_spa = IP_CLIENT, .arp_tpa = IP_SERVER};
    struct rec_frame ping = {.proto = DEC_ICMP, .icmp_type = 8, .icmp_id = 1, .icmp_seq = 1};
    char buf[160];
    cr_expect_str_eq(ladder_frame_label(&who, buf, sizeof buf),
                     "ARP who-has 10.0.0.2 tell 10.0.0.1");
    cr_expect_str_eq(ladder_frame_label(&ping, buf, sizeof buf), "echo request id=1 seq=1");
}

/* Every line of a Mermaid diagram is one of the forms we emit. */
static bool mermaid_line_ok(const char *l)
{
    if (strncmp(l, "    participant h", 17) == 0 || strncmp(l, "    Note over h", 15) == 0)
        return strstr(l, " as ") || strchr(l, ':');
    if (strncmp(l, "    h", 5) != 0)
        return false;
    const char *colon = strchr(l, ':');
    if (!colon || (!strstr(l, "->>") && !strstr(l, "-x")))
        return false;
    return !strchr(colon + 1, ':') && !strchr(colon + 1, ';') && !strchr(colon + 1, '>');
}

Test(ladder, mermaid_shape)
{
    fx_handshake(&rec);
    fx_lost_syn();
    char *s = render(ladder_write_mermaid, &(struct ladder_opts){0});
    cr_assert_eq(strncmp(s, "sequenceDiagram\n", 16), 0);
    int arrows = 0, lost = 0;
    for (char *line = strtok(s + 16, "\n"); line; line = strtok(NULL, "\n")) {
        cr_expect(mermaid_line_ok(line), "bad line: %s", line);
        arrows += strstr(line, "->>") != NULL;
        lost += strstr(line, "-xh") != NULL;
    }
    cr_expect_eq(arrows, 4);
    cr_expect_eq(lost, 1);
    free(s);
}

Test(ladder, mermaid_escapes_special_characters)
{
    recording_add(&rec,
                  &(struct trace_event){
                      .t = 0, .kind = TRACE_STATE, .host = "client", .conn = "c", .to = "A;B#C:D"});
    fx_send(&rec, 0, "client", "server", C2S(.seq = 1, .flags = 0x02));
    char *s = render(ladder_write_mermaid, &(struct ladder_opts){0});
    cr_expect_not_null(strstr(s, "Note over h0: A#59;B#35;C#58;D"), "%s", s);
    free(s);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(ladder, svg_one_arrow_per_frame_and_valid_xml)
{
    fx_handshake(&rec);
    fx_lost_syn();
    char *s = render(ladder_write_svg, &(struct ladder_opts){0});
    cr_expect_eq(count(s, "<line class=\"frame "), 5);
    cr_expect_eq(count(s, "class=\"cross\""), 1);
    char path[] = "/tmp/tcpsim_ladder_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(s, f);
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
    cr_expect_eq(system(cmd), 0, "xmllint rejected the SVG");
    remove(path);
    free(s);
}

Test(ladder, recording_seek_by_time)
{
    fx_handshake(&rec);
    cr_expect_eq(recording_seek_time(&rec, 0), 0);
    uint32_t i = recording_seek_time(&rec, 15 * SIM_MS);
    cr_assert_lt(i, rec.n_events);
    cr_expect_geq(rec.events[i].t, 15 * SIM_MS);
    cr_expect_lt(rec.events[i - 1].t, 15 * SIM_MS);
    cr_expect_eq(recording_seek_time(&rec, SIM_SEC), rec.n_events);
}

Test(ladder, recording_relative_sequence_numbers)
{
    fx_handshake(&rec);
    const struct rec_frame *synack = &rec.frames[1];
    cr_expect_eq(synack->rel_seq, 0);
    cr_expect_eq(synack->rel_ack, 1);
    cr_expect_eq(recording_frame_end(&rec, 1), 2);
}

Test(ladder, recording_ignores_events_after_freeze)
{
    fx_handshake(&rec);
    uint32_t n = rec.n_events;
    recording_freeze(&rec);
    fx_state(&rec, SIM_SEC, "client", "c1", "ESTABLISHED", "CLOSED");
    cr_expect_eq(rec.n_events, n);
}

Test(ladder, text_arrows_cross_intermediate_columns)
{
    fx_handshake(&rec);
    const char *const hosts[] = {"client", "idle", "server"};
    char *s = render(ladder_write_text, &(struct ladder_opts){.hosts = hosts, .n_hosts = 3});
    expect_golden("three_columns.txt", s);
    free(s);
}

Test(ladder, recording_survives_truncated_frame)
{
    struct frame *f = fx_frame(9, 20); /* Ethernet header and 6 bytes of IPv4 */
    f->data[12] = 0x08;
    f->data[14] = 0x45;
    fx_send(&rec, 0, "client", "server", f);
    cr_assert_eq(rec.n_frames, 1);
    cr_expect(rec.frames[0].malformed);
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    cr_expect_not_null(strstr(s, "malformed frame len=20"), "%s", s);
    free(s);
}

Test(ladder, text_link_down_note)
{
    fx_handshake(&rec);
    recording_add(&rec, &(struct trace_event){
                            .t = 50 * SIM_MS, .kind = TRACE_LINK, .link = "l1", .what = "down"});
    char *s = render(ladder_write_text, &(struct ladder_opts){0});
    cr_expect_not_null(strstr(s, "   50.000ms  -- link l1 down --"), "%s", s);
    free(s);
}
