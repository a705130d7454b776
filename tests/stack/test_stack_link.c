/* Hosts joined by the simulator's real link (sim/link.c): the port contract. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"
#include "sim/link.h"

static struct world W;
static struct link *L;

static void fini(void)
{
    link_destroy(L);
    world_fini(&W);
}

TestSuite(stack_link, .fini = fini);

static void setup(void)
{
    memset(&W, 0, sizeof(W));
    sim_init(&W.sim, 3);
    W.h[0] = host_create(&W.sim, "a", 0, false);
    W.h[1] = host_create(&W.sim, "b", 1, false);
    W.n_hosts = 2;
    struct host_iface *ia = host_add_iface(W.h[0], "wire", IP(10, 0, 0, 1), 24);
    struct host_iface *ib = host_add_iface(W.h[1], "wire", IP(10, 0, 0, 2), 24);
    struct link_params p;
    link_params_default(&p);
    p.mtu = 1400;
    L = link_create(&W.sim, "wire", &ia->port, &ib->port, &p);
    cr_assert(L);
}

static uint32_t n_kind(enum trace_kind k)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < W.n_ev; i++)
        n += W.ev[i].kind == k;
    return n;
}

Test(stack_link, datagram_crosses_with_arp_and_traces)
{
    setup();
    world_attach_sink(&W);
    struct udp_rec r = {0};
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &r);
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, NULL);
    static const uint8_t data[3000];
    cr_assert_eq(udp_sendto(s, IP(10, 0, 0, 2), 9, data, sizeof(data), NULL), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(r.n_recv, 1);
    cr_assert_eq(r.last_len, 3000);
    /* ARP request + reply + 3 fragments (MTU 1400), each sent and received. */
    cr_assert_eq(n_kind(TRACE_TX), 5);
    cr_assert_eq(n_kind(TRACE_RX), 5);
    cr_assert_eq(n_kind(TRACE_DROP), 0);
    cr_assert_eq(ip4_route_mtu(W.h[0], IP(10, 0, 0, 2)), 1400);
}

Test(stack_link, a_link_without_impairments_allocates_no_random_state)
{
    setup();
    struct udp_rec r = {0};
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &r);
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, NULL);
    static const uint8_t data[100];
    for (int k = 0; k < 5; k++)
        udp_sendto(s, IP(10, 0, 0, 2), 9, data, sizeof(data), NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(r.n_recv, 5);
    for (int side = 0; side < 2; side++) {
        cr_assert_null(L->dir[side].x, "no random or fault state, no rare counters");
    }
    cr_assert_str_eq(L->name, "wire");
    cr_assert_str_eq(link_dir_name(L, 0), "a>b");
    cr_assert_str_eq(link_dir_name(L, 1), "b>a");
}

Test(stack_link, a_stream_made_later_is_the_one_seeded_at_creation)
{
    setup();
    struct link_params p;
    link_params_default(&p);
    p.loss = 0.25;
    link_set_params(L, 1, &p);
    cr_assert_null(L->dir[0].x);
    cr_assert(L->dir[1].x && L->dir[1].x->seeded);
    struct rng want;
    rng_seed(&want, 3, "link:wire:b>a");
    cr_assert_arr_eq(&L->dir[1].x->rnd.rng, &want, sizeof(want));
    cr_assert_eq(L->dir[1].x->rnd.loss_thr, rng_prob_from(0.25));
    link_params_default(&p);
    link_set_params(L, 1, &p);
    cr_assert(L->dir[1].x->seeded, "kept, with the stream where it is");
    cr_assert_eq(L->dir[1].x->rnd.loss_thr, 0);
}

/* ---- fault decisions of queued frames, on bare ports ---- */

struct arrival_log {
    uint64_t id[8];
    sim_time t[8];
    uint32_t n;
    struct sim *sim;
};

static void log_arrival(struct port *p, struct frame *f, sim_time now)
{
    struct arrival_log *log = p->owner;
    if (log->n < 8) {
        log->id[log->n] = f->id;
        log->t[log->n++] = now;
    }
    frame_free(&log->sim->frames, f);
}

Test(stack_link, a_fault_decision_stays_with_its_frame_in_the_queue)
{
    memset(&W, 0, sizeof(W));
    sim_init(&W.sim, 3);
    struct arrival_log log = {.sim = &W.sim};
    struct port a = {.host = "a", .ifname = "eth0"};
    struct port b = {.host = "b", .ifname = "eth0", .rx = log_arrival, .owner = &log};
    struct link_params p;
    link_params_default(&p);
    p.rate_bps = 8000000; /* 1,000 bytes in 1 ms */
    L = link_create(&W.sim, "wire", &a, &b, &p);
    cr_assert(L);
    struct link_fault f = {.action = LINK_FAULT_DELAY, .nth = 2, .delay = 5 * SIM_MS};
    link_add_fault(L, 0, &f);
    for (uint64_t k = 1; k <= 3; k++) {
        struct frame *fr = frame_alloc(&W.sim.frames, 1000);
        cr_assert(fr);
        memset(fr->data, 0, 1000);
        fr->id = k;
        port_send(&a, fr);
    }
    sim_run(&W.sim, SIM_SEC);
    cr_assert_eq(log.n, 3);
    cr_assert_eq(log.id[0], 1);
    cr_assert_eq(log.t[0], 2 * SIM_MS);
    cr_assert_eq(log.id[1], 3, "the third frame is not held back");
    cr_assert_eq(log.t[1], 4 * SIM_MS);
    cr_assert_eq(log.id[2], 2);
    cr_assert_eq(log.t[2], 8 * SIM_MS);
}
