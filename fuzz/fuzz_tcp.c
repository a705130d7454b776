/* Fuzz target: one TCP connection driven by a fuzzed peer and a fuzzed app.
 *
 * TCP runs alone on a hand-made host (as in tests/tcp/tcp_harness.h): what it
 * sends is captured by the output hook, what the peer sends is built here
 * and handed to tcp_input_seg.  The connection is established by hand (active
 * or passive open, options chosen by the first input byte), then the input is
 * a list of operations: peer segments with flags, seq/ack offsets relative to
 * the connection's current state, window, payload and options; time advances;
 * app calls (send, recv, close, abort).
 *
 * Both byte streams follow known patterns, so every check is exact:
 *  - bytes the app reads are the peer's stream from offset 0, in order, and
 *    never beyond what the peer has sent;
 *  - bytes TCP sends sit at the sequence offset the app wrote them to, and
 *    never beyond what the app has written; a FIN comes only after close, at
 *    the end of the stream;
 *  - TCP never acknowledges sequence space the peer has not used;
 *  - SND.UNA <= SND.NXT <= SND.MAX, all within what has been sent;
 *  - every state change is an edge of the RFC 9293 state diagram (§3.3.2),
 *    starting from the state the connection was last reported in.
 * A violation prints what was seen and aborts, for libFuzzer to report.
 *
 * Input: byte 0 configuration (bit 0 passive open, 1 timestamps, 2 SACK,
 * 3 window scaling, 4 Nagle off, 5 delayed ACK off, 6 CUBIC, 7 4 KiB buffers),
 * byte 1 peer (bit 0 ISN just below 2^32 so that sequence numbers wrap,
 * bit 1 peer MSS 536), then operations (see run_op). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "stack/tcp/tcp_priv.h"

#define LOCAL_IP    0x0a000001u
#define REMOTE_IP   0x0a000002u
#define LOCAL_PORT  80
#define REMOTE_PORT 49500
#define MAX_PAYLOAD 3000u
#define MAX_CONNS   8u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct conn_state {
    char name[TCP_NAME_LEN];
    enum tcp_state state;
};

struct fz {
    struct sim sim;
    struct host host;
    struct tcp_host *th;
    struct trace_sink sink;
    struct tcp_sock *s;        /* the connection under test; NULL once freed */
    struct tcp_sock *listener; /* passive open only, until the child is accepted */
    bool checking;             /* the handshake is over: check every segment */
    bool app_closed;
    bool print; /* FUZZ_TRACE set: every event to stderr (to study a reproducer) */

    /* the model */
    uint32_t iss, irs;     /* local and peer initial sequence numbers */
    uint64_t app_sent;     /* bytes tcp_send accepted */
    uint32_t in_send;      /* during tcp_send: the bytes offered (TCP may send at once) */
    uint64_t sent_end;     /* end of the stream data TCP has sent */
    uint64_t app_read;     /* bytes tcp_recv returned */
    uint32_t peer_high;    /* highest sequence number the peer's segments reached */
    uint32_t local_high;   /* highest sequence number TCP's segments reached */
    uint32_t last_rcv_nxt; /* of the socket, kept after it is freed */
    uint32_t last_snd_una;
    uint32_t tsecr; /* the last TSval TCP sent */
    uint16_t peer_mss;
    bool peer_ts, peer_sack, peer_ws;

    struct conn_state conns[MAX_CONNS];
    uint32_t n_conns;
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

