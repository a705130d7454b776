/* Helpers of the scenario loader tests: load a text, render its diagnostics. */
#ifndef TESTS_SCENARIO_HELPERS_H
#define TESTS_SCENARIO_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/scenario.h"

/* Loads `json` as "t.json"; the rendered diagnostics go to *out (caller frees). */
static inline struct scenario *load_text(const char *json, char **out)
{
    struct scn_diags d = {0};
    struct scenario *sc = scenario_load_text("t.json", json, strlen(json), &d);
    size_t len = 0;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, &len);
    scn_diags_print(&d, f);
    fclose(f);
    scn_diags_free(&d);
    if (out)
        *out = buf;
    else
        free(buf);
    return sc;
}

/* Loads a text that must be valid. */
static inline struct scenario *load_ok(const char *json)
{
    char *msg;
    struct scenario *sc = load_text(json, &msg);
    cr_assert(sc != NULL, "expected to load, got:\n%s", msg);
    cr_assert_str_empty(msg);
    free(msg);
    return sc;
}

/* Loads a text that must fail; returns the diagnostics (caller frees). */
static inline char *load_err(const char *json)
{
    char *msg;
    struct scenario *sc = load_text(json, &msg);
    cr_assert(sc == NULL, "expected errors, but it loaded");
    scenario_free(sc);
    return msg;
}

/* The text must fail with a diagnostic line containing `want`. */
static inline void assert_error(const char *json, const char *want)
{
    char *msg = load_err(json);
    cr_assert(strstr(msg, want) != NULL, "expected \"%s\" in:\n%s", want, msg);
    free(msg);
}

/* Two hosts on one link, and whatever the test adds to the top level. */
#define TWO_HOSTS                                                                                  \
    "\"hosts\": [{\"name\": \"client\"}, {\"name\": \"server\"}],\n"                               \
    "\"links\": [{\"name\": \"wire\", \"a\": \"client\", \"b\": \"server\", \"delay\": \"1ms\"}]"

#define SERVER_AND_CLIENT                                                                          \
    "\"apps\": [{\"id\": \"srv\", \"host\": \"server\", \"type\": \"tcp_server\", \"port\": "      \
    "80},\n"                                                                                       \
    "  {\"id\": \"c1\", \"host\": \"client\", \"type\": \"tcp_client\", \"connect\": "             \
    "\"server:80\", \"send\": 1000}]"

#endif
