/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-proctable.c — lib/proctable.c: the stat/status parsers (hostile comm
 * names), cgroup path matching, a real snapshot of this process, and the
 * syscall table: an injected recycled PID is never signalled, injected ESRCH
 * and EPERM come back as errors; a pidfd by pid and start time is opened
 * only for the process that started then; identity: the real uid is read from status
 * (not the owner of /proc/PID, which is the effective uid), also again for
 * an entry a re-snapshot copies. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit-skip.h"

#include "proctable.h"

START_TEST(test_parse_stat) {
        ProcEntry e = {};
        const char *line = "1234 (bash) S 1 1234 1234 34816 5678 4194560 2000 0 0 0 10 5 0 0 20 0 1 0 987654 "
                           "10000000 500 18446744073709551615 1 1 0 0 0 0 65536 3686404 1266761467 0 0 0 17 1 0 0";
        ck_assert_int_eq(proc_parse_stat(line, &e), 0);
        ck_assert_int_eq(e.pid, 1234);
        ck_assert_str_eq(e.comm, "bash");
        ck_assert_int_eq(e.state, 'S');
        ck_assert_int_eq(e.ppid, 1);
        ck_assert_int_eq(e.pgid, 1234);
        ck_assert_int_eq(e.sid, 1234);
        ck_assert_uint_eq(e.start_time, 987654);
        ck_assert_uint_eq(e.num_threads, 1);
}
END_TEST

START_TEST(test_parse_stat_hostile_comm) {
        /* a job can name itself ") R 1 1 1 (" to confuse naive parsers */
        ProcEntry e = {};
        const char *line = "77 (a) R 1 1 1 (x) T 5 77 99 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0";
        ck_assert_int_eq(proc_parse_stat(line, &e), 0);
        ck_assert_str_eq(e.comm, "a) R 1 1 1 (x");
        ck_assert_int_eq(e.state, 'T');
        ck_assert_int_eq(e.ppid, 5);
        ck_assert_int_eq(e.pgid, 77);
        ck_assert_int_eq(e.sid, 99);
        ck_assert_uint_eq(e.start_time, 4242);
}
END_TEST

START_TEST(test_parse_stat_malformed) {
        ProcEntry e = {};
        ck_assert_int_eq(proc_parse_stat("", &e), -EINVAL);
        ck_assert_int_eq(proc_parse_stat("12 (x", &e), -EINVAL);
        ck_assert_int_eq(proc_parse_stat("12 (x) S 1 2", &e), -EINVAL);
        ck_assert_int_eq(proc_parse_stat("x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", &e), -EINVAL);
}
END_TEST

START_TEST(test_parse_stat_control_chars) {
        /* prctl(PR_SET_NAME, "x\ny") must not forge a log line */
        ProcEntry e = {};
        ck_assert_int_eq(proc_parse_stat("9 (x\ny) Z 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 77 0 0", &e), 0);
        ck_assert_str_eq(e.comm, "x?y");
        ck_assert_uint_eq(e.num_threads, 3);
        ck_assert(!proc_entry_dead(&e)); /* a zombie leader with live threads */
        e.num_threads = 1;
        ck_assert(proc_entry_dead(&e));
}
END_TEST

START_TEST(test_parse_status) {
        uid_t r = 1, e = 1;
        const char *s = "Name:\tsudo\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t61741\t0\t0\t0\nGid:\t1\t1\t1\t1\n";
        ck_assert_int_eq(proc_parse_status_uids(s, &r, &e), 0);
        ck_assert_uint_eq(r, 61741);
        ck_assert_uint_eq(e, 0);
        ck_assert_int_eq(proc_parse_status_uids("Name:\tx\n", &r, &e), -EINVAL);
        ck_assert_int_eq(proc_parse_status_uids("Uid:\tabc\t0\n", &r, &e), -EINVAL);
}
END_TEST

