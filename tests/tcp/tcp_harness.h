/* Test harness for TCP alone: a hand-built host whose TCP output is
 * captured, segments built from templates, and expectations on what TCP
 * sent (in the style of smoltcp's socket tests). */
#ifndef TESTS_TCP_HARNESS_H
#define TESTS_TCP_HARNESS_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "sim/sim.h"
#include "stack/tcp/tcp_priv.h"

#define LOCAL_IP    0x0a000001u /* 10.0.0.1 */
#define REMOTE_IP   0x0a000002u /* 10.0.0.2 */
#define LOCAL_PORT  80
#define REMOTE_PORT 49500
#define REMOTE_ISN  1000u

struct fixture {
    struct sim sim;
    struct host host;
    struct tcp_host *th;
    struct frame_queue out;
    /* app events seen */
    int connected, accepted, readable, peer_closed, closed;
    enum tcp_outcome outcome;
    struct tcp_sock *child;
};

/* What a test sends to, or expects from, TCP. */
struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t wnd;
    const uint8_t *data;
    uint32_t len;
    uint16_t mss;
    int8_t wscale; /* 0 = absent here; use ws+1 */
    bool sack_ok, ts;
    uint32_t tsval, tsecr;
    bool zero_wnd;   /* advertise a zero window (wnd 0 means the default 65535) */
    uint32_t n_sack; /* SACK blocks, absolute sequence numbers */
    uint32_t sack_start[3], sack_end[3];
};

static inline struct fixture *fx_of(struct host *h)
{
    return (struct fixture *)((char *)h - offsetof(struct fixture, host));
}

/* Takes ownership of the frame: kept until a test expects or frees it. */
static inline enum ip4_send_result fx_capture(struct host *h, struct frame *f, uint32_t src,
                                              uint32_t dst, uint8_t proto,
                                              const struct ip4_send_opts *o)
{
    (void)src;
    (void)dst;
    (void)proto;
    (void)o;
    frame_queue_push(&fx_of(h)->out, f);
    return IP4_SENT;
}

static inline void fx_init(struct fixture *fx, const struct tcp_config *cfg)
{
    memset(fx, 0, sizeof(*fx));
    sim_init(&fx->sim, 1);
    fx->host =
        (struct host){.sim = &fx->sim, .bus = &fx->sim.bus, .frames = &fx->sim.frames, .name = "a"};
    rng_seed(&fx->host.rng, 1, "host:a");
    struct tcp_config def;
    tcp_config_default(&def);
    if (!cfg) {
        def.timestamps = false;
        def.window_scale = false;
        cfg = &def;
    }
    fx->th = tcp_host_new(&fx->host, cfg, fx_capture);
}

static inline void fx_fini(struct fixture *fx)
{
    frame_queue_clear(&fx->sim.frames, &fx->out);
    tcp_host_free(fx->th);
    sim_destroy(&fx->sim);
}

static inline void fx_run(struct fixture *fx, sim_time until)
{
    sim_run(&fx->sim, until);
}

static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* Builds the bytes of a segment from REMOTE to LOCAL; returns its length. */
static inline uint32_t seg_build(uint8_t *b, const struct seg *s)
{
    uint32_t opt = 0;
    uint8_t *o = b + 20;
    if (s->mss) {
        o[opt] = 2, o[opt + 1] = 4, put16(o + opt + 2, s->mss);
        opt += 4;
    }
    if (s->wscale) {
        o[opt] = 1, o[opt + 1] = 3, o[opt + 2] = 3, o[opt + 3] = (uint8_t)(s->wscale - 1);
        opt += 4;
    }
    if (s->sack_ok) {
        o[opt] = 1, o[opt + 1] = 1, o[opt + 2] = 4, o[opt + 3] = 2;
        opt += 4;
    }
    if (s->ts) {
        o[opt] = 1, o[opt + 1] = 1, o[opt + 2] = 8, o[opt + 3] = 10;
        put32(o + opt + 4, s->tsval);
        put32(o + opt + 8, s->tsecr);
        opt += 12;
    }
    if (s->n_sack) {
        o[opt] = 1, o[opt + 1] = 1, o[opt + 2] = 5, o[opt + 3] = (uint8_t)(2 + 8 * s->n_sack);
        for (uint32_t i = 0; i < s->n_sack; i++) {
            put32(o + opt + 4 + 8 * i, s->sack_start[i]);
            put32(o + opt + 8 + 8 * i, s->sack_end[i]);
        }
        opt += 4 + 8 * s->n_sack;
    }
    put16(b, REMOTE_PORT);
    put16(b + 2, LOCAL_PORT);
    put32(b + 4, s->seq);
    put32(b + 8, s->ack);
    b[12] = (uint8_t)(((20 + opt) / 4) << 4);
    b[13] = s->flags;
    put16(b + 14, s->zero_wnd ? 0 : s->wnd ? s->wnd : 65535);
    put16(b + 16, 0);
    put16(b + 18, 0);
    if (s->len)
        memcpy(b + 20 + opt, s->data, s->len);
    uint32_t n = 20 + opt + s->len;
    put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
    return n;
}

