/* The byte rings: storage grows with the bytes held and is freed when
 * drained, without changing what TCP sends or delivers. */
#include "tcp_harness.h"

static struct fixture fx;
static uint8_t payload[20000];

static void setup(void)
{
    fx_init(&fx, NULL);
    for (uint32_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + (i >> 8));
}
static void teardown(void)
{
    fx_fini(&fx);
}

TestSuite(tcp_ring, .init = setup, .fini = teardown);

Test(tcp_ring, wrapped_bytes_keep_their_order_when_the_ring_grows)
{
    struct tcp_ring r = {0};
    cr_assert(tcp_ring_reserve(&r, 3000, 1 << 20, NULL));
    cr_expect_eq(r.cap, 4096);
    tcp_ring_write_at(&r, 0, payload, 3000);
    r.len = 3000;
    tcp_ring_consume(&r, 2500);
    tcp_ring_write_at(&r, r.len, payload + 3000, 3000); /* wraps around */
    r.len += 3000;
    cr_assert(tcp_ring_reserve(&r, r.len + 4000, 1 << 20, NULL));
    cr_expect_eq(r.cap, 8192);
    uint8_t out[3500];
    tcp_ring_read_at(&r, 0, out, sizeof(out));
    cr_expect_arr_eq(out, payload + 2500, sizeof(out));
    tcp_ring_release(&r, NULL);
}

Test(tcp_ring, growth_stops_at_the_buffer_size)
{
    struct tcp_ring r = {0};
    cr_assert(tcp_ring_reserve(&r, 9000, 10000, NULL));
    cr_expect_eq(r.cap, 10000);
    tcp_ring_release(&r, NULL);
    cr_expect_null(r.buf);
}

Test(tcp_ring, idle_connection_holds_no_ring_storage)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_expect_null(s->snd.buf);
    cr_expect_null(s->rcv.buf);
}

Test(tcp_ring, send_ring_grows_with_the_data_queued)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_assert_eq(tcp_send(s, payload, 100), 100);
    cr_expect_eq(s->snd.cap, 4096);
    cr_assert_eq(tcp_send(s, payload + 100, 9900), 9900);
    cr_expect_eq(s->snd.cap, 16384, "cap %u for 10000 bytes", s->snd.cap);
    cr_expect_lt(s->snd.cap, fx.th->cfg.sndbuf);
    drop_output(&fx);
}

Test(tcp_ring, send_ring_is_freed_once_everything_is_acked)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_assert_eq(tcp_send(s, payload, 2920), 2920);
    uint8_t buf[2920];
    struct tcp_seg seg;
    uint32_t got = 0;
    while (next_seg(&fx, &seg, buf + got))
        got += seg.len;
    cr_assert_eq(got, 2920);
    cr_expect_arr_eq(buf, payload, 2920, "what went out is what was queued");
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 2921});
    cr_expect_null(s->snd.buf);
    cr_expect_eq(tcp_send(s, payload, 10), 10, "and comes back for new data");
    drop_output(&fx);
}

Test(tcp_ring, receive_ring_is_freed_when_read_but_kept_for_out_of_order_data)
{
    struct tcp_sock *s = sock_established(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 1,
                               .ack = s->iss + 1,
                               .data = payload,
                               .len = 1000});
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 2001,
                               .ack = s->iss + 1,
                               .data = payload + 2000,
                               .len = 1000});
    uint8_t out[3000];
    cr_assert_eq(tcp_recv(s, out, sizeof(out)), 1000);
    cr_expect_not_null(s->rcv.buf, "the out-of-order segment is still held");
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 1001,
                               .ack = s->iss + 1,
                               .data = payload + 1000,
                               .len = 1000});
    cr_assert_eq(tcp_recv(s, out + 1000, 2000), 2000);
    cr_expect_arr_eq(out, payload, 3000);
    cr_expect_null(s->rcv.buf);
    drop_output(&fx);
}

/* ---- storage kept by the host for the next ring ---- */

static void receive_at(struct tcp_sock *s, uint32_t off, uint32_t len)
{
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 1 + off,
                               .ack = s->iss + 1,
                               .data = payload + off,
                               .len = len});
}

Test(tcp_ring, a_drained_ring_leaves_its_storage_to_the_next_segment)
{
    struct tcp_sock *s = sock_established(&fx);
    uint8_t out[1000];
    receive_at(s, 0, 1000);
    const uint8_t *first = s->rcv.buf;
    cr_assert_eq(tcp_recv(s, out, sizeof(out)), 1000);
    cr_expect_null(s->rcv.buf);
    cr_expect_eq(fx.th->spares.n, 1, "kept by the host");
    receive_at(s, 1000, 1000);
    cr_expect_eq(s->rcv.buf, first, "reused, not allocated");
    cr_expect_eq(fx.th->spares.n, 0);
    cr_assert_eq(tcp_recv(s, out, sizeof(out)), 1000);
    cr_expect_arr_eq(out, payload + 1000, 1000);
    drop_output(&fx);
}

