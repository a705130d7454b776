/* Links: timing, queueing, random impairments, targeted faults, up/down. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/decode.h"
#include "sim/link.h"
#include "sim_frames.h"

#define CLIENT IP(10, 0, 0, 1)
#define SERVER IP(10, 0, 0, 2)
#define KEEP   64 /* bytes of each arrival kept for comparison */

struct arrival {
    sim_time t;
    uint64_t id;
    uint32_t tag; /* the TCP sequence number: the test's own frame counter */
    uint32_t len;
    const struct port *at;
    bool csum_ok;
    uint8_t head[KEEP];
};

struct event {
    sim_time t;
    enum trace_kind kind;
    uint64_t id;
    const char *host, *ifname, *link, *reason, *what, *detail;
    uint32_t iface;
    bool dup;
};

struct net {
    struct sim sim;
    struct port a, b;
    struct link *l;
    struct arrival *arr;
    uint32_t n_arr, cap_arr;
    struct trace_sink sink;
    struct event *ev;
    uint32_t n_ev, cap_ev;
};

static struct link_counters ctr(const struct link *l, int side)
{
    struct link_counters c;
    link_counters_get(l, side, &c);
    return c;
}

static void *grow(void *v, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 256;
    void *p = realloc(v, *cap * size);
    cr_assert_not_null(p);
    return p;
}

static uint32_t tag_of(const struct frame *f)
{
    if (f->len < 42)
        return UINT32_MAX;
    const uint8_t *p = f->data + 38;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_rx(struct port *p, struct frame *f, sim_time now)
{
    struct net *n = p->owner;
    n->arr = grow(n->arr, &n->cap_arr, n->n_arr, sizeof *n->arr);
    struct arrival *a = &n->arr[n->n_arr++];
    a->t = now;
    a->id = f->id;
    a->tag = tag_of(f);
    a->len = f->len;
    a->at = p;
    a->csum_ok = f->csum_ok;
    memcpy(a->head, f->data, f->len < KEEP ? f->len : KEEP);
    frame_free(&n->sim.frames, f);
}

static void on_event(struct trace_sink *s, const struct trace_event *e)
{
    struct net *n = (struct net *)((char *)s - offsetof(struct net, sink));
    n->ev = grow(n->ev, &n->cap_ev, n->n_ev, sizeof *n->ev);
    n->ev[n->n_ev++] = (struct event){
        .t = e->t,
        .kind = e->kind,
        .id = e->frame ? e->frame->id : 0,
        .host = e->host,
        .ifname = e->ifname,
        .link = e->link,
        .reason = e->reason,
        .what = e->what,
        .detail = e->detail,
        .iface = e->iface,
        .dup = e->dup,
    };
}

static void port_setup(struct net *n, struct port *p, const char *host, uint32_t iface)
{
    memset(p, 0, sizeof *p);
    p->rx = on_rx;
    p->owner = n;
    p->host = host;
    p->ifname = "eth0";
    p->iface = iface;
}

static void net_init(struct net *n, uint64_t seed, const struct link_params *p)
{
    memset(n, 0, sizeof *n);
    sim_init(&n->sim, seed);
    n->sink.event = on_event;
    n->sink.mask = TRACE_MASK_ALL;
    trace_bus_add_sink(sim_bus(&n->sim), &n->sink);
    port_setup(n, &n->a, "a", 0);
    port_setup(n, &n->b, "b", 1);
    n->l = link_create(&n->sim, "wire", &n->a, &n->b, p);
    cr_assert_not_null(n->l);
}

static void net_destroy(struct net *n)
{
    link_destroy(n->l);
    cr_assert_eq(n->sim.frames.in_use, 0, "frames leaked");
    sim_destroy(&n->sim);
    free(n->arr);
    free(n->ev);
}

static struct link_params params(sim_time delay)
{
    struct link_params p;
    link_params_default(&p);
    p.delay = delay;
    return p;
}

/* Sends a TCP segment tagged `tag` (its sequence number) with `payload` bytes. */
static uint64_t send_seg(struct net *n, struct port *from, uint32_t tag, uint8_t flags,
                         uint32_t payload)
{
    uint8_t buf[FRAME_LARGE_CAP];
    struct tcp_spec t = {.src = CLIENT,
                         .dst = SERVER,
                         .sport = 40000,
                         .dport = 80,
                         .seq = tag,
                         .flags = flags,
                         .payload = payload};
    struct frame *f = frame_of(&n->sim, buf, build_tcp(buf, &t));
    cr_assert_not_null(f);
    uint64_t id = f->id;
    port_send(from, f);
    return id;
}

static uint64_t send_frame_of_len(struct net *n, uint32_t tag, uint32_t len)
{
    return send_seg(n, &n->a, tag, DEC_ACK, len - 54);
}

static void run_to(struct net *n, sim_time t)
{
    sim_run(&n->sim, t);
}

static uint32_t count_events(const struct net *n, enum trace_kind k, const char *reason)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n->n_ev; i++)
        if (n->ev[i].kind == k &&
            (!reason || (n->ev[i].reason && !strcmp(n->ev[i].reason, reason))))
            c++;
    return c;
}