static inline void send_seg(struct fixture *fx, struct seg s)
{
    uint8_t b[9216];
    cr_assert(s.len <= sizeof(b) - 60, "segment too large for the test buffer");
    uint32_t n = seg_build(b, &s);
    struct tcp_seg parsed;
    bool bad;
    cr_assert(tcp_parse(&parsed, REMOTE_IP, LOCAL_IP, b, n, &bad));
    tcp_input_seg(fx->th, &parsed, fx->sim.now);
}

/* Like send_seg, from another remote port (a second client). */
static inline void send_seg_from(struct fixture *fx, uint16_t rport, struct seg s)
{
    uint8_t b[9216];
    cr_assert(s.len <= sizeof(b) - 60, "segment too large for the test buffer");
    uint32_t n = seg_build(b, &s);
    put16(b, rport);
    put16(b + 16, 0);
    put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));
    struct tcp_seg parsed;
    bool bad;
    cr_assert(tcp_parse(&parsed, REMOTE_IP, LOCAL_IP, b, n, &bad));
    tcp_input_seg(fx->th, &parsed, fx->sim.now);
}

static inline void drop_output(struct fixture *fx)
{
    frame_queue_clear(&fx->sim.frames, &fx->out);
}

/* Pops the next captured segment into *out (payload copied to buf). */
static inline bool next_seg(struct fixture *fx, struct tcp_seg *out, uint8_t *buf)
{
    struct frame *f = frame_queue_pop(&fx->out);
    if (!f)
        return false;
    bool bad;
    uint32_t l4len = f->len - IP4_L4_OFF;
    bool ok = tcp_parse(out, LOCAL_IP, REMOTE_IP, f->data + IP4_L4_OFF, l4len, &bad);
    cr_assert(ok, "TCP emitted an unparsable segment (bad checksum: %d)", bad);
    if (buf && out->len)
        memcpy(buf, out->data, out->len);
    out->data = buf;
    frame_free(&fx->sim.frames, f);
    return true;
}

/* Expects a segment with exactly these flags, seq and ack (ack checked when
 * the ACK flag is expected); returns it for further checks. */
static inline struct tcp_seg expect_seg(struct fixture *fx, struct seg e)
{
    struct tcp_seg got;
    cr_assert(next_seg(fx, &got, NULL), "expected a segment, TCP sent nothing");
    cr_expect_eq(got.flags & ~TCP_PSH, e.flags & ~TCP_PSH, "flags %#x, expected %#x", got.flags,
                 e.flags);
    cr_expect_eq(got.seq, e.seq, "seq %u, expected %u", got.seq, e.seq);
    if (e.flags & TCP_ACK)
        cr_expect_eq(got.ack, e.ack, "ack %u, expected %u", got.ack, e.ack);
    cr_expect_eq(got.len, e.len, "len %u, expected %u", got.len, e.len);
    return got;
}

static inline void expect_nothing(struct fixture *fx)
{
    cr_expect_eq(fx->out.len, 0, "TCP sent %u unexpected segment(s)", fx->out.len);
}

/* ---- app callbacks counting what happened ---- */

static inline void app_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    ((struct fixture *)ctx)->connected++;
}
static inline void app_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    ((struct fixture *)ctx)->accepted++;
    ((struct fixture *)ctx)->child = c;
}
static inline void app_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    ((struct fixture *)ctx)->readable++;
}
static inline void app_peer_closed(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    ((struct fixture *)ctx)->peer_closed++;
}
static inline void app_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s, (void)now;
    struct fixture *fx = ctx;
    fx->closed++;
    fx->outcome = o;
    if (s == fx->child)
        fx->child = NULL;
}

static const struct tcp_sock_ops test_ops = {
    .on_connected = app_connected,
    .on_accept = app_accept,
    .on_readable = app_readable,
    .on_peer_closed = app_peer_closed,
    .on_closed = app_closed,
};

/* ---- setup helpers per state ---- */

static inline struct tcp_sock *sock_listen(struct fixture *fx)
{
    return tcp_listen(&fx->host, LOCAL_PORT, 4, "srv", &test_ops, fx);
}

/* Active open: SYN sent, nothing else. */
static inline struct tcp_sock *sock_syn_sent(struct fixture *fx)
{
    struct tcp_sock *s = tcp_connect_from(fx->th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT,
                                          "cli", "cli", &test_ops, fx, fx->sim.now);
    cr_assert(s);
    struct tcp_seg syn;
    cr_assert(next_seg(fx, &syn, NULL));
    cr_assert_eq(syn.flags, TCP_SYN);
    return s;
}

