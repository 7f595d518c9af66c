/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-devices.c — devlist_for_policy(): the basic set, and a policy's
 * devices expanded under a fake /dev made of real device nodes (mknod:
 * root only), with glob patterns, a directory, a link out of it, a missing
 * path and a regular file. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "macro.h"
#include "policy.h"
#include "strv.h"
#include "unit-skip.h"

static const DevNode *find(const DevList *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].path && streq(l->v[i].path, path))
                        return &l->v[i];
        return NULL;
}

START_TEST(test_basic) {
        DevList l = {};
        ck_assert_int_eq(devlist_for_policy(NULL, "/dev", &l), 0);
        const DevNode *n = find(&l, "/dev/null");
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(n->type, 'c');
        ck_assert_uint_eq(n->major, 1);
        ck_assert_uint_eq(n->minor, 3);
        ck_assert(!n->basic); /* bound from the host */
        ck_assert_ptr_nonnull(find(&l, "/dev/urandom"));
        ck_assert_ptr_nonnull(find(&l, "/dev/tty"));
        n = find(&l, "/dev/ptmx");
        ck_assert(n && n->basic && n->major == 5 && n->minor == 2);
        n = find(&l, "/dev/pts");
        ck_assert(n && n->basic && n->major == 136 && n->minor == DEV_ANY_MINOR);
        ck_assert_str_eq(n->systemd, "char-pts");
        /* 6 nodes, ptmx, the 8 pty slave majors */
        ck_assert_uint_eq(l.n, 15);
        devlist_done(&l);
}
END_TEST

START_TEST(test_policy_devices) {
        if (unit_skip_unless_root(__func__))
                return;
        char root[] = "/tmp/corraltest-dev.XXXXXX", p[256];
        ck_assert_ptr_nonnull(mkdtemp(root));
#define MK(name, mode, maj, min)                                                                                       \
        do {                                                                                                           \
                snprintf(p, sizeof p, "%s/%s", root, name);                                                            \
                ck_assert_int_eq(mknod(p, mode | 0666, makedev(maj, min)), 0);                                         \
        } while (0)
        MK("gpu0", S_IFCHR, 195, 0);
        MK("gpu1", S_IFCHR, 195, 1);
        MK("gpuctl", S_IFCHR, 195, 255);
        MK("sdz", S_IFBLK, 8, 240);
        snprintf(p, sizeof p, "%s/ib", root);
        ck_assert_int_eq(mkdir(p, 0755), 0);
        MK("ib/uverbs0", S_IFCHR, 231, 192);
        snprintf(p, sizeof p, "%s/ib/link-out", root);
        ck_assert_int_eq(symlink("/etc/passwd", p), 0);
        snprintf(p, sizeof p, "%s/plain", root);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        close(fd);
        snprintf(p, sizeof p, "%s/gpu-alias", root);
        ck_assert_int_eq(symlink("gpu1", p), 0);
        snprintf(p, sizeof p, "%s/outside", root);
        ck_assert_int_eq(symlink("/dev/null", p), 0);

        Policy *pol = NULL;
        ck_assert_int_eq(policy_new_defaults(&pol), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/gpu[0-9]"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/ib"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/sdz"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/missing"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/plain"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/gpu-alias"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/outside"), 0);
        ck_assert_int_eq(strv_extend(&pol->devices, "/dev/gpu0"), 0); /* twice */

        DevList l = {};
        ck_assert_int_eq(devlist_for_policy(pol, root, &l), 0);
        ck_assert_uint_eq(l.n, 15 + 5);
        const DevNode *n = find(&l, "/dev/gpu0");
        ck_assert(n && n->type == 'c' && n->major == 195 && n->minor == 0 && !n->basic);
        ck_assert_ptr_nonnull(find(&l, "/dev/gpu1"));
        ck_assert_ptr_null(find(&l, "/dev/gpuctl")); /* not matched by the pattern */
        n = find(&l, "/dev/sdz");
        ck_assert(n && n->type == 'b' && n->major == 8 && n->minor == 240);
        n = find(&l, "/dev/ib/uverbs0");
        ck_assert(n && n->major == 231 && n->minor == 192);
        ck_assert_ptr_null(find(&l, "/dev/ib/link-out"));
        ck_assert_ptr_null(find(&l, "/dev/plain"));
        ck_assert_ptr_null(find(&l, "/dev/outside")); /* a link out of the root */
        n = find(&l, "/dev/gpu-alias"); /* a link to a node inside: the node's numbers */
        ck_assert(n && n->major == 195 && n->minor == 1);
        devlist_done(&l);
        policy_free(pol);

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *devices_suite(void) {
        Suite *s = suite_create("devices");
        TCase *tc = tcase_create("devices");
        tcase_add_test(tc, test_basic);
        tcase_add_test(tc, test_policy_devices);
        suite_add_tcase(s, tc);
        return s;
}
