/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-rmtree.c — rmtree_at() removes a tree of files, directories and
 * symlinks, never what a symlink points to; refuses names with a '/' and
 * stops at its depth limit. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "rmtree.h"

static char dir[256];

static void setup(void) {
        snprintf(dir, sizeof dir, "/tmp/corral-rmtree.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static void touch(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
}

static void p(char *buf, size_t len, const char *rel) {
        snprintf(buf, len, "%s/%s", dir, rel);
}

START_TEST(test_rmtree) {
        char b[512], t[512];
        p(b, sizeof b, "keep");
        ck_assert_int_eq(mkdir(b, 0700), 0);
        p(b, sizeof b, "keep/file");
        touch(b);
        p(b, sizeof b, "job");
        ck_assert_int_eq(mkdir(b, 0700), 0);
        p(b, sizeof b, "job/stdout");
        touch(b);
        p(b, sizeof b, "job/a");
        ck_assert_int_eq(mkdir(b, 0700), 0);
        p(b, sizeof b, "job/a/b");
        ck_assert_int_eq(mkdir(b, 0700), 0);
        p(b, sizeof b, "job/a/b/f");
        touch(b);
        /* symlinks to a directory and a file outside: removed as links */
        p(t, sizeof t, "keep");
        p(b, sizeof b, "job/dirlink");
        ck_assert_int_eq(symlink(t, b), 0);
        p(t, sizeof t, "keep/file");
        p(b, sizeof b, "job/a/filelink");
        ck_assert_int_eq(symlink(t, b), 0);

        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dfd, 0);
        ck_assert_int_eq(rmtree_at(dfd, "job/a", 8), -EINVAL);
        ck_assert_int_eq(rmtree_at(dfd, "..", 8), -EINVAL);
        /* too deep: job/a/b is 3 levels below the top */
        ck_assert_int_eq(rmtree_at(dfd, "job", 1), -ELOOP);
        ck_assert_int_eq(rmtree_at(dfd, "job", 8), 0);
        p(b, sizeof b, "job");
        ck_assert_int_eq(access(b, F_OK), -1);
        p(b, sizeof b, "keep/file");
        ck_assert_int_eq(access(b, F_OK), 0);
        /* missing: success; a symlink at the top: the link goes, not its target */
        ck_assert_int_eq(rmtree_at(dfd, "job", 8), 0);
        p(t, sizeof t, "keep");
        p(b, sizeof b, "top");
        ck_assert_int_eq(symlink(t, b), 0);
        ck_assert_int_eq(rmtree_at(dfd, "top", 8), 0);
        ck_assert_int_eq(access(b, F_OK), -1);
        p(b, sizeof b, "keep/file");
        ck_assert_int_eq(access(b, F_OK), 0);
        close(dfd);
}
END_TEST

Suite *rmtree_suite(void) {
        Suite *s = suite_create("rmtree");
        TCase *tc = tcase_create("rmtree");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_rmtree);
        suite_add_tcase(s, tc);
        return s;
}
