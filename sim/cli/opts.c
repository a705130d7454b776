/* Option parsing, error messages and all-or-nothing output files. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../scenario/scenario.h"
#include "cli.h"

void cli_args_init(struct cli_args *a, const char *cmd, int argc, char **argv)
{
    *a = (struct cli_args){.cmd = cmd, .argc = argc, .argv = argv, .i = 0};
}

bool cli_args_next(struct cli_args *a)
{
    for (;;) {
        a->i++;
        if (a->i >= a->argc)
            return false;
        a->arg = a->argv[a->i];
        a->inline_v = NULL;
        if (!a->no_more_opts && strcmp(a->arg, "--") == 0) {
            a->no_more_opts = true;
            continue;
        }
        if (!cli_args_positional(a)) {
            const char *eq = strchr(a->arg, '=');
            if (eq && a->arg[1] == '-')
                a->inline_v = eq + 1;
        }
        return true;
    }
}

bool cli_args_positional(const struct cli_args *a)
{
    /* "-" alone is a value (stdout), not an option. */
    return a->no_more_opts || a->arg[0] != '-' || a->arg[1] == '\0';
}

/* Does the current argument name `name` (up to its '=' if any)? */
static bool names(const struct cli_args *a, const char *name)
{
    if (cli_args_positional(a))
        return false;
    size_t n = a->inline_v ? (size_t)(a->inline_v - 1 - a->arg) : strlen(a->arg);
    return strlen(name) == n && strncmp(a->arg, name, n) == 0;
}

bool cli_flag(struct cli_args *a, const char *name)
{
    if (!names(a, name))
        return false;
    if (a->inline_v) {
        cli_usage_error(a->cmd, "option '%s' takes no value", name);
        a->failed = true;
    }
    return true;
}

bool cli_opt(struct cli_args *a, const char *name, const char **val)
{
    if (!names(a, name))
        return false;
    if (a->inline_v) {
        *val = a->inline_v;
        return true;
    }
    if (a->i + 1 >= a->argc) {
        cli_usage_error(a->cmd, "option '%s' needs a value", name);
        a->failed = true;
        *val = NULL;
        return true;
    }
    *val = a->argv[++a->i];
    return true;
}

int cli_unknown(const struct cli_args *a)
{
    return cli_usage_error(a->cmd, "unknown option '%s'", a->arg);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpsim: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nTry 'tcpsim %s --help'.\n", cmd);
    else
        fputs("\nTry 'tcpsim --help'.\n", stderr);
    return CLI_BAD_INPUT;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpsim: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

char *cli_strprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool cli_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_u64(s, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_time_opt(const char *cmd, const char *opt, const char *s, sim_time *out)
{
    if (s && scn_parse_time(s, out) && *out >= 0)
        return true;
    cli_usage_error(cmd,
                    "%s: '%s' is not a time (write it with a unit: \"250us\", \"10ms\", "
                    "\"1.5s\", \"2min\")",
                    opt, s ? s : "");
    return false;
}

uint32_t cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (uint32_t)n;
}

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- output files ------------------------------------------------------- */

bool cli_outfile_open(struct cli_outfile *o, const char *path)
{
    *o = (struct cli_outfile){0};
    size_t n = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(n + 5);
    if (!o->path || !o->tmp) {
        cli_error("out of memory");
        cli_outfile_abort(o);
        return false;
    }
    memcpy(o->tmp, path, n);
    memcpy(o->tmp + n, ".tmp", 5);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        cli_outfile_abort(o);
        return false;
    }
    return true;
}

bool cli_outfile_commit(struct cli_outfile *o)
{
    if (!o->f)
        return false;
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    ok = fclose(o->f) == 0 && ok;
    o->f = NULL;
    if (!ok || rename(o->tmp, o->path) != 0) {
        cli_error("cannot write %s: %s", o->path, strerror(errno));
        cli_outfile_abort(o);
        return false;
    }
    free(o->path);
    free(o->tmp);
    *o = (struct cli_outfile){0};
    return true;
}

void cli_outfile_abort(struct cli_outfile *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    *o = (struct cli_outfile){0};
}
