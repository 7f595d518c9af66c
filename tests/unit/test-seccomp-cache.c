/* test-seccomp-cache.c — the cache of generated seccomp programs
 * (supervisor/launch/seccomp-cache.c): the file format, and which files and
 * directories are trusted. The ownership checks need root (make check runs
 * as root); they return early otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../supervisor/launch/seccomp-cache.c"

static const char *key = "corral seccomp program\nmode 0 action 0 errno 1\ndeny 1\n@mount\n";

static SeccompProgram program(void) {
        static struct sock_filter insns[] = {
                { 0x20, 0, 0, 4 },
                { 0x15, 0, 1, 0xc000003e },
                { 0x06, 0, 0, 0x7fff0000 },
                { 0x06, 0, 0, 0x80000000 },
        };
        return (SeccompProgram){ .prog = { .len = ELEMENTSOF(insns), .filter = insns } };
}

START_TEST(test_encode_decode) {
        SeccompProgram p = program(), out = {};
        void *buf = NULL;
        char *b;
        size_t size;

        ck_assert_int_eq(seccomp_cache_encode(key, &p, &buf, &size), 0);
        b = buf;
        ck_assert_int_eq(seccomp_cache_decode(buf, size, key, &out), 0);
        ck_assert_uint_eq(out.prog.len, p.prog.len);
        ck_assert_mem_eq(out.prog.filter, p.prog.filter, p.prog.len * sizeof(struct sock_filter));
        free(out.prog.filter);

        /* another key: never this program, even with the same length */
        ck_assert_int_eq(seccomp_cache_decode(
                                 buf, size, "corral seccomp program\nmode 0 action 0 errno 1\ndeny 1\n@debug\n", &out),
                         -ESTALE);
        ck_assert_int_eq(seccomp_cache_decode(buf, size, "x", &out), -EBADMSG);
        /* truncated, grown */
        ck_assert_int_eq(seccomp_cache_decode(buf, size - 1, key, &out), -EBADMSG);
        ck_assert_int_eq(seccomp_cache_decode(buf, size + 1, key, &out), -EBADMSG);
        ck_assert_int_eq(seccomp_cache_decode(buf, 3, key, &out), -EBADMSG);
        /* one instruction changed: the checksum */
        b[size - 1] ^= 0x01;
        ck_assert_int_eq(seccomp_cache_decode(buf, size, key, &out), -EBADMSG);
        b[size - 1] ^= 0x01;
        /* the magic */
        b[0] ^= 0x20;
        ck_assert_int_eq(seccomp_cache_decode(buf, size, key, &out), -EBADMSG);
        b[0] ^= 0x20;
        ck_assert_int_eq(seccomp_cache_decode(buf, size, key, &out), 0);
        free(out.prog.filter);
        free(buf);

        /* nothing to encode */
        p.prog.len = 0;
        ck_assert_int_eq(seccomp_cache_encode(key, &p, &buf, &size), -EINVAL);
        p = program();
        ck_assert_int_eq(seccomp_cache_encode("", &p, &buf, &size), -EINVAL);
}
END_TEST

START_TEST(test_file_name) {
        char a[SECCOMP_CACHE_NAME_MAX], b[SECCOMP_CACHE_NAME_MAX];

        seccomp_cache_file_name(key, a);
        seccomp_cache_file_name("another key", b);
        ck_assert_str_ne(a, b);
        ck_assert_uint_eq(strlen(a), 16 + strlen(".bpf"));
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
        SeccompProgram out = {};
        int r = seccomp_cache_load(dirfd, key, &out);
        free(out.prog.filter);
        return r;
}

START_TEST(test_files) {
        SeccompProgram p = program();
        char name[SECCOMP_CACHE_NAME_MAX], path[256], dir[128], other[300];
        struct stat st;
        int fd = -1;

        if (geteuid() != 0)
                return; /* ownership checks need root; make check runs as root */
        make_run_dir();
        seccomp_cache_file_name(key, name);
        snprintf(dir, sizeof dir, "%s/seccomp", run_dir);
        snprintf(path, sizeof path, "%s/%s", dir, name);

        /* created 0700, empty: a miss, then a hit */
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), 0);
        ck_assert_int_eq(stat(dir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(load(fd), -ENOENT);
        ck_assert_int_eq(seccomp_cache_store(fd, key, &p), 0);
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
        ck_assert_int_eq(seccomp_cache_store(fd, key, &p), 0);
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
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), -EPERM);
        ck_assert_int_eq(chown(dir, 0, 0), 0);
        ck_assert_int_eq(chmod(dir, 0755), 0);
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), -EPERM);
        ck_assert_int_eq(chmod(dir, 0700), 0);
        ck_assert_int_eq(chmod(run_dir, 0777), 0);
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), -EPERM);
        ck_assert_int_eq(chmod(run_dir, 0755), 0);
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), 0);
        close(fd);
        ck_assert_int_eq(seccomp_cache_open("relative", &fd), -EINVAL);
        remove_run_dir();
}
END_TEST

START_TEST(test_prune) {
        SeccompProgram p = program();
        char k[64];
        int fd = -1, n = 0;
        DIR *d;

        if (geteuid() != 0)
                return;
        make_run_dir();
        ck_assert_int_eq(seccomp_cache_open(run_dir, &fd), 0);
        /* never more than CACHE_MAX_FILES files */
        for (int i = 0; i < CACHE_MAX_FILES + 5; i++) {
                snprintf(k, sizeof k, "key %d", i);
                ck_assert_int_eq(seccomp_cache_store(fd, k, &p), 0);
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
        ck_assert_int_le(n, CACHE_MAX_FILES);
        ck_assert_int_ge(n, 1);
        close(fd);
        remove_run_dir();
}
END_TEST

Suite *seccomp_cache_suite(void) {
        Suite *s = suite_create("seccomp-cache");
        TCase *tc = tcase_create("cache");
        tcase_add_test(tc, test_encode_decode);
        tcase_add_test(tc, test_file_name);
        tcase_add_test(tc, test_files);
        tcase_add_test(tc, test_prune);
        suite_add_tcase(s, tc);
        return s;
}
