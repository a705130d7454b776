/* Point-to-point links: a transmitter with a drop-tail queue per direction,
 * then a wire that delays, loses, duplicates, reorders or corrupts frames.
 *
 * The life of a frame on one direction:
 *   offer (tx trace, targeted faults, down/MTU/queue checks)
 *   -> transmitter (rate_bps; the `tx_done` timer)
 *   -> launch (random impairments drawn in a fixed order: loss, duplicate,
 *      corrupt, reorder, jitter)
 *   -> the frame's own timer fires at arrival: rx trace and port.rx, or a drop.
 *
 * Where drops are reported: faults, queue overflow, MTU and link down happen
 * at the link (event with `link`, no `host`); random loss and FCS failures are
 * reported at the receiving interface when the frame would have arrived. */
#include "link.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define REORDER_MIN_HOLD SIM_MS

static const char *name_or_unknown(const char *s)
{
    return s ? s : "?";
}

void link_params_default(struct link_params *p)
{
    memset(p, 0, sizeof *p);
    p->delay = SIM_MS;
    p->queue = 1000;
    p->mtu = 1500;
    p->loss_model = LINK_LOSS_BERNOULLI;
}

/* ---- trace events ---- */

static void trace_frame(struct link_dir *d, enum trace_kind kind, const struct port *at,
                        struct frame *f, const char *reason, bool dup)
{
    struct sim *s = d->link->sim;
    if (!trace_on(sim_bus(s), kind))
        return;
    struct trace_event e = {
        .t = sim_now(s),
        .kind = kind,
        .host = at ? at->host : NULL,
        .frame = f,
        .iface = at ? at->iface : 0,
        .ifname = at ? at->ifname : NULL,
        .link = d->link->name,
        .reason = reason,
        .dup = dup,
    };
    trace_emit(sim_bus(s), &e);
}

static void trace_link(struct link *l, const char *what, const char *detail)
{
    if (!trace_on(sim_bus(l->sim), TRACE_LINK))
        return;
    struct trace_event e = {
        .t = sim_now(l->sim),
        .kind = TRACE_LINK,
        .link = l->name,
        .what = what,
        .detail = detail,
    };
    trace_emit(sim_bus(l->sim), &e);
}

/* A drop decided by the link itself (fault, queue, mtu, link_down). */
static void drop_at_link(struct link_dir *d, struct frame *f, const char *reason)
{
    trace_frame(d, TRACE_DROP, NULL, f, reason, false);
    frame_free(&d->link->sim->frames, f);
}

/* A drop seen where the frame would have arrived (loss, checksum). */
static void drop_at_receiver(struct link_dir *d, struct frame *f, const char *reason)
{
    trace_frame(d, TRACE_DROP, d->to, f, reason, false);
    frame_free(&d->link->sim->frames, f);
}

/* ---- pending fault decisions ----
 *
 * A ring of the decisions that are not the default, in queue order, each
 * tagged with its frame: the frame leaving the transmitter finds its own at
 * the head, or has none.  A frame can only leave by the transmitter or a
 * flush, which empties the ring, so a tag never outlives its frame. */

static bool pend_decided(const struct link_pending *pm)
{
    return pm->extra || pm->dup || pm->corrupt;
}

/* d has faults, so d->fs exists. */
static bool pend_push(struct link_dir *d, struct link_pending pm)
{
    struct link_fault_state *fs = d->fs;
    if (fs->pend_len == fs->pend_cap) {
        uint32_t cap = fs->pend_cap ? fs->pend_cap * 2 : 4;
        struct link_pending *v = malloc((size_t)cap * sizeof *v);
        if (!v)
            return false;
        for (uint32_t i = 0; i < fs->pend_len; i++)
            v[i] = fs->pend[(fs->pend_head + i) % fs->pend_cap];
        free(fs->pend);
        fs->pend = v;
        fs->pend_cap = cap;
        fs->pend_head = 0;
    }
    fs->pend[(fs->pend_head + fs->pend_len) % fs->pend_cap] = pm;
    fs->pend_len++;
    return true;
}

/* The decisions for f, which is leaving the transmitter. */
static struct link_pending pend_pop(struct link_dir *d, const struct frame *f)
{
    struct link_fault_state *fs = d->fs;
    if (!fs || !fs->pend_len || fs->pend[fs->pend_head].frame != f)
        return (struct link_pending){0};
    struct link_pending pm = fs->pend[fs->pend_head];
    fs->pend_head = (fs->pend_head + 1) % fs->pend_cap;
    fs->pend_len--;
    return pm;
}

/* ---- frames on the wire ---- */

