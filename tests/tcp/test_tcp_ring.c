/* The byte rings: storage grows with the bytes held and is freed when
 * drained, without changing what TCP sends or delivers. */
#include "tcp_harness.h"

static struct fixture fx;
static uint8_t payload[65536];

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

Test(tcp_ring, bytes_keep_their_order_across_pages_consumed_and_refilled)
{
    struct tcp_ring r = {0};
    cr_assert(tcp_ring_write_at(&r, 0, payload, 3000, NULL, NULL));
    r.len = 3000;
    tcp_ring_consume(&r, 2500, NULL);
    cr_assert(
        tcp_ring_write_at(&r, r.len, payload + 3000, 3000, NULL, NULL)); /* into a second page */
    r.len += 3000;
    cr_assert(tcp_ring_write_at(&r, r.len, payload + 6000, 9000, NULL, NULL)); /* the table grows */
    r.len += 9000;
    cr_expect_gt(r.slots, TCP_RING_INLINE);
    uint8_t out[12500];
    tcp_ring_read_at(&r, 0, out, sizeof(out), NULL);
    cr_expect_arr_eq(out, payload + 2500, sizeof(out));
    tcp_ring_consume(&r, 10000, NULL);
    tcp_ring_read_at(&r, 0, out, 2500, NULL);
    cr_expect_arr_eq(out, payload + 12500, 2500);
    tcp_ring_release(&r, NULL);
    cr_expect_eq(r.held, 0);
}

Test(tcp_ring, out_of_order_bytes_hold_only_the_pages_they_touch)
{
    struct tcp_ring r = {0};
    cr_assert(tcp_ring_write_at(&r, 200000, payload, 100, NULL, NULL));
    cr_expect_eq(r.held, 1, "no page for the hole before it");
    cr_assert(tcp_ring_write_at(&r, 0, payload + 100, 100, NULL, NULL));
    cr_expect_eq(r.held, 2);
    uint8_t out[100];
    tcp_ring_read_at(&r, 200000, out, 100, NULL);
    cr_expect_arr_eq(out, payload, 100);
    tcp_ring_release(&r, NULL);
}

Test(tcp_ring, consumed_pages_go_back_at_once)
{
    struct tcp_ring r = {0};
    cr_assert(tcp_ring_write_at(&r, 0, payload, 3 * TCP_PAGE, NULL, NULL));
    r.len = 3 * TCP_PAGE;
    cr_expect_eq(r.held, 3);
    tcp_ring_consume(&r, TCP_PAGE + 1, NULL);
    cr_expect_eq(r.held, 2, "the first page, wholly read");
    tcp_ring_release(&r, NULL);
}

Test(tcp_ring, idle_connection_holds_no_ring_storage)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_expect_eq(s->x->snd.held + s->x->rcv.held, 0);
    cr_expect_eq(s->x->snd.slots + s->x->rcv.slots, 0);
}

Test(tcp_ring, send_ring_grows_with_the_data_queued)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_assert_eq(tcp_send(s, payload, 100), 100);
    cr_expect_eq(s->x->snd.held, 1);
    cr_assert_eq(tcp_send(s, payload + 100, 9900), 9900);
    cr_expect_eq(s->x->snd.held, 3, "%u pages for 10000 bytes", s->x->snd.held);
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
    cr_expect_eq(s->x->snd.held, 0);
    cr_expect_eq(s->x->snd.slots, 0);
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
    cr_expect_eq(s->x->rcv.held, 1, "the out-of-order segment is still held");
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 1001,
                               .ack = s->iss + 1,
                               .data = payload + 1000,
                               .len = 1000});
    cr_assert_eq(tcp_recv(s, out + 1000, 2000), 2000);
    cr_expect_arr_eq(out, payload, 3000);
    cr_expect_eq(s->x->rcv.held, 0);
    drop_output(&fx);
}

/* ---- pages kept by the host for the next ring ---- */

static void receive_bytes(struct tcp_sock *s, uint32_t off, const uint8_t *d, uint32_t len)
{
    send_seg(&fx, (struct seg){.flags = TCP_ACK,
                               .seq = REMOTE_ISN + 1 + off,
                               .ack = s->iss + 1,
                               .data = d,
                               .len = len});
}

static void receive_at(struct tcp_sock *s, uint32_t off, uint32_t len)
{
    receive_bytes(s, off, payload + off, len);
}

static const uint8_t *first_page(const struct tcp_ring *r)
{
    return r->slots > TCP_RING_INLINE ? r->u.table[r->first] : r->u.inline_pages[r->first];
}

Test(tcp_ring, a_drained_ring_leaves_its_page_to_the_next_segment)
{
    struct tcp_sock *s = sock_established(&fx);
    uint8_t out[1000];
    receive_at(s, 0, 1000);
    const uint8_t *page = first_page(&s->x->rcv);
    cr_assert_eq(tcp_recv(s, out, sizeof(out)), 1000);
    cr_expect_eq(s->x->rcv.held, 0);
    cr_expect_eq(fx.th->pages.n, 1, "kept by the host");
    receive_at(s, 1000, 1000);
    cr_expect_eq(first_page(&s->x->rcv), page, "reused, not allocated");
    cr_expect_eq(fx.th->pages.n, 0);
    cr_assert_eq(tcp_recv(s, out, sizeof(out)), 1000);
    cr_expect_arr_eq(out, payload + 1000, 1000);
    drop_output(&fx);
}

