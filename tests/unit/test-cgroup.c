/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-cgroup.c — the pure half of lib/cgroup.c: corral's own v1 <-> v2
 * mapping from limits to controller files, and the job/parent name checks
 * that keep a cgroup path from leaving the corral parent, and the systemd
 * backend's unit names and StartTransientUnit properties. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "cgroup.h"
#include "devices.h"
#include "strv.h"

static const CgroupLimits none = {
        .memory = CGROUP_LIMIT_MAX,
        .swap = CGROUP_LIMIT_MAX,
        .cpus = CGROUP_LIMIT_MAX,
        .tasks = CGROUP_LIMIT_MAX,
};

START_TEST(test_memory_v1) {
        CgroupLimits l = none;
        CgroupSetting s[CGROUP_SETTINGS_MAX];
        unsigned warn = 99;

        l.memory = 4ULL << 30;
        l.swap = 0;
        ck_assert_int_eq(cgroup_limit_settings("memory", 1, CGROUP_HAVE_MEMSW, &l, s, &warn), 2);
        /* limit_in_bytes first: memsw may never be below it */
        ck_assert_str_eq(s[0].file, "memory.limit_in_bytes");
        ck_assert_str_eq(s[0].value, "4294967296");
        ck_assert_str_eq(s[1].file, "memory.memsw.limit_in_bytes");
        ck_assert_str_eq(s[1].value, "4294967296");
        ck_assert_uint_eq(warn, 0);

        l.swap = 1ULL << 30;
        ck_assert_int_eq(cgroup_limit_settings("memory", 1, CGROUP_HAVE_MEMSW, &l, s, &warn), 2);
        ck_assert_str_eq(s[1].value, "5368709120"); /* memory + swap */

        /* no memsw (swapaccount=0): memory only, and a warning */
        ck_assert_int_eq(cgroup_limit_settings("memory", 1, 0, &l, s, &warn), 1);
        ck_assert_str_eq(s[0].file, "memory.limit_in_bytes");
        ck_assert_uint_eq(warn, CGROUP_WARN_SWAP);

        /* overflow of memory + swap */
        l.memory = UINT64_MAX - 10;
        l.swap = 100;
        ck_assert_int_eq(cgroup_limit_settings("memory", 1, CGROUP_HAVE_MEMSW, &l, s, &warn), -ERANGE);
}
END_TEST

START_TEST(test_memory_v2) {
        CgroupLimits l = none;
        CgroupSetting s[CGROUP_SETTINGS_MAX];
        unsigned warn = 99;

        l.memory = 64ULL << 20;
        l.swap = 0;
        ck_assert_int_eq(cgroup_limit_settings("memory", 2, 0, &l, s, &warn), 2);
        ck_assert_str_eq(s[0].file, "memory.max");
        ck_assert_str_eq(s[0].value, "67108864");
        ck_assert_str_eq(s[1].file, "memory.swap.max"); /* v2: swap on its own */
        ck_assert_str_eq(s[1].value, "0");
        ck_assert_uint_eq(warn, 0);

        ck_assert_int_eq(cgroup_limit_settings("memory", 2, 0, &none, s, &warn), 0);
}
END_TEST

START_TEST(test_cpu_and_pids) {
        CgroupLimits l = none;
        CgroupSetting s[CGROUP_SETTINGS_MAX];

        l.cpus = 1500; /* 1.5 CPUs */
        ck_assert_int_eq(cgroup_limit_settings("cpu", 1, 0, &l, s, NULL), 2);
        ck_assert_str_eq(s[0].file, "cpu.cfs_period_us");
        ck_assert_str_eq(s[0].value, "100000");
        ck_assert_str_eq(s[1].file, "cpu.cfs_quota_us");
        ck_assert_str_eq(s[1].value, "150000");
        ck_assert_int_eq(cgroup_limit_settings("cpu", 2, 0, &l, s, NULL), 1);
        ck_assert_str_eq(s[0].file, "cpu.max");
        ck_assert_str_eq(s[0].value, "150000 100000");
        l.cpus = 1; /* 0.001 CPU: the kernel's minimum quota is 1 ms */
        ck_assert_int_eq(cgroup_limit_settings("cpu", 2, 0, &l, s, NULL), 1);
        ck_assert_str_eq(s[0].value, "1000 100000");

        l.tasks = 512;
        ck_assert_int_eq(cgroup_limit_settings("pids", 1, 0, &l, s, NULL), 1);
        ck_assert_str_eq(s[0].file, "pids.max");
        ck_assert_str_eq(s[0].value, "512");
        ck_assert_int_eq(cgroup_limit_settings("pids", 2, 0, &l, s, NULL), 1);
        ck_assert_int_eq(cgroup_limit_settings("pids", 2, 0, &none, s, NULL), 0);

        ck_assert_int_eq(cgroup_limit_settings("blkio", 1, 0, &l, s, NULL), -EOPNOTSUPP);
        ck_assert_int_eq(cgroup_limit_settings("pids", 3, 0, &l, s, NULL), -EINVAL);
}
END_TEST

