/* `tcpsim check`: every scenario in its own worker process (a crash or a
 * runaway in one cannot take the others down), results printed as TAP in
 * file order whatever order the workers finish in; and `tcpsim validate`. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../world/world.h"
#include "cli.h"
#include "collect.h"

struct check_opts {
    uint32_t jobs;
    const char *junit;
    uint32_t shard_k, shard_n;
    bool update_golden, quiet, has_seed, has_until, has_event_limit, has_frame_limit;
    uint64_t seed, event_limit, frame_limit;
    sim_time until;
};

struct result {
    const char *path;
    int rc; /* 0 passed, 1 an expectation failed, 2 bad input, 3 internal */
    char *name;
    char *summary; /* one line: the first failure or error */
    char *details; /* further lines */
    double seconds;
    bool done;
};

/* ---- one scenario (in the worker) --------------------------------------- */

static char *stem(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = strdup(b ? b + 1 : path);
    if (s && strlen(s) > 5 && strcmp(s + strlen(s) - 5, ".json") == 0)
        s[strlen(s) - 5] = '\0';
    return s;
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *b = realloc(buf, cap + 1);
            if (!b)
                break;
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            bool ok = !ferror(f);
            fclose(f);
            if (!ok)
                break;
            buf[n] = '\0';
            *len = n;
            return buf;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* Writes the new golden digests into the file, atomically. */
static bool update_golden(const char *path, const char *digest, char **detail)
{
    size_t len = 0, out_len = 0;
    uint32_t n = 0;
    char *text = read_whole(path, &len);
    char *out = text ? suite_rewrite_golden(text, len, digest, &out_len, &n) : NULL;
    free(text);
    if (!out)
        return false;
    bool ok = true;
    if (n) {
        struct cli_outfile f;
        ok = cli_outfile_open(&f, path) && fwrite(out, 1, out_len, f.f) == out_len &&
             cli_outfile_commit(&f);
        if (ok)
            *detail = cli_strprintf("%s: trace_sha256 set to %s", path, digest);
    }
    free(out);
    return ok;
}

static bool has_golden(const struct scenario *sc)
{
    for (uint32_t i = 0; i < sc->n_expects; i++)
        if (sc->expects[i].kind == SCN_EXP_TRACE_SHA256)
            return true;
    return false;
}

/* Every failed verdict after the first, one per line. */
static char *failure_details(const struct world *w)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return NULL;
    bool first = true;
    for (uint32_t i = 0; i < w->n_verdicts; i++) {
        if (w->verdicts[i].ok)
            continue;
        if (!first)
            fprintf(m, "%s\n", w->verdicts[i].message);
        first = false;
    }
    fclose(m);
    return text;
}

static void run_world_of(struct result *r, struct scenario *sc, const struct check_opts *o)
{
    char err[256];
    struct world *w = world_build(sc, o->has_seed ? o->seed : sc->seed, err, sizeof err);
    if (!w) {
        r->rc = CLI_INTERNAL;
        r->summary = strdup(err);
        return;
    }
    world_slim_scenario(w, sc);
    if (o->update_golden) {
        world_want_digest(w);
        w->update_golden = true;
    }
    if (o->has_event_limit)
        world_set_event_limit(w, o->event_limit);
    if (o->has_frame_limit)
        world_set_frame_limit(w, o->frame_limit);
    if (world_run(w, o->has_until ? o->until : -1) != WORLD_OK) {
        r->rc = CLI_INTERNAL;
        r->summary = strdup(w->error);
        world_destroy(w);
        return;
    }
    world_judge(w);
    r->rc = w->n_failed ? CLI_FAILED : CLI_OK;
    if (w->n_failed) {
        r->summary = strdup(world_first_failure(w));
        r->details = failure_details(w);
    }
    if (o->update_golden && has_golden(sc) && !update_golden(r->path, w->digest, &r->details)) {
        r->rc = CLI_INTERNAL;
        free(r->summary);
        r->summary = strdup("cannot rewrite the file's trace_sha256");
    }
    world_destroy(w);
}