static const struct event *find_event(const struct net *n, enum trace_kind k, uint64_t id)
{
    for (uint32_t i = 0; i < n->n_ev; i++)
        if (n->ev[i].kind == k && n->ev[i].id == id)
            return &n->ev[i];
    return NULL;
}

/* ---- setup and timing ---- */

Test(link, create_wires_both_ports)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.mtu = 9000;
    net_init(&n, 1, &p);
    cr_assert_not_null(n.a.tx);
    cr_assert_eq(n.a.link, n.l);
    cr_assert_eq(n.b.link, n.l);
    cr_assert_eq(n.a.mtu, 9000);
    cr_assert_eq(n.b.mtu, 9000);
    cr_assert_eq(link_dir_from(n.l, &n.a), &n.l->dir[0]);
    cr_assert_eq(link_dir_from(n.l, &n.b), &n.l->dir[1]);
    cr_assert_str_eq(link_dir_name(n.l, 0), "a>b");
    cr_assert_str_eq(link_dir_name(n.l, 1), "b>a");
    net_destroy(&n);
}

Test(link, defaults)
{
    struct link_params p;
    link_params_default(&p);
    cr_assert_eq(p.delay, SIM_MS);
    cr_assert_eq(p.rate_bps, 0);
    cr_assert_eq(p.queue, 1000);
    cr_assert_eq(p.mtu, 1500);
}

Test(link, delay_is_exact)
{
    struct net n;
    struct link_params p = params(10 * SIM_MS);
    net_init(&n, 1, &p);
    send_seg(&n, &n.a, 0, DEC_SYN, 0);
    run_to(&n, 3 * SIM_MS);
    send_seg(&n, &n.a, 1, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 2);
    cr_assert_eq(n.arr[0].t, 10 * SIM_MS);
    cr_assert_eq(n.arr[1].t, 13 * SIM_MS);
    cr_assert_eq(n.arr[0].at, &n.b);
    net_destroy(&n);
}

Test(link, both_directions_carry_frames)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    send_seg(&n, &n.b, 7, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].at, &n.a);
    cr_assert_eq(n.arr[0].tag, 7);
    cr_assert_eq(ctr(n.l, 1).delivered, 1);
    cr_assert_eq(ctr(n.l, 0).delivered, 0);
    net_destroy(&n);
}

Test(link, serialization_of_1500_bytes_at_10mbps)
{
    struct net n;
    struct link_params p = params(0);
    p.rate_bps = 10000000;
    net_init(&n, 1, &p);
    send_frame_of_len(&n, 0, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].t, 1200 * SIM_US);
    net_destroy(&n);
}

Test(link, serialization_rounds_up_to_whole_nanoseconds)
{
    struct net n;
    struct link_params p = params(0);
    p.rate_bps = 7000000;
    net_init(&n, 1, &p);
    send_frame_of_len(&n, 0, 60); /* 480 bits: 68571.43 ns */
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.arr[0].t, 68572);
    net_destroy(&n);
}

Test(link, back_to_back_frames_queue)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 10000000;
    net_init(&n, 1, &p);
    for (uint32_t i = 0; i < 3; i++)
        send_frame_of_len(&n, i, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 3);
    for (uint32_t i = 0; i < 3; i++) {
        cr_assert_eq(n.arr[i].tag, i);
        cr_assert_eq(n.arr[i].t, SIM_MS + (sim_time)(i + 1) * 1200 * SIM_US);
    }
    net_destroy(&n);
}

