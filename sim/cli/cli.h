/* The tcpsim command line (SPEC §1): one function per command, shared option
 * parsing and the exit codes. */
#ifndef SIM_CLI_CLI_H
#define SIM_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../time.h"

enum cli_exit {
    CLI_OK = 0,        /* every expectation held */
    CLI_FAILED = 1,    /* an expectation failed */
    CLI_BAD_INPUT = 2, /* unreadable file, invalid JSON or schema, unknown option */
    CLI_INTERNAL = 3,  /* a limit hit, out of memory, an output that cannot be written */
};

int cli_run(int argc, char **argv);
int cli_viz(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_validate(int argc, char **argv);

/* ---- options (opts.c) ---------------------------------------------------- */

/* Walks argv[1..] of one command: options may come before or after the
 * positional arguments, as `--name VALUE` or `--name=VALUE`; `--` ends them. */
struct cli_args {
    const char *cmd; /* "run", ... for messages */
    int argc;
    char **argv;
    int i;
    bool no_more_opts;
    const char *arg;      /* the current argument */
    const char *inline_v; /* the value after '=' */
    bool failed;
};

void cli_args_init(struct cli_args *a, const char *cmd, int argc, char **argv);
/* Advances to the next argument; false at the end. */
bool cli_args_next(struct cli_args *a);
/* True when the current argument is a positional one. */
bool cli_args_positional(const struct cli_args *a);
/* True when the current argument is the flag `name` (without a value). */
bool cli_flag(struct cli_args *a, const char *name);
/* True when the current argument is option `name`; *val gets its value (an
 * error is reported and a->failed set when it is missing). */
bool cli_opt(struct cli_args *a, const char *name, const char **val);
/* Reports an unknown option; always returns CLI_BAD_INPUT. */
int cli_unknown(const struct cli_args *a);

/* "tcpsim: error: ..." and "Try 'tcpsim CMD --help'." on stderr; returns CLI_BAD_INPUT. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "tcpsim: error: ..." on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A malloc'd formatted string, or NULL when out of memory. */
char *cli_strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool cli_parse_u64(const char *s, uint64_t *out);
bool cli_parse_u32(const char *s, uint32_t *out);
/* A time option with its unit ("1.5s"); reports the error itself. */
bool cli_parse_time_opt(const char *cmd, const char *opt, const char *s, sim_time *out);
/* The number of online processors (at least 1). */
uint32_t cli_cpu_count(void);
/* Seconds of wall clock since an arbitrary origin (only for --stats and timing). */
double cli_wall_seconds(void);

/* ---- outputs written whole or not at all (opts.c) ----------------------- */

/* A file written to PATH.tmp and renamed over PATH when complete. */
struct cli_outfile {
    char *path, *tmp;
    FILE *f;
};

/* Opens path.tmp for writing; false (with an error printed) on failure. */
bool cli_outfile_open(struct cli_outfile *o, const char *path);
/* Closes and renames; false (and the temp removed, error printed) on failure. */
bool cli_outfile_commit(struct cli_outfile *o);
/* Closes and removes the temp file, if any. */
void cli_outfile_abort(struct cli_outfile *o);

/* ---- help texts (help.c) ------------------------------------------------- */

void cli_help_main(FILE *out);
/* false when cmd is unknown */
bool cli_help_command(const char *cmd, FILE *out);

#endif
