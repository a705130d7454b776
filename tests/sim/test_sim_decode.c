/* The observer's dissector, relative sequence numbers and frame filters. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/decode.h"
#include "sim_frames.h"

#define CLIENT IP(10, 0, 0, 1)
#define SERVER IP(10, 0, 0, 2)

/* 36 bytes: every option kind the decoder knows, EOL and padding. */
static const uint8_t all_opts[] = {
    2, 4,  0x05, 0xb4,            /* MSS 1460 */
    1, 3,  3,    7,               /* NOP, WS 7 */
    4, 2,  1,    1,               /* SACK-permitted, NOP, NOP */
    8, 10, 0,    0,    0,    100, /* TS 100 50 */
    0, 0,  0,    50,   1,    1,   /* NOP NOP */
    5, 10, 0,    0,    0x10, 0,   /* SACK 4096-8192 */
    0, 0,  0x20, 0,    0,    0,   /* EOL and padding */
};

static uint32_t syn_with_options(uint8_t *buf)
{
    struct tcp_spec t = {.src = CLIENT,
                         .dst = SERVER,
                         .sport = 40000,
                         .dport = 80,
                         .seq = 1000,
                         .flags = DEC_SYN,
                         .win = 64240,
                         .opts = all_opts,
                         .optlen = sizeof all_opts};
    return build_tcp(buf, &t);
}

Test(decode, tcp_header_and_every_option)
{
    uint8_t buf[200];
    uint32_t len = syn_with_options(buf);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_TCP);
    cr_assert_not(s.malformed);
    cr_assert_eq(s.ethertype, 0x0800);
    cr_assert_eq(s.eth_src[5], 1);
    cr_assert_eq(s.ip_src, CLIENT);
    cr_assert_eq(s.ip_dst, SERVER);
    cr_assert(s.ip_csum_ok);
    cr_assert(s.df);
    cr_assert_not(s.fragment);
    cr_assert_eq(s.sport, 40000);
    cr_assert_eq(s.dport, 80);
    cr_assert_eq(s.seq, 1000);
    cr_assert_eq(s.flags, DEC_SYN);
    cr_assert_eq(s.win, 64240);
    cr_assert_eq(s.opt_mss, 1460);
    cr_assert_eq(s.opt_wscale, 7);
    cr_assert(s.opt_sack_perm);
    cr_assert(s.opt_ts);
    cr_assert_eq(s.ts_val, 100);
    cr_assert_eq(s.ts_ecr, 50);
    cr_assert_eq(s.n_sack, 1);
    cr_assert_eq(s.sack[0][0], 4096);
    cr_assert_eq(s.sack[0][1], 8192);
    cr_assert_eq(s.payload_len, 0);
}

Test(decode, three_sack_blocks_beside_timestamps)
{
    static const uint8_t opts[40] = {
        1, 1, 8, 10, 0, 0, 0, 1,  0, 0, 0, 2,               /* NOP NOP TS 1 2 */
        1, 1, 5, 26, 0, 0, 0, 10, 0, 0, 0, 20,              /* NOP NOP SACK 10-20 */
        0, 0, 0, 30, 0, 0, 0, 40, 0, 0, 0, 50, 0, 0, 0, 60, /* 30-40 50-60 */
    };
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .flags = DEC_ACK, .opts = opts, .optlen = sizeof opts};
    uint8_t buf[200];
    struct frame_summary s;
    cr_assert(frame_decode(buf, build_tcp(buf, &t), &s));
    cr_assert(s.opt_ts);
    cr_assert_eq(s.ts_val, 1);
    cr_assert_eq(s.ts_ecr, 2);
    cr_assert_eq(s.n_sack, 3);
    cr_assert_eq(s.sack[0][0], 10);
    cr_assert_eq(s.sack[1][1], 40);
    cr_assert_eq(s.sack[2][0], 50);
    cr_assert_eq(s.sack[2][1], 60);
}

