/* Hosts: interfaces, routes, source selection, ephemeral ports, Ethernet input. */
#include <criterion/criterion.h>

#include "fixture.h"

static struct world W;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(host, .fini = fini);

Test(host, interfaces_get_deterministic_locally_administered_macs)
{
    world_three(&W, 1500);
    const struct host_iface *r1 = W.h[1]->ifaces[1];
    const uint8_t want[6] = {0x02, 0x00, 0x00, 0x00, 0x02, 0x01};
    cr_assert_arr_eq(r1->mac, want, 6);
    cr_assert_str_eq(r1->port.ifname, "eth1");
    cr_assert(W.h[0]->ifaces[0]->mac[0] & 0x02, "locally administered");
    cr_assert_eq(W.h[0]->ifaces[0]->mac[0] & 0x01, 0, "unicast");
}

Test(host, interfaces_are_registered_on_the_trace_bus)
{
    world_three(&W, 1500);
    const struct host_iface *b0 = W.h[2]->ifaces[0];
    cr_assert_eq(W.sim.bus.n_ifaces, 4);
    cr_assert_eq(b0->port.iface, 3);
    cr_assert_str_eq(W.sim.bus.ifaces[3].host, "b");
    cr_assert_str_eq(W.sim.bus.ifaces[3].name, "eth0");
    cr_assert_str_eq(W.sim.bus.ifaces[3].link, "l2");
    cr_assert_arr_eq(W.sim.bus.ifaces[3].mac, b0->mac, 6);
}

Test(host, longest_prefix_wins_over_default_route)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    cr_assert(host_add_route(r, 0, 0, IP(10, 0, 1, 1)));
    cr_assert(host_add_route(r, IP(192, 168, 0, 0), 16, IP(10, 0, 2, 1)));
    uint32_t nh = 0;
    const struct route *rt = host_route_lookup(r, IP(192, 168, 7, 9), &nh);
    cr_assert(rt);
    cr_assert_eq(rt->prefix_len, 16);
    cr_assert_eq(nh, IP(10, 0, 2, 1));
    cr_assert_eq(rt->iface, 1);
    rt = host_route_lookup(r, IP(8, 8, 8, 8), &nh);
    cr_assert_eq(rt->prefix_len, 0);
    cr_assert_eq(nh, IP(10, 0, 1, 1));
}

Test(host, connected_route_gives_the_destination_as_next_hop)
{
    world_two(&W);
    uint32_t nh = 0;
    const struct route *rt = host_route_lookup(W.h[0], IP(10, 0, 0, 2), &nh);
    cr_assert(rt);
    cr_assert_eq(rt->via, 0);
    cr_assert_eq(nh, IP(10, 0, 0, 2));
}

Test(host, equal_prefixes_first_added_wins)
{
    world_three(&W, 1500);
    struct host *r = W.h[1];
    cr_assert(host_add_route(r, IP(172, 16, 0, 0), 12, IP(10, 0, 1, 1)));
    cr_assert(host_add_route(r, IP(172, 16, 0, 0), 12, IP(10, 0, 2, 1)));
    uint32_t nh = 0;
    host_route_lookup(r, IP(172, 16, 1, 1), &nh);
    cr_assert_eq(nh, IP(10, 0, 1, 1));
}

Test(host, no_route_without_default)
{
    world_two(&W);
    cr_assert_null(host_route_lookup(W.h[0], IP(1, 2, 3, 4), NULL));
    cr_assert_eq(host_src_for(W.h[0], IP(1, 2, 3, 4)), 0);
}

Test(host, gateway_must_be_on_link)
{
    world_two(&W);
    cr_assert_not(host_add_route(W.h[0], 0, 0, IP(10, 9, 9, 9)));
    cr_assert(host_add_route(W.h[0], 0, 0, IP(10, 0, 0, 2)));
}

Test(host, source_is_the_outgoing_interface_address)
{
    world_three(&W, 1500);
    cr_assert_eq(host_src_for(W.h[1], IP(10, 0, 2, 1)), IP(10, 0, 2, 254));
    cr_assert_eq(host_src_for(W.h[1], IP(10, 0, 1, 1)), IP(10, 0, 1, 254));
    cr_assert_eq(host_src_for(W.h[0], IP(10, 0, 2, 1)), IP(10, 0, 1, 1));
    cr_assert(host_has_addr(W.h[1], IP(10, 0, 2, 254)));
    cr_assert_not(host_has_addr(W.h[1], IP(10, 0, 2, 1)));
}

