/* Judging expectations (SPEC §3 `expect`) from what the observer saw.  Every
 * message starts with "expect[i]: " and says, in words, what was expected and
 * what happened, with the time where one matters. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../apps/apps.h"
#include "world_int.h"

/* A small growing string. */
struct msg {
    char *p;
    size_t len, cap;
    bool oom;
};

static void msg_add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || m->oom)
        return;
    char *src = tmp;
    char *big = NULL;
    if ((size_t)n >= sizeof tmp) {
        big = malloc((size_t)n + 1);
        if (!big) {
            m->oom = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        src = big;
    }
    if (m->len + (size_t)n + 1 > m->cap) {
        size_t cap = (m->len + (size_t)n + 1) * 2;
        char *p = realloc(m->p, cap);
        if (!p) {
            m->oom = true;
            free(big);
            return;
        }
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, src, (size_t)n + 1);
    m->len += (size_t)n;
    free(big);
}

static char *msg_take(struct msg *m)
{
    if (m->oom) {
        free(m->p);
        return NULL;
    }
    return m->p;
}

/* ---- wording ------------------------------------------------------------ */

/* Trims trailing zeros of a fixed-point value: 1500000 / 1000000 -> "1.5". */
static void fixed(char *buf, size_t size, int64_t v, int64_t unit, const char *suffix)
{
    int64_t whole = v / unit, frac = v % unit;
    if (frac == 0) {
        snprintf(buf, size, "%" PRId64 "%s", whole, suffix);
        return;
    }
    int digits = 0;
    for (int64_t u = unit; u > 1; u /= 10)
        digits++;
    /* frac < unit <= 10^9: at most 9 digits */
    char f[24];
    if (digits > 9)
        digits = 9;
    snprintf(f, sizeof f, "%0*" PRId64, digits, frac % 1000000000);
    for (int i = (int)strlen(f) - 1; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    snprintf(buf, size, "%" PRId64 ".%s%s", whole, f, suffix);
}

const char *world_fmt_time(sim_time t, char buf[32])
{
    if (t < 0) {
        snprintf(buf, 32, "-");
        return buf;
    }
    if (t >= SIM_SEC)
        fixed(buf, 32, t, SIM_SEC, "s");
    else if (t >= SIM_MS)
        fixed(buf, 32, t, SIM_MS, "ms");
    else if (t >= SIM_US)
        fixed(buf, 32, t, SIM_US, "us");
    else
        snprintf(buf, 32, "%" PRId64 "%s", t, t ? "ns" : "s");
    return buf;
}

/* "exactly 2", "at least 1", "at most 3", "between 1 and 3". */
static void describe_cmp(struct msg *m, const struct scn_cmp *c, const char *unit, bool time)
{
    char a[32], b[32];
    if (time) {
        world_fmt_time(c->has_eq ? c->eq : c->min, a);
        world_fmt_time(c->max, b);
    } else {
        snprintf(a, sizeof a, "%" PRId64 "%s", c->has_eq ? c->eq : c->min, unit);
        snprintf(b, sizeof b, "%" PRId64 "%s", c->max, unit);
    }
    if (c->has_eq)
        msg_add(m, "%s", a);
    else if (c->has_min && c->has_max)
        msg_add(m, "between %s and %s", a, b);
    else if (c->has_min)
        msg_add(m, "at least %s", a);
    else if (c->has_max)
        msg_add(m, "at most %s", b);
    else
        msg_add(m, "anything");
}

static bool cmp_holds(const struct scn_cmp *c, int64_t v)
{
    if (c->has_eq && v != c->eq)
        return false;
    if (c->has_min && v < c->min)
        return false;
    if (c->has_max && v > c->max)
        return false;
    return true;
}

static void describe_states(struct msg *m, const enum tcp_state *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        msg_add(m, "%s%s", i ? " " : "", tcp_state_name(v[i]));
}

static void describe_history(struct msg *m, const struct obs_conn *c)
{
    for (uint32_t i = 0; i < c->n_states; i++)
        msg_add(m, "%s%s", i ? " " : "", tcp_state_name(obs_state(c, i)));
}

static const char *conn_host(const struct obs_conn *c)
{
    return c && *obs_conn_host(c) ? obs_conn_host(c) : NULL;
}

/* "client c1" (host and connection), or just "c1" before it appeared. */
static void describe_conn(struct msg *m, const struct obs_conn *c, const char *name)
{
    if (conn_host(c))
        msg_add(m, "%s %s", obs_conn_host(c), name);
    else
        msg_add(m, "%s", name);
}

static void describe_filter(struct msg *m, const struct frame_filter *f)
{
    char flags[40];
    if (f->has_proto)
        msg_add(m, " %s", dec_proto_name(f->proto));
    if (f->has_flags)
        msg_add(m, " %s", dec_tcp_flags_str(f->tcp_flags, flags));
    msg_add(m, " frames");
    if (f->has_seq)
        msg_add(m, " with seq=%" PRIu32, f->seq);
    if (f->has_len)
        msg_add(m, "%s len=%" PRIu32, f->has_seq ? "," : " with", f->len);
}

/* ---- each kind ---------------------------------------------------------- */

/* Index in the history where the subsequence stops matching, or n when it matches. */
static uint32_t subsequence_miss(const struct obs_conn *c, const enum tcp_state *want, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; c && i < c->n_states && k < n; i++)
        if (obs_state(c, i) == want[k])
            k++;
    return k;
}

