/* Scenario applications (SPEC §3 `apps`).  Each uses only the socket API of
 * the host it runs on, and reports through the trace bus; the socket layer
 * emits connect/accept/send/deliver/close, the app adds what only it knows
 * (verification failures, ping replies, per-connection results).
 *
 * Every byte an app sends follows one deterministic pattern (app_pattern_byte),
 * so every receiver can verify that what it was given is exactly what was sent. */
#ifndef APPS_APPS_H
#define APPS_APPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../stack/host.h"

enum app_action { APP_DO_SEND, APP_DO_CLOSE, APP_DO_ABORT };

struct app;

/* What an app has done so far, for expectations and reports.  Fields that do
 * not apply to an app's type stay zero; `intact` is true until a received byte
 * differs from the pattern. */
struct app_stats {
    uint64_t bytes_received; /* TCP: bytes read (a server: all connections); udp_sink: payload */
    uint64_t bytes_sent;     /* TCP: bytes handed to TCP; udp_sender: payload bytes sent */
    bool intact;
    uint32_t connections; /* tcp_server: connections accepted */
    uint32_t datagrams;   /* udp_sender: sent; udp_sink: received */
    uint32_t ping_sent, ping_received;
    sim_time rtt_min, rtt_max, rtt_avg; /* ping: over the replies received */
    const char *outcome; /* one TCP connection: tcp_outcome_name(); "pending" before a connect */
    const char *state;   /* one TCP connection: its state name now ("CLOSED" once gone) */
    uint32_t hops;       /* traceroute: hops probed */
    bool reached;        /* traceroute: the destination answered */
};

struct app_ops {
    const char *type; /* "tcp_server", ... */
    /* A timed action from the scenario's `events`; conn is NULL for the app
     * itself or names an accepted connection ("srv#1").  False when it does
     * not apply (unknown connection, already closed). */
    bool (*action)(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                   sim_time now);
    /* Lines of the human report (`tcpsim run`), e.g. "c1: sent 1000 B, ...". */
    void (*report)(struct app *a, FILE *out);
    /* Stops the app: cancels its timers and detaches it from its sockets
     * without further trace events (TCP sockets stay with their host, which
     * frees them; UDP and ICMP sockets are closed).  Call it before the host
     * and the simulation are destroyed. */
    void (*destroy)(struct app *a);
    /* See app_stats.  May be NULL. */
    bool (*stats)(const struct app *a, const char *conn, struct app_stats *out);
};

struct app {
    const struct app_ops *ops;
    char *id;
    struct host *host;
};

/* Period 251 (prime) so that a segment shifted by any multiple of common
 * sizes does not compare equal by accident. */
#define APP_PATTERN_PERIOD 251

/* The byte at `offset` of every stream an app sends. */
static inline uint8_t app_pattern_byte(uint64_t offset)
{
    return (uint8_t)((offset % APP_PATTERN_PERIOD) ^ 0x5a);
}
void app_pattern_fill(uint8_t *buf, uint64_t offset, uint32_t len);
/* Index of the first byte that differs from the pattern, or len if none. */
uint32_t app_pattern_check(const uint8_t *buf, uint64_t offset, uint32_t len);
/* The Internet checksum sum (RFC 1071, before the final complement) of the
 * len pattern bytes from `offset`, the first as a high byte, in constant
 * time: folded to 16 bits, 0 only when every byte is 0. */
uint32_t app_pattern_sum(uint64_t offset, uint32_t len);
/* The pattern as a TCP payload source (tcp_payload_fn; ctx unused): fills
 * dst and returns its checksum sum. */
uint32_t app_pattern_payload(void *ctx, uint64_t offset, uint8_t *dst, uint32_t n);

enum app_server_mode { APP_SERVER_SINK, APP_SERVER_ECHO, APP_SERVER_RESPOND };

struct app_tcp_server_cfg {
    const char *id;
    uint16_t port;
    enum app_server_mode mode;
    uint64_t respond_bytes; /* APP_SERVER_RESPOND: bytes sent on each accepted connection */
    bool close_never;       /* default: close once the peer has closed and our data is sent */
    uint64_t read_rate_bps; /* 0: read at once; else a slow reader */
    uint32_t backlog;       /* 0: the host's default */
};

struct app_send_step {
    sim_time at; /* absolute time */
    uint64_t bytes;
};

enum app_close_mode { APP_CLOSE_AFTER_SEND, APP_CLOSE_AT, APP_CLOSE_NEVER };

struct app_tcp_client_cfg {
    const char *id;
    uint32_t dst;
    uint16_t dport;
    uint16_t sport;                     /* 0 = ephemeral */
    sim_time at;                        /* when to connect */
    uint64_t send;                      /* bytes to send once connected */
    const struct app_send_step *script; /* further timed sends */
    uint32_t n_script;
    enum app_close_mode close;
    sim_time close_at; /* APP_CLOSE_AT */
    sim_time abort_at; /* < 0: never (0 aborts at time 0) */
    uint64_t read_rate_bps;
};

/* Datagram k (0-based) carries the pattern from offset k*size and nothing
 * else; the sink checks each datagram is one unbroken run of the pattern (the
 * first byte gives the offset modulo the period), so loss and reordering do
 * not count as corruption.  Apps add app events "error" (ICMP errors, sends
 * that IP refused) and "verify_failed" (the sink, once). */
struct app_udp_sender_cfg {
    const char *id;
    uint32_t dst;
    uint16_t dport, sport;
    sim_time at, interval;
    uint32_t count, size;
};

struct app_udp_sink_cfg {
    const char *id;
    uint16_t port;
};

/* Zero means the default for count (4), size (56), interval (1 s), timeout
 * (1 s) and ttl (64).  App events: "reply" (rtt, detail like ping's line),
 * "timeout" (no reply within `timeout`: lost), "late" (a reply after that,
 * not counted), "duplicate", "error" (ICMP error or refused send) and, once
 * every request is settled, "result" with ping's summary. */
struct app_ping_cfg {
    const char *id;
    uint32_t dst;
    sim_time at, interval, timeout;
    uint32_t count, size; /* size: ICMP payload bytes (ping -s), default 56 */
    uint8_t ttl;
};

/* Zero means the default for every number.  App events: "hop" per hop (detail
 * like traceroute's line, total = the TTL), then "result". */
struct app_traceroute_cfg {
    const char *id;
    uint32_t dst;
    sim_time at, wait; /* wait: per-probe timeout (default 1 s, sequential probes) */
    uint8_t max_hops;  /* default 30 */
    uint32_t probes;   /* per hop, default 3 */
    uint16_t dport;    /* first destination port, default 33434 */
};

/* Each returns NULL when the socket cannot be opened (port taken) or memory runs out. */
struct app *app_tcp_server_create(struct host *h, const struct app_tcp_server_cfg *c);
struct app *app_tcp_client_create(struct host *h, const struct app_tcp_client_cfg *c);
struct app *app_udp_sender_create(struct host *h, const struct app_udp_sender_cfg *c);
struct app *app_udp_sink_create(struct host *h, const struct app_udp_sink_cfg *c);
struct app *app_ping_create(struct host *h, const struct app_ping_cfg *c);
struct app *app_traceroute_create(struct host *h, const struct app_traceroute_cfg *c);

/* Statistics of app `a` (conn NULL), or of one of a server's accepted
 * connections (conn "srv#1").  False when the app has none or conn is unknown. */
static inline bool app_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    return a && a->ops->stats && a->ops->stats(a, conn, out);
}

static inline void app_destroy(struct app *a)
{
    if (a)
        a->ops->destroy(a);
}

#endif
