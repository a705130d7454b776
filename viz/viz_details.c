/* The details panel's lines. */
#include "viz_details.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ladder.h"
#include "ladder_model.h"
#include "rec_decode.h"

/* Appends one formatted line; lines past the panel's capacity are dropped. */
static void details_add(struct viz_details *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void details_add(struct viz_details *d, const char *fmt, ...)
{
    if (d->n >= VIZ_DETAILS_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->line[d->n++], VIZ_DETAILS_COLS, fmt, ap);
    va_end(ap);
}

/* English and Korean texts of the panel, as the rest of the interface has
 * them (viz_draw.c).  The formats of one line take the same arguments in the
 * same order in both languages; the tests print every line in both. */
enum {
    DT_WIRE,
    DT_SENT,
    DT_NEVER,
    DT_LOST,
    DT_WILL_BE_LOST,
    DT_ARRIVED,
    DT_ARRIVES,
    DT_ROUTER,
    DT_CC,
    DT_WIN,
    DT_N
};
static const char *const details_texts[2][DT_N] = {
    [VIZ_LANG_EN] =
        {
            [DT_WIRE] = "%" PRIu32 " bytes on the wire, %" PRIu32 " of payload",
            [DT_SENT] = "sent by %s on %s at %s",
            [DT_NEVER] = "never arrives",
            [DT_LOST] = "lost at %s (%s)",
            [DT_WILL_BE_LOST] = "will be lost at %s (%s)",
            [DT_ARRIVED] = "arrived at %s %s",
            [DT_ARRIVES] = "arrives at %s %s",
            [DT_ROUTER] = " (router)",
            [DT_CC] = "  cwnd %s  ssthresh %s  srtt %s  rto %s",
            [DT_WIN] = "  win %ld",
        },
    [VIZ_LANG_KO] =
        {
            [DT_WIRE] = "회선 %" PRIu32 "바이트, 페이로드 %" PRIu32 "바이트",
            [DT_SENT] = "보낸 호스트 %s, 링크 %s, 시각 %s",
            [DT_NEVER] = "도착하지 않음",
            [DT_LOST] = "%s에 손실 (%s)",
            [DT_WILL_BE_LOST] = "%s에 손실될 예정 (%s)",
            [DT_ARRIVED] = "%s에 도착, %s",
            [DT_ARRIVES] = "%s에 도착 예정, %s",
            [DT_ROUTER] = " (라우터)",
            [DT_CC] = "  혼잡 윈도 %s  임계값 %s  평활 RTT %s  재전송 타임아웃 %s",
            [DT_WIN] = "  수신 윈도 %ld",
        },
};

static const char *dt(enum viz_lang lang, int id)
{
    return details_texts[lang == VIZ_LANG_KO ? VIZ_LANG_KO : VIZ_LANG_EN][id];
}

static const char *details_ms(sim_time t, char *buf, size_t n)
{
    snprintf(buf, n, "%" PRId64 ".%03" PRId64 " ms", t / SIM_MS, (t % SIM_MS) / SIM_US);
    return buf;
}

/* "10.0.0.1:40000 -> 10.0.0.2:80", or without ports below the transport. */
static void details_endpoints(const struct rec_frame *f, struct viz_details *d)
{
    char a[16], b[16];
    if (f->proto == DEC_TCP || f->proto == DEC_UDP)
        details_add(d, "%s:%u -> %s:%u", rec_ip_str(f->src, a), f->sport, rec_ip_str(f->dst, b),
                    f->dport);
    else if (f->proto == DEC_ARP)
        details_add(d, "%s -> %s", rec_ip_str(f->arp_spa, a), rec_ip_str(f->arp_tpa, b));
    else if (f->proto != DEC_OTHER)
        details_add(d, "%s -> %s", rec_ip_str(f->src, a), rec_ip_str(f->dst, b));
}

/* Arrival or loss of the frame: past tense once it has happened. */
static void details_fate(const struct recording *r, uint32_t tx, sim_time t, enum viz_lang lang,
                         struct viz_details *d)
{
    char ts[32];
    uint32_t j = recording_frame_end(r, tx);
    if (j == REC_NONE) {
        details_add(d, "%s", dt(lang, DT_NEVER));
        return;
    }
    const struct rec_event *end = &r->events[j];
    details_ms(end->t, ts, sizeof ts);
    bool past = end->t <= t;
    if (end->kind == TRACE_DROP)
        details_add(d, dt(lang, past ? DT_LOST : DT_WILL_BE_LOST), ts,
                    recording_str(r, end->reason));
    else
        details_add(d, dt(lang, past ? DT_ARRIVED : DT_ARRIVES), recording_str(r, end->host), ts);
}

void viz_details_packet(const struct recording *r, uint32_t tx, sim_time t, enum viz_lang lang,
                        struct viz_details *d)
{
    d->n = 0;
    const struct rec_event *e = recording_event(r, tx);
    const struct rec_frame *f = recording_frame_of(r, e);
    if (!f)
        return;
    char label[160], ts[32];
    details_add(d, "%s", ladder_frame_label(f, label, sizeof label));
    details_endpoints(f, d);
    details_add(d, dt(lang, DT_WIRE), f->wire_len, f->len);
    details_add(d, dt(lang, DT_SENT), recording_str(r, e->host), recording_str(r, e->link),
                details_ms(e->t, ts, sizeof ts));
    details_fate(r, tx, t, lang, d);
}

/* The window field of the last TCP frame `host` sent on connection `conn`
 * up to time t (as the ladder sees the connection's 4-tuple), or -1. */
static long details_last_window(const struct recording *r, const struct world_desc *w,
                                const char *host, const char *conn, sim_time t)
{
    struct ladder_opts o = {.conn = conn, .to = t > 0 ? t : 1};
    struct ladder_model m;
    if (!ladder_model_build(r, w, &o, &m))
        return -1;
    long win = -1;
    for (uint32_t i = m.n_rows; i-- > 0 && win < 0;) {
        const struct ladder_row *row = &m.rows[i];
        if (row->kind == LROW_FRAME && row->t <= t && row->frame && row->frame->proto == DEC_TCP &&
            row->from >= 0 && strcmp(m.cols[row->from], host) == 0)
            win = row->frame->win;
    }
    ladder_model_free(&m);
    return win;
}

/* "65535", or "-" for the "infinite" initial ssthresh (RFC 5681 §3.1 lets it
 * start arbitrarily high; Linux uses 0x7fffffff). */
static const char *details_bytes(uint64_t v, char *buf, size_t n)
{
    if (v >= INT32_MAX)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%" PRIu64, v);
    return buf;
}

static void details_conn(const struct recording *r, const struct world_desc *w,
                         const struct scene *s, const struct scene_conn *k, sim_time t,
                         enum viz_lang lang, struct viz_details *d)
{
    const char *host = w->hosts[k->host].name, *conn = recording_str(r, k->conn);
    details_add(d, "%s: %s", conn, recording_str(r, k->state));
    char line[VIZ_DETAILS_COLS] = "", part[64];
    const struct rec_cc *cc = recording_last_cc(r, k->conn, s->upto);
    if (cc) {
        char cw[24], ss[24], srtt[32], rto[32];
        snprintf(line, sizeof line, dt(lang, DT_CC), details_bytes(cc->cwnd, cw, sizeof cw),
                 details_bytes(cc->ssthresh, ss, sizeof ss),
                 details_ms(cc->srtt, srtt, sizeof srtt), details_ms(cc->rto, rto, sizeof rto));
    }
    long win = details_last_window(r, w, host, conn, t);
    if (win >= 0) {
        snprintf(part, sizeof part, dt(lang, DT_WIN), win);
        strncat(line, part, sizeof line - strlen(line) - 1);
    }
    if (line[0])
        details_add(d, "%s", line);
}

void viz_details_host(const struct recording *r, const struct world_desc *w, const struct scene *s,
                      int host, sim_time t, enum viz_lang lang, struct viz_details *d)
{
    d->n = 0;
    if (host < 0 || (uint32_t)host >= w->n_hosts)
        return;
    const struct world_host *h = &w->hosts[host];
    details_add(d, "%s%s", h->name, h->router ? dt(lang, DT_ROUTER) : "");
    for (uint32_t i = 0; i < h->n_addrs && i < 8; i++) {
        char a[16];
        details_add(d, "%s/%u", rec_ip_str(h->addrs[i], a), h->prefix[i]);
    }
    for (uint32_t i = 0; i < s->n_conns; i++)
        if (s->conns[i].host == host)
            details_conn(r, w, s, &s->conns[i], t, lang, d);
}