Test(decode, tcp_payload_and_no_options)
{
    uint8_t buf[1600];
    struct tcp_spec t = {.src = CLIENT,
                         .dst = SERVER,
                         .sport = 1,
                         .dport = 2,
                         .seq = 5,
                         .ack = 9,
                         .flags = DEC_ACK | DEC_PSH,
                         .payload = 1000};
    uint32_t len = build_tcp(buf, &t);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.payload_len, 1000);
    cr_assert_eq(s.payload_off, 54);
    cr_assert_eq(s.ack, 9);
    cr_assert_eq(s.opt_wscale, -1);
    cr_assert_not(s.opt_ts);
    cr_assert_eq(s.opt_mss, 0);
}

Test(decode, ethernet_padding_is_not_payload)
{
    uint8_t buf[64] = {0};
    struct tcp_spec t = {.src = CLIENT, .dst = SERVER, .flags = DEC_ACK};
    uint32_t len = build_tcp(buf, &t);
    cr_assert_eq(len, 54);
    struct frame_summary s;
    cr_assert(frame_decode(buf, 60, &s)); /* minimum Ethernet frame size */
    cr_assert_eq(s.payload_len, 0);
}

Test(decode, udp)
{
    uint8_t buf[200];
    uint32_t len = build_udp(buf, CLIENT, SERVER, 5000, 53, 33);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_UDP);
    cr_assert_eq(s.sport, 5000);
    cr_assert_eq(s.dport, 53);
    cr_assert_eq(s.payload_len, 33);
    cr_assert_eq(s.payload_off, 42);
}

Test(decode, icmp_echo)
{
    uint8_t buf[100];
    uint32_t len = build_icmp_echo(buf, CLIENT, SERVER, 8, 0x1234, 7);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_ICMP);
    cr_assert_eq(s.icmp_type, 8);
    cr_assert_eq(s.icmp_code, 0);
    cr_assert_eq(s.icmp_id, 0x1234);
    cr_assert_eq(s.icmp_seq, 7);
}

/* ICMP "fragmentation needed" from a router, quoting a TCP segment. */
static uint32_t frag_needed(uint8_t *buf, uint32_t quoted_bytes)
{
    uint8_t inner[100];
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .sport = 40000, .dport = 80, .flags = DEC_ACK, .payload = 20};
    build_tcp(inner, &t);
    uint32_t icmp_len = 8 + quoted_bytes;
    eth_header(buf, 0x0800);
    struct ip_spec ip = {.src = IP(10, 0, 1, 1), .dst = CLIENT, .proto = 1};
    ip_header(buf + 14, &ip, icmp_len);
    uint8_t *m = buf + 34;
    memset(m, 0, 8);
    m[0] = 3;
    m[1] = 4;
    wr16(m + 6, 1400);
    memcpy(m + 8, inner + 14, quoted_bytes);
    wr16(m + 2, csum_fold(csum_add(0, m, icmp_len)));
    return 34 + icmp_len;
}

Test(decode, icmp_frag_needed_quotes_the_datagram)
{
    uint8_t buf[200];
    uint32_t len = frag_needed(buf, 28);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_ICMP);
    cr_assert_eq(s.icmp_type, 3);
    cr_assert_eq(s.icmp_code, 4);
    cr_assert_eq(s.icmp_mtu, 1400);
    cr_assert_eq(s.inner_proto, 6);
    cr_assert_eq(s.inner_src, CLIENT);
    cr_assert_eq(s.inner_dst, SERVER);
    cr_assert_eq(s.inner_sport, 40000);
    cr_assert_eq(s.inner_dport, 80);
}

Test(decode, arp)
{
    uint8_t buf[64];
    uint32_t len = build_arp(buf, 1, CLIENT, SERVER);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_ARP);
    cr_assert_eq(s.arp_op, 1);
    cr_assert_eq(s.arp_spa, CLIENT);
    cr_assert_eq(s.arp_tpa, SERVER);
    cr_assert_eq(s.arp_sha[5], 1);
}

