/* Fuzz target: the scenario loader on arbitrary bytes.
 *
 * scenario_load_text must return either a scenario or NULL with at least one
 * diagnostic, never crash, hang or leak.  The text is handed over in a buffer
 * of exactly `size` bytes with no terminating NUL, so that a loader reading
 * past the length it was given trips AddressSanitizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/scenario.h"

#define MAX_INPUT (64u * 1024u) /* larger files only cost time, not coverage */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A loaded scenario names each host, link and app once, and the lookups by
 * name find each at its own index. */
static void check_names(const struct scenario *sc)
{
    for (uint32_t k = 0; k < sc->n_hosts; k++)
        if (scenario_host_index(sc, sc->hosts[k].name) != k)
            abort();
    for (uint32_t k = 0; k < sc->n_links; k++)
        if (scenario_link_index(sc, sc->links[k].name) != k)
            abort();
    for (uint32_t k = 0; k < sc->n_apps; k++)
        if (scenario_app_index(sc, sc->apps[k].id) != k)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return -1; /* keep it out of the corpus */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    struct scn_diags d = {0};
    struct scenario *sc = scenario_load_text("fuzz.json", text, size, &d);
    /* A refusal must say why: NULL with no diagnostic is a loader bug. */
    if (!sc && d.n == 0 && d.dropped == 0)
        abort();
    /* Diagnostics are printed by the command line: exercise the formatting. */
    if (d.n) {
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            scn_diags_print(&d, devnull);
            fclose(devnull);
        }
    }
    if (sc)
        check_names(sc);
    scenario_free(sc);
    scn_diags_free(&d);
    free(text);
    return 0;
}