Test(link, queue_overflow_drops_the_tail)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 10000000;
    p.queue = 2;
    net_init(&n, 1, &p);
    uint64_t ids[5];
    for (uint32_t i = 0; i < 5; i++)
        ids[i] = send_frame_of_len(&n, i, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 3, "one on the transmitter and two waiting");
    cr_assert_eq(n.arr[2].tag, 2);
    cr_assert_eq(count_events(&n, TRACE_DROP, "queue"), 2);
    const struct event *d = find_event(&n, TRACE_DROP, ids[3]);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->reason, "queue");
    cr_assert_null(d->host);
    cr_assert_str_eq(d->link, "wire");
    cr_assert_eq(d->t, 0);
    cr_assert_eq(ctr(n.l, 0).drop_queue, 2);
    cr_assert_eq(ctr(n.l, 0).tx_frames, 5);
    net_destroy(&n);
}

Test(link, frames_over_the_mtu_are_dropped)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.mtu = 1000;
    net_init(&n, 1, &p);
    send_frame_of_len(&n, 0, 1014);
    send_frame_of_len(&n, 1, 1015);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].tag, 0);
    cr_assert_eq(count_events(&n, TRACE_DROP, "mtu"), 1);
    cr_assert_eq(ctr(n.l, 0).drop_mtu, 1);
    net_destroy(&n);
}

Test(link, a_direction_that_only_carries_frames_keeps_no_extra_state)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 1000000;
    net_init(&n, 1, &p);
    for (uint32_t i = 0; i < 3; i++)
        send_frame_of_len(&n, i, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 3);
    cr_assert_null(n.l->dir[0].x);
    cr_assert_null(n.l->dir[1].x);
    struct link_counters c = ctr(n.l, 0);
    cr_assert_eq(c.tx_frames, 3);
    cr_assert_eq(c.tx_bytes, 4500);
    cr_assert_eq(c.delivered, 3);
    cr_assert_eq(c.drop_queue + c.drop_mtu + c.drop_down + c.drop_loss, 0);
    net_destroy(&n);
}

Test(link, the_first_rare_event_makes_the_extra_state_of_its_direction_only)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.mtu = 1000;
    net_init(&n, 1, &p);
    send_frame_of_len(&n, 0, 1015);
    cr_assert_not_null(n.l->dir[0].x);
    cr_assert_not(n.l->dir[0].x->seeded, "counting draws nothing");
    cr_assert_null(n.l->dir[1].x);
    cr_assert_eq(ctr(n.l, 0).drop_mtu, 1);
    cr_assert_eq(ctr(n.l, 1).drop_mtu, 0);
    net_destroy(&n);
}

Test(link, a_link_destroyed_with_a_frame_on_the_transmitter_frees_it)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 1000; /* 12 s per 1500-byte frame */
    net_init(&n, 1, &p);
    send_frame_of_len(&n, 0, 1500);
    send_frame_of_len(&n, 1, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_not_null(n.l->dir[0].sending);
    cr_assert_eq(n.l->dir[0].queue.len, 1);
    net_destroy(&n); /* asserts that no frame is left in use */
}

Test(link, going_down_drops_the_frame_on_the_transmitter_first)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 1000000; /* 12 ms per 1500-byte frame */
    net_init(&n, 1, &p);
    uint64_t first = send_frame_of_len(&n, 0, 1500);
    uint64_t second = send_frame_of_len(&n, 1, 1500);
    run_to(&n, 5 * SIM_MS);
    link_set_up(n.l, false);
    cr_assert_eq(count_events(&n, TRACE_DROP, "link_down"), 2);
    const struct event *d1 = find_event(&n, TRACE_DROP, first);
    const struct event *d2 = find_event(&n, TRACE_DROP, second);
    cr_assert(d1 && d2 && d1 < d2);
    link_set_up(n.l, true);
    send_frame_of_len(&n, 2, 1500);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].tag, 2);
    cr_assert_eq(n.arr[0].t, 5 * SIM_MS + 12 * SIM_MS + SIM_MS);
    net_destroy(&n);
}

Test(link, jitter_keeps_fifo_order)
{
    struct net n;
    struct link_params p = params(10 * SIM_MS);
    p.jitter = 5 * SIM_MS;
    net_init(&n, 3, &p);
    for (uint32_t i = 0; i < 200; i++) {
        run_to(&n, (sim_time)i * 100 * SIM_US);
        send_seg(&n, &n.a, i, DEC_ACK, 0);
    }
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 200);
    bool some_jitter = false;
    for (uint32_t i = 0; i < 200; i++) {
        sim_time sent = (sim_time)i * 100 * SIM_US;
        cr_assert_eq(n.arr[i].tag, i);
        cr_assert_geq(n.arr[i].t - sent, 10 * SIM_MS);
        some_jitter = some_jitter || n.arr[i].t - sent > 10 * SIM_MS;
    }
    cr_assert(some_jitter);
    net_destroy(&n);
}

