/* The human report of `tcpsim run` (SPEC §1): what a student wants to read
 * after a run, in the order things happen in a connection's life. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../apps/apps.h"
#include "world_int.h"

#define REPORT_MAX_CONNS 50

/* "   21.232 ms": milliseconds with microsecond resolution, aligned. */
static void put_ms(FILE *out, sim_time t)
{
    fprintf(out, "%8" PRId64 ".%03" PRId64 " ms", t / SIM_MS, (t % SIM_MS) / SIM_US);
}

static void report_conn(const struct obs_conn *c, FILE *out)
{
    fprintf(out, "  %s (%s)\n", obs_conn_name(c), obs_conn_host(c));
    for (uint32_t i = 1; i < c->n_states; i++) {
        fputs("  ", out);
        put_ms(out, obs_time(c, i));
        fprintf(out, "  %s -> %s\n", tcp_state_name(obs_state(c, i - 1)),
                tcp_state_name(obs_state(c, i)));
    }
}

static void report_conns(const struct world *w, FILE *out)
{
    const struct world_observer *o = w->obs;
    if (o->n_conns == 0)
        return;
    fputs("\nConnections\n", out);
    for (uint32_t i = 0; i < o->n_conns && i < REPORT_MAX_CONNS; i++)
        report_conn(&o->conns[i], out);
    if (o->n_conns > REPORT_MAX_CONNS)
        fprintf(out, "  ... and %" PRIu32 " more connections\n", o->n_conns - REPORT_MAX_CONNS);
}

/* An app's own report lines, indented; the observer's count if it has none. */
static void report_app(const struct world *w, uint32_t i, FILE *out)
{
    struct app *a = w->apps[i];
    char *text = NULL;
    size_t len = 0;
    if (a && a->ops->report) {
        FILE *mem = open_memstream(&text, &len);
        if (mem) {
            a->ops->report(a, mem);
            fclose(mem);
        }
    }
    if (text && len) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            fprintf(out, "  %s\n", line);
    } else {
        const struct obs_app *o = &w->obs->apps[i];
        fprintf(out, "  %s (%s): received %" PRIu64 " B\n", o->id,
                scn_app_type_name(scenario_app_type(w->scn, i)), o->delivered);
    }
    free(text);
}

static void report_drops(const struct world *w, FILE *out)
{
    const struct world_observer *o = w->obs;
    fputs("\nDrops: ", out);
    if (o->n_drops == 0)
        fputs("none", out);
    for (uint32_t i = 0; i < o->n_drops; i++)
        fprintf(out, "%s%s %" PRIu64, i ? ", " : "", o->drops[i].reason, o->drops[i].count);
    fprintf(out, "\nRetransmissions: %" PRIu64, o->retx_total);
    bool first = true;
    for (uint32_t i = 0; i < o->n_conns; i++) {
        if (!o->conns[i].retx)
            continue;
        fprintf(out, "%s%s %" PRIu64, first ? " (" : ", ", obs_conn_name(&o->conns[i]),
                o->conns[i].retx);
        first = false;
    }
    fputs(first ? "\n" : ")\n", out);
}

void world_report_verdicts(const struct world *w, FILE *out, bool only_failures)
{
    if (w->n_verdicts == 0)
        return;
    if (!only_failures)
        fputs("\nExpectations\n", out);
    for (uint32_t i = 0; i < w->n_verdicts; i++) {
        const struct world_verdict *v = &w->verdicts[i];
        if (!v->ok || !only_failures)
            fprintf(out, "  %s %s\n", v->ok ? "ok  " : "FAIL", v->message);
    }
    if (w->n_failed)
        fprintf(out, "FAIL: %" PRIu32 " of %" PRIu32 " expectations failed\n", w->n_failed,
                w->n_verdicts);
    else
        fprintf(out, "PASS: %" PRIu32 " expectation%s held\n", w->n_verdicts,
                w->n_verdicts == 1 ? "" : "s");
}

void world_report(const struct world *w, FILE *out)
{
    const struct scenario *sc = w->scn;
    char t[32];
    fprintf(out, "%s", sc->name ? sc->name : "scenario");
    if (sc->title && *sc->title)
        fprintf(out, ": %s", sc->title);
    fprintf(out, "\n  seed %" PRIu64 ", ran to %s, %" PRIu64 " events, %" PRIu64 " frames sent\n",
            w->sim.seed, world_fmt_time(w->ran_until, t), w->sim.events_executed,
            w->obs->frames_tx);
    report_conns(w, out);
    if (sc->n_apps) {
        fputs("\nApplications\n", out);
        for (uint32_t i = 0; i < sc->n_apps; i++)
            report_app(w, i, out);
    }
    report_drops(w, out);
    world_report_verdicts(w, out, false);
}