static _Noreturn void violation(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_tcp: invariant violated: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* The two streams: a multiplicative hash of the offset, so that no shift of a
 * segment by a plausible amount compares equal by accident. */
static uint8_t peer_byte(uint64_t off)
{
    return (uint8_t)(((uint32_t)off * 2654435761u) >> 24);
}

static uint8_t local_byte(uint64_t off)
{
    return (uint8_t)(((uint32_t)off * 2246822519u) >> 24) ^ 0x5a;
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

static struct fz *fz_of(struct host *h)
{
    return (struct fz *)((char *)h - offsetof(struct fz, host));
}

/* ---- state transitions (RFC 9293 §3.3.2, plus every state -> CLOSED for
 * RST, abort and timeouts) ---- */

static bool edge_allowed(enum tcp_state from, enum tcp_state to)
{
    if (to == TCP_CLOSED)
        return from != TCP_CLOSED;
    switch (from) {
    case TCP_CLOSED:
        return to == TCP_LISTEN || to == TCP_SYN_SENT;
    case TCP_LISTEN:
        return to == TCP_SYN_RCVD || to == TCP_SYN_SENT;
    case TCP_SYN_SENT:
        return to == TCP_SYN_RCVD || to == TCP_ESTABLISHED;
    case TCP_SYN_RCVD:
        /* §3.10.7.4: a FIN in SYN-RECEIVED enters CLOSE-WAIT; a RST of a
         * passive open returns to LISTEN */
        return to == TCP_ESTABLISHED || to == TCP_FIN_WAIT_1 || to == TCP_CLOSE_WAIT ||
               to == TCP_LISTEN;
    case TCP_ESTABLISHED:
        return to == TCP_FIN_WAIT_1 || to == TCP_CLOSE_WAIT;
    case TCP_FIN_WAIT_1:
        /* a FIN that also acknowledges ours goes straight to TIME-WAIT */
        return to == TCP_FIN_WAIT_2 || to == TCP_CLOSING || to == TCP_TIME_WAIT;
    case TCP_FIN_WAIT_2:
        return to == TCP_TIME_WAIT;
    case TCP_CLOSE_WAIT:
        return to == TCP_LAST_ACK;
    case TCP_CLOSING:
        return to == TCP_TIME_WAIT;
    default:
        return false;
    }
}

static bool state_by_name(const char *name, enum tcp_state *out)
{
    for (int k = 0; k < TCP_STATE_COUNT; k++)
        if (name && !strcmp(tcp_state_name((enum tcp_state)k), name)) {
            *out = (enum tcp_state)k;
            return true;
        }
    return false;
}

static struct conn_state *conn_find(struct fz *f, const char *name, enum tcp_state first)
{
    for (uint32_t k = 0; k < f->n_conns; k++)
        if (!strcmp(f->conns[k].name, name))
            return &f->conns[k];
    if (f->n_conns == MAX_CONNS)
        violation("more than %u connections from one input", MAX_CONNS);
    struct conn_state *c = &f->conns[f->n_conns++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->state = first;
    return c;
}

static void on_trace(struct trace_sink *sk, const struct trace_event *e)
{
    struct fz *f = (struct fz *)((char *)sk - offsetof(struct fz, sink));
    if (f->print)
        fprintf(stderr, "%12lld %s %s %s %s %s %s\n", (long long)e->t, trace_kind_name(e->kind),
                e->conn ? e->conn : "-", e->from ? e->from : "", e->to ? e->to : "",
                e->cause ? e->cause : "", e->what ? e->what : (e->timer ? e->timer : ""));
    if (e->kind != TRACE_STATE)
        return;
    enum tcp_state from, to;
    if (!e->conn || !state_by_name(e->from, &from) || !state_by_name(e->to, &to))
        violation("state event with unknown names (%s -> %s)", e->from, e->to);
    /* A new connection starts CLOSED; a passive child starts at LISTEN. */
    struct conn_state *c = conn_find(f, e->conn, from == TCP_LISTEN ? TCP_LISTEN : TCP_CLOSED);
    if (c->state != from)
        violation("%s: reported %s -> %s but was %s", e->conn, e->from, e->to,
                  tcp_state_name(c->state));
    if (!edge_allowed(from, to))
        violation("%s: %s -> %s (%s) is not an RFC 9293 transition", e->conn, e->from, e->to,
                  e->cause ? e->cause : "?");
    c->state = to;
}

/* ---- what TCP sends ---- */

static void check_sent(struct fz *f, const struct tcp_seg *g)
{
    if (g->flags & TCP_RST)
        return; /* RST carries whatever sequence number the segment it answers asked for */
    if ((g->flags & TCP_SYN) && g->seq != f->iss)
        violation("SYN with seq %u, ISS is %u", g->seq, f->iss);
    uint32_t data_seq = g->seq + ((g->flags & TCP_SYN) ? 1u : 0u);
    if (g->len) {
        uint64_t off = (uint32_t)(data_seq - (f->iss + 1));
        if (off + g->len > f->app_sent + f->in_send)
            violation("sent bytes [%llu, %llu) but the app wrote only %llu",
                      (unsigned long long)off, (unsigned long long)(off + g->len),
                      (unsigned long long)f->app_sent);
        if (off + g->len > f->sent_end)
            f->sent_end = off + g->len;
        for (uint32_t k = 0; k < g->len; k++)
            if (g->data[k] != local_byte(off + k))
                violation("sent byte at offset %llu differs from what the app wrote",
                          (unsigned long long)(off + k));
    }
    if (g->flags & TCP_FIN) {
        if (!f->app_closed)
            violation("FIN sent before the app closed");
        uint64_t end = (uint32_t)(data_seq + g->len - (f->iss + 1));
        if (end != f->app_sent)
            violation("FIN at stream offset %llu, the app wrote %llu", (unsigned long long)end,
                      (unsigned long long)f->app_sent);
    }
    if ((g->flags & TCP_ACK) && SEQ_GT(g->ack, f->peer_high))
        violation("ACK %u beyond what the peer sent (%u)", g->ack, f->peer_high);
    uint32_t end = data_seq + g->len + ((g->flags & TCP_FIN) ? 1u : 0u);
    if (SEQ_GT(end, f->local_high))
        f->local_high = end;
    if (g->has_ts)
        f->tsecr = g->tsval;
}

/* The output hook: parse, check, free. */
static enum ip4_send_result capture(struct host *h, struct frame *fr, uint32_t src, uint32_t dst,
                                    uint8_t proto, const struct ip4_send_opts *o)
{
    (void)o;
    struct fz *f = fz_of(h);
    struct tcp_seg g;
    bool bad = false;
    if (src != LOCAL_IP || dst != REMOTE_IP || proto != IP_PROTO_TCP || fr->len < IP4_L4_OFF)
        violation("segment to the wrong place");
    if (!tcp_parse(&g, src, dst, fr->data + IP4_L4_OFF, fr->len - IP4_L4_OFF, &bad))
        violation("TCP sent a segment it cannot parse itself (bad checksum: %d)", bad);
    if (f->checking)
        check_sent(f, &g);
    else if (g.has_ts)
        f->tsecr = g.tsval;
    frame_free(&f->sim.frames, fr);
    return IP4_SENT;
}

/* ---- the app ---- */

static void app_closed_cb(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)o, (void)now;
    struct fz *f = ctx;
    if (s == f->s)
        f->s = NULL;
    if (s == f->listener)
        f->listener = NULL;
}

static void app_accept_cb(void *ctx, struct tcp_sock *l, struct tcp_sock *c, sim_time now)
{
    (void)l, (void)now;
    struct fz *f = ctx;
    if (!f->s)
        f->s = c;
}

static const struct tcp_sock_ops app_ops = {.on_accept = app_accept_cb, .on_closed = app_closed_cb};

/* ---- what the peer sends ---- */

struct peer_seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t wnd;
    uint32_t len;
    uint16_t mss;
    int8_t wscale; /* -1: absent */
    bool sack_ok, ts;
    uint32_t tsval;
    uint32_t n_sack;
    uint32_t sack[3][2];
};

static uint32_t build_options(uint8_t *o, const struct peer_seg *p)
{
    uint32_t n = 0;
    if (p->mss) {
        o[n] = 2, o[n + 1] = 4, put16(o + n + 2, p->mss);
        n += 4;
    }
    if (p->wscale >= 0) {
        o[n] = 1, o[n + 1] = 3, o[n + 2] = 3, o[n + 3] = (uint8_t)p->wscale;
        n += 4;
    }
    if (p->sack_ok) {
        o[n] = 1, o[n + 1] = 1, o[n + 2] = 4, o[n + 3] = 2;
        n += 4;
    }
    if (p->ts) {
        o[n] = 1, o[n + 1] = 1, o[n + 2] = 8, o[n + 3] = 10;
        n += 4;
        put32(o + n, p->tsval);
        n += 4;
        put32(o + n, 0);
        n += 4;
    }
    uint32_t blocks = p->n_sack;
    while (blocks && n + 4 + 8 * blocks > TCP_MAX_OPT)
        blocks--;
    if (blocks) {
        o[n] = 1, o[n + 1] = 1, o[n + 2] = 5, o[n + 3] = (uint8_t)(2 + 8 * blocks);
        n += 4;
        for (uint32_t k = 0; k < blocks; k++, n += 8) {
            put32(o + n, p->sack[k][0]);
            put32(o + n + 4, p->sack[k][1]);
        }
    }
    return n;
}

/* Builds the bytes (payload from the peer's pattern at its sequence offset),
 * parses them as IP would and hands the segment to TCP. */
static void peer_send(struct fz *f, struct peer_seg *p)
{
    uint8_t b[TCP_HLEN + TCP_MAX_OPT + MAX_PAYLOAD];
    uint32_t opt = build_options(b + TCP_HLEN, p);
    if (p->ts) { /* TSecr: the last TSval TCP sent (build_options leaves it zero) */
        for (uint32_t k = 0; k + 10 <= opt; k++)
            if (b[TCP_HLEN + k] == 8 && b[TCP_HLEN + k + 1] == 10) {
                put32(b + TCP_HLEN + k + 6, f->tsecr);
                break;
            }
    }
    uint32_t hlen = TCP_HLEN + opt;
    put16(b, REMOTE_PORT);
    put16(b + 2, LOCAL_PORT);
    put32(b + 4, p->seq);
    put32(b + 8, p->ack);
    b[12] = (uint8_t)((hlen / 4) << 4);
    b[13] = p->flags;
    put16(b + 14, p->wnd);
    put16(b + 16, 0);
    put16(b + 18, 0);
    uint32_t data_seq = p->seq + ((p->flags & TCP_SYN) ? 1u : 0u);
    uint32_t off = data_seq - (f->irs + 1);
    for (uint32_t k = 0; k < p->len; k++)
        b[hlen + k] = peer_byte((uint64_t)(uint32_t)(off + k));
    uint32_t n = hlen + p->len;
    put16(b + 16, tcp_checksum(REMOTE_IP, LOCAL_IP, b, n));

    uint32_t end = data_seq + p->len + ((p->flags & TCP_FIN) ? 1u : 0u);
    if (SEQ_GT(end, f->peer_high) && !(p->flags & TCP_RST))
        f->peer_high = end;

    struct tcp_seg g;
    bool bad;
    if (!tcp_parse(&g, REMOTE_IP, LOCAL_IP, b, n, &bad))
        violation("tcp_parse refused a well-formed segment (bad checksum: %d)", bad);
    tcp_input_seg(f->th, &g, sim_now(&f->sim));
}

static uint32_t peer_tsval(const struct fz *f, int8_t skew)
{
    return (uint32_t)(sim_now(&f->sim) / SIM_MS) + 100000u + (uint32_t)(int32_t)skew;
}

/* A segment with the options the peer negotiated. */
static struct peer_seg peer_plain(const struct fz *f, uint8_t flags, uint32_t len)
{
    return (struct peer_seg){.flags = flags,
                             .seq = f->last_rcv_nxt,
                             .ack = f->local_high,
                             .wnd = 65535,
                             .len = len,
                             .wscale = -1,
                             .ts = f->peer_ts,
                             .tsval = peer_tsval(f, 0)};
}

/* ---- setup ---- */

static struct peer_seg peer_syn(struct fz *f, uint8_t flags)
{
    struct peer_seg p = peer_plain(f, flags, 0);
    p.seq = f->irs;
    p.ack = flags & TCP_ACK ? f->iss + 1 : 0;
    p.mss = f->peer_mss;
    p.wscale = f->peer_ws ? 7 : -1;
    p.sack_ok = f->peer_sack;
    return p;
}

static bool establish_active(struct fz *f)
{
    f->s = tcp_connect_from(f->th, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT, "cli", "cli",
                            &app_ops, f, sim_now(&f->sim));
    if (!f->s)
        return false;
    f->iss = f->s->iss;
    f->local_high = f->iss + 1;
    struct peer_seg p = peer_syn(f, TCP_SYN | TCP_ACK);
    peer_send(f, &p);
    return f->s && f->s->state == TCP_ESTABLISHED;
}

static bool establish_passive(struct fz *f)
{
    f->listener = tcp_listen(&f->host, LOCAL_PORT, 4, "srv", &app_ops, f);
    if (!f->listener)
        return false;
    struct peer_seg p = peer_syn(f, TCP_SYN);
    peer_send(f, &p);
    struct tcp_sock *child = f->listener->next; /* creation order: the child follows */
    if (!child || child->state != TCP_SYN_RCVD)
        return false;
    f->iss = child->iss;
    f->local_high = f->iss + 1;
    f->last_rcv_nxt = f->irs + 1;
    p = peer_plain(f, TCP_ACK, 0);
    peer_send(f, &p);
    if (!f->s)
        return false;
    tcp_close(f->listener); /* one connection per input: no more children */
    return f->s->state == TCP_ESTABLISHED;
}

static void config_from(struct tcp_config *c, uint8_t b)
{
    tcp_config_default(c);
    c->timestamps = b & 0x02;
    c->sack = b & 0x04;
    c->window_scale = b & 0x08;
    c->nagle = !(b & 0x10);
    if (b & 0x20)
        c->delayed_ack = 0;
    c->cc = b & 0x40 ? TCP_CC_CUBIC : TCP_CC_NEWRENO;
    if (b & 0x80)
        c->sndbuf = c->rcvbuf = 4096;
    c->msl = 5 * SIM_SEC; /* TIME_WAIT within reach of a few time steps */
}

/* ---- invariants after every step ---- */

static void check_socket(struct fz *f)
{
    struct tcp_sock *s = f->s;
    if (!s)
        return;
    if (s->iss != f->iss || s->irs != f->irs)
        violation("ISS/IRS changed on an established connection");
    if (!SEQ_LEQ(s->snd_una, s->snd_nxt) || !SEQ_LEQ(s->snd_nxt, s->snd_max))
        violation("SND.UNA %u, SND.NXT %u, SND.MAX %u out of order", s->snd_una, s->snd_nxt,
                  s->snd_max);
    uint32_t limit = f->iss + 1 + (uint32_t)f->app_sent + 1; /* data and FIN */
    if (SEQ_GT(s->snd_max, limit) || SEQ_LT(s->snd_una, f->iss))
        violation("SND.MAX %u / SND.UNA %u outside [ISS, ISS+2+sent] (%u)", s->snd_max, s->snd_una,
                  limit);
    if (SEQ_GT(s->rcv_nxt, f->peer_high))
        violation("RCV.NXT %u beyond what the peer sent (%u)", s->rcv_nxt, f->peer_high);
    if (tcp_readable(s) > f->th->cfg->rcvbuf)
        violation("%u bytes readable with a %u-byte receive buffer", tcp_readable(s),
                  f->th->cfg->rcvbuf);
    f->last_rcv_nxt = s->rcv_nxt;
    f->last_snd_una = s->snd_una;
}

/* ---- operations ---- */

static void op_segment(struct fz *f, struct cursor *c)
{
    uint8_t fl = take8(c);
    int16_t seq_off = (int16_t)take16(c);
    int16_t ack_off = (int16_t)take16(c);
    struct peer_seg p = peer_plain(f, fl & 0x3f, take16(c) % (MAX_PAYLOAD + 1));
    p.wnd = take16(c);
    uint8_t om = take8(c);
    p.seq = f->last_rcv_nxt + (uint32_t)(int32_t)seq_off;
    /* bit 6 of the flags byte: ack relative to the highest byte TCP sent */
    p.ack = (fl & 0x40 ? f->local_high : f->last_snd_una) + (uint32_t)(int32_t)ack_off;
    p.ts = om & 0x01;
    p.tsval = peer_tsval(f, (int8_t)take8(c));
    if (om & 0x02) {
        p.n_sack = 1 + (om >> 2 & 3) % 3;
        for (uint32_t k = 0; k < p.n_sack; k++) {
            p.sack[k][0] = f->last_snd_una + take16(c);
            p.sack[k][1] = p.sack[k][0] + take16(c);
        }
    }
    if (om & 0x10)
        p.mss = take16(c);
    if (om & 0x20)
        p.wscale = (int8_t)(take8(c) & 0x1f);
    p.sack_ok = om & 0x40;
    peer_send(f, &p);
}

static void op_advance(struct fz *f, uint8_t k)
{
    sim_time d;
    if (k < 100)
        d = k * SIM_MS;
    else if (k < 200)
        d = (k - 99) * 100 * SIM_MS;
    else
        d = (k - 199) * 10 * SIM_SEC;
    sim_run(&f->sim, sim_now(&f->sim) + d);
}

static void op_send(struct fz *f, uint32_t len)
{
    uint8_t b[MAX_PAYLOAD * 2];
    if (!f->s)
        return;
    for (uint32_t k = 0; k < len; k++)
        b[k] = local_byte(f->app_sent + k);
    f->in_send = len;
    uint32_t n = tcp_send(f->s, b, len);
    f->in_send = 0;
    if (n > len)
        violation("tcp_send took %u of %u bytes", n, len);
    f->app_sent += n;
    if (f->sent_end > f->app_sent)
        violation("sent stream bytes up to %llu, tcp_send accepted only %llu",
                  (unsigned long long)f->sent_end, (unsigned long long)f->app_sent);
}

static void op_recv(struct fz *f, uint32_t max)
{
    uint8_t b[MAX_PAYLOAD * 2];
    if (!f->s)
        return;
    uint32_t n = tcp_recv(f->s, b, max);
    if (n > max)
        violation("tcp_recv returned %u for a %u-byte buffer", n, max);
    for (uint32_t k = 0; k < n; k++)
        if (b[k] != peer_byte(f->app_read + k))
            violation("delivered byte at stream offset %llu is not the peer's",
                      (unsigned long long)(f->app_read + k));
    f->app_read += n;
    if (SEQ_GT(f->irs + 1 + (uint32_t)f->app_read, f->peer_high))
        violation("delivered %llu bytes, more than the peer sent", (unsigned long long)f->app_read);
}

/* One operation; the opcode byte picks it. */
static void run_op(struct fz *f, struct cursor *c)
{
    uint8_t op = take8(c) % 9;
    switch (op) {
    case 0: /* segment: flags, seq off, ack off, len, wnd, options, ts skew, [sack], [mss], [ws] */
        op_segment(f, c);
        break;
    case 1: /* time passes */
        op_advance(f, take8(c));
        break;
    case 2:
        op_send(f, take16(c) % (2 * MAX_PAYLOAD + 1));
        break;
    case 3:
        op_recv(f, take16(c) % (2 * MAX_PAYLOAD + 1));
        break;
    case 4:
        if (f->s) {
            f->app_closed = true;
            tcp_close(f->s);
        }
        break;
    case 5:
        if (f->s)
            tcp_abort(f->s);
        break;
    case 6: { /* the peer acknowledges everything TCP has sent */
        struct peer_seg p = peer_plain(f, TCP_ACK, 0);
        peer_send(f, &p);
        break;
    }
    case 7: { /* in-order data from the peer */
        struct peer_seg p = peer_plain(f, TCP_ACK, take16(c) % (MAX_PAYLOAD + 1));
        p.ack = f->last_snd_una;
        peer_send(f, &p);
        break;
    }
    case 8: { /* in-order FIN from the peer */
        struct peer_seg p = peer_plain(f, TCP_ACK | TCP_FIN, 0);
        peer_send(f, &p);
        break;
    }
    }
    check_socket(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16 * 1024)
        return -1;
    struct cursor c = {data, size};
    struct fz *f = calloc(1, sizeof(*f));
    if (!f)
        return 0;
    uint8_t cfg_byte = take8(&c), peer = take8(&c);
    sim_init(&f->sim, 1);
    f->print = getenv("FUZZ_TRACE") != NULL;
    f->host =
        (struct host){.sim = &f->sim, .bus = &f->sim.bus, .frames = &f->sim.frames, .name = "a"};
    rng_seed(&f->host.rng, 1, "host:a");
    f->sink = (struct trace_sink){.event = on_trace, .mask = TRACE_MASK_ALL};
    trace_bus_add_sink(&f->sim.bus, &f->sink);
    struct tcp_config cfg;
    config_from(&cfg, cfg_byte);
    f->th = tcp_host_new(&f->host, &cfg, capture);
    f->irs = peer & 1 ? 0xffffff00u : 1000u;
    f->peer_high = f->irs + 1;
    f->last_rcv_nxt = f->irs + 1;
    f->peer_mss = peer & 2 ? 536 : 1460;
    f->peer_ts = cfg.timestamps;
    f->peer_sack = cfg.sack;
    f->peer_ws = cfg.window_scale;
    bool up = f->th && (cfg_byte & 1 ? establish_passive(f) : establish_active(f));
    if (up) {
        f->checking = true;
        check_socket(f);
        while (c.left)
            run_op(f, &c);
        op_advance(f, 255); /* timers play out */
        check_socket(f);
    } else if (f->th) {
        violation("the handshake did not establish the connection");
    }
    if (f->th)
        tcp_host_free(f->th);
    if (f->sim.frames.in_use)
        violation("%llu frames not returned to the pool", (unsigned long long)f->sim.frames.in_use);
    sim_destroy(&f->sim);
    free(f);
    return 0;
}
