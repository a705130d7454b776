/* `tcpsim run` and `tcpsim viz`: load a scenario, build its world, attach the
 * outputs asked for, run, judge the expectations, then write the views. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../viz/ladder.h"
#include "../../viz/recording.h"
#include "../../viz/viz.h"
#include "../sinks.h"
#include "../world/world.h"
#include "cli.h"

#define MAX_LADDER_HOSTS 64

struct run_opts {
    const char *cmd;
    const char *scenario;
    bool has_seed, has_until, has_event_limit, has_frame_limit;
    uint64_t seed, event_limit, frame_limit;
    sim_time until;
    const char *trace, *pcap, *mermaid, *svg;
    bool ladder, stats, digest, quiet, unicode;
    /* ladder */
    char *hosts_buf;
    const char *hosts[MAX_LADDER_HOSTS];
    uint32_t n_hosts;
    const char *conn;
    sim_time from, to;
    uint32_t width;
    /* viz */
    struct viz_opts viz;
};

/* Everything one run holds; released by session_end in every case. */
struct session {
    struct scenario *sc;
    struct world *w;
    struct recording rec;
    bool rec_on;
    struct stats_sink *stats;
    struct pcapng_sink *pcap;
    struct cli_outfile trace;
    FILE *trace_f;
    FILE *report; /* stdout, or stderr when the trace goes to stdout */
    double wall0, wall;
};

/* ---- options ------------------------------------------------------------ */

static bool split_hosts(struct run_opts *o, const char *list)
{
    free(o->hosts_buf);
    o->hosts_buf = strdup(list);
    o->n_hosts = 0;
    if (!o->hosts_buf)
        return false;
    char *save = NULL;
    for (char *h = strtok_r(o->hosts_buf, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
        if (o->n_hosts == MAX_LADDER_HOSTS)
            return false;
        o->hosts[o->n_hosts++] = h;
    }
    return o->n_hosts > 0;
}

static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
    char buf[32];
    const char *x = strchr(s, 'x');
    if (!x || (size_t)(x - s) >= sizeof buf)
        return false;
    memcpy(buf, s, (size_t)(x - s));
    buf[x - s] = '\0';
    return cli_parse_u32(buf, w) && cli_parse_u32(x + 1, h) && *w >= 64 && *h >= 64 &&
           *w <= 16384 && *h <= 16384;
}

/* Options that `run` and `viz` share. 1 = taken, 0 = not this one, -1 = bad. */
static int common_opt(struct cli_args *a, struct run_opts *o)
{
    const char *v = NULL;
    if (cli_opt(a, "--seed", &v)) {
        if (a->failed)
            return -1;
        if (!cli_parse_u64(v, &o->seed))
            return cli_usage_error(o->cmd, "--seed: '%s' is not a number", v), -1;
        o->has_seed = true;
        return 1;
    }
    if (cli_opt(a, "--until", &v)) {
        if (a->failed || !cli_parse_time_opt(o->cmd, "--until", v, &o->until))
            return -1;
        o->has_until = true;
        return 1;
    }
    if (cli_opt(a, "--event-limit", &v)) {
        if (a->failed)
            return -1;
        if (!cli_parse_u64(v, &o->event_limit))
            return cli_usage_error(o->cmd, "--event-limit: '%s' is not a number", v), -1;
        o->has_event_limit = true;
        return 1;
    }
    if (cli_opt(a, "--max-frames", &v)) {
        if (a->failed)
            return -1;
        if (!cli_parse_u64(v, &o->frame_limit))
            return cli_usage_error(o->cmd, "--max-frames: '%s' is not a number", v), -1;
        o->has_frame_limit = true;
        return 1;
    }
    return 0;
}

