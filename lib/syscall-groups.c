/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syscall-groups.c — contents of the named syscall groups. Modelled on
 * systemd's SystemCallFilter= groups (seccomp-util.c), adapted to batch jobs:
 * @privileged here leaves out the chown and set*id calls, which unprivileged
 * programs make on their own ids and which fail without capabilities anyway.
 * Names unknown on the native architecture are skipped at filter build time,
 * so the lists may carry the 32-bit variants. */
#include "syscall-groups.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

#include "macro.h"

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

const SyscallGroup syscall_groups[] = {
        /* --- groups meant for denylists --- */
        { "@bpf", "the BPF syscall (load programs into the kernel)", LIST("bpf") },
        { "@clock", "change the system clock",
          LIST("adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday",
               "stime") },
        { "@cpu-emulation", "CPU emulation and segment tricks",
          LIST("modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old") },
        { "@debug", "debugging, tracing and profiling of processes",
          LIST("lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas", "s390_runtime_instr",
               "sys_debug_setcontext") },
        { "@io-uring", "io_uring (a large kernel attack surface, and it bypasses seccomp for the I/O it does)",
          LIST("io_uring_enter", "io_uring_register", "io_uring_setup") },
        { "@keyring", "the kernel keyring", LIST("add_key", "keyctl", "request_key") },
        { "@module", "load and unload kernel modules", LIST("delete_module", "finit_module", "init_module") },
        { "@mount", "mount, unmount and change root",
          LIST("chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree",
               "pivot_root", "umount", "umount2") },
        { "@namespaces",
          "create or join namespaces: setns, unshare, and clone/clone3 with CLONE_NEW* flags "
          "(clone is filtered on its flags; clone3 gets ENOSYS so that libc falls back to clone)",
          LIST("setns", "unshare") },
        { "@obsolete", "unused or removed syscalls",
          LIST("_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime", "get_kernel_syms", "getpmsg",
               "gtty", "idle", "lock", "mpx", "prof", "profil", "putpmsg", "query_module", "security", "sgetmask",
               "ssetmask", "stty", "sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vserver") },
        { "@privileged", "calls that need privileges a job never has",
          LIST("@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf", "capset", "chroot",
               "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at", "pivot_root", "quotactl",
               "quotactl_fd", "setdomainname", "sethostname", "vhangup") },
        { "@raw-io", "raw I/O port and PCI config access",
          LIST("ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "s390_pci_mmio_read",
               "s390_pci_mmio_write") },
        { "@reboot", "reboot and kexec", LIST("kexec_file_load", "kexec_load", "reboot") },
        { "@swap", "enable and disable swap", LIST("swapoff", "swapon") },

        /* --- groups meant for allowlists --- */
        { "@aio", "POSIX asynchronous I/O (not io_uring)",
          LIST("io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
               "io_submit") },
        { "@basic-io", "read, write, seek and close file descriptors",
          LIST("_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
               "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev") },
        { "@chown", "change file ownership (to ids the caller may use)",
          LIST("chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32") },
        { "@credentials", "query and set the caller's own credentials",
          LIST("capget", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
               "getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid",
               "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setregid",
               "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid",
               "setuid32") },
        { "@default", "what every program needs to start and run",
          LIST("arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64", "clock_gettime",
               "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "execve", "exit", "exit_group", "futex",
               "futex_time64", "futex_waitv", "get_robust_list", "get_thread_area", "getegid", "getegid32", "geteuid",
               "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getpgid", "getpgrp", "getpid", "getppid",
               "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "getsid", "gettid",
               "gettimeofday", "getuid", "getuid32", "membarrier", "mmap", "mmap2", "mprotect", "munmap", "nanosleep",
               "pause", "prlimit64", "restart_syscall", "riscv_flush_icache", "rseq", "rt_sigreturn",
               "sched_getaffinity", "sched_yield", "set_robust_list", "set_thread_area", "set_tid_address", "set_tls",
               "sigreturn", "time", "ugetrlimit", "uname") },
        { "@file-system", "files, directories, links, attributes and inotify",
          LIST("access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate", "fchdir", "fchmod",
               "fchmodat", "fcntl", "fcntl64", "fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat",
               "fstat64", "fstatat64", "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat", "getcwd",
               "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
               "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr",
               "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "oldfstat",
               "oldlstat", "oldstat", "open", "openat", "openat2", "readlink", "readlinkat", "removexattr", "rename",
               "renameat", "renameat2", "rmdir", "setxattr", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
               "symlinkat", "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat",
               "utimensat_time64", "utimes") },
        { "@io-event", "wait for I/O events: select, poll, epoll, eventfd",
          LIST("_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
               "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll", "ppoll_time64",
               "pselect6", "pselect6_time64", "select") },
        { "@ipc", "pipes, SysV IPC, POSIX message queues, memfd",
          LIST("ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
               "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget",
               "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
               "shmat", "shmctl", "shmdt", "shmget") },
        { "@memory", "memory management beyond @default",
          LIST("get_mempolicy", "madvise", "mincore", "mlock", "mlock2", "mlockall", "mremap", "msync", "munlock",
               "munlockall", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages") },
        { "@network-io", "sockets",
          LIST("accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
               "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto",
               "setsockopt", "shutdown", "socket", "socketcall", "socketpair") },
        { "@process", "create, wait for, signal and control processes (without namespaces)",
          LIST("capget", "clone", "clone3", "execveat", "fork", "getpriority", "getrusage", "ioprio_get", "kill",
               "pidfd_open", "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sched_getattr",
               "sched_getparam", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
               "sched_rr_get_interval", "setpgid", "setsid", "swapcontext", "tgkill", "times", "tkill", "vfork",
               "wait4", "waitid", "waitpid") },
        { "@resources", "change scheduling, priorities, affinities and resource limits",
          LIST("ioprio_set", "nice", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
               "setpriority", "setrlimit") },
        { "@numa",
          "NUMA memory placement: bind memory to nodes, move pages (libnuma, numactl, MPI and OpenMP "
          "pinning use them; Docker allows them only with CAP_SYS_NICE)",
          LIST("mbind", "migrate_pages", "move_pages", "set_mempolicy", "set_mempolicy_home_node") },
        { "@cross-memory", "read or write another process's memory, same user only (MPI's CMA transfers use them)",
          LIST("process_madvise", "process_vm_readv", "process_vm_writev") },
        { "@sandbox", "let a program restrict itself further (seccomp, Landlock)",
          LIST("landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp") },
        { "@signal", "signal handling",
          LIST("rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
               "rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal", "signalfd", "signalfd4", "sigpending",
               "sigprocmask", "sigsuspend") },
        { "@sync", "flush data to disk",
          LIST("fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2", "syncfs") },
        { "@system-info", "read information about the system", LIST("getcpu", "sysinfo", "uname") },
        { "@timer", "timers and alarms",
          LIST("alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
               "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
               "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times") },
        { "@transfer", "copy data between file descriptors in the kernel",
          LIST("copy_file_range", "fadvise64", "fadvise64_64", "readahead", "sendfile", "sendfile64", "splice", "tee",
               "vmsplice") },
        { "@terminal", "terminal and device control (ioctl)", LIST("ioctl") },
        { "@job",
          "everything an ordinary batch job needs: the allowlist groups above together, but @numa and "
          "@cross-memory",
          LIST("@aio", "@basic-io", "@chown", "@credentials", "@default", "@file-system", "@io-event", "@ipc",
               "@memory", "@network-io", "@process", "@resources", "@sandbox", "@signal", "@sync", "@system-info",
               "@terminal", "@timer", "@transfer") },
};

const unsigned syscall_groups_count = ELEMENTSOF(syscall_groups);

const SyscallGroup *syscall_group_find(const char *name) {
        for (unsigned i = 0; i < ELEMENTSOF(syscall_groups); i++)
                if (strcmp(syscall_groups[i].name, name) == 0)
                        return &syscall_groups[i];
        return NULL;
}

bool syscall_name_known(const char *name) {
        /* seccomp_syscall_resolve_name() answers for the native arch and
         * returns __NR_SCMP_ERROR only for names it does not know at all;
         * names of other architectures resolve to negative pseudo numbers. */
        return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static int expand_depth(const char *entry, int (*cb)(const char *, void *), void *userdata, unsigned depth) {
        const SyscallGroup *g;

        if (entry[0] != '@')
                return cb(entry, userdata);
        if (depth > 4)
                return -ELOOP;
        g = syscall_group_find(entry);
        if (!g)
                return -ENOENT;
        for (const char *const *s = g->syscalls; *s; s++) {
                int r = expand_depth(*s, cb, userdata, depth + 1);
                if (r != 0)
                        return r;
        }
        return 0;
}

int syscall_expand(const char *entry, int (*cb)(const char *name, void *userdata), void *userdata) {
        return expand_depth(entry, cb, userdata, 0);
}
