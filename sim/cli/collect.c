/* Collecting scenario files from the paths given to `check` and `validate`:
 * files as given, folders searched recursively for *.json (skipping
 * schema.json, folders named `bad` and hidden entries), then sorted bytewise
 * as one list so that numbering and shards do not depend on the file
 * system's order or on the order of the paths. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect.h"

static bool list_add(struct file_list *l, const char *path)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 32;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = strdup(path);
    return l->v[l->n++] != NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    const char *sep = n && dir[n - 1] != '/' ? "/" : "";
    size_t size = n + strlen(sep) + strlen(name) + 1;
    char *p = malloc(size);
    if (p)
        snprintf(p, size, "%s%s%s", dir, sep, name);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folders found while recursing that hold no regression cases: bad inputs
 * (they are meant to fail loading) and benchmark worlds (minutes each).
 * Either still runs when named on the command line. */
static bool skipped_folder(const char *name)
{
    return strcmp(name, "bad") == 0 || strcmp(name, "bench") == 0;
}

/* Adds the scenario files under dir; false with *err on failure. */
static bool walk(struct file_list *l, const char *dir, const char **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        *err = strerror(errno);
        return false;
    }
    /* Read every name first: recursion with the directory open could run
     * out of descriptors in deep trees, and the order must be sorted anyway. */
    struct file_list names = {0};
    bool ok = true;
    for (struct dirent *e = readdir(d); ok && e; e = readdir(d))
        if (e->d_name[0] != '.')
            ok = list_add(&names, e->d_name);
    closedir(d);
    if (ok && names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (uint32_t i = 0; ok && i < names.n; i++) {
        char *p = join(dir, names.v[i]);
        struct stat st;
        if (!p) {
            ok = false;
        } else if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!skipped_folder(names.v[i]))
                ok = walk(l, p, err);
        } else if (ends_with(names.v[i], ".json") && strcmp(names.v[i], "schema.json") != 0) {
            ok = list_add(l, p);
        }
        free(p);
    }
    file_list_free(&names);
    if (!ok && !*err)
        *err = "out of memory";
    return ok;
}

bool collect_scenarios(struct file_list *l, char *const *paths, uint32_t n_paths,
                       const char **bad_path, const char **err)
{
    for (uint32_t i = 0; i < n_paths; i++) {
        struct stat st;
        *bad_path = paths[i];
        *err = NULL;
        if (stat(paths[i], &st) != 0) {
            *err = strerror(errno);
            return false;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!walk(l, paths[i], err))
                return false;
        } else if (!list_add(l, paths[i])) {
            *err = "out of memory";
            return false;
        }
    }
    *bad_path = NULL;
    /* One sorted list without duplicates, whatever the order of the paths. */
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, cmp_str);
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (k && strcmp(l->v[k - 1], l->v[i]) == 0)
            free(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
    return true;
}

void file_list_free(struct file_list *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct file_list){0};
}
