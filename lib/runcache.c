/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runcache.c — see runcache.h. The pure encoding (runcache_encode/decode,
 * unit-tested and fuzzed) first, then the file system side. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runcache.h"

#include "macro.h"

#define CACHE_MAGIC "CORLRC01"

typedef struct CacheHeader {
        char magic[8];
        uint32_t key_size;
        uint32_t data_size;
        uint64_t checksum; /* FNV-1a 64 of the key, then the data */
} CacheHeader;

uint64_t runcache_hash(uint64_t h, const void *data, size_t n) {
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static uint64_t checksum(const char *key, size_t key_size, const void *data, size_t size) {
        return runcache_hash(runcache_hash(RUNCACHE_HASH_INIT, key, key_size), data, size);
}

int runcache_encode(const char *key, const void *data, size_t size, void **ret, size_t *ret_size) {
        size_t key_size = strlen(key);
        CacheHeader h = { .magic = CACHE_MAGIC };
        unsigned char *buf; /* bytes, not a string: the key is not NUL-terminated here */

        if (key_size == 0 || key_size > RUNCACHE_MAX_KEY || size == 0 || size > RUNCACHE_MAX_DATA || !data)
                return -EINVAL;
        h.key_size = (uint32_t) key_size;
        h.data_size = (uint32_t) size;
        h.checksum = checksum(key, key_size, data, size);
        buf = malloc(sizeof h + key_size + size);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &h, sizeof h);
        memcpy(buf + sizeof h, key, h.key_size);
        memcpy(buf + sizeof h + key_size, data, size);
        *ret = buf;
        *ret_size = sizeof h + key_size + size;
        return 0;
}

int runcache_decode(const void *buf, size_t size, const char *key, void **ret_data, size_t *ret_size) {
        size_t key_size = strlen(key);
        const char *b = buf;
        void *data;
        CacheHeader h;

        if (size < sizeof h)
                return -EBADMSG;
        memcpy(&h, b, sizeof h);
        if (memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) != 0 || h.key_size == 0 || h.data_size == 0 ||
            h.data_size > RUNCACHE_MAX_DATA || h.key_size > RUNCACHE_MAX_KEY ||
            size != sizeof h + (size_t) h.key_size + h.data_size)
                return -EBADMSG;
        /* another key with the same hash, or another key's file put here */
        if (h.key_size != key_size || memcmp(b + sizeof h, key, key_size) != 0)
                return -ESTALE;
        if (checksum(key, key_size, b + sizeof h + key_size, h.data_size) != h.checksum)
                return -EBADMSG;
        data = malloc(h.data_size);
        if (!data)
                return -ENOMEM;
        memcpy(data, b + sizeof h + key_size, h.data_size);
        *ret_data = data;
        *ret_size = h.data_size;
        return 0;
}

void runcache_file_name(const char *key, char buf[static RUNCACHE_NAME_MAX]) {
        (void) snprintf(buf, RUNCACHE_NAME_MAX, "%016llx",
                        (unsigned long long) runcache_hash(RUNCACHE_HASH_INIT, key, strlen(key)));
}

/* ---- the file system side ---- */

/* root's, and nobody else may write (mask: the mode bits that must be clear) */
static int check_trusted(int fd, mode_t type, mode_t mask) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if ((st.st_mode & S_IFMT) != type || st.st_uid != 0 || (st.st_mode & mask) != 0)
                return -EPERM;
        if (type == S_IFREG && st.st_nlink != 1)
                return -EPERM;
        return 0;
}

/* Opens the directory name below dirfd, creating it with mode if it is
 * missing (the last component only), and checks it. */
static int open_dir(int dirfd, const char *name, int flags, mode_t mode, mode_t mask, int *ret) {
        _cleanup_close_ int fd = -1;
        int r;

        flags |= O_RDONLY | O_DIRECTORY | O_CLOEXEC;
        fd = openat(dirfd, name, flags);
        if (fd < 0 && errno == ENOENT) {
                if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                fd = openat(dirfd, name, flags);
        }
        if (fd < 0)
                return errno == ELOOP ? -EPERM : negative_errno();
        r = check_trusted(fd, S_IFDIR, mask);
        if (r < 0)
                return r;
        *ret = TAKE_FD(fd);
        return 0;
}

int runcache_open(const char *run_dir, const char *name, int *ret_dirfd) {
        _cleanup_close_ int run = -1;
        int r;

        if (isempty(run_dir) || run_dir[0] != '/' || isempty(name) || strchr(name, '/') || name[0] == '.')
                return -EINVAL;
        /* the run directory as corrald makes it (0755; a symlink to such a
         * directory will do); the cache in it is root's alone, no symlink */
        r = open_dir(AT_FDCWD, run_dir, 0, 0755, S_IWGRP | S_IWOTH, &run);
        if (r < 0)
                return r;
        return open_dir(run, name, O_NOFOLLOW, 0700, S_IRWXG | S_IRWXO, ret_dirfd);
}

int runcache_load(int dirfd, const char *key, void **ret_data, size_t *ret_size) {
        char name[RUNCACHE_NAME_MAX];
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;
        int r;

        runcache_file_name(key, name);
        /* O_NONBLOCK: never hang on a FIFO put there */
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : negative_errno();
        r = check_trusted(fd, S_IFREG, S_IRWXG | S_IRWXO);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size <= 0 || (size_t) st.st_size > sizeof(CacheHeader) + RUNCACHE_MAX_KEY + RUNCACHE_MAX_DATA)
                return -EBADMSG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        /* one byte more than the size: a file that grew is not ours */
        n = pread(fd, buf, (size_t) st.st_size + 1, 0);
        if (n < 0)
                return negative_errno();
        return runcache_decode(buf, (size_t) n, key, ret_data, ret_size);
}

/* Too many files (policies edited many times since boot): empty the
 * cache, it fills again with what is in use. */
static void prune(int dirfd) {
        _cleanup_close_ int fd = -1;
        struct dirent *de;
        DIR *d;
        int n = 0;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        fd = -1; /* the DIR owns it */
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        if (n >= RUNCACHE_MAX_FILES) {
                rewinddir(d);
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                (void) unlinkat(dirfd, de->d_name, 0);
        }
        (void) closedir(d);
}

int runcache_store(int dirfd, const char *key, const void *data, size_t data_size) {
        char name[RUNCACHE_NAME_MAX], tmp[RUNCACHE_NAME_MAX + 32];
        _cleanup_free_ void *buf = NULL;
        _cleanup_close_ int fd = -1;
        uint32_t rnd = 0;
        size_t size;
        int r;

        r = runcache_encode(key, data, data_size, &buf, &size);
        if (r < 0)
                return r;
        prune(dirfd);
        runcache_file_name(key, name);
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                rnd = (uint32_t) getpid() * 2654435761U;
        (void) snprintf(tmp, sizeof tmp, ".%s.%d.%08x", name, (int) getpid(), rnd);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        /* whatever the umask was */
        if (fchmod(fd, 0600) < 0 || write(fd, buf, size) != (ssize_t) size) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlinkat(dirfd, tmp, 0);
                return r;
        }
        closep(&fd);
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = negative_errno();
                (void) unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}
