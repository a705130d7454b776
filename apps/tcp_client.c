/* tcp_client: connects at `at`, sends `send` bytes of the pattern once
 * connected and further bytes at the times of its script, reads and verifies
 * whatever the server sends back, and closes after sending, at a time, or
 * never; abort_at resets the connection. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

/* Settings few clients use: only they pay for them. */
struct client_extras {
    struct sim_timer script_timer, close_timer, abort_timer;
    uint32_t n_script, next_step;  /* next_step: first step not yet due */
    struct app_send_step script[]; /* own copy, sorted by time */
};

/* One per client of a world that may have many: what it keeps is what it
 * still needs (the address to connect to, the close rule, the stream) and
 * its id, in one allocation. */
struct tcp_client {
    struct app base;
    struct app_stream st;
    struct client_extras *x; /* NULL when no script, close_at or abort_at */
    /* The connect timer is done with once it fired (started): its room then
     * holds the connection's figures, which are kept when it closes. */
    union {
        struct sim_timer connect_timer; /* until started */
        struct app_conn_figures fig;    /* once started */
    } u;
    uint32_t dst;
    uint16_t dport, sport;
    uint8_t close;      /* enum app_close_mode */
    bool started : 1;   /* tcp_connect was called */
    bool failed : 1;    /* tcp_connect refused to open (no route, port taken) */
    bool connected : 1; /* on_connected */
    bool closing : 1;   /* tcp_close was called (or must be, once connected) */
    char id[];
};

/* True while steps of the script are not yet due. */
static bool script_pending(const struct tcp_client *cl)
{
    return cl->x && cl->x->next_step < cl->x->n_script;
}

static void maybe_close_after_send(struct tcp_client *cl)
{
    if (cl->close != APP_CLOSE_AFTER_SEND || cl->closing || !cl->connected || !cl->st.s)
        return;
    if (script_pending(cl) || !app_stream_all_queued(&cl->st))
        return;
    /* The last byte is with TCP: the FIN follows it (RFC 9293 §3.10.4). */
    cl->closing = true;
    tcp_close(cl->st.s);
}

static void send_more(struct tcp_client *cl)
{
    if (!cl->connected)
        return; /* on_connected sends what is due */
    app_stream_pump(&cl->st);
    maybe_close_after_send(cl);
}

static void on_connected(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    (void)now;
    struct tcp_client *cl = ctx;
    cl->connected = true;
    send_more(cl);
}

static void on_readable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    struct tcp_client *cl = ctx;
    app_stream_readable(&cl->st, &cl->base, now);
}

static void on_writable(void *ctx, struct tcp_sock *s, sim_time now)
{
    (void)s;
    (void)now;
    struct tcp_client *cl = ctx;
    send_more(cl);
}

static void on_closed(void *ctx, struct tcp_sock *s, enum tcp_outcome o, sim_time now)
{
    (void)s;
    struct tcp_client *cl = ctx;
    app_stream_closed(&cl->st, &cl->u.fig, o, now);
}

/* The peer's FIN needs nothing here: the client closes by its own rule. */
static const struct tcp_sock_ops client_ops = {
    .on_connected = on_connected,
    .on_readable = on_readable,
    .on_writable = on_writable,
    .on_closed = on_closed,
};

static void connect_fire(void *ctx, sim_time now)
{
    (void)now;
    struct tcp_client *cl = ctx;
    if (cl->closing)
        return; /* closed before it was due to connect */
    cl->started = true;
    cl->u.fig = (struct app_conn_figures){0}; /* the timer has fired: its room is free */
    struct tcp_sock *s = tcp_connect(cl->base.host, cl->dst, cl->dport, cl->sport, cl->base.id,
                                     cl->base.id, &client_ops, cl);
    if (!s) {
        cl->failed = true;
        app_trace(&cl->base, cl->base.id,
                  &(struct trace_event){.what = "error", .detail = "connect failed"});
        return;
    }
    app_stream_attach(&cl->st, s);
}

static void script_fire(void *ctx, sim_time now)
{
    struct tcp_client *cl = ctx;
    struct client_extras *x = cl->x;
    while (x->next_step < x->n_script && x->script[x->next_step].at <= now)
        cl->st.tx_goal += x->script[x->next_step++].bytes;
    if (x->next_step < x->n_script)
        sim_timer_arm(cl->base.host->sim, &x->script_timer, x->script[x->next_step].at);
    send_more(cl);
}

static void do_close(struct tcp_client *cl)
{
    cl->closing = true;
    if (cl->st.s)
        tcp_close(cl->st.s);
}

static void close_fire(void *ctx, sim_time now)
{
    (void)now;
    do_close(ctx);
}

static void abort_fire(void *ctx, sim_time now)
{
    (void)now;
    struct tcp_client *cl = ctx;
    if (cl->st.s)
        tcp_abort(cl->st.s);
}

static bool client_action(struct app *a, const char *conn, enum app_action act, uint64_t bytes,
                          sim_time now)
{
    (void)now;
    struct tcp_client *cl = (struct tcp_client *)a;
    if ((conn && strcmp(conn, a->id) != 0) || !cl->st.s)
        return false;
    switch (act) {
    case APP_DO_SEND:
        if (cl->closing)
            return false;
        cl->st.tx_goal += bytes;
        send_more(cl);
        return true;
    case APP_DO_CLOSE:
        if (cl->closing)
            return false;
        do_close(cl);
        return true;
    case APP_DO_ABORT:
        tcp_abort(cl->st.s);
        return true;
    }
    return false;
}

