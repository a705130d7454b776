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
bool app_base_init(struct app *a, const struct app_ops *ops, const char *id, struct host *h);

/* What the report says of a connection once its socket is gone: its
 * figures (tcp_get_info) as it went away. */
struct app_conn_figures {
    sim_time closed_at, srtt, established_at;
    uint64_t retransmits;
};

struct app_slow_reader;

/* One TCP connection's byte streams, as an app sees them: what it sends is the
 * pattern from offset 0 (or, echoing, exactly what it read at the same
 * offsets), what it reads is checked against the pattern from offset 0.
 *
 * Kept small (one per client, one per open accepted connection): the owner
 * passes its app where one is needed, the connection's name is its socket's
 * (verification runs only while there is one), and what only a slow reader
 * needs is allocated for slow readers alone. */
struct app_stream {
    struct tcp_sock *s;           /* NULL once the connection is gone (or the app detached) */
    uint64_t rx;                  /* bytes read */
    uint64_t tx;                  /* bytes handed to TCP */
    uint64_t tx_goal;             /* bytes the app wants handed to TCP so far */
    uint64_t first_bad;           /* offset of the first byte that differed (when !intact) */
    struct app_slow_reader *slow; /* NULL: reads everything at once */
    uint8_t outcome;              /* enum tcp_outcome, once the socket is gone */
    bool echo : 1;
    bool intact : 1;
    bool closed : 1; /* on_closed was called */
};

/* Called after each read of a slow reader (may be NULL): reading can reveal
 * the peer's FIN before an echo has queued the bytes it just read.  Owners
 * of streams that read at once act after app_stream_readable instead. */
typedef void (*app_after_read_fn)(struct app_stream *st);

/* False when memory runs out (a slow reader's state). */
bool app_stream_init(struct app_stream *st, struct app *a, uint64_t read_rate_bps, bool echo,
                     app_after_read_fn after_read);
void app_stream_attach(struct app_stream *st, struct tcp_sock *s);
/* Hands the pattern to TCP until tx reaches tx_goal or the send buffer is full. */
void app_stream_pump(struct app_stream *st);
/* Data is waiting (on_readable): read now, or schedule the slow reader.
 * True when it read now. */
bool app_stream_readable(struct app_stream *st, struct app *a, sim_time now);
/* Send space was freed (on_writable): send more, and an echo reads more. */
void app_stream_writable(struct app_stream *st, struct app *a, sim_time now);
/* The connection is gone (on_closed); its figures go to fig unless NULL. */
void app_stream_closed(struct app_stream *st, struct app_conn_figures *fig, enum tcp_outcome o,
                       sim_time now);
/* The app goes away: no more callbacks, no trace events. */
void app_stream_detach(struct app_stream *st, struct app_conn_figures *fig);
/* True when every byte wanted has been handed to TCP. */
static inline bool app_stream_all_queued(const struct app_stream *st)
{
    return st->tx >= st->tx_goal;
}
void app_stream_stats(const struct app_stream *st, struct app_stats *out);
/* "sent 1000 B, received 0 B" (+ ", corrupted at offset N") */
void app_stream_fmt_bytes(const struct app_stream *st, char *buf, size_t n);
/* "outcome established, closed at 1.234 s" or "outcome established, state
 * ESTABLISHED"; fig: the figures kept by app_stream_closed. */
void app_stream_fmt_end(const struct app_stream *st, const struct app_conn_figures *fig,
                        const struct app *a, char *buf, size_t n);

#endif
