/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup-devices.c — the device cgroup of a job (cgroup.h): the devices of
 * its list (devices.h) with read, write and mknod, every other device
 * denied, in the three forms the backends need:
 *
 *   - cgroup v1: devices.deny "a", then one devices.allow line per node
 *     (cgroup_device_v1_line(), written by cgroup-fs.c);
 *   - cgroup v2, which has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE
 *     program made here from raw instructions (no libbpf), loaded and
 *     attached to the job cgroup; the kernel runs it at every open and mknod
 *     of a device node and denies when it returns 0;
 *   - systemd: DevicePolicy=strict and DeviceAllow= names
 *     (systemd_device_allow(), sent by cgroup-systemd.c).
 *
 * The program (struct bpf_cgroup_dev_ctx: access_type = access << 16 |
 * type, major, minor, each 32 bits):
 *
 *      r2 = ctx->access_type & 0xffff      the device type
 *      r4 = ctx->major
 *      r5 = ctx->minor
 *      for each node:
 *          if r2 != type  goto next
 *          if r4 != major goto next
 *          if r5 != minor goto next      (not for every minor of a major)
 *          return 1
 *      next:
 *      return 0
 *
 * Every access (read, write, mknod) to a listed device is allowed, so the
 * access bits are not looked at. Majors have 12 bits and minors 20, so the
 * 64-bit compare with a sign-extended 32-bit immediate is exact. */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "devices.h"
#include "strv.h"

int cgroup_device_v1_line(char type, uint32_t major, uint32_t minor, char ret[static CGROUP_DEVICE_LINE_MAX]) {
        if (type != 'c' && type != 'b')
                return -EINVAL;
        if (minor == DEV_ANY_MINOR)
                (void) snprintf(ret, CGROUP_DEVICE_LINE_MAX, "%c %" PRIu32 ":* rwm", type, major);
        else
                (void) snprintf(ret, CGROUP_DEVICE_LINE_MAX, "%c %" PRIu32 ":%" PRIu32 " rwm", type, major, minor);
        return 0;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define AND32_K(d, i) INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define MOV64_K(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_K(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Is node i the same device as an earlier one (or covered by an earlier
 * "every minor")? */
static bool seen_before(const DevList *l, size_t i) {
        const DevNode *n = &l->v[i];
        for (size_t k = 0; k < i; k++) {
                const DevNode *o = &l->v[k];
                if (o->type == n->type && o->major == n->major && (o->minor == DEV_ANY_MINOR || o->minor == n->minor))
                        return true;
        }
        return false;
}

int cgroup_device_bpf_program(const DevList *l, struct bpf_insn **ret, size_t *ret_n) {
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0, max = 6;

        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].type != 'c' && l->v[i].type != 'b')
                        return -EINVAL;
                if (!seen_before(l, i))
                        max += 5;
                if (max > CGROUP_DEVICE_BPF_MAX)
                        return -E2BIG;
        }
        p = calloc(max, sizeof *p);
        if (!p)
                return -ENOMEM;
        p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[n++] = AND32_K(BPF_REG_2, 0xffff);
        p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
        p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
        for (size_t i = 0; i < l->n; i++) {
                const DevNode *d = &l->v[i];
                bool any = d->minor == DEV_ANY_MINOR;
                int32_t type = d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
                /* the jumps skip what is left of this node's block */
                int16_t left = any ? 3 : 4;

                if (seen_before(l, i))
                        continue;
                p[n++] = JNE_K(BPF_REG_2, type, left--);
                p[n++] = JNE_K(BPF_REG_4, (int32_t) d->major, left--);
                if (!any)
                        p[n++] = JNE_K(BPF_REG_5, (int32_t) d->minor, left--);
                p[n++] = MOV64_K(BPF_REG_0, 1);
                p[n++] = EXIT_INSN();
        }
        p[n++] = MOV64_K(BPF_REG_0, 0);
        p[n++] = EXIT_INSN();
        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}

static int bpf(int cmd, union bpf_attr *attr) {
        return (int) syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int cgroup_device_bpf_attach(int cgroup_fd, const DevList *l) {
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_close_ int prog = -1;
        union bpf_attr attr;
        size_t n;
        int r;

        r = cgroup_device_bpf_program(l, &insns, &n);
        if (r < 0)
                return r;
        memset(&attr, 0, sizeof attr);
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) n;
        attr.license = (uint64_t) (uintptr_t) "GPL";
        prog = bpf(BPF_PROG_LOAD, &attr);
        if (prog < 0)
                return negative_errno();
        memset(&attr, 0, sizeof attr);
        attr.target_fd = (uint32_t) cgroup_fd;
        attr.attach_bpf_fd = (uint32_t) prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (bpf(BPF_PROG_ATTACH, &attr) < 0)
                return negative_errno();
        /* attached: the cgroup holds the program now */
        return 0;
}

int systemd_device_allow(const DevList *l, char ***ret) {
        _cleanup_strv_free_ char **v = NULL;
        int r;

        for (size_t i = 0; i < l->n; i++) {
                const char *name = l->v[i].systemd ? l->v[i].systemd : l->v[i].path;
                if (!name || strv_contains(v, name))
                        continue;
                r = strv_extend(&v, name);
                if (r < 0)
                        return r;
        }
        if (!v) {
                /* an empty list is still a list: nothing allowed */
                v = calloc(1, sizeof *v);
                if (!v)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}
