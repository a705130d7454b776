/* tcp_server: listens on a port and serves each accepted connection as a sink
 * (reads and verifies), an echo (sends back what it reads, at the same stream
 * offsets) or a responder (sends respond_bytes of the pattern).  It closes its
 * side once the peer has closed and all its own data is queued, so accepted
 * connections pass CLOSE_WAIT and LAST_ACK, unless close_never. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

/* The per-connection lines of the report are written only while there are
 * this few connections; the first ones are therefore kept whole. */
#define REPORT_CONN_LINES 2

/* What is kept of every accepted connection, in accept order: enough for
 * its statistics by name and the server's totals once it is gone. */
struct conn_rec {
    uint64_t rx, tx; /* once closed (an open one's are in its stream) */
    uint32_t name;   /* offset of its name in the server's names */
    uint8_t outcome; /* enum tcp_outcome, once closed */
    bool intact : 1; /* once closed */
    bool open : 1;   /* its srv_conn is on the server's open list */
};

/* An open connection; freed when it closes unless it is one of the first. */
struct srv_conn {
    struct app_stream st; /* first: after_read gets the stream */
    struct tcp_server *srv;
    struct srv_conn *prev, *next; /* the server's open connections */
    uint32_t rec;                 /* its index in the server's records */
    bool peer_closed;
    bool close_sent;
};

struct tcp_server {
    struct app base;
    struct app_tcp_server_cfg cfg;
    struct tcp_sock *listener; /* NULL once closed */
    struct conn_rec *recs;     /* every accepted connection, in accept order */
    uint32_t n_conns, cap_recs;
    char *names; /* the connections' names, each NUL-terminated */
    uint32_t names_len, names_cap;
    struct srv_conn *open; /* open connections, most recently accepted first */
    /* The first connections, whole until the end, for the report's lines. */
    struct srv_conn *kept[REPORT_CONN_LINES];
    struct app_conn_figures kept_fig[REPORT_CONN_LINES];
};

static bool is_kept(const struct srv_conn *c)
{
    return c->rec < REPORT_CONN_LINES;
}

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
    if (app_stream_readable(&c->st, &c->srv->base, now))
        maybe_close(c);
}

static void conn_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    struct srv_conn *c = ctx;
    app_stream_writable(&c->st, &c->srv->base, now);
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

static void unlink_open(struct tcp_server *srv, struct srv_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->open = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    srv->recs[c->rec].open = false;
}

/* The connection is over: its record takes its results, and its state goes
 * (tcp frees the socket right after this callback). */
static void conn_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s;
    struct srv_conn *c = ctx;
    struct tcp_server *srv = c->srv;
    app_stream_closed(&c->st, is_kept(c) ? &srv->kept_fig[c->rec] : NULL, o, now);
    struct conn_rec *r = &srv->recs[c->rec];
    r->rx = c->st.rx;
    r->tx = c->st.tx;
    r->outcome = c->st.outcome;
    r->intact = c->st.intact;
    unlink_open(srv, c);
    if (!is_kept(c))
        free(c);
}

static const struct tcp_sock_ops conn_ops = {
    .on_readable = conn_readable,
    .on_writable = conn_writable,
    .on_peer_closed = conn_peer_closed,
    .on_closed = conn_closed,
};

/* Room for one more record and `name_len` more bytes of names. */
static bool reserve(struct tcp_server *srv, uint32_t name_len)
{
    if (srv->n_conns == srv->cap_recs) {
        uint32_t cap = srv->cap_recs ? srv->cap_recs * 2 : 4;
        struct conn_rec *p = realloc(srv->recs, cap * sizeof(*p));
        if (!p)
            return false;
        srv->recs = p;
        srv->cap_recs = cap;
    }
    if (srv->names_cap - srv->names_len < name_len) {
        uint32_t cap = srv->names_cap ? srv->names_cap : 64;
        while (cap - srv->names_len < name_len)
            cap *= 2;
        char *p = realloc(srv->names, cap);
        if (!p)
            return false;
        srv->names = p;
        srv->names_cap = cap;
    }
    return true;
}

/* A new record (open) for the connection named `name`. */
static uint32_t add_rec(struct tcp_server *srv, const char *name, uint32_t name_len)
{
    memcpy(srv->names + srv->names_len, name, name_len);
    srv->recs[srv->n_conns] = (struct conn_rec){.name = srv->names_len, .open = true};
    srv->names_len += name_len;
    return srv->n_conns++;
}

