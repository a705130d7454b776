/* TCP bound to the real IP stack: dispatch of protocol 6, routing, ARP and
 * path MTU discovery working together. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"
#include "stack/tcp/tcp.h"

static struct world W;

static void fini(void)
{
    world_fini(&W);
}

TestSuite(stack_tcp, .fini = fini);

#define TOTAL 100000u

struct xfer {
    uint32_t sent, received;
    bool intact, connected;
    struct tcp_sock *client;
};

static uint8_t byte_at(uint32_t k)
{
    return (uint8_t)(k % 251);
}

static void push(struct xfer *x)
{
    uint8_t buf[4096];
    while (x->sent < TOTAL) {
        uint32_t n = TOTAL - x->sent < sizeof(buf) ? TOTAL - x->sent : sizeof(buf);
        for (uint32_t k = 0; k < n; k++)
            buf[k] = byte_at(x->sent + k);
        uint32_t put = tcp_send(x->client, buf, n);
        x->sent += put;
        if (put < n)
            return;
    }
}

static void on_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    struct xfer *x = ctx;
    x->connected = true;
    push(x);
}

static void on_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s, (void)now;
    push(ctx);
}

static void on_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)now;
    struct xfer *x = ctx;
    uint8_t buf[4096];
    uint32_t n;
    while ((n = tcp_recv(s, buf, sizeof(buf))) > 0) {
        for (uint32_t k = 0; k < n; k++)
            if (buf[k] != byte_at(x->received + k))
                x->intact = false;
        x->received += n;
    }
}

static const struct tcp_sock_ops child_ops = {.on_readable = on_readable};

static void on_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *child, sim_time now)
{
    (void)l, (void)now;
    tcp_set_ops(child, &child_ops, ctx);
}

static const struct tcp_sock_ops server_ops = {.on_accept = on_accept};
static const struct tcp_sock_ops client_ops = {.on_connected = on_connected,
                                               .on_writable = on_writable};

static void transfer(struct xfer *x, uint32_t mtu2)
{
    world_three(&W, mtu2);
    struct tcp_config c;
    tcp_config_default(&c);
    /* Segments carry s->mss data bytes plus options; without timestamps a
     * full segment is exactly the MTU. */
    c.timestamps = false;
    for (uint32_t k = 0; k < 3; k++)
        cr_assert(tcp_attach(W.h[k], &c));
    memset(x, 0, sizeof(*x));
    x->intact = true;
    cr_assert(tcp_listen(W.h[2], 80, 8, "srv", &server_ops, x));
    x->client = tcp_connect(W.h[0], IP(10, 0, 2, 1), 80, 0, "c1", "c1", &client_ops, x);
    cr_assert(x->client);
    run_for(&W, 30 * SIM_SEC);
}

Test(stack_tcp, data_crosses_a_router_intact)
{
    struct xfer x;
    transfer(&x, 1500);
    cr_assert(x.connected);
    cr_assert_eq(x.received, TOTAL);
    cr_assert(x.intact);
    cr_assert_eq(host_counter(W.h[1]).drop_checksum, 0);
}

/* Flips one payload bit of the third full-sized segment on its way to the
 * router, as a corrupting link does: the frame loses its checksum trust. */
static bool damage_third_data_segment(struct wire *w, int side, struct frame *f, void *ctx)
{
    (void)w;
    uint32_t *seen = ctx;
    if (side == 0 && f->len > 1000 && ++*seen == 3) {
        f->data[f->len - 100] ^= 0x10;
        f->csum_ok = false;
    }
    return true;
}

Test(stack_tcp, a_damaged_segment_is_dropped_by_its_checksum_and_sent_again)
{
    struct xfer x;
    uint32_t seen = 0;
    world_three(&W, 1500);
    W.w[0].filter = damage_third_data_segment;
    W.w[0].filter_ctx = &seen;
    struct tcp_config c;
    tcp_config_default(&c);
    for (uint32_t k = 0; k < 3; k++)
        cr_assert(tcp_attach(W.h[k], &c));
    memset(&x, 0, sizeof(x));
    x.intact = true;
    cr_assert(tcp_listen(W.h[2], 80, 8, "srv", &server_ops, &x));
    x.client = tcp_connect(W.h[0], IP(10, 0, 2, 1), 80, 0, "c1", "c1", &client_ops, &x);
    run_for(&W, 30 * SIM_SEC);
    cr_assert_geq(seen, 3);
    cr_assert_eq(count_drops(&W, "b", "checksum"), 1, "the receiver summed the damaged segment");
    cr_assert_eq(x.received, TOTAL);
    cr_assert(x.intact);
}

Test(stack_tcp, path_mtu_discovery_shrinks_segments_to_fit)
{
    struct xfer x;
    transfer(&x, 576);
    cr_assert_eq(x.received, TOTAL);
    cr_assert(x.intact);
    for (uint32_t k = 0; k < W.w[1].n_cap; k++)
        cr_assert_leq(W.w[1].cap[k].len, 14 + 576, "nothing larger than the MTU crossed");
}
