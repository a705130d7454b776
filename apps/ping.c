/* ping: ICMP echo requests every `interval`, like iputils ping.
 *
 * Each request waits `timeout` for its reply; at the deadline it counts as
 * lost (app event "timeout"), and a reply that comes later is reported as
 * "late" but not counted, so that the summary never depends on when the run
 * ends.  Replies are "reply" events carrying the RTT; ICMP errors about a
 * request are "error" events; the summary is a "result" event. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

#define PING_DEFAULT_COUNT    4
#define PING_DEFAULT_SIZE     56
#define PING_DEFAULT_INTERVAL SIM_SEC
#define PING_DEFAULT_TIMEOUT  SIM_SEC
#define PING_MAX_COUNT        65535 /* icmp_seq is 16 bits and starts at 1 */
#define ICMP_ECHO_HLEN        8

enum req_state { REQ_PENDING, REQ_REPLIED, REQ_TIMED_OUT, REQ_ERROR };

struct ping;

struct ping_req {
    struct ping *p;
    sim_time sent_at;
    enum req_state state;
    struct sim_timer timeout;
};

struct ping {
    struct app base;
    struct app_ping_cfg cfg;
    struct icmp_echo_sock *sock;
    struct ping_req *req; /* index = icmp_seq - 1 */
    uint32_t sent, received, errors, outstanding;
    sim_time rtt_min, rtt_max, rtt_sum;
    bool done;
    struct sim_timer send_timer;
};

static void summary(const struct ping *p, char *buf, size_t n)
{
    uint32_t loss = p->sent ? (p->sent - p->received) * 100u / p->sent : 0;
    int k = snprintf(buf, n, "%" PRIu32 " packets transmitted, %" PRIu32 " received, ", p->sent,
                     p->received);
    if (p->errors && k >= 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "+%" PRIu32 " errors, ", p->errors);
    if (k >= 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "%" PRIu32 "%% packet loss", loss);
    if (!p->received || k < 0 || (size_t)k >= n)
        return;
    char mn[24], avg[24], mx[24];
    app_fmt_ms(mn, sizeof(mn), p->rtt_min);
    app_fmt_ms(avg, sizeof(avg), p->rtt_sum / p->received);
    app_fmt_ms(mx, sizeof(mx), p->rtt_max);
    snprintf(buf + k, n - (size_t)k, ", rtt min/avg/max = %s/%s/%s ms", mn, avg, mx);
}

static void maybe_finish(struct ping *p)
{
    if (p->done || p->sent < p->cfg.count || p->outstanding)
        return;
    p->done = true;
    char detail[160];
    summary(p, detail, sizeof(detail));
    app_trace(&p->base, NULL,
              &(struct trace_event){.what = "result",
                                    .total = p->received,
                                    .rtt = p->received ? p->rtt_sum / p->received : 0,
                                    .detail = detail});
}

/* The request for icmp_seq `seq`, or NULL for a sequence number never sent. */
static struct ping_req *req_of(struct ping *p, uint16_t seq)
{
    return seq >= 1 && seq <= p->sent ? &p->req[seq - 1] : NULL;
}

static void settle(struct ping *p, struct ping_req *r, enum req_state st)
{
    r->state = st;
    p->outstanding--;
    sim_timer_cancel(p->base.host->sim, &r->timeout);
}

static void record_rtt(struct ping *p, sim_time rtt)
{
    if (!p->received || rtt < p->rtt_min)
        p->rtt_min = rtt;
    if (!p->received || rtt > p->rtt_max)
        p->rtt_max = rtt;
    p->rtt_sum += rtt;
    p->received++;
}

static void on_reply(void *ctx, uint32_t from, uint16_t seq, uint8_t ttl, uint32_t len,
                     sim_time now)
{
    struct ping *p = ctx;
    struct ping_req *r = req_of(p, seq);
    if (!r)
        return;
    sim_time rtt = now - r->sent_at;
    const char *what = "reply";
    if (r->state == REQ_PENDING) {
        settle(p, r, REQ_REPLIED);
        record_rtt(p, rtt);
    } else {
        what = r->state == REQ_REPLIED ? "duplicate" : "late";
    }
    char ip[16], ms[24], detail[120];
    app_fmt_ip(ip, sizeof(ip), from);
    app_fmt_ms(ms, sizeof(ms), rtt);
    /* Like ping: the ICMP message's size (header + payload). */
    snprintf(detail, sizeof(detail), "%" PRIu32 " bytes from %s: icmp_seq=%u ttl=%u time=%s ms",
             len + ICMP_ECHO_HLEN, ip, seq, ttl, ms);
    app_trace(&p->base, NULL,
              &(struct trace_event){.what = what, .bytes = len, .rtt = rtt, .detail = detail});
    maybe_finish(p);
}

static void on_error(void *ctx, const struct icmp_error *e, uint16_t seq, sim_time now)
{
    (void)now;
    struct ping *p = ctx;
    struct ping_req *r = req_of(p, seq);
    if (!r || r->state != REQ_PENDING)
        return;
    settle(p, r, REQ_ERROR);
    p->errors++;
    char ip[16], what[48], detail[120];
    app_fmt_ip(ip, sizeof(ip), e->from);
    app_fmt_icmp_error(what, sizeof(what), e);
    snprintf(detail, sizeof(detail), "From %s icmp_seq=%u %s", ip, seq, what);
    app_trace(&p->base, NULL, &(struct trace_event){.what = "error", .detail = detail});
    maybe_finish(p);
}

