/* Fuzz target: arbitrary frames arriving at a live host.
 *
 * Each input builds the same small world: hosts a (10.0.0.1) and b (10.0.0.2)
 * on one link, TCP on both, an echo listener on b:80 with a connection from a
 * already established and carrying data (so both ARP caches are warm), a UDP
 * echo socket on b:7.  The input is then cut into frames handed straight to
 * an interface's port as if the link had delivered them; the world runs a
 * little after each one, then everything is destroyed and every frame must be
 * back in the pool.
 *
 * One frame in the input:
 *   ctl   bits 0-1 mode: 0 raw Ethernet frame
 *                        1 IPv4 packet (Ethernet header added)
 *                        2 L4 bytes: Ethernet + IPv4 header built from 7 parameter bytes
 *                          (protocol, tos, ttl, id, flags+offset)
 *                        3 TCP segment aimed at the live connection (ports, and seq/ack
 *                          relative to its current state, filled in;
 *                          checksums always fixed)
 *         bit 2      fix checksums (IPv4 header, and the L4 checksum where the
 *                    packet is not a fragment) and the IPv4 total length
 *         bit 3      deliver to a (as if sent by b) instead of to b
 *         bits 4-7   k: run the world for (50 us << k) afterwards (k = 0: not at all)
 *   len   2 bytes, big endian, taken modulo the largest frame the link carries
 *   body  len bytes (fewer when the input ends)
 *
 * Everything is built afresh per input, so a run depends on its input only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/link.h"
#include "sim/sim.h"
#include "stack/host.h"
#include "stack/ip4.h"
#include "stack/tcp/tcp_priv.h"
#include "stack/udp.h"

#define IP_A      0x0a000001u /* 10.0.0.1 */
#define IP_B      0x0a000002u /* 10.0.0.2 */
#define SRV_PORT  80
#define ECHO_PORT 7
#define LINK_MTU  1500u
#define MAX_FRAME (LINK_MTU + FRAME_ETH_HLEN)
#define EVENT_CAP 2000000u /* a two-host world that runs this many events is stuck in a loop */
#define CLIENT_TX 400u     /* bytes the client sends before the fuzzed frames */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_world {
    struct sim sim;
    struct host *a, *b;
    struct host_iface *ia, *ib;
    struct link *link;
    struct udp_sock *echo;
    struct tcp_sock *listener, *client, *child; /* NULL once closed */
    struct trace_sink sink;
    size_t trace_bytes; /* touched by the sink so that event strings are read */
    bool print;         /* FUZZ_TRACE set: every event to stderr (to study a reproducer) */
};

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint8_t take8(struct cursor *c)
{
    if (!c->left)
        return 0;
    c->left--;
    return *c->p++;
}

static uint16_t take16(struct cursor *c)
{
    uint16_t hi = take8(c);
    return (uint16_t)(hi << 8 | take8(c));
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "fuzz_frames: %s\n", what);
    abort();
}

/* ---- the applications ---------------------------------------------------- */

static void drain(struct tcp_sock *s, bool echo)
{
    uint8_t buf[2048];
    uint32_t n;
    while ((n = tcp_recv(s, buf, sizeof(buf))) > 0)
        if (echo)
            tcp_send(s, buf, n); /* what does not fit is lost: fine for an echo under test */
}

static void child_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    drain(s, true);
}

static void client_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    drain(s, false);
}

static void peer_closed(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)ctx, (void)now;
    tcp_close(s);
}

static void closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)o, (void)now;
    struct fz_world *w = ctx;
    if (s == w->listener)
        w->listener = NULL;
    if (s == w->client)
        w->client = NULL;
    if (s == w->child)
        w->child = NULL;
}

static const struct tcp_sock_ops child_ops = {
    .on_readable = child_readable, .on_peer_closed = peer_closed, .on_closed = closed};
static const struct tcp_sock_ops client_ops = {
    .on_readable = client_readable, .on_peer_closed = peer_closed, .on_closed = closed};

