/* Units of times, rates and sizes (SPEC §1). */
#include <criterion/criterion.h>

#include "sim/scenario/scenario.h"

static sim_time time_of(const char *s)
{
    sim_time t = -1;
    cr_assert(scn_parse_time(s, &t), "\"%s\" should parse", s);
    return t;
}

static void time_rejected(const char *s)
{
    sim_time t = 12345;
    cr_assert_not(scn_parse_time(s, &t), "\"%s\" should be rejected", s);
    cr_assert_eq(t, 12345, "a rejected time leaves the output alone");
}

Test(units, time_each_unit)
{
    cr_assert_eq(time_of("7ns"), 7);
    cr_assert_eq(time_of("250us"), 250 * SIM_US);
    cr_assert_eq(time_of("10ms"), 10 * SIM_MS);
    cr_assert_eq(time_of("3s"), 3 * SIM_SEC);
    cr_assert_eq(time_of("2min"), 2 * SIM_MIN);
    cr_assert_eq(time_of("1h"), 60 * SIM_MIN);
    cr_assert_eq(time_of("0s"), 0);
}

Test(units, time_fractions_are_exact)
{
    cr_assert_eq(time_of("1.5s"), 1500 * SIM_MS);
    cr_assert_eq(time_of("0.1s"), 100 * SIM_MS);
    cr_assert_eq(time_of("2.000000001s"), 2 * SIM_SEC + 1);
    cr_assert_eq(time_of("0.25ms"), 250 * SIM_US);
    cr_assert_eq(time_of("1.5min"), 90 * SIM_SEC);
}

Test(units, time_rejects_bare_numbers_and_spaces)
{
    time_rejected("10");
    time_rejected("10 ms");
    time_rejected(" 10ms");
    time_rejected("10ms ");
    time_rejected("");
}

Test(units, time_rejects_signs_and_malformed_numbers)
{
    time_rejected("-1s");
    time_rejected("+1s");
    time_rejected(".5s");
    time_rejected("1.s");
    time_rejected("1e3ms");
    time_rejected("10sec");
    time_rejected("10MS");
}

Test(units, time_rejects_fractions_of_a_nanosecond)
{
    time_rejected("1.5ns");
    time_rejected("0.0000000001s");
}

Test(units, time_rejects_overflow)
{
    time_rejected("9223372036854775808ns");
    time_rejected("99999999999999999999s");
    time_rejected("3000000h");
    cr_assert_eq(time_of("9223372036854775806ns"), INT64_MAX - 1);
}

Test(units, rates)
{
    uint64_t r;
    cr_assert(scn_parse_rate("10Mbps", &r));
    cr_assert_eq(r, 10000000);
    cr_assert(scn_parse_rate("1Gbps", &r));
    cr_assert_eq(r, 1000000000);
    cr_assert(scn_parse_rate("64kbps", &r));
    cr_assert_eq(r, 64000);
    cr_assert(scn_parse_rate("9600bps", &r));
    cr_assert_eq(r, 9600);
    cr_assert(scn_parse_rate("1.5Mbps", &r));
    cr_assert_eq(r, 1500000);
    cr_assert_not(scn_parse_rate("10", &r));
    cr_assert_not(scn_parse_rate("10MB", &r));
    cr_assert_not(scn_parse_rate("0.5bps", &r));
}

Test(units, sizes_decimal_and_binary)
{
    uint64_t b;
    cr_assert(scn_parse_size("1500B", &b));
    cr_assert_eq(b, 1500);
    cr_assert(scn_parse_size("64KiB", &b));
    cr_assert_eq(b, 65536);
    cr_assert(scn_parse_size("100MB", &b));
    cr_assert_eq(b, 100000000);
    cr_assert(scn_parse_size("1MiB", &b));
    cr_assert_eq(b, 1048576);
    cr_assert(scn_parse_size("2GB", &b));
    cr_assert_eq(b, 2000000000);
    cr_assert(scn_parse_size("1.5KiB", &b));
    cr_assert_eq(b, 1536);
    cr_assert_not(scn_parse_size("1500", &b));
    cr_assert_not(scn_parse_size("1.5B", &b));
    cr_assert_not(scn_parse_size("64 KiB", &b));
}

Test(units, format_time_round_trips)
{
    char buf[32];
    cr_assert_str_eq(scn_format_time(1500 * SIM_MS, buf), "1.5s");
    cr_assert_str_eq(scn_format_time(250 * SIM_US, buf), "250us");
    cr_assert_str_eq(scn_format_time(10 * SIM_MS, buf), "10ms");
    cr_assert_str_eq(scn_format_time(2 * SIM_MIN, buf), "2min");
    cr_assert_str_eq(scn_format_time(0, buf), "0s");
    cr_assert_str_eq(scn_format_time(7, buf), "7ns");
    cr_assert_str_eq(scn_format_time(-3 * SIM_SEC, buf), "-3s");
    const sim_time samples[] = {1, 999, 1001, 1500001, 61 * SIM_SEC, 2 * SIM_SEC + 1};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        sim_time t;
        cr_assert(scn_parse_time(scn_format_time(samples[i], buf), &t), "%s", buf);
        cr_assert_eq(t, samples[i], "%s", buf);
    }
}
