/* tcp_client: connects at `at`, sends `send` bytes of the pattern once
 * connected and further bytes at the times of its script, reads and verifies
 * whatever the server sends back, and closes after sending, at a time, or
 * never; abort_at resets the connection. */
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

struct tcp_client {
    struct app base;
    struct app_tcp_client_cfg cfg;
    struct app_send_step *script; /* own copy, sorted by time */
    uint32_t next_step;           /* first step not yet due */
    struct app_stream st;
    bool started;   /* tcp_connect was called */
    bool failed;    /* tcp_connect refused to open (no route, port taken) */
    bool connected; /* on_connected */
    bool closing;   /* tcp_close was called (or must be, once connected) */
    struct sim_timer connect_timer, script_timer, close_timer, abort_timer;
};

static void maybe_close_after_send(struct tcp_client *cl)
{
    if (cl->cfg.close != APP_CLOSE_AFTER_SEND || cl->closing || !cl->connected || !cl->st.s)
        return;
    if (cl->next_step < cl->cfg.n_script || !app_stream_all_queued(&cl->st))
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
    app_stream_readable(&cl->st, now);
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
    app_stream_closed(&cl->st, o, now);
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
    struct tcp_sock *s = tcp_connect(cl->base.host, cl->cfg.dst, cl->cfg.dport, cl->cfg.sport,
                                     cl->base.id, cl->base.id, &client_ops, cl);
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
    while (cl->next_step < cl->cfg.n_script && cl->script[cl->next_step].at <= now)
        cl->st.tx_goal += cl->script[cl->next_step++].bytes;
    if (cl->next_step < cl->cfg.n_script)
        sim_timer_arm(cl->base.host->sim, &cl->script_timer, cl->script[cl->next_step].at);
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
        app_stream_fmt_end(&cl->st, end, sizeof(end));
    fprintf(out, "%s: %s, %s\n", a->id, bytes, end);
}

static void client_destroy(struct app *a)
{
    struct tcp_client *cl = (struct tcp_client *)a;
    struct sim *sim = a->host->sim;
    sim_timer_cancel(sim, &cl->connect_timer);
    sim_timer_cancel(sim, &cl->script_timer);
    sim_timer_cancel(sim, &cl->close_timer);
    sim_timer_cancel(sim, &cl->abort_timer);
    app_stream_detach(&cl->st);
    free(cl->script);
    free(a->id);
    free(cl);
}

static const struct app_ops client_ops_app = {
    .action = client_action,
    .report = client_report,
    .destroy = client_destroy,
    .stats = client_stats,
};

static int step_cmp(const void *x, const void *y)
{
    const struct app_send_step *a = x, *b = y;
    return (a->at > b->at) - (a->at < b->at);
}

/* A sorted copy of the script; equal times keep their order (insertion sort is
 * stable, unlike qsort) since the scripts are short. */
static bool copy_script(struct tcp_client *cl, const struct app_tcp_client_cfg *c)
{
    if (!c->n_script)
        return true;
    cl->script = malloc(c->n_script * sizeof(*cl->script));
    if (!cl->script)
        return false;
    for (uint32_t i = 0; i < c->n_script; i++) {
        uint32_t j = i;
        while (j > 0 && step_cmp(&cl->script[j - 1], &c->script[i]) > 0) {
            cl->script[j] = cl->script[j - 1];
            j--;
        }
        cl->script[j] = c->script[i];
    }
    cl->cfg.script = cl->script;
    return true;
}

static void arm_timers(struct tcp_client *cl)
{
    struct sim *sim = cl->base.host->sim;
    sim_timer_arm(sim, &cl->connect_timer, cl->cfg.at);
    if (cl->cfg.n_script)
        sim_timer_arm(sim, &cl->script_timer, cl->script[0].at);
    if (cl->cfg.close == APP_CLOSE_AT)
        sim_timer_arm(sim, &cl->close_timer, cl->cfg.close_at);
    if (cl->cfg.abort_at >= 0)
        sim_timer_arm(sim, &cl->abort_timer, cl->cfg.abort_at);
}

struct app *app_tcp_client_create(struct host *h, const struct app_tcp_client_cfg *c)
{
    struct tcp_client *cl = calloc(1, sizeof(*cl));
    if (!cl)
        return NULL;
    if (!app_base_init(&cl->base, &client_ops_app, "tcp_client", c->id, h)) {
        free(cl);
        return NULL;
    }
    cl->cfg = *c;
    cl->cfg.id = cl->base.id;
    cl->cfg.script = NULL;
    if (!copy_script(cl, c)) {
        free(cl->base.id);
        free(cl);
        return NULL;
    }
    app_stream_init(&cl->st, &cl->base, c->read_rate_bps, false);
    snprintf(cl->st.name, sizeof(cl->st.name), "%s", cl->base.id);
    cl->st.tx_goal = c->send;
    sim_timer_init(&cl->connect_timer, connect_fire, cl);
    sim_timer_init(&cl->script_timer, script_fire, cl);
    sim_timer_init(&cl->close_timer, close_fire, cl);
    sim_timer_init(&cl->abort_timer, abort_fire, cl);
    arm_timers(cl);
    return &cl->base;
}
