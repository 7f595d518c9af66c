/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp.c — step 6: the policy's seccomp filter, built by the parent
 * before clone (so that a bad filter fails before anything is created) and
 * loaded by the job's process as the last thing before execve().
 *
 *   denylist:  default allow; every denied syscall gets the policy's action
 *   allowlist: default is the policy's action; allowed minus denied pass
 *   actions:   errno (SCMP_ACT_ERRNO(errno)), kill (the whole process,
 *              SIGSYS), log (allowed, logged by the kernel's audit)
 *
 * @namespaces cannot be a plain list of syscalls: clone() also creates
 * namespaces. When namespaces are denied (or, in an allowlist, not allowed),
 * clone() with any CLONE_NEW* flag gets the action and clone3() fails with
 * ENOSYS, whose flags sit in memory that a filter cannot read: libc then
 * falls back to clone(), which the filter can check.
 *
 * The filter covers the native architecture and the 32-bit one the kernel
 * also runs (x86 on x86_64), so that a 32-bit binary or int 0x80 does not
 * get around it; any other architecture (and x32) kills the process. Names unknown on
 * an architecture are skipped. libseccomp's binary tree keeps the cost per
 * syscall low (docs/BENCHMARKS.md).
 *
 * The BPF program is generated once, by the parent (seccomp_export()); the
 * job's process only hands it to the kernel (seccomp_install()), which keeps
 * libseccomp's work off the path between fork and exec. The generated
 * program is cached (runcache.h, RUN_DIR/seccomp) under seccomp_filter_key():
 * a launch whose policy did not change since the last one skips libseccomp. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "launch.h"
#include "runcache.h"
#include "strv.h"
#include "syscall-groups.h"

/* a hash of this file, set by the Makefile: the cache key changes with the
 * builder */
#ifndef SECCOMP_BUILDER_ID
#define SECCOMP_BUILDER_ID "unhashed"
#endif

/* the kernel's limit on a classic BPF program (BPF_MAXINSNS) */
#define MAX_INSNS 4096

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const uint64_t clone_new_flags[] = { CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                            CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET };

static int add_name(const char *name, void *userdata) {
        char ***l = userdata;
        if (strv_contains(*l, name))
                return 0;
        return strv_extend(l, name);
}

static int expand_all(char *const *entries, char ***ret, char **ret_msg) {
        _cleanup_strv_free_ char **l = NULL;
        for (char *const *e = entries; e && *e; e++) {
                int r = syscall_expand(*e, add_name, &l);
                if (r < 0)
                        return asprintf(ret_msg, "cannot expand seccomp entry '%s': %s", *e, strerror(-r)) < 0 ? -ENOMEM
                                                                                                               : r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static uint32_t policy_action(const Policy *p) {
        switch (p->seccomp_action) {
        case SECCOMP_ACT_KILL:
                return SCMP_ACT_KILL_PROCESS;
        case SECCOMP_ACT_LOG:
                return SCMP_ACT_LOG;
        default:
                return SCMP_ACT_ERRNO((uint32_t) p->seccomp_errno);
        }
}

static int add_archs(scmp_filter_ctx ctx) {
        uint32_t native = seccomp_arch_native();
        uint32_t extra[2] = {};
        int r;

        /* x32 is left out: libseccomp's x86_64 filter sends every syscall
         * number with the x32 bit to the bad-arch action (kill) */
        if (native == SCMP_ARCH_X86_64)
                extra[0] = SCMP_ARCH_X86;
        else if (native == SCMP_ARCH_AARCH64)
                extra[0] = SCMP_ARCH_ARM;
        for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                if (!extra[i])
                        continue;
                r = seccomp_arch_add(ctx, extra[i]);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

/* clone() without CLONE_NEW* flags passes (allowlist) or only clone() with
 * one of them gets the action (denylist). */
static int add_clone_rules(scmp_filter_ctx ctx, uint32_t action, bool allowlist) {
        uint64_t mask = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(clone_new_flags); i++)
                mask |= clone_new_flags[i];
        if (allowlist)
                return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, 0));
        for (size_t i = 0; i < ELEMENTSOF(clone_new_flags); i++) {
                uint64_t f = clone_new_flags[i];
                r = seccomp_rule_add(ctx, action, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
                if (r < 0)
                        return r;
        }
        return 0;
}

int seccomp_build(const Policy *p, scmp_filter_ctx *ret, char **ret_msg) {
        _cleanup_strv_free_ char **deny = NULL, **allow = NULL;
        bool allowlist = p->seccomp_mode == SECCOMP_MODE_ALLOWLIST, filter_clone;
        bool no_vsock = p->ns_net == NS_ISOLATED;
        uint32_t action = policy_action(p);
        scmp_filter_ctx ctx;
        char *const *names;
        int r;

        if (p->seccomp_mode == SECCOMP_MODE_OFF) {
                *ret = NULL;
                return 0;
        }
        r = expand_all(p->seccomp_deny, &deny, ret_msg);
        if (r < 0)
                return r;
        r = expand_all(p->seccomp_allow, &allow, ret_msg);
        if (r < 0)
                return r;

        if (allowlist) {
                /* deny wins over allow */
                _cleanup_strv_free_ char **l = NULL;
                for (char **a = allow; a && *a; a++)
                        if (!strv_contains(deny, *a) && (r = strv_extend(&l, *a)) < 0)
                                return r;
                strv_free(allow);
                allow = TAKE_PTR(l);
                filter_clone = !strv_contains(allow, "unshare") || !strv_contains(allow, "setns");
                names = allow;
        } else {
                filter_clone = strv_contains(deny, "unshare") || strv_contains(deny, "setns");
                names = deny;
        }

        ctx = seccomp_init(allowlist ? action : SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0 || (r = add_archs(ctx)) < 0) {
                seccomp_release(ctx);
                return asprintf(ret_msg, "cannot set up the seccomp filter: %s", strerror(-r)) < 0 ? -ENOMEM : r;
        }

        for (char *const *n = names; n && *n; n++) {
                int nr = seccomp_syscall_resolve_name(*n);
                if (nr < 0) /* not a syscall of this architecture */
                        continue;
                if (filter_clone && (streq(*n, "clone") || streq(*n, "clone3")))
                        continue; /* below */
                if (no_vsock && allowlist && streq(*n, "socket"))
                        continue; /* below */
                r = seccomp_rule_add(ctx, allowlist ? SCMP_ACT_ALLOW : action, nr, 0);
                if (r < 0)
                        goto fail_rule;
        }
        /* an isolated network: AF_VSOCK reaches past the network namespace
         * (to the hypervisor and the services of other VMs) */
        if (no_vsock) {
                if (allowlist && strv_contains(names, "socket"))
                        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                             SCMP_A0(SCMP_CMP_NE, (scmp_datum_t) AF_VSOCK));
                else if (!allowlist && !strv_contains(names, "socket"))
                        r = seccomp_rule_add(ctx, action, SCMP_SYS(socket), 1,
                                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) AF_VSOCK));
                else
                        r = 0;
                if (r < 0)
                        goto fail_rule;
        }
        if (filter_clone) {
                bool listed = strv_contains(names, "clone");
                if (allowlist ? listed : !listed)
                        r = add_clone_rules(ctx, action, allowlist);
                else if (!allowlist)
                        r = seccomp_rule_add(ctx, action, SCMP_SYS(clone), 0);
                if (r < 0)
                        goto fail_rule;
                /* clone3: ENOSYS (libc falls back to clone), unless a
                 * denylist names it: then the action */
                if (!allowlist && strv_contains(names, "clone3"))
                        r = seccomp_rule_add(ctx, action, SCMP_SYS(clone3), 0);
                else
                        r = seccomp_rule_add(ctx, action == SCMP_ACT_LOG ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(ENOSYS),
                                             SCMP_SYS(clone3), 0);
                if (r < 0)
                        goto fail_rule;
        }
        *ret = ctx;
        return 0;

