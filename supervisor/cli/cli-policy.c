/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli-policy.c — `corral policy check|show|list|groups`. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "landlock.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "macro.h"
#include "nodeconf.h"
#include "policy.h"
#include "strv.h"
#include "syscall-groups.h"

static void policy_help(FILE *f) {
        fputs("Usage: corral policy check [OPTIONS] FILE|NAME...\n"
              "       corral policy show  [OPTIONS] NAME|FILE\n"
              "       corral policy list  [OPTIONS]\n"
              "       corral policy groups [--json] [GROUP...]\n"
              "\n"
              "check   Parse each policy with its whole inheritance chain and report every\n"
              "        error as FILE:LINE: message. Exit 0 when all are valid, 1 otherwise.\n"
              "show    Print the effective policy (inheritance resolved, built-in defaults\n"
              "        filled in) as INI, each value annotated with the file and line that\n"
              "        set it; --json prints it as JSON.\n"
              "list    List the policies in the policy directory with their descriptions.\n"
              "groups  List the seccomp syscall groups (@mount, @debug, ...) and their syscalls.\n"
              "\n"
              "An argument containing '/' or ending in .ini is a file; anything else is a\n"
              "policy name looked up as NAME.ini in the policy directory.\n"
              "\n"
              "Options:\n"
              "  -d, --policy-dir DIR   policy directory (default: $CORRAL_POLICY_DIR, else\n"
              "                         the node config's policy_dir, " POLICY_DIR_DEFAULT ";\n"
              "                         a corral run from its build tree on a node without\n"
              "                         that directory uses the tree's policies/)\n"
              "  -c, --config FILE      node config (default: $CORRAL_CONFIG or " NODECONF_PATH_DEFAULT ")\n"
              "      --json             machine-readable output\n"
              "  -q, --quiet            check: print nothing for valid files\n"
              "      --no-strict-perms  do not refuse files (or their directory) that are not\n"
              "                         owned by root or are writable by group or others;\n"
              "                         for drafts and tests, never for deployment\n"
              "  -h, --help             this text\n",
              f);
}

char *cli_policy_dir(const char *opt_dir, const char *opt_config) {
        _cleanup_nodeconf_free_ NodeConfig *c = NULL;
        ConfDiags d = { 0 };
        const char *e;

        if (opt_dir)
                return strdup(opt_dir);
        e = getenv("CORRAL_POLICY_DIR");
        if (e && *e)
                return strdup(e);
        if (!opt_config) {
                e = getenv("CORRAL_CONFIG");
                opt_config = e && *e ? e : NODECONF_PATH_DEFAULT;
        }
        if (nodeconf_load(opt_config, 0, true, &c, &d) < 0) {
                conf_diags_print(&d, stderr);
                conf_diags_clear(&d);
                return NULL;
        }
        conf_diags_clear(&d);
#ifdef CORRAL_BUILD_DIR
        /* Run from its own build tree on a node where corral is not
         * installed, `corral policy show strict` uses the tree's policies/.
         * An installed binary lives elsewhere and never does this. */
        if (!c->origin[NK_POLICY_DIR].line && access(c->policy_dir, F_OK) < 0) {
                char exe[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
                if (n > 0) {
                        exe[n] = '\0';
                        char *slash = strrchr(exe, '/');
                        if (slash) {
                                *slash = '\0';
                                if (streq(exe, CORRAL_BUILD_DIR) && access(CORRAL_SOURCE_POLICY_DIR, F_OK) == 0)
                                        return strdup(CORRAL_SOURCE_POLICY_DIR);
                        }
                }
        }
#endif
        return strdup(c->policy_dir);
}

static bool is_file_arg(const char *a) {
        size_t n = strlen(a);
        return strchr(a, '/') || (n > 4 && streq(a + n - 4, ".ini"));
}

static int load_arg(const char *arg, const char *dir, unsigned flags, Policy **ret, ConfDiags *d) {
        if (is_file_arg(arg))
                return policy_load_file(arg, flags, ret, d);
        return policy_load(dir, arg, flags, ret, d);
}

static json_t *diags_json(const ConfDiags *d) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < d->n; i++)
                json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "file", d->items[i].file, "line",
                                                   (int) d->items[i].line, "message", d->items[i].msg));
        return a;
}