START_TEST(test_names) {
        ck_assert(cgjob_name_valid("job-12"));
        ck_assert(cgjob_name_valid("job-4711.array_3"));
        ck_assert(!cgjob_name_valid(""));
        ck_assert(!cgjob_name_valid("."));
        ck_assert(!cgjob_name_valid(".."));
        ck_assert(!cgjob_name_valid("a/b"));
        ck_assert(!cgjob_name_valid("a b"));
        ck_assert(!cgjob_name_valid("job\n"));

        ck_assert(cgjob_parent_valid("corral"));
        ck_assert(cgjob_parent_valid("batch/corral"));
        ck_assert(!cgjob_parent_valid(""));
        ck_assert(!cgjob_parent_valid("/corral"));
        ck_assert(!cgjob_parent_valid("corral/"));
        ck_assert(!cgjob_parent_valid("a//b"));
        ck_assert(!cgjob_parent_valid("corral/../.."));
        ck_assert(!cgjob_parent_valid(".."));
}
END_TEST

/* The one name of a job's cgroup, for corral-launch, corrald and the epilogue. */
START_TEST(test_job_cgroup_name) {
        char buf[64], small[8];

        ck_assert_int_eq(job_cgroup_name(NULL, "12", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "job-12");
        ck_assert_int_eq(job_cgroup_name("corral", "4711-0000abcd", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "corral/job-4711-0000abcd");
        ck_assert_int_eq(job_cgroup_name("/batch/corral", "7", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "/batch/corral/job-7");
        ck_assert_int_eq(job_cgroup_name_num(NULL, 42, sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "job-42");
        ck_assert_int_eq(job_cgroup_name_num("corral", INT64_MAX, sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "corral/job-9223372036854775807");
        /* what corrald makes, corral-launch makes from the same id */
        char a[64], b[64];
        ck_assert_int_eq(job_cgroup_name_num("corral", 31337, sizeof a, a), 0);
        ck_assert_int_eq(job_cgroup_name("corral", "31337", sizeof b, b), 0);
        ck_assert_str_eq(a, b);

        /* an id that would leave the parent or is not a name: refused */
        strcpy(buf, "untouched");
        ck_assert_int_eq(job_cgroup_name("corral", "../x", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(job_cgroup_name("corral", "a/b", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(job_cgroup_name(NULL, "a b", sizeof buf, buf), -EINVAL);
        char longid[CGROUP_NAME_MAX + 1];
        memset(longid, 'x', sizeof longid - 1);
        longid[sizeof longid - 1] = '\0';
        ck_assert_int_eq(job_cgroup_name(NULL, longid, sizeof buf, buf), -EINVAL);
        ck_assert_str_eq(buf, "untouched");
        /* too small a buffer: an error, never a truncated name */
        strcpy(small, "same");
        ck_assert_int_eq(job_cgroup_name(NULL, "1234", sizeof small, small), -ENAMETOOLONG);
        ck_assert_int_eq(job_cgroup_name("corral", "1", sizeof small, small), -ENAMETOOLONG);
        ck_assert_str_eq(small, "same");
        ck_assert_int_eq(job_cgroup_name(NULL, "123", sizeof small, small), 0);
        ck_assert_str_eq(small, "job-123");
}
END_TEST

START_TEST(test_mounts_key) {
        const char *info =
                "22 27 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                "30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
                "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 "
                "rw,nsdelegate\n"
                "35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
                "rw,memory\n"
                "36 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
                "40 27 0:40 / /mnt/cgroupish rw - tmpfs cgroup rw\n";
        char *k = NULL, *k2 = NULL;

        ck_assert_int_eq(cgroup_mounts_key(info, &k), 0);
        ck_assert_str_eq(k, "cgroup2 /sys/fs/cgroup/unified / rw,nsdelegate\n"
                            "cgroup /sys/fs/cgroup/memory / rw,memory\n"
                            "cgroup /sys/fs/cgroup/cpu,cpuacct / rw,cpu,cpuacct\n");
        /* mount ids and mount options do not matter; what is mounted where does */
        ck_assert_int_eq(
                cgroup_mounts_key("99 30 0:31 / /sys/fs/cgroup/memory ro shared:1 - cgroup cgroup rw,memory", &k2), 0);
        ck_assert_str_eq(k2, "cgroup /sys/fs/cgroup/memory / rw,memory\n");
        free(k2);
        ck_assert_int_eq(cgroup_mounts_key("35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n", &k2), 0);
        ck_assert_str_ne(k2, "cgroup /sys/fs/cgroup/memory / rw,memory\n");
        free(k2);
        ck_assert_int_eq(cgroup_mounts_key("", &k2), 0);
        ck_assert_str_eq(k2, "");
        free(k2);
        ck_assert_int_eq(cgroup_mounts_key("35 30 0:31 / /sys/fs/cgroup/pids rw\n", &k2), -EBADMSG);
        ck_assert_int_eq(cgroup_mounts_key("garbage - cgroup\n", &k2), -EBADMSG);
        free(k);
}
END_TEST

START_TEST(test_state_restore) {
        const CgroupBackend *b = &cgroup_backend_cgroupfs;
        const char *good = "memory 1 /sys/fs/cgroup/memory\n"
                           "cpu 1 /sys/fs/cgroup/cpu,cpuacct\n"
                           "pids 2 /sys/fs/cgroup/unified dir\n";
        char *saved = NULL, *key = NULL;

        /* each test forks: this process's backend is not set up yet */
        ck_assert_int_eq(cgjob_backend_state_restore(b, "memory 3 /x\n"), -EBADMSG);
        ck_assert_int_eq(cgjob_backend_state_restore(b, "memory 1 relative\n"), -EBADMSG);
        ck_assert_int_eq(cgjob_backend_state_restore(b, "cpuset 1 /x\n"), -EBADMSG);
        ck_assert_int_eq(cgjob_backend_state_restore(b, "memory 1 /x\nmemory 1 /y\n"), -EBADMSG);
        ck_assert_int_eq(cgjob_backend_state_restore(b, "memory1/x\n"), -EBADMSG);
        ck_assert_int_eq(cgjob_backend_state_restore(b, good), 0);
        /* set up now: nothing to restore, and saving gives the same text
         * (in the backend's controller order) without libcgroup */
        ck_assert_int_eq(cgjob_backend_state_key(b, &key), -EALREADY);
        ck_assert_int_eq(cgjob_backend_state_save(b, &saved), 0);
        ck_assert_str_eq(saved, "memory 1 /sys/fs/cgroup/memory\n"
                                "cpu 1 /sys/fs/cgroup/cpu,cpuacct\n"
                                "pids 2 /sys/fs/cgroup/unified dir\n");
        free(saved);
}
END_TEST

START_TEST(test_systemd_names) {
        char buf[SYSTEMD_UNIT_NAME_MAX];

        ck_assert_int_eq(systemd_slice_name("corral", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "corral.slice");
        /* nesting is systemd's "-"; a "-" in a component is escaped */
        ck_assert_int_eq(systemd_slice_name("batch/corral", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "batch-corral.slice");
        ck_assert_int_eq(systemd_slice_name("my-jobs", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "my\\x2djobs.slice");
        /* a slice name is taken as it is (the last one of a path) */
        ck_assert_int_eq(systemd_slice_name("corral.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "corral.slice");
        ck_assert_int_eq(systemd_slice_name("batch.slice/batch-x.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "batch-x.slice");
        /* what the parent check refuses, and what does not fit */
        ck_assert_int_eq(systemd_slice_name("/corral", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_name("a/../b", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_name("corral", 12, buf), -ENAMETOOLONG);
        ck_assert_int_eq(systemd_slice_name("corral", 13, buf), 0);

        /* where systemd puts a slice's cgroup */
        ck_assert_int_eq(systemd_slice_path("corral.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "/corral.slice");
        ck_assert_int_eq(systemd_slice_path("batch-corral.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "/batch.slice/batch-corral.slice");
        ck_assert_int_eq(systemd_slice_path("my\\x2djobs.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "/my\\x2djobs.slice");
        ck_assert_int_eq(systemd_slice_path("-.slice", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "/");
        ck_assert_int_eq(systemd_slice_path("corral", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_path("a--b.slice", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_path("a-.slice", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_path("a/b.slice", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_slice_path("corral.slice", 13, buf), -ENAMETOOLONG);
        ck_assert_int_eq(systemd_slice_path("corral.slice", 14, buf), 0);

        /* where each backend puts a job, for the epilogue and the record */
        char parent[SYSTEMD_UNIT_NAME_MAX];
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_cgroupfs, "corral", "job-7", sizeof buf, buf, parent),
                         0);
        ck_assert_str_eq(buf, "/corral/job-7");
        ck_assert_str_eq(parent, "/corral");
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_systemd, "corral", "job-7", sizeof buf, buf, parent),
                         0);
        ck_assert_str_eq(buf, "/corral.slice/corral-job-7.scope");
        ck_assert_str_eq(parent, "/corral.slice");
        ck_assert_int_eq(
                cgjob_backend_job_path(&cgroup_backend_systemd, "batch/corral", "job-7", sizeof buf, buf, NULL), 0);
        ck_assert_str_eq(buf, "/batch.slice/batch-corral.slice/corral-job-7.scope");
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_cgroupfs, "corral", "job-7", 13, buf, NULL),
                         -ENAMETOOLONG);
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_cgroupfs, "corral", "job-7", 14, buf, NULL), 0);
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_cgroupfs, "/corral", "job-7", sizeof buf, buf, NULL),
                         -EINVAL);
        ck_assert_int_eq(cgjob_backend_job_path(&cgroup_backend_cgroupfs, "corral", "..", sizeof buf, buf, NULL),
                         -EINVAL);

        ck_assert_int_eq(systemd_scope_name("job-12", sizeof buf, buf), 0);
        ck_assert_str_eq(buf, "corral-job-12.scope");
        ck_assert_int_eq(systemd_scope_name("job-a/b", sizeof buf, buf), -EINVAL);
        ck_assert_int_eq(systemd_scope_name("job-12", 19, buf), -ENAMETOOLONG);
}
END_TEST

static const SystemdProperty *find_prop(const SystemdProperty *p, int n, const char *name) {
        for (int i = 0; i < n; i++)
                if (streq(p[i].name, name))
                        return &p[i];
        return NULL;
}

START_TEST(test_systemd_properties) {
        SystemdProperty p[SYSTEMD_PROPERTIES_MAX];
        CgroupLimits l = none;
        const SystemdProperty *q;
        unsigned warn = 99;
        int n;

        /* no limits: the fixed ones only */
        n = systemd_scope_properties("corral job 1", "corral.slice", &l, NULL, 1, true, p, &warn);
        ck_assert_int_eq(n, 7);
        ck_assert_uint_eq(warn, 0);
        q = find_prop(p, n, "Slice");
        ck_assert_ptr_nonnull(q);
        ck_assert_int_eq(q->type, 's');
        ck_assert_str_eq(q->s, "corral.slice");
        q = find_prop(p, n, "Delegate");
        ck_assert_ptr_nonnull(q);
        ck_assert_int_eq(q->type, 'b');
        ck_assert_uint_eq(q->u, 1);
        ck_assert_str_eq(find_prop(p, n, "CollectMode")->s, "inactive-or-failed");
        ck_assert_str_eq(find_prop(p, n, "Description")->s, "corral job 1");
        ck_assert_ptr_null(find_prop(p, n, "MemoryMax"));
        ck_assert_ptr_null(find_prop(p, n, "TasksMax"));

        /* every limit, cgroup v2 */
        l.memory = 4ULL << 30;
        l.swap = 1ULL << 30;
        l.cpus = 1500;
        l.tasks = 24;
        n = systemd_scope_properties("d", "corral.slice", &l, NULL, 1, true, p, &warn);
        ck_assert_int_eq(n, 11);
        ck_assert_uint_eq(warn, 0);
        q = find_prop(p, n, "MemoryMax");
        ck_assert_int_eq(q->type, 't');
        ck_assert_uint_eq(q->u, 4ULL << 30);
        ck_assert_uint_eq(find_prop(p, n, "MemorySwapMax")->u, 1ULL << 30); /* swap on its own, as v2 */
        ck_assert_uint_eq(find_prop(p, n, "CPUQuotaPerSecUSec")->u, 1500000); /* 1.5 CPUs */
        ck_assert_uint_eq(find_prop(p, n, "TasksMax")->u, 25); /* the keeper is one more task */

        /* v1: systemd sets no memsw, so swap is a warning, not a property */
        n = systemd_scope_properties("d", "corral.slice", &l, NULL, 0, false, p, &warn);
        ck_assert_int_eq(n, 10);
        ck_assert_uint_eq(warn, CGROUP_WARN_SWAP);
        ck_assert_ptr_null(find_prop(p, n, "MemorySwapMax"));
        ck_assert_uint_eq(find_prop(p, n, "TasksMax")->u, 24);

        /* the kernel's minimum quota (1 ms per 100 ms), as for cgroupfs */
        l.cpus = 1;
        n = systemd_scope_properties("d", "corral.slice", &l, NULL, 0, true, p, &warn);
        ck_assert_uint_eq(find_prop(p, n, "CPUQuotaPerSecUSec")->u, 10000);
        l.cpus = 0;
        ck_assert_int_eq(systemd_scope_properties("d", "corral.slice", &l, NULL, 0, true, p, &warn), -ERANGE);
        l.cpus = CGROUP_LIMIT_MAX;
        l.tasks = UINT64_MAX - 1;
        ck_assert_int_eq(systemd_scope_properties("d", "corral.slice", &l, NULL, 1, true, p, &warn), -ERANGE);
}
END_TEST

/* ---- the device cgroup ---- */

static DevNode test_nodes[] = {
        { .path = (char *) "/dev/null", .type = 'c', .major = 1, .minor = 3 },
        { .path = (char *) "/dev/pts", .type = 'c', .major = 136, .minor = DEV_ANY_MINOR, .systemd = "char-pts" },
        { .path = NULL, .type = 'c', .major = 137, .minor = DEV_ANY_MINOR, .systemd = "char-pts" },
        { .path = (char *) "/dev/sda", .type = 'b', .major = 8, .minor = 0 },
        /* the same device again (a link's path): no second block */
        { .path = (char *) "/dev/disk/by-id/x", .type = 'b', .major = 8, .minor = 0 },
        /* covered by 136:* */
        { .path = (char *) "/dev/pts/0", .type = 'c', .major = 136, .minor = 0 },
        { .path = (char *) "/dev/nvidia0", .type = 'c', .major = 195, .minor = 0 },
};
static const DevList test_list = { .v = test_nodes, .n = ELEMENTSOF(test_nodes) };

START_TEST(test_device_v1_lines) {
        char line[CGROUP_DEVICE_LINE_MAX];

        ck_assert_int_eq(cgroup_device_v1_line('c', 195, 0, line), 0);
        ck_assert_str_eq(line, "c 195:0 rwm");
        ck_assert_int_eq(cgroup_device_v1_line('c', 136, DEV_ANY_MINOR, line), 0);
        ck_assert_str_eq(line, "c 136:* rwm");
        ck_assert_int_eq(cgroup_device_v1_line('b', 4095, 1048575, line), 0);
        ck_assert_str_eq(line, "b 4095:1048575 rwm");
        ck_assert_int_eq(cgroup_device_v1_line('x', 1, 3, line), -EINVAL);
}
END_TEST

/* Runs a device program the way the kernel would, for the instructions
 * the generator uses; -1 for any other (the test fails). */
static int run_bpf(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
        struct bpf_cgroup_dev_ctx ctx = { .access_type = access << 16 | type, .major = major, .minor = minor };
        uint64_t r[11] = { 0 };

        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        if (i->src_reg != BPF_REG_1 || i->off < 0 || (size_t) i->off + 4 > sizeof ctx)
                                return -1;
                        memcpy((uint32_t *) &r[i->dst_reg], (const char *) &ctx + i->off, 4);
                        r[i->dst_reg] &= 0xffffffffu;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & (uint32_t) i->imm);
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = (uint64_t) (int64_t) i->imm;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (r[i->dst_reg] != (uint64_t) (int64_t) i->imm) {
                                if (i->off < 0)
                                        return -1; /* no loops */
                                pc += (size_t) i->off;
                        }
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int) r[BPF_REG_0];
                default:
                        return -1;
                }
        }
        return -1; /* fell off the end */
}

START_TEST(test_device_bpf) {
        struct bpf_insn *p = NULL;
        size_t n = 0;
        const uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
        const uint32_t RW = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;

        ck_assert_int_eq(cgroup_device_bpf_program(&test_list, &p, &n), 0);
        /* 4 loads, 1:3 (5), 136:* (4), 137:* (4), b 8:0 (5), 195:0 (5), deny (2) */
        ck_assert_uint_eq(n, 4 + 5 + 4 + 4 + 5 + 5 + 2);
        ck_assert_int_eq(p[n - 1].code, BPF_JMP | BPF_EXIT);
        ck_assert_int_eq(p[n - 2].imm, 0);

        ck_assert_int_eq(run_bpf(p, n, C, RW, 1, 3), 1);
        ck_assert_int_eq(run_bpf(p, n, C, M, 1, 3), 1);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 136, 0), 1);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 137, 99999), 1);
        ck_assert_int_eq(run_bpf(p, n, B, RW, 8, 0), 1);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 195, 0), 1);
        /* the wrong type, minor or major */
        ck_assert_int_eq(run_bpf(p, n, B, RW, 1, 3), 0);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 8, 0), 0);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 1, 11), 0);
        ck_assert_int_eq(run_bpf(p, n, B, RW, 8, 1), 0);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 195, 1), 0);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 10, 200), 0);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 138, 0), 0);
        free(p);

        /* an empty list denies everything */
        DevList empty = {};
        ck_assert_int_eq(cgroup_device_bpf_program(&empty, &p, &n), 0);
        ck_assert_uint_eq(n, 6);
        ck_assert_int_eq(run_bpf(p, n, C, RW, 1, 3), 0);
        free(p);

        DevNode bad = { .type = 'p', .major = 1, .minor = 1 };
        DevList bl = { .v = &bad, .n = 1 };
        ck_assert_int_eq(cgroup_device_bpf_program(&bl, &p, &n), -EINVAL);
}
END_TEST