static int ladder_opt(struct cli_args *a, struct run_opts *o)
{
    const char *v = NULL;
    if (cli_opt(a, "--hosts", &v)) {
        if (a->failed)
            return -1;
        if (!split_hosts(o, v))
            return cli_usage_error(o->cmd, "--hosts: expected host names separated by commas"), -1;
        return 1;
    }
    if (cli_opt(a, "--conn", &v))
        return a->failed ? -1 : (o->conn = v, 1);
    if (cli_opt(a, "--from", &v))
        return a->failed || !cli_parse_time_opt(o->cmd, "--from", v, &o->from) ? -1 : 1;
    if (cli_opt(a, "--to", &v))
        return a->failed || !cli_parse_time_opt(o->cmd, "--to", v, &o->to) ? -1 : 1;
    if (cli_opt(a, "--width", &v)) {
        if (a->failed)
            return -1;
        if (!cli_parse_u32(v, &o->width) || o->width < 20 || o->width > 1000)
            return cli_usage_error(o->cmd, "--width: '%s' is not a width (20 to 1000)", v), -1;
        return 1;
    }
    if (cli_flag(a, "--unicode"))
        return a->failed ? -1 : (o->unicode = true, 1);
    return 0;
}

static int run_opt(struct cli_args *a, struct run_opts *o)
{
    const char *v = NULL;
    if (cli_opt(a, "--trace", &v))
        return a->failed ? -1 : (o->trace = v, 1);
    if (cli_opt(a, "--pcap", &v))
        return a->failed ? -1 : (o->pcap = v, 1);
    if (cli_opt(a, "--mermaid", &v))
        return a->failed ? -1 : (o->mermaid = v, 1);
    if (cli_opt(a, "--svg", &v))
        return a->failed ? -1 : (o->svg = v, 1);
    static const char *const flags[] = {"--ladder", "--stats", "--digest", "--quiet"};
    bool *dest[] = {&o->ladder, &o->stats, &o->digest, &o->quiet};
    for (size_t i = 0; i < 4; i++)
        if (cli_flag(a, flags[i]))
            return a->failed ? -1 : (*dest[i] = true, 1);
    return ladder_opt(a, o);
}

static int viz_opt(struct cli_args *a, struct run_opts *o)
{
    const char *v = NULL;
    struct viz_opts *z = &o->viz;
    if (cli_opt(a, "--lang", &v)) {
        if (a->failed)
            return -1;
        if (strcmp(v, "en") != 0 && strcmp(v, "ko") != 0)
            return cli_usage_error(o->cmd, "--lang: '%s' is not a language (en, ko)", v), -1;
        z->lang = v;
        return 1;
    }
    if (cli_opt(a, "--png", &v))
        return a->failed ? -1 : (z->png = v, 1);
    if (cli_opt(a, "--at", &v))
        return a->failed || !cli_parse_time_opt(o->cmd, "--at", v, &z->at) ? -1 : 1;
    if (cli_opt(a, "--frames", &v))
        return a->failed ? -1 : (z->frames_dir = v, 1);
    if (cli_opt(a, "--screenshot", &v))
        return a->failed ? -1 : (z->screenshot = v, 1);
    if (cli_opt(a, "--fps", &v)) {
        if (a->failed)
            return -1;
        if (!cli_parse_u32(v, &z->fps) || z->fps == 0 || z->fps > 240)
            return cli_usage_error(o->cmd, "--fps: '%s' is not a rate (1 to 240)", v), -1;
        return 1;
    }
    if (cli_opt(a, "--speed", &v)) {
        if (a->failed)
            return -1;
        char *end = NULL;
        z->speed = strtod(v, &end);
        if (!end || *end || !(z->speed > 0) || z->speed > 1e6)
            return cli_usage_error(o->cmd, "--speed: '%s' is not a positive number", v), -1;
        return 1;
    }
    if (cli_opt(a, "--size", &v)) {
        if (a->failed)
            return -1;
        if (!parse_size(v, &z->width, &z->height))
            return cli_usage_error(o->cmd, "--size: '%s' is not WIDTHxHEIGHT", v), -1;
        return 1;
    }
    if (cli_flag(a, "--autoplay"))
        return a->failed ? -1 : (z->autoplay = true, 1);
    if (cli_flag(a, "--exit-at-end"))
        return a->failed ? -1 : (z->exit_at_end = true, 1);
    return 0;
}

