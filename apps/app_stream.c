/* The verifying TCP stream used by tcp_client and tcp_server: sends the
 * pattern (or echoes), reads and checks what arrives, at once or at a rate. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

#define STREAM_CHUNK 4096
/* The slow reader takes this much per read, spaced to average its rate. */
#define SLOW_READ_BYTES 1000

/* Only streams with a read rate have one. */
struct app_slow_reader {
    struct app *app;
    app_after_read_fn after_read;
    uint64_t rate_bps;
    sim_time next_read;
    struct sim_timer timer;
};

static void slow_read_fire(void *ctx, sim_time now);

bool app_stream_init(struct app_stream *st, struct app *a, uint64_t read_rate_bps, bool echo,
                     app_after_read_fn after_read)
{
    memset(st, 0, sizeof(*st));
    st->echo = echo;
    st->intact = true;
    st->outcome = TCP_OUTCOME_PENDING;
    if (!read_rate_bps)
        return true;
    st->slow = calloc(1, sizeof(*st->slow));
    if (!st->slow)
        return false;
    st->slow->app = a;
    st->slow->after_read = after_read;
    st->slow->rate_bps = read_rate_bps;
    sim_timer_init(&st->slow->timer, slow_read_fire, st);
    return true;
}

void app_stream_attach(struct app_stream *st, struct tcp_sock *s)
{
    st->s = s;
    /* What a stream sends is the pattern at its offset, made as segments are
     * built; an echo sends back what it read, so it keeps real bytes. */
    if (!st->echo)
        tcp_set_payload_source(s, app_pattern_payload, NULL);
    /* Every stream receives the pattern (verify() checks it): what waits to
     * be read is held as marks where it matches. */
    tcp_set_payload_expect(s, app_pattern_payload, NULL);
}

/* Queues up to len bytes of the pattern from st->tx; returns how many TCP took. */
static uint32_t send_pattern(struct app_stream *st, uint32_t len)
{
    if (!st->echo)
        return tcp_send_generated(st->s, len);
    uint8_t buf[STREAM_CHUNK];
    app_pattern_fill(buf, st->tx, len);
    return tcp_send(st->s, buf, len);
}

void app_stream_pump(struct app_stream *st)
{
    while (st->s && st->tx < st->tx_goal) {
        uint64_t want = st->tx_goal - st->tx;
        uint32_t space = tcp_send_space(st->s);
        if (want > space)
            want = space; /* offer only what TCP can take now */
        /* In STREAM_CHUNK pieces, like a write loop over a buffer of that size:
         * each write may send segments at once. */
        uint32_t len = want < STREAM_CHUNK ? (uint32_t)want : STREAM_CHUNK;
        if (!len)
            break;
        uint32_t n = send_pattern(st, len);
        st->tx += n;
        if (n < len)
            break;
    }
}

/* Checks n bytes just read from st->s (still open: reading never closes it). */
static void verify(struct app_stream *st, struct app *a, const uint8_t *buf, uint32_t n)
{
    uint32_t ok = app_pattern_check(buf, st->rx, n);
    if (ok == n || !st->intact)
        return;
    /* Reported once per connection: the first difference is what matters. */
    st->intact = false;
    st->first_bad = st->rx + ok;
    char detail[48];
    snprintf(detail, sizeof(detail), "offset %" PRIu64, st->first_bad);
    app_trace(a, tcp_sock_name(st->s),
              &(struct trace_event){
                  .what = "verify_failed", .total = (int64_t)st->first_bad, .detail = detail});
}

/* Reads up to `limit` bytes; an echo reads no more than it can send back at once. */
static void read_loop(struct app_stream *st, struct app *a, uint64_t limit)
{
    uint8_t buf[STREAM_CHUNK];
    while (st->s && limit) {
        uint32_t avail = tcp_readable(st->s);
        if (st->echo) {
            uint32_t space = tcp_send_space(st->s);
            avail = avail < space ? avail : space;
        }
        uint32_t len = avail;
        if (len > sizeof(buf))
            len = (uint32_t)sizeof(buf);
        if (len > limit)
            len = (uint32_t)limit;
        if (!len)
            return;
        /* An echo owes these bytes before tcp_recv can report the peer's FIN. */
        if (st->echo)
            st->tx_goal += len;
        uint32_t n = tcp_recv(st->s, buf, len);
        if (st->echo)
            st->tx_goal -= len - n;
        verify(st, a, buf, n);
        st->rx += n;
        limit -= n;
        /* Bytes read at offset x go back at offset x: what is read is what is echoed. */
        if (st->echo && st->s)
            st->tx += tcp_send(st->s, buf, n);
        if (!n)
            break;
    }
}

/* Time the slow reader needs for `bytes` at its rate. */
static sim_time read_interval(const struct app_slow_reader *r, uint64_t bytes)
{
    return (sim_time)(bytes * 8 * (uint64_t)SIM_SEC / r->rate_bps);
}

