/* The byte pattern every app sends, the helpers the apps share, and the
 * verifying TCP stream used by tcp_client and tcp_server. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"
#include "pattern_sums.h"

/* The pattern repeats every APP_PATTERN_PERIOD bytes, so a constant table of
 * its first PATTERN_TABLE bytes holds every run of up to PATTERN_RUN bytes
 * (at table + phase): filling and checking payload, which is on every bulk
 * transfer's path, is a copy or a comparison per run. */
#define P1(i)         (uint8_t)(((i) % APP_PATTERN_PERIOD) ^ 0x5a)
#define P4(i)         P1(i), P1((i) + 1), P1((i) + 2), P1((i) + 3)
#define P16(i)        P4(i), P4((i) + 4), P4((i) + 8), P4((i) + 12)
#define P64(i)        P16(i), P16((i) + 16), P16((i) + 32), P16((i) + 48)
#define P256(i)       P64(i), P64((i) + 64), P64((i) + 128), P64((i) + 192)
#define P1024(i)      P256(i), P256((i) + 256), P256((i) + 512), P256((i) + 768)
#define PATTERN_TABLE 2048u
#define PATTERN_RUN   (PATTERN_TABLE - APP_PATTERN_PERIOD)

static const uint8_t pattern_table[PATTERN_TABLE] = {P1024(0), P1024(1024)};

void app_pattern_fill(uint8_t *buf, uint64_t offset, uint32_t len)
{
    uint32_t phase = (uint32_t)(offset % APP_PATTERN_PERIOD);
    while (len) {
        uint32_t n = len < PATTERN_RUN ? len : PATTERN_RUN;
        memcpy(buf, pattern_table + phase, n);
        buf += n;
        len -= n;
        phase = (phase + n) % APP_PATTERN_PERIOD;
    }
}

/* Index of the first byte of buf that differs from the pattern at `phase`. */
static uint32_t first_difference(const uint8_t *buf, uint32_t phase, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != pattern_table[(phase + i) % APP_PATTERN_PERIOD])
            return i;
    return len;
}

uint32_t app_pattern_check(const uint8_t *buf, uint64_t offset, uint32_t len)
{
    uint32_t phase = (uint32_t)(offset % APP_PATTERN_PERIOD);
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < PATTERN_RUN ? len - done : PATTERN_RUN;
        if (memcmp(buf + done, pattern_table + phase, n) != 0)
            return done + first_difference(buf + done, phase, n);
        done += n;
        phase = (phase + n) % APP_PATTERN_PERIOD;
    }
    return len;
}

/* Sum of the pattern bytes at indexes [0, k) of one parity (table: the
 * prefix sums over a cycle of 502, after which byte and parity repeat). */
static uint64_t pattern_prefix(const uint32_t *table, uint64_t k)
{
    return k / PATTERN_CYCLE * table[PATTERN_CYCLE] + table[k % PATTERN_CYCLE];
}