/* Parses argv of `run` or `viz`; returns -1 when fine, else an exit code. */
static int parse_opts(int argc, char **argv, struct run_opts *o, bool viz)
{
    struct cli_args a;
    cli_args_init(&a, o->cmd, argc, argv);
    while (cli_args_next(&a)) {
        if (cli_flag(&a, "--help") || cli_flag(&a, "-h")) {
            cli_help_command(o->cmd, stdout);
            return CLI_OK;
        }
        if (cli_args_positional(&a)) {
            if (o->scenario)
                return cli_usage_error(o->cmd, "one scenario at a time (got '%s' and '%s')",
                                       o->scenario, a.arg);
            o->scenario = a.arg;
            continue;
        }
        int r = common_opt(&a, o);
        if (r == 0)
            r = viz ? viz_opt(&a, o) : run_opt(&a, o);
        if (r < 0)
            return CLI_BAD_INPUT;
        if (r == 0)
            return cli_unknown(&a);
    }
    if (!o->scenario)
        return cli_usage_error(o->cmd, "no scenario file given");
    if (viz && o->viz.png && o->viz.frames_dir)
        return cli_usage_error(o->cmd, "--png and --frames cannot be used together");
    return -1;
}

/* ---- the session -------------------------------------------------------- */

static bool want_recording(const struct run_opts *o, bool viz)
{
    return viz || o->ladder || o->mermaid || o->svg;
}

static void session_end(struct session *s)
{
    if (s->rec_on) {
        trace_bus_remove_sink(&s->w->sim.bus, &s->rec.sink);
        recording_destroy(&s->rec);
    }
    if (s->stats) {
        trace_bus_remove_sink(&s->w->sim.bus, stats_sink_base(s->stats));
        stats_sink_destroy(s->stats);
    }
    if (s->pcap) {
        trace_bus_remove_sink(&s->w->sim.bus, pcapng_sink_base(s->pcap));
        pcapng_sink_destroy(s->pcap);
    }
    cli_outfile_abort(&s->trace);
    world_destroy(s->w);
    scenario_free(s->sc);
}

static int load_and_build(struct session *s, const struct run_opts *o)
{
    struct scn_diags d = {0};
    s->sc = scenario_load_file(o->scenario, &d);
    if (!s->sc) {
        scn_diags_print(&d, stderr);
        scn_diags_free(&d);
        return CLI_BAD_INPUT;
    }
    scn_diags_free(&d);
    for (uint32_t i = 0; i < o->n_hosts; i++)
        if (scenario_host_index(s->sc, o->hosts[i]) == UINT32_MAX)
            return cli_usage_error(o->cmd, "--hosts: no host named '%s' in %s", o->hosts[i],
                                   o->scenario);
    char err[256];
    s->w = world_build(s->sc, o->has_seed ? o->seed : s->sc->seed, err, sizeof err);
    if (!s->w) {
        cli_error("%s: %s", o->scenario, err);
        return CLI_INTERNAL;
    }
    world_slim_scenario(s->w, s->sc);
    if (o->has_event_limit)
        world_set_event_limit(s->w, o->event_limit);
    if (o->has_frame_limit)
        world_set_frame_limit(s->w, o->frame_limit);
    return CLI_OK;
}

/* The sinks, in a fixed order; pcapng last, once every interface exists. */
static int attach_outputs(struct session *s, const struct run_opts *o, bool viz)
{
    struct trace_bus *bus = &s->w->sim.bus;
    s->report = stdout;
    if (o->trace && strcmp(o->trace, "-") == 0) {
        s->trace_f = stdout;
        s->report = stderr;
    } else if (o->trace) {
        if (!cli_outfile_open(&s->trace, o->trace))
            return CLI_INTERNAL;
        s->trace_f = s->trace.f;
    }
    if ((s->trace_f || o->digest) && !world_attach_jsonl(s->w, s->trace_f)) {
        cli_error("out of memory");
        return CLI_INTERNAL;
    }
    if (o->digest)
        world_want_digest(s->w);
    if (want_recording(o, viz)) {
        /* The views draw the hosts and links, which the scenario keeps only
         * until the run starts (world_slim_scenario). */
        if (!world_describe(s->w)) {
            cli_error("%s", s->w->error);
            return CLI_INTERNAL;
        }
        recording_init(&s->rec);
        s->rec_on = true;
        trace_bus_add_sink(bus, &s->rec.sink);
    }
    if (o->stats) {
        s->stats = stats_sink_create();
        if (!s->stats) {
            cli_error("out of memory");
            return CLI_INTERNAL;
        }
        trace_bus_add_sink(bus, stats_sink_base(s->stats));
    }
    if (o->pcap) {
        s->pcap = pcapng_sink_create(o->pcap, bus);
        if (!s->pcap) {
            cli_error("cannot write %s", o->pcap);
            return CLI_INTERNAL;
        }
        trace_bus_add_sink(bus, pcapng_sink_base(s->pcap));
    }
    return CLI_OK;
}

