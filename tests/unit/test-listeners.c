/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-listeners.c — corral-epilogue's listening-socket loader on real
 * sockets: the test process opens a listening TCP socket (IPv4, and IPv6
 * where the host has it), a bound UDP socket, a listening unix socket and,
 * as decoys, a connected TCP pair, an unbound UDP socket and a bound but
 * not listening unix socket. The sock_diag loader must find exactly the
 * listeners, with the inode (fstat of the fd) and the uid the kernel
 * gives; the /proc/PID/net text fallback must give the same set; each
 * process in another network namespace is read in that namespace. The
 * epilogue's sources are compiled into test-epilogue.c; this file calls
 * them through epilogue.h. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epilogue.h"
#include "unit-skip.h"

typedef struct Sockets {
        int tcp, tcp6, udp, unix_, conn[3], udp_unbound, unix_bound;
        unsigned long ino_tcp, ino_tcp6, ino_udp, ino_unix;
        unsigned port_tcp, port_tcp6, port_udp;
        char unix_path[108];
} Sockets;

static unsigned long ino_of(int fd) {
        struct stat st;
        ck_assert_int_eq(fstat(fd, &st), 0);
        return (unsigned long) st.st_ino;
}

static unsigned port_of(int fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
        return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &ss)->sin6_port)
                                        : ntohs(((struct sockaddr_in *) &ss)->sin_port);
}

static int inet_socket(int family, int type, bool do_listen) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        if (family == AF_INET) {
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
        } else {
                struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_loopback };
                if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0) {
                        (void) close(fd);
                        return -1; /* no IPv6 on this host */
                }
        }
        if (do_listen)
                ck_assert_int_eq(listen(fd, 4), 0);
        return fd;
}

static void open_sockets(Sockets *s, const char *dir) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        *s = (Sockets){};
        s->tcp = inet_socket(AF_INET, SOCK_STREAM, true);
        s->tcp6 = inet_socket(AF_INET6, SOCK_STREAM, true);
        s->udp = inet_socket(AF_INET, SOCK_DGRAM, false);
        s->ino_tcp = ino_of(s->tcp);
        s->port_tcp = port_of(s->tcp);
        if (s->tcp6 >= 0) {
                s->ino_tcp6 = ino_of(s->tcp6);
                s->port_tcp6 = port_of(s->tcp6);
        }
        s->ino_udp = ino_of(s->udp);
        s->port_udp = port_of(s->udp);

        (void) snprintf(s->unix_path, sizeof s->unix_path, "%s/listen.sock", dir);
        s->unix_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(s->unix_, 0);
        (void) snprintf(a.sun_path, sizeof a.sun_path, "%s", s->unix_path);
        ck_assert_int_eq(bind(s->unix_, (struct sockaddr *) &a, sizeof a), 0);
        ck_assert_int_eq(listen(s->unix_, 4), 0);
        s->ino_unix = ino_of(s->unix_);

        /* decoys: a connected TCP pair (and the accepted end), an unbound
         * UDP socket, a bound unix socket nobody listens on */
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t) s->port_tcp) };
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->conn[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(s->conn[0], (struct sockaddr *) &to, sizeof to), 0);
        s->conn[1] = accept4(s->tcp, NULL, NULL, SOCK_CLOEXEC);
        ck_assert_int_ge(s->conn[1], 0);
        s->conn[2] = -1;
        s->udp_unbound = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        (void) snprintf(a.sun_path, sizeof a.sun_path, "%s/bound.sock", dir);
        s->unix_bound = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(bind(s->unix_bound, (struct sockaddr *) &a, sizeof a), 0);
}

static void close_sockets(Sockets *s) {
        int *all[] = {
                &s->tcp, &s->tcp6, &s->udp, &s->unix_, &s->conn[0], &s->conn[1], &s->udp_unbound, &s->unix_bound
        };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (*all[i] >= 0)
                        (void) close(*all[i]);
}

static const EpListener *find_ino(const EpListenerTable *lt, unsigned long ino) {
        const EpListener *found = NULL;
        for (size_t i = 0; i < lt->n; i++)
                if (lt->items[i].inode == ino) {
                        ck_assert_msg(!found, "inode %lu listed twice", ino);
                        found = &lt->items[i];
                }
        return found;
}