/* ---- trace events ---- */

Test(link, tx_and_rx_events_name_hosts_and_interfaces)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    uint64_t id = send_seg(&n, &n.a, 0, DEC_SYN, 0);
    run_to(&n, SIM_SEC);
    const struct event *tx = find_event(&n, TRACE_TX, id);
    const struct event *rx = find_event(&n, TRACE_RX, id);
    cr_assert_not_null(tx);
    cr_assert_not_null(rx);
    cr_assert_str_eq(tx->host, "a");
    cr_assert_eq(tx->iface, 0);
    cr_assert_str_eq(tx->ifname, "eth0");
    cr_assert_str_eq(tx->link, "wire");
    cr_assert_eq(tx->t, 0);
    cr_assert_str_eq(rx->host, "b");
    cr_assert_eq(rx->iface, 1);
    cr_assert_eq(rx->t, SIM_MS);
    cr_assert_not(rx->dup);
    net_destroy(&n);
}

Test(link, set_params_applies_and_is_traced)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    p.delay = 5 * SIM_MS;
    p.mtu = 1400;
    link_set_params(n.l, 0, &p);
    send_seg(&n, &n.a, 0, DEC_ACK, 0);
    send_seg(&n, &n.b, 1, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 2);
    cr_assert_eq(n.arr[0].at, &n.a, "b>a still has 1 ms");
    cr_assert_eq(n.arr[1].t, 5 * SIM_MS);
    cr_assert_eq(n.a.mtu, 1400);
    cr_assert_eq(n.b.mtu, 1500);
    cr_assert_eq(n.ev[0].kind, TRACE_LINK);
    cr_assert_str_eq(n.ev[0].what, "set");
    cr_assert_str_eq(n.ev[0].detail, "a>b");
    net_destroy(&n);
}

/* ---- random loss ---- */

/* Sends `count` tagged frames a>b and returns which tags were lost. */
static bool *loss_pattern(struct net *n, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        send_seg(n, &n->a, i, DEC_ACK, 0);
    run_to(n, SIM_SEC);
    bool *lost = malloc(count);
    memset(lost, 1, count);
    for (uint32_t i = 0; i < n->n_arr; i++)
        if (n->arr[i].at == &n->b)
            lost[n->arr[i].tag] = false;
    return lost;
}

static uint32_t count_true(const bool *v, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += v[i];
    return c;
}

Test(link, loss_rate_is_near_p)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.loss = 0.1;
    p.queue = 0;
    net_init(&n, 11, &p);
    bool *lost = loss_pattern(&n, 10000);
    uint32_t k = count_true(lost, 10000);
    cr_assert(k > 880 && k < 1120, "lost %u of 10000", k);
    cr_assert_eq(count_events(&n, TRACE_DROP, "loss"), k);
    cr_assert_eq(ctr(n.l, 0).drop_loss, k);
    free(lost);
    net_destroy(&n);
}

Test(link, loss_is_reported_at_the_receiver_when_it_would_arrive)
{
    struct net n;
    struct link_params p = params(7 * SIM_MS);
    p.loss = 1.0;
    net_init(&n, 1, &p);
    uint64_t id = send_seg(&n, &n.a, 0, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 0);
    const struct event *d = find_event(&n, TRACE_DROP, id);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->reason, "loss");
    cr_assert_str_eq(d->host, "b");
    cr_assert_eq(d->iface, 1);
    cr_assert_eq(d->t, 7 * SIM_MS);
    net_destroy(&n);
}

Test(link, loss_pattern_is_deterministic_per_seed)
{
    bool *run[3];
    uint64_t seeds[3] = {5, 5, 6};
    for (int r = 0; r < 3; r++) {
        struct net n;
        struct link_params p = params(SIM_MS);
        p.loss = 0.2;
        net_init(&n, seeds[r], &p);
        run[r] = loss_pattern(&n, 2000);
        net_destroy(&n);
    }
    cr_assert_eq(memcmp(run[0], run[1], 2000), 0, "same seed, same losses");
    cr_assert_neq(memcmp(run[0], run[2], 2000), 0, "another seed, other losses");
    for (int r = 0; r < 3; r++)
        free(run[r]);
}