static bool client_stats(const struct app *a, const char *conn, struct app_stats *out)
{
    const struct tcp_client *cl = (const struct tcp_client *)a;
    if (conn && strcmp(conn, a->id) != 0)
        return false;
    *out = (struct app_stats){0};
    app_stream_stats(&cl->st, out);
    out->connections = cl->connected ? 1 : 0;
    if (!cl->started) {
        out->outcome = tcp_outcome_name(TCP_OUTCOME_PENDING);
        out->state = tcp_state_name(TCP_CLOSED);
    }
    return true;
}

static void client_report(struct app *a, FILE *out)
{
    struct tcp_client *cl = (struct tcp_client *)a;
    char bytes[96], end[96];
    app_stream_fmt_bytes(&cl->st, bytes, sizeof(bytes));
    if (cl->failed)
        snprintf(end, sizeof(end), "connect failed");
    else if (!cl->started)
        snprintf(end, sizeof(end), "not started");
    else
        app_stream_fmt_end(&cl->st, &cl->u.fig, a, end, sizeof(end));
    fprintf(out, "%s: %s, %s\n", a->id, bytes, end);
}

static void client_destroy(struct app *a)
{
    struct tcp_client *cl = (struct tcp_client *)a;
    struct sim *sim = a->host->sim;
    if (!cl->started)
        sim_timer_cancel(sim, &cl->u.connect_timer);
    if (cl->x) {
        sim_timer_cancel(sim, &cl->x->script_timer);
        sim_timer_cancel(sim, &cl->x->close_timer);
        sim_timer_cancel(sim, &cl->x->abort_timer);
        free(cl->x);
    }
    app_stream_detach(&cl->st, cl->started ? &cl->u.fig : NULL);
    free(cl);
}

static const struct app_ops client_ops_app = {
    .type = "tcp_client",
    .action = client_action,
    .report = client_report,
    .destroy = client_destroy,
    .stats = client_stats,
};

static int step_cmp(const struct app_send_step *a, const struct app_send_step *b)
{
    return (a->at > b->at) - (a->at < b->at);
}

/* A sorted copy of the script; equal times keep their order (insertion sort is
 * stable, unlike qsort) since the scripts are short. */
static void copy_script(struct app_send_step *dst, const struct app_send_step *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        while (j > 0 && step_cmp(&dst[j - 1], &src[i]) > 0) {
            dst[j] = dst[j - 1];
            j--;
        }
        dst[j] = src[i];
    }
}

static bool needs_extras(const struct app_tcp_client_cfg *c)
{
    return c->n_script || c->close == APP_CLOSE_AT || c->abort_at >= 0;
}

/* The timers and the script of a client that has them; false when memory runs out. */
static bool make_extras(struct tcp_client *cl, const struct app_tcp_client_cfg *c)
{
    if (!needs_extras(c))
        return true;
    struct client_extras *x = calloc(1, sizeof(*x) + c->n_script * sizeof(x->script[0]));
    if (!x)
        return false;
    x->n_script = c->n_script;
    copy_script(x->script, c->script, c->n_script);
    sim_timer_init(&x->script_timer, script_fire, cl);
    sim_timer_init(&x->close_timer, close_fire, cl);
    sim_timer_init(&x->abort_timer, abort_fire, cl);
    cl->x = x;
    return true;
}

/* In this order, so that timers due at the same instant fire as they always have. */
static void arm_timers(struct tcp_client *cl, const struct app_tcp_client_cfg *c)
{
    struct sim *sim = cl->base.host->sim;
    struct client_extras *x = cl->x;
    sim_timer_arm(sim, &cl->u.connect_timer, c->at);
    if (c->n_script)
        sim_timer_arm(sim, &x->script_timer, x->script[0].at);
    if (c->close == APP_CLOSE_AT)
        sim_timer_arm(sim, &x->close_timer, c->close_at);
    if (c->abort_at >= 0)
        sim_timer_arm(sim, &x->abort_timer, c->abort_at);
}

struct app *app_tcp_client_create(struct host *h, const struct app_tcp_client_cfg *c)
{
    const char *id = c->id ? c->id : "";
    size_t id_len = strlen(id) + 1;
    /* A short id fits in the struct's tail padding. */
    size_t size = offsetof(struct tcp_client, id) + id_len;
    struct tcp_client *cl = calloc(1, size > sizeof(*cl) ? size : sizeof(*cl));
    if (!cl)
        return NULL;
    memcpy(cl->id, id, id_len);
    cl->base = (struct app){.ops = &client_ops_app, .id = cl->id, .host = h};
    if (!app_stream_init(&cl->st, &cl->base, c->read_rate_bps, false, NULL) ||
        !make_extras(cl, c)) {
        free(cl->st.slow);
        free(cl);
        return NULL;
    }
    cl->dst = c->dst;
    cl->dport = c->dport;
    cl->sport = c->sport;
    cl->close = (uint8_t)c->close;
    cl->st.tx_goal = c->send;
    sim_timer_init(&cl->u.connect_timer, connect_fire, cl);
    arm_timers(cl, c);
    return &cl->base;
}