START_TEST(test_parse_status_ids) {
        uid_t ids[4] = { 1, 1, 1, 1 };
        ck_assert_int_eq(proc_parse_status_ids("Name:\tslurmstepd\nUid:\t0\t64030\t0\t64030\nGid:\t0\n", ids), 0);
        ck_assert_uint_eq(ids[0], 0);
        ck_assert_uint_eq(ids[1], 64030);
        ck_assert_uint_eq(ids[2], 0);
        ck_assert_uint_eq(ids[3], 64030);
        /* three fields, a junk field, a negative one, an overflow */
        ck_assert_int_eq(proc_parse_status_ids("Uid:\t0\t1\t2\n", ids), -EINVAL);
        ck_assert_int_eq(proc_parse_status_ids("Uid:\t0\t1x\t2\t3\n", ids), -EINVAL);
        ck_assert_int_eq(proc_parse_status_ids("Uid:\t0\t-1\t2\t3\n", ids), -EINVAL);
        ck_assert_int_eq(proc_parse_status_ids("Uid:\t0\t4294967295\t2\t3\n", ids), -EINVAL);
}
END_TEST

START_TEST(test_parse_pid_list) {
        _cleanup_free_ pid_t *l = NULL;
        size_t n = 9;

        ck_assert_int_eq(proc_parse_pid_list("30 3 4 1200 \n", false, &l, &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_int_eq(l[0], 3);
        ck_assert_int_eq(l[1], 4);
        ck_assert_int_eq(l[2], 30);
        ck_assert_int_eq(l[3], 1200);
        free(l);
        l = NULL;
        /* the end of a longer text: its last number may be cut short */
        ck_assert_int_eq(proc_parse_pid_list("3 4 12", true, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(l[1], 4);
        free(l);
        l = NULL;
        ck_assert_int_eq(proc_parse_pid_list("3 4 12 ", true, &l, &n), 0);
        ck_assert_uint_eq(n, 3);
        free(l);
        l = NULL;
        ck_assert_int_eq(proc_parse_pid_list("", false, &l, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(l);
        ck_assert_int_eq(proc_parse_pid_list("3 x4", false, &l, &n), -EINVAL);
        ck_assert_int_eq(proc_parse_pid_list("3 0", false, &l, &n), -EINVAL);
        ck_assert_int_eq(proc_parse_pid_list("99999999999", false, &l, &n), -EINVAL);
}
END_TEST

START_TEST(test_cgroup_under) {
        const char *t = "12:pids:/corral/job-7/sub\n11:memory:/user.slice\n0::/\n";
        ck_assert(proc_cgroup_text_under(t, "/corral/job-7"));
        ck_assert(proc_cgroup_text_under(t, "/corral"));
        ck_assert(proc_cgroup_text_under(t, "/corral/"));
        ck_assert(!proc_cgroup_text_under(t, "/corral/job-70"));
        ck_assert(!proc_cgroup_text_under(t, "/corral/job"));
        ck_assert(!proc_cgroup_text_under(t, "/other"));
        ck_assert(!proc_cgroup_text_under(NULL, "/corral"));
}
END_TEST

START_TEST(test_snapshot_self) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *me, *parent;

        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        ck_assert_uint_gt(t->n, 1);
        for (size_t i = 1; i < t->n; i++)
                ck_assert_int_lt(t->entries[i - 1].pid, t->entries[i].pid);
        me = proctable_find(t, getpid());
        ck_assert_ptr_nonnull(me);
        ck_assert_uint_eq(me->owner, geteuid());
        ck_assert_int_eq(proc_entry_load(t, me, PROC_LOAD_STAT | PROC_LOAD_CMDLINE | PROC_LOAD_CGROUP | PROC_LOAD_IDS),
                         0);
        ck_assert(me->have_ids);
        ck_assert_uint_eq(me->uid, getuid());
        ck_assert_uint_eq(me->euid, geteuid());
        ck_assert_int_eq(me->ppid, getppid());
        ck_assert_int_eq(me->sid, getsid(0));
        ck_assert_int_eq(me->state, 'R');
        ck_assert_ptr_nonnull(me->cmdline);
        ck_assert_ptr_nonnull(me->cgroup);
        parent = proctable_parent(t, me);
        ck_assert_ptr_nonnull(parent);
        ck_assert_int_eq(parent->pid, getppid());
        ck_assert(proctable_is_ancestor(t, parent, me));
        ck_assert(!proctable_is_ancestor(t, me, parent));
}
END_TEST

/* ---- fault injection through proc_syscalls ---- */

static pid_t victim_pid;

static int (*real_stat_ino)(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid);

/* /proc/VICTIM is another inode: a new process has the PID */
static int stat_ino_recycled(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid) {
        char want[16];
        int r = real_stat_ino(dirfd, path, ret_ino, ret_uid);
        (void) snprintf(want, sizeof want, "%d", (int) victim_pid);
        if (r == 0 && strcmp(path, want) == 0)
                (*ret_ino)++;
        return r;
}

static int pidfd_open_esrch(pid_t pid) {
        (void) pid;
        return -ESRCH;
}

static int signal_eperm(int pidfd, int sig) {
        (void) pidfd;
        (void) sig;
        return -EPERM;
}

static pid_t spawn_sleeper(void) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static bool process_alive(pid_t pid) {
        return waitpid(pid, NULL, WNOHANG) == 0;
}

START_TEST(test_recycled_pid_not_signalled) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *e;
        int fd = -1;

        if (unit_skip_unless_pidfd(__func__))
                return;

        victim_pid = spawn_sleeper();
        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, victim_pid);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT), 0);

        /* from now on /proc says the PID belongs to a newer process */
        real_stat_ino = proc_syscalls.stat_ino;
        proc_syscalls.stat_ino = stat_ino_recycled;
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), -ESTALE);
        ck_assert_int_eq(fd, -1);
        proc_syscalls_reset();
        usleep(20000);
        ck_assert(process_alive(victim_pid));

        /* without the fault, the same entry is opened and can be signalled */
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(proc_syscalls.pidfd_send_signal(fd, SIGKILL), 0);
        ck_assert_int_eq(waitpid(victim_pid, NULL, 0), victim_pid);
        close(fd);
}
END_TEST