uint32_t app_pattern_sum(uint64_t offset, uint32_t len)
{
    /* The run's bytes are the pattern's at indexes [phase, phase + len); the
     * ones at the run's even positions (same parity as phase) are the high
     * bytes of their 16-bit words (RFC 1071). */
    uint64_t phase = offset % APP_PATTERN_PERIOD, end = phase + len;
    uint64_t even = pattern_prefix(pattern_even, end) - pattern_prefix(pattern_even, phase);
    uint64_t odd = pattern_prefix(pattern_odd, end) - pattern_prefix(pattern_odd, phase);
    uint64_t sum = phase % 2 == 0 ? (even << 8) + odd : (odd << 8) + even;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

uint32_t app_pattern_payload(void *ctx, uint64_t offset, uint8_t *dst, uint32_t n)
{
    (void)ctx;
    app_pattern_fill(dst, offset, n);
    return app_pattern_sum(offset, n);
}

/* ---- common helpers ---- */

void app_trace(const struct app *a, const char *conn, const struct trace_event *fields)
{
    struct trace_bus *b = a->host->bus;
    if (!trace_on(b, TRACE_APP))
        return;
    struct trace_event e = *fields;
    e.t = app_now(a);
    e.kind = TRACE_APP;
    e.host = a->host->name;
    e.app = a->id;
    e.conn = conn;
    trace_emit(b, &e);
}

void app_fmt_ip(char *buf, size_t n, uint32_t ip)
{
    snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* A count of `unit` as "<whole>.<3 decimals>", truncated like integer division. */
static void fmt_fixed3(char *buf, size_t n, sim_time ns, sim_time unit)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t v = (uint64_t)(ns < 0 ? -ns : ns) / (uint64_t)(unit / 1000);
    snprintf(buf, n, "%s%" PRIu64 ".%03" PRIu64, sign, v / 1000, v % 1000);
}

void app_fmt_ms(char *buf, size_t n, sim_time ns)
{
    fmt_fixed3(buf, n, ns, SIM_MS);
}

void app_fmt_s(char *buf, size_t n, sim_time ns)
{
    fmt_fixed3(buf, n, ns, SIM_SEC);
}

static const char *unreach_name(uint8_t code)
{
    static const char *const names[] = {"Net", "Host", "Protocol", "Port"};
    return code < 4 ? names[code] : NULL;
}

void app_fmt_icmp_error(char *buf, size_t n, const struct icmp_error *e)
{
    if (e->type == ICMP_TIME_EXCEEDED)
        snprintf(buf, n, "Time to live exceeded");
    else if (e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED)
        snprintf(buf, n, "Frag needed and DF set (mtu = %u)", e->mtu);
    else if (e->type == ICMP_DEST_UNREACH && unreach_name(e->code))
        snprintf(buf, n, "Destination %s Unreachable", unreach_name(e->code));
    else
        snprintf(buf, n, "ICMP type %u code %u", e->type, e->code);
}

char *app_strdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

bool app_base_init(struct app *a, const struct app_ops *ops, const char *type, const char *id,
                   struct host *h)
{
    a->ops = ops;
    a->type = type;
    a->host = h;
    a->id = app_strdup(id);
    return a->id != NULL;
}

/* ---- the verifying stream ---- */

#define STREAM_CHUNK 4096
/* The slow reader takes this much per read, spaced to average its rate. */
#define SLOW_READ_BYTES 1000

static void slow_read_fire(void *ctx, sim_time now);

void app_stream_init(struct app_stream *st, struct app *a, uint64_t read_rate_bps, bool echo)
{
    memset(st, 0, sizeof(*st));
    st->app = a;
    st->echo = echo;
    st->intact = true;
    st->read_rate_bps = read_rate_bps;
    st->outcome = TCP_OUTCOME_PENDING;
    sim_timer_init(&st->read_timer, slow_read_fire, st);
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
    snprintf(st->name, sizeof(st->name), "%s", tcp_sock_name(s));
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

static void verify(struct app_stream *st, const uint8_t *buf, uint32_t n)
{
    uint32_t ok = app_pattern_check(buf, st->rx, n);
    if (ok == n || !st->intact)
        return;
    /* Reported once per connection: the first difference is what matters. */
    st->intact = false;
    st->first_bad = st->rx + ok;
    char detail[48];
    snprintf(detail, sizeof(detail), "offset %" PRIu64, st->first_bad);
    app_trace(st->app, st->name,
              &(struct trace_event){
                  .what = "verify_failed", .total = (int64_t)st->first_bad, .detail = detail});
}

/* Reads up to `limit` bytes; an echo reads no more than it can send back at once. */
static void read_loop(struct app_stream *st, uint64_t limit)
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
        verify(st, buf, n);
        st->rx += n;
        limit -= n;
        /* Bytes read at offset x go back at offset x: what is read is what is echoed. */
        if (st->echo && st->s)
            st->tx += tcp_send(st->s, buf, n);
        if (!n)
            break;
    }
}

static void read_some(struct app_stream *st, uint64_t limit)
{
    read_loop(st, limit);
    if (st->after_read)
        st->after_read(st);
}