/* The progress line on a terminal: simulated time reached, share of the run,
 * events per wall second; redrawn at most five times a second. */
struct progress {
    double wall0, last;
    bool shown;
};

static void show_progress(void *ctx, sim_time now, sim_time end, uint64_t events)
{
    struct progress *p = ctx;
    double wall = cli_wall_seconds();
    if (wall - p->last < 0.2 || now >= end)
        return;
    p->last = wall;
    p->shown = true;
    double rate = wall > p->wall0 ? (double)events / (wall - p->wall0) : 0.0;
    fprintf(stderr, "\r  simulated %.3f s of %.3f s (%d%%), %.2f M events/s\033[K",
            (double)now / SIM_SEC, (double)end / SIM_SEC, (int)(now * 100 / end), rate / 1e6);
    fflush(stderr);
}

static int run_world(struct session *s, const struct run_opts *o)
{
    struct progress prog = {.wall0 = cli_wall_seconds()};
    prog.last = prog.wall0;
    if (!o->quiet && isatty(STDERR_FILENO))
        world_set_progress(s->w, show_progress, &prog);
    s->wall0 = cli_wall_seconds();
    enum world_status st = world_run(s->w, o->has_until ? o->until : -1);
    s->wall = cli_wall_seconds() - s->wall0;
    if (prog.shown)
        fputs("\r\033[K", stderr);
    if (st != WORLD_OK) {
        cli_error("%s: %s", o->scenario, s->w->error);
        return CLI_INTERNAL;
    }
    world_judge(s->w);
    if (s->rec_on) {
        trace_bus_remove_sink(&s->w->sim.bus, &s->rec.sink);
        recording_freeze(&s->rec);
        if (s->rec.oom) {
            cli_error("out of memory recording the run");
            return CLI_INTERNAL;
        }
    }
    return CLI_OK;
}

/* ---- outputs after the run ---------------------------------------------- */

static bool utf8_locale(void)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") ||
                   strstr(v, "utf-8");
    }
    return false;
}

static struct ladder_opts ladder_opts_of(const struct run_opts *o, bool tty)
{
    return (struct ladder_opts){.hosts = o->n_hosts ? o->hosts : NULL,
                                .n_hosts = o->n_hosts,
                                .conn = o->conn,
                                .from = o->from,
                                .to = o->to,
                                .width = o->width,
                                .color = tty && !getenv("NO_COLOR"),
                                .unicode = o->unicode || (tty && utf8_locale())};
}

typedef int (*ladder_writer)(const struct recording *, const struct world_desc *,
                             const struct ladder_opts *, FILE *);

static bool write_diagram(struct session *s, const struct run_opts *o, const char *path,
                          ladder_writer fn)
{
    struct cli_outfile f;
    if (!cli_outfile_open(&f, path))
        return false;
    struct ladder_opts lo = ladder_opts_of(o, false);
    lo.unicode = o->unicode;
    if (fn(&s->rec, &s->w->desc, &lo, f.f) != 0) {
        cli_error("cannot write %s", path);
        cli_outfile_abort(&f);
        return false;
    }
    return cli_outfile_commit(&f);
}

