/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listeners.c — step 5: which victims hold a listening socket (a backdoor
 * left behind by a job). The kernel lists sockets per network namespace in
 * /proc/PID/net/{tcp,tcp6,udp,udp6,unix} with their inode; a process holds
 * one when a link in /proc/PID/fd reads "socket:[INODE]". Each namespace is
 * read once (a job may have its own), then each victim's fds are matched.
 * "Listening" is: TCP in LISTEN, UDP bound to a port and unconnected, unix
 * sockets with __SO_ACCEPTCON (listen() called). TCP/UDP sockets carry the
 * uid that created them; only those of uids we may clean are matched (a
 * socket a root daemon created and handed to a job is not reported; it dies
 * with its holder all the same). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        EpListener *n = realloc(lt->items, (lt->n + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        lt->items = n;
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

int listeners_load_netns(EpListenerTable *lt, int proc_fd, pid_t pid, bool (*keep_uid)(uid_t uid, void *userdata),
                         void *userdata) {
        static const char *const tables[] = { "tcp", "tcp6", "udp", "udp6", "unix" };
        char path[64], link[64];
        unsigned long long ino;
        ssize_t k;

        /* "net:[4026531840]": readlink is ~3x cheaper than stat here */
        (void) snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        k = readlinkat(proc_fd, path, link, sizeof link - 1);
        if (k < 0)
                return negative_errno();
        link[k] = '\0';
        if (sscanf(link, "net:[%llu]", &ino) != 1)
                return -EINVAL;
        for (size_t i = 0; i < lt->n_netns; i++)
                if (lt->netns_seen[i] == (uint64_t) ino)
                        return 0;
        uint64_t *n = realloc(lt->netns_seen, (lt->n_netns + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        lt->netns_seen = n;
        lt->netns_seen[lt->n_netns++] = (uint64_t) ino;
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                int r = read_table(lt, proc_fd, pid, tables[i], keep_uid, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int listeners_of_pid(const EpListenerTable *lt, int proc_fd, pid_t pid, void (*cb)(const EpListener *l, void *userdata),
                     void *userdata) {
        char path[64];
        DIR *d;
        int dfd, count = 0;

        if (lt->n == 0)
                return 0;
        (void) snprintf(path, sizeof path, "%d/fd", (int) pid);
        dfd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        d = fdopendir(dfd);
        if (!d) {
                (void) close(dfd);
                return -ENOMEM;
        }
        for (struct dirent *de; (de = readdir(d));) {
                char link[64];
                unsigned long inode;
                ssize_t k;

                if (de->d_name[0] == '.')
                        continue;
                k = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);
                if (k <= 0)
                        continue;
                link[k] = '\0';
                if (sscanf(link, "socket:[%lu]", &inode) != 1)
                        continue;
                for (size_t i = 0; i < lt->n; i++)
                        if (lt->items[i].inode == inode) {
                                cb(&lt->items[i], userdata);
                                count++;
                        }
        }
        (void) closedir(d);
        return count;
}
