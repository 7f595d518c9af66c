/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runcache.h — small caches of derived data in the node's run_dir, for work
 * whose result depends only on a key and is the same for every launch until
 * the key changes: the generated seccomp program of a policy, libcgroup's
 * discovery of the cgroup hierarchies. One directory per kind of data:
 *
 *   RUN_DIR/NAME/          root, 0700 (created if missing)
 *   RUN_DIR/NAME/HASH      root, 0600: a hash of the key names the file;
 *                          written to a temporary name and renamed
 *
 * A file is used only when the directory and the file are root's and nobody
 * else may write (or, for the cache, read) them, the file is a regular file
 * with one link, and its content decodes: magic, sizes, the full key
 * (compared byte for byte, not only its hash) and a checksum over key and
 * data. Anything else is a miss, and the caller computes the data as if there
 * were no cache. The checksum only catches torn or damaged files; trust comes
 * from the ownership checks. Library rules: 0 or -errno, no logging. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RUNCACHE_NAME_MAX 24
#define RUNCACHE_HASH_INIT UINT64_C(0xcbf29ce484222325)
#define RUNCACHE_MAX_KEY ((size_t) 256 * 1024)
#define RUNCACHE_MAX_DATA ((size_t) 256 * 1024)
/* at this many files a directory is emptied (it fills again with what is
 * in use) */
#define RUNCACHE_MAX_FILES 64

/* FNV-1a 64, continued from h */
uint64_t runcache_hash(uint64_t h, const void *data, size_t n);
void runcache_file_name(const char *key, char buf[static RUNCACHE_NAME_MAX]);

/* pure: a cache file's bytes. decode returns -EBADMSG (damaged, truncated,
 * not a cache file) or -ESTALE (another key's file) */
int runcache_encode(const char *key, const void *data, size_t size, void **ret, size_t *ret_size);
int runcache_decode(const void *buf, size_t size, const char *key, void **ret_data, size_t *ret_size);

/* RUN_DIR/name, both created if missing (RUN_DIR 0755, as corrald makes it;
 * name 0700); -EPERM when RUN_DIR is not root's or others may write it, or
 * RUN_DIR/name is not root's alone or is a symlink. */
int runcache_open(const char *run_dir, const char *name, int *ret_dirfd);
/* -ENOENT: no file; -EPERM: a file that is not root's alone; -EBADMSG,
 * -ESTALE: see decode. *ret_data is malloc'd. */
int runcache_load(int dirfd, const char *key, void **ret_data, size_t *ret_size);
int runcache_store(int dirfd, const char *key, const void *data, size_t size);
