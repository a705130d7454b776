/* Typed readers of object members: each checks the JSON type, the unit and
 * the range, and reports what is wrong at the member's path and position. */
#include <math.h>
#include <string.h>

#include "scn_internal.h"

const cJSON *ld_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    /* The first byte first: most members differ there, and the loader asks
     * for every field it knows of every object. */
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0)
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

static void unknown_field(struct ld *l, const cJSON *c, const char *what,
                          const char *const *allowed, uint32_t n_allowed)
{
    size_t mark = ld_push_key(l, c->string);
    const char *near = scn_closest(c->string, allowed, n_allowed);
    if (near)
        ld_err_key(l, c, "unknown field \"%s\" in %s (did you mean \"%s\"?)", c->string, what,
                   near);
    else
        ld_err_key(l, c, "unknown field \"%s\" in %s", c->string, what);
    ld_pop(l, mark);
}

/* The member names are pushed onto the path only when reported: most
 * objects have no unknown or repeated field. */
bool ld_check_object(struct ld *l, const cJSON *obj, const char *what, const char *const *allowed)
{
    if (!cJSON_IsObject(obj)) {
        ld_err(l, obj, "%s must be an object, not %s", what, type_name(obj));
        return false;
    }
    uint32_t n_allowed = 0;
    while (allowed[n_allowed])
        n_allowed++;
    uint64_t seen = 0; /* the allowed fields met so far, when there are at most 64 */
    for (const cJSON *c = obj->child; c; c = c->next) {
        uint32_t i = 0;
        while (i < n_allowed && !(c->string[0] == allowed[i][0] && !strcmp(c->string, allowed[i])))
            i++;
        if (i == n_allowed) {
            unknown_field(l, c, what, allowed, n_allowed);
            continue;
        }
        /* A member named like an earlier one is a duplicate: ld_get finds the first. */
        bool again = i < 64 ? (seen >> i & 1) != 0 : ld_get(obj, c->string) != c;
        if (i < 64)
            seen |= (uint64_t)1 << i;
        if (again) {
            size_t mark = ld_push_key(l, c->string);
            ld_err_key(l, c, "field \"%s\" given twice", c->string);
            ld_pop(l, mark);
        }
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

/* A number as the file writes it ("1e400", "70000"), for messages: the
 * double cJSON made of it may have overflowed to inf or lost digits. */
static const char *number_literal(const struct ld *l, const cJSON *n, char *buf, size_t cap)
{
    uint32_t off;
    if (l->pos.text && jpos_offset(&l->pos, n, false, &off)) {
        const char *t = l->pos.text + off;
        size_t k = 0;
        while (t[k] && strchr("0123456789+-.eE", t[k]))
            k++;
        if (k > 0 && k < cap) {
            memcpy(buf, t, k);
            buf[k] = '\0';
            return buf;
        }
    }
    snprintf(buf, cap, "%.17g", n->valuedouble);
    return buf;
}

/* A number for a suggestion ("10000000", "1.5"): integers in full, never
 * in exponent form; a plain decimal as written. */
static const char *number_for_suggestion(const struct ld *l, const cJSON *n, char *buf, size_t cap)
{
    uint64_t v;
    if (whole_number(n, &v)) {
        snprintf(buf, cap, "%llu", (unsigned long long)v);
        return buf;
    }
    number_literal(l, n, buf, cap);
    if (strpbrk(buf, "eE"))
        snprintf(buf, cap, "%.17g", n->valuedouble);
    return buf;
}

bool ld_uint_node(struct ld *l, const cJSON *n, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    char lit[48];
    if (!cJSON_IsNumber(n)) {
        ld_err(l, n, "expected a whole number, not %s", type_name(n));
        return false;
    }
    if (n->valuedouble < 0 && min == 0) {
        ld_err(l, n, "must not be negative");
        return false;
    }
    if (n->valuedouble != floor(n->valuedouble)) {
        ld_err(l, n, "expected a whole number, not %s", number_literal(l, n, lit, sizeof lit));
        return false;
    }
    if (!whole_number(n, &v) || v < min || v > max) {
        ld_err(l, n, "%s is out of range [%llu, %llu]", number_literal(l, n, lit, sizeof lit),
               (unsigned long long)min, (unsigned long long)max);
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

/* "invalid time "10MS": did you mean "10ms"? (units are case-sensitive)"
 * when only the case of the unit is wrong, else the generic message. */
static void bad_unit_syntax(struct ld *l, const cJSON *n, const char *what, enum scn_unit_kind kind,
                            const char *expected)
{
    const char *s = n->valuestring;
    const char *fix = scn_unit_fix(s, kind);
    if (fix) {
        size_t digits = strspn(s, "0123456789.");
        ld_err(l, n, "invalid %s \"%s\": did you mean \"%.*s%s\"? (units are case-sensitive)", what,
               s, (int)digits, s, fix);
        return;
    }
    ld_err(l, n, "invalid %s \"%s\": %s", what, s, expected);
}

static void time_error(struct ld *l, const cJSON *n, enum scn_unit_status st)
{
    const char *s = n->valuestring;
    sim_time ignored;
    if (s[0] == '-') {
        enum scn_unit_status rest = scn_parse_time_status(s + 1, &ignored);
        if (rest == SCN_UNIT_OK || rest == SCN_UNIT_TOO_LARGE) {
            ld_err(l, n, "a time cannot be negative: \"%s\"", s);
            return;
        }
    }
    switch (st) {
    case SCN_UNIT_NO_UNIT:
        ld_err(l, n, "a time needs a unit: bare numbers are rejected: write \"%sms\"", s);
        return;
    case SCN_UNIT_NOT_WHOLE:
        ld_err(l, n, "time \"%s\" is not a whole number of nanoseconds", s);
        return;
    case SCN_UNIT_TOO_LARGE:
        /* INT64_MAX - 1 ns, a little over 2562047 hours (292 years) */
        ld_err(l, n, "time is too large (at most 2562047h): \"%s\"", s);
        return;
    default:
        bad_unit_syntax(l, n, "time", SCN_UNIT_TIME,
                        "expected a number and a unit (ns, us, ms, s, min, h) with no space, "
                        "e.g. \"1.5s\"");
        return;
    }
}

bool ld_time_node(struct ld *l, const cJSON *n, sim_time *out)
{
    if (cJSON_IsNumber(n)) {
        char num[48];
        ld_err(l, n, "a time needs a unit: bare numbers are rejected: write \"%sms\"",
               number_for_suggestion(l, n, num, sizeof num));
        return false;
    }
    if (!cJSON_IsString(n)) {
        ld_err(l, n, "expected a time such as \"10ms\", not %s", type_name(n));
        return false;
    }
    enum scn_unit_status st = scn_parse_time_status(n->valuestring, out);
    if (st != SCN_UNIT_OK) {
        time_error(l, n, st);
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

/* A bare number of a rate means bits per second; when it is a round number
 * of a larger unit, that spelling is offered too. */
static void rate_number_error(struct ld *l, const cJSON *n)
{
    static const struct {
        const char *name;
        uint64_t mult;
    } larger[] = {
        {"Tbps", 1000000000000ull}, {"Gbps", 1000000000}, {"Mbps", 1000000}, {"kbps", 1000}};
    char num[48];
    number_for_suggestion(l, n, num, sizeof num);
    uint64_t v;
    if (whole_number(n, &v) && v > 0)
        for (size_t i = 0; i < sizeof larger / sizeof larger[0]; i++)
            if (v % larger[i].mult == 0) {
                ld_err(l, n,
                       "a rate needs a unit: bare numbers are rejected: write \"%sbps\" (bits "
                       "per second), i.e. \"%llu%s\"",
                       num, (unsigned long long)(v / larger[i].mult), larger[i].name);
                return;
            }
    ld_err(l, n,
           "a rate needs a unit: bare numbers are rejected: write \"%sbps\" (bits per second)",
           num);
}

/* "10MBps": bytes per second where rates are in bits; the same rate in bits
 * is offered ("80Mbps").  False if s is not such a rate. */
static bool rate_in_bytes(struct ld *l, const cJSON *n)
{
    const char *s = n->valuestring;
    size_t len = strlen(s);
    if (len < 4 || len >= 64 || strcmp(s + len - 3, "Bps") != 0)
        return false;
    char bits[64];
    memcpy(bits, s, len + 1);
    bits[len - 3] = 'b';
    uint64_t bps;
    if (scn_parse_rate_status(bits, &bps) != SCN_UNIT_OK || bps > UINT64_MAX / 8)
        return false;
    static const struct {
        const char *name;
        uint64_t mult;
    } units[] = {{"Gbps", 1000000000}, {"Mbps", 1000000}, {"kbps", 1000}, {"bps", 1}};
    bps *= 8;
    size_t i = 0;
    while (bps % units[i].mult != 0)
        i++;
    ld_err(l, n,
           "invalid rate \"%s\": rates are in bits per second (\"b\"), not bytes (\"B\"): "
           "write \"%llu%s\"",
           s, (unsigned long long)(bps / units[i].mult), units[i].name);
    return true;
}

static void rate_error(struct ld *l, const cJSON *n, enum scn_unit_status st)
{
    const char *s = n->valuestring;
    if (rate_in_bytes(l, n))
        return;
    switch (st) {
    case SCN_UNIT_NO_UNIT:
        ld_err(l, n, "a rate needs a unit: bare numbers are rejected: write \"%sMbps\"", s);
        return;
    case SCN_UNIT_NOT_WHOLE:
        ld_err(l, n, "rate \"%s\" is not a whole number of bits per second", s);
        return;
    case SCN_UNIT_TOO_LARGE:
        ld_err(l, n, "rate is too large (at most 18446744Tbps): \"%s\"", s);
        return;
    default:
        bad_unit_syntax(l, n, "rate", SCN_UNIT_RATE,
                        "expected e.g. \"10Mbps\", \"1Gbps\", \"64kbps\"");
        return;
    }
}

bool ld_rate(struct ld *l, const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *n = ld_get(obj, key);
    if (!n)
        return false;
    size_t mark = ld_push_key(l, key);
    bool ok = false;
    if (cJSON_IsNumber(n)) {
        rate_number_error(l, n);
    } else if (!cJSON_IsString(n)) {
        ld_err(l, n, "invalid rate: expected e.g. \"10Mbps\", \"1Gbps\", \"64kbps\"");
    } else {
        enum scn_unit_status st = scn_parse_rate_status(n->valuestring, out);
        if (st != SCN_UNIT_OK)
            rate_error(l, n, st);
        ok = st == SCN_UNIT_OK;
    }
    ld_pop(l, mark);
    return ok;
}

static void size_error(struct ld *l, const cJSON *n, enum scn_unit_status st)
{
    const char *s = n->valuestring;
    switch (st) {
    case SCN_UNIT_NO_UNIT:
        ld_err(l, n, "a size in a string needs a unit: write \"%sB\", or the number %s", s, s);
        return;
    case SCN_UNIT_NOT_WHOLE:
        ld_err(l, n, "size \"%s\" is not a whole number of bytes", s);
        return;
    case SCN_UNIT_TOO_LARGE:
        ld_err(l, n, "size is too large: \"%s\"", s);
        return;
    default:
        bad_unit_syntax(l, n, "size", SCN_UNIT_SIZE,
                        "expected a number of bytes or e.g. \"1500B\", \"64KiB\", \"100MB\"");
        return;
    }
}

bool ld_size_node(struct ld *l, const cJSON *n, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (cJSON_IsNumber(n)) {
        if (!ld_uint_node(l, n, 0, UINT64_MAX, &v))
            return false;
    } else if (cJSON_IsString(n)) {
        enum scn_unit_status st = scn_parse_size_status(n->valuestring, &v);
        if (st != SCN_UNIT_OK) {
            size_error(l, n, st);
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
