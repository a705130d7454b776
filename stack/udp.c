/* UDP (RFC 768, RFC 1122 §4.1).
 *
 * Sockets bind a local port on all of the host's addresses.  Datagrams are
 * always sent with a checksum (a computed 0 goes out as 0xffff); a received
 * checksum of 0 means the sender computed none (RFC 768).  A datagram for a
 * port nobody has open is answered with ICMP port unreachable (RFC 1122
 * §4.1.3.1).  The socket layer reports `send` and `deliver` app events. */
#include <stdio.h>
#include <stdlib.h>

#include "icmp.h"
#include "stack_priv.h"
#include "udp.h"

#define UDP_HLEN    8
#define UDP_MAX_LEN (IP4_MAX_LEN - IP4_HLEN)

struct udp_sock {
    struct udp_state *st;
    struct udp_sock *next;
    char *app;
    uint16_t port;
    struct udp_sock_ops ops;
    void *ctx;
    int64_t sent, received; /* payload bytes, for the app events' totals */
};

/* Made when the host opens its first socket: most hosts never do. */
struct udp_state {
    struct host *host;
    struct udp_sock *socks; /* open order */
};

/* NULL when no socket was ever opened. */
static struct udp_state *udp_of(const struct host *h)
{
    return h->more ? h->more->udp : NULL;
}

/* st may be NULL (no socket was ever opened). */
static struct udp_sock *sock_by_port(const struct udp_state *st, uint16_t port)
{
    if (!st)
        return NULL;
    for (struct udp_sock *s = st->socks; s; s = s->next)
        if (s->port == port)
            return s;
    return NULL;
}

static void trace_app(struct udp_sock *s, const char *what, uint32_t bytes, int64_t total,
                      uint32_t peer, uint16_t port)
{
    struct host *h = s->st->host;
    if (!trace_on(h->bus, TRACE_APP))
        return;
    char detail[40];
    snprintf(detail, sizeof(detail), "peer %u.%u.%u.%u:%u", peer >> 24, (peer >> 16) & 0xff,
             (peer >> 8) & 0xff, peer & 0xff, port);
    trace_emit(h->bus, &(struct trace_event){.t = host_now(h),
                                             .kind = TRACE_APP,
                                             .host = h->name,
                                             .app = s->app,
                                             .what = what,
                                             .bytes = bytes,
                                             .total = total,
                                             .detail = detail});
}

/* ---- input ---- */

static uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, uint32_t len)
{
    return inet_csum_fold(inet_csum_add(inet_csum_pseudo(src, dst, IP_PROTO_UDP, len), udp, len));
}

