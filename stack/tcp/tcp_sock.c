/* The socket API (tcp.h), listeners, accept and the application events. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

/* ---- the socket list (creation order) and lookups ---- */

static void list_append(struct tcp_host *th, struct tcp_sock *s)
{
    s->prev = th->tail;
    if (th->tail)
        th->tail->next = s;
    else
        th->head = s;
    th->tail = s;
}

static void list_remove(struct tcp_host *th, struct tcp_sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        th->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        th->tail = s->prev;
}

/* Linux-like: the smallest shift that lets the whole buffer be advertised. */
static uint8_t wscale_for(uint32_t rcvbuf)
{
    uint8_t shift = 0;
    while (shift < 14 && (65535u << shift) < rcvbuf)
        shift++;
    return shift;
}

void tcp_conn_init_from_config(struct tcp_sock *s)
{
    const struct tcp_config *cfg = s->th->cfg;
    s->mss = (uint16_t)cfg->mss;
    s->x->peer_mss = 536; /* RFC 9293 §3.7.1 default when the option is absent */
    s->rto = cfg->initial_rto;
    s->rcv_wscale = cfg->window_scale ? wscale_for(cfg->rcvbuf) : 0;
    s->ssthresh = UINT32_MAX;
    s->cwnd = cfg->initial_window * cfg->mss;
    s->x->cc = tcp_cc_of(cfg->cc);
    s->x->cc->init(s);
}

/* Names are cut to TCP_NAME_LEN - 1 bytes. */
static size_t name_len(const char *name)
{
    return name ? strnlen(name, TCP_NAME_LEN - 1) : 0;
}

/* The socket is owned by the TCP host; tcp_finish frees it.  Its names are
 * stored after it: the app's only when it differs from the connection's
 * (an app names its sockets after itself). */
struct tcp_sock *tcp_sock_new(struct tcp_host *th, const char *name, const char *app)
{
    size_t n = name_len(name);
    if (!app)
        app = name;
    size_t a = name_len(app);
    bool same = a == n && (n == 0 || memcmp(app, name, n) == 0);
    struct tcp_sock *s = calloc(1, offsetof(struct tcp_sock, name) + n + 1 + (same ? 0 : a + 1));
    struct tcp_xfer *x = calloc(1, sizeof(*x));
    if (!s || !x) {
        free(s);
        free(x);
        return NULL;
    }
    s->th = th;
    s->x = x;
    if (n)
        memcpy(s->name, name, n);
    if (!same) {
        s->app_off = (uint8_t)(n + 1);
        memcpy(s->name + n + 1, app, a);
    }
    tcp_conn_init_from_config(s);
    tcp_timers_init(s);
    list_append(th, s);
    return s;
}

/* Nothing of a connection in TIME_WAIT but what struct tcp_sock holds can
 * matter once no byte is left to read (in order or not) and no timer of the
 * transfer is pending (a delayed ACK or keepalive due still fires as it
 * would have); the rings are empty then. */
static bool xfer_done(const struct tcp_sock *s)
{
    const struct tcp_xfer *x = s->x;
    if (s->state != TCP_TIME_WAIT || x->rcv.len || x->n_ooo || x->snd.len)
        return false;
    for (int i = 0; i < TCP_T_XFER_COUNT; i++)
        if (sim_timer_armed(&x->timers[i].t))
            return false;
    return true;
}

static void xfer_free(struct tcp_sock *s)
{
    tcp_ring_release(&s->x->snd, &s->th->pages);
    tcp_ring_release(&s->x->rcv, &s->th->pages);
    free(s->x);
    s->x = NULL;
}

void tcp_xfer_free_if_done(struct tcp_sock *s)
{
    if (s->x && xfer_done(s))
        xfer_free(s);
}

static uint32_t tuple_hash(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    uint32_t h = rip * 0x9e3779b1u ^ ((uint32_t)rport << 16 | lport) * 0x85ebca6bu ^ lip;
    return h ^ (h >> 15);
}

