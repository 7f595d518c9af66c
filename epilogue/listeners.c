/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listeners.c — step 5: which victims hold a listening socket (a backdoor
 * left behind by a job). The kernel lists the sockets of each network
 * namespace with their inode; a process holds one when a link in
 * /proc/PID/fd reads "socket:[INODE]". Each namespace is read once (a job
 * may have its own), then each victim's fds are matched.
 *
 * How a namespace is read: through netlink NETLINK_SOCK_DIAG (inet_diag
 * for TCP and UDP over IPv4 and IPv6, unix_diag with UDIAG_SHOW_NAME), which
 * gives each socket's inode and, for inet, its uid, in binary: ~0.06 ms for
 * 15,000 sockets, where parsing the text of /proc/PID/net/{tcp,tcp6,udp,
 * udp6,unix} costs ~23 ms per table. A netlink socket answers for the
 * network namespace it was created in: for a victim in another namespace
 * than ours, a short-lived thread setns()es into it, creates the socket
 * and ends (the namespace is per thread: ours never changes). The text of
 * /proc/PID/net stays the fallback, table by table, where sock_diag is not
 * there (a kernel without CONFIG_INET_DIAG, udp_diag or unix_diag: the
 * dump fails with ENOENT or the socket with EPROTONOSUPPORT) or the
 * namespace cannot be entered.
 *
 * "Listening" is: TCP in LISTEN, UDP bound to a port and unconnected
 * (state CLOSE), unix sockets listen() was called on (LISTEN; in the text,
 * __SO_ACCEPTCON). TCP/UDP sockets carry the uid that created them; only
 * those of uids we may clean are matched (a socket a root daemon created
 * and handed to a job is not reported; it dies with its holder all the
 * same). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epilogue.h"

#define SO_ACCEPTCON_FLAG 0x00010000UL

