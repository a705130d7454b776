/* The pcapng capture of a multi-hop run (ping, traceroute, a 4000-byte
 * datagram through a 576-byte link), read back by tshark: every frame is
 * there, none is malformed, and tshark's own IPv4 reassembly of what reached
 * the receiver gives the datagram that was sent. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apps/apps.h"
#include "chain.h"
#include "sim/sinks.h"

static const struct chain_link_cfg path4[3] = {
    {.delay = 1 * SIM_MS}, {.delay = 10 * SIM_MS, .mtu = 576}, {.delay = 2 * SIM_MS}};

#define DGRAM 4000u

static struct chain C;
static char dir[64];
static char full_path[128], rx_path[128];

/* Passes the frame events of one interface on to another sink. */
struct iface_filter {
    struct trace_sink base;
    struct trace_sink *to;
    uint32_t iface;
};

static void filter_event(struct trace_sink *s, const struct trace_event *e)
{
    struct iface_filter *f = (struct iface_filter *)s;
    if (e->frame && e->iface == f->iface)
        f->to->event(f->to, e);
}

static void fini(void)
{
    if (C.n)
        chain_free(&C);
    if (*dir) {
        unlink(full_path);
        unlink(rx_path);
        rmdir(dir);
    }
}

TestSuite(capture, .fini = fini);

/* Runs the world, writing the whole capture and the receiver's alone. */
static void run_captured(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tcpsim-capture-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(full_path, sizeof(full_path), "%s/all.pcapng", dir);
    snprintf(rx_path, sizeof(rx_path), "%s/b.pcapng", dir);

    chain_build(&C, 4, path4, 1);
    struct trace_bus *bus = &C.sim.bus;
    struct pcapng_sink *all = pcapng_sink_create(full_path, bus);
    struct pcapng_sink *rx = pcapng_sink_create(rx_path, bus);
    cr_assert(all && rx);
    struct iface_filter only_b = {
        .base = {.event = filter_event, .mask = TRACE_MASK(TRACE_TX) | TRACE_MASK(TRACE_RX)},
        .to = pcapng_sink_base(rx),
        .iface = chain_iface(&C, 3, 2)->port.iface};
    trace_bus_add_sink(bus, pcapng_sink_base(all));
    trace_bus_add_sink(bus, &only_b.base);

    uint32_t b = chain_addr(2, 1);
    struct app *ping = app_ping_create(
        C.h[0], &(struct app_ping_cfg){.id = "ping", .dst = b, .count = 2, .interval = SIM_SEC});
    struct app *trace = app_traceroute_create(
        C.h[0], &(struct app_traceroute_cfg){.id = "trace", .dst = b, .at = 3 * SIM_SEC});
    struct app *sink =
        app_udp_sink_create(C.h[3], &(struct app_udp_sink_cfg){.id = "rx", .port = 9000});
    struct app *sender = app_udp_sender_create(
        C.h[0],
        &(struct app_udp_sender_cfg){
            .id = "tx", .dst = b, .dport = 9000, .at = 8 * SIM_SEC, .count = 1, .size = DGRAM});
    cr_assert(ping && trace && sink && sender);
    chain_run_until(&C, 15 * SIM_SEC);

    trace_bus_remove_sink(bus, pcapng_sink_base(all));
    trace_bus_remove_sink(bus, &only_b.base);
    cr_assert(pcapng_sink_finish(all));
    cr_assert(pcapng_sink_finish(rx));
    pcapng_sink_destroy(all);
    pcapng_sink_destroy(rx);
    struct app_stats st;
    cr_assert(app_stats(sink, NULL, &st));
    cr_assert_eq(st.datagrams, 1, "the datagram arrived");
    app_destroy(ping);
    app_destroy(trace);
    app_destroy(sink);
    app_destroy(sender);
}

/* tshark's standard output for the arguments; fails the test on a nonzero exit. */
static char *tshark(const char *fmt, ...)
{
    char args[512], cmd[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "tshark %s 2>/dev/null", args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
            cr_assert_not_null(out);
        }
    }
    out[len] = '\0';
    int status = pclose(p);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "'%s' failed (status %d)", cmd,
              status);
    return out;
}

static uint32_t count_lines(const char *s)
{
    uint32_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(capture, tshark_reads_every_frame_and_finds_none_malformed)
{
    run_captured();
    uint32_t frames = 0;
    for (uint32_t k = 0; k < C.n_fr; k++)
        frames += C.fr[k].kind == TRACE_TX || C.fr[k].kind == TRACE_RX;
    cr_assert_gt(frames, 100);
    char *list = tshark("-r %s", full_path);
    cr_expect_eq(count_lines(list), frames, "tshark listed %u frames of %u", count_lines(list),
                 frames);
    free(list);
    char *bad = tshark("-r %s -Y '_ws.malformed || _ws.expert.severity >= error'", full_path);
    cr_expect_str_empty(bad, "tshark found problems:\n%s", bad);
    free(bad);
}

Test(capture, tshark_reassembles_the_receivers_fragments_into_the_datagram_sent)
{
    run_captured();
    char *out = tshark("-r %s -o ip.defragment:TRUE -Y 'udp.dstport == 9000' -T fields "
                       "-e ip.src -e ip.dst -e udp.length -e data.data",
                       rx_path);
    char src[32], dst[32];
    unsigned ulen = 0;
    static char hex[2 * DGRAM + 2];
    cr_assert_eq(sscanf(out, "%31s %31s %u %8001s", src, dst, &ulen, hex), 4, "tshark: '%.200s'",
                 out);
    cr_expect_eq(count_lines(out), 1, "one reassembled datagram");
    cr_expect_str_eq(src, "10.0.0.1");
    cr_expect_str_eq(dst, "10.0.2.2");
    cr_expect_eq(ulen, DGRAM + 8);
    /* The bytes tshark put together are the sender's pattern. */
    static uint8_t want[DGRAM];
    app_pattern_fill(want, 0, DGRAM);
    char *p = hex;
    cr_assert_eq(strlen(hex), 2 * DGRAM);
    for (uint32_t k = 0; k < DGRAM; k++, p += 2) {
        unsigned byte;
        cr_assert_eq(sscanf(p, "%2x", &byte), 1);
        cr_assert_eq(byte, want[k], "byte %u: %02x, sent %02x", k, byte, want[k]);
    }
    free(out);
}
