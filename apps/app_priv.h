/* Shared by the scenario applications: trace helpers, formatting, and the
 * verifying TCP stream (pattern.c) that clients and servers both use. */
#ifndef APPS_APP_PRIV_H
#define APPS_APP_PRIV_H

#include <stddef.h>
#include <stdio.h>

#include "../sim/timer.h"
#include "../stack/icmp.h"
#include "../stack/tcp/tcp.h"
#include "apps.h"

static inline sim_time app_now(const struct app *a)
{
    return sim_now(a->host->sim);
}

/* An app event (kind `app`) about connection `conn` (NULL for none). */
void app_trace(const struct app *a, const char *conn, const struct trace_event *fields);

/* "10.0.0.2" */
void app_fmt_ip(char *buf, size_t n, uint32_t ip);
/* ns as "20.123" (milliseconds, 3 decimals, integer arithmetic) */
void app_fmt_ms(char *buf, size_t n, sim_time ns);
/* ns as "1.234" (seconds, 3 decimals, integer arithmetic) */
void app_fmt_s(char *buf, size_t n, sim_time ns);

/* What an ICMP error says, in ping's words: "Time to live exceeded",
 * "Destination Port Unreachable", ... */
void app_fmt_icmp_error(char *buf, size_t n, const struct icmp_error *e);

char *app_strdup(const char *s);
/* Fills in the common part of an app; false when memory runs out. */
bool app_base_init(struct app *a, const struct app_ops *ops, const char *type, const char *id,
                   struct host *h);

/* One TCP connection's byte streams, as an app sees them: what it sends is the
 * pattern from offset 0 (or, echoing, exactly what it read at the same
 * offsets), what it reads is checked against the pattern from offset 0. */
struct app_stream {
    struct app *app;
    struct tcp_sock *s; /* NULL once the connection is gone (or the app detached) */
    char name[40];      /* the connection's name, kept after the socket is freed */
    bool echo;
    uint64_t rx;      /* bytes read */
    uint64_t tx;      /* bytes handed to TCP */
    uint64_t tx_goal; /* bytes the app wants handed to TCP so far */
    bool intact;
    uint64_t first_bad;     /* offset of the first byte that differed (when !intact) */
    uint64_t read_rate_bps; /* 0: read everything at once */
    sim_time next_read;
    struct sim_timer read_timer;
    bool closed; /* on_closed was called */
    enum tcp_outcome outcome;
    sim_time closed_at;
    /* The connection's figures as it went away (tcp_get_info), for the report. */
    uint64_t retransmits;
    sim_time srtt, established_at;
    /* Called after each read (may be NULL): reading can reveal the peer's
     * FIN before an echo has queued the bytes it just read. */
    void (*after_read)(struct app_stream *st);
};

void app_stream_init(struct app_stream *st, struct app *a, uint64_t read_rate_bps, bool echo);
void app_stream_attach(struct app_stream *st, struct tcp_sock *s);
/* Hands the pattern to TCP until tx reaches tx_goal or the send buffer is full. */
void app_stream_pump(struct app_stream *st);
/* Data is waiting (on_readable): read now, or schedule the slow reader. */
void app_stream_readable(struct app_stream *st, sim_time now);
/* Send space was freed (on_writable): send more, and an echo reads more. */
void app_stream_writable(struct app_stream *st, sim_time now);
void app_stream_closed(struct app_stream *st, enum tcp_outcome o, sim_time now);
/* The app goes away: no more callbacks, no trace events. */
void app_stream_detach(struct app_stream *st);
/* True when every byte wanted has been handed to TCP. */
static inline bool app_stream_all_queued(const struct app_stream *st)
{
    return st->tx >= st->tx_goal;
}
void app_stream_stats(const struct app_stream *st, struct app_stats *out);
/* "sent 1000 B, received 0 B" (+ ", corrupted at offset N") */
void app_stream_fmt_bytes(const struct app_stream *st, char *buf, size_t n);
/* "outcome established, closed at 1.234 s" or "outcome established, state ESTABLISHED" */
void app_stream_fmt_end(const struct app_stream *st, char *buf, size_t n);

#endif