Test(tcp_ring, a_host_keeps_only_a_few_pages)
{
    struct tcp_ring r = {0};
    struct tcp_page_pool pool = {0};
    cr_assert(tcp_ring_write_at(&r, 0, payload, sizeof(payload), &pool, NULL));
    cr_expect_eq(r.held, (sizeof(payload) + TCP_PAGE - 1) / TCP_PAGE);
    cr_assert_gt(r.held, TCP_POOL_PAGES);
    tcp_ring_release(&r, &pool);
    cr_expect_eq(pool.n, TCP_POOL_PAGES, "the rest were freed");
    tcp_page_pool_free(&pool);
    cr_expect_eq(pool.n, 0);
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
    cr_expect_eq(s->x->snd.held, 0, "a count, no bytes");
    cr_expect_eq(s->x->snd.len, 2920);
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

/* A generated stream's ring is a count: consuming it, far past a page, must
 * not touch a page table it does not have. */
Test(tcp_ring, acks_of_many_pages_of_generated_bytes_free_nothing)
{
    struct tcp_sock *s = sock_established(&fx);
    uint32_t calls = 0;
    cr_assert(tcp_set_payload_source(s, payload_at, &calls));
    cr_assert_eq(tcp_send_generated(s, 14600), 14600);
    drop_output(&fx);
    send_seg(&fx, (struct seg){.flags = TCP_ACK, .seq = REMOTE_ISN + 1, .ack = s->iss + 14601});
    cr_expect_eq(s->x->snd.len, 0);
    cr_expect_eq(s->x->snd.held, 0);
    cr_expect_eq(fx.th->pages.n, 0);
    drop_output(&fx);
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

/* ---- expected payload: matching bytes held as marks ---- */

static uint32_t expect_calls;

static struct tcp_sock *expecting(void)
{
    struct tcp_sock *s = sock_established(&fx);
    cr_assert(tcp_set_payload_expect(s, payload_at, &expect_calls));
    return s;
}

Test(tcp_ring, expected_bytes_in_and_out_of_order_take_no_pages)
{
    struct tcp_sock *s = expecting();
    receive_bytes(s, 3000, payload + 3000, 1000); /* out of order */
    receive_bytes(s, 0, payload, 1460);
    cr_expect_eq(s->x->rcv.held, 0);
    receive_bytes(s, 1460, payload + 1460, 1540);
    cr_expect_eq(s->x->rcv.held, 0);
    uint8_t out[4000];
    cr_assert_eq(tcp_recv(s, out, sizeof out), 4000);
    cr_expect_arr_eq(out, payload, 4000);
    drop_output(&fx);
}

Test(tcp_ring, a_byte_that_differs_is_stored_and_read_as_it_came)
{
    struct tcp_sock *s = expecting();
    uint8_t seg[1000];
    memcpy(seg, payload + 500, sizeof seg);
    seg[123] ^= 0x40;
    receive_bytes(s, 500, seg, sizeof seg); /* out of order: held */
    cr_expect_eq(s->x->rcv.held, 1);
    receive_bytes(s, 0, payload, 500);
    uint8_t out[1500];
    cr_assert_eq(tcp_recv(s, out, sizeof out), 1500);
    cr_expect_arr_eq(out, payload, 500);
    cr_expect_arr_eq(out + 500, seg, sizeof seg, "what arrived, not what was expected");
    drop_output(&fx);
}

Test(tcp_ring, a_marked_page_keeps_its_bytes_when_a_differing_run_joins_it)
{
    struct tcp_sock *s = expecting();
    receive_bytes(s, 1000, payload + 1000, 1000); /* marked */
    uint8_t seg[1000];
    memcpy(seg, payload + 2000, sizeof seg);
    seg[999] ^= 1;
    receive_bytes(s, 2000, seg, sizeof seg); /* same page: it gets storage */
    cr_expect_eq(s->x->rcv.held, 1);
    receive_bytes(s, 0, payload, 1000);
    uint8_t out[3000];
    cr_assert_eq(tcp_recv(s, out, sizeof out), 3000);
    cr_expect_arr_eq(out, payload, 2999);
    cr_expect_eq(out[2999], seg[999]);
    drop_output(&fx);
}

Test(tcp_ring, the_expectation_cannot_change_under_held_bytes)
{
    struct tcp_sock *s = sock_established(&fx);
    receive_bytes(s, 0, payload, 100);
    cr_expect_not(tcp_set_payload_expect(s, payload_at, &expect_calls));
    uint8_t out[100];
    cr_assert_eq(tcp_recv(s, out, sizeof out), 100);
    cr_expect(tcp_set_payload_expect(s, payload_at, &expect_calls));
    drop_output(&fx);
}