START_TEST(test_device_systemd) {
        SystemdProperty p[SYSTEMD_PROPERTIES_MAX];
        CgroupLimits l = none;
        _cleanup_strv_free_ char **allow = NULL;
        const SystemdProperty *q;
        int n;

        ck_assert_int_eq(systemd_device_allow(&test_list, &allow), 0);
        /* paths, and "char-pts" once for its majors */
        ck_assert_uint_eq(strv_length(allow), 6);
        ck_assert_str_eq(allow[0], "/dev/null");
        ck_assert_str_eq(allow[1], "char-pts");
        ck_assert_str_eq(allow[2], "/dev/sda");
        ck_assert_str_eq(allow[3], "/dev/disk/by-id/x");
        ck_assert_str_eq(allow[4], "/dev/pts/0");
        ck_assert_str_eq(allow[5], "/dev/nvidia0");

        l.devices = &test_list;
        n = systemd_scope_properties("d", "corral.slice", &l, allow, 1, true, p, NULL);
        ck_assert_int_eq(n, 9);
        /* strict: "closed" would add systemd's own set */
        ck_assert_str_eq(find_prop(p, n, "DevicePolicy")->s, "strict");
        q = find_prop(p, n, "DeviceAllow");
        ck_assert_ptr_nonnull(q);
        ck_assert_int_eq(q->type, 'A');
        ck_assert_ptr_eq(q->strv, allow);
        /* no list: no device properties */
        n = systemd_scope_properties("d", "corral.slice", &l, NULL, 1, true, p, NULL);
        ck_assert_int_eq(n, 7);
        ck_assert_ptr_null(find_prop(p, n, "DevicePolicy"));
}
END_TEST