Test(link, another_link_does_not_change_this_links_losses)
{
    struct link_params p = params(SIM_MS);
    p.loss = 0.3;
    struct net alone;
    net_init(&alone, 9, &p);
    bool *expected = loss_pattern(&alone, 2000);
    net_destroy(&alone);

    /* Same seed, but another lossy link exists (created first) and carries
     * traffic between the frames of "wire", and wire's other direction too. */
    struct net n;
    memset(&n, 0, sizeof n);
    sim_init(&n.sim, 9);
    struct port c, d;
    port_setup(&n, &c, "c", 2);
    port_setup(&n, &d, "d", 3);
    struct link *other = link_create(&n.sim, "other", &c, &d, &p);
    port_setup(&n, &n.a, "a", 0);
    port_setup(&n, &n.b, "b", 1);
    n.l = link_create(&n.sim, "wire", &n.a, &n.b, &p);
    for (uint32_t i = 0; i < 2000; i++) {
        send_seg(&n, &c, i, DEC_ACK, 0);
        send_seg(&n, &n.b, i, DEC_ACK, 0);
        send_seg(&n, &n.a, i, DEC_ACK, 0);
    }
    run_to(&n, SIM_SEC);
    bool *lost = malloc(2000);
    memset(lost, 1, 2000);
    for (uint32_t i = 0; i < n.n_arr; i++)
        if (n.arr[i].at == &n.b)
            lost[n.arr[i].tag] = false;
    cr_assert_eq(memcmp(expected, lost, 2000), 0);
    free(expected);
    free(lost);
    link_destroy(other);
    net_destroy(&n);
}

/* Mean length of runs of consecutive losses. */
static double mean_burst(const bool *lost, uint32_t n)
{
    uint32_t runs = 0, total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += lost[i];
        runs += lost[i] && (i == 0 || !lost[i - 1]);
    }
    return runs ? (double)total / runs : 0;
}

Test(link, gilbert_elliott_loses_in_bursts)
{
    struct link_params p = params(SIM_MS);
    p.queue = 0;
    p.loss_model = LINK_LOSS_GILBERT;
    p.gilbert = (struct link_gilbert){.p = 0.02, .r = 0.25, .loss_good = 0, .loss_bad = 1};
    struct net n;
    net_init(&n, 4, &p);
    bool *lost = loss_pattern(&n, 10000);
    uint32_t k = count_true(lost, 10000);
    /* Stationary loss p / (p + r) = 7.4 %; bursts last 1 / r = 4 frames on average. */
    cr_assert(k > 400 && k < 1100, "lost %u", k);
    double burst = mean_burst(lost, 10000);
    cr_assert(burst > 2.5, "mean burst %f", burst);
    free(lost);
    net_destroy(&n);

    /* The same average rate without memory gives isolated losses. */
    struct link_params b = params(SIM_MS);
    b.queue = 0;
    b.loss = 0.074;
    net_init(&n, 4, &b);
    lost = loss_pattern(&n, 10000);
    cr_assert(mean_burst(lost, 10000) < 1.3);
    free(lost);
    net_destroy(&n);
}

/* ---- duplicate, reorder, corrupt ---- */

Test(link, duplicate_delivers_a_marked_copy)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.duplicate = 1.0;
    net_init(&n, 1, &p);
    uint64_t id = send_seg(&n, &n.a, 0, DEC_ACK, 10);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 2);
    cr_assert_eq(n.arr[0].id, id);
    cr_assert_eq(n.arr[1].id, id, "the copy keeps the frame id");
    cr_assert_eq(n.arr[1].t, n.arr[0].t);
    cr_assert_eq(memcmp(n.arr[0].head, n.arr[1].head, KEEP), 0);
    uint32_t rx = 0, dups = 0;
    for (uint32_t i = 0; i < n.n_ev; i++) {
        if (n.ev[i].kind != TRACE_RX)
            continue;
        rx++;
        dups += n.ev[i].dup;
        cr_assert_eq(n.ev[i].dup, rx == 2, "only the second rx is the copy");
    }
    cr_assert_eq(dups, 1);
    cr_assert_eq(ctr(n.l, 0).duplicated, 1);
    net_destroy(&n);
}

