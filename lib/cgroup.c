/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.c — the backend-independent half of cgroup.h: backend choice, name
 * checks, the cgjob_* wrappers that dispatch to a backend, corral's own
 * v1 <-> v2 mapping from limits to controller files (libcgroup 2.0.2 has
 * none: "memory.max" on a v1 hierarchy is simply "not found"), and the
 * systemd backend's unit names and properties (pure, so unit-tested here). */
#include "cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cgjob_backend_find(int kind, const CgroupBackend **ret) {
        switch (kind) {
        case CGROUP_BACKEND_AUTO:
                /* corrald's own delegated subtree: cgroupfs is allowed there */
                *ret = cgroup_delegation_parent() || !cgroup_systemd_available() ? &cgroup_backend_cgroupfs
                                                                                 : &cgroup_backend_systemd;
                return 0;
        case CGROUP_BACKEND_CGROUPFS:
                *ret = &cgroup_backend_cgroupfs;
                return 0;
        case CGROUP_BACKEND_SYSTEMD:
                *ret = &cgroup_backend_systemd;
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}

int cgjob_backend_job_path(const CgroupBackend *b, const char *parent, const char *name, size_t size, char *ret_path,
                           char *ret_parent) {
        char dir[SYSTEMD_UNIT_NAME_MAX * 2], leaf[SYSTEMD_UNIT_NAME_MAX];
        int r, n;

        if (!cgjob_parent_valid(parent) || !cgjob_name_valid(name))
                return -EINVAL;
        if (b == &cgroup_backend_systemd) {
                char slice[SYSTEMD_UNIT_NAME_MAX];
                if ((r = systemd_slice_name(parent, sizeof slice, slice)) < 0 ||
                    (r = systemd_slice_path(slice, sizeof dir, dir)) < 0 ||
                    (r = systemd_scope_name(name, sizeof leaf, leaf)) < 0)
                        return r;
        } else {
                n = snprintf(dir, sizeof dir, "/%s", parent);
                if (n < 0 || (size_t) n >= sizeof dir)
                        return -ENAMETOOLONG;
                n = snprintf(leaf, sizeof leaf, "%s", name);
                if (n < 0 || (size_t) n >= sizeof leaf)
                        return -ENAMETOOLONG;
        }
        if (strlen(dir) >= size || strlen(dir) + 1 + strlen(leaf) >= size)
                return -ENAMETOOLONG;
        (void) snprintf(ret_path, size, "%s/%s", streq(dir, "/") ? "" : dir, leaf);
        if (ret_parent)
                memcpy(ret_parent, dir, strlen(dir) + 1);
        return 0;
}

int cgjob_backend_prepare(const CgroupBackend *b) {
        return b->prepare ? b->prepare() : 0;
}

int cgjob_backend_state_key(const CgroupBackend *b, char **ret) {
        return b->state_key ? b->state_key(ret) : -EOPNOTSUPP;
}

int cgjob_backend_state_save(const CgroupBackend *b, char **ret) {
        return b->state_save ? b->state_save(ret) : -EOPNOTSUPP;
}

int cgjob_backend_state_restore(const CgroupBackend *b, const char *state) {
        return b->state_restore ? b->state_restore(state) : -EOPNOTSUPP;
}

/* "36 35 98:0 ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS" */
int cgroup_mounts_key(const char *mountinfo, char **ret) {
        char *buf = NULL;
        size_t len = 0, size = 0;
        const char *line = mountinfo;

        while (line && *line) {
                const char *end = strchr(line, '\n'), *f[6], *sep, *fs, *src, *opts;
                size_t n = end ? (size_t) (end - line) : strlen(line), k = 0, fsl, need;
                const char *p = line;

                /* fields 1-6 */
                while (k < 6 && p < line + n) {
                        f[k++] = p;
                        p = memchr(p, ' ', (size_t) (line + n - p));
                        if (!p)
                                break;
                        p++;
                }
                sep = memmem(line, n, " - ", 3);
                if (k < 6 || !p || !sep) {
                        free(buf);
                        return -EBADMSG;
                }
                fs = sep + 3;
                src = memchr(fs, ' ', (size_t) (line + n - fs));
                opts = src ? memchr(src + 1, ' ', (size_t) (line + n - src - 1)) : NULL;
                if (!src || !opts) {
                        free(buf);
                        return -EBADMSG;
                }
                fsl = (size_t) (src - fs);
                if ((fsl == 6 && strneq(fs, "cgroup", 6)) || (fsl == 7 && strneq(fs, "cgroup2", 7))) {
                        /* FSTYPE MOUNTPOINT ROOT SUPEROPTIONS */
                        size_t mpl = (size_t) (f[5] - f[4] - 1), rootl = (size_t) (f[4] - f[3] - 1);
                        size_t optl = (size_t) (line + n - opts - 1);
                        need = fsl + 1 + mpl + 1 + rootl + 1 + optl + 1 + 1;
                        if (len + need > size) {
                                size_t want = (len + need) * 2;
                                char *b = realloc(buf, want);
                                if (!b) {
                                        free(buf);
                                        return -ENOMEM;
                                }
                                buf = b;
                                size = want;
                        }
                        len += (size_t) snprintf(buf + len, size - len, "%.*s %.*s %.*s %.*s\n", (int) fsl, fs,
                                                 (int) mpl, f[4], (int) rootl, f[3], (int) optl, opts + 1);
                }
                line = end ? end + 1 : NULL;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

bool cgjob_name_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > CGROUP_NAME_MAX || streq(name, ".") || streq(name, ".."))
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                      *c == '.' || *c == '-'))
                        return false;
        return true;
}

