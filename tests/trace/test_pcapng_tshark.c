/* A capture of a TCP exchange, a UDP datagram, a ping and ARP must open in
 * tshark (path in $TSHARK) with every packet, no malformed packet, and good
 * IPv4/TCP/UDP/ICMP checksums. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sinks.h"
#include "trace_fixture.h"

static struct frame_pool pool;
static struct trace_bus bus;
static char dir[256], path[300];

static void setup(void)
{
    frame_pool_init(&pool);
    trace_bus_init(&bus);
    fx_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.pcapng", dir);
}

static void teardown(void)
{
    trace_bus_destroy(&bus);
    frame_pool_destroy(&pool);
    fx_rmdir(dir);
}

TestSuite(tshark, .init = setup, .fini = teardown, .timeout = 30);

static struct frame *seg(uint64_t id, bool from_a, uint32_t seq, uint32_t ack, uint8_t flags,
                         uint32_t plen)
{
    return fx_tcp(&pool, id,
                  &(struct tcp_spec){.src = from_a ? IP_A : IP_B,
                                     .dst = from_a ? IP_B : IP_A,
                                     .sport = from_a ? 49152 : 80,
                                     .dport = from_a ? 80 : 49152,
                                     .seq = seq,
                                     .ack = ack,
                                     .flags = flags,
                                     .win = 64240,
                                     .plen = plen});
}

/* Writes each frame as sent by its source (tx) and received by the other end
 * (rx): 2 packets per frame. */
static int write_run(void)
{
    cr_assert_eq(trace_bus_add_iface(&bus, "a", "eth0", "l1", MAC_A, 1500), 0u);
    cr_assert_eq(trace_bus_add_iface(&bus, "b", "eth0", "l1", MAC_B, 1500), 1u);
    struct frame *f[] = {
        fx_arp_request(&pool, 1),
        fx_syn(&pool, 2),
        seg(3, false, ISN_B, ISN_A + 1, 0x12, 0),
        seg(4, true, ISN_A + 1, ISN_B + 1, 0x10, 0),
        seg(5, true, ISN_A + 1, ISN_B + 1, 0x18, 1000),
        seg(6, false, ISN_B + 1, ISN_A + 1001, 0x11, 0),
        fx_udp(&pool, 7, 33),
        fx_icmp_echo(&pool, 8, 77, 1),
    };
    bool from_a[] = {true, true, false, true, true, false, true, true};
    int n = (int)(sizeof f / sizeof f[0]);
    struct pcapng_sink *p = pcapng_sink_create(path, &bus);
    cr_assert_not_null(p);
    trace_bus_add_sink(&bus, pcapng_sink_base(p));
    for (int i = 0; i < n; i++) {
        sim_time t = (sim_time)i * 10 * SIM_MS;
        trace_emit(&bus, &(struct trace_event){
                             .t = t, .kind = TRACE_TX, .frame = f[i], .iface = from_a[i] ? 0 : 1});
        trace_emit(&bus, &(struct trace_event){.t = t + 5 * SIM_MS,
                                               .kind = TRACE_RX,
                                               .frame = f[i],
                                               .iface = from_a[i] ? 1 : 0});
        frame_free(&pool, f[i]);
    }
    cr_assert(pcapng_sink_finish(p));
    pcapng_sink_destroy(p);
    return 2 * n;
}

/* Runs tshark on the capture with `args`; returns the number of output lines. */
static int tshark_lines(const char *args)
{
    const char *tshark = getenv("TSHARK");
    cr_assert_not_null(tshark, "TSHARK not set");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -n -r '%s' %s 2>/dev/null", tshark, path, args);
    FILE *out = popen(cmd, "r");
    cr_assert_not_null(out);
    int lines = 0;
    char buf[512];
    while (fgets(buf, sizeof buf, out))
        if (strchr(buf, '\n'))
            lines++;
    cr_assert_eq(pclose(out), 0, "tshark failed: %s", cmd);
    return lines;
}

Test(tshark, reads_every_packet)
{
    int n = write_run();
    cr_assert_eq(tshark_lines(""), n);
}

Test(tshark, no_malformed_packets_or_errors)
{
    write_run();
    cr_assert_eq(tshark_lines("-Y '_ws.malformed || _ws.expert.severity >= error'"), 0);
}

Test(tshark, checksums_verified_good)
{
    int n = write_run();
    const char *check = "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
                        "-o udp.check_checksum:TRUE";
    char args[512];
    snprintf(args, sizeof args,
             "%s -Y 'ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || "
             "udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"'",
             check);
    cr_assert_eq(tshark_lines(args), 0);
    snprintf(args, sizeof args, "%s -Y 'ip.checksum.status == \"Good\"'", check);
    cr_assert_eq(tshark_lines(args), n - 2, "every IPv4 packet (all but the ARP pair) checked");
}

Test(tshark, timestamps_in_nanoseconds)
{
    write_run();
    /* The SYN,ACK's rx is at 25 ms exactly. */
    cr_assert_eq(tshark_lines("-Y 'frame.time_epoch == 0.025000000'"), 1);
}

Test(tshark, interface_names_and_direction)
{
    write_run();
    cr_assert_eq(tshark_lines("-Y 'frame.interface_name == \"b:eth0\" && "
                              "frame.p2p_dir == 1'"),
                 6, "b receives the 6 frames sent by a");
}
