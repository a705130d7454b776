/* UDP: sockets, checksums, port unreachable, app events. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static struct world W;
static struct udp_rec R, S;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(udp, .fini = fini);

static void setup(void)
{
    world_two(&W);
    memset(&R, 0, sizeof(R));
    memset(&S, 0, sizeof(S));
}

/* A datagram a:5000 -> b:9 with `len` bytes of 0x42 and a correct checksum. */
static uint32_t datagram(uint8_t *b, uint32_t len)
{
    uint32_t ulen = 8 + len;
    b[0] = 0x13, b[1] = 0x88, b[2] = 0, b[3] = 9;
    b[4] = (uint8_t)(ulen >> 8), b[5] = (uint8_t)ulen, b[6] = b[7] = 0;
    memset(b + 8, 0x42, len);
    uint16_t c = inet_csum_fold(
        inet_csum_add(inet_csum_pseudo(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, ulen), b, ulen));
    b[6] = (uint8_t)(c >> 8), b[7] = (uint8_t)c;
    return ulen;
}

static void inject_udp(const uint8_t *b, uint32_t len)
{
    struct host_iface *to = W.h[1]->ifaces[0];
    inject(&W, to, mk_ip_frame(&W, to, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 64, b, len));
}

Test(udp, datagram_is_delivered_with_source_and_data)
{
    setup();
    cr_assert(udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R));
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    const uint8_t msg[5] = "hello";
    cr_assert_eq(udp_sendto(s, IP(10, 0, 0, 2), 9, msg, 5, NULL), IP4_SENT);
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 1);
    cr_assert_eq(R.last_src, IP(10, 0, 0, 1));
    cr_assert_eq(R.last_sport, 5000);
    cr_assert_eq(R.last_len, 5);
    cr_assert_arr_eq(R.last_data, msg, 5);
}

Test(udp, sent_checksum_verifies_with_pseudo_header)
{
    setup();
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    const uint8_t msg[3] = {1, 2, 3};
    udp_sendto(s, IP(10, 0, 0, 2), 9, msg, 3, NULL);
    run_for(&W, SIM_SEC);
    const uint8_t *ip = cap_ip(&W.w[0].cap[2]);
    cr_assert(ip);
    cr_assert_neq(ip[26] << 8 | ip[27], 0, "always sent with a checksum");
    uint32_t sum = inet_csum_pseudo(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 11);
    cr_assert_eq(inet_csum_fold(inet_csum_add(sum, ip + 20, 11)), 0);
}

Test(udp, bad_checksum_is_dropped)
{
    setup();
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    uint8_t b[64];
    uint32_t n = datagram(b, 20);
    b[12] ^= 0x01;
    inject_udp(b, n);
    cr_assert_eq(R.n_recv, 0);
    cr_assert_eq(count_drops(&W, "b", "checksum"), 1);
    cr_assert_eq(host_counter(W.h[1]).drop_checksum, 1);
}

Test(udp, zero_checksum_means_none)
{
    setup();
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    uint8_t b[64];
    uint32_t n = datagram(b, 20);
    b[6] = b[7] = 0;
    b[12] ^= 0x01;
    inject_udp(b, n);
    cr_assert_eq(R.n_recv, 1);
}

Test(udp, length_field_beyond_the_packet_is_malformed)
{
    setup();
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    uint8_t b[64];
    uint32_t n = datagram(b, 20);
    b[5] = 60;
    inject_udp(b, n);
    cr_assert_eq(count_drops(&W, "b", "malformed"), 1);
}

