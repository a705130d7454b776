/* Helpers for the world tests: small scenarios written in JSON, loaded with
 * the real loader, built and run. */
#ifndef TESTS_WORLD_FIXTURE_H
#define TESTS_WORLD_FIXTURE_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/world/world.h"

/* Two hosts on one 10 ms link; a sink server and a client sending 1000 B. */
#define FX_SERVER                                                                                  \
    "{\"id\":\"srv\",\"host\":\"server\",\"type\":\"tcp_server\",\"port\":80,\"mode\":\"sink\"}"
#define FX_CLIENT                                                                                  \
    "{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\",\"connect\":\"server:80\","        \
    "\"at\":\"0ms\",\"send\":1000,\"close\":\"after_send\"}"
#define FX_APPS FX_SERVER "," FX_CLIENT

struct fx {
    struct scenario *sc;
    struct world *w;
};

/* The text of a scenario; link_extra goes inside the link object. */
static inline char *fx_text(const char *link_extra, const char *apps, const char *faults,
                            const char *expect)
{
    static const char fmt[] =
        "{\"name\":\"t\",\"seed\":1,\"duration\":\"5min\","
        "\"hosts\":[{\"name\":\"client\"},{\"name\":\"server\"}],"
        "\"links\":[{\"name\":\"wire\",\"a\":\"client\",\"b\":\"server\",\"delay\":\"10ms\","
        "\"rate\":\"10Mbps\"%s%s}],"
        "\"apps\":[%s],\"faults\":[%s],\"expect\":[%s]}";
    const char *sep = link_extra && *link_extra ? "," : "";
    int n = snprintf(NULL, 0, fmt, sep, link_extra ? link_extra : "", apps, faults, expect);
    char *s = malloc((size_t)n + 1);
    cr_assert_not_null(s);
    snprintf(s, (size_t)n + 1, fmt, sep, link_extra ? link_extra : "", apps, faults, expect);
    return s;
}

static inline struct scenario *fx_load(const char *text)
{
    struct scn_diags d = {0};
    struct scenario *sc = scenario_load_text("test.json", text, strlen(text), &d);
    if (!sc)
        scn_diags_print(&d, stderr);
    scn_diags_free(&d);
    cr_assert_not_null(sc, "the test scenario does not load:\n%s", text);
    return sc;
}

/* Loads, builds, runs with `seed` (0: the file's) and judges. */
static inline struct fx fx_run_seed(const char *link_extra, const char *apps, const char *faults,
                                    const char *expect, uint64_t seed)
{
    char *text = fx_text(link_extra, apps, faults, expect);
    struct fx f = {.sc = fx_load(text)};
    free(text);
    char err[256] = "";
    f.w = world_build(f.sc, seed ? seed : f.sc->seed, err, sizeof err);
    cr_assert_not_null(f.w, "world_build: %s", err);
    world_want_digest(f.w);
    cr_assert_eq(world_run(f.w, -1), WORLD_OK, "world_run: %s", f.w->error);
    world_judge(f.w);
    return f;
}

static inline struct fx fx_run(const char *apps, const char *faults, const char *expect)
{
    return fx_run_seed(NULL, apps, faults, expect, 0);
}

static inline void fx_free(struct fx *f)
{
    world_destroy(f->w);
    scenario_free(f->sc);
}

/* The only verdict of a one-expectation scenario. */
static inline const struct world_verdict *fx_verdict(const struct fx *f)
{
    cr_assert_eq(f->w->n_verdicts, 1);
    return &f->w->verdicts[0];
}

#endif