fail_rule:
        seccomp_release(ctx);
        return asprintf(ret_msg, "cannot add a seccomp rule: %s", strerror(-r)) < 0 ? -ENOMEM : r;
}

/* A hash of the syscall group table: a group changed in a new build gives
 * new keys even when the policy names the same groups. */
static uint64_t groups_hash(void) {
        uint64_t h = RUNCACHE_HASH_INIT;
        for (unsigned i = 0; i < syscall_groups_count; i++) {
                const SyscallGroup *g = &syscall_groups[i];
                h = runcache_hash(h, g->name, strlen(g->name) + 1);
                for (const char *const *s = g->syscalls; *s; s++)
                        h = runcache_hash(h, *s, strlen(*s) + 1);
                h = runcache_hash(h, "", 1);
        }
        return h;
}

static int key_append(char **buf, size_t *len, size_t *size, const char *fmt, ...) _printf_(4, 5);
static int key_append(char **buf, size_t *len, size_t *size, const char *fmt, ...) {
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *size - *len : 0, fmt, ap);
                va_end(ap);
                if (n < 0)
                        return -EINVAL;
                if (*buf && *len + (size_t) n < *size) {
                        *len += (size_t) n;
                        return 0;
                }
                size_t want = (*len + (size_t) n + 1) * 2;
                char *b = realloc(*buf, want);
                if (!b)
                        return -ENOMEM;
                *buf = b;
                *size = want;
        }
}