static inline struct tcp_sock *sock_established(struct fixture *fx)
{
    struct tcp_sock *s = sock_syn_sent(fx);
    send_seg(fx,
             (struct seg){
                 .flags = TCP_SYN | TCP_ACK, .seq = REMOTE_ISN, .ack = s->iss + 1, .mss = 1460});
    struct tcp_seg ack;
    cr_assert(next_seg(fx, &ack, NULL));
    cr_assert_eq(s->state, TCP_ESTABLISHED);
    return s;
}

/* Another established connection, to the remote port rport. */
static inline struct tcp_sock *sock_established_from(struct fixture *fx, uint16_t rport)
{
    struct tcp_sock *s = tcp_connect_from(fx->th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, rport, "cli",
                                          "cli", &test_ops, fx, fx->sim.now);
    cr_assert(s);
    drop_output(fx);
    send_seg_from(
        fx, rport,
        (struct seg){
            .flags = TCP_SYN | TCP_ACK, .seq = REMOTE_ISN, .ack = s->iss + 1, .mss = 1460});
    drop_output(fx);
    cr_assert_eq(s->state, TCP_ESTABLISHED);
    return s;
}

/* ---- the closing states, reached from an active open (ISS = s->iss,
 * the peer's next sequence number RISN + 1) ---- */

static inline struct tcp_sock *to_fin_wait_1(struct fixture *fx)
{
    struct tcp_sock *s = sock_established(fx);
    tcp_close(s);
    expect_seg(fx,
               (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = REMOTE_ISN + 1});
    cr_assert_eq(s->state, TCP_FIN_WAIT_1);
    return s;
}

static inline struct tcp_sock *to_fin_wait_2(struct fixture *fx)
{
    struct tcp_sock *s = to_fin_wait_1(fx);
    send_seg(fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 2});
    cr_assert_eq(s->state, TCP_FIN_WAIT_2);
    return s;
}

static inline struct tcp_sock *to_time_wait(struct fixture *fx)
{
    struct tcp_sock *s = to_fin_wait_2(fx);
    send_seg(fx,
             (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 2});
    expect_seg(fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = REMOTE_ISN + 2});
    cr_assert_eq(s->state, TCP_TIME_WAIT);
    return s;
}

static inline struct tcp_sock *to_closing(struct fixture *fx)
{
    struct tcp_sock *s = to_fin_wait_1(fx);
    send_seg(fx,
             (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 1});
    expect_seg(fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 2, .ack = REMOTE_ISN + 2});
    cr_assert_eq(s->state, TCP_CLOSING);
    return s;
}

static inline struct tcp_sock *to_close_wait(struct fixture *fx)
{
    struct tcp_sock *s = sock_established(fx);
    send_seg(fx,
             (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 1});
    expect_seg(fx, (struct seg){.flags = TCP_ACK, .seq = s->iss + 1, .ack = REMOTE_ISN + 2});
    cr_assert_eq(s->state, TCP_CLOSE_WAIT);
    return s;
}

static inline struct tcp_sock *to_last_ack(struct fixture *fx)
{
    struct tcp_sock *s = to_close_wait(fx);
    tcp_close(s);
    expect_seg(fx,
               (struct seg){.flags = TCP_FIN | TCP_ACK, .seq = s->iss + 1, .ack = REMOTE_ISN + 2});
    cr_assert_eq(s->state, TCP_LAST_ACK);
    return s;
}

/* Passive open: a listener and a child in SYN_RCVD (its SYN,ACK consumed). */
static inline struct tcp_sock *to_syn_rcvd(struct fixture *fx)
{
    cr_assert(sock_listen(fx));
    send_seg(fx, (struct seg){.flags = TCP_SYN, .seq = REMOTE_ISN, .mss = 1460});
    struct tcp_seg sa;
    cr_assert(next_seg(fx, &sa, NULL));
    struct tcp_sock *c = tcp_lookup(fx->th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
    cr_assert(c);
    cr_assert_eq(c->state, TCP_SYN_RCVD);
    return c;
}

/* Simultaneous open: our SYN crossed the peer's; SYN_RCVD, SYN,ACK consumed. */
static inline struct tcp_sock *to_syn_rcvd_active(struct fixture *fx)
{
    struct tcp_sock *s = sock_syn_sent(fx);
    send_seg(fx, (struct seg){.flags = TCP_SYN, .seq = REMOTE_ISN, .mss = 1460});
    expect_seg(fx, (struct seg){.flags = TCP_SYN | TCP_ACK, .seq = s->iss, .ack = REMOTE_ISN + 1});
    cr_assert_eq(s->state, TCP_SYN_RCVD);
    return s;
}

#endif
