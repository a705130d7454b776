/* A world whose scenario was slimmed once the apps started (the command
 * line's way): its records are gone, yet the report, the verdicts and the
 * views still name every host, link, app and connection as before. */
#include "world_fixture.h"

#define COUNT_EXPECT                                                                               \
    "{\"count\":{\"link\":\"wire\",\"from\":\"client\",\"tcp_flags\":\"SYN\"},"                    \
    "\"equals\":1}"
#define EXPECTS                                                                                    \
    "{\"app\":\"srv\",\"received\":1000}," COUNT_EXPECT                                            \
    ",{\"conn\":\"c1\",\"outcome\":\"established\"}"

/* Builds and runs; the scenario is slimmed at time 0 when `slim`. */
static struct fx run(bool slim, bool describe)
{
    char *text = fx_text(NULL, FX_APPS, "", EXPECTS);
    struct fx f = {.sc = fx_load(text)};
    free(text);
    f.w = world_build(f.sc, f.sc->seed, NULL, 0);
    cr_assert_not_null(f.w);
    if (describe)
        cr_assert(world_describe(f.w));
    if (slim)
        world_slim_scenario(f.w, f.sc);
    world_want_digest(f.w);
    cr_assert_eq(world_run(f.w, -1), WORLD_OK, "world_run: %s", f.w->error);
    world_judge(f.w);
    return f;
}

static char *report_of(const struct world *w)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    world_report(w, mem);
    fclose(mem);
    return buf;
}

Test(world_slim, the_records_are_freed_once_the_apps_have_started)
{
    struct fx f = run(true, false);
    cr_assert(f.sc->slim);
    cr_assert_null(f.sc->hosts);
    cr_assert_null(f.sc->links);
    cr_assert_null(f.sc->apps);
    cr_assert_eq(f.sc->n_hosts, 2, "the counts stay");
    fx_free(&f);
}

Test(world_slim, a_world_not_told_to_slim_keeps_the_records)
{
    struct fx f = run(false, false);
    cr_assert_not(f.sc->slim);
    cr_assert_not_null(f.sc->hosts);
    fx_free(&f);
}

Test(world_slim, the_report_and_verdicts_are_those_of_an_unslimmed_run)
{
    struct fx full = run(false, false), slim = run(true, false);
    cr_assert_eq(slim.w->n_verdicts, 3);
    cr_assert_eq(slim.w->n_failed, 0, "%s", world_first_failure(slim.w));
    for (uint32_t i = 0; i < 3; i++)
        cr_assert_str_eq(slim.w->verdicts[i].message, full.w->verdicts[i].message);
    char *a = report_of(full.w), *b = report_of(slim.w);
    cr_assert_str_eq(b, a);
    cr_assert(strstr(b, "on wire from client"), "%s", b);
    cr_assert(strstr(b, "srv#1 (server)"), "%s", b);
    cr_assert_str_eq(slim.w->digest, full.w->digest);
    free(a);
    free(b);
    fx_free(&full);
    fx_free(&slim);
}

Test(world_slim, the_views_described_before_the_run_keep_their_hosts_and_links)
{
    struct fx f = run(true, true);
    const struct world_desc *d = &f.w->desc;
    cr_assert_eq(d->n_hosts, 2);
    cr_assert_eq(d->n_links, 1);
    cr_assert_str_eq(d->hosts[0].name, "client");
    cr_assert_str_eq(d->hosts[1].name, "server");
    cr_assert_str_eq(d->links[0].name, "wire");
    cr_assert_eq(d->links[0].delay, 10 * SIM_MS);
    cr_assert_eq(d->hosts[0].n_addrs, 1);
    fx_free(&f);
}

Test(world_slim, the_views_are_not_described_unless_asked)
{
    struct fx f = run(false, false);
    cr_assert_eq(f.w->desc.n_hosts, 0);
    cr_assert_null(f.w->desc.hosts);
    cr_assert_str_eq(f.w->desc.name, "t");
    cr_assert(world_describe(f.w), "the records are still there");
    cr_assert_eq(f.w->desc.n_hosts, 2);
    fx_free(&f);
}

Test(world_slim, describing_after_slimming_fails)
{
    struct fx f = run(true, false);
    cr_assert_not(world_describe(f.w));
    cr_assert_eq(f.w->desc.n_hosts, 0);
    cr_expect(strstr(f.w->error, "describe the world before the scenario is slimmed"),
              "says why, not out of memory: %s", f.w->error);
    fx_free(&f);
}

Test(world_slim, a_slimmed_scenario_builds_no_world)
{
    struct fx f = run(true, false);
    char err[256] = "";
    cr_assert_null(world_build(f.sc, 1, err, sizeof err));
    cr_assert(strstr(err, "slimmed"), "%s", err);
    fx_free(&f);
}