static struct srv_conn *new_conn(struct tcp_server *srv, struct tcp_sock *child)
{
    uint32_t name_len = (uint32_t)strlen(tcp_sock_name(child)) + 1;
    struct srv_conn *c = reserve(srv, name_len) ? calloc(1, sizeof(*c)) : NULL;
    if (!c)
        return NULL;
    if (!app_stream_init(&c->st, &srv->base, srv->cfg.read_rate_bps,
                         srv->cfg.mode == APP_SERVER_ECHO, after_read)) {
        free(c);
        return NULL;
    }
    c->srv = srv;
    c->rec = add_rec(srv, tcp_sock_name(child), name_len);
    c->next = srv->open;
    if (c->next)
        c->next->prev = c;
    srv->open = c;
    if (is_kept(c))
        srv->kept[c->rec] = c;
    return c;
}

static void on_accept(void *ctx, struct tcp_sock *l, struct tcp_sock *child, sim_time now)
{
    (void)l;
    struct tcp_server *srv = ctx;
    struct srv_conn *c = new_conn(srv, child);
    if (!c) {
        tcp_abort(child); /* cannot serve it: refuse rather than leave it unread */
        return;
    }
    app_stream_attach(&c->st, child);
    tcp_set_ops(child, &conn_ops, c);
    if (srv->cfg.mode == APP_SERVER_RESPOND) {
        c->st.tx_goal = srv->cfg.respond_bytes;
        app_stream_pump(&c->st);
    }
    if (app_stream_readable(&c->st, &srv->base, now))
        maybe_close(c);
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

/* The record of the connection named `name`, or NULL. */
static const struct conn_rec *find_rec(const struct tcp_server *srv, const char *name)
{
    for (uint32_t i = 0; i < srv->n_conns; i++)
        if (strcmp(srv->names + srv->recs[i].name, name) == 0)
            return &srv->recs[i];
    return NULL;
}

/* The open connection named `name`, or NULL. */
static struct srv_conn *find_open(const struct tcp_server *srv, const char *name)
{
    const struct conn_rec *r = find_rec(srv, name);
    if (!r || !r->open)
        return NULL;
    uint32_t i = (uint32_t)(r - srv->recs);
    struct srv_conn *c = srv->open;
    while (c && c->rec != i)
        c = c->next;
    return c;
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
    struct srv_conn *c = find_open(srv, conn);
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

/* A closed connection's statistics, from its record. */
static void rec_stats(const struct conn_rec *r, struct app_stats *out)
{
    out->bytes_received = r->rx;
    out->bytes_sent = r->tx;
    out->intact = r->intact;
    out->outcome = tcp_outcome_name((enum tcp_outcome)r->outcome);
    out->state = tcp_state_name(TCP_CLOSED);
}

static void totals(const struct tcp_server *srv, struct app_stats *out)
{
    *out = (struct app_stats){.intact = true, .connections = srv->n_conns};
    for (uint32_t i = 0; i < srv->n_conns; i++) {
        const struct conn_rec *r = &srv->recs[i];
        if (r->open)
            continue;
        out->bytes_received += r->rx;
        out->bytes_sent += r->tx;
        out->intact = out->intact && r->intact;
    }
    for (const struct srv_conn *c = srv->open; c; c = c->next) {
        out->bytes_received += c->st.rx;
        out->bytes_sent += c->st.tx;
        out->intact = out->intact && c->st.intact;
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
    const struct conn_rec *r = find_rec(srv, conn);
    if (!r)
        return false;
    *out = (struct app_stats){.connections = 1};
    const struct srv_conn *c = r->open ? find_open(srv, conn) : NULL;
    if (c)
        app_stream_stats(&c->st, out);
    else
        rec_stats(r, out);
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
    /* Few connections: all of them were kept whole. */
    for (uint32_t i = 0; i < srv->n_conns; i++) {
        const struct srv_conn *c = srv->kept[i];
        char bytes[96], end[96];
        app_stream_fmt_bytes(&c->st, bytes, sizeof(bytes));
        app_stream_fmt_end(&c->st, &srv->kept_fig[i], a, end, sizeof(end));
        fprintf(out, "  %s: %s, %s\n", srv->names + srv->recs[i].name, bytes, end);
    }
}

static void server_destroy(struct app *a)
{
    struct tcp_server *srv = (struct tcp_server *)a;
    for (struct srv_conn *c = srv->open, *next; c; c = next) {
        next = c->next;
        app_stream_detach(&c->st, is_kept(c) ? &srv->kept_fig[c->rec] : NULL);
        if (!is_kept(c))
            free(c);
    }
    for (uint32_t i = 0; i < REPORT_CONN_LINES; i++)
        free(srv->kept[i]);
    if (srv->listener)
        tcp_set_ops(srv->listener, NULL, NULL);
    free(srv->recs);
    free(srv->names);
    free(a->id);
    free(srv);
}

static const struct app_ops server_ops = {
    .type = "tcp_server",
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
    if (!app_base_init(&srv->base, &server_ops, c->id, h)) {
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
