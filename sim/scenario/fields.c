/* Typed readers of object members: each checks the JSON type, the unit and
 * the range, and reports what is wrong at the member's path and position. */
#include <math.h>
#include <string.h>

#include "scn_internal.h"

const cJSON *ld_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && strcmp(c->string, key) == 0)
            return c;
    return NULL;
}

static const char *type_name(const cJSON *n)
{
    if (cJSON_IsString(n))
        return "a string";
    if (cJSON_IsNumber(n))
        return "a number";
    if (cJSON_IsBool(n))
        return "a boolean";
    if (cJSON_IsNull(n))
        return "null";
    if (cJSON_IsArray(n))
        return "an array";
    return "an object";
}

bool ld_check_object(struct ld *l, const cJSON *obj, const char *what, const char *const *allowed)
{
    if (!cJSON_IsObject(obj)) {
        ld_err(l, obj, "%s must be an object, not %s", what, type_name(obj));
        return false;
    }
    uint32_t n_allowed = 0;
    while (allowed[n_allowed])
        n_allowed++;
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t mark = ld_push_key(l, c->string);
        bool known = false;
        for (uint32_t i = 0; i < n_allowed && !known; i++)
            known = strcmp(c->string, allowed[i]) == 0;
        if (!known) {
            const char *near = scn_closest(c->string, allowed, n_allowed);
            if (near)
                ld_err_key(l, c, "unknown field \"%s\" in %s (did you mean \"%s\"?)", c->string,
                           what, near);
            else
                ld_err_key(l, c, "unknown field \"%s\" in %s", c->string, what);
        } else if (ld_get(obj, c->string) != c) {
            ld_err_key(l, c, "field \"%s\" given twice", c->string);
        }
        ld_pop(l, mark);
    }
    return true;
}

bool ld_require(struct ld *l, const cJSON *obj, const char *key)
{
    if (ld_get(obj, key))
        return true;
    ld_err(l, obj, "missing required field \"%s\"", key);
    return false;
}

/* Reports at obj[key] with the key on the path. */
#define FIELD_ERR(l, n, ...)                                                                       \
    do {                                                                                           \
        size_t mark_ = ld_push_key(l, (n)->string);                                                \
        ld_err(l, n, __VA_ARGS__);                                                                 \
        ld_pop(l, mark_);                                                                          \
    } while (0)

bool ld_string(struct ld *l, const cJSON *obj, const char *key, const char **out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    if (!cJSON_IsString(n)) {
        FIELD_ERR(l, n, "expected a string, not %s", type_name(n));
        return false;
    }
    *out = n->valuestring;
    return true;
}

bool ld_bool(struct ld *l, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    if (!cJSON_IsBool(n)) {
        FIELD_ERR(l, n, "expected true or false, not %s", type_name(n));
        return false;
    }
    *out = cJSON_IsTrue(n);
    return true;
}

/* The node's integer value, if it is a whole number that fits. */
static bool whole_number(const cJSON *n, uint64_t *v)
{
    double d = n->valuedouble;
    if (!(d >= 0) || d != floor(d) || d >= 18446744073709551616.0)
        return false;
    *v = (uint64_t)d;
    return true;
}