/* Time the slow reader needs for `bytes` at its rate. */
static sim_time read_interval(const struct app_stream *st, uint64_t bytes)
{
    return (sim_time)(bytes * 8 * (uint64_t)SIM_SEC / st->read_rate_bps);
}

static void slow_read_schedule(struct app_stream *st, sim_time now)
{
    if (!st->s || sim_timer_armed(&st->read_timer) || !tcp_readable(st->s))
        return;
    if (st->echo && !tcp_send_space(st->s))
        return; /* on_writable brings it back */
    /* Like an application busy with each chunk: the first read comes one
     * chunk's time after data first arrives, so a fast sender can fill the
     * receive buffer and see a zero window. */
    if (!st->next_read)
        st->next_read = now + read_interval(st, SLOW_READ_BYTES);
    sim_time at = st->next_read > now ? st->next_read : now;
    sim_timer_arm(st->app->host->sim, &st->read_timer, at);
}

static void slow_read_fire(void *ctx, sim_time now)
{
    struct app_stream *st = ctx;
    uint64_t before = st->rx;
    read_some(st, SLOW_READ_BYTES);
    st->next_read = now + read_interval(st, st->rx != before ? st->rx - before : 1);
    slow_read_schedule(st, now);
}

void app_stream_readable(struct app_stream *st, sim_time now)
{
    if (st->read_rate_bps)
        slow_read_schedule(st, now);
    else
        read_some(st, UINT64_MAX);
}

void app_stream_writable(struct app_stream *st, sim_time now)
{
    app_stream_pump(st);
    if (st->echo)
        app_stream_readable(st, now);
}

/* Keeps what the report says of a connection once its socket is gone. */
static void keep_figures(struct app_stream *st, const struct tcp_info *ti)
{
    st->retransmits = ti->retransmits;
    st->srtt = ti->srtt;
    st->established_at = ti->established_at;
}

void app_stream_closed(struct app_stream *st, enum tcp_outcome o, sim_time now)
{
    sim_timer_cancel(st->app->host->sim, &st->read_timer);
    if (st->s) {
        struct tcp_info ti;
        tcp_get_info(st->s, &ti);
        keep_figures(st, &ti);
    }
    st->s = NULL;
    st->closed = true;
    st->outcome = o;
    st->closed_at = now;
}

void app_stream_detach(struct app_stream *st)
{
    sim_timer_cancel(st->app->host->sim, &st->read_timer);
    if (!st->s)
        return;
    struct tcp_info ti;
    tcp_get_info(st->s, &ti);
    st->outcome = ti.outcome; /* what stats report from now on */
    keep_figures(st, &ti);
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
        out->outcome = tcp_outcome_name(st->outcome);
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
void app_stream_fmt_end(const struct app_stream *st, char *buf, size_t n)
{
    struct app_stats s = {0};
    app_stream_stats(st, &s);
    struct tcp_info ti = {
        .retransmits = st->retransmits, .srtt = st->srtt, .established_at = st->established_at};
    if (st->s)
        tcp_get_info(st->s, &ti);
    char t[32], srtt[32], open_for[32];
    int k;
    if (st->closed) {
        app_fmt_s(t, sizeof(t), st->closed_at);
        k = snprintf(buf, n, "outcome %s, closed at %s s", s.outcome, t);
    } else {
        k = snprintf(buf, n, "outcome %s, state %s", s.outcome, s.state);
    }
    if (k < 0 || (size_t)k >= n || !ti.established_at)
        return;
    app_fmt_ms(srtt, sizeof(srtt), ti.srtt);
    sim_time end = st->closed ? st->closed_at : app_now(st->app);
    app_fmt_s(open_for, sizeof(open_for), end - ti.established_at);
    snprintf(buf + k, n - (size_t)k, ", %" PRIu64 " retransmission%s, srtt %s ms, open %s s",
             ti.retransmits, ti.retransmits == 1 ? "" : "s", srtt, open_for);
}
