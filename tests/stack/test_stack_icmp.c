/* ICMP: echo, error generation rules and rate limit, dispatch of received errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static struct world W;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(icmp, .fini = fini);

struct pinger {
    uint32_t replies, errors;
    uint32_t from, len;
    uint16_t seq;
    uint8_t ttl;
    struct icmp_error err;
};

static void on_reply(void *ctx, uint32_t from, uint16_t seq, uint8_t ttl, uint32_t len,
                     sim_time now)
{
    (void)now;
    struct pinger *p = ctx;
    p->replies++;
    p->from = from;
    p->seq = seq;
    p->ttl = ttl;
    p->len = len;
}

static void on_error(void *ctx, const struct icmp_error *e, uint16_t seq, sim_time now)
{
    (void)now;
    struct pinger *p = ctx;
    p->errors++;
    p->seq = seq;
    p->err = *e;
}

static const struct icmp_echo_ops pinger_ops = {.on_reply = on_reply, .on_error = on_error};

/* An offending datagram a -> b (proto, 8 bytes of L4), as received. */
static uint32_t offending(uint8_t *buf, uint8_t proto, uint8_t l4_first, uint16_t frag)
{
    memset(buf, 0, 28);
    buf[0] = 0x45;
    buf[3] = 28;
    buf[6] = (uint8_t)(frag >> 8);
    buf[7] = (uint8_t)frag;
    buf[8] = 64;
    buf[9] = proto;
    const uint32_t src = IP(10, 0, 0, 1), dst = IP(10, 0, 0, 2);
    for (int k = 0; k < 4; k++) {
        buf[12 + k] = (uint8_t)(src >> (24 - 8 * k));
        buf[16 + k] = (uint8_t)(dst >> (24 - 8 * k));
    }
    set_ip_csum(buf);
    buf[20] = l4_first;
    return 28;
}

Test(icmp, echo_request_is_answered_with_id_seq_and_payload)
{
    world_two(&W);
    struct pinger p = {0};
    struct icmp_echo_sock *s = icmp_echo_open(W.h[0], "ping", &pinger_ops, &p);
    cr_assert_eq(icmp_echo_send(s, IP(10, 0, 0, 2), 7, 56, NULL), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(p.replies, 1);
    cr_assert_eq(p.from, IP(10, 0, 0, 2));
    cr_assert_eq(p.seq, 7);
    cr_assert_eq(p.len, 56);
    cr_assert_eq(p.ttl, 64);
    const struct capture *req = &W.w[0].cap[2], *rep = &W.w[0].cap[3];
    cr_assert_eq(cap_ip(req)[20], ICMP_ECHO_REQUEST);
    cr_assert_eq(cap_ip(rep)[20], ICMP_ECHO_REPLY);
    cr_assert_arr_eq(cap_ip(rep) + 24, cap_ip(req) + 24, 4 + 56, "same id, seq, payload");
    cr_assert_eq(inet_csum_fold(inet_csum_add(0, cap_ip(rep) + 20, 64)), 0);
    icmp_echo_close(s);
}

Test(icmp, echo_sockets_get_distinct_identifiers)
{
    world_two(&W);
    struct pinger p1 = {0}, p2 = {0};
    struct icmp_echo_sock *s1 = icmp_echo_open(W.h[0], "p1", &pinger_ops, &p1);
    struct icmp_echo_sock *s2 = icmp_echo_open(W.h[0], "p2", &pinger_ops, &p2);
    icmp_echo_send(s2, IP(10, 0, 0, 2), 1, 8, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(p1.replies, 0);
    cr_assert_eq(p2.replies, 1);
    icmp_echo_close(s1);
    icmp_echo_close(s2);
}

Test(icmp, large_echo_is_fragmented_and_answered)
{
    world_two(&W);
    struct pinger p = {0};
    struct icmp_echo_sock *s = icmp_echo_open(W.h[0], "ping", &pinger_ops, &p);
    icmp_echo_send(s, IP(10, 0, 0, 2), 1, 4000, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(p.replies, 1);
    cr_assert_eq(p.len, 4000);
}

Test(icmp, echo_error_reaches_the_socket_with_its_sequence)
{
    world_three(&W, 1500);
    struct pinger p = {0};
    struct icmp_echo_sock *s = icmp_echo_open(W.h[0], "ping", &pinger_ops, &p);
    icmp_echo_send(s, IP(10, 0, 2, 1), 3, 56, &(struct ip4_send_opts){.ttl = 1});
    run_for(&W, SIM_SEC);
    cr_assert_eq(p.errors, 1);
    cr_assert_eq(p.seq, 3);
    cr_assert_eq(p.err.type, ICMP_TIME_EXCEEDED);
    cr_assert_eq(p.err.from, IP(10, 0, 1, 254));
}

Test(icmp, echo_to_broadcast_is_ignored)
{
    world_two(&W);
    struct pinger p = {0};
    struct icmp_echo_sock *s = icmp_echo_open(W.h[0], "ping", &pinger_ops, &p);
    icmp_echo_send(s, IP(10, 0, 0, 255), 1, 8, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_frames(&W.w[0], 0, 0x0800, 1), 1, "sent as a link broadcast");
    cr_assert_eq(p.replies, 0);
    cr_assert_eq(count_frames(&W.w[0], 1, 0x0800, -1), 0);
}

Test(icmp, no_error_about_an_icmp_error)
{
    world_two(&W);
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_ICMP, ICMP_DEST_UNREACH, 0);
    icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
    n = offending(buf, IP_PROTO_ICMP, ICMP_ECHO_REQUEST, 0);
    icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 1, "queries do get errors");
}

Test(icmp, no_error_about_a_non_first_fragment)
{
    world_two(&W);
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_UDP, 0, 0x2000 | 10);
    icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
    n = offending(buf, IP_PROTO_UDP, 0, 0x2000);
    icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 1, "the first fragment may get one");
}