#define PLACEHOLDER_DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* Loads a scenario; with --update-golden its trace_sha256 values are first
 * replaced (in memory) by a well-formed placeholder, so that a file whose
 * golden value is still empty or stale can be given its first digest. */
static struct scenario *load(const char *path, bool golden, struct scn_diags *d)
{
    if (!golden)
        return scenario_load_file(path, d);
    size_t len = 0, out_len = 0;
    char *text = read_whole(path, &len);
    char *fixed = text ? suite_rewrite_golden(text, len, PLACEHOLDER_DIGEST, &out_len, NULL) : NULL;
    free(text);
    if (!fixed)
        return scenario_load_file(path, d); /* reports why it cannot be read */
    struct scenario *sc = scenario_load_text(path, fixed, out_len, d);
    free(fixed);
    return sc;
}

static void check_one(struct result *r, const struct check_opts *o)
{
    struct scn_diags d = {0};
    struct scenario *sc = load(r->path, o->update_golden, &d);
    if (!sc) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (m) {
            scn_diags_print(&d, m);
            fclose(m);
        }
        char *nl = text ? strchr(text, '\n') : NULL;
        if (nl) {
            *nl = '\0';
            r->details = strdup(nl + 1);
        }
        r->summary = text;
        r->rc = CLI_BAD_INPUT;
        r->name = stem(r->path);
        scn_diags_free(&d);
        return;
    }
    scn_diags_free(&d);
    r->name = strdup(sc->name ? sc->name : "");
    run_world_of(r, sc, o);
    scenario_free(sc);
}

/* ---- the pipe protocol: "rc\nname\nsummary\ndetails..." ------------------ */

static void one_line(char *s)
{
    for (; s && *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void send_result(int fd, struct result *r)
{
    one_line(r->name);
    one_line(r->summary);
    char *msg = cli_strprintf("%d\n%s\n%s\n%s", r->rc, r->name ? r->name : "",
                              r->summary ? r->summary : "", r->details ? r->details : "");
    if (msg)
        write_all(fd, msg, strlen(msg));
    free(msg);
}

static char *dup_line(char **p)
{
    char *nl = strchr(*p, '\n');
    size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
    char *s = strndup(*p, n);
    *p += nl ? n + 1 : n;
    return s;
}

static void parse_result(struct result *r, char *buf)
{
    char *p = buf;
    char *rc = dup_line(&p);
    r->rc = rc && (rc[0] >= '0' && rc[0] <= '3') && rc[1] == '\0' ? rc[0] - '0' : -1;
    free(rc);
    if (r->rc < 0) {
        r->rc = CLI_INTERNAL;
        r->summary = strdup("the worker process died");
        return;
    }
    r->name = dup_line(&p);
    r->summary = dup_line(&p);
    r->details = *p ? strdup(p) : NULL;
}

/* ---- workers ------------------------------------------------------------ */

struct worker {
    pid_t pid;
    int fd;
    uint32_t idx;
    char *buf;
    size_t len, cap;
    double t0;
};

static bool spawn(struct worker *wk, struct result *r, uint32_t idx, const struct check_opts *o)
{
    int p[2];
    if (pipe(p) != 0)
        return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        check_one(r, o);
        send_result(p[1], r);
        close(p[1]);
        _exit(0);
    }
    close(p[1]);
    *wk = (struct worker){.pid = pid, .fd = p[0], .idx = idx, .t0 = cli_wall_seconds()};
    return true;
}

/* Reads what is available; true at end of file. */
static bool drain(struct worker *wk)
{
    if (wk->len + 4096 + 1 > wk->cap) {
        size_t cap = (wk->cap + 4096) * 2;
        char *b = realloc(wk->buf, cap);
        if (!b)
            return true;
        wk->buf = b;
        wk->cap = cap;
    }
    ssize_t n = read(wk->fd, wk->buf + wk->len, wk->cap - wk->len - 1);
    if (n < 0 && errno == EINTR)
        return false;
    if (n <= 0)
        return true;
    wk->len += (size_t)n;
    return false;
}

static void reap(struct worker *wk, struct result *r)
{
    close(wk->fd);
    int status = 0;
    while (waitpid(wk->pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->seconds = cli_wall_seconds() - wk->t0;
    if (wk->buf) {
        wk->buf[wk->len] = '\0';
        parse_result(r, wk->buf);
    }
    if (!wk->buf || (WIFSIGNALED(status) && !r->summary)) {
        r->rc = CLI_INTERNAL;
        free(r->summary);
        if (WIFSIGNALED(status))
            r->summary = cli_strprintf("crashed (signal %d)", WTERMSIG(status));
        else
            r->summary = strdup("the worker process died");
    }
    if (!r->name)
        r->name = stem(r->path);
    free(wk->buf);
    r->done = true;
}

/* ---- output ------------------------------------------------------------- */

static void print_comment_lines(const char *text, FILE *out)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        if (n)
            fprintf(out, "  # %.*s\n", n, p);
        p = nl ? nl + 1 : p + n;
    }
}

static void print_tap(const struct result *r, uint32_t num, const struct check_opts *o)
{
    if (r->rc == CLI_OK) {
        if (!o->quiet) {
            printf("ok %" PRIu32 " - %s\n", num, r->name);
            print_comment_lines(r->details, stdout);
        }
        return;
    }
    printf("not ok %" PRIu32 " - %s: %s\n", num, r->name,
           r->summary && *r->summary ? r->summary : "failed");
    print_comment_lines(r->details, stdout);
}

static void xml_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc(' ', f);
            else
                fputc(*s, f);
        }
    }
}