START_TEST(test_injected_esrch_eperm) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *e;
        int fd = -1;
        pid_t pid = spawn_sleeper();

        if (unit_skip_unless_pidfd(__func__))
                return;

        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, pid);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT), 0);

        proc_syscalls.pidfd_open = pidfd_open_esrch;
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), -ESRCH);
        proc_syscalls_reset();

        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), 0);
        proc_syscalls.pidfd_send_signal = signal_eperm;
        ck_assert_int_eq(proc_syscalls.pidfd_send_signal(fd, SIGKILL), -EPERM);
        proc_syscalls_reset();
        ck_assert(process_alive(pid));
        ck_assert_int_eq(proc_syscalls.pidfd_send_signal(fd, SIGKILL), 0);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
        close(fd);
}
END_TEST

static int signal_esrch(int pidfd, int sig) {
        (void) pidfd;
        (void) sig;
        return -ESRCH;
}

/* A process named by pid and start time (a restarted corrald adopting a
 * launcher): the one that started then, never one that has the PID later. */
START_TEST(test_open_started) {
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        pid_t pid = spawn_sleeper();
        uint64_t start = 0;
        ProcEntry e = {};
        int fd = -1;

        ck_assert_int_ge(proc_fd, 0);
        ck_assert_int_eq(proc_read_start_time(proc_fd, pid, &start), 0);
        ck_assert_uint_gt(start, 0);

        /* another start time: the PID belongs to a process started later */
        ck_assert_int_eq(proc_pidfd_open_started(proc_fd, pid, start + 1, &e, &fd), -ESRCH);
        ck_assert_int_eq(fd, -1);
        /* reaped while /proc was read: what was read may be another's */
        proc_syscalls.pidfd_send_signal = signal_esrch;
        ck_assert_int_eq(proc_pidfd_open_started(proc_fd, pid, start, &e, &fd), -ESRCH);
        ck_assert_int_eq(fd, -1);
        proc_syscalls_reset();

        ck_assert_int_eq(proc_pidfd_open_started(proc_fd, pid, start, &e, &fd), 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(e.pid, pid);
        ck_assert_uint_eq(e.start_time, start);
        ck_assert_int_eq(e.uid, getuid());
        ck_assert_int_eq(e.euid, geteuid());
        ck_assert_int_eq(e.sid, getsid(0));
        ck_assert_int_eq(proc_syscalls.pidfd_send_signal(fd, SIGKILL), 0);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
        close(fd);

        /* gone */
        fd = -1;
        ck_assert_int_eq(proc_pidfd_open_started(proc_fd, pid, start, &e, &fd), -ESRCH);
        ck_assert_int_eq(fd, -1);
        ck_assert_int_eq(proc_pidfd_open_started(proc_fd, 0, start, &e, &fd), -ESRCH);
        close(proc_fd);
}
END_TEST

/* ---- identity: real uid vs the owner of /proc/PID ---- */

#define ID_UID 61799
#define ID_UID2 61798

/* A child that runs with ruid/euid/suid as given, dumpable again (as
 * slurmstepd makes itself), and on a byte on *cmd sets its real uid to 0
 * (allowed: 0 is its saved uid) and answers on *ack. */
static pid_t spawn_ids(uid_t r, uid_t e, uid_t s, int *cmd, int *ack) {
        int p1[2], p2[2];
        pid_t pid;
        char c = 0;

        ck_assert_int_eq(pipe(p1), 0);
        ck_assert_int_eq(pipe(p2), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(p1[1]);
                close(p2[0]);
                if (setresuid(r, e, s) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
                        _exit(1);
                if (write(p2[1], "r", 1) != 1)
                        _exit(1);
                if (read(p1[0], &c, 1) == 1 && setresuid(0, (uid_t) -1, (uid_t) -1) == 0 && write(p2[1], "s", 1) == 1)
                        for (;;)
                                pause();
                _exit(1);
        }
        close(p1[0]);
        close(p2[1]);
        ck_assert_int_eq(read(p2[0], &c, 1), 1);
        ck_assert_int_eq(c, 'r');
        *cmd = p1[1];
        *ack = p2[0];
        return pid;
}

START_TEST(test_owner_is_not_real_uid) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *e;
        int cmd, ack, fd = -1;
        pid_t pid;

        if (geteuid() != 0)
                return; /* needs root to switch uids */
        /* a root daemon that switched only its effective uid to a user */
        pid = spawn_ids(0, ID_UID, 0, &cmd, &ack);
        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, pid);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->owner, ID_UID); /* what /proc shows */
        ck_assert(!e->have_ids);
        ck_assert_uint_eq(e->uid, (uid_t) -1); /* never the owner */
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT | PROC_LOAD_IDS), 0);
        ck_assert(e->have_ids);
        ck_assert_uint_eq(e->uid, 0);
        ck_assert_uint_eq(e->euid, ID_UID);
        ck_assert_uint_eq(e->suid, 0);
        /* the verified open reads them afresh */
        e->uid = ID_UID;
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), 0);
        ck_assert_uint_eq(e->uid, 0);
        close(fd);
        close(cmd);
        close(ack);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_resnapshot_rereads_ids) {
        _cleanup_proctable_free_ ProcTable *t = NULL, *t2 = NULL;
        ProcEntry *e;
        int cmd, ack;
        char c = 0;
        pid_t pid;

        if (geteuid() != 0)
                return;
        /* real uid 61798, effective 61799, saved 0: owner 61799 */
        pid = spawn_ids(ID_UID2, ID_UID, 0, &cmd, &ack);
        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, pid);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT | PROC_LOAD_IDS), 0);
        ck_assert_uint_eq(e->uid, ID_UID2);
        /* it takes real uid 0: the effective uid, and so the owner and the
         * /proc inode, stay the same */
        ck_assert_int_eq(write(cmd, "x", 1), 1);
        ck_assert_int_eq(read(ack, &c, 1), 1);
        ck_assert_int_eq(c, 's');
        ck_assert_int_eq(proctable_resnapshot(t, &t2), 0);
        e = proctable_find(t2, pid);
        ck_assert_ptr_nonnull(e);
        ck_assert(e->seen); /* copied from the first table... */
        ck_assert_uint_eq(e->owner, ID_UID);
        ck_assert(!e->have_ids); /* ...but not its ids */
        ck_assert_int_eq(proc_entry_load(t2, e, PROC_LOAD_IDS), 0);
        ck_assert_uint_eq(e->uid, 0);
        close(cmd);
        close(ack);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}
