/* Turning a recording into ladder rows. */
#include "ladder_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conn_tuple {
    bool on;
    uint32_t a, b;
    uint16_t pa, pb;
    uint32_t peer_conn; /* the connection the SYN created on the other side */
};

static int model_col(const struct ladder_model *m, const char *host)
{
    for (uint32_t i = 0; i < m->n_cols; i++)
        if (strcmp(m->cols[i], host) == 0)
            return (int)i;
    return -1;
}

/* Adds a column for `host` unless it has one; no name (NULL or "") adds none. */
static void model_add_col(struct ladder_model *m, const char *host)
{
    if (host && host[0] && model_col(m, host) < 0 && m->n_cols < LADDER_MAX_COLS)
        m->cols[m->n_cols++] = host;
}

static bool in_window(const struct ladder_opts *o, sim_time t)
{
    return t >= o->from && (o->to == 0 || t <= o->to);
}

static bool is_exchange(const struct rec_frame *f)
{
    return f && (f->malformed || f->proto == DEC_TCP || f->proto == DEC_UDP ||
                 f->proto == DEC_ICMP || f->proto == DEC_ARP);
}

/* The connection's 4-tuple: the first SYN its host sends after the
 * connection's first state change (its active open). */
static struct conn_tuple find_conn_tuple(const struct recording *r, const char *conn)
{
    struct conn_tuple c = {0};
    uint32_t ci = recording_find_str(r, conn);
    uint32_t i = 0, host = REC_NONE;
    for (; ci != REC_NONE && i < r->n_events; i++)
        if (r->events[i].kind == TRACE_STATE && r->events[i].conn == ci) {
            host = r->events[i].host;
            break;
        }
    for (; host != REC_NONE && i < r->n_events; i++) {
        const struct rec_event *e = &r->events[i];
        const struct rec_frame *f = recording_frame_of(r, e);
        if (e->kind == TRACE_TX && e->host == host && f && f->proto == DEC_TCP &&
            (f->flags & DEC_SYN)) {
            c = (struct conn_tuple){true, f->src, f->dst, f->sport, f->dport, REC_NONE};
            break;
        }
    }
    return c;
}

static bool tuple_match(const struct conn_tuple *c, const struct rec_frame *f)
{
    if (f->proto != DEC_TCP)
        return false;
    return (f->src == c->a && f->dst == c->b && f->sport == c->pa && f->dport == c->pb) ||
           (f->src == c->b && f->dst == c->a && f->sport == c->pb && f->dport == c->pa);
}

/* The listener's side of the connection: the state change from LISTEN that
 * follows, at the same host and instant, the arrival of the connection's SYN. */
static void find_peer_conn(const struct recording *r, uint32_t conn, struct conn_tuple *c)
{
    uint32_t rx_host = REC_NONE, listen = recording_find_str(r, "LISTEN");
    sim_time rx_t = 0;
    for (uint32_t i = 0; c->on && listen != REC_NONE && i < r->n_events; i++) {
        const struct rec_event *e = &r->events[i];
        const struct rec_frame *f = recording_frame_of(r, e);
        if (e->kind == TRACE_RX && f && (f->flags & (DEC_SYN | DEC_ACK)) == DEC_SYN &&
            f->src == c->a && f->sport == c->pa && tuple_match(c, f)) {
            rx_host = e->host;
            rx_t = e->t;
        } else if (e->kind == TRACE_STATE && e->host == rx_host && e->t == rx_t &&
                   e->from == listen && e->conn != conn) {
            c->peer_conn = e->conn;
            return;
        }
    }
}

/* Host names of the two ends of a link, from the world description. */
static const char *link_peer(const struct world_desc *w, const char *link, const char *host)
{
    if (!w || !link)
        return NULL;
    for (uint32_t i = 0; i < w->n_links; i++) {
        const struct world_link *l = &w->links[i];
        if (!l->name || strcmp(l->name, link) != 0 || l->a >= w->n_hosts || l->b >= w->n_hosts)
            continue;
        const char *a = w->hosts[l->a].name, *b = w->hosts[l->b].name;
        return strcmp(a, host) == 0 ? b : a;
    }
    return NULL;
}

static const char *host_by_addr(const struct world_desc *w, uint32_t addr)
{
    for (uint32_t i = 0; w && i < w->n_hosts; i++)
        for (uint32_t k = 0; k < w->hosts[i].n_addrs && k < 8; k++)
            if (w->hosts[i].addrs[k] == addr)
                return w->hosts[i].name;
    return NULL;
}