static void accepted(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    struct fz_world *w = ctx;
    tcp_set_ops(c, &child_ops, w);
    w->child = c; /* the latest one: mode 3 aims at it */
}

static const struct tcp_sock_ops listener_ops = {.on_accept = accepted, .on_closed = closed};

static void udp_echo(void *ctx, struct udp_sock *s, uint32_t src, uint16_t sport,
                     const uint8_t *data, uint32_t len, sim_time now)
{
    (void)ctx, (void)now;
    udp_sendto(s, src, sport, data, len, NULL);
}

static const struct udp_sock_ops udp_echo_ops = {.on_recv = udp_echo};

static void print_event(const struct trace_event *e)
{
    fprintf(stderr, "%12lld %-5s %-4s", (long long)e->t, trace_kind_name(e->kind),
            e->host ? e->host : (e->link ? e->link : "-"));
    if (e->frame) {
        const uint8_t *d = e->frame->data;
        fprintf(stderr, " len %u", e->frame->len);
        if (e->frame->len >= 54 && d[12] == 8 && d[13] == 0 && d[23] == IP_PROTO_TCP) {
            const uint8_t *t = d + 14 + (d[14] & 0xf) * 4;
            fprintf(stderr, " tcp %u>%u seq %u ack %u flags %02x win %u", t[0] << 8 | t[1],
                    t[2] << 8 | t[3], get32(t + 4), get32(t + 8), t[13], t[14] << 8 | t[15]);
        }
    }
    const char *strs[] = {e->reason, e->conn, e->from, e->to, e->cause, e->what, e->timer};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        if (strs[k])
            fprintf(stderr, " %s", strs[k]);
    fprintf(stderr, "\n");
}

/* Reads every string of every event, so that a dangling pointer in an event
 * is caught where it is emitted. */
static void sink_event(struct trace_sink *sk, const struct trace_event *e)
{
    struct fz_world *w = (struct fz_world *)((char *)sk - offsetof(struct fz_world, sink));
    const char *strs[] = {e->host,  e->ifname, e->link, e->reason, e->conn,  e->from,   e->to,
                          e->cause, e->app,    e->what, e->detail, e->timer, e->message};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        if (strs[k])
            w->trace_bytes += strlen(strs[k]);
    if (e->frame)
        w->trace_bytes += e->frame->len;
    if (w->print)
        print_event(e);
}

/* ---- the world ----------------------------------------------------------- */

static void run_until(struct fz_world *w, sim_time until)
{
    if (sim_run(&w->sim, until) == SIM_EVENT_LIMIT)
        fail("event limit reached: the world keeps itself busy");
}

static void world_build(struct fz_world *w)
{
    memset(w, 0, sizeof(*w));
    sim_init(&w->sim, 7);
    w->sim.event_limit = EVENT_CAP;
    w->print = getenv("FUZZ_TRACE") != NULL;
    w->sink = (struct trace_sink){.event = sink_event, .mask = TRACE_MASK_ALL};
    trace_bus_add_sink(&w->sim.bus, &w->sink);
    w->a = host_create(&w->sim, "a", 0, false);
    w->b = host_create(&w->sim, "b", 1, false);
    if (!w->a || !w->b)
        fail("host_create");
    w->ia = host_add_iface(w->a, "wire", IP_A, 24);
    w->ib = host_add_iface(w->b, "wire", IP_B, 24);
    struct link_params lp;
    link_params_default(&lp);
    lp.mtu = LINK_MTU;
    w->link = link_create(&w->sim, "wire", &w->ia->port, &w->ib->port, &lp);
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.msl = 2 * SIM_SEC; /* TIME_WAIT within reach of a few time steps */
    if (!w->ia || !w->ib || !w->link || !tcp_attach(w->a, &cfg) || !tcp_attach(w->b, &cfg))
        fail("world setup");
    w->listener = tcp_listen(w->b, SRV_PORT, 8, "srv", &listener_ops, w);
    w->echo = udp_open(w->b, ECHO_PORT, "echo", &udp_echo_ops, w);
    w->client = tcp_connect(w->a, IP_B, SRV_PORT, 0, "cli", "cli", &client_ops, w);
    if (!w->listener || !w->echo || !w->client)
        fail("sockets");
    run_until(w, 20 * SIM_MS); /* ARP both ways and the handshake */
    if (!w->child || tcp_get_state(w->client) != TCP_ESTABLISHED)
        fail("the handshake did not complete");
    uint8_t buf[CLIENT_TX];
    for (uint32_t k = 0; k < CLIENT_TX; k++)
        buf[k] = (uint8_t)k;
    tcp_send(w->client, buf, sizeof(buf));
    run_until(w, sim_now(&w->sim) + SIM_MS / 2); /* leave some of it on the wire */
}

