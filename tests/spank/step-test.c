/* SPDX-License-Identifier: GPL-2.0-or-later */
/* step-test.c — spank/step.c (the containment of one Slurm step) without
 * Slurm, as root: the step is prepared as slurmstepd does it, then two
 * forked "tasks" join it, take a uid of the test range as Slurm's setuid
 * would, lock down and report what the kernel says. Checks: the namespaces
 * made and those reported as not applied; both tasks in one mount
 * namespace that is not ours, with one private /tmp (a file one task
 * writes, the other sees, and we do not) and the policy's hostname; the
 * lock-down (Seccomp 2, NoNewPrivs 1, no capability); the helper process
 * gone; a set-up failure reported with its cause. Prints TAP; run by
 * tests/integration/spank-step.t. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "policy.h"
#include "step.h"
#include "strv.h"
#include "tap.h"

#define TEST_UID 61992

static Policy *load(const char *name) {
        const char *src = getenv("CORRAL_SRC");
        char dir[PATH_MAX];
        ConfDiags d = { 0 };
        Policy *p = NULL;

        snprintf(dir, sizeof dir, "%s/policies", src ? src : ".");
        if (policy_load(dir, name, 0, &p, &d) < 0) {
                printf("Bail out! cannot load policy %s from %s\n", name, dir);
                exit(1);
        }
        conf_diags_clear(&d);
        return p;
}

typedef struct Seen {
        char mntns[64];
        dev_t tmp_dev;
        char hostname[65];
        int other_file; /* 1: the other task's file in /tmp is there */
        char status[4096];
        char join_msg[256], lock_msg[256];
        int join_r, lock_r;
} Seen;

/* a task: join, write /tmp/task-N, wait for the other one's (the
 * parent says when both wrote), setuid as Slurm would, lock down, report */
static void task(SpankStep *s, int id, int out_fd, int go_fd) {
        Seen seen = { 0 };
        char **warnings = NULL;
        char *msg = NULL, path[64], c;
        struct stat st;
        FILE *f;

        seen.join_r = spank_step_join(s, &warnings, &msg);
        strv_free(warnings);
        if (msg)
                snprintf(seen.join_msg, sizeof seen.join_msg, "%s", msg);
        free(msg);
        msg = NULL;
        if (readlink("/proc/self/ns/mnt", seen.mntns, sizeof seen.mntns - 1) < 0)
                seen.mntns[0] = '\0';
        if (stat("/tmp", &st) == 0)
                seen.tmp_dev = st.st_dev;
        (void) gethostname(seen.hostname, sizeof seen.hostname - 1);
        snprintf(path, sizeof path, "/tmp/corraltest-task-%d", id);
        f = fopen(path, "w");
        if (f)
                fclose(f);
        if (write(out_fd, "w", 1) != 1 || read(go_fd, &c, 1) != 1)
                _exit(3);
        snprintf(path, sizeof path, "/tmp/corraltest-task-%d", 1 - id);
        seen.other_file = access(path, F_OK) == 0;
        if (setgroups(0, NULL) < 0 || setresgid(TEST_UID, TEST_UID, TEST_UID) < 0 ||
            setresuid(TEST_UID, TEST_UID, TEST_UID) < 0)
                _exit(4);
        seen.lock_r = spank_step_lockdown(s, &msg);
        if (msg)
                snprintf(seen.lock_msg, sizeof seen.lock_msg, "%s", msg);
        f = fopen("/proc/self/status", "r");
        if (f) {
                size_t k = fread(seen.status, 1, sizeof seen.status - 1, f);
                seen.status[k] = '\0';
                fclose(f);
        }
        if (write(out_fd, &seen, sizeof seen) != (ssize_t) sizeof seen)
                _exit(5);
        _exit(0);
}

static bool has_line(const char *status, const char *line) {
        const char *p = strstr(status, line);
        return p && (p == status || p[-1] == '\n');
}