bool cgjob_parent_valid(const char *parent) {
        char buf[CGROUP_NAME_MAX * 4 + 4];
        size_t n = strlen(parent);

        if (n == 0 || n >= sizeof buf)
                return false;
        memcpy(buf, parent, n + 1);
        for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (!cgjob_name_valid(c))
                        return false;
        /* no leading, trailing or doubled slashes */
        return parent[0] != '/' && parent[n - 1] != '/' && !strstr(parent, "//");
}

int job_cgroup_name(const char *parent, const char *job_id, size_t size, char *ret) {
        char name[CGROUP_NAME_MAX + 1];
        int n;

        n = snprintf(name, sizeof name, "job-%s", job_id);
        if (n < 0 || (size_t) n >= sizeof name || !cgjob_name_valid(name))
                return -EINVAL;
        n = parent ? snprintf(NULL, 0, "%s/%s", parent, name) : n;
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        if (parent)
                (void) snprintf(ret, size, "%s/%s", parent, name);
        else
                memcpy(ret, name, (size_t) n + 1);
        return 0;
}

int job_cgroup_name_num(const char *parent, int64_t job_id, size_t size, char *ret) {
        char id[24];

        (void) snprintf(id, sizeof id, "%" PRId64, job_id);
        return job_cgroup_name(parent, id, size, ret);
}

int cgjob_create(const CgroupBackend *b, const char *parent, const char *name, const CgroupLimits *limits,
                 CgroupJob **ret, char **ret_where) {
        if (!cgjob_parent_valid(parent) || !cgjob_name_valid(name))
                return -EINVAL;
        if (b == &cgroup_backend_cgroupfs && cgroup_delegation_parent())
                parent = cgroup_delegation_parent();
        return b->create(parent, name, limits, ret, ret_where);
}

int cgjob_open(const CgroupBackend *b, const char *parent, const char *name, CgroupJob **ret) {
        if (!cgjob_parent_valid(parent) || !cgjob_name_valid(name))
                return -EINVAL;
        if (b == &cgroup_backend_cgroupfs && cgroup_delegation_parent())
                parent = cgroup_delegation_parent();
        return b->open(parent, name, ret);
}

int cgjob_clone_fd(CgroupJob *j) {
        return j->backend->clone_fd ? j->backend->clone_fd(j) : -EOPNOTSUPP;
}

int cgjob_attach(CgroupJob *j, pid_t pid, char **ret_where) {
        return j->backend->attach(j, pid, ret_where);
}

int cgjob_self_attach_fds(CgroupJob *j, bool with_clone_fd, int ret_fds[static CGROUP_SELF_ATTACH_MAX],
                          char **ret_where) {
        if (!j->backend->self_attach_fds)
                return -EOPNOTSUPP;
        return j->backend->self_attach_fds(j, with_clone_fd, ret_fds, CGROUP_SELF_ATTACH_MAX, ret_where);
}

int cgroup_attach_self(const int *fds, size_t n) {
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                if (write(fds[i], "0", 1) != 1 && ret == 0)
                        ret = negative_errno();
                (void) close(fds[i]);
        }
        return ret;
}

int cgjob_signal(CgroupJob *j, int sig) {
        return j->backend->signal(j, sig);
}

int cgjob_kill(CgroupJob *j, uint64_t timeout_usec) {
        return j->backend->kill(j, timeout_usec);
}

int cgjob_usage(CgroupJob *j, CgroupUsage *ret) {
        return j->backend->usage(j, ret);
}

int cgjob_remove(CgroupJob *j, char **ret_where) {
        return j->backend->remove(j, ret_where);
}

