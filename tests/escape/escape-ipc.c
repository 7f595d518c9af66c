/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-ipc.c — SysV IPC across the job boundary:
 *   create KEY   creates a shared memory segment, a message queue and a
 *                semaphore set with KEY (hex) and leaves them
 *   attach KEY   tries to reach the host's segment/queue with KEY
 * "attach" prints "contained" and exits 0 when none is reachable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        key_t key;
        if (argc < 3)
                return 2;
        key = (key_t) strtoul(argv[2], NULL, 16);
        if (!strcmp(argv[1], "create")) {
                int a = shmget(key, 4096, IPC_CREAT | 0666), b = msgget(key, IPC_CREAT | 0666),
                    c = semget(key, 1, IPC_CREAT | 0666);
                printf("created %d %d %d\n", a >= 0, b >= 0, c >= 0);
                return 0;
        }
        if (!strcmp(argv[1], "attach")) {
                int a = shmget(key, 0, 0), b = msgget(key, 0);
                if (a >= 0 || b >= 0) {
                        printf("ESCAPED: reached the host's IPC objects (shm %d, msg %d)\n", a, b);
                        return 1;
                }
                printf("contained: %s\n", strerrorname_np(errno));
                return 0;
        }
        return 2;
}