static bool write_junit(const char *path, const struct result *res, uint32_t n)
{
    struct cli_outfile f;
    if (!cli_outfile_open(&f, path))
        return false;
    uint32_t failures = 0, errors = 0;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        failures += res[i].rc == CLI_FAILED;
        errors += res[i].rc > CLI_FAILED;
        total += res[i].seconds;
    }
    fprintf(f.f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f.f,
            "<testsuites name=\"tcpsim check\" tests=\"%" PRIu32 "\" failures=\"%" PRIu32
            "\" errors=\"%" PRIu32 "\" time=\"%.3f\">\n",
            n, failures, errors, total);
    fprintf(f.f,
            "  <testsuite name=\"scenarios\" tests=\"%" PRIu32 "\" failures=\"%" PRIu32
            "\" errors=\"%" PRIu32 "\" time=\"%.3f\">\n",
            n, failures, errors, total);
    for (uint32_t i = 0; i < n; i++) {
        const struct result *r = &res[i];
        fputs("    <testcase classname=\"", f.f);
        xml_escaped(f.f, r->path);
        fputs("\" name=\"", f.f);
        xml_escaped(f.f, r->name);
        fprintf(f.f, "\" time=\"%.3f\"", r->seconds);
        if (r->rc == CLI_OK) {
            fputs("/>\n", f.f);
            continue;
        }
        const char *tag = r->rc == CLI_FAILED ? "failure" : "error";
        fprintf(f.f, ">\n      <%s message=\"", tag);
        xml_escaped(f.f, r->summary);
        fputs("\">", f.f);
        xml_escaped(f.f, r->summary);
        if (r->details) {
            fputc('\n', f.f);
            xml_escaped(f.f, r->details);
        }
        fprintf(f.f, "</%s>\n    </testcase>\n", tag);
    }
    fputs("  </testsuite>\n</testsuites>\n", f.f);
    return cli_outfile_commit(&f);
}

/* ---- the command -------------------------------------------------------- */