static void slow_read_schedule(struct app_stream *st, sim_time now)
{
    struct app_slow_reader *r = st->slow;
    if (!st->s || sim_timer_armed(&r->timer) || !tcp_readable(st->s))
        return;
    if (st->echo && !tcp_send_space(st->s))
        return; /* on_writable brings it back */
    /* Like an application busy with each chunk: the first read comes one
     * chunk's time after data first arrives, so a fast sender can fill the
     * receive buffer and see a zero window. */
    if (!r->next_read)
        r->next_read = now + read_interval(r, SLOW_READ_BYTES);
    sim_time at = r->next_read > now ? r->next_read : now;
    sim_timer_arm(r->app->host->sim, &r->timer, at);
}

static void slow_read_fire(void *ctx, sim_time now)
{
    struct app_stream *st = ctx;
    struct app_slow_reader *r = st->slow;
    uint64_t before = st->rx;
    read_loop(st, r->app, SLOW_READ_BYTES);
    /* after_read may close the connection, but tcp_close leaves the socket
     * (and so the stream) to a later event. */
    if (r->after_read)
        r->after_read(st);
    r->next_read = now + read_interval(r, st->rx != before ? st->rx - before : 1);
    slow_read_schedule(st, now);
}

bool app_stream_readable(struct app_stream *st, struct app *a, sim_time now)
{
    if (st->slow) {
        slow_read_schedule(st, now);
        return false;
    }
    read_loop(st, a, UINT64_MAX);
    return true;
}

void app_stream_writable(struct app_stream *st, struct app *a, sim_time now)
{
    app_stream_pump(st);
    if (st->echo)
        app_stream_readable(st, a, now);
}

/* A slow reader has nothing left to read once its connection is gone. */
static void end_slow_reader(struct app_stream *st)
{
    if (!st->slow)
        return;
    sim_timer_cancel(st->slow->app->host->sim, &st->slow->timer);
    free(st->slow);
    st->slow = NULL;
}

/* Keeps what the report says of a connection once its socket is gone. */
static void keep_figures(struct app_conn_figures *fig, const struct tcp_info *ti)
{
    if (!fig)
        return;
    fig->retransmits = ti->retransmits;
    fig->srtt = ti->srtt;
    fig->established_at = ti->established_at;
}

void app_stream_closed(struct app_stream *st, struct app_conn_figures *fig, enum tcp_outcome o,
                       sim_time now)
{
    end_slow_reader(st);
    if (st->s) {
        struct tcp_info ti;
        tcp_get_info(st->s, &ti);
        keep_figures(fig, &ti);
    }
    st->s = NULL;
    st->closed = true;
    st->outcome = (uint8_t)o;
    if (fig)
        fig->closed_at = now;
}

void app_stream_detach(struct app_stream *st, struct app_conn_figures *fig)
{
    end_slow_reader(st);
    if (!st->s)
        return;
    struct tcp_info ti;
    tcp_get_info(st->s, &ti);
    st->outcome = (uint8_t)ti.outcome; /* what stats report from now on */
    keep_figures(fig, &ti);
    tcp_set_ops(st->s, NULL, NULL);
    st->s = NULL;
}

void app_stream_stats(const struct app_stream *st, struct app_stats *out)
{
    out->bytes_received = st->rx;
    out->bytes_sent = st->tx;
    out->intact = st->intact;
    if (st->s) {
        struct tcp_info ti;
        tcp_get_info(st->s, &ti);
        out->outcome = tcp_outcome_name(ti.outcome);
        out->state = tcp_state_name(ti.state);
    } else {
        out->outcome = tcp_outcome_name((enum tcp_outcome)st->outcome);
        out->state = tcp_state_name(TCP_CLOSED);
    }
}

void app_stream_fmt_bytes(const struct app_stream *st, char *buf, size_t n)
{
    int k = snprintf(buf, n, "sent %" PRIu64 " B, received %" PRIu64 " B", st->tx, st->rx);
    if (!st->intact && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", corrupted at offset %" PRIu64, st->first_bad);
}

/* "outcome established, closed at 1.234 s, 2 retransmissions, srtt 20.125 ms,
 * open 1.100 s": how the connection ended or stands, then its figures. */
void app_stream_fmt_end(const struct app_stream *st, const struct app_conn_figures *fig,
                        const struct app *a, char *buf, size_t n)
{
    struct app_stats s = {0};
    app_stream_stats(st, &s);
    struct tcp_info ti = {
        .retransmits = fig->retransmits, .srtt = fig->srtt, .established_at = fig->established_at};
    if (st->s)
        tcp_get_info(st->s, &ti);
    char t[32], srtt[32], open_for[32];
    int k;
    if (st->closed) {
        app_fmt_s(t, sizeof(t), fig->closed_at);
        k = snprintf(buf, n, "outcome %s, closed at %s s", s.outcome, t);
    } else {
        k = snprintf(buf, n, "outcome %s, state %s", s.outcome, s.state);
    }
    if (k < 0 || (size_t)k >= n || !ti.established_at)
        return;
    app_fmt_ms(srtt, sizeof(srtt), ti.srtt);
    sim_time end = st->closed ? fig->closed_at : app_now(a);
    app_fmt_s(open_for, sizeof(open_for), end - ti.established_at);
    snprintf(buf + k, n - (size_t)k, ", %" PRIu64 " retransmission%s, srtt %s ms, open %s s",
             ti.retransmits, ti.retransmits == 1 ? "" : "s", srtt, open_for);
}
