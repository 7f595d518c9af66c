/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch-main.h — the entry points of corral-launch, apart from launch.h so
 * that corrald (and any other caller) can start a launch without the
 * launcher's internal types: a LaunchRequest says what to run, launch_run()
 * runs it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* One launch: the options of corral-launch(8), as values. Strings and
 * vectors are the caller's, and only read. */
typedef struct LaunchRequest {
        const char *policy; /* --policy: required */
        const char *user; /* --user: required */
        const char *job_id; /* --job-id: NULL: PID-RANDOM */
        const char *cwd; /* --cwd: absolute; NULL: the user's home, or / */
        const char *stdin_path, *stdout_path, *stderr_path; /* NULL: inherited */
        char **env; /* NAME=VALUE, NULL-terminated; NULL: none (may hold secrets) */
        const char *env_file; /* absolute; read as the user, before env */
        uint64_t walltime; /* usec, shorter than the policy's; UINT64_MAX: the policy's */
        uint64_t mem; /* --mem: bytes, at most the policy's max_mem; 0: the policy's memory */
        uint64_t cpus; /* --cpus: millicpus, at most the policy's max_cpus; 0: the policy's cpus */
        const char *result_path; /* --result; excludes result_fd */
        int result_fd; /* --result-fd; -1: none */
        const char *policy_dir, *config_path, *cgroup_parent; /* NULL: node config */
        /* --socket: corrald's API socket, whose directory a job whose policy
         * says [users] submit_from_jobs = no does not see; NULL: node config */
        const char *socket;
        char **argv; /* the command, NULL-terminated, argv[0] non-empty */
} LaunchRequest;

#define LAUNCH_REQUEST_INIT                                                                                            \
        { .walltime = UINT64_MAX, .result_fd = -1 }

/* The whole of a launch after its request: checks req (as the parser does:
 * a bad field is an error naming the option, EXIT_USAGE), then contains,
 * runs and waits for the job, writes its result and returns corral-launch's
 * exit status. Run as root. corrald's root helper calls it in a forked
 * child (no exec: the helper's loaded libraries and prepared cgroup backend
 * carry over). */
int launch_run(const LaunchRequest *req);

/* corral-launch's command line into a request (options.c): 0, or 1 after
 * --help or --version (printed), or -EINVAL after logging why. ret's strings
 * point into argv, except ret->env (--env, --env-fd): free it with
 * launch_request_done(). */
int launch_parse_args(int argc, char *argv[], LaunchRequest *ret);
void launch_request_done(LaunchRequest *req);

/* The command line that launch_parse_args() turns back into req, argv[0]
 * "corral-launch" (the exec path: corrald --launch PATH). Fields are not
 * checked here (the parser does that). --env values are in it as they are:
 * the exec'd corral-launch blanks them at once (launch_argv_scrub). 0 or
 * -ENOMEM; free *ret_argv with strv_free(). */
int launch_request_to_argv(const LaunchRequest *req, char ***ret_argv);

/* The whole of corral-launch, argv as on its command line: parse, then
 * launch_run(). main.c calls it. */
int launch_main(int argc, char *argv[]);

/* Set by main.c: the argv is the program's own (a real exec, not an
 * in-memory one), so option values that may be secret (--env's) are blanked
 * in it once copied: ps then shows no secret of the launcher, nor of
 * corral-init, its clone. */
extern bool launch_argv_scrub;