END_TEST

/* status of one PID says what the test wants */
static pid_t status_pid;
static const char *status_text;
static ssize_t (*real_read_record)(int dirfd, const char *path, char *buf, size_t size);

static ssize_t read_record_status(int dirfd, const char *path, char *buf, size_t size) {
        char want[32];
        (void) snprintf(want, sizeof want, "%d/status", (int) status_pid);
        if (strcmp(path, want) == 0) {
                (void) snprintf(buf, size, "%s", status_text);
                return (ssize_t) strlen(buf);
        }
        return real_read_record(dirfd, path, buf, size);
}

static int get_ids_enotty(int pidfd, uid_t ret[4]) {
        (void) pidfd;
        (void) ret;
        return -ENOTTY;
}

static int get_ids_root_as_user(int pidfd, uid_t ret[4]) {
        (void) pidfd;
        ret[0] = ret[2] = 0;
        ret[1] = ret[3] = 61799;
        return 0;
}

START_TEST(test_injected_status) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *e;
        int fd = -1;

        status_pid = spawn_sleeper();
        real_read_record = proc_syscalls.read_record;
        proc_syscalls.read_record = read_record_status;
        status_text = "Name:\tx\nUid:\t61799\t0\t0\t0\n";
        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, status_pid);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT | PROC_LOAD_IDS), 0);
        ck_assert_uint_eq(e->uid, 61799);
        ck_assert_uint_eq(e->euid, 0);
        /* loaded once: not read again */
        status_text = "Name:\tx\nUid:\t0\t0\t0\t0\n";
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_IDS), 0);
        ck_assert_uint_eq(e->uid, 61799);
        /* the verified open always reads afresh: through the pidfd... */
        proc_syscalls.pidfd_get_ids = get_ids_root_as_user;
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), 0);
        ck_assert_uint_eq(e->uid, 0);
        ck_assert_uint_eq(e->euid, 61799);
        close(fd);
        /* ...or, on a kernel without PIDFD_GET_INFO, from status */
        proc_syscalls.pidfd_get_ids = get_ids_enotty;
        status_text = "Name:\tx\nUid:\t61798\t61798\t0\t61798\n";
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), 0);
        ck_assert_uint_eq(e->uid, 61798);
        ck_assert_uint_eq(e->suid, 0);
        close(fd);
        /* garbage: the ids are unknown, and so is the process */
        status_text = "Name:\tx\nUid:\tzero\n";
        ck_assert_int_lt(proc_pidfd_open_verified(t, e, &fd), 0);
        ck_assert(!e->have_ids);
        proc_syscalls_reset();
        kill(status_pid, SIGKILL);
        waitpid(status_pid, NULL, 0);
}
END_TEST

