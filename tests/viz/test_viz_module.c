/* `tcpsim viz` and its loadable SDL2 module: found in the build tree, or
 * where TCPSIM_VIZ_MODULE says; a missing or foreign module is one line on
 * stderr and exit code 3. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Tests run in parallel processes: each has its own files, named after it. */
static char png_file[256], err_file[256];

static void name_files(const char *test)
{
    snprintf(png_file, sizeof png_file, "/tmp/tcpsim_viz_module_%s.png", test);
    snprintf(err_file, sizeof err_file, "/tmp/tcpsim_viz_module_%s.err", test);
}

/* Runs `tcpsim viz handshake.json --png png_file` with TCPSIM_VIZ_MODULE set
 * to `module` (unset when NULL); returns its exit code, stderr in err_file. */
static int run_viz(const char *test, const char *module)
{
    name_files(test);
    char env[1024] = "env -u TCPSIM_VIZ_MODULE";
    if (module)
        snprintf(env, sizeof env, "env TCPSIM_VIZ_MODULE='%s'", module);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s '%s' viz '%s/scenarios/handshake.json' --png %s --at 25ms 2>%s >/dev/null", env,
             TCPSIM_EXE, SOURCE_ROOT, png_file, err_file);
    remove(png_file);
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "%s did not exit", cmd);
    return WEXITSTATUS(st);
}

/* The whole of stderr; fails unless it is exactly one line. */
static void read_one_line(char *buf, size_t n)
{
    FILE *f = fopen(err_file, "r");
    cr_assert_not_null(f);
    size_t len = fread(buf, 1, n - 1, f);
    fclose(f);
    remove(err_file);
    buf[len] = '\0';
    cr_assert_gt(len, 0, "nothing on stderr");
    cr_expect_eq(strchr(buf, '\n'), buf + len - 1, "not one line: %s", buf);
}

static bool png_written(void)
{
    FILE *f = fopen(png_file, "rb");
    if (f)
        fclose(f);
    remove(png_file);
    remove(err_file);
    return f != NULL;
}

Test(viz_module, found_in_the_build_tree)
{
    cr_expect_eq(run_viz("build_tree", NULL), 0);
    cr_expect(png_written());
}

Test(viz_module, environment_names_the_module)
{
    cr_expect_eq(run_viz("env", VIZ_MODULE), 0);
    cr_expect(png_written());
}

Test(viz_module, missing_module_is_one_line_and_exit_3)
{
    char err[2048];
    cr_expect_eq(run_viz("missing", "/nonexistent/tcpsim-viz-sdl.so"), 3);
    read_one_line(err, sizeof err);
    cr_expect(strstr(err, "cannot load the SDL2 visualizer module"), "%s", err);
    cr_expect(strstr(err, "/nonexistent/tcpsim-viz-sdl.so: cannot open shared object file"), "%s",
              err);
    cr_expect(strstr(err, "hint: "), "%s", err);
    cr_expect_not(png_written());
}

Test(viz_module, module_of_another_version_is_refused)
{
    char err[2048];
    cr_expect_eq(run_viz("other_abi", STUB_OTHER_ABI), 3);
    read_one_line(err, sizeof err);
    cr_expect(
        strstr(err, "was built for another tcpsim (module interface 1001, this tcpsim needs 1"),
        "%s", err);
    cr_expect_not(png_written());
}

Test(viz_module, library_without_the_entry_is_refused)
{
    char err[2048];
    cr_expect_eq(run_viz("no_entry", STUB_NO_ENTRY), 3);
    read_one_line(err, sizeof err);
    cr_expect(strstr(err, "not a visualizer module: "), "%s", err);
    cr_expect(strstr(err, "undefined symbol: tcpsim_viz_module"), "%s", err);
    cr_expect_not(png_written());
}