static int write_outputs(struct session *s, const struct run_opts *o)
{
    if (s->trace.f && !cli_outfile_commit(&s->trace))
        return CLI_INTERNAL;
    if (s->trace_f == stdout)
        fflush(stdout);
    if (s->pcap) {
        trace_bus_remove_sink(&s->w->sim.bus, pcapng_sink_base(s->pcap));
        bool ok = pcapng_sink_finish(s->pcap);
        pcapng_sink_destroy(s->pcap);
        s->pcap = NULL;
        if (!ok) {
            cli_error("cannot write %s", o->pcap);
            return CLI_INTERNAL;
        }
    }
    if (o->mermaid && !write_diagram(s, o, o->mermaid, ladder_write_mermaid))
        return CLI_INTERNAL;
    if (o->svg && !write_diagram(s, o, o->svg, ladder_write_svg))
        return CLI_INTERNAL;
    if (o->ladder) {
        struct ladder_opts lo = ladder_opts_of(o, isatty(STDOUT_FILENO));
        if (ladder_write_text(&s->rec, &s->w->desc, &lo, stdout) != 0) {
            cli_error("cannot write the ladder");
            return CLI_INTERNAL;
        }
        if (!o->quiet && s->report == stdout)
            fputc('\n', stdout); /* the report follows */
    }
    return CLI_OK;
}

static void print_stats(const struct session *s, FILE *out)
{
    const struct run_stats *st = stats_sink_get(s->stats);
    uint64_t events = s->w->sim.events_executed;
    fprintf(out, "\nStatistics\n");
    fprintf(out, "  events executed  %" PRIu64 "\n", events);
    fprintf(out, "  frames sent      %" PRIu64 " (%" PRIu64 " B)\n", st->frames_tx, st->bytes_tx);
    fprintf(out, "  frames received  %" PRIu64 " (%" PRIu64 " B)\n", st->frames_rx, st->bytes_rx);
    fprintf(out, "  drops            %" PRIu64, st->drops);
    for (uint32_t i = 0; i < st->n_reasons && i < 16; i++)
        fprintf(out, "%s%s %" PRIu64, i ? ", " : " (", st->reason_names[i], st->drops_by_reason[i]);
    fputs(st->n_reasons ? ")\n" : "\n", out);
    fprintf(out, "  tcp segments     %" PRIu64 " sent, %.0f per wall second\n", st->tcp_segments_tx,
            s->wall > 0 ? (double)st->tcp_segments_tx / s->wall : 0.0);
    fprintf(out, "  retransmissions  %" PRIu64 "\n", st->retransmits);
    fprintf(out, "  simulated time   %.9f s\n", (double)s->w->ran_until / 1e9);
    fprintf(out, "  wall time        %.6f s\n", s->wall);
    fprintf(out, "  events/s         %.0f\n", s->wall > 0 ? (double)events / s->wall : 0.0);
    uint64_t rss = stats_peak_rss();
    if (rss)
        fprintf(out, "  peak memory      %.1f MiB\n", (double)rss / (1024.0 * 1024.0));
    else
        fprintf(out, "  peak memory      unknown\n");
}

static int report(struct session *s, const struct run_opts *o)
{
    if (o->quiet)
        world_report_verdicts(s->w, s->report, true);
    else
        world_report(s->w, s->report);
    if (o->digest)
        fprintf(s->trace_f == stdout ? stderr : stdout, "%s\n", s->w->digest);
    if (s->stats)
        print_stats(s, s->report);
    return s->w->n_failed ? CLI_FAILED : CLI_OK;
}

int cli_run(int argc, char **argv)
{
    struct run_opts o = {.cmd = "run"};
    int rc = parse_opts(argc, argv, &o, false);
    if (rc >= 0) {
        free(o.hosts_buf);
        return rc;
    }
    struct session s = {0};
    rc = load_and_build(&s, &o);
    if (rc == CLI_OK)
        rc = attach_outputs(&s, &o, false);
    if (rc == CLI_OK)
        rc = run_world(&s, &o);
    if (rc == CLI_OK)
        rc = write_outputs(&s, &o);
    if (rc == CLI_OK)
        rc = report(&s, &o);
    session_end(&s);
    free(o.hosts_buf);
    return rc;
}

int cli_viz(int argc, char **argv)
{
    struct run_opts o = {.cmd = "viz"};
    int rc = parse_opts(argc, argv, &o, true);
    if (rc >= 0)
        return rc;
    struct session s = {0};
    rc = load_and_build(&s, &o);
    if (rc == CLI_OK)
        rc = attach_outputs(&s, &o, true);
    if (rc == CLI_OK)
        rc = run_world(&s, &o);
    if (rc == CLI_OK)
        rc = viz_main(&s.rec, &s.w->desc, &o.viz);
    session_end(&s);
    return rc;
}