static void udp_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
                      uint32_t len, sim_time now)
{
    (void)ctx;
    struct udp_state *st = udp_of(h);
    uint32_t iface = ip->iface ? ip->iface->index : 0;
    uint32_t ulen = len >= UDP_HLEN ? rd16(l4 + 4) : 0;
    if (ulen < UDP_HLEN || ulen > len) {
        HOST_COUNT(h, drop_malformed);
        host_trace_drop(h, ip->frame, iface, "malformed");
        return;
    }
    if (rd16(l4 + 6) != 0 && udp_checksum(ip->src, ip->dst, l4, ulen) != 0) {
        HOST_COUNT(h, drop_checksum);
        host_trace_drop(h, ip->frame, iface, "checksum");
        return;
    }
    uint16_t sport = rd16(l4), dport = rd16(l4 + 2);
    struct udp_sock *s = sock_by_port(st, dport);
    if (!s) {
        HOST_COUNT(h, udp_no_port);
        host_trace_drop(h, ip->frame, iface, "no_port");
        icmp_error_about_rx(h, ip, l4, len, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
        return;
    }
    HOST_COUNT(h, udp_in);
    uint32_t n = ulen - UDP_HLEN;
    s->received += n;
    trace_app(s, "deliver", n, s->received, ip->src, sport);
    if (s->ops.on_recv)
        s->ops.on_recv(s->ctx, s, ip->src, sport, l4 + UDP_HLEN, n, now);
}

static void udp_error(struct host *h, void *ctx, const struct icmp_error *e, sim_time now)
{
    (void)ctx;
    struct udp_state *st = udp_of(h);
    if (!host_has_addr(h, e->src))
        return;
    struct udp_sock *s = sock_by_port(st, e->sport);
    if (s && s->ops.on_error)
        s->ops.on_error(s->ctx, s, e, now);
}

/* ---- sockets ---- */

static bool port_taken(struct host *h, uint16_t port, void *ctx)
{
    (void)ctx;
    return sock_by_port(udp_of(h), port) != NULL;
}

struct udp_sock *udp_open(struct host *h, uint16_t port, const char *app,
                          const struct udp_sock_ops *ops, void *ctx)
{
    if (port == 0)
        port = host_ephemeral_port(h, port_taken, NULL);
    if (port == 0 || sock_by_port(udp_of(h), port))
        return NULL;
    struct host_more *m = host_more(h);
    if (!m || (!m->udp && !(m->udp = calloc(1, sizeof(*m->udp)))))
        return NULL;
    struct udp_state *st = m->udp;
    st->host = h;
    struct udp_sock *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->app = strdup(app ? app : "");
    if (!s->app) {
        free(s);
        return NULL;
    }
    s->st = st;
    s->port = port;
    if (ops)
        s->ops = *ops;
    s->ctx = ctx;
    struct udp_sock **p = &st->socks;
    while (*p)
        p = &(*p)->next;
    *p = s;
    return s;
}

uint16_t udp_local_port(const struct udp_sock *s)
{
    return s->port;
}

static void write_datagram(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                           const uint8_t *data, uint32_t len)
{
    uint32_t ulen = UDP_HLEN + len;
    wr16(p, sport);
    wr16(p + 2, dport);
    wr16(p + 4, (uint16_t)ulen);
    wr16(p + 6, 0);
    if (len)
        memcpy(p + UDP_HLEN, data, len);
    uint16_t c = udp_checksum(src, dst, p, ulen);
    wr16(p + 6, c ? c : 0xffff); /* RFC 768: a computed zero is sent as all ones */
}

enum ip4_send_result udp_sendto(struct udp_sock *s, uint32_t dst, uint16_t dport,
                                const uint8_t *data, uint32_t len, const struct ip4_send_opts *o)
{
    struct host *h = s->st->host;
    if (len > UDP_MAX_LEN - UDP_HLEN)
        return IP4_TOO_BIG;
    uint32_t src = host_src_for(h, dst);
    if (!src) {
        HOST_COUNT(h, drop_no_route);
        return IP4_NO_ROUTE;
    }
    /* Reported before the frames leave, so the trace reads app then wire. */
    HOST_COUNT(h, udp_out);
    s->sent += len;
    trace_app(s, "send", len, s->sent, dst, dport);
    uint32_t ulen = UDP_HLEN + len;
    enum ip4_send_result r;
    struct frame *f = ip4_alloc(h, ulen);
    if (f) {
        write_datagram(f->data + IP4_L4_OFF, src, dst, s->port, dport, data, len);
        r = ip4_send(h, f, src, dst, IP_PROTO_UDP, o);
    } else {
        uint8_t *buf = malloc(ulen); /* larger than one frame: sent in fragments */
        if (!buf)
            return IP4_NO_BUFFER;
        write_datagram(buf, src, dst, s->port, dport, data, len);
        r = ip4_send_buf(h, buf, ulen, src, dst, IP_PROTO_UDP, o);
        free(buf);
    }
    return r;
}

void udp_close(struct udp_sock *s)
{
    if (!s)
        return;
    struct udp_sock **p = &s->st->socks;
    while (*p && *p != s)
        p = &(*p)->next;
    if (*p)
        *p = s->next;
    free(s->app);
    free(s);
}

bool udp_attach(struct host *h)
{
    return host_register_proto(h, IP_PROTO_UDP, udp_input, udp_error, NULL);
}

void udp_detach(struct host *h)
{
    host_register_proto(h, IP_PROTO_UDP, NULL, NULL, NULL);
    struct udp_state *st = udp_of(h);
    if (!st)
        return;
    for (struct udp_sock *s = st->socks, *next; s; s = next) {
        next = s->next;
        udp_close(s);
    }
    free(st);
    h->more->udp = NULL;
}