Test(link, reorder_lets_a_later_frame_overtake)
{
    struct net n;
    struct link_params p = params(10 * SIM_MS);
    p.reorder = 0.1;
    net_init(&n, 2, &p);
    for (uint32_t i = 0; i < 300; i++) {
        run_to(&n, (sim_time)i * 100 * SIM_US);
        send_seg(&n, &n.a, i, DEC_ACK, 0);
    }
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 300, "reordering loses nothing");
    uint32_t inversions = 0, highest = 0;
    for (uint32_t i = 0; i < 300; i++) {
        inversions += i > 0 && n.arr[i].tag < n.arr[i - 1].tag;
        cr_assert_geq(n.arr[i].tag + 1, highest, "a held frame is overtaken by one frame only");
        highest = n.arr[i].tag > highest ? n.arr[i].tag : highest;
    }
    cr_assert_gt(inversions, 0);
    cr_assert_leq(inversions, ctr(n.l, 0).reordered);
    net_destroy(&n);
}

Test(link, a_held_duplicate_still_follows_its_original)
{
    struct net n;
    struct link_params p = params(10 * SIM_MS);
    p.reorder = 1.0;
    p.duplicate = 1.0;
    net_init(&n, 2, &p);
    send_seg(&n, &n.a, 0, DEC_ACK, 0);
    run_to(&n, 100 * SIM_US);
    send_seg(&n, &n.a, 1, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    /* Both are held; frame 0 (and its copy) is released at frame 1's nominal
     * arrival, frame 1 waits out its hold of one delay. */
    cr_assert_eq(n.n_arr, 4);
    uint32_t tags[4] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(n.arr[i].tag, tags[i], "arrival %d is tag %u", i, n.arr[i].tag);
    cr_assert_eq(n.arr[0].t, 10 * SIM_MS + 100 * SIM_US);
    cr_assert_eq(n.arr[1].t, n.arr[0].t, "the copy travels with its original");
    cr_assert_eq(n.arr[2].t, 20 * SIM_MS + 100 * SIM_US);
    cr_assert_eq(n.arr[3].t, n.arr[2].t);
    net_destroy(&n);
}

static uint32_t differing_bits(const uint8_t *x, const uint8_t *y, uint32_t n, uint32_t *first)
{
    uint32_t bits = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t d = x[i] ^ y[i];
        if (d && bits == 0)
            *first = i;
        bits += (uint32_t)__builtin_popcount(d);
    }
    return bits;
}

/* The IPv4 header checksum and the TCP checksum (with its pseudo-header). */
static bool checksums_hold(const uint8_t *f, uint32_t len)
{
    if (csum_fold(csum_add(0, f + 14, 20)) != 0)
        return false;
    uint8_t ph[12];
    memcpy(ph, f + 26, 8);
    ph[8] = 0;
    ph[9] = 6;
    wr16(ph + 10, len - 34);
    return csum_fold(csum_add(csum_add(0, ph, 12), f + 34, len - 34)) == 0;
}

Test(link, corrupt_flips_exactly_one_bit_of_the_ip_packet)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.corrupt = 1.0;
    net_init(&n, 8, &p);
    uint8_t orig[KEEP];
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .sport = 40000, .dport = 80, .flags = DEC_ACK, .payload = 10};
    for (uint32_t i = 0; i < 50; i++) {
        t.seq = i;
        uint8_t buf[200];
        uint32_t len = build_tcp(buf, &t);
        port_send(&n.a, frame_of(&n.sim, buf, len));
        run_to(&n, n.sim.now + SIM_SEC);
        cr_assert_eq(n.n_arr, i + 1);
        memcpy(orig, buf, len);
        uint32_t at = 0;
        cr_assert_eq(differing_bits(orig, n.arr[i].head, len, &at), 1);
        cr_assert_geq(at, 14, "the Ethernet header is left alone");
        cr_assert_not(checksums_hold(n.arr[i].head, len), "a checksum must catch the flip");
    }
    cr_assert_eq(ctr(n.l, 0).corrupted, 50);
    net_destroy(&n);
}

/* A receiver may skip summing a segment whose frame says its checksum holds
 * (struct frame.csum_ok): a flipped bit must take that trust away, and an
 * untouched frame or its duplicate keeps it. */
static void send_trusted_segment(struct net *n)
{
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .sport = 40000, .dport = 80, .flags = DEC_ACK, .payload = 10};
    uint8_t buf[200];
    struct frame *f = frame_of(&n->sim, buf, build_tcp(buf, &t));
    f->csum_ok = true;
    port_send(&n->a, f);
    run_to(n, n->sim.now + SIM_SEC);
}