static uint32_t sock_bucket(const struct tcp_host *th, const struct tcp_sock *s)
{
    return tuple_hash(s->lip, s->lport, s->rip, s->rport) & th->hash_mask;
}

/* Doubles the 4-tuple table once it holds more sockets than buckets. */
static void hash_grow(struct tcp_host *th)
{
    uint32_t size = th->hash ? (th->hash_mask + 1) * 2 : TCP_HASH_MIN;
    struct tcp_sock **nb = calloc(size, sizeof(struct tcp_sock *));
    if (!nb)
        return; /* keep the old table: longer chains, still correct */
    uint32_t old_size = th->hash ? th->hash_mask + 1 : 0;
    th->hash_mask = size - 1;
    for (uint32_t i = 0; i < old_size; i++) {
        struct tcp_sock *c = th->hash[i];
        while (c) {
            struct tcp_sock *next = c->hnext;
            uint32_t b = sock_bucket(th, c);
            c->hnext = nb[b];
            nb[b] = c;
            c = next;
        }
    }
    free(th->hash);
    th->hash = nb;
}

static uint32_t port_bucket(const struct tcp_host *th, uint16_t port)
{
    return (port * 0x9e3779b1u >> 16) & th->ports_mask;
}

static void ports_grow(struct tcp_host *th)
{
    uint32_t size = th->ports ? (th->ports_mask + 1) * 2 : TCP_HASH_MIN;
    struct tcp_port_ref **nb = calloc(size, sizeof(struct tcp_port_ref *));
    if (!nb)
        return;
    uint32_t old_size = th->ports ? th->ports_mask + 1 : 0;
    th->ports_mask = size - 1;
    for (uint32_t i = 0; i < old_size; i++) {
        struct tcp_port_ref *r = th->ports[i];
        while (r) {
            struct tcp_port_ref *next = r->next;
            uint32_t b = port_bucket(th, r->port);
            r->next = nb[b];
            nb[b] = r;
            r = next;
        }
    }
    free(th->ports);
    th->ports = nb;
}

static struct tcp_port_ref **port_slot(const struct tcp_host *th, uint16_t port)
{
    struct tcp_port_ref **p = &th->ports[port_bucket(th, port)];
    while (*p && (*p)->port != port)
        p = &(*p)->next;
    return p;
}

bool tcp_port_in_use(const struct tcp_host *th, uint16_t port)
{
    return th->ports && *port_slot(th, port) != NULL;
}

/* Counts the socket's local port as in use until sock_free. */
static void port_hold(struct tcp_sock *s)
{
    struct tcp_host *th = s->th;
    if (s->port_held)
        return;
    if (!th->ports || th->n_ports > th->ports_mask)
        ports_grow(th);
    if (!th->ports)
        return;
    struct tcp_port_ref **p = port_slot(th, s->lport);
    if (!*p) {
        *p = calloc(1, sizeof(**p));
        if (!*p)
            return;
        (*p)->port = s->lport;
        th->n_ports++;
    }
    (*p)->refs++;
    s->port_held = true;
}

static void port_release(struct tcp_sock *s)
{
    if (!s->port_held)
        return;
    struct tcp_port_ref **p = port_slot(s->th, s->lport);
    if (*p && --(*p)->refs == 0) {
        struct tcp_port_ref *dead = *p;
        *p = dead->next;
        free(dead);
        s->th->n_ports--;
    }
    s->port_held = false;
}

void tcp_hash_insert(struct tcp_sock *s)
{
    struct tcp_host *th = s->th;
    if (!th->hash || th->n_hashed > th->hash_mask)
        hash_grow(th);
    port_hold(s);
    if (!th->hash)
        return;
    struct tcp_sock **b = &th->hash[sock_bucket(th, s)];
    s->hnext = *b;
    *b = s;
    s->hashed = true;
    th->n_hashed++;
}

