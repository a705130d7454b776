/* udp_sender and udp_sink.
 *
 * Payload scheme: datagram k (0-based) carries the pattern from stream offset
 * k*size, and nothing else, so the bytes on the wire stay the plain pattern.
 * The sink needs no sequence number to verify a datagram: the pattern's byte
 * at offset x is (x mod 251) ^ 0x5a, so the first byte gives the offset modulo
 * the period, and the datagram is intact when every byte continues the pattern
 * from there.  Loss and reordering, which UDP allows, do not count against it. */
#include <inttypes.h>
#include <stdlib.h>

#include "../stack/udp.h"
#include "app_priv.h"

#define PATTERN_PERIOD 251
#define PATTERN_XOR    0x5a

/* ---- sender ---- */

struct udp_sender {
    struct app base;
    struct app_udp_sender_cfg cfg;
    struct udp_sock *sock;
    uint8_t *buf;    /* one datagram's payload */
    uint32_t next;   /* index of the next datagram */
    uint32_t sent;   /* handed to IP */
    uint32_t failed; /* refused by IP (no route, no buffer) */
    uint32_t icmp_errors;
    struct sim_timer timer;
};

static void send_one(struct udp_sender *u)
{
    uint64_t offset = (uint64_t)u->next * u->cfg.size;
    app_pattern_fill(u->buf, offset, u->cfg.size);
    u->next++;
    enum ip4_send_result r =
        udp_sendto(u->sock, u->cfg.dst, u->cfg.dport, u->buf, u->cfg.size, NULL);
    if (r == IP4_SENT) {
        u->sent++;
        return;
    }
    u->failed++;
    app_trace(&u->base, NULL,
              &(struct trace_event){.what = "error",
                                    .bytes = u->cfg.size,
                                    .detail = r == IP4_NO_ROUTE ? "no route" : "not sent"});
}

static void sender_fire(void *ctx, sim_time now)
{
    struct udp_sender *u = ctx;
    send_one(u);
    if (u->next < u->cfg.count)
        sim_timer_arm(u->base.host->sim, &u->timer, now + u->cfg.interval);
}

static void sender_error(void *ctx, struct udp_sock *s, const struct icmp_error *e, sim_time now)
{
    (void)s;
    (void)now;
    struct udp_sender *u = ctx;
    u->icmp_errors++;
    char from[16], what[48], detail[80];
    app_fmt_ip(from, sizeof(from), e->from);
    app_fmt_icmp_error(what, sizeof(what), e);
    snprintf(detail, sizeof(detail), "From %s: %s", from, what);
    app_trace(&u->base, NULL, &(struct trace_event){.what = "error", .detail = detail});
}

static const struct udp_sock_ops sender_sock_ops = {.on_error = sender_error};

static bool no_action(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                      sim_time now)
{
    (void)a, (void)conn, (void)act, (void)bytes, (void)now;
    return false; /* a fixed schedule */
}

static bool sender_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct udp_sender *u = (const struct udp_sender *)a;
    if (conn)
        return false;
    *out = (struct app_stats){
        .intact = true, .datagrams = u->sent, .bytes_sent = (uint64_t)u->sent * u->cfg.size};
    return true;
}

static void sender_report(struct app *a, FILE *out)
{
    struct udp_sender *u = (struct udp_sender *)a;
    fprintf(out, "%s: sent %" PRIu32 " of %" PRIu32 " datagrams (%" PRIu64 " B)", a->id, u->sent,
            u->cfg.count, (uint64_t)u->sent * u->cfg.size);
    if (u->failed)
        fprintf(out, ", %" PRIu32 " not sent", u->failed);
    if (u->icmp_errors)
        fprintf(out, ", %" PRIu32 " ICMP errors", u->icmp_errors);
    fputc('\n', out);
}

static void sender_destroy(struct app *a)
{
    struct udp_sender *u = (struct udp_sender *)a;
    sim_timer_cancel(a->host->sim, &u->timer);
    if (u->sock)
        udp_close(u->sock);
    free(u->buf);
    free(a->id);
    free(u);
}

