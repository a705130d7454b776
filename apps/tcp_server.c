/* tcp_server: listens on a port and serves each accepted connection as a sink
 * (reads and verifies), an echo (sends back what it reads, at the same stream
 * offsets) or a responder (sends respond_bytes of the pattern).  It closes its
 * side once the peer has closed and all its own data is queued, so accepted
 * connections pass CLOSE_WAIT and LAST_ACK, unless close_never. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

struct srv_conn {
    struct app_stream st;
    struct tcp_server *srv;
    bool peer_closed;
    bool close_sent;
};

struct tcp_server {
    struct app base;
    struct app_tcp_server_cfg cfg;
    struct tcp_sock *listener; /* NULL once closed */
    struct srv_conn **conns;   /* in accept order */
    uint32_t n_conns, cap_conns;
};

static void maybe_close(struct srv_conn *c)
{
    if (!c->peer_closed || c->close_sent || c->srv->cfg.close_never || !c->st.s)
        return;
    if (!app_stream_all_queued(&c->st))
        return;
    c->close_sent = true;
    tcp_close(c->st.s);
}

static void after_read(struct app_stream *st)
{
    maybe_close((struct srv_conn *)st); /* st is its first member */
}

static void conn_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    struct srv_conn *c = ctx;
    app_stream_readable(&c->st, now);
}

static void conn_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    struct srv_conn *c = ctx;
    app_stream_writable(&c->st, now);
    maybe_close(c);
}

static void conn_peer_closed(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    (void)now;
    struct srv_conn *c = ctx;
    c->peer_closed = true;
    maybe_close(c);
}

static void conn_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s;
    struct srv_conn *c = ctx;
    app_stream_closed(&c->st, o, now);
}

static const struct tcp_sock_ops conn_ops = {
    .on_readable = conn_readable,
    .on_writable = conn_writable,
    .on_peer_closed = conn_peer_closed,
    .on_closed = conn_closed,
};

static bool conns_grow(struct tcp_server *srv)
{
    if (srv->n_conns < srv->cap_conns)
        return true;
    uint32_t cap = srv->cap_conns ? srv->cap_conns * 2 : 4;
    struct srv_conn **p = realloc(srv->conns, cap * sizeof(struct srv_conn *));
    if (!p)
        return false;
    srv->conns = p;
    srv->cap_conns = cap;
    return true;
}

static void on_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *child, sim_time now)
{
    (void)l;
    struct tcp_server *srv = ctx;
    struct srv_conn *c = conns_grow(srv) ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        tcp_abort(child); /* cannot serve it: refuse rather than leave it unread */
        return;
    }
    srv->conns[srv->n_conns++] = c;
    c->srv = srv;
    app_stream_init(&c->st, &srv->base, srv->cfg.read_rate_bps, srv->cfg.mode == APP_SERVER_ECHO);
    app_stream_attach(&c->st, child);
    c->st.after_read = after_read;
    tcp_set_ops(child, &conn_ops, c);
    if (srv->cfg.mode == APP_SERVER_RESPOND) {
        c->st.tx_goal = srv->cfg.respond_bytes;
        app_stream_pump(&c->st);
    }
    app_stream_readable(&c->st, now);
}

static void listener_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s;
    (void)o;
    (void)now;
    struct tcp_server *srv = ctx;
    srv->listener = NULL;
}

static const struct tcp_sock_ops listener_ops = {
    .on_accept = on_accept,
    .on_closed = listener_closed,
};

static struct srv_conn *find_conn(const struct tcp_server *srv, const char *name)
{
    for (uint32_t i = 0; i < srv->n_conns; i++)
        if (strcmp(srv->conns[i]->st.name, name) == 0)
            return srv->conns[i];
    return NULL;
}

static bool is_self(const struct tcp_server *srv, const char *conn)
{
    return !conn || strcmp(conn, srv->base.id) == 0;
}

/* The listener itself can be closed or aborted; it sends nothing. */
static bool listener_action(struct tcp_server *srv, enum app_action act)
{
    if (!srv->listener || act == APP_DO_SEND)
        return false;
    if (act == APP_DO_CLOSE)
        tcp_close(srv->listener);
    else
        tcp_abort(srv->listener);
    return true;
}

