/* The scenario loader's entry points: reading the file, parsing JSON,
 * the top-level fields, and handing each section to its reader.  Sections
 * that depend on others (routes on links, apps on routes, ...) are checked
 * only when what they depend on loaded cleanly, so one mistake does not
 * cascade into a page of follow-on errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

/* A scenario file larger than this is refused before it is parsed. */
#define SCN_MAX_FILE_BYTES ((size_t)256 << 20)

static const char *const app_type_names[] = {"tcp_server", "tcp_client", "udp_sender",
                                             "udp_sink",   "ping",       "traceroute"};

const char *scn_app_type_name(enum scn_app_type t)
{
    return (unsigned)t < 6 ? app_type_names[t] : "?";
}

static const char *const top_fields[] = {"$schema",  "name",     "title",  "description", "seed",
                                         "duration", "defaults", "hosts",  "links",       "apps",
                                         "faults",   "events",   "expect", NULL};

/* "dir/lab.json" -> "lab" */
static char *stem_of(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char *s = scn_strdup(base);
    if (s) {
        size_t n = strlen(s);
        if (n > 5 && strcmp(s + n - 5, ".json") == 0)
            s[n - 5] = '\0';
    }
    return s;
}

static void ld_description(struct ld *l, const cJSON *root)
{
    const cJSON *d = ld_get(root, "description");
    if (!d)
        return;
    size_t mark = ld_push_key(l, "description");
    if (cJSON_IsString(d)) {
        l->sc->desc_en = ld_strdup(l, d, d->valuestring);
    } else {
        static const char *const fields[] = {"en", "ko", NULL};
        if (ld_check_object(l, d, "a description (an object of languages)", fields)) {
            const char *s;
            if (ld_string(l, d, "en", &s))
                l->sc->desc_en = ld_strdup(l, d, s);
            if (ld_string(l, d, "ko", &s))
                l->sc->desc_ko = ld_strdup(l, d, s);
        }
    }
    ld_pop(l, mark);
}

static void ld_top(struct ld *l, const cJSON *root)
{
    struct scenario *sc = l->sc;
    const char *s;
    uint64_t seed;
    sim_time t;
    if (ld_string(l, root, "name", &s)) {
        if (!s[0])
            ld_err_at(l, ld_get(root, "name"), "name", "the name must not be empty");
        sc->name = ld_strdup(l, ld_get(root, "name"), s);
    } else {
        sc->name = stem_of(l->file);
        if (!sc->name)
            ld_err(l, root, "out of memory copying the file's name");
    }
    sc->title = ld_strdup(l, root, ld_string(l, root, "title", &s) ? s : sc->name ? sc->name : "");
    ld_description(l, root);
    sc->seed = 1;
    /* Seeds above 2^53 cannot be written exactly as JSON numbers. */
    if (ld_uint(l, root, "seed", 0, (uint64_t)1 << 53, &seed))
        sc->seed = seed;
    sc->duration = 60 * SIM_SEC;
    if (ld_time(l, root, "duration", &t)) {
        if (t <= 0)
            ld_err_at(l, ld_get(root, "duration"), "duration", "the duration must be positive");
        sc->duration = t;
    }
}

static const cJSON *ld_defaults(struct ld *l, const cJSON *root)
{
    const cJSON *d = ld_get(root, "defaults");
    if (!d)
        return NULL;
    static const char *const fields[] = {"tcp", "link", NULL};
    size_t mark = ld_push_key(l, "defaults");
    bool ok = ld_check_object(l, d, "defaults", fields);
    ld_pop(l, mark);
    return ok ? d : NULL;
}

/* Parses; on a syntax error reports where and what was expected. */
static const cJSON *parse_json(struct ld *l, const char *text, size_t len)
{
    struct json_syntax_error e = {0};
    if (jpos_parse(&l->pos, text, len, &e))
        return l->pos.root;
    int line, col;
    jpos_line_col(&l->pos, e.off, &line, &col);
    l->errors++;
    scn_diag_add(l->d, l->file, line, col, e.path, e.msg);
    return NULL;
}

/* Sorts d->v[from..] by line, then column, keeping the order in which
 * errors were found among equals (insertion sort: stable, and the list is
 * short, at most the diagnostics limit). */
