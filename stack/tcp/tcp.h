/* TCP (RFC 9293) as seen by applications and by the host: the socket API.
 *
 * Sockets are event-driven: the stack calls back into the application; the
 * application calls tcp_send/tcp_recv/tcp_close/tcp_abort.  Every socket has a
 * name used in traces (`conn`): the client app's id for an active open, the
 * listener's name plus "#k" (k = 1, 2, ... in accept order) for an accepted
 * connection, and `app` naming the application that owns it.
 *
 * The socket layer reports app events (connect, accept, send, deliver, close)
 * and state changes to the trace bus. */
#ifndef STACK_TCP_H
#define STACK_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "../host.h"

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
    TCP_STATE_COUNT
};

/* "CLOSED", "SYN_SENT", ... */
const char *tcp_state_name(enum tcp_state s);

/* How a connection ended (or stands). */
enum tcp_outcome {
    TCP_OUTCOME_PENDING,     /* never established, still trying */
    TCP_OUTCOME_ESTABLISHED, /* established (and closed normally, if closed) */
    TCP_OUTCOME_REFUSED,     /* RST in answer to our SYN */
    TCP_OUTCOME_RESET,       /* reset after it was synchronized (by the peer or by us) */
    TCP_OUTCOME_TIMEOUT,     /* retransmissions exhausted */
};
const char *tcp_outcome_name(enum tcp_outcome o); /* "established", "refused", ... */

enum tcp_cc_algo { TCP_CC_NEWRENO, TCP_CC_CUBIC };

/* Per-host settings (scenario `tcp` block). Defaults: tcp_config_default. */
struct tcp_config {
    uint32_t mss;            /* 1460 */
    uint32_t initial_window; /* segments; 10 (RFC 6928, Linux) */
    enum tcp_cc_algo cc;
    sim_time delayed_ack;    /* 40 ms like Linux; 0 = off (ACK every segment) */
    bool nagle;              /* true */
    bool sack;               /* true */
    bool window_scale;       /* true */
    bool timestamps;         /* true */
    sim_time min_rto;        /* 1 s (RFC 6298 (2.4)) */
    sim_time max_rto;        /* 120 s */
    sim_time initial_rto;    /* 1 s (RFC 6298 (2.1)) */
    sim_time msl;            /* 2 min (RFC 9293); TIME_WAIT lasts 2*msl */
    uint32_t sndbuf, rcvbuf; /* bytes; 128 KiB each */
    uint32_t syn_retries;    /* 6, like Linux */
    uint32_t synack_retries; /* 5, like Linux */
    uint32_t retries2;       /* 15, like Linux: data retransmissions before giving up */
    uint32_t backlog;        /* default listen backlog: 128 */
    sim_time keepalive;      /* 0 = off */
};
void tcp_config_default(struct tcp_config *c);
/* Whether two configs ask for the same behaviour (every field equal). */
bool tcp_config_equal(const struct tcp_config *a, const struct tcp_config *b);

struct tcp_sock;

struct tcp_sock_ops {
    /* Active open reached ESTABLISHED. */
    void (*on_connected)(void *ctx, struct tcp_sock *s, sim_time now);
    /* A listener accepted `child` (it is ESTABLISHED).  Called with the
     * listener's ctx; the app sets the child's ops with tcp_set_ops. */
    void (*on_accept)(void *ctx, struct tcp_sock *listener, struct tcp_sock *child, sim_time now);
    /* In-order data is waiting: read it with tcp_recv. */
    void (*on_readable)(void *ctx, struct tcp_sock *s, sim_time now);
    /* Send-buffer space was freed. */
    void (*on_writable)(void *ctx, struct tcp_sock *s, sim_time now);
    /* The peer sent FIN and every byte before it has been read. */
    void (*on_peer_closed)(void *ctx, struct tcp_sock *s, sim_time now);
    /* The connection is gone (CLOSED, including after TIME_WAIT, reset or
     * timeout).  The socket is freed after this returns. */
    void (*on_closed)(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now);
};