static void check_one(const EpListenerTable *lt, unsigned long ino, const char *proto, const char *address,
                      unsigned port, uid_t uid) {
        const EpListener *l = find_ino(lt, ino);
        ck_assert_msg(l, "%s socket (inode %lu) not found", proto, ino);
        ck_assert_str_eq(l->proto, proto);
        ck_assert_str_eq(l->address, address);
        ck_assert_uint_eq(l->port, port);
        ck_assert_uint_eq(l->uid, uid);
}

static void check_table(const EpListenerTable *lt, const Sockets *s) {
        uid_t me = getuid();
        check_one(lt, s->ino_tcp, "tcp", "127.0.0.1", s->port_tcp, me);
        if (s->tcp6 >= 0)
                check_one(lt, s->ino_tcp6, "tcp6", "::1", s->port_tcp6, me);
        check_one(lt, s->ino_udp, "udp", "127.0.0.1", s->port_udp, me);
        check_one(lt, s->ino_unix, "unix", s->unix_path, 0, (uid_t) -1);
        /* the decoys are no listeners */
        ck_assert_ptr_null(find_ino(lt, ino_of(s->conn[0])));
        ck_assert_ptr_null(find_ino(lt, ino_of(s->conn[1])));
        ck_assert_ptr_null(find_ino(lt, ino_of(s->udp_unbound)));
        ck_assert_ptr_null(find_ino(lt, ino_of(s->unix_bound)));
}

static bool keep_all(uid_t uid, void *userdata) {
        (void) uid;
        (void) userdata;
        return true;
}

static bool keep_none(uid_t uid, void *userdata) {
        (void) uid;
        (void) userdata;
        return false;
}

static void count_cb(const EpListener *l, void *userdata) {
        (void) l;
        (*(int *) userdata)++;
}

/* Is every listener of a in b, with the same fields? */
static void same_listeners(const EpListenerTable *a, const EpListenerTable *b, const Sockets *s) {
        unsigned long mine[] = { s->ino_tcp, s->ino_tcp6, s->ino_udp, s->ino_unix };
        for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
                const EpListener *x, *y;
                if (mine[i] == 0)
                        continue;
                x = find_ino(a, mine[i]);
                y = find_ino(b, mine[i]);
                ck_assert_ptr_nonnull(x);
                ck_assert_ptr_nonnull(y);
                ck_assert_str_eq(x->proto, y->proto);
                ck_assert_str_eq(x->address, y->address);
                ck_assert_uint_eq(x->port, y->port);
                ck_assert_uint_eq(x->uid, y->uid);
        }
}

START_TEST(test_sock_diag_finds_own_sockets) {
        char dir[] = "/tmp/corral-listeners.XXXXXX";
        EpListenerTable diag = {}, text = {};
        Sockets s;
        int proc_fd, count = 0;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        open_sockets(&s, dir);
        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(proc_fd, 0);

        /* sock_diag: every table through netlink, none from text */
        ck_assert_int_eq(listeners_load_netns(&diag, proc_fd, getpid(), keep_all, NULL), 0);
        ck_assert_uint_eq(diag.diag_tables, 5);
        ck_assert_uint_eq(diag.proc_tables, 0);
        ck_assert_uint_eq(diag.n_netns, 1);
        check_table(&diag, &s);
        /* a second load of the same namespace reads nothing */
        size_t n = diag.n;
        ck_assert_int_eq(listeners_load_netns(&diag, proc_fd, getpid(), keep_all, NULL), 0);
        ck_assert_uint_eq(diag.n, n);
        ck_assert_uint_eq(diag.diag_tables, 5);
        /* our fds hold the four listeners (three without IPv6) */
        ck_assert_int_eq(listeners_of_pid(&diag, proc_fd, getpid(), count_cb, &count), s.tcp6 >= 0 ? 4 : 3);

        /* the fallback: /proc/PID/net text gives the same */
        text.proc_only = true;
        ck_assert_int_eq(listeners_load_netns(&text, proc_fd, getpid(), keep_all, NULL), 0);
        ck_assert_uint_eq(text.diag_tables, 0);
        ck_assert_uint_eq(text.proc_tables, 5);
        check_table(&text, &s);
        same_listeners(&diag, &text, &s);
        same_listeners(&text, &diag, &s);
        listeners_done(&diag);
        listeners_done(&text);

        /* keep_uid drops inet sockets, never unix ones (they have no uid) */
        ck_assert_int_eq(listeners_load_netns(&diag, proc_fd, getpid(), keep_none, NULL), 0);
        ck_assert_ptr_null(find_ino(&diag, s.ino_tcp));
        ck_assert_ptr_null(find_ino(&diag, s.ino_udp));
        ck_assert_ptr_nonnull(find_ino(&diag, s.ino_unix));
        listeners_done(&diag);

        close_sockets(&s);
        (void) close(proc_fd);
        (void) unlink(s.unix_path);
        char p[160];
        (void) snprintf(p, sizeof p, "%s/bound.sock", dir);
        (void) unlink(p);
        (void) rmdir(dir);
}
END_TEST