/* Runs res[0..n) with up to o->jobs workers, printing TAP in order. */
static bool run_all(struct result *res, uint32_t n, const struct check_opts *o)
{
    uint32_t jobs = o->jobs ? o->jobs : cli_cpu_count();
    struct worker *wk = calloc(jobs, sizeof *wk);
    struct pollfd *pfd = calloc(jobs, sizeof *pfd);
    if (!wk || !pfd) {
        free(wk);
        free(pfd);
        return false;
    }
    uint32_t next = 0, active = 0, printed = 0;
    bool ok = true;
    while (ok && (next < n || active)) {
        while (active < jobs && next < n) {
            if (!spawn(&wk[active], &res[next], next, o)) {
                ok = false;
                break;
            }
            next++;
            active++;
        }
        for (uint32_t i = 0; i < active; i++)
            pfd[i] = (struct pollfd){.fd = wk[i].fd, .events = POLLIN};
        if (active && poll(pfd, active, -1) < 0 && errno != EINTR)
            ok = false;
        for (uint32_t i = 0; i < active; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) || !drain(&wk[i]))
                continue;
            reap(&wk[i], &res[wk[i].idx]);
            wk[i] = wk[--active];
            pfd[i] = pfd[active];
            i--;
        }
        for (; printed < n && res[printed].done; printed++)
            print_tap(&res[printed], printed + 1, o);
        fflush(stdout);
    }
    for (uint32_t i = 0; i < active; i++) { /* only after an error */
        kill(wk[i].pid, SIGKILL);
        reap(&wk[i], &res[wk[i].idx]);
    }
    free(wk);
    free(pfd);
    return ok;
}

static int parse_check(int argc, char **argv, struct check_opts *o, struct file_list *paths)
{
    struct cli_args a;
    cli_args_init(&a, "check", argc, argv);
    while (cli_args_next(&a)) {
        const char *v = NULL;
        if (cli_flag(&a, "--help") || cli_flag(&a, "-h")) {
            cli_help_command("check", stdout);
            return CLI_OK;
        }
        if (cli_args_positional(&a)) {
            char **grown = realloc(paths->v, (paths->n + 1) * sizeof *grown);
            if (!grown)
                return CLI_INTERNAL;
            paths->v = grown;
            paths->v[paths->n++] = (char *)a.arg; /* not owned */
        } else if (cli_opt(&a, "-j", &v) || cli_opt(&a, "--jobs", &v)) {
            if (!a.failed && (!cli_parse_u32(v, &o->jobs) || o->jobs == 0 || o->jobs > 1024))
                return cli_usage_error("check", "-j: '%s' is not a number of jobs", v);
        } else if (cli_opt(&a, "--junit", &v)) {
            o->junit = v;
        } else if (cli_opt(&a, "--shard", &v)) {
            if (!a.failed && !suite_parse_shard(v, &o->shard_k, &o->shard_n))
                return cli_usage_error("check", "--shard: '%s' is not K/N with 1 <= K <= N", v);
        } else if (cli_opt(&a, "--seed", &v)) {
            if (!a.failed && !cli_parse_u64(v, &o->seed))
                return cli_usage_error("check", "--seed: '%s' is not a number", v);
            o->has_seed = true;
        } else if (cli_opt(&a, "--until", &v)) {
            if (!a.failed && !cli_parse_time_opt("check", "--until", v, &o->until))
                return CLI_BAD_INPUT;
            o->has_until = true;
        } else if (cli_opt(&a, "--event-limit", &v)) {
            if (!a.failed && !cli_parse_u64(v, &o->event_limit))
                return cli_usage_error("check", "--event-limit: '%s' is not a number", v);
            o->has_event_limit = true;
        } else if (cli_opt(&a, "--max-frames", &v)) {
            if (!a.failed && !cli_parse_u64(v, &o->frame_limit))
                return cli_usage_error("check", "--max-frames: '%s' is not a number", v);
            o->has_frame_limit = true;
        } else if (cli_flag(&a, "--update-golden")) {
            o->update_golden = true;
        } else if (cli_flag(&a, "--quiet")) {
            o->quiet = true;
        } else {
            return cli_unknown(&a);
        }
        if (a.failed)
            return CLI_BAD_INPUT;
    }
    if (!paths->n)
        return cli_usage_error("check", "no scenario files or folders given");
    return -1;
}

