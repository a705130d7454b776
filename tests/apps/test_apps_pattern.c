/* The byte pattern every app sends and verifies. */
#include <criterion/criterion.h>

#include "apps/apps.h"

Test(pattern, fill_then_check_finds_no_difference)
{
    uint8_t buf[1000];
    app_pattern_fill(buf, 12345, sizeof(buf));
    cr_assert_eq(app_pattern_check(buf, 12345, sizeof(buf)), sizeof(buf));
}

Test(pattern, check_reports_first_differing_byte)
{
    uint8_t buf[600];
    app_pattern_fill(buf, 0, sizeof(buf));
    buf[417] ^= 1;
    buf[500] ^= 1;
    cr_assert_eq(app_pattern_check(buf, 0, sizeof(buf)), 417);
}

Test(pattern, data_at_another_offset_does_not_match)
{
    uint8_t buf[64];
    app_pattern_fill(buf, 1000, sizeof(buf));
    cr_assert_lt(app_pattern_check(buf, 1001, sizeof(buf)), sizeof(buf));
    cr_assert_lt(app_pattern_check(buf, 1000 + 256, sizeof(buf)), sizeof(buf));
}

Test(pattern, fill_continues_across_calls)
{
    uint8_t whole[300], parts[300];
    app_pattern_fill(whole, 7, sizeof(whole));
    app_pattern_fill(parts, 7, 100);
    app_pattern_fill(parts + 100, 107, 200);
    cr_assert_arr_eq(whole, parts, sizeof(whole));
}