static void hash_remove(struct tcp_sock *s)
{
    if (!s->hashed)
        return;
    struct tcp_sock **p = &s->th->hash[sock_bucket(s->th, s)];
    while (*p && *p != s)
        p = &(*p)->hnext;
    if (*p)
        *p = s->hnext;
    s->hashed = false;
    s->th->n_hashed--;
}

static void listener_remove(struct tcp_sock *s)
{
    if (!s->listening)
        return;
    struct tcp_sock **p = &s->th->listeners;
    while (*p && *p != s)
        p = &(*p)->x->lnext;
    if (*p)
        *p = s->x->lnext;
    s->listening = false;
}

static void sock_release(struct tcp_sock *s)
{
    tcp_timers_stop_all(s); /* a buried socket's, armed after it was buried */
    if (s->x)
        xfer_free(s);
    free(s);
}

/* Unlinks the socket at once; frees it now, or when the segment being
 * processed is done if one is (tcp_host.graveyard). */
static void sock_free(struct tcp_sock *s)
{
    struct tcp_host *th = s->th;
    tcp_timers_stop_all(s);
    hash_remove(s);
    listener_remove(s);
    port_release(s);
    list_remove(th, s);
    if (!th->input_depth) {
        sock_release(s);
        return;
    }
    s->buried = true;
    s->next = th->graveyard;
    th->graveyard = s;
}

void tcp_input_begin(struct tcp_host *th)
{
    th->input_depth++;
}

void tcp_input_end(struct tcp_host *th)
{
    if (--th->input_depth)
        return;
    while (th->graveyard) {
        struct tcp_sock *s = th->graveyard;
        th->graveyard = s->next;
        sock_release(s);
    }
}

struct tcp_sock *tcp_lookup(struct tcp_host *th, uint32_t lip, uint16_t lport, uint32_t rip,
                            uint16_t rport)
{
    if (!th->hash)
        return NULL;
    uint32_t b = tuple_hash(lip, lport, rip, rport) & th->hash_mask;
    for (struct tcp_sock *s = th->hash[b]; s; s = s->hnext)
        if (s->lport == lport && s->rport == rport && s->rip == rip && s->lip == lip)
            return s;
    return NULL;
}

struct tcp_sock *tcp_lookup_listener(struct tcp_host *th, uint16_t lport)
{
    for (struct tcp_sock *s = th->listeners; s; s = s->x->lnext)
        if (s->state == TCP_LISTEN && s->lport == lport)
            return s;
    return NULL;
}

/* ---- app notifications ---- */

void tcp_on_established(struct tcp_sock *s, sim_time now)
{
    s->outcome = TCP_OUTCOME_ESTABLISHED;
    s->established_at = now;
    tcp_keepalive_reset(s, now);
    if (s->passive) {
        struct tcp_sock *l = s->x->listener;
        if (!l)
            return;
        s->accepted = true;
        if (l->x->n_children)
            l->x->n_children--; /* accepted: no longer counts against the backlog */
        s->ops = l->ops;        /* the app's name is the listener's since the SYN */
        s->ctx = l->ctx;
        tcp_trace_app(s, "accept", 0, 0, NULL, now);
        if (l->ops && l->ops->on_accept)
            l->ops->on_accept(l->ctx, l, s, now);
        return;
    }
    tcp_trace_app(s, "connect", 0, 0, NULL, now);
    if (s->ops && s->ops->on_connected)
        s->ops->on_connected(s->ctx, s, now);
}

void tcp_notify_readable(struct tcp_sock *s, sim_time now)
{
    if (s->passive && !s->accepted)
        return;
    if (tcp_rcv_len(s) && s->ops && s->ops->on_readable)
        s->ops->on_readable(s->ctx, s, now);
    if (s->fin_rcvd && !tcp_rcv_len(s) && !s->peer_close_told && s->state != TCP_CLOSED) {
        s->peer_close_told = true;
        if (s->ops && s->ops->on_peer_closed)
            s->ops->on_peer_closed(s->ctx, s, now);
    }
}

