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
