/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.c — a main for the fuzz harnesses without libFuzzer: feeds every
 * file named on the command line (directories: every file in them) to
 * LLVMFuzzerTestOneInput once. `make check` runs it over tests/fuzz/corpus/,
 * so every input that once crashed stays a regression test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        FILE *f = fopen(path, "rbe");
        if (!f) {
                perror(path);
                return -1;
        }
        uint8_t *buf = malloc(1 << 20);
        size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
        if (!buf)
                return -1;
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return 1;
                        count++;
                        continue;
                }
                struct dirent **names;
                int n = scandir(argv[i], &names, NULL, alphasort);
                if (n < 0) {
                        perror(argv[i]);
                        return 1;
                }
                for (int k = 0; k < n; k++) {
                        char path[4096];
                        if (names[k]->d_name[0] != '.') {
                                snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
                                if (replay_file(path) < 0)
                                        return 1;
                                count++;
                        }
                        free(names[k]);
                }
                free(names);
        }
        printf("%s: replayed %u inputs, no crash\n", argc > 0 ? argv[0] : "replay", count);
        return count > 0 ? 0 : 1;
}