bool ld_uint_node(struct ld *l, const cJSON *n, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (!cJSON_IsNumber(n)) {
        ld_err(l, n, "expected a whole number, not %s", type_name(n));
        return false;
    }
    if (n->valuedouble < 0 && min == 0) {
        ld_err(l, n, "must not be negative");
        return false;
    }
    if (n->valuedouble != floor(n->valuedouble)) {
        ld_err(l, n, "expected a whole number, not %g", n->valuedouble);
        return false;
    }
    if (!whole_number(n, &v) || v < min || v > max) {
        ld_err(l, n, "%.17g is out of range [%llu, %llu]", n->valuedouble, (unsigned long long)min,
               (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

bool ld_uint(struct ld *l, const cJSON *obj, const char *key, uint64_t min, uint64_t max,
             uint64_t *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    size_t mark = ld_push_key(l, key);
    bool ok = ld_uint_node(l, n, min, max, out);
    ld_pop(l, mark);
    return ok;
}

bool ld_time_node(struct ld *l, const cJSON *n, sim_time *out)
{
    if (cJSON_IsNumber(n)) {
        ld_err(l, n, "a time needs a unit: bare numbers are rejected: write \"%gms\"",
               n->valuedouble);
        return false;
    }
    if (!cJSON_IsString(n)) {
        ld_err(l, n, "expected a time such as \"10ms\", not %s", type_name(n));
        return false;
    }
    if (!scn_parse_time(n->valuestring, out)) {
        ld_err(l, n,
               "invalid time \"%s\": expected a number and a unit (ns, us, ms, s, min, h) "
               "with no space, e.g. \"1.5s\"",
               n->valuestring);
        return false;
    }
    return true;
}

bool ld_time(struct ld *l, const cJSON *obj, const char *key, sim_time *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    size_t mark = ld_push_key(l, key);
    bool ok = ld_time_node(l, n, out);
    ld_pop(l, mark);
    return ok;
}

bool ld_rate(struct ld *l, const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    if (cJSON_IsNumber(n)) {
        FIELD_ERR(l, n, "a rate needs a unit: bare numbers are rejected: write \"%gMbps\"",
                  n->valuedouble);
        return false;
    }
    if (!cJSON_IsString(n) || !scn_parse_rate(n->valuestring, out)) {
        FIELD_ERR(l, n, "invalid rate%s%s%s: expected e.g. \"10Mbps\", \"1Gbps\", \"64kbps\"",
                  cJSON_IsString(n) ? " \"" : "", cJSON_IsString(n) ? n->valuestring : "",
                  cJSON_IsString(n) ? "\"" : "");
        return false;
    }
    return true;
}

bool ld_size_node(struct ld *l, const cJSON *n, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (cJSON_IsNumber(n)) {
        if (!ld_uint_node(l, n, 0, UINT64_MAX, &v))
            return false;
    } else if (cJSON_IsString(n)) {
        if (!scn_parse_size(n->valuestring, &v)) {
            ld_err(l, n,
                   "invalid size \"%s\": expected a number of bytes or e.g. \"1500B\", "
                   "\"64KiB\", \"100MB\"",
                   n->valuestring);
            return false;
        }
    } else {
        ld_err(l, n, "expected a size (bytes or e.g. \"64KiB\"), not %s", type_name(n));
        return false;
    }
    if (v > max) {
        ld_err(l, n, "size %llu B is over the limit of %llu B", (unsigned long long)v,
               (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

bool ld_size(struct ld *l, const cJSON *obj, const char *key, uint64_t max, uint64_t *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    size_t mark = ld_push_key(l, key);
    bool ok = ld_size_node(l, n, max, out);
    ld_pop(l, mark);
    return ok;
}

bool ld_double(struct ld *l, const cJSON *obj, const char *key, double min, double max, double *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    if (!cJSON_IsNumber(n)) {
        FIELD_ERR(l, n, "expected a number, not %s", type_name(n));
        return false;
    }
    if (!(n->valuedouble >= min && n->valuedouble <= max)) {
        FIELD_ERR(l, n, "%g is out of range [%g, %g]", n->valuedouble, min, max);
        return false;
    }
    *out = n->valuedouble;
    return true;
}

bool ld_prob(struct ld *l, const cJSON *obj, const char *key, double *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    if (!cJSON_IsNumber(n)) {
        FIELD_ERR(l, n, "expected a probability (a number in [0, 1]), not %s", type_name(n));
        return false;
    }
    if (!(n->valuedouble >= 0 && n->valuedouble <= 1)) {
        FIELD_ERR(l, n, "probability %g is out of range: it must be in [0, 1]", n->valuedouble);
        return false;
    }
    *out = n->valuedouble;
    return true;
}

int ld_enum(struct ld *l, const cJSON *obj, const char *key, const char *const *names, uint32_t n)
{
    const char *s;
    if (!ld_string(l, obj, key, &s))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    char list[256] = "";
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "", names[i]);
    }
    const cJSON *node = ld_get(obj, key);
    const char *near = scn_closest(s, names, n);
    if (near)
        FIELD_ERR(l, node, "unknown value \"%s\" (did you mean \"%s\"?); one of %s", s, near, list);
    else
        FIELD_ERR(l, node, "unknown value \"%s\"; expected one of %s", s, list);
    return -1;
}

bool ld_array(struct ld *l, const cJSON *obj, const char *key, uint32_t max, const char *what,
              const cJSON **arr, uint32_t *n)
{
    const cJSON *a = ld_get(obj, key);
    if (!a)
        return false;
    if (!cJSON_IsArray(a)) {
        FIELD_ERR(l, a, "expected an array of %s, not %s", what, type_name(a));
        return false;
    }
    /* Counted before anything is allocated for the items. */
    uint32_t count = 0;
    for (const cJSON *c = a->child; c; c = c->next) {
        if (count == max) {
            FIELD_ERR(l, a, "too many %s: the limit is %u", what, max);
            return false;
        }
        count++;
    }
    *arr = a;
    *n = count;
    return true;
}