static int do_check(char **args, const char *dir, unsigned flags, bool json, bool quiet) {
        json_t *out = json ? json_array() : NULL;
        int failed = 0;

        for (char **a = args; *a; a++) {
                _cleanup_policy_free_ Policy *p = NULL;
                ConfDiags d = { 0 };
                int r = load_arg(*a, dir, flags, &p, &d);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        failed++;
                if (json)
                        json_array_append_new(out, json_pack("{s:s, s:b, s:o}", "policy", *a, "valid", r >= 0, "errors",
                                                             diags_json(&d)));
                else if (r < 0) {
                        conf_diags_print(&d, stderr);
                        if (d.n == 0)
                                fprintf(stderr, "%s: %s\n", *a, strerror(-r));
                } else if (!quiet)
                        printf("%s: ok (policy '%s'%s%s)\n", *a, p->name,
                               p->inherit && p->inherit[0] ? ", inherits " : "",
                               p->inherit && p->inherit[0] ? p->inherit : "");
                conf_diags_clear(&d);
        }
        if (json) {
                json_dumpf(out, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
                json_decref(out);
        } else if (failed > 0)
                fprintf(stderr, "%d of %zu policies invalid\n", failed, strv_length(args));
        return failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int do_show(const char *arg, const char *dir, unsigned flags, bool json) {
        _cleanup_policy_free_ Policy *p = NULL;
        ConfDiags d = { 0 };
        int r = load_arg(arg, dir, flags, &p, &d);

        if (r < 0) {
                conf_diags_print(&d, stderr);
                if (d.n == 0)
                        fprintf(stderr, "%s: %s\n", arg, strerror(-r));
                conf_diags_clear(&d);
                return CLI_EXIT_FAILURE;
        }
        conf_diags_clear(&d);
        /* what [landlock] amounts to on this kernel */
        LandlockPlan ll;
        char lltext[256];
        landlock_plan(p, landlock_abi(), &ll);
        landlock_plan_describe(&ll, lltext, sizeof lltext);
        if (json) {
                json_t *o = policy_to_json(p);
                if (!o)
                        return log_oom(), CLI_EXIT_FAILURE;
                const char *missing = landlock_missing_text(&ll);
                (void) json_object_set_new(
                        o, "landlock_on_this_kernel",
                        json_pack("{s:i, s:s, s:s?}", "abi", ll.abi, "enforced", lltext, "missing", missing));
                json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                json_decref(o);
        } else {
                if (policy_write_ini(p, true, stdout) < 0)
                        return log_oom(), CLI_EXIT_FAILURE;
                const char *missing = landlock_missing_text(&ll);
                printf("\n# Landlock on this kernel: %s\n", lltext);
                if (missing)
                        printf("# %s\n", missing);
        }
        return CLI_EXIT_OK;
}

static int do_list(const char *dir, unsigned flags, bool json) {
        _cleanup_strv_free_ char **names = NULL;
        json_t *out = json ? json_array() : NULL;
        int r = policy_list(dir, &names), bad = 0;

        if (r < 0) {
                log_error_errno(r, "Cannot list policies in %s: %m", dir);
                return CLI_EXIT_FAILURE;
        }
        for (char **n = names; *n; n++) {
                _cleanup_policy_free_ Policy *p = NULL;
                ConfDiags d = { 0 };
                r = policy_load(dir, *n, flags, &p, &d);
                conf_diags_clear(&d);
                if (r < 0)
                        bad++;
                if (json)
                        json_array_append_new(out, json_pack("{s:s, s:b, s:s}", "name", *n, "valid", r >= 0,
                                                             "description", p ? p->description : ""));
                else
                        printf("%-16s %s\n", *n, r < 0 ? "INVALID (run: corral policy check NAME)" : p->description);
        }
        if (json) {
                json_dumpf(out, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
                json_decref(out);
        }
        return bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int do_groups(char **args, bool json) {
        json_t *out = json ? json_object() : NULL;
        for (unsigned i = 0; i < syscall_groups_count; i++) {
                const SyscallGroup *g = &syscall_groups[i];
                if (*args && !strv_contains(args, g->name))
                        continue;
                if (json) {
                        json_t *l = json_array();
                        for (const char *const *s = g->syscalls; *s; s++)
                                json_array_append_new(l, json_string(*s));
                        json_object_set_new(out, g->name, json_pack("{s:s, s:o}", "help", g->help, "syscalls", l));
                        continue;
                }
                printf("%s\n    # %s\n   ", g->name, g->help);
                size_t col = 3;
                for (const char *const *s = g->syscalls; *s; s++) {
                        if (col + strlen(*s) + 1 > 78) {
                                printf("\n   ");
                                col = 3;
                        }
                        col += (size_t) printf(" %s", *s);
                }
                printf("\n\n");
        }
        for (char **a = args; *a; a++)
                if (!syscall_group_find(*a)) {
                        log_error("unknown syscall group '%s'", *a);
                        json_decref(out);
                        return CLI_EXIT_FAILURE;
                }
        if (json) {
                json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
                fputc('\n', stdout);
                json_decref(out);
        }
        return CLI_EXIT_OK;
}

int verb_policy(int argc, char *argv[]) {
        enum { OPT_JSON = 0x100, OPT_NO_STRICT };
        static const struct option options[] = {
                { "policy-dir", required_argument, NULL, 'd' },
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, OPT_JSON },
                { "quiet", no_argument, NULL, 'q' },
                { "no-strict-perms", no_argument, NULL, OPT_NO_STRICT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *opt_dir = NULL, *opt_config = NULL, *sub;
        bool json = false, quiet = false;
        unsigned flags = POLICY_STRICT_PERMS;
        _cleanup_free_ char *dir = NULL;
        int c;

        if (argc < 2) {
                policy_help(stderr);
                return CLI_EXIT_USAGE;
        }
        if (argv[1][0] == '-' && !streq(argv[1], "--help") && !streq(argv[1], "-h") && cli_hoist_verb(argc, argv) < 0) {
                log_error("no policy command given: check, show, list or groups");
                return CLI_EXIT_USAGE;
        }
        sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h")) {
                policy_help(stdout);
                return CLI_EXIT_OK;
        }
        argc--;
        argv++;
        optind = 1;
        while ((c = getopt_long(argc, argv, "d:c:qh", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        opt_dir = optarg;
                        break;
                case 'c':
                        opt_config = optarg;
                        break;
                case OPT_JSON:
                        json = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case OPT_NO_STRICT:
                        flags &= ~(unsigned) POLICY_STRICT_PERMS;
                        break;
                case 'h':
                        policy_help(stdout);
                        return CLI_EXIT_OK;
                default:
                        return CLI_EXIT_USAGE;
                }
        char **args = argv + optind;

        if (streq(sub, "groups"))
                return do_groups(args, json);

        dir = cli_policy_dir(opt_dir, opt_config);
        if (!dir)
                return CLI_EXIT_FAILURE;

        if (streq(sub, "check")) {
                if (!*args) {
                        log_error("policy check: no policy given");
                        return CLI_EXIT_USAGE;
                }
                return do_check(args, dir, flags, json, quiet);
        }
        if (streq(sub, "show")) {
                if (!args[0] || args[1]) {
                        log_error("policy show: exactly one policy name or file expected");
                        return CLI_EXIT_USAGE;
                }
                return do_show(args[0], dir, flags, json);
        }
        if (streq(sub, "list")) {
                if (*args) {
                        log_error("policy list: no arguments expected");
                        return CLI_EXIT_USAGE;
                }
                return do_list(dir, flags, json);
        }
        log_error("unknown policy command '%s'; expected check, show, list or groups", sub);
        return CLI_EXIT_USAGE;
}