Test(icmp, no_error_about_a_broadcast)
{
    world_two(&W);
    static const uint8_t data[4];
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, NULL);
    udp_sendto(s, IP(10, 0, 0, 255), 9, data, sizeof(data), NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "no_port"), 1);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
}

/* RFC 1122 §3.2.2: no error about a datagram sent as a link-layer broadcast,
 * even to a unicast IP address. */
Test(icmp, no_error_about_a_link_layer_broadcast)
{
    world_two(&W);
    uint8_t udp[8] = {0x13, 0x88, 0, 9, 0, 8, 0, 0}; /* no checksum */
    struct host_iface *b = W.h[1]->ifaces[0];
    struct frame *f = mk_ip_frame(&W, b, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, udp, 8);
    memset(f->data, 0xff, 6);
    inject(&W, b, f);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "no_port"), 1);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
}

Test(icmp, errors_are_rate_limited_by_a_token_bucket)
{
    world_two(&W);
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_UDP, 0, 0);
    for (int k = 0; k < 60; k++)
        icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 50, "the burst");
    cr_assert_eq(host_counter(W.h[1]).icmp_rate_limited, 10);
    run_for(&W, 5 * SIM_MS);
    for (int k = 0; k < 10; k++)
        icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 55, "one per millisecond");
}

Test(icmp, a_host_silent_until_late_has_the_whole_burst)
{
    world_two(&W);
    run_for(&W, 10 * SIM_SEC);
    cr_assert(!W.h[1]->more || !W.h[1]->more->icmp, "no state before the first error");
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_UDP, 0, 0);
    for (int k = 0; k < 60; k++)
        icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 50);
    cr_assert_eq(host_counter(W.h[1]).icmp_rate_limited, 10);
    run_for(&W, 3 * SIM_MS);
    for (int k = 0; k < 10; k++)
        icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 53, "refilled from the first error on");
}

Test(icmp, a_detached_host_sends_no_errors)
{
    world_two(&W);
    icmp_detach(W.h[1]);
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_UDP, 0, 0);
    icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
}

Test(icmp, frag_needed_is_not_rate_limited)
{
    world_two(&W);
    uint8_t buf[28];
    uint32_t n = offending(buf, IP_PROTO_UDP, 0, 0);
    for (int k = 0; k < 60; k++)
        icmp_send_error(W.h[1], buf, n, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1400);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 60);
    cr_assert_eq(host_counter(W.h[1]).icmp_rate_limited, 0);
}

Test(icmp, bad_checksum_is_dropped)
{
    world_two(&W);
    uint8_t msg[16] = {ICMP_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1};
    uint16_t c = inet_csum_fold(inet_csum_add(0, msg, sizeof(msg)));
    msg[2] = (uint8_t)(c >> 8);
    msg[3] = (uint8_t)c ^ 1;
    struct frame *f = mk_ip_frame(&W, W.h[1]->ifaces[0], IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1, 64,
                                  msg, sizeof(msg));
    inject(&W, W.h[1]->ifaces[0], f);
    cr_assert_eq(count_drops(&W, "b", "checksum"), 1);
    cr_assert_eq(host_counter(W.h[1]).icmp_out, 0);
}

struct got_error {
    uint32_t n;
    struct icmp_error e;
};

static void proto_error(struct host *h, void *ctx, const struct icmp_error *e, sim_time now)
{
    (void)h, (void)now;
    struct got_error *g = ctx;
    g->n++;
    g->e = *e;
}

static void proto_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
                        uint32_t len, sim_time now)
{
    (void)h, (void)ctx, (void)ip, (void)l4, (void)len, (void)now;
}

Test(icmp, received_error_goes_to_the_quoted_protocol_with_its_fields)
{
    world_two(&W);
    struct got_error g = {0};
    host_register_proto(W.h[0], 6, proto_input, proto_error, &g);
    uint8_t msg[8 + 28] = {ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 0, 0, 0, 0, 0x05, 0x00};
    offending(msg + 8, 6, 0, 0);
    const uint8_t ports_seq[8] = {0x13, 0x88, 0x00, 0x50, 0xde, 0xad, 0xbe, 0xef};
    memcpy(msg + 28, ports_seq, 8);
    uint16_t c = inet_csum_fold(inet_csum_add(0, msg, sizeof(msg)));
    msg[2] = (uint8_t)(c >> 8);
    msg[3] = (uint8_t)c;
    struct frame *f = mk_ip_frame(&W, W.h[0]->ifaces[0], IP(10, 0, 0, 9), IP(10, 0, 0, 1), 1, 64,
                                  msg, sizeof(msg));
    inject(&W, W.h[0]->ifaces[0], f);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.e.from, IP(10, 0, 0, 9));
    cr_assert_eq(g.e.type, ICMP_DEST_UNREACH);
    cr_assert_eq(g.e.code, ICMP_FRAG_NEEDED);
    cr_assert_eq(g.e.mtu, 1280);
    cr_assert_eq(g.e.src, IP(10, 0, 0, 1));
    cr_assert_eq(g.e.dst, IP(10, 0, 0, 2));
    cr_assert_eq(g.e.proto, 6);
    cr_assert_eq(g.e.sport, 5000);
    cr_assert_eq(g.e.dport, 80);
    cr_assert_eq(g.e.quoted_seq, 0xdeadbeef);
}