void tcp_notify_writable(struct tcp_sock *s, sim_time now)
{
    if (!s->app_closed && s->ops && s->ops->on_writable && tcp_send_space(s))
        s->ops->on_writable(s->ctx, s, now);
}

/* A listener going away takes its embryonic children with it (Linux drops
 * the request socks); accepted connections live on without it.  Finishing an
 * embryo frees it and nothing else (it has no application to tell, and its
 * RST leaves through the event queue), so the next socket stays valid. */
static void orphan_children(struct tcp_sock *l, sim_time now)
{
    for (struct tcp_sock *c = l->th->head, *next; c; c = next) {
        next = c->next;
        if (!c->x || c->x->listener != l) /* released: accepted long ago */
            continue;
        c->x->listener = NULL;
        if (!c->accepted) {
            tcp_emit(c, c->snd_nxt, TCP_RST | TCP_ACK, 0, now);
            tcp_finish(c, TCP_OUTCOME_RESET, "listener closed", now);
        }
    }
}

/* on_closed fires when the connection reaches CLOSED (after TIME_WAIT for the
 * side that closed first), unlike Linux where close() detaches at once. */
void tcp_finish(struct tcp_sock *s, enum tcp_outcome o, const char *cause, sim_time now)
{
    if (s->buried)
        return; /* finished already, from inside a callback */
    bool was_listener = s->state == TCP_LISTEN;
    if (o != TCP_OUTCOME_ESTABLISHED || s->outcome == TCP_OUTCOME_PENDING)
        s->outcome = o;
    tcp_timers_stop_all(s);
    tcp_set_state(s, TCP_CLOSED, cause, now);
    s->closed_at = now;
    struct tcp_sock *l = s->x ? s->x->listener : NULL;
    if (l && !s->accepted && l->x->n_children)
        l->x->n_children--;
    if (was_listener)
        orphan_children(s, now);
    bool tell = !s->passive || s->accepted;
    if (tell && s->ops && s->ops->on_closed)
        s->ops->on_closed(s->ctx, s, s->outcome, now);
    sock_free(s);
}

/* ---- the API ---- */

struct tcp_sock *tcp_listen(struct host *h, uint16_t port, uint32_t backlog, const char *name,
                            const struct tcp_sock_ops *ops, void *ctx)
{
    struct tcp_host *th = h->tcp;
    if (!th || tcp_lookup_listener(th, port))
        return NULL;
    struct tcp_sock *s = tcp_sock_new(th, name, name);
    if (!s)
        return NULL;
    s->lport = port;
    port_hold(s);
    s->listening = true;
    s->x->lnext = th->listeners;
    th->listeners = s;
    s->x->backlog = backlog ? backlog : th->cfg->backlog;
    s->ops = ops;
    s->ctx = ctx;
    tcp_set_state(s, TCP_LISTEN, "app listen", sim_now(h->sim));
    return s;
}

void tcp_set_ops(struct tcp_sock *s, const struct tcp_sock_ops *ops, void *ctx)
{
    s->ops = ops;
    s->ctx = ctx;
}

uint32_t tcp_send_space(const struct tcp_sock *s)
{
    return s->th->cfg->sndbuf - (s->x ? s->x->snd.len : 0);
}

static bool can_send_data(const struct tcp_sock *s)
{
    return !s->app_closed && (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT ||
                              s->state == TCP_SYN_SENT || s->state == TCP_SYN_RCVD);
}

/* The bytes the send buffer can take now. */
static uint32_t send_room(const struct tcp_sock *s, uint32_t len)
{
    if (!can_send_data(s))
        return 0;
    return len < tcp_send_space(s) ? len : tcp_send_space(s);
}

/* n bytes joined the send buffer: trace them and send what may go. */
static void queued(struct tcp_sock *s, uint32_t n)
{
    s->x->snd.len += n;
    s->bytes_sent += n;
    sim_time now = sim_now(s->th->h->sim);
    tcp_trace_app(s, "send", n, (int64_t)s->bytes_sent, NULL, now);
    tcp_output(s, now);
}