/* Where frame tx event i ends: the receiving host, when and whether lost. */
static void frame_destination(const struct recording *r, const struct world_desc *w, uint32_t i,
                              const char **dst, sim_time *t_end, bool *lost)
{
    const struct rec_event *tx = &r->events[i];
    uint32_t j = recording_frame_end(r, i);
    const char *sender = recording_str(r, tx->host);
    *dst = NULL;
    *t_end = tx->t;
    *lost = false;
    if (j != REC_NONE) {
        const struct rec_event *e = &r->events[j];
        *t_end = e->t;
        *lost = e->kind == TRACE_DROP;
        if (e->host != REC_NONE) /* the host that received it, or dropped it */
            *dst = recording_str(r, e->host);
    }
    if (!*dst)
        *dst = link_peer(w, recording_str(r, tx->link), sender);
    if (!*dst) {
        const struct rec_frame *f = recording_frame_of(r, tx);
        *dst = host_by_addr(w, f->proto == DEC_ARP ? f->arp_tpa : f->dst);
    }
}

static bool frame_wanted(const struct recording *r, const struct ladder_opts *o,
                         const struct conn_tuple *c, uint32_t i)
{
    const struct rec_event *e = &r->events[i];
    const struct rec_frame *f = recording_frame_of(r, e);
    if (e->kind != TRACE_TX || !is_exchange(f) || !in_window(o, e->t))
        return false;
    return !o->conn || (c->on && tuple_match(c, f));
}

static void choose_columns(const struct recording *r, const struct world_desc *w,
                           const struct ladder_opts *o, const struct conn_tuple *c,
                           struct ladder_model *m)
{
    if (o->hosts) {
        for (uint32_t i = 0; i < o->n_hosts; i++)
            model_add_col(m, o->hosts[i]);
        return;
    }
    /* Hosts that take part, then ordered as the world lists them. */
    struct ladder_model seen = {0};
    for (uint32_t i = 0; i < r->n_events; i++) {
        if (!frame_wanted(r, o, c, i))
            continue;
        const char *dst;
        sim_time te;
        bool lost;
        frame_destination(r, w, i, &dst, &te, &lost);
        model_add_col(&seen, recording_str(r, r->events[i].host));
        model_add_col(&seen, dst);
    }
    for (uint32_t i = 0; w && i < w->n_hosts; i++)
        if (model_col(&seen, w->hosts[i].name) >= 0)
            model_add_col(m, w->hosts[i].name);
    for (uint32_t i = 0; i < seen.n_cols; i++)
        model_add_col(m, seen.cols[i]);
}

static bool model_push(struct ladder_model *m, uint32_t *cap, struct ladder_row row)
{
    if (m->n_rows == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 64;
        struct ladder_row *p = realloc(m->rows, ncap * sizeof *p);
        if (!p)
            return false;
        m->rows = p;
        *cap = ncap;
    }
    m->rows[m->n_rows++] = row;
    return true;
}

static bool state_wanted(const struct recording *r, const struct ladder_opts *o,
                         const struct conn_tuple *c, const struct ladder_model *m,
                         const struct rec_event *e)
{
    if (!in_window(o, e->t) || model_col(m, recording_str(r, e->host)) < 0)
        return false;
    return !o->conn || strcmp(recording_str(r, e->conn), o->conn) == 0 ||
           (e->conn != REC_NONE && e->conn == c->peer_conn);
}

bool ladder_model_build(const struct recording *r, const struct world_desc *w,
                        const struct ladder_opts *o, struct ladder_model *m)
{
    memset(m, 0, sizeof *m);
    struct conn_tuple c = o->conn ? find_conn_tuple(r, o->conn) : (struct conn_tuple){0};
    if (c.on)
        find_peer_conn(r, recording_find_str(r, o->conn), &c);
    choose_columns(r, w, o, &c, m);
    uint32_t cap = 0;
    for (uint32_t i = 0; i < r->n_events; i++) {
        const struct rec_event *e = &r->events[i];
        struct ladder_row row = {.t = e->t, .from = -1, .to = -1};
        if (frame_wanted(r, o, &c, i)) {
            const char *dst;
            frame_destination(r, w, i, &dst, &row.t_end, &row.lost);
            row.kind = LROW_FRAME;
            row.frame = recording_frame_of(r, e);
            row.from = model_col(m, recording_str(r, e->host));
            row.to = dst ? model_col(m, dst) : -1;
            if (row.from < 0 || (row.to < 0 && !row.lost) || row.to == row.from)
                continue;
        } else if (e->kind == TRACE_STATE && state_wanted(r, o, &c, m, e)) {
            row.kind = LROW_STATE;
            row.from = model_col(m, recording_str(r, e->host));
            row.text = recording_str(r, e->to);
        } else if (e->kind == TRACE_LINK && in_window(o, e->t) && !o->conn) {
            row.kind = LROW_LINK;
            row.text = recording_str(r, e->reason);
            row.link = recording_str(r, e->link);
        } else {
            continue;
        }
        if (!model_push(m, &cap, row)) {
            ladder_model_free(m);
            return false;
        }
    }
    return true;
}

void ladder_model_free(struct ladder_model *m)
{
    free(m->rows);
    m->rows = NULL;
    m->n_rows = 0;
}