/* A process in a network namespace of its own: its listener is found there
 * (through a socket created in that namespace), ours are not, and our own
 * namespace is unchanged afterwards. */
START_TEST(test_sock_diag_other_netns) {
        char link_before[64] = "", link_after[64] = "";
        EpListenerTable lt = {}, text = {};
        int p[2], proc_fd, count = 0;
        char buf[64];
        pid_t child;

        if (unit_skip_unless_root(__func__))
                return;
        ck_assert_int_eq(pipe(p), 0);
        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(4711) };
                int fd;
                (void) close(p[0]);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                fd = socket(AF_INET, SOCK_STREAM, 0);
                a.sin_addr.s_addr = htonl(INADDR_ANY);
                if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) < 0 || listen(fd, 1) < 0)
                        _exit(2);
                struct stat st;
                (void) fstat(fd, &st);
                dprintf(p[1], "%lu\n", (unsigned long) st.st_ino);
                pause();
                _exit(0);
        }
        (void) close(p[1]);
        ssize_t k = read(p[0], buf, sizeof buf - 1);
        ck_assert_int_gt(k, 0);
        buf[k] = '\0';
        unsigned long ino = strtoul(buf, NULL, 10);

        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(proc_fd, 0);
        ck_assert_int_gt(readlink("/proc/thread-self/ns/net", link_before, sizeof link_before - 1), 0);
        ck_assert_int_eq(listeners_load_netns(&lt, proc_fd, child, keep_all, NULL), 0);
        ck_assert_int_gt(readlink("/proc/thread-self/ns/net", link_after, sizeof link_after - 1), 0);
        ck_assert_str_eq(link_before, link_after);
        ck_assert_uint_eq(lt.diag_tables, 5);
        const EpListener *l = find_ino(&lt, ino);
        ck_assert_ptr_nonnull(l);
        ck_assert_str_eq(l->proto, "tcp");
        ck_assert_str_eq(l->address, "0.0.0.0");
        ck_assert_uint_eq(l->port, 4711);
        ck_assert_uint_eq(l->uid, 0);
        ck_assert_int_eq(listeners_of_pid(&lt, proc_fd, child, count_cb, &count), 1);
        /* the new namespace has nothing else: only that one socket */
        ck_assert_uint_eq(lt.n, 1);

        text.proc_only = true;
        ck_assert_int_eq(listeners_load_netns(&text, proc_fd, child, keep_all, NULL), 0);
        ck_assert_uint_eq(text.n, 1);
        ck_assert_uint_eq(text.items[0].inode, ino);
        ck_assert_uint_eq(text.items[0].port, 4711);

        listeners_done(&lt);
        listeners_done(&text);
        (void) kill(child, SIGKILL);
        (void) waitpid(child, NULL, 0);
        (void) close(proc_fd);
        (void) close(p[0]);
}
END_TEST

START_TEST(test_unix_name_format) {
        char buf[108];
        ck_assert_int_eq(listeners_format_unix_name("/run/x.sock\0", 12, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "/run/x.sock");
        ck_assert_int_eq(listeners_format_unix_name("/run/y", 6, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "/run/y");
        ck_assert_int_eq(listeners_format_unix_name("\0abs\0x", 6, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "@abs@x");
        ck_assert_int_eq(listeners_format_unix_name(NULL, 0, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "(unnamed)");
        ck_assert_int_eq(listeners_format_unix_name("/long/path", 10, buf, 5), 0);
        ck_assert_str_eq(buf, "/lon");
}
END_TEST

Suite *listeners_suite(void) {
        Suite *s = suite_create("listeners");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_sock_diag_finds_own_sockets);
        tcase_add_test(tc, test_sock_diag_other_netns);
        tcase_add_test(tc, test_unix_name_format);
        suite_add_tcase(s, tc);
        return s;
}