Test(udp, closed_port_answers_port_unreachable_to_on_error)
{
    setup();
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    const uint8_t msg[4] = {0};
    udp_sendto(s, IP(10, 0, 0, 2), 9, msg, 4, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(count_drops(&W, "b", "no_port"), 1);
    cr_assert_eq(host_counter(W.h[1]).udp_no_port, 1);
    cr_assert_eq(S.n_err, 1);
    cr_assert_eq(S.err.type, ICMP_DEST_UNREACH);
    cr_assert_eq(S.err.code, ICMP_PORT_UNREACH);
    cr_assert_eq(S.err.from, IP(10, 0, 0, 2));
    cr_assert_eq(S.err.sport, 5000);
    cr_assert_eq(S.err.dport, 9);
}

Test(udp, port_unreachable_about_a_reassembled_datagram_quotes_it_whole)
{
    setup();
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    static const uint8_t big[3000];
    udp_sendto(s, IP(10, 0, 0, 2), 9, big, sizeof(big), NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(S.n_err, 1);
    const uint8_t *ip = cap_ip(&W.w[0].cap[W.w[0].n_cap - 1]);
    cr_assert_eq(ip[20], ICMP_DEST_UNREACH);
    const uint8_t *q = ip + 28;
    cr_assert_eq(q[2] << 8 | q[3], 20 + 8 + 3000, "the datagram's whole length");
    cr_assert_eq(q[6] & 0x3f, 0, "no fragment fields");
    cr_assert_eq(inet_csum_fold(inet_csum_add(0, q, 20)), 0);
}

Test(udp, port_in_use_cannot_be_opened_twice)
{
    setup();
    cr_assert(udp_open(W.h[0], 53, "a", &udp_rec_ops, &S));
    cr_assert_null(udp_open(W.h[0], 53, "b", &udp_rec_ops, &S));
}

Test(udp, ephemeral_ports_are_in_range_and_distinct)
{
    setup();
    struct udp_sock *a = udp_open(W.h[0], 0, "a", &udp_rec_ops, &S);
    struct udp_sock *b = udp_open(W.h[0], 0, "b", &udp_rec_ops, &S);
    uint16_t pa = udp_local_port(a), pb = udp_local_port(b);
    cr_assert(pa >= 32768 && pa <= 60999);
    cr_assert(pb >= 32768 && pb <= 60999);
    cr_assert_neq(pa, pb);
}

Test(udp, closed_socket_no_longer_receives)
{
    setup();
    struct udp_sock *r = udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    udp_close(r);
    uint8_t b[64];
    inject_udp(b, datagram(b, 4));
    cr_assert_eq(R.n_recv, 0);
    cr_assert_eq(count_drops(&W, "b", "no_port"), 1);
}

Test(udp, send_and_deliver_app_events_carry_running_totals)
{
    setup();
    udp_open(W.h[1], 9, "sink", &udp_rec_ops, &R);
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    static const uint8_t msg[100];
    udp_sendto(s, IP(10, 0, 0, 2), 9, msg, 30, NULL);
    udp_sendto(s, IP(10, 0, 0, 2), 9, msg, 70, NULL);
    run_for(&W, SIM_SEC);
    const struct ev *last_send = NULL, *last_deliver = NULL;
    for (uint32_t k = 0; k < W.n_ev; k++) {
        if (W.ev[k].kind != TRACE_APP)
            continue;
        if (!strcmp(W.ev[k].what, "send"))
            last_send = &W.ev[k];
        if (!strcmp(W.ev[k].what, "deliver"))
            last_deliver = &W.ev[k];
    }
    cr_assert(last_send && last_deliver);
    cr_assert_str_eq(last_send->app, "src");
    cr_assert_str_eq(last_send->host, "a");
    cr_assert_eq(last_send->bytes, 70);
    cr_assert_eq(last_send->total, 100);
    cr_assert_str_eq(last_send->detail, "peer 10.0.0.2:9");
    cr_assert_str_eq(last_deliver->app, "sink");
    cr_assert_eq(last_deliver->total, 100);
    cr_assert_str_eq(last_deliver->detail, "peer 10.0.0.1:5000");
}

Test(udp, unroutable_destination_is_refused)
{
    setup();
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    const uint8_t msg[1] = {0};
    cr_assert_eq(udp_sendto(s, IP(99, 9, 9, 9), 9, msg, 1, NULL), IP4_NO_ROUTE);
}

Test(udp, datagram_to_own_address_is_delivered)
{
    setup();
    udp_open(W.h[0], 9, "self", &udp_rec_ops, &R);
    struct udp_sock *s = udp_open(W.h[0], 5000, "src", &udp_rec_ops, &S);
    const uint8_t msg[2] = {7, 8};
    udp_sendto(s, IP(10, 0, 0, 1), 9, msg, 2, NULL);
    run_for(&W, SIM_SEC);
    cr_assert_eq(R.n_recv, 1);
    cr_assert_eq(R.last_src, IP(10, 0, 0, 1));
}
