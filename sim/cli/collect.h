/* Scenario files named by the command line's paths (check, validate). */
#ifndef SIM_CLI_COLLECT_H
#define SIM_CLI_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

struct file_list {
    char **v;
    uint32_t n, cap;
};

/* Files as given; folders searched recursively for *.json, skipping
 * schema.json, folders named `bad` and names starting with '.'.  The result
 * is sorted bytewise, without duplicates.  On failure *bad_path names the
 * path and *err says why. */
bool collect_scenarios(struct file_list *l, char *const *paths, uint32_t n_paths,
                       const char **bad_path, const char **err);
void file_list_free(struct file_list *l);

#endif