START_TEST(test_vanished_process) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        ProcEntry *e;
        int fd = -1;
        pid_t pid = spawn_sleeper();

        ck_assert_int_eq(proctable_snapshot(NULL, &t), 0);
        e = proctable_find(t, pid);
        ck_assert_ptr_nonnull(e);
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
        /* stat was never loaded: loading it now says the process is gone */
        ck_assert_int_eq(proc_entry_load(t, e, PROC_LOAD_STAT), -ESRCH);
        ck_assert(e->gone);
        ck_assert_int_eq(proc_pidfd_open_verified(t, e, &fd), -ESRCH);
}
END_TEST

Suite *proctable_suite(void) {
        Suite *s = suite_create("proctable");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_parse_stat);
        tcase_add_test(tc, test_parse_pid_list);
        tcase_add_test(tc, test_parse_stat_hostile_comm);
        tcase_add_test(tc, test_parse_stat_malformed);
        tcase_add_test(tc, test_parse_stat_control_chars);
        tcase_add_test(tc, test_parse_status);
        tcase_add_test(tc, test_cgroup_under);
        tcase_add_test(tc, test_snapshot_self);
        tcase_add_test(tc, test_recycled_pid_not_signalled);
        tcase_add_test(tc, test_injected_esrch_eperm);
        tcase_add_test(tc, test_vanished_process);
        tcase_add_test(tc, test_open_started);
        tcase_add_test(tc, test_parse_status_ids);
        tcase_add_test(tc, test_owner_is_not_real_uid);
        tcase_add_test(tc, test_resnapshot_rereads_ids);
        tcase_add_test(tc, test_injected_status);
        suite_add_tcase(s, tc);
        return s;
}
