/* SPDX-License-Identifier: GPL-2.0-or-later */
/* landlock.c — see landlock.h. Debian 12's kernel headers stop at ABI 3,
 * so the structures and bits of later ABIs are spelled out here; the kernel
 * takes a larger attribute struct as long as the fields it does not know
 * are zero. */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
/* the rights a rule on a file (not a directory) may carry */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1) /* ABI 6 */

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net; /* ABI 4 */
        uint64_t scoped; /* ABI 6 */
};

struct ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

static const struct {
        const char *name;
        uint64_t bit;
} scopes[] = {
        { "abstract_unix", LL_SCOPE_ABSTRACT_UNIX_SOCKET },
        { "signal", LL_SCOPE_SIGNAL },
};

bool landlock_scope_name_valid(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(scopes); i++)
                if (streq(name, scopes[i].name))
                        return true;
        return false;
}

int landlock_abi(void) {
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        return v > 0 && v < 1000 ? (int) v : 0;
}

static uint64_t fs_rights(int abi) {
        uint64_t r = LL_FS_ABI1;
        if (abi >= 2)
                r |= LL_FS_REFER;
        if (abi >= 3)
                r |= LL_FS_TRUNCATE;
        if (abi >= 5)
                r |= LL_FS_IOCTL_DEV;
        return r;
}

void landlock_plan(const Policy *p, int abi, LandlockPlan *ret) {
        uint64_t scoped = 0;
        bool fs = strv_length(p->landlock_read) > 0 || strv_length(p->landlock_write) > 0;

        *ret = (LandlockPlan){ .abi = abi };
        if (p->landlock_mode == LANDLOCK_MODE_OFF)
                return;
        for (char **s = p->landlock_scope; s && *s; s++)
                for (size_t i = 0; i < ELEMENTSOF(scopes); i++)
                        if (streq(*s, scopes[i].name))
                                scoped |= scopes[i].bit;
        if (abi < 1) {
                if (fs || scoped)
                        ret->missing |= LANDLOCK_MISSING_ALL;
                return;
        }
        if (scoped) {
                if (abi >= 6)
                        ret->scoped = scoped;
                else
                        ret->missing |= LANDLOCK_MISSING_SCOPE;
        }
        if (fs) {
                ret->handled_fs = fs_rights(abi);
                /* read: look, list and run; device ioctls (a terminal's
                 * size, say) go with reading */
                ret->read_access =
                        ret->handled_fs & (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_IOCTL_DEV);
                ret->write_access = ret->handled_fs;
        }
}

bool landlock_plan_active(const LandlockPlan *plan) {
        return plan->handled_fs != 0 || plan->scoped != 0;
}

void landlock_plan_describe(const LandlockPlan *plan, char *buf, size_t size) {
        size_t n = 0;
        int k;

        buf[0] = '\0';
        if (plan->abi < 1) {
                (void) snprintf(buf, size, "none: this kernel has no Landlock (or it is not in the lsm= list)");
                return;
        }
        k = snprintf(buf, size, "ABI %d:", plan->abi);
        n = k > 0 && (size_t) k < size ? (size_t) k : size - 1;
        if (plan->scoped) {
                const char *sep = " scopes ";
                for (size_t i = 0; i < ELEMENTSOF(scopes); i++)
                        if (plan->scoped & scopes[i].bit) {
                                k = snprintf(buf + n, size - n, "%s%s", sep, scopes[i].name);
                                n = k > 0 && (size_t) k < size - n ? n + (size_t) k : size - 1;
                                sep = ", ";
                        }
        }
        if (plan->handled_fs) {
                k = snprintf(buf + n, size - n, "%sfilesystem rules", plan->scoped ? "; " : " ");
                n = k > 0 && (size_t) k < size - n ? n + (size_t) k : size - 1;
        }
        if (!landlock_plan_active(plan))
                (void) snprintf(buf + n, size - n, " nothing asked");
}

const char *landlock_missing_text(const LandlockPlan *plan) {
        if (plan->missing & LANDLOCK_MISSING_ALL)
                return "Landlock not available on this kernel (before Linux 5.13, or not in the lsm= list): "
                       "[landlock] is not enforced";
        if (plan->missing & LANDLOCK_MISSING_SCOPE)
                return "Landlock scopes need Linux 6.12 (ABI 6): abstract unix sockets and signals outside the job "
                       "are not scoped";
        return NULL;
}

static int add_paths(int ruleset, char **paths, uint64_t access, const char **ret_where) {
        for (char **p = paths; p && *p; p++) {
                struct ll_path_beneath_attr rule = { .allowed_access = access };
                struct stat st;
                int fd = open(*p, O_PATH | O_CLOEXEC);

                if (fd < 0) {
                        if (errno == ENOENT)
                                continue; /* a missing path is skipped */
                        *ret_where = *p;
                        return negative_errno();
                }
                if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
                        rule.allowed_access &= LL_FS_FILE_RIGHTS;
                rule.parent_fd = fd;
                if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0) < 0) {
                        int r = negative_errno();
                        (void) close(fd);
                        *ret_where = *p;
                        return r;
                }
                (void) close(fd);
        }
        return 0;
}

int landlock_apply(const Policy *p, const LandlockPlan *plan, const char **ret_where) {
        struct ll_ruleset_attr attr = { .handled_access_fs = plan->handled_fs, .scoped = plan->scoped };
        int fd, r;

        *ret_where = NULL;
        if (!landlock_plan_active(plan))
                return 0;
        fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        if (fd < 0) {
                *ret_where = "landlock_create_ruleset";
                return negative_errno();
        }
        if (plan->handled_fs) {
                r = add_paths(fd, p->landlock_read, plan->read_access, ret_where);
                if (r == 0)
                        r = add_paths(fd, p->landlock_write, plan->write_access, ret_where);
                if (r < 0) {
                        (void) close(fd);
                        return r;
                }
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
                r = negative_errno();
                (void) close(fd);
                *ret_where = "landlock_restrict_self";
                return r;
        }
        (void) close(fd);
        return 0;
}