Test(decode, unknown_ethertype_is_other)
{
    uint8_t buf[60] = {0};
    eth_header(buf, 0x86dd);
    struct frame_summary s;
    cr_assert(frame_decode(buf, sizeof buf, &s));
    cr_assert_eq(s.proto, DEC_OTHER);
    cr_assert_eq(s.ethertype, 0x86dd);
}

/* A UDP datagram of 3000 bytes split in two fragments by hand. */
static uint32_t udp_fragment(uint8_t *buf, bool first)
{
    uint8_t whole[3100];
    build_udp(whole, CLIENT, SERVER, 7000, 9000, 3000);
    uint32_t piece = first ? 1480 : 3008 - 1480;
    eth_header(buf, 0x0800);
    struct ip_spec ip = {
        .src = CLIENT, .dst = SERVER, .proto = 17, .id = 99, .frag = first ? 0x2000 : 1480 / 8};
    ip_header(buf + 14, &ip, piece);
    memcpy(buf + 34, whole + 34 + (first ? 0 : 1480), piece);
    return 34 + piece;
}

Test(decode, first_fragment_carries_the_ports)
{
    uint8_t buf[1600];
    uint32_t len = udp_fragment(buf, true);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_UDP);
    cr_assert(s.fragment);
    cr_assert(s.mf);
    cr_assert_eq(s.frag_offset, 0);
    cr_assert_eq(s.sport, 7000);
    cr_assert_eq(s.payload_len, 1480 - 8);
}

Test(decode, later_fragment_has_no_transport_header)
{
    uint8_t buf[1600];
    uint32_t len = udp_fragment(buf, false);
    struct frame_summary s;
    cr_assert(frame_decode(buf, len, &s));
    cr_assert_eq(s.proto, DEC_IP);
    cr_assert_eq(s.ip_proto, 17);
    cr_assert(s.fragment);
    cr_assert_not(s.mf);
    cr_assert_eq(s.frag_offset, 1480);
    cr_assert_eq(s.sport, 0);
}

Test(decode, bad_ip_checksum_is_reported)
{
    uint8_t buf[100];
    uint32_t len = build_icmp_echo(buf, CLIENT, SERVER, 8, 1, 1);
    buf[14 + 8] ^= 0x01; /* the TTL */
    struct frame_summary s;
    frame_decode(buf, len, &s);
    cr_assert_not(s.ip_csum_ok);
    cr_assert_eq(s.proto, DEC_ICMP, "the layers are still decoded");
}

/* Every prefix of a frame decodes without reading past it (ASan watches the
 * exact-size copy) and all but the whole frame are malformed. */
static void check_prefixes(const uint8_t *frame, uint32_t len, enum dec_proto whole)
{
    for (uint32_t n = 0; n <= len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, frame, n);
        struct frame_summary s;
        bool ok = frame_decode(copy, n, &s);
        free(copy);
        if (n == len) {
            cr_assert(ok);
            cr_assert_eq(s.proto, whole);
        } else {
            cr_assert(s.malformed, "prefix %u of %u not malformed", n, len);
            cr_assert_not(ok);
            cr_assert_neq(s.proto, whole, "prefix %u decoded as complete", n);
        }
    }
}

Test(decode, truncated_tcp_never_overreads)
{
    uint8_t buf[200];
    uint32_t len = syn_with_options(buf);
    check_prefixes(buf, len, DEC_TCP);
}

Test(decode, truncated_udp_icmp_arp_never_overread)
{
    uint8_t buf[200];
    check_prefixes(buf, build_udp(buf, CLIENT, SERVER, 1, 2, 10), DEC_UDP);
    check_prefixes(buf, build_icmp_echo(buf, CLIENT, SERVER, 0, 1, 2), DEC_ICMP);
    check_prefixes(buf, build_arp(buf, 2, CLIENT, SERVER), DEC_ARP);
}

