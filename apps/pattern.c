/* The byte pattern every app sends and the helpers the apps share. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"
#include "pattern_sums.h"

/* The pattern repeats every APP_PATTERN_PERIOD bytes, so a constant table of
 * its first PATTERN_TABLE bytes holds every run of up to PATTERN_RUN bytes
 * (at table + phase): filling and checking payload, which is on every bulk
 * transfer's path, is a copy or a comparison per run. */
#define P1(i)         (uint8_t)(((i) % APP_PATTERN_PERIOD) ^ 0x5a)
#define P4(i)         P1(i), P1((i) + 1), P1((i) + 2), P1((i) + 3)
#define P16(i)        P4(i), P4((i) + 4), P4((i) + 8), P4((i) + 12)
#define P64(i)        P16(i), P16((i) + 16), P16((i) + 32), P16((i) + 48)
#define P256(i)       P64(i), P64((i) + 64), P64((i) + 128), P64((i) + 192)
#define P1024(i)      P256(i), P256((i) + 256), P256((i) + 512), P256((i) + 768)
#define PATTERN_TABLE 2048u
#define PATTERN_RUN   (PATTERN_TABLE - APP_PATTERN_PERIOD)

static const uint8_t pattern_table[PATTERN_TABLE] = {P1024(0), P1024(1024)};

void app_pattern_fill(uint8_t *buf, uint64_t offset, uint32_t len)
{
    uint32_t phase = (uint32_t)(offset % APP_PATTERN_PERIOD);
    while (len) {
        uint32_t n = len < PATTERN_RUN ? len : PATTERN_RUN;
        memcpy(buf, pattern_table + phase, n);
        buf += n;
        len -= n;
        phase = (phase + n) % APP_PATTERN_PERIOD;
    }
}

/* Index of the first byte of buf that differs from the pattern at `phase`. */
static uint32_t first_difference(const uint8_t *buf, uint32_t phase, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != pattern_table[(phase + i) % APP_PATTERN_PERIOD])
            return i;
    return len;
}

uint32_t app_pattern_check(const uint8_t *buf, uint64_t offset, uint32_t len)
{
    uint32_t phase = (uint32_t)(offset % APP_PATTERN_PERIOD);
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < PATTERN_RUN ? len - done : PATTERN_RUN;
        if (memcmp(buf + done, pattern_table + phase, n) != 0)
            return done + first_difference(buf + done, phase, n);
        done += n;
        phase = (phase + n) % APP_PATTERN_PERIOD;
    }
    return len;
}

/* Sum of the pattern bytes at indexes [0, k) of one parity (table: the
 * prefix sums over a cycle of 502, after which byte and parity repeat). */
static uint64_t pattern_prefix(const uint32_t *table, uint64_t k)
{
    return k / PATTERN_CYCLE * table[PATTERN_CYCLE] + table[k % PATTERN_CYCLE];
}

uint32_t app_pattern_sum(uint64_t offset, uint32_t len)
{
    /* The run's bytes are the pattern's at indexes [phase, phase + len); the
     * ones at the run's even positions (same parity as phase) are the high
     * bytes of their 16-bit words (RFC 1071). */
    uint64_t phase = offset % APP_PATTERN_PERIOD, end = phase + len;
    uint64_t even = pattern_prefix(pattern_even, end) - pattern_prefix(pattern_even, phase);
    uint64_t odd = pattern_prefix(pattern_odd, end) - pattern_prefix(pattern_odd, phase);
    uint64_t sum = phase % 2 == 0 ? (even << 8) + odd : (odd << 8) + even;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

uint32_t app_pattern_payload(void *ctx, uint64_t offset, uint8_t *dst, uint32_t n)
{
    (void)ctx;
    app_pattern_fill(dst, offset, n);
    return app_pattern_sum(offset, n);
}

/* ---- common helpers ---- */

void app_trace(const struct app *a, const char *conn, const struct trace_event *fields)
{
    struct trace_bus *b = a->host->bus;
    if (!trace_on(b, TRACE_APP))
        return;
    struct trace_event e = *fields;
    e.t = app_now(a);
    e.kind = TRACE_APP;
    e.host = a->host->name;
    e.app = a->id;
    e.conn = conn;
    trace_emit(b, &e);
}

void app_fmt_ip(char *buf, size_t n, uint32_t ip)
{
    snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* A count of `unit` as "<whole>.<3 decimals>", truncated like integer division. */
static void fmt_fixed3(char *buf, size_t n, sim_time ns, sim_time unit)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t v = (uint64_t)(ns < 0 ? -ns : ns) / (uint64_t)(unit / 1000);
    snprintf(buf, n, "%s%" PRIu64 ".%03" PRIu64, sign, v / 1000, v % 1000);
}

void app_fmt_ms(char *buf, size_t n, sim_time ns)
{
    fmt_fixed3(buf, n, ns, SIM_MS);
}

void app_fmt_s(char *buf, size_t n, sim_time ns)
{
    fmt_fixed3(buf, n, ns, SIM_SEC);
}

static const char *unreach_name(uint8_t code)
{
    static const char *const names[] = {"Net", "Host", "Protocol", "Port"};
    return code < 4 ? names[code] : NULL;
}

void app_fmt_icmp_error(char *buf, size_t n, const struct icmp_error *e)
{
    if (e->type == ICMP_TIME_EXCEEDED)
        snprintf(buf, n, "Time to live exceeded");
    else if (e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED)
        snprintf(buf, n, "Frag needed and DF set (mtu = %u)", e->mtu);
    else if (e->type == ICMP_DEST_UNREACH && unreach_name(e->code))
        snprintf(buf, n, "Destination %s Unreachable", unreach_name(e->code));
    else
        snprintf(buf, n, "ICMP type %u code %u", e->type, e->code);
}

char *app_strdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

bool app_base_init(struct app *a, const struct app_ops *ops, const char *id, struct host *h)
{
    a->ops = ops;
    a->host = h;
    a->id = app_strdup(id);
    return a->id != NULL;
}
