/* Point-to-point links: a transmitter with a drop-tail queue per direction,
 * then a wire that delays, loses, duplicates, reorders or corrupts frames.
 *
 * The life of a frame on one direction:
 *   offer (tx trace, targeted faults, down/MTU/queue checks)
 *   -> transmitter (rate_bps; the frame's own timer while it is serialized)
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

static struct link *link_of(struct link_dir *d)
{
    return d->link;
}

static struct sim *sim_of(struct link_dir *d)
{
    return link_of(d)->sim;
}

/* The port frames on d arrive at. */
static struct port *dest_of(struct link_dir *d)
{
    struct link *l = d->link;
    return d == &l->dir[0] ? l->dir[1].from : l->dir[0].from;
}

/* The direction's rare counters and impairment state, made when first
 * needed; NULL when out of memory. */
static struct link_dir_extra *extra_of(struct link_dir *d)
{
    if (!d->x && (d->x = calloc(1, sizeof *d->x)))
        seqrel_init(&d->x->fs.seqrel);
    return d->x;
}

/* Counts one of the rare events.  A count lost to a failed allocation is
 * only a statistic: the frame's fate and its trace do not depend on it. */
#define COUNT_RARE(d, field)                                                                       \
    do {                                                                                           \
        struct link_dir_extra *x_ = extra_of(d);                                                   \
        if (x_)                                                                                    \
            x_->c.field++;                                                                         \
    } while (0)

void link_params_default(struct link_params *p)
{
    memset(p, 0, sizeof *p);
    p->delay = SIM_MS;
    p->queue = 1000;
    p->mtu = 1500;
    p->loss_model = LINK_LOSS_BERNOULLI;
}

/* ---- trace events ---- */