static void world_destroy(struct fz_world *w)
{
    udp_close(w->echo);
    link_destroy(w->link);
    host_destroy(w->a);
    host_destroy(w->b);
    if (w->sim.frames.in_use != 0)
        fail("frames still in use after everything was destroyed");
    sim_destroy(&w->sim);
}

/* ---- building frames ----------------------------------------------------- */

static uint16_t csum_l4(uint32_t src, uint32_t dst, uint8_t proto, uint8_t *l4, uint32_t len)
{
    uint32_t sum = proto == IP_PROTO_ICMP ? 0 : inet_csum_pseudo(src, dst, proto, len);
    return inet_csum_fold(inet_csum_add(sum, l4, len));
}

/* Where a protocol keeps its checksum, or -1 (too short, or not one we fix). */
static int csum_offset(uint8_t proto, uint32_t len)
{
    if (proto == IP_PROTO_TCP && len >= 20)
        return 16;
    if (proto == IP_PROTO_UDP && len >= 8)
        return 6;
    if (proto == IP_PROTO_ICMP && len >= 4)
        return 2;
    return -1;
}

/* Fixes the IPv4 total length and header checksum, and the L4 checksum of an
 * unfragmented packet (so that the layers above are reached). */
static void fix_ip(uint8_t *ip, uint32_t len)
{
    if (len < IP4_HLEN)
        return;
    uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
    if (ihl < IP4_HLEN || ihl > len)
        return;
    put16(ip + 2, len);
    put16(ip + 10, 0);
    put16(ip + 10, inet_csum_fold(inet_csum_add(0, ip, ihl)));
    bool fragment = (ip[6] & 0x20) || ((ip[6] & 0x1f) | ip[7]);
    int off = csum_offset(ip[9], len - ihl);
    if (fragment || off < 0)
        return;
    uint8_t *l4 = ip + ihl;
    if (ip[9] == IP_PROTO_UDP)
        put16(l4 + 4, len - ihl);
    put16(l4 + off, 0);
    uint16_t c = csum_l4(get32(ip + 12), get32(ip + 16), ip[9], l4, len - ihl);
    if (ip[9] == IP_PROTO_UDP && c == 0)
        c = 0xffff; /* RFC 768: zero means "no checksum" */
    put16(l4 + off, c);
}

static void eth_header(uint8_t *d, const struct host_iface *to, const struct host_iface *from)
{
    memcpy(d, to->mac, 6);
    memcpy(d + 6, from->mac, 6);
    put16(d + 12, 0x0800);
}

struct ip_fields {
    uint8_t proto, tos, ttl;
    uint16_t id, frag; /* frag: flags and fragment offset */
};

static void ip_header(uint8_t *ip, uint32_t src, uint32_t dst, const struct ip_fields *x)
{
    memset(ip, 0, IP4_HLEN);
    ip[0] = 0x45;
    ip[1] = x->tos;
    put16(ip + 4, x->id);
    put16(ip + 6, x->frag);
    ip[8] = x->ttl;
    ip[9] = x->proto;
    put32(ip + 12, src);
    put32(ip + 16, dst);
}

static uint8_t proto_of(uint8_t sel)
{
    static const uint8_t common[] = {IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP};
    return sel < 3 ? common[sel] : sel;
}

/* The TCP header of mode 3: ports of the live connection, seq and ack
 * relative to what its receiver expects and has sent. */