Test(host, changing_an_address_moves_its_connected_route)
{
    world_two(&W);
    host_iface_set_addr(W.h[0]->ifaces[0], IP(192, 168, 1, 1), 24);
    cr_assert_null(host_route_lookup(W.h[0], IP(10, 0, 0, 2), NULL));
    cr_assert(host_route_lookup(W.h[0], IP(192, 168, 1, 9), NULL));
    cr_assert_eq(W.h[0]->n_routes, 1);
}

static bool none_in_use(struct host *h, uint16_t port, void *ctx)
{
    (void)h, (void)port, (void)ctx;
    return false;
}

static bool even_in_use(struct host *h, uint16_t port, void *ctx)
{
    (void)h, (void)ctx;
    return port % 2 == 0;
}

Test(host, ephemeral_ports_are_sequential_in_linux_range)
{
    world_two(&W);
    uint16_t first = host_ephemeral_port(W.h[0], none_in_use, NULL);
    cr_assert(first >= 32768 && first <= 60999, "port %u", first);
    uint16_t second = host_ephemeral_port(W.h[0], none_in_use, NULL);
    cr_assert_eq(second, first == 60999 ? 32768 : first + 1);
}

Test(host, ephemeral_ports_wrap_and_skip_ports_in_use)
{
    world_two(&W);
    W.h[0]->next_ephemeral = 60998;
    cr_assert_eq(host_ephemeral_port(W.h[0], even_in_use, NULL), 60999);
    cr_assert_eq(host_ephemeral_port(W.h[0], even_in_use, NULL), 32769);
}

Test(host, ephemeral_start_depends_on_host_name_not_on_order)
{
    world_two(&W);
    struct host *again = host_create(&W.sim, "a", 7, false);
    cr_assert_eq(again->next_ephemeral, W.h[0]->next_ephemeral);
    cr_assert_neq(W.h[1]->next_ephemeral, W.h[0]->next_ephemeral);
    host_destroy(again);
}

Test(host, frame_for_another_mac_is_dropped_not_for_us)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, NULL, 0);
    f->data[5] ^= 0x40;
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "not_for_us"), 1);
    cr_assert_eq(host_counter(W.h[1]).drop_not_mine, 1);
    cr_assert_eq(host_counter(W.h[1]).ip_in, 0);
}

Test(host, unknown_ethertype_is_dropped)
{
    world_two(&W);
    struct frame *f =
        mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, NULL, 0);
    f->data[12] = 0x86;
    f->data[13] = 0xdd;
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "unknown_ethertype"), 1);
}

Test(host, drop_event_names_host_interface_and_frame)
{
    world_three(&W, 1500);
    struct host_iface *r2 = W.h[1]->ifaces[1];
    struct frame *f = mk_ip_frame(&W, r2, IP(10, 0, 2, 1), IP(10, 0, 1, 1), 17, 64, NULL, 0);
    f->data[14 + 10] ^= 1;
    uint64_t id = f->id;
    inject(&W, r2, f);
    const struct ev *e = find_event(&W, TRACE_DROP, NULL);
    cr_assert(e);
    cr_assert_str_eq(e->host, "r");
    cr_assert_str_eq(e->reason, "checksum");
    cr_assert_eq(e->iface, r2->port.iface);
    cr_assert_eq(e->frame_id, id);
}

static void ignore_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
                         uint32_t len, sim_time now)
{
    (void)h, (void)ctx, (void)ip, (void)l4, (void)len, (void)now;
}

Test(host, protocol_table_is_full_at_its_capacity)
{
    world_two(&W);
    struct host *h = W.h[0];
    int ctx = 0;
    uint32_t free_slots = HOST_MAX_PROTOS - h->n_protos;
    for (uint32_t k = 0; k < free_slots; k++)
        cr_assert(host_register_proto(h, (uint8_t)(200 + k), ignore_input, NULL, &ctx));
    cr_assert_not(host_register_proto(h, 250, ignore_input, NULL, &ctx));
    cr_assert_null(host_proto(h, 250));
    cr_assert(host_register_proto(h, 200, ignore_input, NULL, NULL), "replacing needs no room");
    cr_assert_null(host_proto(h, 200)->ctx);
}

Test(host, removing_a_protocol_keeps_the_others)
{
    world_two(&W);
    struct host *h = W.h[0];
    int ctx = 0;
    cr_assert(host_register_proto(h, 200, ignore_input, NULL, &ctx));
    cr_assert(host_register_proto(h, IP_PROTO_ICMP, NULL, NULL, NULL));
    cr_assert_null(host_proto(h, IP_PROTO_ICMP));
    cr_assert_eq(host_proto(h, 200)->ctx, &ctx);
    cr_assert(host_proto(h, IP_PROTO_UDP)->input);
    cr_assert(host_register_proto(h, 201, ignore_input, NULL, &ctx), "the slot is free again");
}