CgroupJob *cgjob_free(CgroupJob *j) {
        if (j)
                j->backend->free(j);
        return NULL;
}

/* ---- systemd unit names and properties ---- */

int systemd_slice_name(const char *parent, size_t size, char *ret) {
        char buf[SYSTEMD_UNIT_NAME_MAX + 16];
        size_t n = 0, len = strlen(parent);

        if (!cgjob_parent_valid(parent))
                return -EINVAL;
        /* "x.slice" (the last component, as systemd names it) is taken as it is */
        if (len > 6 && streq(parent + len - 6, ".slice")) {
                const char *last = strrchr(parent, '/');
                last = last ? last + 1 : parent;
                if (strlen(last) >= size || strlen(last) >= SYSTEMD_UNIT_NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(ret, last, strlen(last) + 1);
                return 0;
        }
        for (const char *c = parent; *c; c++) {
                const char *add = *c == '/' ? "-" : *c == '-' ? "\\x2d" : NULL;
                if (n + (add ? strlen(add) : 1) + sizeof ".slice" > sizeof buf)
                        return -ENAMETOOLONG;
                if (!add)
                        buf[n++] = *c;
                else
                        for (; *add; add++)
                                buf[n++] = *add;
        }
        buf[n] = '\0';
        (void) strncat(buf, ".slice", sizeof buf - n - 1);
        n += 6;
        if (n >= size || n >= SYSTEMD_UNIT_NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(ret, buf, n + 1);
        return 0;
}

int systemd_slice_path(const char *slice, size_t size, char *ret) {
        size_t len = strlen(slice), n = 0;

        if (streq(slice, "-.slice")) { /* the root slice */
                if (size < 2)
                        return -ENAMETOOLONG;
                memcpy(ret, "/", 2);
                return 0;
        }
        if (len <= 6 || !streq(slice + len - 6, ".slice") || strchr(slice, '/'))
                return -EINVAL;
        len -= 6;
        if (slice[0] == '-' || slice[len - 1] == '-')
                return -EINVAL;
        /* one component per '-': "/a.slice", then "/a-b.slice", ... */
        for (size_t i = 0; i <= len; i++) {
                if (i < len && slice[i] != '-')
                        continue;
                if (i > 0 && slice[i - 1] == '-')
                        return -EINVAL; /* "a--b.slice" */
                if (n + 1 + i + 6 >= size)
                        return -ENAMETOOLONG;
                ret[n++] = '/';
                memcpy(ret + n, slice, i);
                memcpy(ret + n + i, ".slice", 6);
                n += i + 6;
        }
        ret[n] = '\0';
        return 0;
}

int systemd_scope_name(const char *name, size_t size, char *ret) {
        int n;

        if (!cgjob_name_valid(name))
                return -EINVAL;
        n = snprintf(NULL, 0, "corral-%s.scope", name);
        if (n < 0 || (size_t) n >= size || n >= SYSTEMD_UNIT_NAME_MAX)
                return -ENAMETOOLONG;
        (void) snprintf(ret, size, "corral-%s.scope", name);
        return 0;
}

static void prop_b(SystemdProperty *p, const char *name, bool v) {
        *p = (SystemdProperty){ .name = name, .type = 'b', .u = v };
}
static void prop_s(SystemdProperty *p, const char *name, const char *v) {
        *p = (SystemdProperty){ .name = name, .type = 's', .s = v };
}
static void prop_t(SystemdProperty *p, const char *name, uint64_t v) {
        *p = (SystemdProperty){ .name = name, .type = 't', .u = v };
}

int systemd_scope_properties(const char *description, const char *slice, const CgroupLimits *l,
                             char *const *device_allow, uint64_t extra_tasks, bool unified,
                             SystemdProperty ret[static SYSTEMD_PROPERTIES_MAX], unsigned *ret_warnings) {
        unsigned n = 0, warnings = 0;

        prop_s(&ret[n++], "Description", description);
        prop_s(&ret[n++], "Slice", slice);
        /* the scope's subtree is ours: systemd leaves what is below it alone */
        prop_b(&ret[n++], "Delegate", true);
        /* a scope that failed is collected too, so the name is free again */
        prop_s(&ret[n++], "CollectMode", "inactive-or-failed");
        /* accounting makes systemd create the cgroup in the memory, cpu and
         * pids hierarchies (v1) even without a limit: usage is read there */
        prop_b(&ret[n++], "MemoryAccounting", true);
        prop_b(&ret[n++], "CPUAccounting", true);
        prop_b(&ret[n++], "TasksAccounting", true);
        if (l->memory != CGROUP_LIMIT_MAX)
                prop_t(&ret[n++], "MemoryMax", l->memory);
        if (l->swap != CGROUP_LIMIT_MAX) {
                if (unified)
                        prop_t(&ret[n++], "MemorySwapMax", l->swap);
                else
                        /* systemd sets no memory.memsw.* on v1 */
                        warnings |= CGROUP_WARN_SWAP;
        }
        if (l->cpus != CGROUP_LIMIT_MAX) {
                /* millicpus -> usec of CPU time per second, with the
                 * kernel's minimum quota (1 ms per 100 ms period) as in
                 * cgroup_limit_settings() */
                uint64_t per_sec;
                if (l->cpus == 0 || l->cpus > UINT64_MAX / 1000)
                        return -ERANGE;
                per_sec = l->cpus * 1000;
                if (per_sec < 10000)
                        per_sec = 10000;
                prop_t(&ret[n++], "CPUQuotaPerSecUSec", per_sec);
        }
        if (l->tasks != CGROUP_LIMIT_MAX) {
                if (l->tasks > UINT64_MAX - 1 - extra_tasks)
                        return -ERANGE;
                prop_t(&ret[n++], "TasksMax", l->tasks + extra_tasks);
        }
        if (device_allow) {
                /* "strict": only what DeviceAllow= lists; "closed" would
                 * add systemd's own set (null, zero, full, random, urandom,
                 * tty, ptmx, pts) whatever the list says */
                prop_s(&ret[n++], "DevicePolicy", "strict");
                ret[n++] = (SystemdProperty){ .name = "DeviceAllow", .type = 'A', .strv = device_allow };
        }
        if (ret_warnings)
                *ret_warnings = warnings;
        return (int) n;
}

/* ---- the mapping ---- */

static void set(CgroupSetting *s, const char *file, uint64_t v) {
        s->file = file;
        (void) snprintf(s->value, sizeof s->value, "%" PRIu64, v);
}

int cgroup_limit_settings(const char *controller, int version, unsigned have, const CgroupLimits *l,
                          CgroupSetting ret[static CGROUP_SETTINGS_MAX], unsigned *ret_warnings) {
        unsigned n = 0, warnings = 0;

        if (version != 1 && version != 2)
                return -EINVAL;

        if (streq(controller, "memory")) {
                bool mem = l->memory != CGROUP_LIMIT_MAX, swap = l->swap != CGROUP_LIMIT_MAX;
                if (version == 2) {
                        /* v2 limits swap on its own */
                        if (mem)
                                set(&ret[n++], "memory.max", l->memory);
                        if (swap)
                                set(&ret[n++], "memory.swap.max", l->swap);
                } else {
                        /* v1 limits memory+swap together (memsw), which must
                         * never be below limit_in_bytes: write that first */
                        if (mem)
                                set(&ret[n++], "memory.limit_in_bytes", l->memory);
                        if (mem && swap) {
                                if (have & CGROUP_HAVE_MEMSW) {
                                        if (l->swap > UINT64_MAX - 1 - l->memory)
                                                return -ERANGE;
                                        set(&ret[n++], "memory.memsw.limit_in_bytes", l->memory + l->swap);
                                } else
                                        warnings |= CGROUP_WARN_SWAP;
                        } else if (swap)
                                /* swap alone cannot be said with memsw */
                                warnings |= CGROUP_WARN_SWAP;
                }
        } else if (streq(controller, "cpu")) {
                if (l->cpus != CGROUP_LIMIT_MAX) {
                        uint64_t quota;
                        if (l->cpus == 0 || l->cpus > UINT64_MAX / CGROUP_CPU_PERIOD_USEC)
                                return -ERANGE;
                        quota = l->cpus * CGROUP_CPU_PERIOD_USEC / 1000;
                        if (quota < 1000) /* the kernel's minimum quota is 1 ms */
                                quota = 1000;
                        if (version == 2) {
                                ret[n].file = "cpu.max";
                                (void) snprintf(ret[n].value, sizeof ret[n].value, "%" PRIu64 " %" PRIu64, quota,
                                                CGROUP_CPU_PERIOD_USEC);
                                n++;
                        } else {
                                set(&ret[n++], "cpu.cfs_period_us", CGROUP_CPU_PERIOD_USEC);
                                set(&ret[n++], "cpu.cfs_quota_us", quota);
                        }
                }
        } else if (streq(controller, "pids")) {
                /* a new cgroup starts unlimited: only a limit is written */
                if (l->tasks != CGROUP_LIMIT_MAX)
                        set(&ret[n++], "pids.max", l->tasks);
        } else
                return -EOPNOTSUPP;

        if (ret_warnings)
                *ret_warnings = warnings;
        return (int) n;
}