int seccomp_filter_key(const Policy *p, char **ret) {
        const struct scmp_version *v = seccomp_version();
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;
        int r;

        /* the builder: this file's source (its hash, from the Makefile) */
        r = key_append(&buf, &len, &size, "corral seccomp program\nbuilder %s %s\n", CORRAL_VERSION,
                       SECCOMP_BUILDER_ID);
        if (r < 0)
                return r;
        r = key_append(&buf, &len, &size, "libseccomp %u.%u.%u api %u\narch %#x\ngroups %016llx\n", v ? v->major : 0,
                       v ? v->minor : 0, v ? v->micro : 0, seccomp_api_get(), seccomp_arch_native(),
                       (unsigned long long) groups_hash());
        if (r < 0)
                return r;
        r = key_append(&buf, &len, &size, "mode %d action %d errno %d net %d\n", p->seccomp_mode, p->seccomp_action,
                       p->seccomp_errno, p->ns_net);
        if (r < 0)
                return r;
        /* the entries as the policy (inheritance resolved) lists them, one
         * per line and counted, so that no two lists give the same text */
        r = key_append(&buf, &len, &size, "deny %zu\n", strv_length(p->seccomp_deny));
        for (char **e = p->seccomp_deny; r >= 0 && e && *e; e++)
                r = key_append(&buf, &len, &size, "%s\n", *e);
        if (r >= 0)
                r = key_append(&buf, &len, &size, "allow %zu\n", strv_length(p->seccomp_allow));
        for (char **e = p->seccomp_allow; r >= 0 && e && *e; e++)
                r = key_append(&buf, &len, &size, "%s\n", *e);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* personality(): only the personas Docker's default profile allows, on
 * every architecture of the filter; the kernel reads the low 32 bits */
static const uint32_t personality_ok[] = {
        0x0, /* PER_LINUX */
        0x8, /* PER_LINUX32 */
        0x20000, /* UNAME26 */
        0x20008, /* PER_LINUX32 | UNAME26 */
        0xffffffff, /* the query */
};

/* The personality check, put in front of libseccomp's program: libseccomp
 * cannot say "not one of these values" of one argument (one comparison per
 * argument and rule, and no rule may repeat a denylist's default action).
 * For personality() with a value outside personality_ok the program returns
 * the policy's action; everything else goes on to libseccomp's program,
 * which also judges personality() itself (a policy may deny it whole). */
static int personality_prefix(uint32_t action, struct sock_filter *out, size_t max, size_t *ret_n) {
        uint32_t archs[2] = { seccomp_arch_native(), 0 }, nrs[2];
        size_t n = 0, n_archs = 1, ok = ELEMENTSOF(personality_ok);

        if (archs[0] == SCMP_ARCH_X86_64)
                archs[n_archs++] = SCMP_ARCH_X86;
        else if (archs[0] == SCMP_ARCH_AARCH64)
                archs[n_archs++] = SCMP_ARCH_ARM;
        for (size_t i = 0; i < n_archs; i++) {
                int nr = seccomp_syscall_resolve_name_arch(archs[i], "personality");
                if (nr < 0)
                        return -EINVAL;
                nrs[i] = (uint32_t) nr;
        }
        /* layout: ld arch; per arch: jeq arch -> ld nr; jeq nr -> CHECK,
         * else END; CHECK: ld arg0 (low word); jeq each ok value -> END;
         * ret action; END: libseccomp's program */
        size_t len = 1 + n_archs * 3 + 1 + ok + 1;
        if (len > max)
                return -ENOBUFS;
        size_t check = 1 + n_archs * 3, end = len;
        out[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        for (size_t i = 0; i < n_archs; i++) {
                size_t at = n;
                /* not this arch: on to the next arch test (or END after the last) */
                size_t next = i + 1 < n_archs ? at + 3 : end;
                out[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, archs[i], 0,
                                                         (uint8_t) (next - (at + 1)));
                out[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
                out[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[i],
                                                         (uint8_t) (check - (at + 3)), (uint8_t) (end - (at + 3)));
        }
        /* the low word of args[0] (little-endian; the kernel takes an unsigned int) */
        out[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, args[0]) +
                                                         (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0));
        for (size_t i = 0; i < ok; i++, n++)
                out[n] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, personality_ok[i],
                                                       (uint8_t) (end - (n + 1)), 0);
        out[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, action);
        *ret_n = n;
        return 0;
}

int seccomp_export(const Policy *p, scmp_filter_ctx ctx, SeccompProgram *ret) {
        _cleanup_close_ int fd = -1;
        struct sock_filter *buf;
        off_t size;
        int r;

        /* libseccomp 2.5 exports to an fd only */
        fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0 || size > (off_t) 65536 * 8)
                return -EINVAL;
        buf = malloc((size_t) size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t) size, 0) != size) {
                r = negative_errno();
                free(buf);
                return r;
        }
        /* the personality check in front (jumps are relative: libseccomp's
         * program is unchanged behind it) */
        struct sock_filter pre[32];
        size_t n_pre = 0, n_lib = (size_t) size / sizeof(struct sock_filter);
        r = personality_prefix(policy_action(p), pre, ELEMENTSOF(pre), &n_pre);
        if (r < 0) {
                free(buf);
                return r;
        }
        if (n_pre + n_lib > MAX_INSNS) {
                free(buf);
                return -E2BIG;
        }
        struct sock_filter *all = realloc(buf, (n_pre + n_lib) * sizeof(struct sock_filter));
        if (!all) {
                free(buf);
                return -ENOMEM;
        }
        memmove(all + n_pre, all, n_lib * sizeof(struct sock_filter));
        memcpy(all, pre, n_pre * sizeof(struct sock_filter));
        ret->prog.len = (unsigned short) (n_pre + n_lib);
        ret->prog.filter = all;
        return 0;
}

int seccomp_install(const SeccompProgram *p) {
        /* no_new_privs is already set (caps.c) */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->prog) < 0)
                return negative_errno();
        return 0;
}

int seccomp_cache_load(int dirfd, const char *key, SeccompProgram *ret) {
        void *data = NULL;
        size_t size = 0;
        int r;

        r = runcache_load(dirfd, key, &data, &size);
        if (r < 0)
                return r;
        if (size % sizeof(struct sock_filter) != 0 || size / sizeof(struct sock_filter) > MAX_INSNS) {
                free(data);
                return -EBADMSG;
        }
        ret->prog.len = (unsigned short) (size / sizeof(struct sock_filter));
        ret->prog.filter = data;
        return 0;
}

int seccomp_cache_store(int dirfd, const char *key, const SeccompProgram *p) {
        if (!p->prog.filter || p->prog.len == 0)
                return -EINVAL;
        return runcache_store(dirfd, key, p->prog.filter, p->prog.len * sizeof(struct sock_filter));
}