int main(void) {
        Policy *p = load("default");
        SpankStep *s = NULL;
        char *msg = NULL, buf[64], own_ns[64] = "";
        const char *warning = NULL;
        Seen seen[2];
        int out[2][2], go[2][2], r;
        pid_t pid[2];

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root\n");
                return 0;
        }
        printf("1..17\n");

        r = spank_step_prepare(p, TEST_UID, TEST_UID, NULL, &s, &msg, &warning);
        ok(r == 0, "the step is prepared under the default policy");
        if (r < 0) {
                printf("# %s\n", msg ? msg : "?");
                printf("Bail out! cannot prepare the step\n");
                return 1;
        }
        spank_ns_names(spank_step_namespaces(s), buf, sizeof buf);
        ok(strcmp(buf, "mount, IPC, UTS") == 0, "it made the mount, IPC and UTS namespaces");
        spank_ns_names(spank_step_skipped(s), buf, sizeof buf);
        ok(strcmp(buf, "user, PID") == 0, "user and PID (asked by the policy) are reported as not applied");
        ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the namespace helper is gone");

        for (int i = 0; i < 2; i++) {
                if (pipe(out[i]) < 0 || pipe(go[i]) < 0)
                        return 1;
                pid[i] = fork();
                if (pid[i] == 0)
                        task(s, i, out[i][1], go[i][0]);
        }
        /* both wrote their file, then both look for the other's */
        for (int i = 0; i < 2; i++)
                ok(read(out[i][0], buf, 1) == 1, "a task joined and wrote its file");
        for (int i = 0; i < 2; i++)
                if (write(go[i][1], "g", 1) != 1)
                        return 1;
        for (int i = 0; i < 2; i++) {
                ssize_t got = 0;
                while (got < (ssize_t) sizeof seen[i]) {
                        ssize_t k = read(out[i][0], (char *) &seen[i] + got, sizeof seen[i] - (size_t) got);
                        if (k <= 0)
                                break;
                        got += k;
                }
                if (got != (ssize_t) sizeof seen[i])
                        memset(&seen[i], 0, sizeof seen[i]);
                (void) waitpid(pid[i], NULL, 0);
        }
        if (readlink("/proc/self/ns/mnt", own_ns, sizeof own_ns - 1) < 0)
                own_ns[0] = '\0';

        ok(seen[0].join_r == 0 && seen[1].join_r == 0, "both tasks joined the step");
        if (seen[0].join_r || seen[1].join_r)
                printf("# %s | %s\n", seen[0].join_msg, seen[1].join_msg);
        ok(seen[0].mntns[0] && strcmp(seen[0].mntns, seen[1].mntns) == 0, "both tasks are in the same mount namespace");
        ok(strcmp(seen[0].mntns, own_ns) != 0, "which is not slurmstepd's (ours)");
        ok(seen[0].tmp_dev == seen[1].tmp_dev, "they have the same /tmp");
        ok(seen[0].other_file && seen[1].other_file, "each sees the file the other wrote in /tmp");
        ok(access("/tmp/corraltest-task-0", F_OK) < 0, "which is not in our /tmp");
        ok(strcmp(seen[0].hostname, "corral-job") == 0, "the tasks have the policy's hostname");
        ok(seen[0].lock_r == 0 && seen[1].lock_r == 0, "both tasks locked down");
        if (seen[0].lock_r || seen[1].lock_r)
                printf("# %s | %s\n", seen[0].lock_msg, seen[1].lock_msg);
        ok(has_line(seen[0].status, "Seccomp:\t2\n") && has_line(seen[0].status, "NoNewPrivs:\t1\n"),
           "Seccomp 2 and NoNewPrivs 1 after the lock-down");
        ok(has_line(seen[0].status, "CapInh:\t0000000000000000\n") &&
                   has_line(seen[0].status, "CapPrm:\t0000000000000000\n") &&
                   has_line(seen[0].status, "CapEff:\t0000000000000000\n") &&
                   has_line(seen[0].status, "CapBnd:\t0000000000000000\n") &&
                   has_line(seen[0].status, "CapAmb:\t0000000000000000\n"),
           "no capability in any set");
        spank_step_free(s);

        /* a set-up that fails in the helper: a hostname the kernel refuses */
        free(p->hostname);
        p->hostname = strdup("corraltest-a-hostname-much-longer-than-the-sixty-four-bytes-the-kernel-takes");
        s = NULL;
        free(msg);
        msg = NULL;
        r = spank_step_prepare(p, TEST_UID, TEST_UID, NULL, &s, &msg, &warning);
        ok(r < 0 && s == NULL && msg && strstr(msg, "cannot set the hostname"),
           "a failing set-up is refused, with its cause");
        printf("# %s\n", msg ? msg : "(no message)");
        free(msg);
        policy_free(p);
        return tap_failed ? 1 : 0;
}
