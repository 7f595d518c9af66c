/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-runcache.c — the caches in run_dir (lib/runcache.c): the file format,
 * and which files and directories are trusted. The ownership checks need
 * root (make check runs as root); they return early otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit-skip.h"

#include <dirent.h>

#include "macro.h"
#include "runcache.h"

static const char *key = "corral seccomp program\nmode 0 action 0 errno 1\ndeny 1\n@mount\n";

static const char data[] = "\x20\0\0\0\4\0\0\0 some bytes \0 with NULs";

START_TEST(test_encode_decode) {
        void *buf = NULL, *out = NULL;
        size_t size, out_size;
        char *b;

        ck_assert_int_eq(runcache_encode(key, data, sizeof data, &buf, &size), 0);
        b = buf;
        ck_assert_int_eq(runcache_decode(buf, size, key, &out, &out_size), 0);
        ck_assert_uint_eq(out_size, sizeof data);
        ck_assert_mem_eq(out, data, sizeof data);
        free(out);

        /* another key: never this data, even with the same length */
        ck_assert_int_eq(runcache_decode(buf, size, "corral seccomp program\nmode 0 action 0 errno 1\ndeny 1\n@debug\n",
                                         &out, &out_size),
                         -ESTALE);
        ck_assert_int_eq(runcache_decode(buf, size, "x", &out, &out_size), -ESTALE);
        /* truncated, grown */
        ck_assert_int_eq(runcache_decode(buf, size - 1, key, &out, &out_size), -EBADMSG);
        ck_assert_int_eq(runcache_decode(buf, size + 1, key, &out, &out_size), -EBADMSG);
        ck_assert_int_eq(runcache_decode(buf, 3, key, &out, &out_size), -EBADMSG);
        /* one byte of the data changed: the checksum */
        b[size - 1] ^= 0x01;
        ck_assert_int_eq(runcache_decode(buf, size, key, &out, &out_size), -EBADMSG);
        b[size - 1] ^= 0x01;
        /* the magic */
        b[0] ^= 0x20;
        ck_assert_int_eq(runcache_decode(buf, size, key, &out, &out_size), -EBADMSG);
        b[0] ^= 0x20;
        ck_assert_int_eq(runcache_decode(buf, size, key, &out, &out_size), 0);
        free(out);
        free(buf);

        /* nothing to encode */
        ck_assert_int_eq(runcache_encode(key, data, 0, &buf, &size), -EINVAL);
        ck_assert_int_eq(runcache_encode("", data, sizeof data, &buf, &size), -EINVAL);
}
END_TEST

START_TEST(test_file_name) {
        char a[RUNCACHE_NAME_MAX], b[RUNCACHE_NAME_MAX];

        runcache_file_name(key, a);
        runcache_file_name("another key", b);
        ck_assert_str_ne(a, b);
        ck_assert_uint_eq(strlen(a), 16);
}
END_TEST

static char run_dir[64];

static void make_run_dir(void) {
        strcpy(run_dir, "/tmp/corral-test-sc.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(run_dir));
        ck_assert_int_eq(chmod(run_dir, 0755), 0);
}

static void remove_run_dir(void) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", run_dir);
        ck_assert_int_eq(system(cmd), 0);
}

static int load(int dirfd) {
        void *out = NULL;
        size_t size = 0;
        int r = runcache_load(dirfd, key, &out, &size);
        if (r == 0)
                ck_assert_mem_eq(out, data, sizeof data);
        free(out);
        return r;
}

