/* ICMP (RFC 792, RFC 1122 §3.2.2).
 *
 * Echo requests are answered (not when sent to a broadcast address: Linux's
 * icmp_echo_ignore_broadcasts=1); echo sockets give ping its own identifier.
 * Errors are generated under RFC 1122 §3.2.2's rules and a deterministic token
 * bucket (Linux's icmp_msgs_per_sec=1000, icmp_msgs_burst=50, applied to the
 * types in Linux's icmp_ratemask: destination unreachable, time exceeded,
 * parameter problem, but not to "fragmentation needed", which Linux exempts
 * so that path MTU discovery keeps working).  Errors that arrive are parsed
 * from their quoted header and handed to the protocol that sent the datagram. */
#include <stdlib.h>

#include "icmp.h"
#include "stack_priv.h"

#define ICMP_HLEN         8
#define ICMP_RATE_PER_SEC 1000
#define ICMP_BURST        50
#define ICMP_TOKEN_NS     (SIM_SEC / ICMP_RATE_PER_SEC)
#define ICMP_TOS          0xc0 /* precedence "internetwork control", as Linux sends */

struct icmp_echo_sock {
    struct icmp_state *st;
    struct icmp_echo_sock *next;
    char *app;
    uint16_t ident;
    struct icmp_echo_ops ops;
    void *ctx;
};

/* Made when the host first sends a rate-limited error or opens an echo
 * socket: most hosts never do.  A bucket made later is full, as one made with
 * the host would be by then. */
struct icmp_state {
    struct host *host;
    struct icmp_echo_sock *socks; /* open order */
    /* Token bucket: credit in nanoseconds' worth of tokens, capped at the burst. */
    sim_time credit;
    sim_time last_refill;
};

static struct icmp_state *state_of(struct host *h)
{
    struct host_more *m = host_more(h);
    if (!m)
        return NULL;
    if (!m->icmp && (m->icmp = calloc(1, sizeof(*m->icmp)))) {
        m->icmp->host = h;
        m->icmp->credit = ICMP_BURST * ICMP_TOKEN_NS;
        m->icmp->last_refill = host_now(h);
    }
    return m->icmp;
}

/* ---- error generation ---- */

static bool is_query(uint8_t type)
{
    switch (type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
        return true;
    default:
        return false;
    }
}

/* RFC 1122 §3.2.2: not about ICMP errors, non-first fragments, datagrams to
 * broadcast or multicast addresses, or from addresses that name no single host. */
static bool error_allowed(const struct host *h, const uint8_t *ip, uint32_t len)
{
    if (len < IP4_HLEN)
        return false;
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    if (hlen < IP4_HLEN || hlen > len)
        return false;
    if (rd16(ip + 6) & IP4_OFF_MASK)
        return false;
    uint32_t src = rd32(ip + 12), dst = rd32(ip + 16);
    if (host_is_broadcast(h, dst) || (dst >> 28) == 0xe)
        return false;
    if (src == 0 || host_is_broadcast(h, src) || (src >> 28) >= 0xe || (src >> 24) == 127)
        return false;
    if (ip[9] == IP_PROTO_ICMP && (len <= hlen || !is_query(ip[hlen])))
        return false;
    return true;
}

static bool rate_allow(struct icmp_state *st, sim_time now)
{
    const sim_time cap = ICMP_BURST * ICMP_TOKEN_NS;
    st->credit += now - st->last_refill;
    if (st->credit > cap)
        st->credit = cap;
    st->last_refill = now;
    if (st->credit < ICMP_TOKEN_NS)
        return false;
    st->credit -= ICMP_TOKEN_NS;
    return true;
}

static bool rate_limited_type(uint8_t type, uint8_t code)
{
    if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
        return false;
    return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == 12;
}

void icmp_send_error(struct host *h, const uint8_t *offending_ip, uint32_t len, uint8_t type,
                     uint8_t code, uint16_t mtu)
{
    if (!host_proto(h, IP_PROTO_ICMP) || !error_allowed(h, offending_ip, len))
        return; /* detached */
    uint32_t to = rd32(offending_ip + 12), was_to = rd32(offending_ip + 16);
    /* Source: the offending datagram's destination when it was ours, else the
     * address of the interface toward its sender (Linux's default). */
    uint32_t src = host_has_addr(h, was_to) ? was_to : host_src_for(h, to);
    if (!src)
        return;
    if (rate_limited_type(type, code)) {
        struct icmp_state *st = state_of(h);
        if (!st)
            return;
        if (!rate_allow(st, host_now(h))) {
            HOST_COUNT(h, icmp_rate_limited);
            return;
        }
    }
    /* RFC 792: the internet header plus the first 64 bits of the data. */
    uint32_t hlen = (uint32_t)(offending_ip[0] & 0x0f) * 4;
    uint32_t quote = len < hlen + 8 ? len : hlen + 8;
    struct frame *f = ip4_alloc(h, ICMP_HLEN + quote);
    if (!f)
        return;
    uint8_t *p = f->data + IP4_L4_OFF;
    p[0] = type;
    p[1] = code;
    wr16(p + 2, 0);
    wr16(p + 4, 0);
    wr16(p + 6, type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED ? mtu : 0);
    memcpy(p + ICMP_HLEN, offending_ip, quote);
    wr16(p + 2, inet_csum_fold(inet_csum_add(0, p, ICMP_HLEN + quote)));
    HOST_COUNT(h, icmp_out);
    ip4_send(h, f, src, to, IP_PROTO_ICMP, &(struct ip4_send_opts){.tos = ICMP_TOS});
}

