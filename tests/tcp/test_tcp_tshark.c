/* A lossy transfer captured to pcapng and read back by tshark: no frame is
 * malformed, and tshark's own analysis counts as many retransmissions and
 * duplicate ACKs as TCP itself traced and counted. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sinks.h"
#include "stack/tcp/tcp_priv.h"
#include "tcp_world.h"

static char dir[64], path[128];

static void fini(void)
{
    if (*dir) {
        unlink(path);
        rmdir(dir);
    }
}

TestSuite(tcp_tshark, .fini = fini);

/* Passes on the frame events of one interface (the sender's): each frame
 * is then seen once, as the sender sent or received it. */
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

struct retx_count {
    struct trace_sink base;
    uint64_t n;
};

static void count_retx(struct trace_sink *s, const struct trace_event *e)
{
    ((struct retx_count *)s)->n++;
    (void)e;
}

/* tshark's standard output; fails the test on a nonzero exit. */
static char *tshark(const char *fmt, ...)
{
    char args[600], cmd[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    const char *bin = getenv("TSHARK") ? getenv("TSHARK") : "tshark";
    /* port 5000 would be dissected as GSM over IP: the payload is plain data */
    snprintf(cmd, sizeof(cmd), "%s -d tcp.port==5000,data %s 2>/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    size_t len = 0, cap = 1 << 16;
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

static uint32_t tshark_count(const char *filter)
{
    char *out = tshark("-r %s -Y '%s' -T fields -e frame.number", path, filter);
    uint32_t n = count_lines(out);
    free(out);
    return n;
}

Test(tcp_tshark, lossy_transfer_counts_agree_with_tshark)
{
    snprintf(dir, sizeof(dir), "/tmp/tcpsim-tshark-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.pcapng", dir);

    static struct tw_world w;
    tw_init(&w);
    struct tcp_config c;
    tcp_config_default(&c);
    struct host *a = tw_host(&w, "a", false, &c);
    struct host *b = tw_host(&w, "b", false, &c);
    struct host_iface *ia = host_add_iface(a, "wire", TW_IP(10, 0, 0, 1), 24);
    struct link_params p;
    link_params_default(&p);
    p.delay = 10 * SIM_MS;
    p.rate_bps = 20ull * 1000 * 1000;
    p.loss = 0.02;
    struct link *l = link_create(&w.sim, "wire", &ia->port,
                                 &host_add_iface(b, "wire", TW_IP(10, 0, 0, 2), 24)->port, &p);
    cr_assert_not_null(l);
    w.l[w.n_links++] = l;

    struct pcapng_sink *cap = pcapng_sink_create(path, &w.sim.bus);
    cr_assert_not_null(cap);
    struct iface_filter only_a = {
        .base = {.event = filter_event, .mask = TRACE_MASK(TRACE_TX) | TRACE_MASK(TRACE_RX)},
        .to = pcapng_sink_base(cap),
        .iface = ia->port.iface};
    struct retx_count retx = {.base = {.event = count_retx, .mask = TRACE_MASK(TRACE_RETX)}};
    trace_bus_add_sink(&w.sim.bus, &only_a.base);
    trace_bus_add_sink(&w.sim.bus, &retx.base);

    struct tw_flow *f = tw_start_flow(&w, a, b, TW_IP(10, 0, 0, 2), 2u << 20);
    sim_run(&w.sim, 60 * SIM_SEC);
    trace_bus_remove_sink(&w.sim.bus, &only_a.base);
    trace_bus_remove_sink(&w.sim.bus, &retx.base);
    cr_assert(pcapng_sink_finish(cap));
    pcapng_sink_destroy(cap);
    cr_assert_eq(f->received, 2u << 20);
    cr_assert(f->intact);
    uint64_t dupacks = ((struct tcp_host *)a->tcp)->c.dupacks_in;
    tw_fini(&w);

    char *bad = tshark("-r %s -Y '_ws.malformed || _ws.expert.severity >= error'", path);
    cr_expect_str_empty(bad, "tshark found problems:\n%s", bad);
    free(bad);

    /* tshark calls a resent segment a retransmission, a fast retransmission,
     * or (resent soon after newer data, as SACK recovery does) out of order;
     * at the sender, where nothing is reordered, each is one of TCP's. */
    uint32_t t_retx = tshark_count("tcp.srcport != 5000 && (tcp.analysis.retransmission || "
                                   "tcp.analysis.fast_retransmission || "
                                   "tcp.analysis.spurious_retransmission || "
                                   "tcp.analysis.out_of_order)");
    uint32_t t_dup = tshark_count("tcp.srcport == 5000 && tcp.analysis.duplicate_ack");
    cr_log_info("retransmissions: tcpsim %llu, tshark %u; duplicate ACKs: tcpsim %llu, tshark %u",
                (unsigned long long)retx.n, t_retx, (unsigned long long)dupacks, t_dup);
    cr_expect_gt(retx.n, 10, "the loss caused retransmissions");
    cr_expect_eq(t_retx, retx.n, "tshark %u retransmissions, tcpsim %llu", t_retx,
                 (unsigned long long)retx.n);
    cr_expect_eq(t_dup, dupacks, "tshark %u duplicate ACKs, tcpsim %llu", t_dup,
                 (unsigned long long)dupacks);
}