static void flight_add(struct link_dir *d, struct frame *f)
{
    f->next = NULL;
    if (d->flight_tail)
        d->flight_tail->next = f;
    else
        d->flight_head = f;
    d->flight_tail = f;
}

/* Arrivals are mostly in send order, so the scan usually stops at the head. */
static void flight_remove(struct link_dir *d, struct frame *f)
{
    struct frame *prev = NULL;
    for (struct frame *c = d->flight_head; c; prev = c, c = c->next) {
        if (c != f)
            continue;
        if (prev)
            prev->next = f->next;
        else
            d->flight_head = f->next;
        if (d->flight_tail == f)
            d->flight_tail = prev;
        f->next = NULL;
        return;
    }
}

/* Takes f off the wire when its timer fires; returns its direction. */
static struct link_dir *land(struct frame *f)
{
    struct link_dir *d = f->holder;
    flight_remove(d, f);
    if (d->held == f)
        d->held = NULL;
    f->holder = NULL;
    return d;
}

static void deliver(struct frame *f, sim_time now, bool dup)
{
    struct link_dir *d = land(f);
    d->c.delivered++;
    trace_frame(d, TRACE_RX, d->to, f, NULL, dup);
    if (d->to->rx)
        d->to->rx(d->to, f, now);
    else
        frame_free(&d->link->sim->frames, f); /* nothing attached on that side */
}

static void arrive(void *ctx, sim_time now)
{
    deliver(ctx, now, false);
}

static void arrive_copy(void *ctx, sim_time now)
{
    deliver(ctx, now, true);
}

static void arrive_lost(void *ctx, sim_time now)
{
    (void)now;
    struct link_dir *d = land(ctx);
    d->c.drop_loss++;
    drop_at_receiver(d, ctx, "loss");
}

static void arrive_bad_fcs(void *ctx, sim_time now)
{
    (void)now;
    struct link_dir *d = land(ctx);
    d->c.drop_checksum++;
    drop_at_receiver(d, ctx, "checksum");
}

static void put_on_wire(struct link_dir *d, struct frame *f, sim_timer_fn fn, sim_time when)
{
    f->holder = d;
    sim_timer_init(&f->timer, fn, f);
    flight_add(d, f);
    sim_timer_arm(d->link->sim, &f->timer, when);
}

/* ---- random impairments ---- */

/* Gilbert-Elliott: the state transition is drawn first, then the loss of the
 * state the frame meets. */
static bool draw_loss(struct link_dir *d)
{
    struct link_random *r = d->rnd;
    if (!r)
        return false;
    if (r->loss_model == LINK_LOSS_BERNOULLI)
        return rng_hit(&r->rng, r->loss_thr);
    if (r->ge_bad) {
        if (rng_hit(&r->rng, r->ge_r))
            r->ge_bad = false;
    } else if (rng_hit(&r->rng, r->ge_p)) {
        r->ge_bad = true;
    }
    return rng_hit(&r->rng, r->ge_bad ? r->ge_loss_bad : r->ge_loss_good);
}

/* Flips one bit after the Ethernet header, so the IPv4 header checksum or the
 * transport checksum catches it.  False when there is no IP packet to hit. */