START_TEST(test_files) {
        char name[RUNCACHE_NAME_MAX], path[256], dir[128], other[300];
        struct stat st;
        int fd = -1;

        /* ownership checks need root */
        if (unit_skip_unless_root(__func__))
                return;
        make_run_dir();
        runcache_file_name(key, name);
        snprintf(dir, sizeof dir, "%s/seccomp", run_dir);
        snprintf(path, sizeof path, "%s/%s", dir, name);

        /* created 0700, empty: a miss, then a hit */
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), 0);
        ck_assert_int_eq(stat(dir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(load(fd), -ENOENT);
        ck_assert_int_eq(runcache_store(fd, key, data, sizeof data), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        ck_assert_uint_eq(st.st_uid, 0);
        ck_assert_int_eq(load(fd), 0);

        /* a file someone else owns, or may read or write, is not used */
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(load(fd), -EPERM);
        ck_assert_int_eq(chown(path, 0, 0), 0);
        ck_assert_int_eq(chmod(path, 0644), 0);
        ck_assert_int_eq(load(fd), -EPERM);
        ck_assert_int_eq(chmod(path, 0600), 0);
        ck_assert_int_eq(load(fd), 0);
        /* a second link to it */
        snprintf(other, sizeof other, "%s/link", run_dir);
        ck_assert_int_eq(link(path, other), 0);
        ck_assert_int_eq(load(fd), -EPERM);
        ck_assert_int_eq(unlink(other), 0);
        /* a symlink in its place */
        snprintf(other, sizeof other, "%s/elsewhere", run_dir);
        ck_assert_int_eq(rename(path, other), 0);
        ck_assert_int_eq(symlink(other, path), 0);
        ck_assert_int_eq(load(fd), -EPERM);
        /* storing replaces the symlink, and writes nothing through it */
        ck_assert_int_eq(runcache_store(fd, key, data, sizeof data), 0);
        ck_assert_int_eq(lstat(path, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
        ck_assert_int_eq(load(fd), 0);
        /* damaged */
        {
                int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
                ck_assert_int_ge(w, 0);
                ck_assert_int_eq(write(w, "x", 1), 1);
                close(w);
        }
        ck_assert_int_eq(load(fd), -EBADMSG);
        close(fd);

        /* the directories: another owner, or writable by others */
        ck_assert_int_eq(chown(dir, 65534, 65534), 0);
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), -EPERM);
        ck_assert_int_eq(chown(dir, 0, 0), 0);
        ck_assert_int_eq(chmod(dir, 0755), 0);
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), -EPERM);
        ck_assert_int_eq(chmod(dir, 0700), 0);
        ck_assert_int_eq(chmod(run_dir, 0777), 0);
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), -EPERM);
        ck_assert_int_eq(chmod(run_dir, 0755), 0);
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), 0);
        close(fd);
        ck_assert_int_eq(runcache_open("relative", "seccomp", &fd), -EINVAL);
        ck_assert_int_eq(runcache_open(run_dir, "../x", &fd), -EINVAL);
        remove_run_dir();
}
END_TEST

START_TEST(test_prune) {
        char k[64];
        int fd = -1, n = 0;
        DIR *d;

        if (unit_skip_unless_root(__func__))
                return;
        make_run_dir();
        ck_assert_int_eq(runcache_open(run_dir, "seccomp", &fd), 0);
        /* never more than RUNCACHE_MAX_FILES files */
        for (int i = 0; i < RUNCACHE_MAX_FILES + 5; i++) {
                snprintf(k, sizeof k, "key %d", i);
                ck_assert_int_eq(runcache_store(fd, k, data, sizeof data), 0);
        }
        d = opendir(run_dir);
        ck_assert_ptr_nonnull(d);
        closedir(d);
        {
                char dir[128];
                struct dirent *de;
                snprintf(dir, sizeof dir, "%s/seccomp", run_dir);
                d = opendir(dir);
                ck_assert_ptr_nonnull(d);
                while ((de = readdir(d)))
                        n += de->d_name[0] != '.';
                closedir(d);
        }
        ck_assert_int_le(n, RUNCACHE_MAX_FILES);
        ck_assert_int_ge(n, 1);
        close(fd);
        remove_run_dir();
}
END_TEST

Suite *runcache_suite(void) {
        Suite *s = suite_create("runcache");
        TCase *tc = tcase_create("cache");
        tcase_add_test(tc, test_encode_decode);
        tcase_add_test(tc, test_file_name);
        tcase_add_test(tc, test_files);
        tcase_add_test(tc, test_prune);
        suite_add_tcase(s, tc);
        return s;
}