static bool judge_states(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_conn *c = observer_conn(w->obs, e->conn);
    bool ok;
    uint32_t miss = e->n_states;
    if (e->subsequence) {
        miss = subsequence_miss(c, e->states, e->n_states);
        ok = miss == e->n_states;
    } else {
        ok = c && c->n_states == e->n_states;
        for (uint32_t i = 0; ok && i < e->n_states; i++)
            ok = obs_state(c, i) == e->states[i];
    }
    describe_conn(m, c, e->conn);
    if (!c) {
        msg_add(m, " never appeared, expected states%s ", e->subsequence ? " including" : "");
        describe_states(m, e->states, e->n_states);
        return false;
    }
    msg_add(m, " went ");
    describe_history(m, c);
    if (ok)
        return true;
    msg_add(m, ", expected %s", e->subsequence ? "to pass " : "");
    describe_states(m, e->states, e->n_states);
    if (e->subsequence)
        msg_add(m, " in this order (no %s%s%s)", tcp_state_name(e->states[miss]),
                miss ? " after " : "", miss ? tcp_state_name(e->states[miss - 1]) : "");
    return false;
}

static bool judge_state_at(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_conn *c = observer_conn(w->obs, e->conn);
    enum tcp_state s = obs_state_at(c, e->at);
    char t[32];
    describe_conn(m, c, e->conn);
    msg_add(m, " state at %s was %s", world_fmt_time(e->at, t), tcp_state_name(s));
    if (s == e->state)
        return true;
    msg_add(m, ", expected %s", tcp_state_name(e->state));
    return false;
}

/* What an app received, and whether intact: from the app itself when it
 * keeps statistics, else from the trace (deliver and verify_failed events). */
static void app_received(const struct world *w, uint32_t app, uint64_t *got, bool *intact)
{
    struct app_stats st;
    if (app_stats(w->apps[app], NULL, &st)) {
        *got = st.bytes_received;
        *intact = st.intact;
        return;
    }
    const struct obs_app *a = observer_app(w->obs, scenario_app_id(w->scn, app));
    *got = a ? a->delivered : 0;
    *intact = !a || a->verify_failed == 0;
}

static bool judge_received(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const char *id = scenario_app_id(w->scn, e->app);
    uint64_t got;
    bool intact;
    app_received(w, e->app, &got, &intact);
    bool ok = cmp_holds(&e->cmp, (int64_t)got) && intact;
    msg_add(m, "app %s received %" PRIu64 " B", id, got);
    if (!intact)
        msg_add(m, " that did not match the data sent");
    if (ok)
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, " B", false);
    if (!intact)
        msg_add(m, " intact");
    return false;
}

