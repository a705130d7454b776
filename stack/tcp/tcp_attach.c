/* Binding of TCP to the host's IP layer (kept apart so that unit tests can
 * drive TCP without the IP stack). */
#include "tcp_priv.h"

void tcp_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
               uint32_t len, sim_time now)
{
    struct tcp_host *th = ctx;
    struct tcp_seg seg;
    bool bad_csum = false;
    (void)h;
    bool parsed = ip->csum_ok ? tcp_parse_trusted(&seg, ip->src, ip->dst, l4, len)
                              : tcp_parse(&seg, ip->src, ip->dst, l4, len, &bad_csum);
    if (!parsed) {
        const char *why = bad_csum ? "checksum" : "malformed";
        if (bad_csum)
            th->c.drop_checksum++;
        else
            th->c.drop_malformed++;
        host_trace_drop(h, ip->frame, ip->iface ? ip->iface->index : 0, why);
        return;
    }
    seg.frame = ip->frame;
    seg.iface = ip->iface ? ip->iface->index : 0;
    tcp_input_seg(th, &seg, now);
}

static void tcp_icmp_error(struct host *h, void *ctx, const struct icmp_error *e, sim_time now)
{
    /* RFC 1122 §4.2.3.9: soft errors do not abort; "fragmentation needed"
     * lowers the MSS (RFC 1191). */
    struct tcp_host *th = ctx;
    (void)h;
    (void)now;
    struct tcp_sock *s = tcp_lookup(th, e->src, e->sport, e->dst, e->dport);
    if (s && e->type == 3 && e->code == 4 && e->mtu > 40 + 64 && e->mtu - 40u < s->mss)
        s->mss = (uint16_t)(e->mtu - 40u);
}

static void tcp_destroy_host(struct host *h)
{
    if (h->tcp)
        tcp_host_free(h->tcp);
}

static bool bind_to_ip(struct host *h, struct tcp_host *th)
{
    if (!th)
        return false;
    th->bound = true;
    h->tcp_destroy = tcp_destroy_host;
    host_register_proto(h, IP_PROTO_TCP, tcp_input, tcp_icmp_error, th);
    return true;
}

bool tcp_attach(struct host *h, const struct tcp_config *cfg)
{
    return bind_to_ip(h, tcp_host_new(h, cfg, ip4_send));
}

bool tcp_attach_shared(struct host *h, const struct tcp_config *cfg)
{
    return bind_to_ip(h, tcp_host_new_shared(h, cfg, ip4_send));
}

static bool port_in_use(struct host *h, uint16_t port, void *ctx)
{
    (void)ctx;
    return tcp_port_in_use(h->tcp, port);
}

struct tcp_sock *tcp_connect(struct host *h, uint32_t dst, uint16_t dport, uint16_t sport,
                             const char *name, const char *app, const struct tcp_sock_ops *ops,
                             void *ctx)
{
    struct tcp_host *th = h->tcp;
    uint32_t src = host_src_for(h, dst);
    if (!th || !src)
        return NULL;
    if (!sport)
        sport = host_ephemeral_port(h, port_in_use, NULL);
    struct tcp_sock *s =
        tcp_connect_from(th, src, sport, dst, dport, name, app, ops, ctx, sim_now(h->sim));
    if (s) {
        uint32_t mtu = ip4_route_mtu(h, dst);
        if (mtu > 40 + 64 && mtu - 40 < s->mss)
            s->mss = (uint16_t)(mtu - 40); /* advertise what the path can carry */
    }
    return s;
}