Test(link, corruption_withdraws_checksum_trust)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.corrupt = 1.0;
    net_init(&n, 8, &p);
    send_trusted_segment(&n);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_not(n.arr[0].csum_ok);
    net_destroy(&n);
}

Test(link, clean_frames_and_duplicates_keep_checksum_trust)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.duplicate = 1.0;
    net_init(&n, 8, &p);
    send_trusted_segment(&n);
    cr_assert_eq(n.n_arr, 2);
    cr_assert(n.arr[0].csum_ok);
    cr_assert(n.arr[1].csum_ok, "the copy");
    net_destroy(&n);
}

Test(link, corrupted_arp_is_dropped_as_a_bad_fcs)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.corrupt = 1.0;
    net_init(&n, 1, &p);
    uint8_t buf[64];
    struct frame *f = frame_of(&n.sim, buf, build_arp(buf, 1, CLIENT, SERVER));
    uint64_t id = f->id;
    port_send(&n.a, f);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 0);
    const struct event *d = find_event(&n, TRACE_DROP, id);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->reason, "checksum");
    cr_assert_str_eq(d->host, "b");
    cr_assert_eq(d->t, SIM_MS);
    net_destroy(&n);
}

/* ---- up and down ---- */

Test(link, down_drops_frames_in_flight_and_offered)
{
    struct net n;
    struct link_params p = params(10 * SIM_MS);
    net_init(&n, 1, &p);
    uint64_t in_flight = send_seg(&n, &n.a, 0, DEC_ACK, 0);
    run_to(&n, 5 * SIM_MS);
    link_set_up(n.l, false);
    uint64_t offered = send_seg(&n, &n.a, 1, DEC_ACK, 0);
    run_to(&n, 50 * SIM_MS);
    cr_assert_eq(n.n_arr, 0);
    const struct event *d1 = find_event(&n, TRACE_DROP, in_flight);
    const struct event *d2 = find_event(&n, TRACE_DROP, offered);
    cr_assert_not_null(d1);
    cr_assert_not_null(d2);
    cr_assert_str_eq(d1->reason, "link_down");
    cr_assert_str_eq(d2->reason, "link_down");
    cr_assert_eq(d1->t, 5 * SIM_MS);
    cr_assert_eq(ctr(n.l, 0).drop_down, 2);
    cr_assert_eq(count_events(&n, TRACE_LINK, NULL), 1);

    link_set_up(n.l, true);
    send_seg(&n, &n.a, 2, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].tag, 2);
    net_destroy(&n);
}

Test(link, down_drops_the_queue_and_the_transmitter)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    p.rate_bps = 10000000;
    net_init(&n, 1, &p);
    for (uint32_t i = 0; i < 4; i++)
        send_frame_of_len(&n, i, 1500);
    run_to(&n, 1300 * SIM_US); /* the first is on the wire, the second on the transmitter */
    link_set_up(n.l, false);
    link_set_up(n.l, true);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 0);
    cr_assert_eq(count_events(&n, TRACE_DROP, "link_down"), 4);
    send_frame_of_len(&n, 9, 1500);
    run_to(&n, 2 * SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    cr_assert_eq(n.arr[0].t, SIM_SEC + 2200 * SIM_US);
    net_destroy(&n);
}

/* ---- targeted faults ---- */

static void add_syn_fault(struct net *n, enum link_fault_action action, uint32_t nth)
{
    struct link_fault f = {.action = action, .nth = nth};
    f.filter.has_flags = true;
    f.filter.tcp_flags = DEC_SYN;
    link_add_fault(n->l, 0, &f);
}

static void send_three_syns(struct net *n)
{
    for (uint32_t i = 0; i < 3; i++) {
        send_seg(n, &n->a, 1000, DEC_SYN, 0);
        send_seg(n, &n->a, 1001, DEC_ACK, 0);
    }
    run_to(n, SIM_SEC);
}

Test(link_fault, nth_drops_only_that_syn)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    add_syn_fault(&n, LINK_FAULT_DROP, 2);
    send_three_syns(&n);
    cr_assert_eq(n.n_arr, 5);
    const struct event *d = find_event(&n, TRACE_DROP, 3);
    cr_assert_not_null(d, "the second SYN (frame 3) is dropped");
    cr_assert_str_eq(d->reason, "fault");
    cr_assert_eq(count_events(&n, TRACE_DROP, NULL), 1);
    cr_assert_eq(n.l->dir[0].x->faults->matched, 3);
    cr_assert_eq(ctr(n.l, 0).drop_fault, 1);
    net_destroy(&n);
}