static void results_free(struct result *res, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(res[i].name);
        free(res[i].summary);
        free(res[i].details);
    }
    free(res);
}

/* The exit code: the most serious of the results. */
static int summarize(const struct result *res, uint32_t n)
{
    uint32_t passed = 0;
    int rc = CLI_OK;
    for (uint32_t i = 0; i < n; i++) {
        passed += res[i].rc == CLI_OK;
        if (res[i].rc > rc)
            rc = res[i].rc;
    }
    printf("%" PRIu32 " passed, %" PRIu32 " failed\n", passed, n - passed);
    return rc;
}

int cli_check(int argc, char **argv)
{
    struct check_opts o = {.shard_k = 1, .shard_n = 1};
    struct file_list args = {0}, files = {0};
    int rc = parse_check(argc, argv, &o, &args);
    if (rc >= 0) {
        free(args.v);
        return rc;
    }
    const char *bad = NULL, *err = NULL;
    bool ok = collect_scenarios(&files, args.v, args.n, &bad, &err);
    free(args.v);
    if (!ok) {
        cli_error("%s: %s", bad ? bad : "", err ? err : "cannot read");
        file_list_free(&files);
        return CLI_BAD_INPUT;
    }
    struct result *res = calloc(files.n + 1, sizeof *res);
    uint32_t n = 0;
    for (uint32_t i = 0; res && i < files.n; i++)
        if (suite_in_shard(i, o.shard_k, o.shard_n))
            res[n++].path = files.v[i];
    if (!res) {
        file_list_free(&files);
        return CLI_INTERNAL;
    }
    if (!o.quiet)
        printf("1..%" PRIu32 "\n", n);
    if (run_all(res, n, &o)) {
        rc = summarize(res, n);
    } else {
        rc = CLI_INTERNAL;
        cli_error("cannot start worker processes");
    }
    if (o.junit && !write_junit(o.junit, res, n) && rc < CLI_INTERNAL)
        rc = CLI_INTERNAL;
    results_free(res, n);
    file_list_free(&files);
    return rc;
}

/* ---- validate ----------------------------------------------------------- */

int cli_validate(int argc, char **argv)
{
    struct cli_args a;
    struct file_list args = {0}, files = {0};
    cli_args_init(&a, "validate", argc, argv);
    while (cli_args_next(&a)) {
        if (cli_flag(&a, "--help") || cli_flag(&a, "-h")) {
            cli_help_command("validate", stdout);
            free(args.v);
            return CLI_OK;
        }
        if (!cli_args_positional(&a)) {
            free(args.v);
            return cli_unknown(&a);
        }
        char **v = realloc(args.v, (args.n + 1) * sizeof *v);
        if (!v) {
            free(args.v);
            return CLI_INTERNAL;
        }
        args.v = v;
        args.v[args.n++] = (char *)a.arg;
    }
    if (!args.n)
        return cli_usage_error("validate", "no scenario files or folders given");
    const char *bad = NULL, *err = NULL;
    bool ok = collect_scenarios(&files, args.v, args.n, &bad, &err);
    free(args.v);
    if (!ok) {
        cli_error("%s: %s", bad ? bad : "", err ? err : "cannot read");
        file_list_free(&files);
        return CLI_BAD_INPUT;
    }
    uint32_t invalid = 0;
    for (uint32_t i = 0; i < files.n; i++) {
        struct scn_diags d = {0};
        struct scenario *sc = scenario_load_file(files.v[i], &d);
        if (sc)
            printf("ok %s\n", files.v[i]);
        else
            invalid++;
        fflush(stdout);
        scn_diags_print(&d, stderr);
        scn_diags_free(&d);
        scenario_free(sc);
    }
    printf("%" PRIu32 " valid, %" PRIu32 " invalid\n", files.n - invalid, invalid);
    file_list_free(&files);
    return invalid ? CLI_BAD_INPUT : CLI_OK;
}