/* Installs TCP on a host (registers IP protocol 6).  cfg is copied. */
bool tcp_attach(struct host *h, const struct tcp_config *cfg);
/* The same without a copy: cfg must outlive the host, and hosts given the
 * same one share it (a world of many hosts with one configuration). */
bool tcp_attach_shared(struct host *h, const struct tcp_config *cfg);
const struct tcp_config *tcp_host_config(const struct host *h);

/* Passive open on `port`; `name` is the listener's name ("srv").  NULL when
 * the port is taken or memory runs out. */
struct tcp_sock *tcp_listen(struct host *h, uint16_t port, uint32_t backlog, const char *name,
                            const struct tcp_sock_ops *ops, void *ctx);
/* Active open to dst:dport from sport (0 = ephemeral).  `name` is the
 * connection's name, `app` the owning application's (often the same). */
struct tcp_sock *tcp_connect(struct host *h, uint32_t dst, uint16_t dport, uint16_t sport,
                             const char *name, const char *app, const struct tcp_sock_ops *ops,
                             void *ctx);
void tcp_set_ops(struct tcp_sock *s, const struct tcp_sock_ops *ops, void *ctx);

/* Copies up to len bytes into the send buffer; returns how many fit. */
uint32_t tcp_send(struct tcp_sock *s, const uint8_t *data, uint32_t len);

/* Writes the n bytes of the stream that start at `offset` (0 = the first
 * byte after the SYN) into dst and returns their Internet checksum sum as
 * inet_csum_add(0, dst, n) would (any nonzero value congruent to it modulo
 * 0xffff when the bytes are not all zero), which a source that knows its
 * bytes can give without reading them. */
typedef uint32_t (*tcp_payload_fn)(void *ctx, uint64_t offset, uint8_t *dst, uint32_t n);
/* For an app whose bytes are a function of their stream offset: from now on
 * the socket's send buffer holds a count instead of bytes, and each segment's
 * payload (retransmissions too) is made by `fill` as the segment is built, so
 * a full send buffer costs no memory and no copy.  False once bytes were
 * queued by tcp_send. */
bool tcp_set_payload_source(struct tcp_sock *s, tcp_payload_fn fill, void *ctx);
/* For an app that knows what it should receive (a function of the offset,
 * like a payload source): runs of received bytes that equal fill's are held
 * as marks rather than bytes until read, so data waiting in the receive
 * buffer (out-of-order data above all) costs no memory; bytes that differ
 * are held as they came, and a read always returns what arrived.  False
 * (and nothing changes) while the receive buffer holds bytes. */
bool tcp_set_payload_expect(struct tcp_sock *s, tcp_payload_fn fill, void *ctx);
/* With a payload source: queues up to len more bytes of the stream; returns
 * how many fit (0 without a payload source). */
uint32_t tcp_send_generated(struct tcp_sock *s, uint32_t len);
uint32_t tcp_send_space(const struct tcp_sock *s);
/* Reads up to max bytes of in-order data; reading opens the receive window. */
uint32_t tcp_recv(struct tcp_sock *s, uint8_t *buf, uint32_t max);
uint32_t tcp_readable(const struct tcp_sock *s);
/* Graceful close: FIN after the data already queued (RFC 9293 §3.10.4). */
void tcp_close(struct tcp_sock *s);
/* Abort: RST, and the socket goes to CLOSED at once (§3.10.5). */
void tcp_abort(struct tcp_sock *s);

struct tcp_info {
    enum tcp_state state;
    enum tcp_outcome outcome;
    const char *name;
    uint32_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint64_t segs_out, segs_in, retransmits, timeouts;
    uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd, mss;
    sim_time srtt, rttvar, rto;
    sim_time established_at, closed_at;
};
void tcp_get_info(const struct tcp_sock *s, struct tcp_info *out);
enum tcp_state tcp_get_state(const struct tcp_sock *s);
const char *tcp_sock_name(const struct tcp_sock *s);

#endif