static bool corrupt_ip_packet(struct link_dir *d, struct frame *f)
{
    bool ipv4 = f->len > FRAME_ETH_HLEN && f->data[12] == 0x08 && f->data[13] == 0x00;
    if (!ipv4)
        return false;
    /* d->rnd exists: the direction has a corruption probability or fault. */
    uint64_t bit = rng_below(&d->rnd->rng, (uint64_t)(f->len - FRAME_ETH_HLEN) * 8);
    f->data[FRAME_ETH_HLEN + bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
    f->csum_ok = false; /* the receiver must find the damage by summing */
    return true;
}

static sim_time reorder_hold(const struct link_dir *d)
{
    return d->delay > REORDER_MIN_HOLD ? d->delay : REORDER_MIN_HOLD;
}

/* The frame held back by `reorder` is released right behind the frame that
 * arrives at `when` (armed later, so it runs after it at the same instant),
 * unless its own deadline comes first.  Its duplicate, if it has one, was put
 * on the wire right after it and follows it. */
static void release_held(struct link_dir *d, struct frame *held, sim_time when)
{
    if (!held || held->timer.when < when)
        return;
    struct frame *copy = held->next;
    bool has_copy = copy && copy->timer.fn == arrive_copy && copy->id == held->id &&
                    copy->timer.when == held->timer.when;
    sim_timer_arm(d->link->sim, &held->timer, when);
    if (has_copy)
        sim_timer_arm(d->link->sim, &copy->timer, when);
}

/* f has left the transmitter at `now`: draws its fate and puts it on the wire. */
static void launch(struct link_dir *d, struct frame *f, struct link_pending pm, sim_time now)
{
    if (draw_loss(d)) {
        put_on_wire(d, f, arrive_lost, now + d->delay);
        return;
    }
    /* Random draws happen whatever the faults decided, so a fault never shifts the stream. */
    struct link_random *r = d->rnd;
    bool dup = false, corrupt = false, reorder = false;
    sim_time jitter = 0;
    if (r) {
        dup = rng_hit(&r->rng, r->dup_thr);
        corrupt = rng_hit(&r->rng, r->corrupt_thr);
        reorder = rng_hit(&r->rng, r->reorder_thr);
        jitter = r->jitter > 0 ? rng_range(&r->rng, 0, r->jitter) : 0;
    }
    dup = dup || pm.dup;
    corrupt = corrupt || pm.corrupt;

    sim_time when = now + d->delay + jitter;
    if (when < d->last_arrival)
        when = d->last_arrival; /* jitter alone never reorders */
    d->last_arrival = when;
    when += pm.extra; /* a delay fault holds back this frame only */

    /* The copy is taken before any bit flip: only the original is damaged. */
    struct frame *copy = dup ? frame_clone(&d->link->sim->frames, f) : NULL;
    sim_timer_fn fn = arrive;
    if (corrupt) {
        d->c.corrupted++;
        if (!corrupt_ip_packet(d, f))
            fn = arrive_bad_fcs;
    }
    sim_time arrival = when;
    if (reorder) {
        d->c.reordered++;
        arrival += reorder_hold(d);
    }
    put_on_wire(d, f, fn, arrival);
    if (copy) {
        d->c.duplicated++;
        put_on_wire(d, copy, arrive_copy, arrival);
    }
    struct frame *held = d->held;
    d->held = reorder ? f : NULL;
    release_held(d, held, when);
}

/* ---- the transmitter ---- */

/* Bits over rate, rounded up to whole nanoseconds: the Ethernet header and
 * payload as stored (no preamble, FCS or inter-frame gap). */
static sim_time serialization_time(uint32_t len, uint64_t rate_bps)
{
    if (rate_bps == 0)
        return 0;
    uint64_t bits_ns = (uint64_t)len * 8 * (uint64_t)SIM_SEC;
    return (sim_time)((bits_ns + rate_bps - 1) / rate_bps);
}

static void finish_tx(struct link_dir *d, sim_time now)
{
    struct frame *f = d->sending;
    d->sending = NULL;
    launch(d, f, pend_pop(d, f), now);
}

/* Starts the next queued frame; with no rate limit frames leave at once. */
static void transmit_next(struct link_dir *d, sim_time now)
{
    while (!d->sending && d->queue.head) {
        d->sending = frame_queue_pop(&d->queue);
        sim_time ser = serialization_time(d->sending->len, d->rate_bps);
        if (ser > 0) {
            sim_timer_arm(d->link->sim, &d->tx_done, now + ser);
            return;
        }
        finish_tx(d, now);
    }
}

static void tx_done_fired(void *ctx, sim_time now)
{
    struct link_dir *d = ctx;
    finish_tx(d, now);
    transmit_next(d, now);
}

/* ---- offering a frame ---- */

static void apply_fault(const struct link_fault *ft, struct link_pending *pm, bool *drop)
{
    switch (ft->action) {
    case LINK_FAULT_DROP:
        *drop = true;
        break;
    case LINK_FAULT_DELAY:
        pm->extra += ft->delay;
        break;
    case LINK_FAULT_DUPLICATE:
        pm->dup = true;
        break;
    case LINK_FAULT_CORRUPT:
        pm->corrupt = true;
        break;
    }
}

/* Every fault counts every matching frame, whatever the others do (SPEC §3). */
static bool check_faults(struct link_dir *d, const struct frame *f, struct link_pending *pm)
{
    if (!d->faults)
        return false;
    struct frame_summary s;
    uint32_t rel_seq, rel_ack;
    frame_decode(f->data, f->len, &s);
    seqrel_observe(&d->fs->seqrel, &s, &rel_seq, &rel_ack);
    bool drop = false;
    for (struct link_fault *ft = d->faults; ft; ft = ft->next) {
        if (!frame_filter_match(&ft->filter, &s, rel_seq))
            continue;
        ft->matched++;
        if (ft->nth == 0 || ft->matched == ft->nth)
            apply_fault(ft, pm, &drop);
    }
    return drop;
}

static bool queue_full(const struct link_dir *d)
{
    return d->sending && d->queue_max && d->queue.len >= d->queue_max;
}

static void offer(struct link_dir *d, struct frame *f)
{
    struct link *l = d->link;
    d->c.tx_frames++;
    d->c.tx_bytes += f->len;
    trace_frame(d, TRACE_TX, d->from, f, NULL, false);

    struct link_pending pm = {.frame = f};
    if (check_faults(d, f, &pm)) {
        d->c.drop_fault++;
        drop_at_link(d, f, "fault");
    } else if (!l->up) {
        d->c.drop_down++;
        drop_at_link(d, f, "link_down");
    } else if (f->len > d->mtu + FRAME_ETH_HLEN) {
        d->c.drop_mtu++;
        drop_at_link(d, f, "mtu");
    } else if (queue_full(d) || (pend_decided(&pm) && !pend_push(d, pm))) {
        d->c.drop_queue++;
        drop_at_link(d, f, "queue");
    } else {
        f->holder = d;
        frame_queue_push(&d->queue, f);
        transmit_next(d, sim_now(l->sim));
    }
}

static void port_tx(struct port *p, struct frame *f)
{
    struct link_dir *d = link_dir_from(p->link, p);
    if (d)
        offer(d, f);
}

/* ---- setup ---- */

/* The direction's PRNG, seeded from (scenario seed, "link:<name>:<a>><b>")
 * when first needed.  False when out of memory. */
static bool need_random(struct link_dir *d)
{
    if (d->rnd)
        return true;
    struct link *l = d->link;
    char *seed_name = malloc(strlen(l->name) + strlen(d->trace_name) + 7);
    d->rnd = calloc(1, sizeof *d->rnd);
    if (!seed_name || !d->rnd) {
        free(seed_name);
        free(d->rnd);
        d->rnd = NULL;
        return false;
    }
    strcpy(seed_name, "link:");
    strcat(seed_name, l->name);
    strcat(seed_name, ":");
    strcat(seed_name, d->trace_name);
    rng_seed(&d->rnd->rng, l->sim->seed, seed_name);
    free(seed_name);
    return true;
}

static bool set_params(struct link_dir *d, const struct link_params *p)
{
    d->delay = p->delay;
    d->rate_bps = p->rate_bps;
    d->queue_max = p->queue;
    d->mtu = p->mtu;
    struct link_random t = {
        .loss_thr = rng_prob_from(p->loss),
        .dup_thr = rng_prob_from(p->duplicate),
        .reorder_thr = rng_prob_from(p->reorder),
        .corrupt_thr = rng_prob_from(p->corrupt),
        .ge_p = rng_prob_from(p->gilbert.p),
        .ge_r = rng_prob_from(p->gilbert.r),
        .ge_loss_good = rng_prob_from(p->gilbert.loss_good),
        .ge_loss_bad = rng_prob_from(p->gilbert.loss_bad),
        .jitter = p->jitter,
        .loss_model = p->loss_model,
    };
    bool random = p->jitter > 0 || t.loss_thr || t.dup_thr || t.reorder_thr || t.corrupt_thr ||
                  t.ge_p || t.ge_r || t.ge_loss_good || t.ge_loss_bad;
    if (!d->rnd && !random)
        return true;
    if (!need_random(d))
        return false;
    t.rng = d->rnd->rng;
    t.ge_bad = d->rnd->ge_bad;
    *d->rnd = t;
    return true;
}

static void dir_init(struct link *l, int side, struct port *from, struct port *to, char *trace_name)
{
    struct link_dir *d = &l->dir[side];
    d->link = l;
    d->side = (uint8_t)side;
    d->from = from;
    d->to = to;
    d->trace_name = trace_name;
    sim_timer_init(&d->tx_done, tx_done_fired, d);
}

/* "name", "a>b" and "b>a" in one block. */
static char *link_names(const char *name, const struct port *a, const struct port *b)
{
    const char *ah = name_or_unknown(a->host), *bh = name_or_unknown(b->host);
    size_t n = strlen(name) + 1, na = strlen(ah), nb = strlen(bh);
    char *s = malloc(n + 2 * (na + nb + 2));
    if (!s)
        return NULL;
    char *t = s;
    memcpy(t, name, n);
    t += n;
    for (int side = 0; side < 2; side++) {
        const char *from = side ? bh : ah, *to = side ? ah : bh;
        size_t nf = side ? nb : na, nt = side ? na : nb;
        memcpy(t, from, nf);
        t[nf] = '>';
        memcpy(t + nf + 1, to, nt + 1);
        t += nf + nt + 2;
    }
    return s;
}

struct link *link_create(struct sim *s, const char *name, struct port *a, struct port *b,
                         const struct link_params *p)
{
    struct link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->sim = s;
    l->up = true;
    l->name = link_names(name, a, b);
    if (!l->name) {
        free(l);
        return NULL;
    }
    char *ab = l->name + strlen(l->name) + 1;
    dir_init(l, 0, a, b, ab);
    dir_init(l, 1, b, a, ab + strlen(ab) + 1);
    if (!set_params(&l->dir[0], p) || !set_params(&l->dir[1], p)) {
        link_destroy(l);
        return NULL;
    }
    for (int side = 0; side < 2; side++) {
        struct port *from = l->dir[side].from;
        from->tx = port_tx;
        from->link = l;
        from->mtu = p->mtu;
    }
    return l;
}

static void free_frame_list(struct frame_pool *pool, struct frame *f)
{
    while (f) {
        struct frame *next = f->next;
        frame_free(pool, f);
        f = next;
    }
}

static void dir_destroy(struct sim *s, struct link_dir *d)
{
    if (d->link) {
        sim_timer_cancel(s, &d->tx_done);
        for (struct frame *f = d->flight_head; f; f = f->next)
            sim_timer_cancel(s, &f->timer);
    }
    free_frame_list(&s->frames, d->flight_head);
    if (d->sending)
        frame_free(&s->frames, d->sending);
    frame_queue_clear(&s->frames, &d->queue);
    while (d->faults) {
        struct link_fault *next = d->faults->next;
        free(d->faults);
        d->faults = next;
    }
    if (d->fs) {
        seqrel_destroy(&d->fs->seqrel);
        free(d->fs->pend);
        free(d->fs);
    }
    free(d->rnd);
}

void link_destroy(struct link *l)
{
    if (!l)
        return;
    for (int i = 0; i < 2; i++)
        dir_destroy(l->sim, &l->dir[i]);
    free(l->name);
    free(l);
}

void link_set_params(struct link *l, int side, const struct link_params *p)
{
    struct link_dir *d = &l->dir[side ? 1 : 0];
    if (!set_params(d, p))
        sim_fail(l->sim, "out of memory changing a link");
    d->from->mtu = p->mtu;
    trace_link(l, "set", d->trace_name);
}

/* Drops everything a direction holds: the frame on the transmitter, the
 * queue, then the frames on the wire in the order they were sent. */
static void dir_flush(struct link_dir *d)
{
    struct sim *s = d->link->sim;
    sim_timer_cancel(s, &d->tx_done);
    if (d->sending) {
        struct frame *f = d->sending;
        d->sending = NULL;
        d->c.drop_down++;
        drop_at_link(d, f, "link_down");
    }
    struct frame *f;
    while ((f = frame_queue_pop(&d->queue))) {
        d->c.drop_down++;
        drop_at_link(d, f, "link_down");
    }
    if (d->fs)
        d->fs->pend_head = d->fs->pend_len = 0;
    while ((f = d->flight_head)) {
        sim_timer_cancel(s, &f->timer);
        land(f);
        d->c.drop_down++;
        drop_at_link(d, f, "link_down");
    }
    d->held = NULL;
}

void link_set_up(struct link *l, bool up)
{
    if (l->up == up)
        return;
    l->up = up;
    trace_link(l, up ? "up" : "down", NULL);
    if (!up) {
        l->epoch++;
        for (int i = 0; i < 2; i++)
            dir_flush(&l->dir[i]);
    }
}

void link_add_fault(struct link *l, int side, const struct link_fault *f)
{
    struct link_dir *d = &l->dir[side ? 1 : 0];
    /* A corrupting fault flips a bit drawn from the direction's stream. */
    struct link_fault *c = malloc(sizeof *c);
    if (!d->fs && (d->fs = calloc(1, sizeof *d->fs)))
        seqrel_init(&d->fs->seqrel);
    if (!c || !d->fs || (f->action == LINK_FAULT_CORRUPT && !need_random(d))) {
        free(c);
        sim_fail(l->sim, "out of memory adding a link fault");
        return;
    }
    *c = *f;
    c->matched = 0;
    c->next = NULL;
    struct link_fault **p = &d->faults;
    while (*p)
        p = &(*p)->next;
    *p = c;
}

struct link_dir *link_dir_from(struct link *l, const struct port *from)
{
    if (!l)
        return NULL;
    for (int i = 0; i < 2; i++)
        if (l->dir[i].from == from)
            return &l->dir[i];
    return NULL;
}