void icmp_error_about_rx(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4,
                         uint32_t len, uint8_t type, uint8_t code)
{
    /* RFC 1122 §3.2.2: never about a datagram sent as a link-layer broadcast. */
    if (!ip->hdr || eth_is_broadcast(ip->frame))
        return;
    uint32_t hlen = (uint32_t)(ip->hdr[0] & 0x0f) * 4;
    uint32_t n = len < 8 ? len : 8;
    uint8_t quote[68];
    memcpy(quote, ip->hdr, hlen);
    /* A reassembled datagram is quoted whole: its full length, no fragment fields. */
    wr16(quote + 2, (uint16_t)(hlen + len));
    wr16(quote + 6, rd16(quote + 6) & IP4_OFF_DF);
    ip4_header_checksum(quote);
    memcpy(quote + hlen, l4, n);
    icmp_send_error(h, quote, hlen + n, type, code, 0);
}

/* ---- echo ---- */

/* st may be NULL (no socket was ever opened). */
static struct icmp_echo_sock *sock_by_ident(struct icmp_state *st, uint16_t ident)
{
    if (!st)
        return NULL;
    for (struct icmp_echo_sock *s = st->socks; s; s = s->next)
        if (s->ident == ident)
            return s;
    return NULL;
}

static void answer_echo(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4,
                        uint32_t len)
{
    if (host_is_broadcast(h, ip->dst))
        return;
    uint8_t *reply = malloc(len);
    if (!reply)
        return;
    memcpy(reply, l4, len);
    reply[0] = ICMP_ECHO_REPLY;
    wr16(reply + 2, 0);
    wr16(reply + 2, inet_csum_fold(inet_csum_add(0, reply, len)));
    HOST_COUNT(h, icmp_out);
    ip4_send_buf(h, reply, len, ip->dst, ip->src, IP_PROTO_ICMP,
                 &(struct ip4_send_opts){.tos = ip->tos});
    free(reply);
}

static void echo_reply_in(struct icmp_state *st, const struct ip4_rx_info *ip, const uint8_t *l4,
                          uint32_t len, sim_time now)
{
    struct icmp_echo_sock *s = sock_by_ident(st, rd16(l4 + 4));
    if (s && s->ops.on_reply)
        s->ops.on_reply(s->ctx, ip->src, rd16(l4 + 6), ip->ttl, len - ICMP_HLEN, now);
}

/* The quoted datagram of an error message, as struct icmp_error; false when
 * too short to say who sent it. */
static bool parse_error(const struct ip4_rx_info *ip, const uint8_t *l4, uint32_t len,
                        struct icmp_error *e)
{
    if (len < ICMP_HLEN + IP4_HLEN)
        return false;
    const uint8_t *q = l4 + ICMP_HLEN;
    uint32_t qhlen = (uint32_t)(q[0] & 0x0f) * 4;
    if (q[0] >> 4 != 4 || qhlen < IP4_HLEN || len < ICMP_HLEN + qhlen + 4)
        return false;
    const uint8_t *q4 = q + qhlen;
    uint32_t q4len = len - ICMP_HLEN - qhlen;
    *e = (struct icmp_error){
        .from = ip->src,
        .type = l4[0],
        .code = l4[1],
        .mtu = l4[0] == ICMP_DEST_UNREACH && l4[1] == ICMP_FRAG_NEEDED ? rd16(l4 + 6) : 0,
        .src = rd32(q + 12),
        .dst = rd32(q + 16),
        .proto = q[9],
        .sport = rd16(q4),
        .dport = rd16(q4 + 2),
        .quoted_seq = q4len >= 8 ? rd32(q4 + 4) : 0};
    return true;
}

static void error_in(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4, uint32_t len,
                     sim_time now)
{
    struct icmp_error e;
    if (!parse_error(ip, l4, len, &e)) {
        HOST_COUNT(h, drop_malformed);
        host_trace_drop(h, ip->frame, ip->iface ? ip->iface->index : 0, "malformed");
        return;
    }
    /* RFC 1122 §3.2.2: passed to the transport that sent the datagram. */
    const struct ip4_proto_handler *p = host_proto(h, e.proto);
    if (p && p->error)
        p->error(h, p->ctx, &e, now);
}