Test(link_fault, faults_nth_1_and_2_drop_the_first_two)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    add_syn_fault(&n, LINK_FAULT_DROP, 1);
    add_syn_fault(&n, LINK_FAULT_DROP, 2);
    send_three_syns(&n);
    cr_assert_eq(count_events(&n, TRACE_DROP, "fault"), 2);
    cr_assert_not_null(find_event(&n, TRACE_DROP, 1));
    cr_assert_not_null(find_event(&n, TRACE_DROP, 3));
    cr_assert_not_null(find_event(&n, TRACE_RX, 5));
    net_destroy(&n);
}

Test(link_fault, nth_0_acts_on_every_match_and_only_on_matches)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    add_syn_fault(&n, LINK_FAULT_DROP, 0);
    send_three_syns(&n);
    cr_assert_eq(n.n_arr, 3);
    for (uint32_t i = 0; i < 3; i++)
        cr_assert_eq(n.arr[i].tag, 1001);
    net_destroy(&n);
}

Test(link_fault, faults_apply_to_their_direction_only)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    add_syn_fault(&n, LINK_FAULT_DROP, 0);
    send_seg(&n, &n.b, 0, DEC_SYN | DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 1);
    net_destroy(&n);
}

Test(link_fault, delay_holds_back_only_the_matching_frame)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    struct link_fault f = {.action = LINK_FAULT_DELAY, .delay = 5 * SIM_MS};
    f.filter.has_len = true;
    f.filter.len = 100;
    link_add_fault(n.l, 0, &f);
    send_seg(&n, &n.a, 0, DEC_ACK, 0);
    run_to(&n, SIM_MS);
    send_seg(&n, &n.a, 1, DEC_ACK, 100);
    run_to(&n, 2 * SIM_MS);
    send_seg(&n, &n.a, 2, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 3);
    cr_assert_eq(n.arr[0].tag, 0);
    cr_assert_eq(n.arr[0].t, SIM_MS);
    cr_assert_eq(n.arr[1].tag, 2);
    cr_assert_eq(n.arr[1].t, 3 * SIM_MS);
    cr_assert_eq(n.arr[2].tag, 1);
    cr_assert_eq(n.arr[2].t, 7 * SIM_MS);
    net_destroy(&n);
}

Test(link_fault, duplicate_and_corrupt_faults)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    struct link_fault dup = {.action = LINK_FAULT_DUPLICATE, .nth = 1};
    struct link_fault bad = {.action = LINK_FAULT_CORRUPT, .nth = 2};
    link_add_fault(n.l, 0, &dup);
    link_add_fault(n.l, 0, &bad);
    uint8_t buf[200];
    struct tcp_spec t = {.src = CLIENT, .dst = SERVER, .flags = DEC_ACK, .payload = 5};
    uint32_t len = build_tcp(buf, &t);
    for (int i = 0; i < 3; i++)
        port_send(&n.a, frame_of(&n.sim, buf, len));
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 4);
    cr_assert_eq(n.arr[0].id, n.arr[1].id);
    uint32_t at;
    cr_assert_eq(differing_bits(buf, n.arr[1].head, len, &at), 0);
    cr_assert_eq(differing_bits(buf, n.arr[2].head, len, &at), 1);
    cr_assert_eq(differing_bits(buf, n.arr[3].head, len, &at), 0);
    net_destroy(&n);
}

Test(link_fault, relative_seq_filter)
{
    struct net n;
    struct link_params p = params(SIM_MS);
    net_init(&n, 1, &p);
    struct link_fault f = {.action = LINK_FAULT_DROP};
    f.filter.has_seq = true;
    f.filter.seq = 1;
    link_add_fault(n.l, 0, &f);
    send_seg(&n, &n.a, 5000, DEC_SYN, 0);
    send_seg(&n, &n.a, 5001, DEC_ACK, 0);
    send_seg(&n, &n.a, 5002, DEC_ACK, 0);
    run_to(&n, SIM_SEC);
    cr_assert_eq(n.n_arr, 2);
    cr_assert_eq(n.arr[0].tag, 5000);
    cr_assert_eq(n.arr[1].tag, 5002);
    net_destroy(&n);
}