static void trace_frame(struct link *l, enum trace_kind kind, const struct port *at,
                        struct frame *f, const char *reason, bool dup)
{
    struct sim *s = l->sim;
    if (!trace_on(sim_bus(s), kind))
        return;
    struct trace_event e = {
        .t = sim_now(s),
        .kind = kind,
        .host = at ? at->host : NULL,
        .frame = f,
        .iface = at ? at->iface : 0,
        .ifname = at ? at->ifname : NULL,
        .link = l->name,
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
    trace_frame(link_of(d), TRACE_DROP, NULL, f, reason, false);
    frame_free(&sim_of(d)->frames, f);
}

/* A drop seen where the frame would have arrived (loss, checksum). */
static void drop_at_receiver(struct link_dir *d, struct frame *f, const char *reason)
{
    trace_frame(link_of(d), TRACE_DROP, dest_of(d), f, reason, false);
    frame_free(&sim_of(d)->frames, f);
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

/* d has faults, so d->x exists. */
static bool pend_push(struct link_dir *d, struct link_pending pm)
{
    struct link_fault_state *fs = &d->x->fs;
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
    struct link_fault_state *fs = d->x ? &d->x->fs : NULL;
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
    if (d->x && d->x->held == f)
        d->x->held = NULL;
    f->holder = NULL;
    return d;
}

static void deliver(struct frame *f, sim_time now, bool dup)
{
    struct link_dir *d = land(f);
    struct link *l = d->link;
    struct port *to = dest_of(d);
    d->delivered++;
    trace_frame(l, TRACE_RX, to, f, NULL, dup);
    if (to->rx)
        to->rx(to, f, now);
    else
        frame_free(&l->sim->frames, f); /* nothing attached on that side */
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
    COUNT_RARE(d, drop_loss);
    drop_at_receiver(d, ctx, "loss");
}

static void arrive_bad_fcs(void *ctx, sim_time now)
{
    (void)now;
    struct link_dir *d = land(ctx);
    COUNT_RARE(d, drop_checksum);
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
    if (!d->x || !d->x->seeded)
        return false;
    struct link_random *r = &d->x->rnd;
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
    /* d->x is seeded: the direction has a corruption probability or fault. */
    uint64_t bit = rng_below(&d->x->rnd.rng, (uint64_t)(f->len - FRAME_ETH_HLEN) * 8);
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
    struct link_random *r = d->x && d->x->seeded ? &d->x->rnd : NULL;
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
        COUNT_RARE(d, corrupted);
        if (!corrupt_ip_packet(d, f))
            fn = arrive_bad_fcs;
    }
    sim_time arrival = when;
    if (reorder) {
        COUNT_RARE(d, reordered);
        arrival += reorder_hold(d);
    }
    put_on_wire(d, f, fn, arrival);
    if (copy) {
        COUNT_RARE(d, duplicated);
        put_on_wire(d, copy, arrive_copy, arrival);
    }
    /* A frame is held back only on a direction with impairments: d->x exists. */
    struct frame *held = d->x ? d->x->held : NULL;
    if (d->x)
        d->x->held = reorder ? f : NULL;
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

static void tx_done_fired(void *ctx, sim_time now);

/* Starts the next queued frame; with no rate limit frames leave at once.
 * The frame's own timer marks the end of its serialization. */
static void transmit_next(struct link_dir *d, sim_time now)
{
    while (!d->sending && d->queue.head) {
        struct frame *f = frame_queue_pop(&d->queue);
        sim_time ser = serialization_time(f->len, d->rate_bps);
        if (ser > 0) {
            d->sending = f;
            /* Not armed (it was handed over): only what it calls changes. */
            f->timer.fn = tx_done_fired;
            f->timer.ctx = f;
            sim_timer_arm(d->link->sim, &f->timer, now + ser);
            return;
        }
        launch(d, f, pend_pop(d, f), now);
    }
}

static void tx_done_fired(void *ctx, sim_time now)
{
    struct frame *f = ctx;
    struct link_dir *d = f->holder;
    d->sending = NULL;
    launch(d, f, pend_pop(d, f), now);
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
    if (!d->x || !d->x->faults)
        return false;
    struct frame_summary s;
    uint32_t rel_seq, rel_ack;
    frame_decode(f->data, f->len, &s);
    seqrel_observe(&d->x->fs.seqrel, &s, &rel_seq, &rel_ack);
    bool drop = false;
    for (struct link_fault *ft = d->x->faults; ft; ft = ft->next) {
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

static void offer(struct link *l, struct link_dir *d, struct frame *f)
{
    d->tx_frames++;
    d->tx_bytes += f->len;
    trace_frame(l, TRACE_TX, d->from, f, NULL, false);

    struct link_pending pm = {.frame = f};
    if (check_faults(d, f, &pm)) {
        COUNT_RARE(d, drop_fault);
        drop_at_link(d, f, "fault");
    } else if (!l->up) {
        COUNT_RARE(d, drop_down);
        drop_at_link(d, f, "link_down");
    } else if (f->len > (uint32_t)d->mtu + FRAME_ETH_HLEN) {
        COUNT_RARE(d, drop_mtu);
        drop_at_link(d, f, "mtu");
    } else if (queue_full(d) || (pend_decided(&pm) && !pend_push(d, pm))) {
        COUNT_RARE(d, drop_queue);
        drop_at_link(d, f, "queue");
    } else {
        f->holder = d;
        frame_queue_push(&d->queue, f);
        transmit_next(d, sim_now(l->sim));
    }
}

static void port_tx(struct port *p, struct frame *f)
{
    struct link *l = p->link;
    if (l->dir[0].from == p)
        offer(l, &l->dir[0], f);
    else if (l->dir[1].from == p)
        offer(l, &l->dir[1], f);
}

/* ---- setup ---- */

const char *link_dir_name(const struct link *l, int side)
{
    const char *ab = l->name + strlen(l->name) + 1;
    return side ? ab + strlen(ab) + 1 : ab;
}

/* The direction's PRNG, seeded from (scenario seed, "link:<name>:<a>><b>")
 * when first needed.  False when out of memory. */
static bool need_random(struct link_dir *d)
{
    if (d->x && d->x->seeded)
        return true;
    struct link *l = link_of(d);
    const char *dir_name = link_dir_name(l, d->side);
    char *seed_name = malloc(strlen(l->name) + strlen(dir_name) + 7);
    if (!seed_name || !extra_of(d)) {
        free(seed_name);
        return false;
    }
    strcpy(seed_name, "link:");
    strcat(seed_name, l->name);
    strcat(seed_name, ":");
    strcat(seed_name, dir_name);
    rng_seed(&d->x->rnd.rng, l->sim->seed, seed_name);
    d->x->seeded = true;
    free(seed_name);
    return true;
}

static bool set_params(struct link_dir *d, const struct link_params *p)
{
    d->delay = p->delay;
    d->rate_bps = p->rate_bps;
    d->queue_max = p->queue;
    /* No frame is larger than FRAME_LARGE_CAP: a larger MTU drops nothing more. */
    d->mtu = (uint16_t)(p->mtu > UINT16_MAX ? UINT16_MAX : p->mtu);
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
    if (!(d->x && d->x->seeded) && !random)
        return true;
    if (!need_random(d))
        return false;
    t.rng = d->x->rnd.rng;
    t.ge_bad = d->x->rnd.ge_bad;
    d->x->rnd = t;
    return true;
}

/* The link, with "name", "a>b" and "b>a" after it in the same block. */
static struct link *link_alloc(const char *name, const struct port *a, const struct port *b)
{
    const char *ah = name_or_unknown(a->host), *bh = name_or_unknown(b->host);
    size_t n = strlen(name) + 1, na = strlen(ah), nb = strlen(bh);
    struct link *l = calloc(1, sizeof *l + n + 2 * (na + nb + 2));
    if (!l)
        return NULL;
    char *t = l->name;
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
    return l;
}

struct link *link_create(struct sim *s, const char *name, struct port *a, struct port *b,
                         const struct link_params *p)
{
    struct link *l = link_alloc(name, a, b);
    if (!l)
        return NULL;
    l->sim = s;
    l->up = true;
    l->dir[0].link = l->dir[1].link = l;
    l->dir[0].from = a;
    l->dir[1].from = b;
    l->dir[1].side = 1;
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
    for (struct frame *f = d->flight_head; f; f = f->next)
        sim_timer_cancel(s, &f->timer);
    free_frame_list(&s->frames, d->flight_head);
    if (d->sending) {
        sim_timer_cancel(s, &d->sending->timer);
        frame_free(&s->frames, d->sending);
    }
    frame_queue_clear(&s->frames, &d->queue);
    struct link_dir_extra *x = d->x;
    if (!x)
        return;
    while (x->faults) {
        struct link_fault *next = x->faults->next;
        free(x->faults);
        x->faults = next;
    }
    seqrel_destroy(&x->fs.seqrel);
    free(x->fs.pend);
    free(x);
}

void link_destroy(struct link *l)
{
    if (!l)
        return;
    for (int i = 0; i < 2; i++)
        dir_destroy(l->sim, &l->dir[i]);
    free(l);
}

void link_set_params(struct link *l, int side, const struct link_params *p)
{
    struct link_dir *d = &l->dir[side ? 1 : 0];
    if (!set_params(d, p))
        sim_fail(l->sim, "out of memory changing a link");
    d->from->mtu = p->mtu;
    trace_link(l, "set", link_dir_name(l, d->side));
}

/* Drops everything a direction holds: the frame on the transmitter, the
 * queue, then the frames on the wire in the order they were sent. */
static void dir_flush(struct link_dir *d)
{
    struct sim *s = sim_of(d);
    struct frame *f = d->sending;
    if (f) {
        sim_timer_cancel(s, &f->timer);
        d->sending = NULL;
        COUNT_RARE(d, drop_down);
        drop_at_link(d, f, "link_down");
    }
    while ((f = frame_queue_pop(&d->queue))) {
        COUNT_RARE(d, drop_down);
        drop_at_link(d, f, "link_down");
    }
    if (d->x)
        d->x->fs.pend_head = d->x->fs.pend_len = 0;
    while ((f = d->flight_head)) {
        sim_timer_cancel(s, &f->timer);
        land(f);
        COUNT_RARE(d, drop_down);
        drop_at_link(d, f, "link_down");
    }
    if (d->x)
        d->x->held = NULL;
}

void link_set_up(struct link *l, bool up)
{
    if (l->up == up)
        return;
    l->up = up;
    trace_link(l, up ? "up" : "down", NULL);
    if (!up) {
        for (int i = 0; i < 2; i++)
            dir_flush(&l->dir[i]);
    }
}

void link_add_fault(struct link *l, int side, const struct link_fault *f)
{
    struct link_dir *d = &l->dir[side ? 1 : 0];
    /* A corrupting fault flips a bit drawn from the direction's stream. */
    struct link_fault *c = malloc(sizeof *c);
    if (!c || !extra_of(d) || (f->action == LINK_FAULT_CORRUPT && !need_random(d))) {
        free(c);
        sim_fail(l->sim, "out of memory adding a link fault");
        return;
    }
    *c = *f;
    c->matched = 0;
    c->next = NULL;
    struct link_fault **p = &d->x->faults;
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

void link_counters_get(const struct link *l, int side, struct link_counters *out)
{
    const struct link_dir *d = &l->dir[side ? 1 : 0];
    if (d->x)
        *out = d->x->c;
    else
        memset(out, 0, sizeof *out);
    out->tx_frames = d->tx_frames;
    out->tx_bytes = d->tx_bytes;
    out->delivered = d->delivered;
}
