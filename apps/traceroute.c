/* traceroute: UDP probes with rising TTL, like the classic traceroute.
 *
 * `probes` probes per hop, TTL 1 .. max_hops, the destination port starting
 * at `dport` and incremented per probe so each answer names its probe.  Probes
 * are sequential: the next one leaves when the previous is answered (ICMP time
 * exceeded or destination unreachable, quoting its port) or after `wait`.  A
 * finished hop is an app event "hop" whose detail is traceroute's line
 * (" 1  10.0.0.254  20.123 ms  20.100 ms  *"); the trace ends after the hop in
 * which a destination unreachable arrived (port unreachable from the
 * destination: reached) or at max_hops, with a "result" event. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../stack/udp.h"
#include "app_priv.h"

#define TR_DEFAULT_WAIT     SIM_SEC
#define TR_DEFAULT_MAX_HOPS 30
#define TR_DEFAULT_PROBES   3
#define TR_DEFAULT_DPORT    33434
#define TR_MAX_PROBES       10
#define TR_PAYLOAD          32 /* 60-byte packets, like traceroute's default */
#define TR_LINE_LEN         (8 + TR_MAX_PROBES * 40)

struct probe_result {
    bool answered;
    uint32_t from;
    sim_time rtt;
    const char *mark; /* "!H", "!N", ... after the time; "" for none */
};

struct traceroute {
    struct app base;
    struct app_traceroute_cfg cfg;
    struct udp_sock *sock;
    uint8_t ttl;        /* of the hop being probed */
    uint32_t in_hop;    /* probes of this hop already done */
    uint32_t n_probes;  /* probes sent in all */
    uint16_t cur_dport; /* the probe awaiting an answer */
    sim_time sent_at;
    bool waiting;  /* a probe is out: the timer is its deadline; else the timer sends */
    bool last_hop; /* an unreachable arrived: this hop is the last */
    bool reached;
    bool done;
    struct probe_result res[TR_MAX_PROBES];
    char (*lines)[TR_LINE_LEN]; /* one per hop, for the report */
    uint32_t hops;
    struct sim_timer timer;
};

static void format_hop(const struct traceroute *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "%2u", t->ttl);
    uint32_t shown = 0; /* address of the last answer printed; 0 = none yet */
    for (uint32_t i = 0; i < t->cfg.probes && k < n; i++) {
        const struct probe_result *r = &t->res[i];
        if (!r->answered) {
            k += (size_t)snprintf(buf + k, n - k, "  *");
            continue;
        }
        char ip[16], ms[24];
        if (r->from != shown) {
            app_fmt_ip(ip, sizeof(ip), r->from);
            k += (size_t)snprintf(buf + k, n - k, "  %s", ip);
            shown = r->from;
        }
        if (k >= n)
            break;
        app_fmt_ms(ms, sizeof(ms), r->rtt);
        k += (size_t)snprintf(buf + k, n - k, "  %s ms%s%s", ms, *r->mark ? " " : "", r->mark);
    }
}

static void finish(struct traceroute *t)
{
    t->done = true;
    char ip[16], detail[80];
    app_fmt_ip(ip, sizeof(ip), t->cfg.dst);
    if (t->reached)
        snprintf(detail, sizeof(detail), "reached %s in %" PRIu32 " hops", ip, t->hops);
    else
        snprintf(detail, sizeof(detail), "%s not reached in %" PRIu32 " hops", ip, t->hops);
    app_trace(&t->base, NULL,
              &(struct trace_event){.what = "result", .total = t->hops, .detail = detail});
}

static sim_time first_rtt(const struct traceroute *t)
{
    for (uint32_t i = 0; i < t->cfg.probes; i++)
        if (t->res[i].answered)
            return t->res[i].rtt;
    return 0;
}

static void hop_done(struct traceroute *t)
{
    char *line = t->lines[t->hops++];
    format_hop(t, line, TR_LINE_LEN);
    app_trace(
        &t->base, NULL,
        &(struct trace_event){.what = "hop", .total = t->ttl, .rtt = first_rtt(t), .detail = line});
    if (t->last_hop || t->ttl >= t->cfg.max_hops) {
        finish(t);
        return;
    }
    t->ttl++;
    t->in_hop = 0;
    memset(t->res, 0, sizeof(t->res));
}

/* The current probe is settled (answered or timed out); the next one leaves
 * from the timer, not from inside the ICMP input that answered this one. */
static void probe_done(struct traceroute *t, sim_time now)
{
    t->waiting = false;
    if (++t->in_hop == t->cfg.probes)
        hop_done(t);
    if (!t->done)
        sim_timer_arm(t->base.host->sim, &t->timer, now);
}