Test(host, interfaces_stay_in_place_as_the_table_grows)
{
    world_two(&W);
    struct host *h = W.h[0];
    struct host_iface *first = h->ifaces[0];
    for (uint32_t k = 1; k < 9; k++) {
        struct host_iface *i = host_add_iface(h, "x", IP(10, 9, k, 1), 24);
        cr_assert(i);
        cr_assert_eq(i->index, k);
        cr_assert_eq(h->ifaces[k], i);
    }
    cr_assert_eq(h->n_ifaces, 9);
    cr_assert_eq(h->ifaces[0], first, "the interfaces themselves never move");
    cr_assert_str_eq(h->ifaces[8]->port.ifname, "eth8");
    cr_assert(host_has_addr(h, IP(10, 9, 8, 1)));
}

Test(host, the_last_of_64_interfaces_is_eth63_and_a_65th_is_refused)
{
    memset(&W, 0, sizeof(W));
    sim_init(&W.sim, 1);
    struct host *h = host_create(&W.sim, "r", 0, true);
    W.h[0] = h;
    W.n_hosts = 1;
    for (uint32_t k = 0; k < HOST_MAX_IFACES; k++)
        cr_assert_not_null(host_add_iface(h, "l", IP(10, (uint8_t)k, 0, 1), 24));
    cr_assert_str_eq(h->ifaces[HOST_MAX_IFACES - 1]->port.ifname, "eth63");
    cr_assert_str_eq(h->ifaces[10]->port.ifname, "eth10");
    cr_assert_null(host_add_iface(h, "l", IP(10, 200, 0, 1), 24));
}

Test(host, a_host_with_two_routes_keeps_them_in_itself_and_a_third_moves_them_out)
{
    world_two(&W);
    struct host *h = W.h[0];
    cr_assert(host_add_route(h, 0, 0, IP(10, 0, 0, 2)));
    cr_assert_eq(h->n_routes, 2);
    cr_assert_eq(h->routes, h->routes_inline);
    cr_assert(host_add_route(h, IP(192, 168, 0, 0), 16, IP(10, 0, 0, 2)));
    cr_assert_eq(h->n_routes, 3);
    cr_assert_neq(h->routes, h->routes_inline);
    uint32_t nh = 0;
    const struct route *r = host_route_lookup(h, IP(192, 168, 3, 4), &nh);
    cr_assert(r && r->prefix_len == 16 && nh == IP(10, 0, 0, 2));
    cr_assert_eq(host_route_lookup(h, IP(8, 8, 8, 8), NULL)->prefix_len, 0);
}

Test(host, socket_tables_are_made_on_first_use)
{
    world_two(&W);
    struct host *h = W.h[0];
    cr_assert(!h->more || !h->more->udp);
    cr_assert(!h->more || !h->more->icmp);
    cr_assert(udp_open(h, 9, "sink", NULL, NULL));
    cr_assert(h->more && h->more->udp);
    cr_assert_null(udp_open(h, 9, "again", NULL, NULL), "the port is taken");
    static const struct icmp_echo_ops ops = {0};
    cr_assert(icmp_echo_open(h, "ping", &ops, NULL));
    cr_assert(h->more && h->more->icmp);
}

static void send_proto(struct host *from, uint32_t dst, uint8_t proto)
{
    struct frame *f = ip4_alloc(from, 8);
    cr_assert_not_null(f);
    memset(f->data + IP4_L4_OFF, 0, 8);
    cr_assert_eq(ip4_send(from, f, host_src_for(from, dst), dst, proto, NULL), IP4_SENT);
}

Test(host, plain_traffic_makes_no_extra_state)
{
    world_two(&W);
    int ctx = 0;
    cr_assert(host_register_proto(W.h[1], 200, ignore_input, NULL, &ctx));
    send_proto(W.h[0], IP(10, 0, 0, 2), 200);
    run_for(&W, SIM_SEC);
    cr_assert_eq(host_counter(W.h[0]).ip_out, 1);
    cr_assert_eq(host_counter(W.h[1]).ip_delivered, 1);
    cr_assert_null(W.h[0]->more);
    cr_assert_null(W.h[1]->more);
}

Test(host, the_first_rare_event_makes_the_extra_state_and_is_counted)
{
    world_two(&W);
    send_proto(W.h[0], IP(10, 0, 0, 2), 201); /* no handler on b */
    run_for(&W, SIM_SEC);
    cr_assert_not_null(W.h[1]->more);
    cr_assert_eq(host_counter(W.h[1]).drop_no_proto, 1);
    cr_assert_eq(host_counter(W.h[1]).ip_in, 1);
    cr_assert_null(W.h[1]->more->udp, "only what was needed");
}