Test(tcp_ring, a_host_keeps_only_a_few_spare_buffers)
{
    struct tcp_ring r[TCP_RING_SPARES + 2] = {0};
    struct tcp_ring_spares sp = {0};
    for (uint32_t k = 0; k < TCP_RING_SPARES + 2; k++)
        cr_assert(tcp_ring_reserve(&r[k], 100, 1 << 20, &sp));
    for (uint32_t k = 0; k < TCP_RING_SPARES + 2; k++)
        tcp_ring_release(&r[k], &sp);
    cr_expect_eq(sp.n, TCP_RING_SPARES, "the rest were freed");
    tcp_ring_spares_free(&sp);
    cr_expect_eq(sp.n, 0);
}

Test(tcp_ring, large_storage_is_freed_rather_than_kept)
{
    struct tcp_ring r = {0};
    struct tcp_ring_spares sp = {0};
    cr_assert(tcp_ring_reserve(&r, TCP_RING_SPARE_MAX + 1, 1 << 20, &sp));
    tcp_ring_release(&r, &sp);
    cr_expect_eq(sp.n, 0);
}

Test(tcp_ring, a_spare_too_small_is_not_taken)
{
    struct tcp_ring small = {0}, big = {0};
    struct tcp_ring_spares sp = {0};
    cr_assert(tcp_ring_reserve(&small, 100, 1 << 20, &sp));
    tcp_ring_release(&small, &sp);
    cr_assert(tcp_ring_reserve(&big, 10000, 1 << 20, &sp));
    cr_expect_geq(big.cap, 10000);
    cr_expect_eq(sp.n, 1, "the 4 KiB spare stays for a smaller ring");
    tcp_ring_release(&big, NULL);
    tcp_ring_spares_free(&sp);
}

/* ---- payload sources: bytes made when a segment is built ---- */

/* The payload of the test: byte k of the stream is payload[k]. */
static uint32_t payload_at(void *ctx, uint64_t offset, uint8_t *dst, uint32_t n)
{
    uint32_t *calls = ctx;
    (*calls)++;
    memcpy(dst, payload + offset, n);
    return inet_csum_add(0, dst, n);
}

Test(tcp_ring, generated_bytes_hold_no_storage_and_go_out_in_order)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t calls = 0;
    cr_assert(tcp_set_payload_source(s, payload_at, &calls));
    cr_assert_eq(tcp_send_generated(s, 2920), 2920);
    cr_expect_null(s->snd.buf, "a count, no bytes");
    cr_expect_eq(s->snd.len, 2920);
    uint8_t buf[2920];
    struct tcp_seg seg;
    uint32_t got = 0;
    while (next_seg(&fx, &seg, buf + got))
        got += seg.len;
    cr_assert_eq(got, 2920);
    cr_expect_arr_eq(buf, payload, 2920);
    cr_expect_eq(calls, 2, "one call per segment");
}

Test(tcp_ring, generated_bytes_after_an_ack_start_at_their_stream_offset)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t calls = 0;
    cr_assert(tcp_set_payload_source(s, payload_at, &calls));
    cr_assert_eq(tcp_send_generated(s, 1460), 1460);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 1461});
    cr_assert_eq(tcp_send_generated(s, 1000), 1000);
    uint8_t buf[1460];
    struct tcp_seg seg;
    cr_assert(next_seg(&fx, &seg, buf));
    cr_assert_eq(seg.len, 1000);
    cr_expect_arr_eq(buf, payload + 1460, 1000);
}

Test(tcp_ring, a_retransmission_is_generated_again)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t calls = 0;
    cr_assert(tcp_set_payload_source(s, payload_at, &calls));
    cr_assert_eq(tcp_send_generated(s, 3000), 3000);
    drop_output(&fx);
    /* The first 1460 bytes are acknowledged; the rest times out. */
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 1461});
    fx_run(&fx, fx.sim.now + 5 * SIM_SEC);
    uint8_t buf[1460];
    struct tcp_seg seg;
    cr_assert(next_seg(&fx, &seg, buf));
    cr_assert_eq(seg.seq, s->iss + 1461);
    cr_assert_gt(seg.len, 0);
    cr_expect_arr_eq(buf, payload + 1460, seg.len);
    drop_output(&fx);
}

Test(tcp_ring, real_and_generated_bytes_do_not_mix)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t calls = 0;
    cr_expect_eq(tcp_send_generated(s, 10), 0, "no source yet");
    cr_assert_eq(tcp_send(s, payload, 10), 10);
    cr_expect_not(tcp_set_payload_source(s, payload_at, &calls), "bytes were queued");
    drop_output(&fx);
    struct tcp_sock *t = sock_established_from(&fx, REMOTE_PORT + 1);
    cr_assert(tcp_set_payload_source(t, payload_at, &calls));
    cr_expect_eq(tcp_send(t, payload, 10), 0, "a generated stream takes no bytes");
    drop_output(&fx);
}