void listeners_done(EpListenerTable *lt) {
        free(lt->items);
        free(lt->netns_seen);
        *lt = (EpListenerTable){};
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static int parse_hex_u32(const char *s, uint32_t *ret) {
        uint32_t v = 0;
        for (int i = 0; i < 8; i++) {
                int h = hexval(s[i]);
                if (h < 0)
                        return -EINVAL;
                v = (v << 4) | (uint32_t) h;
        }
        *ret = v;
        return 0;
}

int listeners_parse_inet_line(const char *line, bool v6, bool udp, EpListener *ret) {
        /* "  0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 12345 ..." */
        const char *p = strchr(line, ':');
        unsigned char addr[16];
        char local[80], remote[80], st[8];
        unsigned long inode;
        unsigned uid, timeout;
        char txrx[40], trwhen[40], retr[16];
        size_t hexlen = v6 ? 32 : 8;

        if (!p)
                return -EINVAL;
        if (sscanf(p + 1, " %79s %79s %7s %39s %39s %15s %u %u %lu", local, remote, st, txrx, trwhen, retr, &uid,
                   &timeout, &inode) != 9)
                return -EINVAL;
        if (strlen(local) != hexlen + 5 || local[hexlen] != ':')
                return -EINVAL;
        unsigned state = (unsigned) strtoul(st, NULL, 16);
        uint32_t port32;
        char portbuf[9] = "0000";
        memcpy(portbuf + 4, local + hexlen + 1, 4);
        if (parse_hex_u32(portbuf, &port32) < 0)
                return -EINVAL;
        /* each 32-bit word is printed in host byte order */
        for (size_t w = 0; w < hexlen / 8; w++) {
                uint32_t word;
                if (parse_hex_u32(local + 8 * w, &word) < 0)
                        return -EINVAL;
                memcpy(addr + 4 * w, &word, 4);
        }
        bool listening = udp ? (state == 0x07 && port32 != 0) : state == 0x0A;
        if (!listening)
                return 0;
        *ret = (EpListener){ .inode = inode, .port = port32, .uid = (uid_t) uid };
        (void) snprintf(ret->proto, sizeof ret->proto, "%s%s", udp ? "udp" : "tcp", v6 ? "6" : "");
        if (!inet_ntop(v6 ? AF_INET6 : AF_INET, addr, ret->address, sizeof ret->address))
                (void) snprintf(ret->address, sizeof ret->address, "?");
        return 1;
}

int listeners_parse_unix_line(const char *line, EpListener *ret) {
        /* "0000000000000000: 00000002 00000000 00010000 0001 01 12345 /run/x" */
        unsigned long refcount, protocol, flags, inode;
        unsigned type, st;
        int n = 0;
        const char *p = strchr(line, ':');

        if (!p)
                return -EINVAL;
        if (sscanf(p + 1, " %lx %lx %lx %x %x %lu%n", &refcount, &protocol, &flags, &type, &st, &inode, &n) < 6)
                return -EINVAL;
        if (!(flags & SO_ACCEPTCON_FLAG))
                return 0;
        *ret = (EpListener){ .inode = inode, .uid = (uid_t) -1 };
        (void) snprintf(ret->proto, sizeof ret->proto, "unix");
        p = p + 1 + n;
        while (*p == ' ')
                p++;
        size_t len = strcspn(p, "\n");
        if (len == 0)
                (void) snprintf(ret->address, sizeof ret->address, "(unnamed)");
        else {
                if (len >= sizeof ret->address)
                        len = sizeof ret->address - 1;
                memcpy(ret->address, p, len);
                ret->address[len] = '\0';
        }
        return 1;
}

static int add(EpListenerTable *lt, const EpListener *l) {
        if (lt->n == lt->cap) {
                size_t cap = lt->cap ? lt->cap * 2 : 64;
                EpListener *n = realloc(lt->items, cap * sizeof *n);
                if (!n)
                        return -ENOMEM;
                lt->items = n;
                lt->cap = cap;
        }
        lt->items[lt->n++] = *l;
        return 0;
}

static int read_table(EpListenerTable *lt, int proc_fd, pid_t pid, const char *name,
                      bool (*keep_uid)(uid_t uid, void *userdata), void *userdata) {
        char path[64];
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        int fd;
        bool v6 = strchr(name, '6') != NULL, udp = strneq(name, "udp", 3), unix_ = streq(name, "unix");

        (void) snprintf(path, sizeof path, "%d/net/%s", (int) pid, name);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno(); /* no IPv6: fine */
        f = fdopen(fd, "re");
        if (!f) {
                (void) close(fd);
                return -ENOMEM;
        }
        if (!fgets(line, sizeof line, f)) /* header */
                return 0;
        while (fgets(line, sizeof line, f)) {
                EpListener l;
                int r = unix_ ? listeners_parse_unix_line(line, &l) : listeners_parse_inet_line(line, v6, udp, &l);
                if (r > 0 && !unix_ && keep_uid && !keep_uid(l.uid, userdata))
                        continue;
                if (r > 0 && add(lt, &l) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- sock_diag ---- */

/* the kernel's socket states (include/net/tcp_states.h) */
#define SK_TCP_CLOSE 7
#define SK_TCP_LISTEN 10
#define DIAG_BUF_SIZE (64 * 1024)

typedef struct DiagTable {
        const char *name; /* the /proc/net table it stands for */
        int family, protocol; /* protocol: IPPROTO_TCP, IPPROTO_UDP, 0 for unix */
        unsigned states;
} DiagTable;

static const DiagTable diag_tables[] = {
        { "tcp", AF_INET, IPPROTO_TCP, 1U << SK_TCP_LISTEN }, { "tcp6", AF_INET6, IPPROTO_TCP, 1U << SK_TCP_LISTEN },
        { "udp", AF_INET, IPPROTO_UDP, 1U << SK_TCP_CLOSE },  { "udp6", AF_INET6, IPPROTO_UDP, 1U << SK_TCP_CLOSE },
        { "unix", AF_UNIX, 0, 1U << SK_TCP_LISTEN },
};

int listeners_format_unix_name(const char *name, size_t len, char *buf, size_t size) {
        size_t o = 0, i = 0;

        if (size == 0)
                return -EINVAL;
        if (len == 0) {
                (void) snprintf(buf, size, "(unnamed)");
                return 0;
        }
        if (name[0] == '\0') {
                /* abstract: "@name", its NULs as '@' (as /proc/net/unix) */
                buf[o++] = '@';
                i = 1;
        } else
                while (len > 0 && name[len - 1] == '\0') /* a path's terminating NUL */
                        len--;
        for (; i < len && o + 1 < size; i++)
                buf[o++] = name[i] ? name[i] : '@';
        buf[o] = '\0';
        return 0;
}

static int diag_inet(const struct nlmsghdr *h, const DiagTable *dt, EpListener *ret) {
        const struct inet_diag_msg *m = NLMSG_DATA(h);
        unsigned port;

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->idiag_family != dt->family)
                return -EINVAL;
        port = ntohs(m->id.idiag_sport);
        if (dt->protocol == IPPROTO_UDP ? (m->idiag_state != SK_TCP_CLOSE || port == 0)
                                        : m->idiag_state != SK_TCP_LISTEN)
                return 0;
        *ret = (EpListener){ .inode = m->idiag_inode, .port = port, .uid = (uid_t) m->idiag_uid };
        (void) snprintf(ret->proto, sizeof ret->proto, "%s", dt->name);
        if (!inet_ntop(dt->family, m->id.idiag_src, ret->address, sizeof ret->address))
                (void) snprintf(ret->address, sizeof ret->address, "?");
        return 1;
}

static int diag_unix(const struct nlmsghdr *h, EpListener *ret) {
        const struct unix_diag_msg *m = NLMSG_DATA(h);
        const char *name = NULL;
        size_t name_len = 0;

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->udiag_family != AF_UNIX)
                return -EINVAL;
        if (m->udiag_state != SK_TCP_LISTEN)
                return 0;
        const struct rtattr *a = (const struct rtattr *) ((const char *) m + NLMSG_ALIGN(sizeof *m));
        int left = (int) h->nlmsg_len - (int) NLMSG_LENGTH(NLMSG_ALIGN(sizeof *m));
        for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
                if (a->rta_type == UNIX_DIAG_NAME) {
                        name = RTA_DATA(a);
                        name_len = RTA_PAYLOAD(a);
                }
        *ret = (EpListener){ .inode = m->udiag_ino, .uid = (uid_t) -1 };
        (void) snprintf(ret->proto, sizeof ret->proto, "unix");
        return listeners_format_unix_name(name, name_len, ret->address, sizeof ret->address) < 0 ? -EINVAL : 1;
}

/* One dump of a table through the sock_diag socket fd into lt. 0 or -errno
 * (ENOENT: the kernel has no handler for this family or protocol). */
static int diag_dump(EpListenerTable *lt, int fd, const DiagTable *dt, char *buf,
                     bool (*keep_uid)(uid_t uid, void *userdata), void *userdata) {
        static unsigned seq;
        struct {
                struct nlmsghdr nlh;
                union {
                        struct inet_diag_req_v2 inet;
                        struct unix_diag_req unix_;
                };
        } req = {};
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        size_t body = dt->family == AF_UNIX ? sizeof req.unix_ : sizeof req.inet;

        req.nlh.nlmsg_len = NLMSG_LENGTH(body);
        req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.nlh.nlmsg_seq = ++seq;
        if (dt->family == AF_UNIX)
                req.unix_ = (struct unix_diag_req){ .sdiag_family = AF_UNIX,
                                                    .udiag_states = dt->states,
                                                    .udiag_show = UDIAG_SHOW_NAME };
        else
                req.inet = (struct inet_diag_req_v2){ .sdiag_family = (uint8_t) dt->family,
                                                      .sdiag_protocol = (uint8_t) dt->protocol,
                                                      .idiag_states = dt->states };
        if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
                return negative_errno();
        for (;;) {
                ssize_t k = recv(fd, buf, DIAG_BUF_SIZE, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EPROTO;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) k); h = NLMSG_NEXT(h, k)) {
                        EpListener l;
                        int r;

                        if (h->nlmsg_seq != req.nlh.nlmsg_seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
                                        return -EPROTO;
                                return e->error < 0 ? e->error : -EPROTO;
                        }
                        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                                continue;
                        r = dt->family == AF_UNIX ? diag_unix(h, &l) : diag_inet(h, dt, &l);
                        if (r < 0)
                                return r;
                        if (r == 0 || (dt->family != AF_UNIX && keep_uid && !keep_uid(l.uid, userdata)))
                                continue;
                        if (add(lt, &l) < 0)
                                return -ENOMEM;
                }
        }
}