static void sort_by_position(struct scn_diags *d, uint32_t from)
{
    for (uint32_t i = from + 1; i < d->n; i++) {
        struct scn_diag g = d->v[i];
        uint32_t j = i;
        while (j > from && (d->v[j - 1].line > g.line ||
                            (d->v[j - 1].line == g.line && d->v[j - 1].col > g.col))) {
            d->v[j] = d->v[j - 1];
            j--;
        }
        d->v[j] = g;
    }
}

static struct scenario *load_text(const char *file, const char *text, size_t len,
                                  struct scn_diags *d);

struct scenario *scenario_load_text(const char *file, const char *text, size_t len,
                                    struct scn_diags *d)
{
    uint32_t first = d->n;
    struct scenario *sc = load_text(file, text, len, d);
    sort_by_position(d, first);
    return sc;
}

static struct scenario *load_text(const char *file, const char *text, size_t len,
                                  struct scn_diags *d)
{
    struct ld l = {.file = file ? file : "<scenario>", .d = d};
    if (len > SCN_MAX_FILE_BYTES) {
        scn_diag_add(d, l.file, 0, 0, "", "file too large: the limit is 256 MiB");
        return NULL;
    }
    const cJSON *root = parse_json(&l, text, len);
    struct scenario *sc = NULL;
    if (!root)
        goto out;
    sc = scn_calloc(1, sizeof *sc);
    if (!sc) {
        scn_diag_add(d, l.file, 0, 0, "", "out of memory");
        goto out;
    }
    l.sc = sc;
    sc->file = ld_strdup(&l, root, l.file);
    if (!ld_check_object(&l, root, "a scenario", top_fields))
        goto out;
    ld_top(&l, root);
    const cJSON *defaults = ld_defaults(&l, root);
    uint32_t before = l.errors;
    ld_hosts(&l, root, defaults);
    ld_links(&l, root, defaults);
    bool net_ok = false, faults_done = l.errors == before;
    if (faults_done) {
        ld_network(&l, root);
        net_ok = l.errors == before;
        if (net_ok)
            ld_apps(&l, root);
        ld_faults(&l, root);
        if (net_ok) {
            ld_events(&l, root);
            ld_expects(&l, root);
        }
    }
    if (!net_ok)
        ld_refs_only(&l, root, !faults_done);
out:
    jpos_free(&l.pos);
    ld_net_free(&l);
    if (l.errors && sc) {
        scenario_free(sc);
        sc = NULL;
    }
    return sc;
}

/* Reads a whole file; NULL with *err set on failure. */
static char *read_file(const char *path, size_t *len, const char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = strerror(errno);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > SCN_MAX_FILE_BYTES) {
                *err = "file too large: the limit is 256 MiB";
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b)
                break;
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                *err = strerror(errno);
                break;
            }
            fclose(f);
            *len = n;
            return buf;
        }
    }
    if (!*err)
        *err = "out of memory";
    free(buf);
    fclose(f);
    return NULL;
}

struct scenario *scenario_load_file(const char *path, struct scn_diags *d)
{
    size_t len = 0;
    const char *err = NULL;
    char *text = read_file(path, &len, &err);
    if (!text) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot read the file: %s", err);
        scn_diag_add(d, path, 0, 0, "", msg);
        return NULL;
    }
    struct scenario *sc = scenario_load_text(path, text, len, d);
    free(text);
    return sc;
}

void scenario_free(struct scenario *sc)
{
    if (!sc)
        return;
    scn_free_records(sc);
    for (uint32_t i = 0; sc->host_names && i < sc->n_hosts; i++)
        free(sc->host_names[i]);
    for (uint32_t i = 0; sc->link_briefs && i < sc->n_links; i++)
        free(sc->link_briefs[i].name);
    for (uint32_t i = 0; sc->app_briefs && i < sc->n_apps; i++)
        free(sc->app_briefs[i].id);
    free(sc->host_names);
    free(sc->link_briefs);
    free(sc->app_briefs);
    for (uint32_t i = 0; i < sc->n_events; i++)
        free(sc->events[i].conn);
    for (uint32_t i = 0; i < sc->n_expects; i++) {
        free(sc->expects[i].conn);
        free(sc->expects[i].states);
    }
    free(sc->events);
    free(sc->expects);
    free(sc->host_by_name);
    free(sc->link_by_name);
    free(sc->app_by_name);
    free(sc->file);
    free(sc->name);
    free(sc->title);
    free(sc->desc_en);
    free(sc->desc_ko);
    free(sc);
}