static const struct app_ops sender_ops = {
    .type = "udp_sender",
    .action = no_action,
    .report = sender_report,
    .destroy = sender_destroy,
    .stats = sender_stats,
};

struct app *app_udp_sender_create(struct host *h, const struct app_udp_sender_cfg *c)
{
    struct udp_sender *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    sim_timer_init(&u->timer, sender_fire, u);
    if (!app_base_init(&u->base, &sender_ops, c->id, h)) {
        free(u);
        return NULL;
    }
    u->cfg = *c;
    u->cfg.id = u->base.id;
    u->buf = malloc(c->size ? c->size : 1);
    u->sock = u->buf ? udp_open(h, c->sport, u->base.id, &sender_sock_ops, u) : NULL;
    if (!u->sock) {
        sender_destroy(&u->base);
        return NULL;
    }
    if (c->count)
        sim_timer_arm(h->sim, &u->timer, c->at);
    return &u->base;
}

/* ---- sink ---- */

struct udp_sink {
    struct app base;
    struct app_udp_sink_cfg cfg;
    struct udp_sock *sock;
    uint32_t datagrams;
    uint64_t bytes;
    bool intact;
};

/* True when the datagram is one unbroken run of the pattern (see the top). */
static bool datagram_intact(const uint8_t *data, uint32_t len)
{
    if (!len)
        return true;
    uint8_t residue = data[0] ^ PATTERN_XOR;
    if (residue >= PATTERN_PERIOD)
        return false;
    return app_pattern_check(data, residue, len) == len;
}

static void sink_recv(void *ctx, struct udp_sock *s, uint32_t src, uint16_t sport,
                      const uint8_t *data, uint32_t len, sim_time now)
{
    (void)s, (void)src, (void)sport, (void)now;
    struct udp_sink *k = ctx;
    k->datagrams++;
    k->bytes += len;
    if (datagram_intact(data, len) || !k->intact)
        return;
    k->intact = false; /* reported once: the first bad datagram */
    char detail[48];
    snprintf(detail, sizeof(detail), "datagram %" PRIu32, k->datagrams);
    app_trace(&k->base, NULL,
              &(struct trace_event){.what = "verify_failed", .bytes = len, .detail = detail});
}

static const struct udp_sock_ops sink_sock_ops = {.on_recv = sink_recv};

static bool sink_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct udp_sink *k = (const struct udp_sink *)a;
    if (conn)
        return false;
    *out = (struct app_stats){
        .intact = k->intact, .datagrams = k->datagrams, .bytes_received = k->bytes};
    return true;
}

static void sink_report(struct app *a, FILE *out)
{
    struct udp_sink *k = (struct udp_sink *)a;
    fprintf(out, "%s: received %" PRIu32 " datagrams (%" PRIu64 " B)%s on port %u\n", a->id,
            k->datagrams, k->bytes, k->intact ? " intact" : " CORRUPTED", k->cfg.port);
}

static void sink_destroy(struct app *a)
{
    struct udp_sink *k = (struct udp_sink *)a;
    if (k->sock)
        udp_close(k->sock);
    free(a->id);
    free(k);
}

static const struct app_ops sink_ops = {
    .type = "udp_sink",
    .action = no_action,
    .report = sink_report,
    .destroy = sink_destroy,
    .stats = sink_stats,
};

struct app *app_udp_sink_create(struct host *h, const struct app_udp_sink_cfg *c)
{
    struct udp_sink *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    if (!app_base_init(&k->base, &sink_ops, c->id, h)) {
        free(k);
        return NULL;
    }
    k->cfg = *c;
    k->cfg.id = k->base.id;
    k->intact = true;
    k->sock = udp_open(h, c->port, k->base.id, &sink_sock_ops, k);
    if (!k->sock) {
        sink_destroy(&k->base);
        return NULL;
    }
    return &k->base;
}