typedef struct NsSocket {
        int ns_fd;
        int fd; /* the sock_diag socket, or -errno */
} NsSocket;

/* In a thread of its own: enter the namespace, make the socket, end (the
 * namespace of a thread is its own: the caller's never changes). */
static void *ns_socket_thread(void *userdata) {
        NsSocket *s = userdata;
        if (setns(s->ns_fd, CLONE_NEWNET) < 0)
                s->fd = negative_errno();
        else {
                s->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
                if (s->fd < 0)
                        s->fd = negative_errno();
        }
        return NULL;
}

static int read_netns_ino(int proc_fd, const char *path, uint64_t *ret) {
        char link[64];
        unsigned long long ino;
        ssize_t k = readlinkat(proc_fd, path, link, sizeof link - 1); /* ~3x cheaper than stat here */
        if (k < 0)
                return negative_errno();
        link[k] = '\0';
        if (sscanf(link, "net:[%llu]", &ino) != 1)
                return -EINVAL;
        *ret = (uint64_t) ino;
        return 0;
}

/* A sock_diag socket in the network namespace (inode ino) of pid: -errno
 * when there is none (no sock_diag, or the namespace cannot be entered). */
static int diag_socket(EpListenerTable *lt, int proc_fd, pid_t pid, uint64_t ino) {
        char path[64];
        pthread_t th;

        if (!lt->have_own_netns)
                lt->have_own_netns = read_netns_ino(proc_fd, "thread-self/ns/net", &lt->own_netns) == 0;
        if (lt->have_own_netns && lt->own_netns == ino) {
                int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
                return fd < 0 ? negative_errno() : fd;
        }
        (void) snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        _cleanup_close_ int ns_fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0)
                return negative_errno();
        NsSocket s = { .ns_fd = ns_fd, .fd = -EIO };
        int r = pthread_create(&th, NULL, ns_socket_thread, &s);
        if (r != 0)
                return -r;
        (void) pthread_join(th, NULL);
        if (s.fd < 0)
                return s.fd;
        /* the socket must answer for the namespace we meant: the process
         * may have moved to another between the readlink and the open */
        struct stat st;
        if (fstat(ns_fd, &st) < 0 || (uint64_t) st.st_ino != ino) {
                (void) close(s.fd);
                return -ESTALE;
        }
        return s.fd;
}