static void send_probe(struct traceroute *t, sim_time now)
{
    uint8_t payload[TR_PAYLOAD];
    app_pattern_fill(payload, 0, sizeof(payload));
    t->cur_dport = (uint16_t)(t->cfg.dport + t->n_probes++);
    t->sent_at = now;
    t->waiting = true;
    t->res[t->in_hop] = (struct probe_result){.mark = ""};
    struct ip4_send_opts o = {.ttl = t->ttl};
    /* A probe that cannot leave (no route) is simply never answered. */
    (void)udp_sendto(t->sock, t->cfg.dst, t->cur_dport, payload, sizeof(payload), &o);
    sim_timer_arm(t->base.host->sim, &t->timer, now + t->cfg.wait);
}

static void timer_fire(void *ctx, sim_time now)
{
    struct traceroute *t = ctx;
    if (t->waiting)
        probe_done(t, now); /* no answer within `wait`: "*" */
    else
        send_probe(t, now);
}

/* traceroute's marks for unreachables other than the destination's port. */
static const char *unreach_mark(uint8_t code)
{
    switch (code) {
    case ICMP_NET_UNREACH:
        return "!N";
    case ICMP_HOST_UNREACH:
        return "!H";
    case ICMP_PROTO_UNREACH:
        return "!P";
    case ICMP_PORT_UNREACH:
        return "";
    case ICMP_FRAG_NEEDED:
        return "!F";
    default:
        return "!X";
    }
}

static void on_error(void *ctx, struct udp_sock *s, const struct icmp_error *e, sim_time now)
{
    struct traceroute *t = ctx;
    if (!t->waiting || e->proto != IP_PROTO_UDP || e->dport != t->cur_dport ||
        e->sport != udp_local_port(s))
        return; /* not about the probe in flight (a late answer to an earlier one) */
    struct probe_result *r = &t->res[t->in_hop];
    r->answered = true;
    r->from = e->from;
    r->rtt = now - t->sent_at;
    if (e->type == ICMP_DEST_UNREACH) {
        t->last_hop = true;
        r->mark = unreach_mark(e->code);
        if (e->code == ICMP_PORT_UNREACH && e->from == t->cfg.dst)
            t->reached = true;
    }
    sim_timer_cancel(t->base.host->sim, &t->timer);
    probe_done(t, now);
}

static const struct udp_sock_ops tr_sock_ops = {.on_error = on_error};

static bool tr_action(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                      sim_time now)
{
    (void)a, (void)conn, (void)act, (void)bytes, (void)now;
    return false;
}

static bool tr_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct traceroute *t = (const struct traceroute *)a;
    if (conn)
        return false;
    *out = (struct app_stats){.intact = true, .hops = t->hops, .reached = t->reached};
    return true;
}

static void tr_report(struct app *a, FILE *out)
{
    struct traceroute *t = (struct traceroute *)a;
    char ip[16];
    app_fmt_ip(ip, sizeof(ip), t->cfg.dst);
    fprintf(out, "%s: traceroute to %s: %s after %" PRIu32 " hops\n", a->id, ip,
            t->reached ? "reached" : "not reached", t->hops);
    for (uint32_t i = 0; i < t->hops; i++)
        fprintf(out, "  %s\n", t->lines[i]);
}

static void tr_destroy(struct app *a)
{
    struct traceroute *t = (struct traceroute *)a;
    sim_timer_cancel(a->host->sim, &t->timer);
    if (t->sock)
        udp_close(t->sock);
    free(t->lines);
    free(a->id);
    free(t);
}

static const struct app_ops tr_ops = {
    .type = "traceroute",
    .action = tr_action,
    .report = tr_report,
    .destroy = tr_destroy,
    .stats = tr_stats,
};

static void apply_defaults(struct app_traceroute_cfg *c)
{
    if (c->wait <= 0)
        c->wait = TR_DEFAULT_WAIT;
    if (!c->max_hops)
        c->max_hops = TR_DEFAULT_MAX_HOPS;
    if (!c->probes)
        c->probes = TR_DEFAULT_PROBES;
    if (c->probes > TR_MAX_PROBES)
        c->probes = TR_MAX_PROBES;
    if (!c->dport)
        c->dport = TR_DEFAULT_DPORT;
}

struct app *app_traceroute_create(struct host *h, const struct app_traceroute_cfg *c)
{
    struct traceroute *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    sim_timer_init(&t->timer, timer_fire, t);
    if (!app_base_init(&t->base, &tr_ops, c->id, h)) {
        free(t);
        return NULL;
    }
    t->cfg = *c;
    t->cfg.id = t->base.id;
    apply_defaults(&t->cfg);
    t->ttl = 1;
    t->lines = calloc(t->cfg.max_hops, sizeof(*t->lines));
    t->sock = t->lines ? udp_open(h, 0, t->base.id, &tr_sock_ops, t) : NULL;
    if (!t->sock) {
        tr_destroy(&t->base);
        return NULL;
    }
    sim_timer_arm(h->sim, &t->timer, t->cfg.at);
    return &t->base;
}
