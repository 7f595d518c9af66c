/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-pathcheck.c — lib/pathcheck.c: which directory keeps a user out. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathcheck.h"

static char top[64];

static void setup(void) {
        snprintf(top, sizeof top, "/tmp/corral-pathcheck.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(top));
        ck_assert_int_eq(chmod(top, 0755), 0);
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        ck_assert_int_eq(system(cmd), 0);
}

static void mkdir_mode(const char *sub, mode_t mode) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", top, sub);
        ck_assert_int_eq(mkdir(p, mode), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
}

START_TEST(test_home_0700) {
        char path[256], want[256];
        PathBlock b;
        mkdir_mode("home", 0700);
        mkdir_mode("home/src", 0755);
        /* a path that does not exist yet below the closed directory */
        snprintf(path, sizeof path, "%s/home/src/var/state", top);
        snprintf(want, sizeof want, "%s/home", top);
        ck_assert_int_eq(path_reachable(path, 65534, 65534, NULL, 0, &b), -EACCES);
        ck_assert_str_eq(b.dir, want);
        ck_assert_uint_eq(b.mode, 0700);
        /* root goes everywhere; the owner of the directory too */
        ck_assert_int_eq(path_reachable(path, 0, 0, NULL, 0, NULL), 0);
        if (geteuid() == 0) {
                ck_assert_int_eq(chown(want, 65534, 65534), 0);
                ck_assert_int_eq(path_reachable(path, 65534, 65534, NULL, 0, NULL), 0);
                ck_assert_int_eq(path_reachable(path, 61999, 61999, NULL, 0, &b), -EACCES);
                ck_assert_uint_eq(b.owner, 65534);
        }
        /* 0711: others may search it */
        ck_assert_int_eq(chmod(want, 0711), 0);
        ck_assert_int_eq(path_reachable(path, 61999, 61999, NULL, 0, NULL), 0);
}
END_TEST

START_TEST(test_group_bits) {
        char path[256];
        PathBlock b;
        if (geteuid() != 0) {
                fprintf(stderr, "# SKIP test_group_bits: needs root to chown\n");
                return;
        }
        mkdir_mode("g", 0710);
        ck_assert_int_eq(chown(strcat(strcpy(path, top), "/g"), 0, 61998), 0);
        snprintf(path, sizeof path, "%s/g/x", top);
        const gid_t groups[] = { 5, 61998 };
        ck_assert_int_eq(path_reachable(path, 61999, 61999, groups, 2, NULL), 0);
        ck_assert_int_eq(path_reachable(path, 61999, 61998, NULL, 0, NULL), 0);
        ck_assert_int_eq(path_reachable(path, 61999, 61999, groups, 1, &b), -EACCES);
        ck_assert_uint_eq(b.group, 61998);
}
END_TEST

START_TEST(test_symlink_and_file) {
        char path[256], link[256], want[256];
        PathBlock b;
        mkdir_mode("closed", 0700);
        mkdir_mode("closed/inner", 0755);
        snprintf(link, sizeof link, "%s/open-link", top);
        snprintf(path, sizeof path, "%s/closed/inner", top);
        ck_assert_int_eq(symlink(path, link), 0);
        /* the link itself is reachable, its target is not */
        snprintf(path, sizeof path, "%s/open-link/db", top);
        snprintf(want, sizeof want, "%s/closed", top);
        ck_assert_int_eq(path_reachable(path, 61999, 61999, NULL, 0, &b), -EACCES);
        ck_assert_str_eq(b.dir, want);
        /* a file at the end: only the directories above it count */
        snprintf(path, sizeof path, "%s/file", top);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
        ck_assert_int_eq(chmod(path, 0600), 0);
        ck_assert_int_eq(path_reachable(path, 61999, 61999, NULL, 0, NULL), 0);
        ck_assert_int_eq(path_reachable("relative/path", 0, 0, NULL, 0, NULL), -EINVAL);
        ck_assert_int_eq(path_reachable("/", 61999, 61999, NULL, 0, NULL), 0);
}
END_TEST

Suite *pathcheck_suite(void) {
        Suite *s = suite_create("pathcheck");
        TCase *tc = tcase_create("reachable");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_home_0700);
        tcase_add_test(tc, test_group_bits);
        tcase_add_test(tc, test_symlink_and_file);
        suite_add_tcase(s, tc);
        return s;
}