static uint32_t tcp_header(uint8_t *t, struct fz_world *w, bool to_a, struct cursor *c,
                           uint32_t room)
{
    struct tcp_sock *s = to_a ? w->client : w->child;
    uint16_t lport = to_a ? (w->client ? w->client->lport : 0) : SRV_PORT;
    uint16_t rport = to_a ? SRV_PORT : (w->child ? w->child->rport : 0);
    uint8_t flags = take8(c);
    int16_t seq_off = (int16_t)take16(c);
    int16_t ack_off = (int16_t)take16(c);
    uint16_t wnd = take16(c);
    uint32_t opt_words = take8(c) % 11u;
    uint32_t hlen = 20 + 4 * opt_words;
    if (hlen > room)
        return 0;
    put16(t, rport);
    put16(t + 2, lport);
    put32(t + 4, (s ? s->rcv_nxt : 0) + (uint32_t)(int32_t)seq_off);
    put32(t + 8, (s ? s->snd_una : 0) + (uint32_t)(int32_t)ack_off);
    t[12] = (uint8_t)((hlen / 4) << 4);
    t[13] = flags;
    put16(t + 14, wnd);
    put16(t + 16, 0);
    put16(t + 18, 0);
    for (uint32_t k = 20; k < hlen; k++)
        t[k] = take8(c);
    return hlen;
}

/* Builds the next frame of the input; NULL when the input is used up. */
static struct frame *next_frame(struct fz_world *w, struct cursor *c, uint8_t ctl)
{
    bool to_a = ctl & 0x08;
    const struct host_iface *to = to_a ? w->ia : w->ib, *from = to_a ? w->ib : w->ia;
    uint32_t src = to_a ? IP_B : IP_A, dst = to_a ? IP_A : IP_B;
    uint32_t want = take16(c) % (MAX_FRAME + 1);
    struct frame *f = frame_alloc(&w->sim.frames, MAX_FRAME);
    if (!f)
        fail("frame pool");
    f->id = sim_next_frame_id(&w->sim);
    uint8_t *d = f->data;
    uint32_t len = 0;
    uint32_t mode = ctl & 3;
    if (mode != 0) {
        eth_header(d, to, from);
        len = FRAME_ETH_HLEN;
    }
    uint8_t *ip = d + FRAME_ETH_HLEN;
    if (mode == 2) {
        struct ip_fields x = {.proto = proto_of(take8(c))};
        x.tos = take8(c);
        x.ttl = take8(c);
        x.id = take16(c);
        x.frag = take16(c);
        ip_header(ip, src, dst, &x);
        len += IP4_HLEN;
    } else if (mode == 3) {
        /* DF and not a fragment: this mode is about TCP */
        ip_header(ip, src, dst,
                  &(struct ip_fields){.proto = IP_PROTO_TCP, .ttl = 64, .frag = 0x4000});
        len += IP4_HLEN;
        len += tcp_header(ip + IP4_HLEN, w, to_a, c, MAX_FRAME - len);
    }
    while (len < want && c->left)
        d[len++] = take8(c);
    f->len = len;
    if (mode != 0 && (ctl & 0x04 || mode == 3))
        fix_ip(ip, len - FRAME_ETH_HLEN);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return -1;
    struct fz_world *w = malloc(sizeof(*w));
    if (!w)
        return 0;
    world_build(w);
    struct cursor c = {data, size};
    while (c.left) {
        uint8_t ctl = take8(&c);
        struct frame *f = next_frame(w, &c, ctl);
        struct host_iface *to = ctl & 0x08 ? w->ia : w->ib;
        to->port.rx(&to->port, f, sim_now(&w->sim));
        uint32_t k = ctl >> 4;
        if (k)
            run_until(w, sim_now(&w->sim) + ((50 * SIM_US) << k));
    }
    run_until(w, sim_now(&w->sim) + 2 * SIM_SEC); /* let timers and retransmissions play out */
    world_destroy(w);
    free(w);
    return 0;
}