static const struct icmp_echo_ops echo_ops = {.on_reply = on_reply, .on_error = on_error};

static void timeout_fire(void *ctx, sim_time now)
{
    (void)now;
    struct ping_req *r = ctx;
    struct ping *p = r->p;
    if (r->state != REQ_PENDING)
        return;
    settle(p, r, REQ_TIMED_OUT);
    uint32_t seq = (uint32_t)(r - p->req) + 1;
    char detail[48];
    snprintf(detail, sizeof(detail), "no reply for icmp_seq=%" PRIu32, seq);
    app_trace(&p->base, NULL, &(struct trace_event){.what = "timeout", .detail = detail});
    maybe_finish(p);
}

static void send_fire(void *ctx, sim_time now)
{
    struct ping *p = ctx;
    uint16_t seq = (uint16_t)(p->sent + 1);
    struct ping_req *r = &p->req[p->sent++];
    r->sent_at = now;
    r->state = REQ_PENDING;
    p->outstanding++;
    struct ip4_send_opts o = {.ttl = p->cfg.ttl};
    enum ip4_send_result res = icmp_echo_send(p->sock, p->cfg.dst, seq, p->cfg.size, &o);
    if (res == IP4_SENT) {
        if (r->state == REQ_PENDING) /* a reply may come back at once from this very host */
            sim_timer_arm(p->base.host->sim, &r->timeout, now + p->cfg.timeout);
    } else if (r->state == REQ_PENDING) {
        settle(p, r, REQ_ERROR);
        p->errors++;
        char detail[64];
        snprintf(detail, sizeof(detail), "icmp_seq=%u %s", seq,
                 res == IP4_NO_ROUTE ? "Network is unreachable" : "not sent");
        app_trace(&p->base, NULL, &(struct trace_event){.what = "error", .detail = detail});
    }
    if (p->sent < p->cfg.count)
        sim_timer_arm(p->base.host->sim, &p->send_timer, now + p->cfg.interval);
    maybe_finish(p);
}

static bool ping_action(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                        sim_time now)
{
    (void)a, (void)conn, (void)act, (void)bytes, (void)now;
    return false;
}

static bool ping_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct ping *p = (const struct ping *)a;
    if (conn)
        return false;
    *out = (struct app_stats){
        .intact = true,
        .ping_sent = p->sent,
        .ping_received = p->received,
        .rtt_min = p->rtt_min,
        .rtt_max = p->rtt_max,
        .rtt_avg = p->received ? p->rtt_sum / p->received : 0,
    };
    return true;
}

static void ping_report(struct app *a, FILE *out)
{
    struct ping *p = (struct ping *)a;
    char ip[16], line[160];
    app_fmt_ip(ip, sizeof(ip), p->cfg.dst);
    summary(p, line, sizeof(line));
    fprintf(out, "%s: ping %s: %s\n", a->id, ip, line);
}

static void ping_destroy(struct app *a)
{
    struct ping *p = (struct ping *)a;
    struct sim *sim = a->host->sim;
    sim_timer_cancel(sim, &p->send_timer);
    for (uint32_t i = 0; p->req && i < p->cfg.count; i++)
        sim_timer_cancel(sim, &p->req[i].timeout);
    if (p->sock)
        icmp_echo_close(p->sock);
    free(p->req);
    free(a->id);
    free(p);
}

static const struct app_ops ping_ops = {
    .type = "ping",
    .action = ping_action,
    .report = ping_report,
    .destroy = ping_destroy,
    .stats = ping_stats,
};

/* Zero means "the default" for every number, as on ping's command line. */
static void apply_defaults(struct app_ping_cfg *c)
{
    if (!c->count)
        c->count = PING_DEFAULT_COUNT;
    if (c->count > PING_MAX_COUNT)
        c->count = PING_MAX_COUNT;
    if (!c->size)
        c->size = PING_DEFAULT_SIZE;
    if (c->interval <= 0)
        c->interval = PING_DEFAULT_INTERVAL;
    if (c->timeout <= 0)
        c->timeout = PING_DEFAULT_TIMEOUT;
}

struct app *app_ping_create(struct host *h, const struct app_ping_cfg *c)
{
    struct ping *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    sim_timer_init(&p->send_timer, send_fire, p);
    if (!app_base_init(&p->base, &ping_ops, c->id, h)) {
        free(p);
        return NULL;
    }
    p->cfg = *c;
    p->cfg.id = p->base.id;
    apply_defaults(&p->cfg);
    p->req = calloc(p->cfg.count, sizeof(*p->req));
    if (p->req) {
        for (uint32_t i = 0; i < p->cfg.count; i++) {
            p->req[i].p = p;
            sim_timer_init(&p->req[i].timeout, timeout_fire, &p->req[i]);
        }
        p->sock = icmp_echo_open(h, p->base.id, &echo_ops, p);
    }
    if (!p->sock) {
        ping_destroy(&p->base);
        return NULL;
    }
    sim_timer_arm(h->sim, &p->send_timer, p->cfg.at);
    return &p->base;
}