uint32_t tcp_send(struct tcp_sock *s, const uint8_t *data, uint32_t len)
{
    if (s->fill_set || !s->x)
        return 0;
    uint32_t n = send_room(s, len);
    if (!n || !tcp_ring_write_at(&s->x->snd, s->x->snd.len, data, n, &s->th->pages, NULL))
        return 0;
    queued(s, n);
    return n;
}

bool tcp_set_payload_source(struct tcp_sock *s, tcp_payload_fn fill, void *ctx)
{
    if (!fill || (!s->fill_set && s->bytes_sent))
        return false;
    s->fill_set = true;
    if (s->x) { /* else in TIME_WAIT, where nothing more is sent */
        s->x->fill = fill;
        s->x->fill_ctx = ctx;
    }
    return true;
}

bool tcp_set_payload_expect(struct tcp_sock *s, tcp_payload_fn fill, void *ctx)
{
    if (!s->x) /* in TIME_WAIT, where nothing more arrives */
        return true;
    if (s->x->rcv.len || s->x->n_ooo) /* marks already held refer to the old one */
        return false;
    s->x->expect = fill;
    s->x->expect_ctx = ctx;
    return true;
}

const struct tcp_ring_source *tcp_rcv_source(const struct tcp_sock *s, struct tcp_ring_source *tmp)
{
    if (!s->x->expect)
        return NULL;
    *tmp = (struct tcp_ring_source){s->x->expect, s->x->expect_ctx, s->x->bytes_read};
    return tmp;
}

uint32_t tcp_send_generated(struct tcp_sock *s, uint32_t len)
{
    uint32_t n = s->fill_set ? send_room(s, len) : 0;
    if (n)
        queued(s, n);
    return n;
}

uint32_t tcp_snd_copy(const struct tcp_sock *s, uint32_t off, uint8_t *dst, uint32_t n)
{
    if (s->x->fill)
        return s->x->fill(s->x->fill_ctx, s->bytes_sent - s->x->snd.len + off, dst, n);
    tcp_ring_read_at(&s->x->snd, off, dst, n, NULL);
    return inet_csum_add(0, dst, n);
}

uint32_t tcp_readable(const struct tcp_sock *s)
{
    return tcp_rcv_len(s);
}

/* After a read: is the window it opened worth a segment of its own?  Like
 * Linux's tcp_cleanup_rbuf, only when the window the peer may use would at
 * least double, or when the offered window is below one MSS (the peer may be
 * stalled on it); otherwise the delayed ACK, sent at least every second full
 * segment, carries the new edge.  The window offered grows only by
 * min(rcvbuf/2, MSS) steps (receiver SWS avoidance, RFC 1122 §4.2.3.3), and
 * nothing is sent once the peer can send no more (its FIN came). */
static bool window_update_due(const struct tcp_sock *s)
{
    if (s->state < TCP_ESTABLISHED || s->state == TCP_TIME_WAIT || s->fin_rcvd)
        return false;
    uint32_t offered = tcp_rcv_offered(s);
    uint32_t next = tcp_rcv_window_to_advertise(s);
    uint32_t largest = 65535u << s->rcv_wscale; /* what the header can carry */
    if (next > largest)
        next = largest;
    if (next <= offered)
        return false;
    return next >= 2 * (uint64_t)offered || offered < s->mss;
}

uint32_t tcp_recv(struct tcp_sock *s, uint8_t *buf, uint32_t max)
{
    uint32_t n = max < tcp_rcv_len(s) ? max : tcp_rcv_len(s);
    if (!n)
        return 0;
    struct tcp_ring_source src;
    tcp_ring_read_at(&s->x->rcv, 0, buf, n, tcp_rcv_source(s, &src));
    tcp_ring_consume(&s->x->rcv, n, &s->th->pages);
    if (!s->x->rcv.len && !s->x->n_ooo)
        tcp_ring_release(&s->x->rcv, &s->th->pages); /* nothing held, not even out-of-order data */
    s->x->bytes_read += n;
    sim_time now = sim_now(s->th->h->sim);
    tcp_trace_app(s, "deliver", n, (int64_t)s->x->bytes_read, NULL, now);
    if (window_update_due(s))
        tcp_send_ack(s, now);
    bool drained = s->fin_rcvd && !s->x->rcv.len;
    tcp_release_xfer(s); /* in TIME_WAIT, the last byte was read */
    if (drained)
        tcp_notify_readable(s, now);
    return n;
}

