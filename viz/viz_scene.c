/* The visualizer's picture of one instant. */
#include "viz_scene.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int scene_host_index(const struct world_desc *w, const char *name)
{
    for (uint32_t i = 0; w && name && i < w->n_hosts; i++)
        if (strcmp(w->hosts[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Hosts on a line when there are two or three, else on a circle, in host
 * order; a scenario's `pos` wins. */
void scene_layout(const struct world_desc *w, struct scene *s)
{
    uint32_t n = w->n_hosts;
    if (n > SCENE_MAX_HOSTS)
        n = SCENE_MAX_HOSTS;
    for (uint32_t i = 0; i < n; i++) {
        if (w->hosts[i].has_pos) {
            s->hx[i] = w->hosts[i].x;
            s->hy[i] = w->hosts[i].y;
        } else if (n <= 3) {
            s->hx[i] = n == 1 ? 0.5 : 0.1 + 0.8 * i / (n - 1);
            s->hy[i] = 0.5;
        } else {
            double a = M_PI + 2 * M_PI * i / n;
            s->hx[i] = 0.5 + 0.4 * cos(a);
            s->hy[i] = 0.5 + 0.4 * sin(a);
        }
    }
}

enum scene_kind scene_kind_of(const struct rec_frame *f)
{
    switch (f->proto) {
    case DEC_TCP:
        if (f->flags & DEC_RST)
            return SK_RST;
        if (f->flags & DEC_SYN)
            return (f->flags & DEC_ACK) ? SK_SYNACK : SK_SYN;
        if (f->flags & DEC_FIN)
            return SK_FIN;
        return f->len ? SK_DATA : SK_ACK;
    case DEC_UDP:
        return SK_UDP;
    case DEC_ICMP:
        return SK_ICMP;
    case DEC_ARP:
        return SK_ARP;
    default:
        return SK_OTHER;
    }
}

static int scene_link_peer(const struct world_desc *w, const char *link, int host)
{
    for (uint32_t i = 0; link && i < w->n_links; i++) {
        const struct world_link *l = &w->links[i];
        if (l->name && strcmp(l->name, link) == 0)
            return (int)l->a == host ? (int)l->b : (int)l->a;
    }
    return -1;
}

static void scene_push(struct scene *s, struct scene_packet p)
{
    if (s->n_packets == s->cap_packets) {
        uint32_t ncap = s->cap_packets ? s->cap_packets * 2 : 32;
        struct scene_packet *v = realloc(s->packets, ncap * sizeof *v);
        if (!v)
            return;
        s->packets = v;
        s->cap_packets = ncap;
    }
    s->packets[s->n_packets++] = p;
}

/* A frame sent at or before t: on the wire, or shown lost for a moment. */
static void scene_frame(const struct recording *r, const struct world_desc *w, sim_time t,
                        uint32_t i, struct scene *s)
{
    const struct rec_event *e = &r->events[i];
    uint32_t j = recording_frame_end(r, i);
    if (j == REC_NONE)
        return;
    const struct rec_event *end = &r->events[j];
    bool lost = end->kind == TRACE_DROP;
    sim_time dur = end->t - e->t;
    sim_time linger = dur > 0 ? dur : SIM_MS;
    if (t >= end->t && !(lost && t < end->t + linger))
        return;
    int from = scene_host_index(w, recording_str(r, e->host));
    int to = end->kind == TRACE_RX ? scene_host_index(w, recording_str(r, end->host)) : -1;
    if (to < 0)
        to = scene_link_peer(w, recording_str(r, e->link), from);
    if (from < 0)
        return;
    double p = dur > 0 && t < end->t ? (double)(t - e->t) / (double)dur : 1.0;
    if (lost)
        p *= 0.5; /* the link does not say where: show it half-way */
    scene_push(s, (struct scene_packet){i, from, to, p, lost && t >= end->t,
                                        scene_kind_of(recording_frame_of(r, e))});
}

static void scene_state(const struct recording *r, const struct world_desc *w,
                        const struct rec_event *e, struct scene *s)
{
    for (uint32_t k = 0; k < s->n_conns; k++)
        if (s->conns[k].conn == e->conn) {
            s->conns[k].prev = s->conns[k].state;
            s->conns[k].state = e->to;
            s->last_conn = (int)k;
            return;
        }
    if (s->n_conns < SCENE_MAX_CONNS) {
        s->last_conn = (int)s->n_conns;
        s->conns[s->n_conns++] = (struct scene_conn){
            e->conn, scene_host_index(w, recording_str(r, e->host)), e->to, e->from};
    }
}

void scene_at(const struct recording *r, const struct world_desc *w, sim_time t, struct scene *s)
{
    s->n_packets = 0;
    s->n_conns = 0;
    s->last_conn = -1;
    s->upto = 0;
    for (uint32_t i = 0; i < r->n_events && r->events[i].t <= t; i++) {
        const struct rec_event *e = &r->events[i];
        s->upto = i + 1;
        if (e->kind == TRACE_TX && e->frame != REC_NONE)
            scene_frame(r, w, t, i, s);
        else if (e->kind == TRACE_STATE)
            scene_state(r, w, e, s);
    }
}

void scene_free(struct scene *s)
{
    free(s->packets);
    s->packets = NULL;
    s->n_packets = s->cap_packets = 0;
}