static bool judge_count(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_count *c = observer_count(w->obs, e->index);
    uint64_t n = c ? c->count : 0;
    const struct scenario *sc = w->scn;
    msg_add(m, "count of");
    describe_filter(m, &e->filter);
    msg_add(m, " on %s", scenario_link_name(sc, e->link));
    if (e->side >= 0)
        msg_add(m, " from %s",
                scenario_host_name(sc, scenario_link_host(sc, e->link, e->side ? 1 : 0)));
    msg_add(m, " was %" PRIu64, n);
    if (cmp_holds(&e->cmp, (int64_t)n))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, "", false);
    return false;
}

static bool judge_retransmits(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_conn *c = observer_conn(w->obs, e->conn);
    uint64_t n = c ? c->retx : 0;
    describe_conn(m, c, e->conn);
    msg_add(m, " retransmitted %" PRIu64 " segment%s", n, n == 1 ? "" : "s");
    if (cmp_holds(&e->cmp, (int64_t)n))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, "", false);
    return false;
}

/* The statistics of the app that owns connection `conn` ("c1", "srv#1"). */
static bool conn_stats(const struct world *w, const char *conn, struct app_stats *st)
{
    const char *hash = strchr(conn, '#');
    size_t n = hash ? (size_t)(hash - conn) : strlen(conn);
    char id[128];
    if (n >= sizeof id)
        return false;
    memcpy(id, conn, n);
    id[n] = '\0';
    uint32_t i = scenario_app_index(w->scn, id);
    return i != UINT32_MAX && app_stats(w->apps[i], hash ? conn : NULL, st) && st->outcome;
}

static bool judge_outcome(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_conn *c = observer_conn(w->obs, e->conn);
    struct app_stats st;
    const char *want = tcp_outcome_name(e->outcome);
    describe_conn(m, c, e->conn);
    /* The owning app knows the socket's own verdict; the trace is the fallback. */
    const char *got = conn_stats(w, e->conn, &st) ? st.outcome
                      : c                         ? tcp_outcome_name(c->outcome)
                                                  : NULL;
    if (!got) {
        msg_add(m, " never appeared, expected outcome %s", want);
        return false;
    }
    msg_add(m, " outcome was %s", got);
    if (strcmp(got, want) == 0)
        return true;
    msg_add(m, ", expected %s", want);
    return false;
}

/* Ping replies and their RTT range: from the app's statistics when it keeps
 * them, else from its trace events. */
static void ping_results(const struct world *w, uint32_t app, uint64_t *n, sim_time *lo,
                         sim_time *hi)
{
    struct app_stats st;
    if (app_stats(w->apps[app], NULL, &st)) {
        *n = st.ping_received;
        *lo = st.rtt_min;
        *hi = st.rtt_max;
        return;
    }
    const struct obs_app *a = observer_app(w->obs, scenario_app_id(w->scn, app));
    *n = a ? a->replies : 0;
    *lo = a ? a->rtt_min : 0;
    *hi = a ? a->rtt_max : 0;
}

static bool judge_ping_replies(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    uint64_t n;
    sim_time lo, hi;
    ping_results(w, e->app, &n, &lo, &hi);
    msg_add(m, "%s got %" PRIu64 " repl%s", scenario_app_id(w->scn, e->app), n,
            n == 1 ? "y" : "ies");
    if (cmp_holds(&e->cmp, (int64_t)n))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, "", false);
    return false;
}

/* Connections a tcp_server accepted (each reached ESTABLISHED). */
static bool judge_connections(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    struct app_stats st = {0};
    app_stats(w->apps[e->app], NULL, &st);
    msg_add(m, "%s accepted %" PRIu32 " connection%s", scenario_app_id(w->scn, e->app),
            st.connections, st.connections == 1 ? "" : "s");
    if (cmp_holds(&e->cmp, (int64_t)st.connections))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, "", false);
    return false;
}