Test(decode, truncation_stops_at_the_last_complete_layer)
{
    uint8_t buf[200];
    uint32_t len = syn_with_options(buf);
    struct frame_summary s;
    frame_decode(buf, 14 + 10, &s);
    cr_assert_eq(s.proto, DEC_OTHER);
    cr_assert_eq(s.ethertype, 0x0800);
    /* The IPv4 header is whole, the datagram is not. */
    frame_decode(buf, len - 4, &s);
    cr_assert(s.malformed);
    cr_assert_eq(s.proto, DEC_IP);
    cr_assert_eq(s.ip_src, CLIENT);
}

Test(decode, bad_option_length_is_malformed)
{
    static const uint8_t bad[] = {1, 1, 2, 9}; /* MSS claiming 9 bytes */
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .flags = DEC_SYN, .opts = bad, .optlen = sizeof bad};
    uint8_t buf[100];
    uint32_t len = build_tcp(buf, &t);
    struct frame_summary s;
    cr_assert_not(frame_decode(buf, len, &s));
    cr_assert(s.malformed);
    cr_assert_eq(s.proto, DEC_TCP);
    cr_assert_eq(s.flags, DEC_SYN);
}

Test(decode, window_scale_above_14_reads_as_14)
{
    static const uint8_t ws[] = {3, 3, 20, 0};
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .flags = DEC_SYN, .opts = ws, .optlen = sizeof ws};
    uint8_t buf[100];
    struct frame_summary s;
    frame_decode(buf, build_tcp(buf, &t), &s);
    cr_assert_eq(s.opt_wscale, 14);
}

/* ---- names ---- */

Test(decode_names, tcp_flags_string_in_fixed_order)
{
    char buf[40];
    cr_assert_str_eq(dec_tcp_flags_str(DEC_SYN | DEC_ACK, buf), "SYN,ACK");
    cr_assert_str_eq(dec_tcp_flags_str(DEC_ACK | DEC_FIN, buf), "FIN,ACK");
    cr_assert_str_eq(dec_tcp_flags_str(DEC_RST | DEC_ACK, buf), "RST,ACK");
    cr_assert_str_eq(dec_tcp_flags_str(0xff, buf), "SYN,FIN,RST,PSH,ACK,URG,ECE,CWR");
    cr_assert_str_eq(dec_tcp_flags_str(0, buf), "");
}

Test(decode_names, tcp_flags_parse)
{
    uint8_t f = 0;
    cr_assert(dec_tcp_flags_parse("SYN,ACK", &f));
    cr_assert_eq(f, DEC_SYN | DEC_ACK);
    cr_assert(dec_tcp_flags_parse("ack, syn", &f));
    cr_assert_eq(f, DEC_SYN | DEC_ACK);
    cr_assert(dec_tcp_flags_parse("fin", &f));
    cr_assert_eq(f, DEC_FIN);
    f = 0x55;
    cr_assert_not(dec_tcp_flags_parse("SYN,BOGUS", &f));
    cr_assert_not(dec_tcp_flags_parse("", &f));
    cr_assert_not(dec_tcp_flags_parse("SYN,", &f));
    cr_assert_not(dec_tcp_flags_parse("SYNACK", &f));
    cr_assert_eq(f, 0x55, "a failed parse leaves the output alone");
}

Test(decode_names, ip_and_proto_names)
{
    char buf[16];
    cr_assert_str_eq(dec_ip_str(IP(10, 0, 0, 1), buf), "10.0.0.1");
    cr_assert_str_eq(dec_ip_str(IP(255, 255, 255, 255), buf), "255.255.255.255");
    cr_assert_str_eq(dec_proto_name(DEC_ARP), "arp");
    cr_assert_str_eq(dec_proto_name(DEC_IP), "ip");
    cr_assert_str_eq(dec_proto_name(DEC_ICMP), "icmp");
    cr_assert_str_eq(dec_proto_name(DEC_UDP), "udp");
    cr_assert_str_eq(dec_proto_name(DEC_TCP), "tcp");
    cr_assert_str_eq(dec_proto_name(DEC_OTHER), "other");
}

/* ---- relative sequence numbers ---- */