START_TEST(test_delegation_paths) {
        char *p = NULL;

        /* pure v2 */
        ck_assert_int_eq(cgroup_unit_path_from_proc("0::/corral.slice/corrald.service\n", &p), 0);
        ck_assert_str_eq(p, "/corral.slice/corrald.service");
        free(p);
        /* hybrid: the cgroup2 line, not a v1 controller's */
        ck_assert_int_eq(cgroup_unit_path_from_proc("9:name=systemd:/a.slice/b.service\n6:freezer:/\n"
                                                    "4:memory:/a.slice/b.service\n0::/a.slice/b.service/supervisor\n",
                                                    &p),
                         0);
        ck_assert_str_eq(p, "/a.slice/b.service/supervisor");
        free(p);
        /* pure v1 systemd */
        ck_assert_int_eq(cgroup_unit_path_from_proc("4:memory:/x\n1:name=systemd:/system.slice/c.service", &p), 0);
        ck_assert_str_eq(p, "/system.slice/c.service");
        free(p);
        ck_assert_int_eq(cgroup_unit_path_from_proc("4:memory:/x\n1:name=other:/y\n", &p), -ENOENT);
        ck_assert_int_eq(cgroup_unit_path_from_proc("", &p), -ENOENT);

        ck_assert_int_eq(cgroup_delegation_jobs_parent("/corral.slice/corrald.service", &p), 0);
        ck_assert_str_eq(p, "corral.slice/corrald.service/jobs");
        free(p);
        ck_assert_int_eq(cgroup_delegation_jobs_parent("/corrald.service", &p), 0);
        ck_assert_str_eq(p, "corrald.service/jobs");
        free(p);
        /* not a service, not a parent corral accepts (escapes, templates) */
        ck_assert_int_eq(cgroup_delegation_jobs_parent("/user.slice/session-2.scope", &p), -EINVAL);
        ck_assert_int_eq(cgroup_delegation_jobs_parent("/", &p), -EINVAL);
        ck_assert_int_eq(cgroup_delegation_jobs_parent("corrald.service", &p), -EINVAL);
        ck_assert_int_eq(cgroup_delegation_jobs_parent("/a\\x2db.slice/corrald.service", &p), -EINVAL);
        ck_assert_int_eq(cgroup_delegation_jobs_parent("/system.slice/corrald@x.service", &p), -EINVAL);

        /* process-wide: AUTO and CGROUPFS give cgroupfs, SYSTEMD stays */
        const CgroupBackend *b;
        ck_assert_int_eq(cgroup_delegation_set("../x"), -EINVAL);
        ck_assert_int_eq(cgroup_delegation_set("corral.slice/corrald.service/jobs"), 0);
        ck_assert_str_eq(cgroup_delegation_parent(), "corral.slice/corrald.service/jobs");
        ck_assert_int_eq(cgjob_backend_find(CGROUP_BACKEND_AUTO, &b), 0);
        ck_assert_ptr_eq(b, &cgroup_backend_cgroupfs);
        ck_assert_int_eq(cgjob_backend_find(CGROUP_BACKEND_SYSTEMD, &b), 0);
        ck_assert_ptr_eq(b, &cgroup_backend_systemd);
        ck_assert_int_eq(cgroup_delegation_set(NULL), 0);
        ck_assert_ptr_null(cgroup_delegation_parent());
}
END_TEST

Suite *cgroup_suite(void) {
        Suite *s = suite_create("cgroup");
        TCase *tc = tcase_create("mapping");
        tcase_add_test(tc, test_memory_v1);
        tcase_add_test(tc, test_memory_v2);
        tcase_add_test(tc, test_cpu_and_pids);
        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_job_cgroup_name);
        tcase_add_test(tc, test_mounts_key);
        tcase_add_test(tc, test_state_restore);
        tcase_add_test(tc, test_systemd_names);
        tcase_add_test(tc, test_systemd_properties);
        tcase_add_test(tc, test_delegation_paths);
        tcase_add_test(tc, test_device_v1_lines);
        tcase_add_test(tc, test_device_bpf);
        tcase_add_test(tc, test_device_systemd);
        suite_add_tcase(s, tc);
        return s;
}