void tcp_close(struct tcp_sock *s)
{
    sim_time now = sim_now(s->th->h->sim);
    if (s->app_closed)
        return;
    s->app_closed = true;
    tcp_trace_app(s, "close", 0, 0, NULL, now);
    switch (s->state) {
    case TCP_LISTEN:
    case TCP_SYN_SENT:
        tcp_finish(s, s->outcome, "app close", now); /* §3.10.4: delete the TCB */
        return;
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        tcp_set_state(s, TCP_FIN_WAIT_1, "app close", now);
        break;
    case TCP_CLOSE_WAIT:
        tcp_set_state(s, TCP_LAST_ACK, "app close", now);
        break;
    default:
        return;
    }
    tcp_output(s, now);
}

void tcp_abort(struct tcp_sock *s)
{
    sim_time now = sim_now(s->th->h->sim);
    tcp_trace_app(s, "abort", 0, 0, NULL, now);
    /* §3.10.5: synchronized states send <SEQ=SND.NXT><CTL=RST>. */
    if (s->state >= TCP_SYN_RCVD && s->state <= TCP_LAST_ACK) {
        tcp_emit(s, s->snd_nxt, TCP_RST | TCP_ACK, 0, now);
        s->th->c.rst_out++;
    }
    tcp_finish(s, s->state == TCP_LISTEN ? s->outcome : TCP_OUTCOME_RESET, "app abort", now);
}

void tcp_get_info(const struct tcp_sock *s, struct tcp_info *o)
{
    *o = (struct tcp_info){
        .state = s->state,
        .outcome = s->outcome,
        .name = s->name,
        .local_ip = s->lip,
        .remote_ip = s->rip,
        .local_port = s->lport,
        .remote_port = s->rport,
        .bytes_sent = s->bytes_sent,
        .bytes_acked = s->bytes_acked,
        .bytes_received = s->bytes_received,
        .segs_out = s->segs_out,
        .segs_in = s->segs_in,
        .retransmits = s->retransmits,
        .timeouts = s->timeouts,
        .cwnd = s->cwnd,
        .ssthresh = s->ssthresh,
        .snd_wnd = s->snd_wnd,
        .rcv_wnd = tcp_rcv_window(s),
        .mss = s->mss,
        .srtt = s->srtt,
        .rttvar = s->rttvar,
        .rto = s->rto,
        .established_at = s->established_at,
        .closed_at = s->closed_at,
    };
}

enum tcp_state tcp_get_state(const struct tcp_sock *s)
{
    return s->state;
}

const char *tcp_sock_name(const struct tcp_sock *s)
{
    return s->name;
}

static_assert(sizeof(struct tcp_config) == 96,
              "a field added to struct tcp_config must be compared in tcp_config_equal");

bool tcp_config_equal(const struct tcp_config *a, const struct tcp_config *b)
{
    /* Field by field: padding bytes make memcmp unreliable. */
    return a->mss == b->mss && a->initial_window == b->initial_window && a->cc == b->cc &&
           a->delayed_ack == b->delayed_ack && a->nagle == b->nagle && a->sack == b->sack &&
           a->window_scale == b->window_scale && a->timestamps == b->timestamps &&
           a->min_rto == b->min_rto && a->max_rto == b->max_rto &&
           a->initial_rto == b->initial_rto && a->msl == b->msl && a->sndbuf == b->sndbuf &&
           a->rcvbuf == b->rcvbuf && a->syn_retries == b->syn_retries &&
           a->synack_retries == b->synack_retries && a->retries2 == b->retries2 &&
           a->backlog == b->backlog && a->keepalive == b->keepalive;
}

