/* seccomp-cache.c — step 6a's cache of generated seccomp programs. Building
 * a filter with libseccomp (resolving a few hundred names, generating the
 * binary tree) costs about half a millisecond per launch, and its result
 * depends only on what seccomp_filter_key() (seccomp.c) puts in a key: the
 * policy's resolved seccomp settings, the syscall group table, the
 * builder's own source, libseccomp's version and the architecture. So the
 * program is kept in a file named after a hash of that key, and the next
 * launch with the same key reads it instead of building it again.
 *
 *   RUN_DIR/seccomp/              root, 0700 (created if missing)
 *   RUN_DIR/seccomp/HASH.bpf      root, 0600, written to a temporary name
 *                                 and renamed into place (atomic)
 *
 * A file is used only when everything holds: the directory and the file
 * are root's and nobody else may write (or, for the cache, read) them, the
 * file is a regular file with one link, and its content decodes: magic,
 * sizes, the full key (compared byte for byte, not only its hash) and a
 * checksum over key and program. Anything else is a miss: the filter is
 * built as if there were no cache and the file replaced. The checksum only
 * catches torn or damaged files; trust comes from the ownership checks.
 *
 * Layout: the pure encoding (seccomp_cache_encode/decode, unit-tested) first,
 * then the file system side. Nothing here logs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

#define CACHE_MAGIC "CORLBPF1"
#define CACHE_DIR "seccomp"
#define CACHE_MAX_KEY ((size_t) 256 * 1024)
#define CACHE_MAX_FILES 64
/* the kernel's limit on a classic BPF program (BPF_MAXINSNS) */
#define CACHE_MAX_INSNS ((size_t) 4096)

typedef struct CacheHeader {
        char magic[8];
        uint32_t key_size;
        uint32_t n_insns;
        uint64_t checksum; /* FNV-1a 64 of the key, then the program */
} CacheHeader;

uint64_t seccomp_cache_hash(uint64_t h, const void *data, size_t n) {
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static uint64_t checksum(const char *key, size_t key_size, const struct sock_filter *insns, size_t n_insns) {
        uint64_t h = seccomp_cache_hash(SECCOMP_CACHE_HASH_INIT, key, key_size);
        return seccomp_cache_hash(h, insns, n_insns * sizeof insns[0]);
}

int seccomp_cache_encode(const char *key, const SeccompProgram *p, void **ret, size_t *ret_size) {
        size_t key_size = strlen(key), n = p->prog.len, size;
        CacheHeader h = { .magic = CACHE_MAGIC };
        unsigned char *buf; /* bytes, not a string: the key is not NUL-terminated here */

        if (key_size == 0 || key_size > CACHE_MAX_KEY || n == 0 || n > CACHE_MAX_INSNS || !p->prog.filter)
                return -EINVAL;
        h.key_size = (uint32_t) key_size;
        h.n_insns = (uint32_t) n;
        h.checksum = checksum(key, key_size, p->prog.filter, n);
        size = sizeof h + key_size + n * sizeof(struct sock_filter);
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &h, sizeof h);
        memcpy(buf + sizeof h, key, h.key_size);
        memcpy(buf + sizeof h + key_size, p->prog.filter, n * sizeof(struct sock_filter));
        *ret = buf;
        *ret_size = size;
        return 0;
}

int seccomp_cache_decode(const void *buf, size_t size, const char *key, SeccompProgram *ret) {
        size_t key_size = strlen(key);
        const char *b = buf;
        struct sock_filter *insns;
        CacheHeader h;

        if (size < sizeof h)
                return -EBADMSG;
        memcpy(&h, b, sizeof h);
        if (memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) != 0 || h.key_size != key_size || h.n_insns == 0 ||
            h.n_insns > CACHE_MAX_INSNS ||
            size != sizeof h + key_size + (size_t) h.n_insns * sizeof(struct sock_filter))
                return -EBADMSG;
        /* another key with the same hash (or another policy's file) */
        if (memcmp(b + sizeof h, key, key_size) != 0)
                return -ESTALE;
        insns = malloc((size_t) h.n_insns * sizeof insns[0]);
        if (!insns)
                return -ENOMEM;
        memcpy(insns, b + sizeof h + key_size, (size_t) h.n_insns * sizeof insns[0]);
        if (checksum(key, key_size, insns, h.n_insns) != h.checksum) {
                free(insns);
                return -EBADMSG;
        }
        ret->prog.len = (unsigned short) h.n_insns;
        ret->prog.filter = insns;
        return 0;
}

void seccomp_cache_file_name(const char *key, char buf[static SECCOMP_CACHE_NAME_MAX]) {
        (void) snprintf(buf, SECCOMP_CACHE_NAME_MAX, "%016llx.bpf",
                        (unsigned long long) seccomp_cache_hash(SECCOMP_CACHE_HASH_INIT, key, strlen(key)));
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

int seccomp_cache_open(const char *run_dir, int *ret_dirfd) {
        _cleanup_close_ int run = -1;
        int r;

        if (isempty(run_dir) || run_dir[0] != '/')
                return -EINVAL;
        /* the run directory as corrald makes it (0755; a symlink to such a
         * directory will do); the cache in it is root's alone, no symlink */
        r = open_dir(AT_FDCWD, run_dir, 0, 0755, S_IWGRP | S_IWOTH, &run);
        if (r < 0)
                return r;
        return open_dir(run, CACHE_DIR, O_NOFOLLOW, 0700, S_IRWXG | S_IRWXO, ret_dirfd);
}

int seccomp_cache_load(int dirfd, const char *key, SeccompProgram *ret) {
        char name[SECCOMP_CACHE_NAME_MAX];
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;
        int r;

        seccomp_cache_file_name(key, name);
        /* O_NONBLOCK: never hang on a FIFO put there */
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : negative_errno();
        r = check_trusted(fd, S_IFREG, S_IRWXG | S_IRWXO);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size <= 0 ||
            (size_t) st.st_size > sizeof(CacheHeader) + CACHE_MAX_KEY + CACHE_MAX_INSNS * sizeof(struct sock_filter))
                return -EBADMSG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        /* one byte more than the size: a file that grew is not ours */
        n = pread(fd, buf, (size_t) st.st_size + 1, 0);
        if (n < 0)
                return negative_errno();
        return seccomp_cache_decode(buf, (size_t) n, key, ret);
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
        if (n >= CACHE_MAX_FILES) {
                rewinddir(d);
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                (void) unlinkat(dirfd, de->d_name, 0);
        }
        (void) closedir(d);
}

int seccomp_cache_store(int dirfd, const char *key, const SeccompProgram *p) {
        char name[SECCOMP_CACHE_NAME_MAX], tmp[SECCOMP_CACHE_NAME_MAX + 32];
        _cleanup_free_ void *buf = NULL;
        _cleanup_close_ int fd = -1;
        uint32_t rnd = 0;
        size_t size;
        int r;

        r = seccomp_cache_encode(key, p, &buf, &size);
        if (r < 0)
                return r;
        prune(dirfd);
        seccomp_cache_file_name(key, name);
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