static bool server_action(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                          sim_time now)
{
    (void)now;
    struct tcp_server *srv = (struct tcp_server *)a;
    if (is_self(srv, conn))
        return listener_action(srv, act);
    struct srv_conn *c = find_conn(srv, conn);
    if (!c || !c->st.s)
        return false;
    switch (act) {
    case APP_DO_SEND:
        /* Extra bytes would shift an echo's offsets away from what it reads. */
        if (c->st.echo)
            return false;
        c->st.tx_goal += bytes;
        app_stream_pump(&c->st);
        return true;
    case APP_DO_CLOSE:
        c->close_sent = true;
        tcp_close(c->st.s);
        return true;
    case APP_DO_ABORT:
        tcp_abort(c->st.s);
        return true;
    }
    return false;
}

static void totals(const struct tcp_server *srv, struct app_stats *out)
{
    *out = (struct app_stats){.intact = true, .connections = srv->n_conns};
    for (uint32_t i = 0; i < srv->n_conns; i++) {
        const struct app_stream *st = &srv->conns[i]->st;
        out->bytes_received += st->rx;
        out->bytes_sent += st->tx;
        out->intact = out->intact && st->intact;
    }
    out->state = tcp_state_name(srv->listener ? TCP_LISTEN : TCP_CLOSED);
}

static bool server_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct tcp_server *srv = (const struct tcp_server *)a;
    if (is_self(srv, conn)) {
        totals(srv, out);
        return true;
    }
    const struct srv_conn *c = find_conn(srv, conn);
    if (!c)
        return false;
    *out = (struct app_stats){.connections = 1};
    app_stream_stats(&c->st, out);
    return true;
}

static const char *mode_name(enum app_server_mode m)
{
    switch (m) {
    case APP_SERVER_SINK:
        return "sink";
    case APP_SERVER_ECHO:
        return "echo";
    case APP_SERVER_RESPOND:
        return "respond";
    }
    return "?";
}

/* Per-connection lines only while there are few; the totals say the rest. */
#define REPORT_CONN_LINES 2

static void server_report(struct app *a, FILE *out)
{
    struct tcp_server *srv = (struct tcp_server *)a;
    struct app_stats t;
    totals(srv, &t);
    fprintf(out,
            "%s: %s on port %u, %" PRIu32 " connection%s, received %" PRIu64 " B%s, sent %" PRIu64
            " B\n",
            a->id, mode_name(srv->cfg.mode), srv->cfg.port, t.connections,
            t.connections == 1 ? "" : "s", t.bytes_received, t.intact ? " intact" : " CORRUPTED",
            t.bytes_sent);
    if (srv->n_conns > REPORT_CONN_LINES)
        return;
    for (uint32_t i = 0; i < srv->n_conns; i++) {
        char bytes[96], end[96];
        app_stream_fmt_bytes(&srv->conns[i]->st, bytes, sizeof(bytes));
        app_stream_fmt_end(&srv->conns[i]->st, end, sizeof(end));
        fprintf(out, "  %s: %s, %s\n", srv->conns[i]->st.name, bytes, end);
    }
}

static void server_destroy(struct app *a)
{
    struct tcp_server *srv = (struct tcp_server *)a;
    for (uint32_t i = 0; i < srv->n_conns; i++) {
        app_stream_detach(&srv->conns[i]->st);
        free(srv->conns[i]);
    }
    if (srv->listener)
        tcp_set_ops(srv->listener, NULL, NULL);
    free(srv->conns);
    free(a->id);
    free(srv);
}

static const struct app_ops server_ops = {
    .action = server_action,
    .report = server_report,
    .destroy = server_destroy,
    .stats = server_stats,
};

struct app *app_tcp_server_create(struct host *h, const struct app_tcp_server_cfg *c)
{
    struct tcp_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    if (!app_base_init(&srv->base, &server_ops, "tcp_server", c->id, h)) {
        free(srv);
        return NULL;
    }
    srv->cfg = *c;
    srv->cfg.id = srv->base.id;
    srv->listener = tcp_listen(h, c->port, c->backlog, srv->base.id, &listener_ops, srv);
    if (!srv->listener) {
        server_destroy(&srv->base);
        return NULL;
    }
    return &srv->base;
}