static struct frame_summary seg(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                uint32_t seq, uint32_t ack, uint8_t flags)
{
    uint8_t buf[100];
    struct tcp_spec t = {.src = src,
                         .dst = dst,
                         .sport = sport,
                         .dport = dport,
                         .seq = seq,
                         .ack = ack,
                         .flags = flags};
    struct frame_summary s;
    frame_decode(buf, build_tcp(buf, &t), &s);
    return s;
}

static void observe(struct seqrel *t, struct frame_summary s, uint32_t want_seq, uint32_t want_ack)
{
    uint32_t rs, ra;
    seqrel_observe(t, &s, &rs, &ra);
    cr_assert_eq(rs, want_seq, "rel seq %u, expected %u", rs, want_seq);
    cr_assert_eq(ra, want_ack, "rel ack %u, expected %u", ra, want_ack);
}

Test(seqrel, handshake_is_relative_to_each_isn)
{
    struct seqrel t;
    seqrel_init(&t);
    observe(&t, seg(CLIENT, SERVER, 40000, 80, 1000, 0, DEC_SYN), 0, 0);
    observe(&t, seg(SERVER, CLIENT, 80, 40000, 0xfffffff0u, 1001, DEC_SYN | DEC_ACK), 0, 1);
    observe(&t, seg(CLIENT, SERVER, 40000, 80, 1001, 0xfffffff1u, DEC_ACK), 1, 1);
    /* Wraps around 2^32 like the wire numbers. */
    observe(&t, seg(SERVER, CLIENT, 80, 40000, 0xfffffff1u + 100, 1001, DEC_ACK), 101, 1);
    seqrel_destroy(&t);
}

Test(seqrel, first_segment_seen_is_the_base_without_a_syn)
{
    struct seqrel t;
    seqrel_init(&t);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 5000, 777, DEC_ACK), 0, 0);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 5100, 777, DEC_ACK), 100, 0);
    seqrel_destroy(&t);
}

Test(seqrel, new_syn_restarts_the_base)
{
    struct seqrel t;
    seqrel_init(&t);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 1000, 0, DEC_SYN), 0, 0);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 1500, 0, DEC_ACK), 500, 0);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 90000, 0, DEC_SYN), 0, 0);
    observe(&t, seg(CLIENT, SERVER, 1, 2, 90001, 0, DEC_ACK), 1, 0);
    seqrel_destroy(&t);
}

Test(seqrel, many_connections_grow_the_table)
{
    struct seqrel t;
    seqrel_init(&t);
    for (uint32_t i = 0; i < 1000; i++)
        observe(&t, seg(CLIENT, SERVER, (uint16_t)(10000 + i), 80, i * 1000, 0, DEC_SYN), 0, 0);
    for (uint32_t i = 0; i < 1000; i++)
        observe(&t, seg(CLIENT, SERVER, (uint16_t)(10000 + i), 80, i * 1000 + i, 0, DEC_ACK), i, 0);
    cr_assert_eq(t.used, 1000);
    cr_assert_gt(t.cap, 1000);
    seqrel_destroy(&t);
}

Test(seqrel, non_tcp_is_zero)
{
    struct seqrel t;
    seqrel_init(&t);
    uint8_t buf[100];
    struct frame_summary s;
    frame_decode(buf, build_udp(buf, CLIENT, SERVER, 1, 2, 3), &s);
    observe(&t, s, 0, 0);
    cr_assert_eq(t.used, 0);
    seqrel_destroy(&t);
}

/* ---- filters ---- */

static struct frame_summary decoded(const uint8_t *buf, uint32_t len)
{
    struct frame_summary s;
    frame_decode(buf, len, &s);
    return s;
}

Test(filter, empty_filter_matches_everything)
{
    struct frame_filter f = {0};
    uint8_t buf[100];
    struct frame_summary s = decoded(buf, build_arp(buf, 1, CLIENT, SERVER));
    cr_assert(frame_filter_match(&f, &s, 0));
}

