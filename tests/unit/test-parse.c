/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-parse.c — the checked parsers of lib/parse.c and lib/strv.c. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "strv.h"

START_TEST(test_uint64) {
        uint64_t v = 77;
        ck_assert_int_eq(parse_uint64("0", 0, 10, &v), 0);
        ck_assert_uint_eq(v, 0);
        ck_assert_int_eq(parse_uint64("18446744073709551615", 0, UINT64_MAX, &v), 0);
        ck_assert_uint_eq(v, UINT64_MAX);
        v = 77;
        ck_assert_int_eq(parse_uint64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
        ck_assert_int_eq(parse_uint64("-1", 0, UINT64_MAX, &v), -EINVAL); /* strtoull would wrap */
        ck_assert_int_eq(parse_uint64(" 1", 0, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64("1 ", 0, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64("+1", 0, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64("0x10", 0, 100, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64("", 0, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64(NULL, 0, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_uint64("11", 0, 10, &v), -ERANGE);
        ck_assert_int_eq(parse_uint64("4", 5, 10, &v), -ERANGE);
        ck_assert_uint_eq(v, 77); /* untouched on failure */
}
END_TEST

START_TEST(test_int) {
        int64_t v;
        int i;
        ck_assert_int_eq(parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
        ck_assert(v == INT64_MIN);
        ck_assert_int_eq(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v), -ERANGE);
        ck_assert_int_eq(parse_int64("-5", -10, 10, &v), 0);
        ck_assert_int_eq(v, -5);
        ck_assert_int_eq(parse_int64("--5", -10, 10, &v), -EINVAL);
        ck_assert_int_eq(parse_int("-11", -10, 10, &i), -ERANGE);
        ck_assert_int_eq(parse_int("7", -10, 10, &i), 0);
        ck_assert_int_eq(i, 7);
}
END_TEST

START_TEST(test_uid_pid) {
        uid_t u = 5;
        pid_t p = 5;
        ck_assert_int_eq(parse_uid("4294967295", &u), -ERANGE); /* (uid_t)-1 */
        ck_assert_int_eq(parse_uid("4294967294", &u), 0);
        ck_assert_uint_eq(u, 4294967294u);
        ck_assert_int_eq(parse_uid("0", &u), 0);
        ck_assert_int_eq(parse_pid("0", &p), -ERANGE);
        ck_assert_int_eq(parse_pid("2147483648", &p), -ERANGE);
        ck_assert_int_eq(parse_pid("1234", &p), 0);
        ck_assert_int_eq(p, 1234);
}
END_TEST

START_TEST(test_size) {
        uint64_t v = 1;
        ck_assert_int_eq(parse_size("512", &v), 0);
        ck_assert_uint_eq(v, 512);
        ck_assert_int_eq(parse_size("64K", &v), 0);
        ck_assert_uint_eq(v, 65536);
        ck_assert_int_eq(parse_size("4G", &v), 0);
        ck_assert_uint_eq(v, UINT64_C(4) << 30);
        ck_assert_int_eq(parse_size("1T", &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1) << 40);
        ck_assert_int_eq(parse_size("2m", &v), 0);
        ck_assert_uint_eq(v, UINT64_C(2) << 20);
        ck_assert_int_eq(parse_size("3MiB", &v), 0);
        ck_assert_uint_eq(v, UINT64_C(3) << 20);
        ck_assert_int_eq(parse_size("5GB", &v), 0);
        ck_assert_uint_eq(v, UINT64_C(5) << 30);
        ck_assert_int_eq(parse_size("10B", &v), 0);
        ck_assert_uint_eq(v, 10);
        ck_assert_int_eq(parse_size("unlimited", &v), 0);
        ck_assert_uint_eq(v, SIZE_UNLIMITED);
        ck_assert_int_eq(parse_size("infinity", &v), 0);
        v = 9;
        ck_assert_int_eq(parse_size("16E", &v), -ERANGE);
        ck_assert_int_eq(parse_size("100000000000T", &v), -ERANGE);
        ck_assert_int_eq(parse_size("4X", &v), -EINVAL);
        ck_assert_int_eq(parse_size("4GG", &v), -EINVAL);
        ck_assert_int_eq(parse_size("G", &v), -EINVAL);
        ck_assert_int_eq(parse_size("-4G", &v), -EINVAL);
        ck_assert_int_eq(parse_size("1.5G", &v), -EINVAL);
        ck_assert_int_eq(parse_size("", &v), -EINVAL);
        ck_assert_uint_eq(v, 9);
}
END_TEST

START_TEST(test_duration) {
        uint64_t v = 1;
        ck_assert_int_eq(parse_duration("30s", &v), 0);
        ck_assert_uint_eq(v, 30 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("5m", &v), 0);
        ck_assert_uint_eq(v, 300 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("48h", &v), 0);
        ck_assert_uint_eq(v, 48 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("2d", &v), 0);
        ck_assert_uint_eq(v, 2 * 86400 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("1h30m", &v), 0);
        ck_assert_uint_eq(v, 5400 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("500ms", &v), 0);
        ck_assert_uint_eq(v, 500 * USEC_PER_MSEC);
        ck_assert_int_eq(parse_duration("90", &v), 0);
        ck_assert_uint_eq(v, 90 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("1w", &v), 0);
        ck_assert_uint_eq(v, 7 * 86400 * USEC_PER_SEC);
        ck_assert_int_eq(parse_duration("infinity", &v), 0);
        ck_assert_uint_eq(v, USEC_INFINITY);
        v = 3;
        ck_assert_int_eq(parse_duration("", &v), -EINVAL);
        ck_assert_int_eq(parse_duration("h", &v), -EINVAL);
        ck_assert_int_eq(parse_duration("5x", &v), -EINVAL);
        ck_assert_int_eq(parse_duration("1h30", &v), -EINVAL); /* bare number only alone */
        ck_assert_int_eq(parse_duration("-5s", &v), -EINVAL);
        ck_assert_int_eq(parse_duration("5 s", &v), -EINVAL);
        ck_assert_int_eq(parse_duration("99999999999999999999s", &v), -ERANGE);
        ck_assert_int_eq(parse_duration("999999999999999d", &v), -ERANGE);
        ck_assert_uint_eq(v, 3);
}
END_TEST

START_TEST(test_time) {
        /* 2026-11-22 09:13:01 UTC */
        const uint64_t now = UINT64_C(1795338781) * USEC_PER_SEC + 123;
        uint64_t v = 1;

        ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
        tzset();
        ck_assert_int_eq(parse_time("2h", now, &v), 0);
        ck_assert_uint_eq(v, now - 2 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("1d12h", now, &v), 0);
        ck_assert_uint_eq(v, now - 36 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("90", now, &v), 0);
        ck_assert_uint_eq(v, now - 90 * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("@1795338000", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795338000) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("2026-11-22", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795305600) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("2026-11-22 09:13", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795338780) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("2026-11-22T09:13:01", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795338781) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("2024-02-29 23:59:59", now, &v), 0); /* a leap day */
        ck_assert_uint_eq(v, UINT64_C(1709251199) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("08:00", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795334400) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("today", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795305600) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("yesterday", now, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1795219200) * USEC_PER_SEC);

        /* local time: the same wall clock in Tokyo (UTC+9, no DST) is 9 hours earlier */
        ck_assert_int_eq(setenv("TZ", "Asia/Tokyo", 1), 0);
        tzset();
        ck_assert_int_eq(parse_time("2026-11-22 09:13:01", now, &v), 0);
        ck_assert_uint_eq(v, (UINT64_C(1795338781) - 9 * 3600) * USEC_PER_SEC);
        ck_assert_int_eq(parse_time("today", now, &v), 0); /* 18:13 in Tokyo: its midnight */
        ck_assert_uint_eq(v, (UINT64_C(1795305600) - 9 * 3600) * USEC_PER_SEC);
        /* a wall-clock time that the spring DST change skips does not exist */
        ck_assert_int_eq(setenv("TZ", "America/New_York", 1), 0);
        tzset();
        v = 7;
        ck_assert_int_eq(parse_time("2026-03-08 02:30", now, &v), -EINVAL);
        ck_assert_uint_eq(v, 7);
        ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
        tzset();

        ck_assert_int_eq(parse_time("", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-02-30", now, &v), -EINVAL); /* no such day */
        ck_assert_int_eq(parse_time("2026-13-01", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-1-01", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-11-22 9:13", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-11-22 24:00", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-11-22 09:60", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-11-22 09:13:01Z", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2026-11-22x", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time(" 2h", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("-2h", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("2 hours", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("tomorrow", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("1:", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("@", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("@-1", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("infinity", now, &v), -EINVAL);
        ck_assert_int_eq(parse_time("100000w", now, &v), -ERANGE); /* before the epoch */
        ck_assert_int_eq(parse_time("1969-12-31", now, &v), -ERANGE);
        ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_boolean) {
        bool b = false;
        const char *yes[] = { "yes", "YES", "true", "on", "1", "y" };
        const char *no[] = { "no", "False", "off", "0", "n" };
        for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
                b = false;
                ck_assert_int_eq(parse_boolean(yes[i], &b), 0);
                ck_assert(b);
        }
        for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
                b = true;
                ck_assert_int_eq(parse_boolean(no[i], &b), 0);
                ck_assert(!b);
        }
        ck_assert_int_eq(parse_boolean("yess", &b), -EINVAL);
        ck_assert_int_eq(parse_boolean("", &b), -EINVAL);
        ck_assert_int_eq(parse_boolean("2", &b), -EINVAL);
}
END_TEST

START_TEST(test_cpus) {
        uint64_t m = 0;
        ck_assert_int_eq(parse_cpus("1", &m), 0);
        ck_assert_uint_eq(m, 1000);
        ck_assert_int_eq(parse_cpus("0.5", &m), 0);
        ck_assert_uint_eq(m, 500);
        ck_assert_int_eq(parse_cpus("2.25", &m), 0);
        ck_assert_uint_eq(m, 2250);
        ck_assert_int_eq(parse_cpus("0.001", &m), 0);
        ck_assert_uint_eq(m, 1);
        ck_assert_int_eq(parse_cpus("unlimited", &m), 0);
        ck_assert_uint_eq(m, UINT64_MAX);
        ck_assert_int_eq(parse_cpus("0", &m), -ERANGE);
        ck_assert_int_eq(parse_cpus("0.0001", &m), -EINVAL);
        ck_assert_int_eq(parse_cpus("1025", &m), -ERANGE);
        ck_assert_int_eq(parse_cpus("1.", &m), -EINVAL);
        ck_assert_int_eq(parse_cpus(".5", &m), -EINVAL);
        ck_assert_int_eq(parse_cpus("1,5", &m), -EINVAL);
}
END_TEST

START_TEST(test_list) {
        char **l = NULL;
        ck_assert_int_eq(parse_list("a, b,c  d", &l), 0);
        ck_assert_uint_eq(strv_length(l), 4);
        ck_assert_str_eq(l[0], "a");
        ck_assert_str_eq(l[3], "d");
        l = strv_free(l);
        ck_assert_int_eq(parse_list("", &l), 0);
        ck_assert_uint_eq(strv_length(l), 0);
        ck_assert_ptr_nonnull(l);
        l = strv_free(l);
        ck_assert_int_eq(parse_list("a, b,", &l), 0); /* trailing comma: continues on the next line */
        ck_assert_uint_eq(strv_length(l), 2);
        l = strv_free(l);
        ck_assert_int_eq(parse_list("a,,b", &l), -EINVAL);
        ck_assert_int_eq(parse_list(",a", &l), -EINVAL);
        ck_assert_int_eq(parse_list("a, ,b", &l), -EINVAL);
        ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_format_roundtrip) {
        char buf[FORMAT_BUF];
        uint64_t sizes[] = { 0, 1, 1023, 1024, 4ULL << 30, (1ULL << 40) + 1, SIZE_UNLIMITED };
        uint64_t durs[] = { 0, 1, 1500, USEC_PER_SEC, 90 * USEC_PER_SEC, 48 * 3600 * USEC_PER_SEC + 5, USEC_INFINITY };
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
                uint64_t v;
                ck_assert_int_eq(parse_size(format_size(buf, sizes[i]), &v), 0);
                ck_assert_uint_eq(v, sizes[i]);
        }
        for (size_t i = 0; i < sizeof durs / sizeof *durs; i++) {
                uint64_t v;
                ck_assert_int_eq(parse_duration(format_duration(buf, durs[i]), &v), 0);
                ck_assert_uint_eq(v, durs[i]);
        }
        ck_assert_str_eq(format_size(buf, 4ULL << 30), "4G");
        ck_assert_str_eq(format_duration(buf, 5400 * USEC_PER_SEC), "1h30m");
        ck_assert_str_eq(format_cpus(buf, 2250), "2.25");
        ck_assert_str_eq(format_cpus(buf, 500), "0.5");
        ck_assert_str_eq(format_cpus(buf, 3000), "3");
}
END_TEST

START_TEST(test_strv) {
        char **l = NULL;
        ck_assert_int_eq(strv_extend(&l, "x"), 0);
        ck_assert_int_eq(strv_extend(&l, "y"), 0);
        ck_assert(strv_contains(l, "y"));
        ck_assert(!strv_contains(l, "z"));
        ck_assert(!strv_contains(NULL, "z"));
        char *j = strv_join(l, ", ");
        ck_assert_str_eq(j, "x, y");
        free(j);
        char **c = strv_copy(l);
        ck_assert_uint_eq(strv_length(c), 2);
        strv_free(c);
        strv_free(l);
        ck_assert_ptr_null(strv_free(NULL));
}
END_TEST

Suite *parse_suite(void) {
        Suite *s = suite_create("parse");
        TCase *tc = tcase_create("parsers");
        tcase_add_test(tc, test_uint64);
        tcase_add_test(tc, test_int);
        tcase_add_test(tc, test_uid_pid);
        tcase_add_test(tc, test_size);
        tcase_add_test(tc, test_duration);
        tcase_add_test(tc, test_time);
        tcase_add_test(tc, test_boolean);
        tcase_add_test(tc, test_cpus);
        tcase_add_test(tc, test_list);
        tcase_add_test(tc, test_format_roundtrip);
        tcase_add_test(tc, test_strv);
        suite_add_tcase(s, tc);
        return s;
}