static bool judge_rtt(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const char *id = scenario_app_id(w->scn, e->app);
    uint64_t n;
    sim_time lo, hi;
    char a[32], b[32];
    ping_results(w, e->app, &n, &lo, &hi);
    if (n == 0) {
        msg_add(m, "%s got no replies, expected rtt ", id);
        describe_cmp(m, &e->cmp, "", true);
        return false;
    }
    msg_add(m, "%s rtt was %s..%s", id, world_fmt_time(lo, a), world_fmt_time(hi, b));
    if (cmp_holds(&e->cmp, lo) && cmp_holds(&e->cmp, hi))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, "", true);
    return false;
}

static bool judge_cwnd(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const struct obs_conn *c = observer_conn(w->obs, e->conn);
    char t[32];
    describe_conn(m, c, e->conn);
    world_fmt_time(e->at, t);
    const struct obs_cc_log *log = observer_cc(w->obs, e->conn);
    const struct obs_cc *last = NULL;
    for (uint32_t i = 0; log && i < log->n && log->v[i].t <= e->at; i++)
        last = &log->v[i];
    if (!last) {
        msg_add(m, " had no congestion window yet at %s, expected ", t);
        describe_cmp(m, &e->cmp, " B", false);
        return false;
    }
    msg_add(m, " cwnd at %s was %" PRIu64 " B", t, last->cwnd);
    if (cmp_holds(&e->cmp, (int64_t)last->cwnd))
        return true;
    msg_add(m, ", expected ");
    describe_cmp(m, &e->cmp, " B", false);
    return false;
}

/* Compares hex digests, ignoring an optional "sha256:" prefix and case. */
static bool same_digest(const char *a, const char *b)
{
    if (strncmp(a, "sha256:", 7) == 0)
        a += 7;
    if (strncmp(b, "sha256:", 7) == 0)
        b += 7;
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == '\0' && *b == '\0';
}

static bool judge_sha256(const struct world *w, const struct scn_expect *e, struct msg *m)
{
    const char *got = w->digest[0] ? w->digest : "(none)";
    if (w->update_golden) {
        msg_add(m, "trace_sha256 is now %s", got);
        return true;
    }
    msg_add(m, "trace_sha256 was %s", got);
    if (w->digest[0] && same_digest(w->digest, e->sha256))
        return true;
    msg_add(m, ", expected %s%s", strncmp(e->sha256, "sha256:", 7) ? "sha256:" : "", e->sha256);
    return false;
}

char *expect_judge(const struct world *w, const struct scn_expect *e, bool *ok)
{
    struct msg m = {0};
    msg_add(&m, "expect[%" PRIu32 "]: ", e->index);
    switch (e->kind) {
    case SCN_EXP_STATES:
        *ok = judge_states(w, e, &m);
        break;
    case SCN_EXP_STATE_AT:
        *ok = judge_state_at(w, e, &m);
        break;
    case SCN_EXP_RECEIVED:
        *ok = judge_received(w, e, &m);
        break;
    case SCN_EXP_COUNT:
        *ok = judge_count(w, e, &m);
        break;
    case SCN_EXP_RETRANSMITS:
        *ok = judge_retransmits(w, e, &m);
        break;
    case SCN_EXP_OUTCOME:
        *ok = judge_outcome(w, e, &m);
        break;
    case SCN_EXP_PING_REPLIES:
        *ok = judge_ping_replies(w, e, &m);
        break;
    case SCN_EXP_RTT:
        *ok = judge_rtt(w, e, &m);
        break;
    case SCN_EXP_CONNECTIONS:
        *ok = judge_connections(w, e, &m);
        break;
    case SCN_EXP_CWND:
        *ok = judge_cwnd(w, e, &m);
        break;
    case SCN_EXP_TRACE_SHA256:
        *ok = judge_sha256(w, e, &m);
        break;
    default:
        msg_add(&m, "unknown kind of expectation");
        *ok = false;
        break;
    }
    return msg_take(&m);
}