static int cmp_name_ref(const void *a, const void *b)
{
    const struct name_ref *x = a, *y = b;
    int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

uint32_t *scn_sort_names(struct name_ref *refs, uint32_t n)
{
    qsort(refs, n, sizeof *refs, cmp_name_ref);
    uint32_t *order = scn_calloc(n, sizeof *order);
    if (order)
        for (uint32_t k = 0; k < n; k++)
            order[k] = refs[k].i;
    return order;
}

uint32_t *ld_index_names(struct ld *l, const cJSON *arr, struct name_ref *refs, uint32_t n,
                         const char *section, const char *key, const char *what, const char *hint)
{
    uint32_t *index = scn_sort_names(refs, n);
    for (uint32_t k = 1; k < n; k++) {
        if (!refs[k].name || !refs[k - 1].name || strcmp(refs[k].name, refs[k - 1].name) != 0)
            continue;
        const cJSON *obj = cJSON_GetArrayItem(arr, (int)refs[k].i);
        const cJSON *at = ld_get(obj, key);
        size_t mark = ld_push_key(l, section);
        ld_push_index(l, refs[k].i);
        if (at || !hint)
            ld_err_at(l, at, key, "duplicate %s \"%s\" (also %s[%u])", what, refs[k].name, section,
                      refs[k - 1].i);
        else
            ld_err(l, obj, "duplicate %s \"%s\" (also %s[%u]): %s", what, refs[k].name, section,
                   refs[k - 1].i, hint);
        ld_pop(l, mark);
    }
    free(refs);
    return index;
}

const char *scn_name_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > 63)
        return "is longer than 63 characters";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return "may only contain letters, digits, '_', '-' and '.'";
    }
    uint32_t ip;
    if (scn_parse_ip(s, &ip, NULL))
        return "must not look like an IPv4 address";
    return NULL;
}

/* Binary search of an index sorted by name; `name_at` reads the i-th name
 * from an array of structs of size `stride` whose name is at `off`. */
static uint32_t find_sorted(const uint32_t *order, uint32_t n, const void *base, size_t stride,
                            size_t off, const char *name)
{
    if (!order || !name)
        return UINT32_MAX;
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *have = *(char *const *)((const char *)base + order[mid] * stride + off);
        int c = strcmp(have ? have : "", name);
        if (c == 0) {
            /* the first of equal names (only a scenario that failed has any) */
            while (mid > 0) {
                const char *prev =
                    *(char *const *)((const char *)base + order[mid - 1] * stride + off);
                if (strcmp(prev ? prev : "", name) != 0)
                    break;
                mid--;
            }
            return order[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* After scenario_slim the names are found in the briefs, each the first
 * member of its record. */
uint32_t scenario_host_index(const struct scenario *sc, const char *name)
{
    if (sc->slim)
        return find_sorted(sc->host_by_name, sc->n_hosts, sc->host_names, sizeof *sc->host_names, 0,
                           name);
    return find_sorted(sc->host_by_name, sc->n_hosts, sc->hosts, sizeof *sc->hosts,
                       offsetof(struct scn_host, name), name);
}

uint32_t scenario_link_index(const struct scenario *sc, const char *name)
{
    if (sc->slim)
        return find_sorted(sc->link_by_name, sc->n_links, sc->link_briefs, sizeof *sc->link_briefs,
                           offsetof(struct scn_link_brief, name), name);
    return find_sorted(sc->link_by_name, sc->n_links, sc->links, sizeof *sc->links,
                       offsetof(struct scn_link, name), name);
}

uint32_t scenario_app_index(const struct scenario *sc, const char *id)
{
    if (sc->slim)
        return find_sorted(sc->app_by_name, sc->n_apps, sc->app_briefs, sizeof *sc->app_briefs,
                           offsetof(struct scn_app_brief, id), id);
    return find_sorted(sc->app_by_name, sc->n_apps, sc->apps, sizeof *sc->apps,
                       offsetof(struct scn_app, id), id);
}
