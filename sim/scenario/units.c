/* Units of scenario files and options (SPEC §1): times, rates and sizes are
 * decimal numbers followed at once by a unit.  Fractions are exact: the
 * number is read as integer and fraction digits and scaled in 128-bit
 * integers, and a value that is not a whole number of the base unit
 * (nanoseconds, bits per second, bytes) is rejected, as is anything that
 * overflows. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scn_internal.h"

__extension__ typedef unsigned __int128 u128;

struct unit {
    const char *name;
    uint64_t mult;
};

/* Parses "<digits>[.<digits>]<unit>" exactly; the value must be a whole
 * multiple of the base unit and at most `max`.  The status tells a caller
 * reporting the error what exactly is wrong. */
static enum scn_unit_status parse_with_unit(const char *s, const struct unit *units, uint64_t max,
                                            uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return SCN_UNIT_SYNTAX;
    u128 ip = 0, fp = 0, scale = 1;
    bool too_large = false;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (!too_large)
            ip = ip * 10 + (u128)(*p - '0');
        too_large |= ip > (u128)UINT64_MAX; /* keep reading: the unit may be wrong too */
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return SCN_UNIT_SYNTAX;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (scale >= (u128)10000000000000000000u) /* 19 fraction digits at most */
                return SCN_UNIT_SYNTAX;
            fp = fp * 10 + (u128)(*p - '0');
            scale *= 10;
        }
    }
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(p, u->name) != 0)
            continue;
        if (too_large)
            return SCN_UNIT_TOO_LARGE;
        u128 whole = ip * u->mult;
        u128 frac = fp * u->mult;
        if (frac % scale != 0)
            return SCN_UNIT_NOT_WHOLE;
        u128 v = whole + frac / scale;
        if (v > (u128)max)
            return SCN_UNIT_TOO_LARGE;
        *out = (uint64_t)v;
        return SCN_UNIT_OK;
    }
    return *p ? SCN_UNIT_SYNTAX : SCN_UNIT_NO_UNIT;
}

/* The unit that `written` was probably meant to be: the same letters in
 * another case ("MS" for "ms", "Kib" for "KiB"), or NULL. */
static const char *unit_in_other_case(const char *written, const struct unit *units)
{
    if (!*written)
        return NULL;
    for (const struct unit *u = units; u->name; u++)
        if (strcasecmp(written, u->name) == 0)
            return u->name;
    return NULL;
}

/* The unit part of "<number><unit>" (after the digits and fraction). */
static const char *unit_part(const char *s)
{
    while ((*s >= '0' && *s <= '9') || *s == '.')
        s++;
    return s;
}

static const struct unit time_units[] = {
    {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000}, /* µs */
    {"ms", 1000000}, {"s", 1000000000}, {"min", 60ull * 1000000000}, {"h", 3600ull * 1000000000},
    {NULL, 0},
};

enum scn_unit_status scn_parse_time_status(const char *s, sim_time *out)
{
    uint64_t v;
    enum scn_unit_status st = parse_with_unit(s, time_units, (uint64_t)INT64_MAX - 1, &v);
    if (st == SCN_UNIT_OK)
        *out = (sim_time)v;
    return st;
}

bool scn_parse_time(const char *s, sim_time *out)
{
    return scn_parse_time_status(s, out) == SCN_UNIT_OK;
}

static const struct unit rate_units[] = {
    {"bps", 1},        {"kbps", 1000},       {"Kbps", 1000},
    {"Mbps", 1000000}, {"Gbps", 1000000000}, {"Tbps", 1000000000000ull},
    {NULL, 0},
};

enum scn_unit_status scn_parse_rate_status(const char *s, uint64_t *out_bps)
{
    return parse_with_unit(s, rate_units, UINT64_MAX, out_bps);
}

bool scn_parse_rate(const char *s, uint64_t *out_bps)
{
    return scn_parse_rate_status(s, out_bps) == SCN_UNIT_OK;
}

static const struct unit size_units[] = {
    {"B", 1},
    {"KB", 1000},
    {"kB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"TB", 1000000000000ull},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
    {NULL, 0},
};

enum scn_unit_status scn_parse_size_status(const char *s, uint64_t *out_bytes)
{
    return parse_with_unit(s, size_units, UINT64_MAX, out_bytes);
}

bool scn_parse_size(const char *s, uint64_t *out_bytes)
{
    return scn_parse_size_status(s, out_bytes) == SCN_UNIT_OK;
}

const char *scn_unit_fix(const char *s, enum scn_unit_kind kind)
{
    const struct unit *units = kind == SCN_UNIT_TIME   ? time_units
                               : kind == SCN_UNIT_RATE ? rate_units
                                                       : size_units;
    return unit_in_other_case(unit_part(s), units);
}

/* Integer part and fraction of t/unit, without trailing zeros. */
static void format_scaled(uint64_t t, uint64_t unit, const char *name, char buf[32], bool neg)
{
    uint64_t ip = t / unit, fp = t % unit;
    if (fp == 0) {
        snprintf(buf, 32, "%s%llu%s", neg ? "-" : "", (unsigned long long)ip, name);
        return;
    }
    int digits = 0;
    for (uint64_t u = unit; u > 1; u /= 10)
        digits++;
    while (fp % 10 == 0) {
        fp /= 10;
        digits--;
    }
    snprintf(buf, 32, "%s%llu.%0*llu%s", neg ? "-" : "", (unsigned long long)ip, digits,
             (unsigned long long)fp, name);
}

const char *scn_format_time(sim_time t, char buf[32])
{
    bool neg = t < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    if (u == 0)
        snprintf(buf, 32, "0s");
    else if (u >= (uint64_t)SIM_MIN && u % (uint64_t)SIM_MIN == 0)
        format_scaled(u, (uint64_t)SIM_MIN, "min", buf, neg);
    else if (u >= (uint64_t)SIM_SEC)
        format_scaled(u, (uint64_t)SIM_SEC, "s", buf, neg);
    else if (u >= (uint64_t)SIM_MS)
        format_scaled(u, (uint64_t)SIM_MS, "ms", buf, neg);
    else if (u >= (uint64_t)SIM_US)
        format_scaled(u, (uint64_t)SIM_US, "us", buf, neg);
    else
        format_scaled(u, 1, "ns", buf, neg);
    return buf;
}
