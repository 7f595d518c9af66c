/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup-fs.c — the "cgroupfs" backend of cgroup.h, over libcgroup, for
 * cgroup v1, v2 and hybrid hosts.
 *
 * libcgroup finds where each controller is mounted and which cgroup version
 * it is (per controller, from /proc/mounts), holds the values, attaches a
 * pid from outside and deletes. What it lacks or does slowly we do here: the
 * limit names per version (cgroup_limit_settings() in cgroup.c), an exclusive
 * mkdir (its create is "mkdir -p" and would adopt another job's cgroup), the
 * value writes (cgroup_modify_cgroup() re-reads /proc/mounts for each one),
 * enabling the controllers in a v2 parent's cgroup.subtree_control, the
 * CLONE_INTO_CGROUP fd, the fds for a process to move itself in (no global
 * lock), killing (cgroup.kill, or freeze + SIGKILL + thaw on v1) and usage.
 *
 * A job is a set of hierarchies ("memory", "cpu,cpuacct" co-mounted, or the
 * single v2 tree), each with the job's directory in it. A job whose devices
 * are restricted (CgroupLimits.devices) also has one in the v1 "devices"
 * hierarchy, or else a device program on its v2 cgroup (cgroup-devices.c). */
#include "cgroup.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "parse.h"

/* exported by libcgroup 2.0.2 but not declared in its headers */
int cgroup_get_controller_version(const char *controller, int *version);

#define FS_MAX_HIER 6

typedef struct Hier {
        char *mount;
        int version;
        char label[64]; /* "memory", "cpu,cpuacct" or the v2 controllers */
        char *dir; /* mount + job path */
        struct cgroup *cg;
        unsigned controllers; /* 1 << C_* */
        bool made;
} Hier;

typedef struct FsJob {
        CgroupJob head;
        Hier hier[FS_MAX_HIER];
        unsigned n_hier;
        int memory, cpu, cpuacct, pids, freezer, devices, v2; /* index into hier[] or -1 */
        pid_t spare; /* left alone by signal and kill (cgroup_fs_open_path()) */
} FsJob;

/* The controllers a job uses. Limits decide which ones are required.
 * devices: v1 only (v2 has a BPF program on the job cgroup instead), and
 * its hierarchy is joined only by a job whose devices are restricted. */
enum { C_MEMORY, C_CPU, C_PIDS, C_CPUACCT, C_FREEZER, C_DEVICES, _C_MAX };
static const char *const controllers[_C_MAX] = { "memory", "cpu", "pids", "cpuacct", "freezer", "devices" };

static int cg_errno(int r) {
        switch (r) {
        case 0:
                return 0;
        case ECGOTHER: {
                int e = cgroup_get_last_errno();
                return e > 0 ? -e : -EIO;
        }
        case ECGROUPNOTMOUNTED:
        case ECGROUPSUBSYSNOTMOUNTED:
                return -ENODEV;
        case ECGROUPNOTEXIST:
        case ECGROUPVALUENOTEXIST:
                return -ENOENT;
        case ECGROUPNOTALLOWED:
        case ECGROUPNOTOWNER:
                return -EACCES;
        case ECGNONEMPTY:
                return -EBUSY;
        case ECGINVAL:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static int libcg_init(void) {
        static int done = 0;
        if (done <= 0)
                done = cgroup_init() == 0 ? 1 : -1;
        return done > 0 ? 0 : -ENODEV;
}

static void set_where(char **ret_where, const Hier *h, const char *path) {
        if (!ret_where)
                return;
        free(*ret_where);
        if (asprintf(ret_where, "%s:%s", h ? h->label : "cgroup", path) < 0)
                *ret_where = NULL;
}

int cgroup_fs_write_file(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -1;
        size_t n = strlen(value);

        if (asprintf(&p, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        if (write(fd, value, n) != (ssize_t) n)
                return negative_errno();
        return 0;
}

int cgroup_fs_read_file(const char *dir, const char *file, char *buf, size_t size) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (asprintf(&p, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        return (int) n;
}

static uint64_t read_u64(const char *dir, const char *file) {
        char buf[64];
        uint64_t v;

        if (cgroup_fs_read_file(dir, file, buf, sizeof buf) < 0)
                return CGROUP_USAGE_UNKNOWN;
        buf[strcspn(buf, "\n")] = '\0';
        if (parse_uint64(buf, 0, UINT64_MAX - 1, &v) < 0)
                return CGROUP_USAGE_UNKNOWN;
        return v;
}

/* "key value" lines (memory.events, cpu.stat, memory.oom_control) */
static uint64_t read_key(const char *dir, const char *file, const char *key) {
        char buf[4096];
        size_t kl = strlen(key);

        if (cgroup_fs_read_file(dir, file, buf, sizeof buf) < 0)
                return CGROUP_USAGE_UNKNOWN;
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                uint64_t v;
                if (strncmp(line, key, kl) == 0 && line[kl] == ' ' &&
                    parse_uint64(line + kl + 1, 0, UINT64_MAX - 1, &v) == 0)
                        return v;
        }
        return CGROUP_USAGE_UNKNOWN;
}

/* Is word one of the space-separated words of list? ("cpu" is not in "cpuset") */
static bool word_in(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

/* What libcgroup found: where each controller is mounted and in which
 * cgroup version. Filled once per process, by libcgroup (cgroup_init(),
 * 0.35-0.5 ms, mostly the page faults of its 800 KB mount table) or from
 * the text of an earlier answer (fs_state_restore) while the cgroup mounts
 * are the same (fs_state_key). */
static struct {
        bool done;
        char *mount[_C_MAX]; /* NULL: not mounted */
        int version[_C_MAX];
} found;

static void found_clear(void) {
        for (int c = 0; c < _C_MAX; c++) {
                free(found.mount[c]);
                found.mount[c] = NULL;
        }
        found.done = false;
}

static int find_hierarchies(void) {
        int r;

        if (found.done)
                return 0;
        r = libcg_init();
        if (r < 0)
                return r;
        for (int c = 0; c < _C_MAX; c++) {
                char *mp = NULL;
                int version = 0;

                if (cgroup_get_subsys_mount_point(controllers[c], &mp) != 0 || !mp)
                        continue;
                if (cgroup_get_controller_version(controllers[c], &version) != 0 || (version != 1 && version != 2))
                        version = 1;
                found.mount[c] = mp;
                found.version[c] = version;
        }
        found.done = true;
        return 0;
}

static int fs_prepare(void) {
        return find_hierarchies();
}

/* The cgroup mounts (cgroup_mounts_key(), from /proc/self/mountinfo) and,
 * for cgroup2, the controllers its root offers: all that libcgroup's answer
 * depends on. */
static int fs_state_key(char **ret) {
        _cleanup_free_ char *info = NULL, *mounts = NULL, *key = NULL;
        struct stat st;
        Dl_info dl;
        _cleanup_close_ int fd = -1;
        size_t len = 0, size = 0;
        int r;

        if (found.done)
                return -EALREADY;
        fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        for (;;) {
                ssize_t n;
                if (size - len < 4096) {
                        char *b;
                        if (size >= (size_t) 4 * 1024 * 1024)
                                return -E2BIG;
                        size = size ? size * 2 : 16384;
                        b = realloc(info, size);
                        if (!b)
                                return -ENOMEM;
                        info = b;
                }
                n = read(fd, info + len, size - len - 1);
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        info[len] = '\0';
        r = cgroup_mounts_key(info, &mounts);
        if (r < 0)
                return r;
        /* which libcgroup answered (a package upgrade changes the file) */
        if (dladdr((void *) cgroup_init, &dl) == 0 || !dl.dli_fname || stat(dl.dli_fname, &st) < 0)
                return -ENOENT;
        if (asprintf(&key, "corral cgroupfs state 2 %s\nlibcgroup %s %llu:%llu %lld.%09ld\n%s", CORRAL_VERSION,
                     dl.dli_fname, (unsigned long long) st.st_dev, (unsigned long long) st.st_ino,
                     (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec, mounts) < 0) {
                key = NULL;
                return -ENOMEM;
        }
        /* a cgroup2 root's cgroup.controllers: "cgroup2 MOUNTPOINT ..." lines */
        for (char *line = key; line && *line;) {
                char *end = strchr(line, '\n'), *mp, *sp, buf[512];
                _cleanup_free_ char *both = NULL;

                if (!end)
                        break;
                if (strneq(line, "cgroup2 ", 8)) {
                        mp = strndup(line + 8, (size_t) (end - line - 8));
                        if (!mp)
                                return -ENOMEM;
                        sp = strchr(mp, ' ');
                        if (sp)
                                *sp = '\0';
                        r = cgroup_fs_read_file(mp, "cgroup.controllers", buf, sizeof buf);
                        if (r < 0)
                                buf[0] = '\0';
                        buf[strcspn(buf, "\n")] = '\0';
                        r = asprintf(&both, "%scontrollers %s %s\n", key, mp, buf);
                        free(mp);
                        if (r < 0)
                                return -ENOMEM;
                        line = both + (end + 1 - key);
                        free(key);
                        key = TAKE_PTR(both);
                        continue;
                }
                line = end + 1;
        }
        *ret = TAKE_PTR(key);
        return 0;
}

/* "CONTROLLER VERSION MOUNTPOINT" lines */
static int fs_state_save(char **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = find_hierarchies();
        if (r < 0)
                return r;
        text = strdup("");
        if (!text)
                return -ENOMEM;
        for (int c = 0; c < _C_MAX; c++) {
                char *t;
                if (!found.mount[c])
                        continue;
                if (strchr(found.mount[c], '\n'))
                        return -EINVAL; /* cannot be one line */
                if (asprintf(&t, "%s%s %d %s\n", text, controllers[c], found.version[c], found.mount[c]) < 0)
                        return -ENOMEM;
                free(text);
                text = t;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

static int fs_state_restore(const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        int r = 0;

        if (!copy)
                return -ENOMEM;
        found_clear();
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *ctl = line, *ver, *mp;
                int c;

                ver = strchr(ctl, ' ');
                if (!ver) {
                        r = -EBADMSG;
                        break;
                }
                *ver++ = '\0';
                mp = strchr(ver, ' ');
                if (!mp) {
                        r = -EBADMSG;
                        break;
                }
                *mp++ = '\0';
                for (c = 0; c < _C_MAX && !streq(controllers[c], ctl); c++)
                        ;
                if (c == _C_MAX || found.mount[c] || (!streq(ver, "1") && !streq(ver, "2")) || mp[0] != '/' ||
                    strlen(mp) >= PATH_MAX) {
                        r = -EBADMSG;
                        break;
                }
                found.version[c] = ver[0] - '0';
                found.mount[c] = strdup(mp);
                if (!found.mount[c]) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                found_clear();
                return r;
        }
        found.done = true;
        return 0;
}

static void fsjob_free(CgroupJob *head) {
        FsJob *j = (FsJob *) head;
        for (unsigned i = 0; i < j->n_hier; i++) {
                free(j->hier[i].mount);
                free(j->hier[i].dir);
                if (j->hier[i].cg)
                        cgroup_free(&j->hier[i].cg);
        }
        free(j->head.path);
        free(j);
}

/* Finds the hierarchies of the controllers on this host. required: bitmask
 * of controllers that must be there. */
static int discover(FsJob *j, unsigned required, char **ret_where) {
        int idx[_C_MAX];

        for (int c = 0; c < _C_MAX; c++) {
                char *mp = NULL;
                int version = 0, h = -1;

                idx[c] = -1;
                if (found.mount[c])
                        mp = strdup(found.mount[c]);
                if (!mp) {
                        if (required & (1u << c)) {
                                if (ret_where) {
                                        free(*ret_where);
                                        *ret_where = strdup(controllers[c]);
                                }
                                return -ENODEV;
                        }
                        continue;
                }
                version = found.version[c];
                if (version == 2 && (c == C_CPUACCT || c == C_FREEZER || c == C_DEVICES)) {
                        /* v1-only controllers: v2 has cpu.stat and cgroup.freeze
                         * built in, and device programs */
                        free(mp);
                        continue;
                }
                for (unsigned i = 0; i < j->n_hier; i++)
                        if (streq(j->hier[i].mount, mp)) {
                                h = (int) i;
                                break;
                        }
                if (h < 0) {
                        if (j->n_hier >= FS_MAX_HIER) {
                                free(mp);
                                return -E2BIG;
                        }
                        h = (int) j->n_hier++;
                        j->hier[h].mount = mp;
                        j->hier[h].version = version;
                        j->hier[h].cg = cgroup_new_cgroup(j->head.path + 1);
                        if (!j->hier[h].cg)
                                return -ENOMEM;
                        if (asprintf(&j->hier[h].dir, "%s%s", mp, j->head.path) < 0) {
                                j->hier[h].dir = NULL;
                                return -ENOMEM;
                        }
                } else
                        free(mp);
                if (j->hier[h].label[0])
                        (void) strncat(j->hier[h].label, ",", sizeof j->hier[h].label - strlen(j->hier[h].label) - 1);
                (void) strncat(j->hier[h].label, controllers[c],
                               sizeof j->hier[h].label - strlen(j->hier[h].label) - 1);
                if (!cgroup_add_controller(j->hier[h].cg, controllers[c]))
                        return -ENOMEM;
                idx[c] = h;
                j->hier[h].controllers |= 1u << c;
                if (j->hier[h].version == 2)
                        j->v2 = h;
        }
        j->memory = idx[C_MEMORY];
        j->cpu = idx[C_CPU];
        j->pids = idx[C_PIDS];
        j->cpuacct = idx[C_CPUACCT];
        j->freezer = idx[C_FREEZER];
        j->devices = idx[C_DEVICES];
        return j->n_hier > 0 ? 0 : -ENODEV;
}

static int fsjob_new(const char *parent, const char *name, FsJob **ret) {
        FsJob *j;
        int r;

        r = find_hierarchies();
        if (r < 0)
                return r;
        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->head.backend = &cgroup_backend_cgroupfs;
        j->memory = j->cpu = j->pids = j->cpuacct = j->freezer = j->devices = j->v2 = -1;
        if (asprintf(&j->head.path, "/%s/%s", parent, name) < 0) {
                free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

/* mkdir -p of the parent below a hierarchy's mount; on v2 also enables the
 * hierarchy's controllers for the children of every level below the root
 * (the root's own cgroup.subtree_control is the host's business: if a
 * controller is not enabled there, creating fails). */
static int make_parent(Hier *h, const char *parent, char **ret_where) {
        _cleanup_free_ char *dir = NULL, *want = NULL;
        char buf[512];
        size_t base;
        int r;

        if (asprintf(&dir, "%s/%s", h->mount, parent) < 0)
                return -ENOMEM;
        if (h->version == 2) {
                /* "+memory +cpu +pids" for the controllers of this job */
                want = strdup(h->label);
                if (!want)
                        return -ENOMEM;
                r = cgroup_fs_read_file(h->mount, "cgroup.subtree_control", buf, sizeof buf);
                if (r < 0)
                        return r;
                for (char *save = NULL, *c = strtok_r(want, ",", &save); c; c = strtok_r(NULL, ",", &save))
                        if (!word_in(buf, c)) {
                                set_where(ret_where, h, "/");
                                return -EOPNOTSUPP;
                        }
        }
        base = strlen(h->mount);
        for (char *p = dir + base + 1;; p++) {
                bool last = *p == '\0';
                if (*p != '/' && !last)
                        continue;
                *p = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                        r = negative_errno();
                        set_where(ret_where, h, dir + base);
                        return r;
                }
                if (h->version == 2) {
                        char sub[512], *cur = NULL;
                        _cleanup_free_ char *line = NULL;
                        r = cgroup_fs_read_file(dir, "cgroup.subtree_control", sub, sizeof sub);
                        if (r < 0)
                                return r;
                        free(want);
                        want = strdup(h->label);
                        if (!want)
                                return -ENOMEM;
                        for (char *save = NULL, *c = strtok_r(want, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
                                if (word_in(sub, c))
                                        continue;
                                cur = line;
                                if (asprintf(&line, "%s%s+%s", cur ? cur : "", cur ? " " : "", c) < 0) {
                                        line = cur;
                                        return -ENOMEM;
                                }
                                free(cur);
                        }
                        if (line) {
                                r = cgroup_fs_write_file(dir, "cgroup.subtree_control", line);
                                if (r < 0) {
                                        set_where(ret_where, h, dir + base);
                                        return r;
                                }
                        }
                }
                if (last)
                        break;
                *p = '/';
        }
        return 0;
}

static int rmdir_retry(const char *dir) {
        /* A dead task leaves its cgroup a moment after it is reaped: retry
         * EBUSY for up to a second. */
        for (int i = 0; i < 200; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return negative_errno();
                (void) usleep(5000);
        }
        return -EBUSY;
}

static int fs_remove(CgroupJob *head, char **ret_where) {
        FsJob *j = (FsJob *) head;
        int ret = 0;

        /* children first does not matter (no sub-cgroups); any order */
        for (unsigned i = 0; i < j->n_hier; i++) {
                Hier *h = &j->hier[i];
                int r;
                if (!h->made)
                        continue;
                /* the cgroup is empty (killed and waited for): removing
                 * it is one rmdir, which is all that libcgroup's
                 * cgroup_delete_cgroup_ext(CGFLAG_DELETE_EMPTY_ONLY) does,
                 * without its cgroup_init() and its error after success on
                 * v2 (it tries once per controller) */
                r = rmdir_retry(h->dir);
                if (r < 0) {
                        if (ret == 0) {
                                ret = r;
                                set_where(ret_where, h, head->path);
                        }
                        continue;
                }
                h->made = false;
        }
        return ret;
}

/* The job's devices: v1 deny all, then allow each (a new cgroup starts
 * with its parent's rules); v2 the device program (cgroup-devices.c). Done
 * before any process is in the cgroup. */
static int set_devices(Hier *h, const DevList *l) {
        _cleanup_close_ int fd = -1;
        int r;

        if (h->version == 2) {
                fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                return cgroup_device_bpf_attach(fd, l);
        }
        r = cgroup_fs_write_file(h->dir, "devices.deny", "a");
        for (size_t i = 0; r >= 0 && i < l->n; i++) {
                char line[CGROUP_DEVICE_LINE_MAX];
                r = cgroup_device_v1_line(l->v[i].type, l->v[i].major, l->v[i].minor, line);
                if (r >= 0)
                        r = cgroup_fs_write_file(h->dir, "devices.allow", line);
        }
        return r;
}

static int fs_create(const char *parent, const char *name, const CgroupLimits *l, CgroupJob **ret, char **ret_where) {
        FsJob *j = NULL;
        unsigned required = 0;
        int r;

        r = fsjob_new(parent, name, &j);
        if (r < 0)
                return r;
        if (l->memory != CGROUP_LIMIT_MAX || l->swap != CGROUP_LIMIT_MAX)
                required |= 1u << C_MEMORY;
        if (l->cpus != CGROUP_LIMIT_MAX)
                required |= 1u << C_CPU;
        if (l->tasks != CGROUP_LIMIT_MAX)
                required |= 1u << C_PIDS;
        r = discover(j, required, ret_where);
        if (r < 0)
                goto fail;
        if (l->devices && j->devices < 0 && j->v2 < 0) {
                /* neither the v1 controller nor a v2 cgroup for a program */
                r = -ENODEV;
                if (ret_where) {
                        free(*ret_where);
                        *ret_where = strdup("devices");
                }
                goto fail;
        }

        for (unsigned i = 0; i < j->n_hier; i++) {
                Hier *h = &j->hier[i];
                struct cgroup_controller *ctl;

                /* the devices hierarchy alone is for restricted jobs only */
                if (!l->devices && h->controllers == 1u << C_DEVICES)
                        continue;
                r = make_parent(h, parent, ret_where);
                if (r < 0)
                        goto fail;
                /* exclusive: an existing directory is another job's */
                if (mkdir(h->dir, 0755) < 0) {
                        r = negative_errno();
                        set_where(ret_where, h, j->head.path);
                        goto fail;
                }
                h->made = true;

                for (int c = 0; c < (int) ELEMENTSOF(controllers); c++) {
                        CgroupSetting s[CGROUP_SETTINGS_MAX];
                        unsigned have = 0, warn = 0;
                        int n;

                        if (c == C_CPUACCT || c == C_FREEZER || c == C_DEVICES)
                                continue;
                        if ((c == C_MEMORY ? j->memory : c == C_CPU ? j->cpu : j->pids) != (int) i)
                                continue;
                        if (c == C_MEMORY && h->version == 1) {
                                _cleanup_free_ char *p = NULL;
                                if (asprintf(&p, "%s/memory.memsw.limit_in_bytes", h->dir) < 0) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                if (access(p, F_OK) == 0)
                                        have |= CGROUP_HAVE_MEMSW;
                        }
                        n = cgroup_limit_settings(controllers[c], h->version, have, l, s, &warn);
                        if (n < 0) {
                                r = n;
                                set_where(ret_where, h, j->head.path);
                                goto fail;
                        }
                        j->head.warnings |= warn;
                        ctl = cgroup_get_controller(h->cg, controllers[c]);
                        if (!ctl) {
                                r = -ENOENT;
                                goto fail;
                        }
                        /* written here in order, not by cgroup_modify_cgroup(),
                         * which re-reads /proc/mounts for every value */
                        for (int k = 0; k < n; k++) {
                                if (cgroup_add_value_string(ctl, s[k].file, s[k].value) != 0) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                r = cgroup_fs_write_file(h->dir, s[k].file, s[k].value);
                                if (r < 0) {
                                        set_where(ret_where, h, j->head.path);
                                        goto fail;
                                }
                        }
                }
                if (l->devices && (j->devices == (int) i || (j->devices < 0 && j->v2 == (int) i))) {
                        r = set_devices(h, l->devices);
                        if (r < 0) {
                                set_where(ret_where, h, j->head.path);
                                goto fail;
                        }
                }
        }
        *ret = &j->head;
        return 0;

fail:
        (void) fs_remove(&j->head, NULL);
        fsjob_free(&j->head);
        return r;
}

static int fs_open(const char *parent, const char *name, CgroupJob **ret) {
        FsJob *j = NULL;
        bool any = false;
        int r;

        r = fsjob_new(parent, name, &j);
        if (r < 0)
                return r;
        r = discover(j, 0, NULL);
        if (r < 0) {
                fsjob_free(&j->head);
                return r;
        }
        for (unsigned i = 0; i < j->n_hier; i++)
                if (access(j->hier[i].dir, F_OK) == 0)
                        any = j->hier[i].made = true;
        if (!any) {
                fsjob_free(&j->head);
                return -ENOENT;
        }
        *ret = &j->head;
        return 0;
}

/* A cgroup path as systemd names units' cgroups: "/" then components of
 * unit-name characters (with its "\x2d" escapes), none "." or "..", at
 * least two of them. */
static bool unit_cgroup_path_valid(const char *path) {
        size_t n = 0, parts = 0;

        if (path[0] != '/' || strlen(path) > PATH_MAX / 2)
                return false;
        for (const char *c = path + 1;; c++) {
                if (*c == '/' || *c == '\0') {
                        if (n == 0 || (n == 1 && c[-1] == '.') || (n == 2 && c[-1] == '.' && c[-2] == '.'))
                                return false;
                        parts++;
                        n = 0;
                        if (*c == '\0')
                                break;
                        continue;
                }
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      strchr("_.-:@\\", *c)))
                        return false;
                n++;
        }
        return parts >= 2;
}

int cgroup_fs_open_path(const char *path, pid_t spare, CgroupJob **ret) {
        _cleanup_free_ char *parent = NULL;
        const char *slash;
        CgroupJob *j = NULL;
        int r;

        /* "/a.slice/b.scope": parent "a.slice", name "b.scope"; systemd
         * escapes "-" in a slice name as "\x2d", which cgjob_parent_valid()
         * would refuse */
        if (!unit_cgroup_path_valid(path))
                return -EINVAL;
        slash = strrchr(path, '/');
        parent = strndup(path + 1, (size_t) (slash - path - 1));
        if (!parent)
                return -ENOMEM;
        r = fs_open(parent, slash + 1, &j);
        if (r < 0)
                return r;
        ((FsJob *) j)->spare = spare;
        *ret = j;
        return 0;
}

static int fs_clone_fd(CgroupJob *head) {
        FsJob *j = (FsJob *) head;
        int fd;

        /* CLONE_INTO_CGROUP places the child in one v2 cgroup; only when
         * every hierarchy of the job is that one can it replace attaching */
        if (j->v2 < 0 || !j->hier[j->v2].made)
                return -EOPNOTSUPP;
        /* (a v1 devices hierarchy the job did not join does not count) */
        for (unsigned i = 0; i < j->n_hier; i++)
                if (j->hier[i].made && (int) i != j->v2)
                        return -EOPNOTSUPP;
        fd = open(j->hier[j->v2].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static int fs_attach(CgroupJob *head, pid_t pid, char **ret_where) {
        FsJob *j = (FsJob *) head;

        int r = libcg_init();

        if (r < 0)
                return r;
        for (unsigned i = 0; i < j->n_hier; i++) {
                if (!j->hier[i].made)
                        continue;
                r = cg_errno(cgroup_attach_task_pid(j->hier[i].cg, pid));
                if (r < 0) {
                        set_where(ret_where, &j->hier[i], head->path);
                        return r;
                }
        }
        return 0;
}

static int fs_self_attach_fds(CgroupJob *head, bool with_clone_fd, int *ret_fds, size_t n_max, char **ret_where) {
        FsJob *j = (FsJob *) head;
        size_t n = 0;

        for (unsigned i = 0; i < j->n_hier; i++) {
                const Hier *h = &j->hier[i];
                _cleanup_free_ char *p = NULL;
                int fd, r;

                if (!h->made || (h->version == 2 && with_clone_fd))
                        continue;
                if (h->version == 2 || n >= n_max) {
                        r = -EOPNOTSUPP;
                        goto fail;
                }
                if (asprintf(&p, "%s/tasks", h->dir) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                /* CLOEXEC: the child gets it through clone, not exec */
                fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = negative_errno();
                        set_where(ret_where, h, head->path);
                        goto fail;
                }
                ret_fds[n++] = fd;
                continue;
        fail:
                while (n > 0)
                        (void) close(ret_fds[--n]);
                return r;
        }
        return (int) n;
}

/* The hierarchy whose cgroup.procs lists the job's processes. */
static const Hier *tracking(FsJob *j) {
        int order[] = { j->v2, j->freezer, j->pids, j->memory, j->cpu, j->cpuacct, j->devices };
        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (order[i] >= 0 && j->hier[order[i]].made)
                        return &j->hier[order[i]];
        return NULL;
}

/* Calls kill(pid, sig) for every pid in the tracking cgroup; returns the
 * number of processes found. */
static int signal_procs(FsJob *j, int sig) {
        const Hier *h = tracking(j);
        _cleanup_free_ char *p = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char line[32];
        int n = 0;

        if (!h)
                return 0;
        if (asprintf(&p, "%s/cgroup.procs", h->dir) < 0)
                return -ENOMEM;
        f = fopen(p, "re");
        if (!f)
                return errno == ENOENT ? 0 : negative_errno();
        while (fgets(line, sizeof line, f)) {
                pid_t pid;
                line[strcspn(line, "\n")] = '\0';
                if (parse_pid(line, &pid) < 0 || (j->spare > 0 && pid == j->spare))
                        continue;
                n++;
                if (sig > 0)
                        (void) kill(pid, sig);
        }
        return n;
}

static int fs_signal(CgroupJob *head, int sig) {
        return signal_procs((FsJob *) head, sig);
}

static uint64_t now_usec(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static int fs_kill(CgroupJob *head, uint64_t timeout_usec) {
        FsJob *j = (FsJob *) head;
        const Hier *v2 = j->v2 >= 0 && j->hier[j->v2].made ? &j->hier[j->v2] : NULL;
        const Hier *fz = j->freezer >= 0 && j->hier[j->freezer].made ? &j->hier[j->freezer] : NULL;
        uint64_t deadline = now_usec() + timeout_usec;
        bool frozen = false;
        int n;

        n = signal_procs(j, 0);
        if (n <= 0)
                return n;

        /* v2 (5.14+): one write kills every process, no race with forks;
         * not where a spare process must live on */
        if (v2 && j->spare <= 0 && cgroup_fs_write_file(v2->dir, "cgroup.kill", "1") == 0)
                goto wait;

        /* Otherwise stop the whole group first so that a fork bomb cannot
         * outrun the killing, then kill, then thaw so the kills land. */
        if (v2)
                frozen = cgroup_fs_write_file(v2->dir, "cgroup.freeze", "1") == 0;
        else if (fz && cgroup_fs_write_file(fz->dir, "freezer.state", "FROZEN") == 0) {
                char st[32];
                frozen = true;
                while (now_usec() < deadline) {
                        if (cgroup_fs_read_file(fz->dir, "freezer.state", st, sizeof st) < 0 ||
                            strncmp(st, "FROZEN", 6) == 0)
                                break;
                        (void) usleep(1000);
                }
        }
        (void) signal_procs(j, SIGKILL);
        if (frozen) {
                if (v2)
                        (void) cgroup_fs_write_file(v2->dir, "cgroup.freeze", "0");
                else
                        (void) cgroup_fs_write_file(fz->dir, "freezer.state", "THAWED");
        }

wait:
        for (;;) {
                n = signal_procs(j, SIGKILL);
                if (n <= 0)
                        return n;
                if (now_usec() >= deadline)
                        return -ETIME;
                (void) usleep(2000);
        }
}

static int fs_usage(CgroupJob *head, CgroupUsage *ret) {
        FsJob *j = (FsJob *) head;
        CgroupUsage u = {
                .memory_peak = CGROUP_USAGE_UNKNOWN,
                .cpu_user_usec = CGROUP_USAGE_UNKNOWN,
                .cpu_system_usec = CGROUP_USAGE_UNKNOWN,
                .oom_kills = CGROUP_USAGE_UNKNOWN,
        };

        if (j->memory >= 0 && j->hier[j->memory].made) {
                const Hier *h = &j->hier[j->memory];
                if (h->version == 2) {
                        u.memory_peak = read_u64(h->dir, "memory.peak");
                        u.oom_kills = read_key(h->dir, "memory.events", "oom_kill");
                } else {
                        u.memory_peak = read_u64(h->dir, "memory.max_usage_in_bytes");
                        u.oom_kills = read_key(h->dir, "memory.oom_control", "oom_kill");
                }
        }
        if (j->v2 >= 0 && j->hier[j->v2].made) {
                /* cpu.stat exists on every v2 cgroup, cpu controller or not */
                const Hier *h = &j->hier[j->v2];
                u.cpu_user_usec = read_key(h->dir, "cpu.stat", "user_usec");
                u.cpu_system_usec = read_key(h->dir, "cpu.stat", "system_usec");
        } else if (j->cpuacct >= 0 && j->hier[j->cpuacct].made) {
                const Hier *h = &j->hier[j->cpuacct];
                uint64_t us = read_u64(h->dir, "cpuacct.usage_user"), sy = read_u64(h->dir, "cpuacct.usage_sys");
                if (us != CGROUP_USAGE_UNKNOWN)
                        u.cpu_user_usec = us / NSEC_PER_USEC;
                if (sy != CGROUP_USAGE_UNKNOWN)
                        u.cpu_system_usec = sy / NSEC_PER_USEC;
        }
        *ret = u;
        return 0;
}

const CgroupBackend cgroup_backend_cgroupfs = {
        .name = "cgroupfs",
        .prepare = fs_prepare,
        .state_key = fs_state_key,
        .state_save = fs_state_save,
        .state_restore = fs_state_restore,
        .create = fs_create,
        .open = fs_open,
        .clone_fd = fs_clone_fd,
        .attach = fs_attach,
        .self_attach_fds = fs_self_attach_fds,
        .signal = fs_signal,
        .kill = fs_kill,
        .usage = fs_usage,
        .remove = fs_remove,
        .free = fsjob_free,
};