/* The error handler for quoted ICMP datagrams: an echo request of one of our
 * sockets.  (sport/dport hold the quoted type/code and checksum; the
 * identifier and sequence are the next 4 bytes.) */
static void icmp_quoted_error(struct host *h, void *ctx, const struct icmp_error *e, sim_time now)
{
    (void)ctx;
    struct icmp_state *st = h->more ? h->more->icmp : NULL;
    if ((e->sport >> 8) != ICMP_ECHO_REQUEST || !host_has_addr(h, e->src))
        return;
    struct icmp_echo_sock *s = sock_by_ident(st, (uint16_t)(e->quoted_seq >> 16));
    if (s && s->ops.on_error)
        s->ops.on_error(s->ctx, e, (uint16_t)e->quoted_seq, now);
}

static void icmp_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
                       uint32_t len, sim_time now)
{
    (void)ctx;
    struct icmp_state *st = h->more ? h->more->icmp : NULL;
    uint32_t iface = ip->iface ? ip->iface->index : 0;
    if (len < ICMP_HLEN) {
        HOST_COUNT(h, drop_malformed);
        host_trace_drop(h, ip->frame, iface, "malformed");
        return;
    }
    if (inet_csum_fold(inet_csum_add(0, l4, len)) != 0) {
        HOST_COUNT(h, drop_checksum);
        host_trace_drop(h, ip->frame, iface, "checksum");
        return;
    }
    HOST_COUNT(h, icmp_in);
    switch (l4[0]) {
    case ICMP_ECHO_REQUEST:
        answer_echo(h, ip, l4, len);
        break;
    case ICMP_ECHO_REPLY:
        echo_reply_in(st, ip, l4, len, now);
        break;
    case ICMP_DEST_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case 4:  /* source quench */
    case 12: /* parameter problem */
        error_in(h, ip, l4, len, now);
        break;
    default:
        break; /* RFC 1122 §3.2.2: unknown types are silently discarded */
    }
}

/* ---- echo sockets ---- */

struct icmp_echo_sock *icmp_echo_open(struct host *h, const char *app,
                                      const struct icmp_echo_ops *ops, void *ctx)
{
    struct icmp_state *st = state_of(h);
    struct icmp_echo_sock *s = st ? calloc(1, sizeof(*s)) : NULL;
    if (!s)
        return NULL;
    s->app = strdup(app ? app : "");
    if (!s->app) {
        free(s);
        return NULL;
    }
    s->st = st;
    s->ops = *ops;
    s->ctx = ctx;
    do
        s->ident = h->icmp_next_ident++;
    while (sock_by_ident(st, s->ident));
    struct icmp_echo_sock **p = &st->socks;
    while (*p)
        p = &(*p)->next;
    *p = s;
    return s;
}

enum ip4_send_result icmp_echo_send(struct icmp_echo_sock *s, uint32_t dst, uint16_t seq,
                                    uint32_t payload_len, const struct ip4_send_opts *o)
{
    struct host *h = s->st->host;
    if (payload_len > IP4_MAX_LEN - IP4_HLEN - ICMP_HLEN)
        return IP4_TOO_BIG;
    uint32_t len = ICMP_HLEN + payload_len;
    uint8_t *p = malloc(len);
    if (!p)
        return IP4_NO_BUFFER;
    p[0] = ICMP_ECHO_REQUEST;
    p[1] = 0;
    wr16(p + 2, 0);
    wr16(p + 4, s->ident);
    wr16(p + 6, seq);
    for (uint32_t k = 0; k < payload_len; k++)
        p[ICMP_HLEN + k] = (uint8_t)k; /* like ping's fill after its timestamp */
    wr16(p + 2, inet_csum_fold(inet_csum_add(0, p, len)));
    HOST_COUNT(h, icmp_out);
    enum ip4_send_result r = ip4_send_buf(h, p, len, 0, dst, IP_PROTO_ICMP, o);
    free(p);
    return r;
}

void icmp_echo_close(struct icmp_echo_sock *s)
{
    if (!s)
        return;
    struct icmp_echo_sock **p = &s->st->socks;
    while (*p && *p != s)
        p = &(*p)->next;
    if (*p)
        *p = s->next;
    free(s->app);
    free(s);
}

/* ---- attach ---- */

bool icmp_attach(struct host *h)
{
    h->icmp_next_ident = (uint16_t)rng_below(&h->rng, 65536);
    return host_register_proto(h, IP_PROTO_ICMP, icmp_input, icmp_quoted_error, NULL);
}

void icmp_detach(struct host *h)
{
    host_register_proto(h, IP_PROTO_ICMP, NULL, NULL, NULL);
    struct icmp_state *st = h->more ? h->more->icmp : NULL;
    if (!st)
        return;
    for (struct icmp_echo_sock *s = st->socks, *next; s; s = next) {
        next = s->next;
        icmp_echo_close(s);
    }
    free(st);
    h->more->icmp = NULL;
}