int listeners_netns_of(int proc_fd, pid_t pid, uint64_t *ret) {
        char path[64];
        (void) snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        return read_netns_ino(proc_fd, path, ret);
}

int listeners_load_netns(EpListenerTable *lt, int proc_fd, pid_t pid, bool (*keep_uid)(uid_t uid, void *userdata),
                         void *userdata) {
        uint64_t ino;
        int r = listeners_netns_of(proc_fd, pid, &ino);
        if (r < 0)
                return r;
        return listeners_load_netns_ino(lt, proc_fd, pid, ino, keep_uid, userdata);
}

int listeners_load_netns_ino(EpListenerTable *lt, int proc_fd, pid_t pid, uint64_t ino,
                             bool (*keep_uid)(uid_t uid, void *userdata), void *userdata) {
        int r;

        for (size_t i = 0; i < lt->n_netns; i++)
                if (lt->netns_seen[i] == ino)
                        return 0;
        uint64_t *n = realloc(lt->netns_seen, (lt->n_netns + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        lt->netns_seen = n;
        lt->netns_seen[lt->n_netns++] = ino;

        _cleanup_close_ int fd = lt->proc_only ? -EOPNOTSUPP : diag_socket(lt, proc_fd, pid, ino);
        _cleanup_free_ char *buf = fd >= 0 ? malloc(DIAG_BUF_SIZE) : NULL;
        for (size_t i = 0; i < ELEMENTSOF(diag_tables); i++) {
                size_t before = lt->n;
                if (buf) {
                        r = diag_dump(lt, fd, &diag_tables[i], buf, keep_uid, userdata);
                        if (r == 0) {
                                lt->diag_tables++;
                                continue;
                        }
                        if (r == -ENOMEM)
                                return r;
                        lt->n = before; /* a dump cut short: the text instead */
                }
                r = read_table(lt, proc_fd, pid, diag_tables[i].name, keep_uid, userdata);
                if (r < 0)
                        return r;
                lt->proc_tables++;
        }
        return 0;
}

int listeners_of_pid(const EpListenerTable *lt, int proc_fd, pid_t pid, void (*cb)(const EpListener *l, void *userdata),
                     void *userdata) {
        char path[64];
        /* getdents64 into a buffer on the stack: opendir() would add an
         * fstat, an fcntl and a 32 KiB allocation per victim */
        _Alignas(struct dirent64) char buf[4096];
        _cleanup_close_ int dfd = -1;
        int count = 0;

        if (lt->n == 0)
                return 0;
        (void) snprintf(path, sizeof path, "%d/fd", (int) pid);
        dfd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        for (;;) {
                ssize_t k = getdents64(dfd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                for (ssize_t o = 0; o < k;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + o);
                        char link[64];
                        unsigned long inode;
                        ssize_t n;

                        o += de->d_reclen;
                        if (de->d_name[0] == '.')
                                continue;
                        n = readlinkat(dfd, de->d_name, link, sizeof link - 1);
                        if (n <= 0)
                                continue;
                        link[n] = '\0';
                        if (!strneq(link, "socket:[", 8) || sscanf(link + 8, "%lu]", &inode) != 1)
                                continue;
                        for (size_t i = 0; i < lt->n; i++)
                                if (lt->items[i].inode == inode) {
                                        cb(&lt->items[i], userdata);
                                        count++;
                                }
                }
        }
        return count;
}