Test(filter, proto_ip_matches_any_ipv4)
{
    struct frame_filter f = {.has_proto = true, .proto = DEC_IP};
    uint8_t buf[1600];
    struct frame_summary s = decoded(buf, build_udp(buf, CLIENT, SERVER, 1, 2, 3));
    cr_assert(frame_filter_match(&f, &s, 0));
    s = decoded(buf, build_icmp_echo(buf, CLIENT, SERVER, 8, 1, 1));
    cr_assert(frame_filter_match(&f, &s, 0));
    s = decoded(buf, build_arp(buf, 1, CLIENT, SERVER));
    cr_assert_not(frame_filter_match(&f, &s, 0));
}

Test(filter, udp_matches_every_fragment)
{
    struct frame_filter udp = {.has_proto = true, .proto = DEC_UDP};
    struct frame_filter tcp = {.has_proto = true, .proto = DEC_TCP};
    uint8_t buf[1600];
    for (int first = 0; first < 2; first++) {
        struct frame_summary s = decoded(buf, udp_fragment(buf, first));
        cr_assert(frame_filter_match(&udp, &s, 0));
        cr_assert_not(frame_filter_match(&tcp, &s, 0));
    }
}

Test(filter, arp_and_icmp)
{
    struct frame_filter arp = {.has_proto = true, .proto = DEC_ARP};
    struct frame_filter icmp = {.has_proto = true, .proto = DEC_ICMP};
    uint8_t buf[100];
    struct frame_summary s = decoded(buf, build_arp(buf, 1, CLIENT, SERVER));
    cr_assert(frame_filter_match(&arp, &s, 0));
    cr_assert_not(frame_filter_match(&icmp, &s, 0));
    s = decoded(buf, build_icmp_echo(buf, CLIENT, SERVER, 8, 1, 1));
    cr_assert(frame_filter_match(&icmp, &s, 0));
    cr_assert_not(frame_filter_match(&arp, &s, 0));
}

Test(filter, tcp_flags_at_least)
{
    struct frame_filter syn = {.has_flags = true, .tcp_flags = DEC_SYN};
    struct frame_filter synack = {.has_flags = true, .tcp_flags = DEC_SYN | DEC_ACK};
    struct frame_summary s1 = seg(CLIENT, SERVER, 1, 2, 0, 0, DEC_SYN);
    struct frame_summary s2 = seg(SERVER, CLIENT, 2, 1, 0, 1, DEC_SYN | DEC_ACK);
    struct frame_summary s3 = seg(CLIENT, SERVER, 1, 2, 1, 1, DEC_ACK);
    cr_assert(frame_filter_match(&syn, &s1, 0));
    cr_assert(frame_filter_match(&syn, &s2, 0));
    cr_assert_not(frame_filter_match(&syn, &s3, 0));
    cr_assert_not(frame_filter_match(&synack, &s1, 0));
    cr_assert(frame_filter_match(&synack, &s2, 0));
    uint8_t buf[100];
    struct frame_summary u = decoded(buf, build_udp(buf, CLIENT, SERVER, 1, 2, 3));
    cr_assert_not(frame_filter_match(&syn, &u, 0));
}

Test(filter, relative_seq_and_len)
{
    struct frame_filter f = {.has_seq = true, .seq = 1001, .has_len = true, .len = 100};
    uint8_t buf[300];
    struct tcp_spec t = {
        .src = CLIENT, .dst = SERVER, .seq = 5000, .flags = DEC_ACK, .payload = 100};
    struct frame_summary s = decoded(buf, build_tcp(buf, &t));
    cr_assert(frame_filter_match(&f, &s, 1001));
    cr_assert_not(frame_filter_match(&f, &s, 1));
    t.payload = 99;
    s = decoded(buf, build_tcp(buf, &t));
    cr_assert_not(frame_filter_match(&f, &s, 1001));
    struct frame_filter ulen = {.has_len = true, .len = 3};
    s = decoded(buf, build_udp(buf, CLIENT, SERVER, 1, 2, 3));
    cr_assert(frame_filter_match(&ulen, &s, 0));
}