void tcp_config_default(struct tcp_config *c)
{
    *c = (struct tcp_config){
        .mss = 1460,
        .initial_window = 10,
        .cc = TCP_CC_NEWRENO,
        .delayed_ack = 40 * SIM_MS,
        .nagle = true,
        .sack = true,
        .window_scale = true,
        .timestamps = true,
        .min_rto = 1 * SIM_SEC,
        .max_rto = 120 * SIM_SEC,
        .initial_rto = 1 * SIM_SEC,
        .msl = 2 * SIM_MIN,
        .sndbuf = 128 * 1024,
        .rcvbuf = 128 * 1024,
        .syn_retries = 6,
        .synack_retries = 5,
        .retries2 = 15,
        .backlog = 128,
    };
}

/* The per-host state is owned by the host (freed by tcp_host_free). */
static struct tcp_host *host_new(struct host *h, struct tcp_config *cfg, bool owned,
                                 tcp_output_fn out)
{
    struct tcp_host *th = calloc(1, sizeof(*th));
    if (!th)
        return NULL;
    th->h = h;
    th->cfg = cfg;
    th->cfg_owned = owned;
    th->output = out;
    th->isn_secret[0] = rng_next(&h->rng);
    th->isn_secret[1] = rng_next(&h->rng);
    th->ts_secret = (uint32_t)rng_next(&h->rng);
    h->tcp = th;
    return th;
}

struct tcp_host *tcp_host_new(struct host *h, const struct tcp_config *cfg, tcp_output_fn out)
{
    struct tcp_config *own = malloc(sizeof(*own));
    if (!own)
        return NULL;
    if (cfg)
        *own = *cfg;
    else
        tcp_config_default(own);
    struct tcp_host *th = host_new(h, own, true, out);
    if (!th)
        free(own);
    return th;
}

struct tcp_host *tcp_host_new_shared(struct host *h, const struct tcp_config *cfg,
                                     tcp_output_fn out)
{
    /* Never written through: only a host's own copy is (by tests). */
    return host_new(h, (struct tcp_config *)cfg, false, out);
}

void tcp_host_free(struct tcp_host *th)
{
    for (struct tcp_sock *s = th->head, *next; s; s = next) { /* creation order */
        next = s->next;
        sock_free(s);
    }
    th->h->tcp = NULL;
    tcp_page_pool_free(&th->pages);
    free(th->hash);
    free(th->ports);
    if (th->cfg_owned)
        free(th->cfg);
    free(th);
}

const struct tcp_config *tcp_host_config(const struct host *h)
{
    const struct tcp_host *th = h->tcp;
    return th ? th->cfg : NULL;
}

struct tcp_sock *tcp_connect_from(struct tcp_host *th, uint32_t src, uint16_t sport, uint32_t dst,
                                  uint16_t dport, const char *name, const char *app,
                                  const struct tcp_sock_ops *ops, void *ctx, sim_time now)
{
    if (tcp_lookup(th, src, sport, dst, dport))
        return NULL;
    struct tcp_sock *s = tcp_sock_new(th, name, app);
    if (!s)
        return NULL;
    s->ops = ops;
    s->ctx = ctx;
    s->lip = src;
    s->lport = sport;
    s->rip = dst;
    s->rport = dport;
    tcp_hash_insert(s);
    s->iss = tcp_isn(th, src, sport, dst, dport, now);
    s->snd_una = s->iss;
    s->snd_nxt = s->iss + 1;
    s->snd_max = s->iss + 1;
    s->x->recover = s->iss - 1;
    s->ts_offset = th->ts_secret ^ s->iss;
    s->x->rtt_start = now;
    tcp_set_state(s, TCP_SYN_SENT, "app connect", now);
    tcp_emit(s, s->iss, TCP_SYN, 0, now);
    tcp_rto_restart(s, now);
    return s;
}
