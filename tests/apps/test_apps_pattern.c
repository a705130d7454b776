/* The byte pattern every app sends and verifies. */
#include <criterion/criterion.h>

#include "apps/apps.h"
#include "stack/ip4.h"

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

/* Bulk filling must give exactly the byte-by-byte pattern, at any phase. */
Test(pattern, long_fill_matches_the_byte_formula_at_any_offset)
{
    static uint8_t buf[10007];
    const uint64_t offsets[] = {0, 1, 250, 251, 12345, (uint64_t)1 << 40};
    for (unsigned k = 0; k < sizeof offsets / sizeof *offsets; k++) {
        app_pattern_fill(buf, offsets[k], sizeof buf);
        for (uint32_t i = 0; i < sizeof buf; i++)
            cr_assert_eq(buf[i], app_pattern_byte(offsets[k] + i), "offset %llu byte %u",
                         (unsigned long long)offsets[k], i);
    }
}

/* A difference far past the first period is found at its exact place. */
Test(pattern, check_finds_a_difference_in_a_later_period)
{
    static uint8_t buf[9000];
    app_pattern_fill(buf, 77, sizeof buf);
    buf[7000] ^= 0x10;
    cr_expect_eq(app_pattern_check(buf, 77, sizeof buf), 7000);
}

/* A periodic buffer with the wrong phase fails at once, not only in the head. */
Test(pattern, check_rejects_the_right_pattern_at_the_wrong_phase)
{
    static uint8_t buf[5000];
    app_pattern_fill(buf, 3, sizeof buf);
    cr_expect_eq(app_pattern_check(buf, 4, sizeof buf), 0);
}

/* The constant-time sum is the RFC 1071 sum of the bytes themselves, at every
 * phase and parity, for short runs and for runs of many cycles. */
Test(pattern, sum_matches_the_checksum_of_the_bytes)
{
    static uint8_t buf[70000];
    const uint64_t offsets[] = {0,   1,   2,   249, 250,   251,
                                252, 501, 502, 503, 77777, (uint64_t)1 << 40};
    const uint32_t lens[] = {0, 1, 2, 3, 250, 251, 252, 501, 502, 503, 1460, 1461, 9000, 65535};
    for (unsigned a = 0; a < sizeof offsets / sizeof *offsets; a++)
        for (unsigned b = 0; b < sizeof lens / sizeof *lens; b++) {
            app_pattern_fill(buf, offsets[a], lens[b]);
            cr_assert_eq(inet_csum_fold(app_pattern_sum(offsets[a], lens[b])),
                         inet_csum_fold(inet_csum_add(0, buf, lens[b])), "offset %llu len %u",
                         (unsigned long long)offsets[a], lens[b]);
        }
}

/* Every entry of the prefix tables is used by some (offset, len) below. */
Test(pattern, sum_matches_the_bytes_at_every_offset_of_a_cycle)
{
    uint8_t buf[1461];
    for (uint64_t off = 0; off < 2 * 502; off++)
        for (uint32_t len = 1 + (uint32_t)(off % 7); len < sizeof buf; len += 359) {
            app_pattern_fill(buf, off, len);
            cr_assert_eq(inet_csum_fold(app_pattern_sum(off, len)),
                         inet_csum_fold(inet_csum_add(0, buf, len)), "offset %llu len %u",
                         (unsigned long long)off, len);
        }
}

/* Zero sums and nonzero ones fold apart (0 vs 0xffff), so the sum must be 0
 * exactly when every byte is. */
Test(pattern, sum_is_zero_only_for_zero_bytes)
{
    uint8_t buf[3];
    for (uint64_t off = 0; off < 600; off++)
        for (uint32_t len = 0; len <= 3; len++) {
            app_pattern_fill(buf, off, len);
            bool zeros = true;
            for (uint32_t k = 0; k < len; k++)
                zeros = zeros && buf[k] == 0;
            cr_assert_eq(app_pattern_sum(off, len) == 0, zeros, "offset %llu len %u",
                         (unsigned long long)off, len);
        }
}
