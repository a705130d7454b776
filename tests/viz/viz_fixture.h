/* Hand-made trace events for the view tests: real Ethernet/IPv4/TCP/UDP/ARP
 * bytes, fed to a recording exactly as the trace bus would. */
#ifndef TESTS_VIZ_FIXTURE_H
#define TESTS_VIZ_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/trace.h"
#include "viz/recording.h"
#include "viz/world.h"

#define IP_CLIENT 0x0a000001u
#define IP_SERVER 0x0a000002u

struct fx_seg {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    uint16_t mss; /* 0: no option */
    uint32_t len;
};

static inline void fx_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void fx_put32(uint8_t *p, uint32_t v)
{
    fx_put16(p, (uint16_t)(v >> 16));
    fx_put16(p + 2, (uint16_t)v);
}

/* A frame the caller frees with free(). */
static inline struct frame *fx_frame(uint64_t id, uint32_t len)
{
    struct frame *f = calloc(1, sizeof *f + len);
    f->id = id;
    f->len = len;
    f->cap = len;
    f->data = f->buf;
    return f;
}

static inline void fx_ip(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, uint16_t total)
{
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    memcpy(p, eth, 14);
    uint8_t *ip = p + 14;
    ip[0] = 0x45;
    fx_put16(ip + 2, total);
    ip[8] = 64;
    ip[9] = proto;
    fx_put32(ip + 12, src);
    fx_put32(ip + 16, dst);
}

static inline struct frame *fx_tcp(uint64_t id, struct fx_seg s)
{
    uint32_t opt = s.mss ? 4 : 0;
    uint32_t tcp_len = 20 + opt + s.len;
    struct frame *f = fx_frame(id, 14 + 20 + tcp_len);
    fx_ip(f->data, 6, s.src, s.dst, (uint16_t)(20 + tcp_len));
    uint8_t *t = f->data + 34;
    fx_put16(t, s.sport);
    fx_put16(t + 2, s.dport);
    fx_put32(t + 4, s.seq);
    fx_put32(t + 8, s.ack);
    t[12] = (uint8_t)(((20 + opt) / 4) << 4);
    t[13] = s.flags;
    fx_put16(t + 14, s.win);
    if (s.mss) {
        t[20] = 2;
        t[21] = 4;
        fx_put16(t + 22, s.mss);
    }
    return f;
}

static inline struct frame *fx_udp(uint64_t id, uint32_t src, uint32_t dst, uint16_t sport,
                                   uint16_t dport, uint32_t len)
{
    struct frame *f = fx_frame(id, 14 + 20 + 8 + len);
    fx_ip(f->data, 17, src, dst, (uint16_t)(28 + len));
    uint8_t *u = f->data + 34;
    fx_put16(u, sport);
    fx_put16(u + 2, dport);
    fx_put16(u + 4, (uint16_t)(8 + len));
    return f;
}

static const struct world_host fx_hosts[] = {
    {.name = "client", .n_addrs = 1, .addrs = {IP_CLIENT}, .prefix = {24}},
    {.name = "server", .n_addrs = 1, .addrs = {IP_SERVER}, .prefix = {24}},
    {.name = "idle", .n_addrs = 1, .addrs = {0x0a000003u}, .prefix = {24}},
};
static const struct world_link fx_links[] = {
    {.name = "l1", .a = 0, .b = 1, .delay = 10 * SIM_MS, .rate_bps = 10000000, .mtu = 1500},
};
static const struct world_desc fx_world = {
    .name = "fixture",
    .n_hosts = 3,
    .n_links = 1,
    .hosts = fx_hosts,
    .links = fx_links,
};

/* Sends frame f from `from` at t; it arrives at `to` 10 ms later, or is lost
 * on the link at t + 5 ms when `to` is NULL.  Frees f. */
static inline void fx_send(struct recording *r, sim_time t, const char *from, const char *to,
                           struct frame *f)
{
    f->id = r->n_frames + 1;
    recording_add(
        r, &(struct trace_event){.t = t, .kind = TRACE_TX, .host = from, .frame = f, .link = "l1"});
    if (to)
        recording_add(
            r, &(struct trace_event){
                   .t = t + 10 * SIM_MS, .kind = TRACE_RX, .host = to, .frame = f, .link = "l1"});
    else
        recording_add(r, &(struct trace_event){.t = t + 5 * SIM_MS,
                                               .kind = TRACE_DROP,
                                               .frame = f,
                                               .link = "l1",
                                               .reason = "loss"});
    free(f);
}

static inline void fx_state(struct recording *r, sim_time t, const char *host, const char *conn,
                            const char *from, const char *to)
{
    recording_add(
        r, &(struct trace_event){
               .t = t, .kind = TRACE_STATE, .host = host, .conn = conn, .from = from, .to = to});
}

/* A cc event of connection `conn` at `host`. */
static inline void fx_cc(struct recording *r, sim_time t, const char *host, const char *conn,
                         uint64_t cwnd, uint64_t ssthresh, sim_time srtt, sim_time rto)
{
    recording_add(r, &(struct trace_event){.t = t,
                                           .kind = TRACE_CC,
                                           .host = host,
                                           .conn = conn,
                                           .cwnd = cwnd,
                                           .ssthresh = ssthresh,
                                           .srtt = srtt,
                                           .rttvar = srtt / 2,
                                           .rto = rto});
}

#define C2S(...)                                                                                   \
    fx_tcp(0, (struct fx_seg){                                                                     \
                  .src = IP_CLIENT, .dst = IP_SERVER, .sport = 40000, .dport = 80, __VA_ARGS__})
#define S2C(...)                                                                                   \
    fx_tcp(0, (struct fx_seg){                                                                     \
                  .src = IP_SERVER, .dst = IP_CLIENT, .sport = 80, .dport = 40000, __VA_ARGS__})

/* client connects to server; ISNs 1000 (client) and 5000 (server). */
static inline void fx_handshake(struct recording *r)
{
    fx_state(r, 0, "client", "c1", "CLOSED", "SYN_SENT");
    fx_send(r, 0, "client", "server", C2S(.seq = 1000, .flags = 0x02, .win = 65535, .mss = 1460));
    fx_state(r, 10 * SIM_MS, "server", "srv#1", "LISTEN", "SYN_RCVD");
    fx_send(r, 10 * SIM_MS, "server", "client",
            S2C(.seq = 5000, .ack = 1001, .flags = 0x12, .win = 65535, .mss = 1460));
    fx_state(r, 20 * SIM_MS, "client", "c1", "SYN_SENT", "ESTABLISHED");
    fx_send(r, 20 * SIM_MS, "client", "server",
            C2S(.seq = 1001, .ack = 5001, .flags = 0x10, .win = 512));
    fx_state(r, 30 * SIM_MS, "server", "srv#1", "SYN_RCVD", "ESTABLISHED");
}

#endif
