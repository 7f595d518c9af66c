/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-policy.c — the policy language: loading, every kind of error with its
 * FILE:LINE, inheritance, fail-closed behaviour, permission checks, output
 * round trips; and the node config. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit-skip.h"

#include "nodeconf.h"
#include "parse.h"
#include "landlock.h"
#include "policy.h"
#include "strv.h"
#include "syscall-groups.h"

static char dir[256];

static void setup(void) {
        snprintf(dir, sizeof dir, "/tmp/corral-unit.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(chmod(dir, 0755), 0);
}

static void teardown(void) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *content) {
        static char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputs(content, f) >= 0, 1);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(path, 0644), 0);
        return path;
}

/* Loads NAME from the temp dir without permission checks; returns r and the
 * diagnostics joined as "line:msg\n". */
static int load(const char *name, Policy **ret, char **ret_diags) {
        ConfDiags d = { 0 };
        int r = policy_load(dir, name, 0, ret, &d);
        size_t len = 0;
        char *buf = NULL;
        FILE *f = open_memstream(&buf, &len);
        for (size_t i = 0; i < d.n; i++) {
                const char *base = strrchr(d.items[i].file, '/');
                fprintf(f, "%s:%u: %s\n", base ? base + 1 : d.items[i].file, d.items[i].line, d.items[i].msg);
        }
        fclose(f);
        conf_diags_clear(&d);
        *ret_diags = buf;
        return r;
}

static void assert_error(const char *content, const char *expect) {
        Policy *p = (Policy *) 0x1; /* must stay untouched: fail closed */
        char *diags;
        write_file("t.ini", content);
        int r = load("t", &p, &diags);
        ck_assert_int_lt(r, 0);
        ck_assert_ptr_eq(p, (Policy *) 0x1);
        if (!strstr(diags, expect))
                ck_abort_msg("expected '%s' in diagnostics, got:\n%s", expect, diags);
        free(diags);
}

START_TEST(test_defaults_valid) {
        Policy *p = NULL;
        ConfDiags d = { 0 };
        ck_assert_int_eq(policy_new_defaults(&p), 0);
        ck_assert_int_eq(policy_validate(p, &d), 0);
        ck_assert_uint_eq(p->memory, 4ULL << 30);
        ck_assert_uint_eq(p->tasks, 512);
        ck_assert_uint_eq(p->walltime, 48 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(p->ns_net, NS_HOST);
        ck_assert_int_eq(p->ns_pid, NS_ISOLATED);
        ck_assert(strv_contains(p->seccomp_deny, "@mount"));
        ck_assert_uint_eq(p->origin[PK_MEMORY].line, 0);
        policy_free(p);
}
END_TEST

START_TEST(test_shipped_policies) {
        const char *src = getenv("CORRAL_SRC");
        char pdir[512];
        Policy *p = NULL;
        ConfDiags d = { 0 };
        snprintf(pdir, sizeof pdir, "%s/policies", src ? src : ".");
        ck_assert_int_eq(policy_load(pdir, "default", 0, &p, &d), 0);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(p->cpus, 1000);
        ck_assert_int_eq(p->seccomp_mode, SECCOMP_MODE_DENYLIST);
        ck_assert_int_eq(p->seccomp_errno, EPERM);
        /* a job may not queue jobs itself, and it says so in the file */
        ck_assert(!p->submit_from_jobs);
        ck_assert_uint_gt(p->origin[PK_SUBMIT_FROM_JOBS].line, 0);
        policy_free(p);
        p = NULL;
        ck_assert_int_eq(policy_load(pdir, "strict", 0, &p, &d), 0);
        ck_assert_str_eq(p->name, "strict");
        ck_assert(!p->submit_from_jobs); /* inherited */
        ck_assert_int_eq(p->ns_net, NS_ISOLATED);
        ck_assert_int_eq(p->seccomp_mode, SECCOMP_MODE_ALLOWLIST);
        ck_assert_uint_eq(p->memory, 4ULL << 30); /* inherited */
        ck_assert_uint_eq(strv_length(p->chain), 2);
        ck_assert(strstr(p->chain[0], "default.ini") != NULL);
        ck_assert(strstr(p->origin[PK_MEMORY].file, "default.ini") != NULL);
        ck_assert(strstr(p->origin[PK_NS_NET].file, "strict.ini") != NULL);
        policy_free(p);
}
END_TEST

START_TEST(test_inheritance) {
        Policy *p = NULL;
        char *diags;
        write_file("base.ini", "[limits]\nmemory = 2G\ntasks = 100\n[users]\nallow_users = alice, bob\n"
                               "[filesystem]\nread_only = /usr\n");
        write_file("mid.ini", "[policy]\ninherit = base\n[limits]\ntasks = 50\n[users]\nallow_users = carol\n");
        write_file("leaf.ini", "[policy]\ninherit = mid\n[filesystem]\nread_only =\n[limits]\ncpus = 0.5\n");
        ck_assert_int_eq(load("leaf", &p, &diags), 0);
        free(diags);
        ck_assert_uint_eq(p->memory, 2ULL << 30); /* from base */
        ck_assert_uint_eq(p->tasks, 50); /* mid overrides base */
        ck_assert_uint_eq(p->cpus, 500);
        ck_assert_uint_eq(strv_length(p->allow_users), 1); /* lists replace, not merge */
        ck_assert_str_eq(p->allow_users[0], "carol");
        ck_assert_uint_eq(strv_length(p->read_only), 0); /* an empty value clears */
        ck_assert_uint_eq(strv_length(p->chain), 3);
        ck_assert_uint_eq(p->origin[PK_TASKS].line, 4);
        policy_free(p);
}
END_TEST

/* [users] submit_from_jobs: no by default, yes inherited, no again in a child */
START_TEST(test_submit_from_jobs) {
        Policy *p = NULL;
        char *diags;
        write_file("sfj.ini", "[policy]\ndescription = x\n");
        ck_assert_int_eq(load("sfj", &p, &diags), 0);
        free(diags);
        ck_assert(!p->submit_from_jobs);
        policy_free(p);
        p = NULL;
        write_file("sfjyes.ini", "[users]\nsubmit_from_jobs = yes\n");
        write_file("sfjkid.ini", "[policy]\ninherit = sfjyes\n");
        write_file("sfjno.ini", "[policy]\ninherit = sfjyes\n[users]\nsubmit_from_jobs = no\n");
        ck_assert_int_eq(load("sfjkid", &p, &diags), 0);
        free(diags);
        ck_assert(p->submit_from_jobs);
        ck_assert_uint_eq(p->origin[PK_SUBMIT_FROM_JOBS].line, 2);
        policy_free(p);
        p = NULL;
        ck_assert_int_eq(load("sfjno", &p, &diags), 0);
        free(diags);
        ck_assert(!p->submit_from_jobs);
        policy_free(p);
}
END_TEST

START_TEST(test_continuation_lines) {
        Policy *p = NULL;
        char *diags;
        write_file("c.ini", "[seccomp]\ndeny = @mount,\n    @module\n    ; a comment between\n    ptrace, kcmp\n"
                            "[users]\ndeny_users = a\n  b\n");
        ck_assert_int_eq(load("c", &p, &diags), 0);
        free(diags);
        ck_assert_uint_eq(strv_length(p->seccomp_deny), 4);
        ck_assert(strv_contains(p->seccomp_deny, "kcmp"));
        ck_assert_uint_eq(strv_length(p->deny_users), 2);
        policy_free(p);
}
END_TEST

START_TEST(test_errors) {
        assert_error("[limits]\nmemroy = 4G\n", "t.ini:2: unknown key 'memroy' in [limits] (did you mean 'memory'?)");
        assert_error("[limts]\nmemory = 4G\n", "t.ini:1: unknown section [limts] (did you mean [limits]?)");
        assert_error("[limits]\nmin_uid = 5\n",
                     "t.ini:2: unknown key 'min_uid' in [limits] (it belongs in [users] or [epilogue])");
        assert_error("[limits]\nmemory = 4G\nmemory = 2G\n",
                     "t.ini:3: duplicate key 'memory' in [limits] (first set on line 2)");
        assert_error("[limits]\nmemory = 4Q\n", "t.ini:2: invalid size '4Q' for 'memory'");
        assert_error("[limits]\nmemory = 1K\n", "t.ini:2: size 1K for 'memory' is out of range");
        assert_error("[limits]\ntasks = 0\n", "t.ini:2: value 0 for 'tasks' is out of range");
        assert_error("[limits]\nwalltime = 3x\n", "t.ini:2: invalid duration '3x' for 'walltime'");
        assert_error("[namespaces]\nnet = private\n",
                     "t.ini:2: invalid value 'private' for 'net': expected one of host, isolated");
        assert_error("[filesystem]\nprivate_tmp = maybe\n",
                     "t.ini:2: invalid value 'maybe' for 'private_tmp': expected yes or no");
        assert_error("[seccomp]\ndeny = @mount, notasyscall\n", "t.ini:2: unknown syscall 'notasyscall'");
        assert_error("[seccomp]\ndeny = @mnt\n", "t.ini:2: unknown syscall group '@mnt' (did you mean '@mount'?)");
        assert_error("[seccomp]\nerrno = EWHAT\n", "t.ini:2: invalid value 'EWHAT' for 'errno'");
        assert_error("memory = 4G\n", "t.ini:1: 'memory' outside any section");
        assert_error("[limits]\nthis line has no equals sign\n", "t.ini:2: syntax error");
        assert_error("[limits\nmemory = 4G\n", "t.ini:1: syntax error: section header without closing ']'");
        assert_error("[limits]\nmemory = 4G\n   tasks = 5\n", "t.ini:3: 'memory' takes a single value");
        assert_error("[policy]\ninherit = nosuchparent\n", "t.ini:2: parent policy 'nosuchparent' not found");
        assert_error("[policy]\ninherit = t\n", "t.ini:2: inherit cycle: t -> t");
        assert_error("[policy]\ninherit = ../etc/passwd\n", "t.ini:2: invalid policy name");
        assert_error("[filesystem]\nhide = relative/path\n", "t.ini:2: 'relative/path' is not an absolute path");
        assert_error("[filesystem]\nread_only = /usr/../etc\n", "t.ini:2: '/usr/../etc' is not an absolute path");
        assert_error("[filesystem]\nhostname = -bad-\n", "t.ini:2: invalid hostname '-bad-'");
        assert_error("[users]\nallow_users = ok, b@d\n", "t.ini:2: invalid user or group name 'b@d'");
        assert_error("[users]\nmin_uid = 0\n", "t.ini:2: value 0 for 'min_uid' is out of range");
        assert_error("[users]\nsubmit_from_jobs = sometimes\n",
                     "t.ini:2: invalid value 'sometimes' for 'submit_from_jobs': expected yes or no");
        assert_error("[users]\nsubmit_from_jobs = yes\nsubmit_from_jobs = no\n",
                     "t.ini:3: duplicate key 'submit_from_jobs' in [users] (first set on line 2)");
        assert_error("[job]\nsubmit_from_jobs = yes\n", "t.ini:2: unknown key 'submit_from_jobs' in [job]");
        assert_error("[users]\nsubmit_from_job = yes\n",
                     "t.ini:2: unknown key 'submit_from_job' in [users] (did you mean 'submit_from_jobs'?)");
        assert_error("[limits]\ncpus = 2000\n", "t.ini:2: value 2000 for 'cpus' is out of range");
        assert_error("[seccomp]\nmode = allowlist\n", "t.ini:2: mode = allowlist needs a non-empty 'allow' list");
        assert_error("[seccomp]\ndeny = execve\n", "t.ini:2: 'deny' denies execve");
        assert_error("[epilogue]\ngrace = 50s\ndeadline = 20s\n", "t.ini:2: grace (50s) is longer than deadline (20s)");
        /* min_uid above the default max_uid 60000: no user could be cleaned */
        assert_error("[epilogue]\nmin_uid = 61000\n", "max_uid (60000) is below min_uid (61000)");
        assert_error("[namespaces]\nmount = host\n", "t.ini:2: namespaces.mount = host, but [filesystem]");
        assert_error("[job]\nenv_deny = LD_PRELOAD, A-B\n",
                     "t.ini:2: 'A-B' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*) or a glob pattern");
        assert_error("[job]\nenv_deny = 1X\n", "t.ini:2: '1X' is not an environment variable name");
}
END_TEST

/* [job] env_deny: names and glob patterns; the shipped policies' lists */
START_TEST(test_env_deny) {
        const char *src = getenv("CORRAL_SRC");
        Policy *p = NULL;
        ConfDiags d = { 0 };
        char pdir[512], *diags = NULL;

        ck_assert_int_eq(policy_new_defaults(&p), 0);
        ck_assert(!policy_env_denied(p, "LD_PRELOAD")); /* built in: nothing denied */
        policy_free(p);
        p = NULL;

        write_file("e.ini", "[job]\nenv_deny = LD_*, SSH_AUTH_SOCK, X?[0-9]\n");
        ck_assert_int_eq(load("e", &p, &diags), 0);
        free(diags);
        ck_assert(policy_env_denied(p, "LD_PRELOAD"));
        ck_assert(policy_env_denied(p, "LD_LIBRARY_PATH=/opt/lib")); /* an assignment: by its name */
        ck_assert(policy_env_denied(p, "SSH_AUTH_SOCK"));
        ck_assert(policy_env_denied(p, "XA1"));
        ck_assert(!policy_env_denied(p, "XA"));
        ck_assert(!policy_env_denied(p, "SSH_AUTH_SOCKET"));
        ck_assert(!policy_env_denied(p, "PATH=/bin:LD_X"));
        ck_assert(!policy_env_denied(p, "OLD_PRELOAD"));
        policy_free(p);
        p = NULL;

        snprintf(pdir, sizeof pdir, "%s/policies", src ? src : ".");
        ck_assert_int_eq(policy_load(pdir, "default", 0, &p, &d), 0);
        ck_assert(policy_env_denied(p, "LD_PRELOAD=/x.so"));
        ck_assert(policy_env_denied(p, "LD_AUDIT"));
        ck_assert(!policy_env_denied(p, "LD_LIBRARY_PATH")); /* conda, modules */
        ck_assert(!policy_env_denied(p, "PATH"));
        policy_free(p);
        p = NULL;
        ck_assert_int_eq(policy_load(pdir, "strict", 0, &p, &d), 0);
        ck_assert(policy_env_denied(p, "LD_LIBRARY_PATH"));
        ck_assert(policy_env_denied(p, "SSH_AUTH_SOCK"));
        ck_assert(!policy_env_denied(p, "PATH"));
        policy_free(p);
}
END_TEST

START_TEST(test_all_errors_reported) {
        Policy *p = NULL;
        char *diags;
        write_file("m.ini", "[limits]\nmemory = x\ntasks = y\n[bogus]\nk = v\n[users]\nnope = 1\ngarbage\n");
        ck_assert_int_lt(load("m", &p, &diags), 0);
        ck_assert_ptr_null(p);
        ck_assert(strstr(diags, "m.ini:2:"));
        ck_assert(strstr(diags, "m.ini:3:"));
        ck_assert(strstr(diags, "m.ini:4: unknown section [bogus]"));
        ck_assert(!strstr(diags, "m.ini:5:")); /* keys of an unknown section are not reported again */
        ck_assert(strstr(diags, "m.ini:7: unknown key 'nope'"));
        ck_assert(strstr(diags, "m.ini:8: syntax error"));
        free(diags);
}
END_TEST

START_TEST(test_parent_errors_reported) {
        Policy *p = NULL;
        char *diags;
        write_file("par.ini", "[limits]\nmemory = lots\n");
        write_file("kid.ini", "[policy]\ninherit = par\n[limits]\ntasks = many\n");
        ck_assert_int_lt(load("kid", &p, &diags), 0);
        ck_assert(strstr(diags, "kid.ini:4:"));
        ck_assert(strstr(diags, "par.ini:2:"));
        free(diags);
        write_file("a.ini", "[policy]\ninherit = b\n");
        write_file("b.ini", "[policy]\ninherit = a\n");
        ck_assert_int_lt(load("a", &p, &diags), 0);
        ck_assert(strstr(diags, "b.ini:2: inherit cycle: a -> b -> a"));
        free(diags);
}
END_TEST

START_TEST(test_long_line_and_size) {
        Policy *p = NULL;
        char *diags;
        char line[400];
        memset(line, 'a', sizeof line);
        memcpy(line, "[policy]\ndescription = ", 23);
        line[sizeof line - 2] = '\n';
        line[sizeof line - 1] = '\0';
        write_file("long.ini", line);
        ck_assert_int_lt(load("long", &p, &diags), 0);
        ck_assert(strstr(diags, "long.ini:2: line too long"));
        free(diags);

        /* a line of exactly the cap is fine */
        char ok[CONF_MAX_LINE + 32];
        int n = snprintf(ok, sizeof ok, "[policy]\ndescription = ");
        memset(ok + n, 'b', (size_t) (CONF_MAX_LINE - 14));
        strcpy(ok + n + CONF_MAX_LINE - 14, "\n");
        write_file("edge.ini", ok);
        ck_assert_int_eq(load("edge", &p, &diags), 0);
        free(diags);
        policy_free(p);

        char *big = malloc(CONF_MAX_FILE_SIZE + 10);
        memset(big, ';', CONF_MAX_FILE_SIZE + 9);
        for (size_t i = 100; i < CONF_MAX_FILE_SIZE + 9; i += 100)
                big[i] = '\n';
        big[CONF_MAX_FILE_SIZE + 9] = '\0';
        write_file("big.ini", big);
        free(big);
        p = NULL;
        ck_assert_int_lt(load("big", &p, &diags), 0);
        ck_assert(strstr(diags, "big.ini:0: file too large"));
        free(diags);
}
END_TEST

START_TEST(test_nul_byte) {
        Policy *p = NULL;
        ConfDiags d = { 0 };
        static const char buf[] = "[limits]\nmemory = 4G\0tasks = 5\n";
        _cleanup_(policy_freep) Policy *s = calloc(1, sizeof(Policy));
        ck_assert_int_eq(conf_parse_buffer(&policy_schema, "nul.ini", buf, sizeof buf - 1, s, &d), -EINVAL);
        ck_assert_uint_eq(d.n, 1);
        ck_assert_uint_eq(d.items[0].line, 2);
        ck_assert(strstr(d.items[0].msg, "NUL byte"));
        conf_diags_clear(&d);
        (void) p;
}
END_TEST

START_TEST(test_strict_perms) {
        Policy *p = NULL;
        ConfDiags d = { 0 };
        const char *path = write_file("perm.ini", "[limits]\ntasks = 5\n");

        /* ownership checks need root */
        if (unit_skip_unless_root(__func__))
                return;
        ck_assert_int_eq(policy_load(dir, "perm", POLICY_STRICT_PERMS, &p, &d), 0);
        policy_free(p);
        p = NULL;
        ck_assert_int_eq(chmod(path, 0664), 0);
        ck_assert_int_eq(policy_load(dir, "perm", POLICY_STRICT_PERMS, &p, &d), -EPERM);
        ck_assert_ptr_null(p);
        ck_assert(strstr(d.items[0].msg, "writable by group or others"));
        conf_diags_clear(&d);
        ck_assert_int_eq(chmod(path, 0644), 0);
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(policy_load(dir, "perm", POLICY_STRICT_PERMS, &p, &d), -EPERM);
        ck_assert(strstr(d.items[0].msg, "not owned by root"));
        conf_diags_clear(&d);
        ck_assert_int_eq(chown(path, 0, 0), 0);
        ck_assert_int_eq(chmod(dir, 0777), 0);
        ck_assert_int_eq(policy_load(dir, "perm", POLICY_STRICT_PERMS, &p, &d), -EPERM);
        ck_assert(strstr(d.items[0].msg, "directory"));
        conf_diags_clear(&d);
        ck_assert_int_eq(chmod(dir, 0755), 0);
        /* without the flag the same file loads */
        ck_assert_int_eq(chmod(path, 0666), 0);
        ck_assert_int_eq(policy_load(dir, "perm", 0, &p, &d), 0);
        policy_free(p);
}
END_TEST

START_TEST(test_missing_policy) {
        Policy *p = NULL;
        char *diags;
        ck_assert_int_eq(load("absent", &p, &diags), -ENOENT);
        ck_assert(strstr(diags, "no policy named 'absent'"));
        free(diags);
        ck_assert_int_eq(load("../x", &p, &diags), -EINVAL);
        free(diags);
}
END_TEST

/* The effective policy printed as INI is itself a valid policy that loads to
 * the same values. */
START_TEST(test_ini_roundtrip) {
        const char *src = getenv("CORRAL_SRC");
        char pdir[512];
        Policy *p = NULL, *q = NULL;
        ConfDiags d = { 0 };
        snprintf(pdir, sizeof pdir, "%s/policies", src ? src : ".");
        ck_assert_int_eq(policy_load(pdir, "strict", 0, &p, &d), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_int_eq(policy_write_ini(p, true, f), 0);
        fclose(f);
        /* drop the inherit line: the copy stands alone */
        char *inh = strstr(buf, "inherit = default");
        ck_assert_ptr_nonnull(inh);
        memcpy(inh, ";", 1);
        write_file("copy.ini", buf);
        free(buf);
        int r = policy_load(dir, "copy", 0, &q, &d);
        if (r < 0)
                conf_diags_print(&d, stderr);
        ck_assert_int_eq(r, 0);
        json_t *a = policy_to_json(p), *b = policy_to_json(q);
        json_object_del(a, "name");
        json_object_del(b, "name");
        json_object_del(a, "path");
        json_object_del(b, "path");
        json_object_del(a, "chain");
        json_object_del(b, "chain");
        json_object_del(json_object_get(a, "policy"), "inherit");
        json_object_del(json_object_get(b, "policy"), "inherit");
        ck_assert(json_equal(a, b));
        json_decref(a);
        json_decref(b);
        policy_free(p);
        policy_free(q);
}
END_TEST

START_TEST(test_json) {
        Policy *p = NULL;
        ck_assert_int_eq(policy_new_defaults(&p), 0);
        json_t *j = policy_to_json(p);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "limits"), "memory")), 4LL << 30);
        ck_assert(json_is_null(json_object_get(json_object_get(j, "limits"), "nproc"))); /* unlimited */
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "namespaces"), "net")), "host");
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "seccomp"), "errno")), EPERM);
        ck_assert(json_is_array(json_object_get(json_object_get(j, "seccomp"), "deny")));
        json_decref(j);
        policy_free(p);
}
END_TEST

START_TEST(test_nodeconf) {
        NodeConfig *c = NULL;
        ConfDiags d = { 0 };
        ck_assert_int_eq(nodeconf_load(NULL, 0, true, &c, &d), 0);
        ck_assert_uint_eq(c->slots, 2);
        ck_assert_str_eq(c->socket, "/run/corral/corral.sock");
        ck_assert_int_eq(c->cgroup_backend, CGROUP_BACKEND_AUTO);
        nodeconf_free(c);
        c = NULL;
        char missing[300];
        snprintf(missing, sizeof missing, "%s/none.conf", dir);
        ck_assert_int_eq(nodeconf_load(missing, 0, true, &c, &d), 0);
        nodeconf_free(c);
        c = NULL;
        ck_assert_int_lt(nodeconf_load(missing, 0, false, &c, &d), 0);
        conf_diags_clear(&d);
        const char *path = write_file("n.conf", "[node]\nslots = 8\ncgroup_backend = systemd\nsocket = /tmp/x.sock\n");
        ck_assert_int_eq(nodeconf_load(path, 0, false, &c, &d), 0);
        ck_assert_uint_eq(c->slots, 8);
        ck_assert_int_eq(c->cgroup_backend, CGROUP_BACKEND_SYSTEMD);
        ck_assert_str_eq(c->socket, "/tmp/x.sock");
        ck_assert_str_eq(c->state_dir, "/var/lib/corral"); /* default kept */
        ck_assert_uint_eq(c->idle_timeout, 60 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_connections, 1024);
        nodeconf_free(c);
        c = NULL;
        /* connection limits: checked durations and numbers */
        path = write_file("conn.conf", "[node]\nidle_timeout = 90s\nmax_connections = 64\n");
        ck_assert_int_eq(nodeconf_load(path, 0, false, &c, &d), 0);
        ck_assert_uint_eq(c->idle_timeout, 90 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_connections, 64);
        ck_assert_uint_eq(NODECONF_ADMIN_CONNECTIONS(c->max_connections), 4);
        ck_assert_uint_eq(NODECONF_ADMIN_CONNECTIONS(1024), 64);
        ck_assert_uint_eq(NODECONF_ADMIN_CONNECTIONS(8), 2);
        nodeconf_free(c);
        c = NULL;
        path = write_file("conn-bad.conf", "[node]\nidle_timeout = 0s\nmax_connections = 4\nidle_timeout = soon\n");
        ck_assert_int_lt(nodeconf_load(path, 0, false, &c, &d), 0);
        ck_assert_ptr_null(c);
        ck_assert_uint_ge(d.n, 2);
        ck_assert_uint_eq(d.items[0].line, 2);
        conf_diags_clear(&d);
        path = write_file("bad.conf", "[node]\nslots = 0\nlog_level = chatty\ncgroup_backend = docker\n");
        ck_assert_int_lt(nodeconf_load(path, 0, false, &c, &d), 0);
        ck_assert_ptr_null(c);
        ck_assert_uint_eq(d.n, 2);
        ck_assert_uint_eq(d.items[0].line, 2);
        ck_assert_uint_eq(d.items[1].line, 4);
        conf_diags_clear(&d);
        path = write_file("lvl.conf", "[node]\nlog_level = chatty\n");
        ck_assert_int_lt(nodeconf_load(path, 0, false, &c, &d), 0);
        ck_assert_uint_eq(d.items[0].line, 2);
        conf_diags_clear(&d);
        /* the shipped example is valid */
        const char *src = getenv("CORRAL_SRC");
        char ex[512];
        snprintf(ex, sizeof ex, "%s/policies/corral.conf", src ? src : ".");
        ck_assert_int_eq(nodeconf_load(ex, 0, false, &c, &d), 0);
        nodeconf_free(c);
}
END_TEST

static int count_cb(const char *name, void *userdata) {
        (void) name;
        (*(int *) userdata)++;
        return 0;
}

static int find_cb(const char *name, void *userdata) {
        return strcmp(name, (const char *) userdata) == 0 ? 1 : 0;
}

START_TEST(test_syscall_groups) {
        static const char *required[] = { "@mount",         "@module", "@reboot",   "@swap",      "@raw-io",
                                          "@clock",         "@debug",  "@keyring",  "@obsolete",  "@privileged",
                                          "@cpu-emulation", "@bpf",    "@io-uring", "@namespaces" };
        for (size_t i = 0; i < sizeof required / sizeof *required; i++)
                ck_assert_msg(syscall_group_find(required[i]) != NULL, "%s missing", required[i]);
        /* every member is a known syscall name or an existing group */
        for (unsigned i = 0; i < syscall_groups_count; i++)
                for (const char *const *s = syscall_groups[i].syscalls; *s; s++)
                        ck_assert_msg((*s)[0] == '@' ? syscall_group_find(*s) != NULL : syscall_name_known(*s),
                                      "%s: unknown member %s", syscall_groups[i].name, *s);
        int n = 0;
        ck_assert_int_eq(syscall_expand("@privileged", count_cb, &n), 0);
        ck_assert_int_gt(n, 20);
        ck_assert_int_eq(syscall_expand("@privileged", find_cb, (void *) "settimeofday"), 1); /* via @clock */
        ck_assert_int_eq(syscall_expand("@job", find_cb, (void *) "execve"), 1);
        ck_assert_int_eq(syscall_expand("@job", find_cb, (void *) "mount"), 0);
        ck_assert_int_eq(syscall_expand("@nosuch", count_cb, &n), -ENOENT);
        ck_assert(syscall_name_known("openat"));
        ck_assert(!syscall_name_known("openatt"));
}
END_TEST

START_TEST(test_validators) {
        ck_assert(conf_hostname_valid("node-1.example.org"));
        ck_assert(!conf_hostname_valid("a..b"));
        ck_assert(!conf_hostname_valid("a_b"));
        ck_assert(!conf_hostname_valid(""));
        ck_assert(conf_path_valid("/a/b/c"));
        ck_assert(conf_path_valid("/"));
        ck_assert(!conf_path_valid("a/b"));
        ck_assert(!conf_path_valid("/a/./b"));
        ck_assert(!conf_path_valid("/a/.."));
        ck_assert(conf_path_valid("/a/..b"));
        ck_assert(conf_name_valid("corral-admin"));
        ck_assert(!conf_name_valid("-x"));
        ck_assert(!conf_name_valid("a b"));
        int e;
        ck_assert_int_eq(conf_parse_errno("EACCES", &e), 0);
        ck_assert_int_eq(e, EACCES);
        ck_assert_int_eq(conf_parse_errno("38", &e), 0);
        ck_assert_int_eq(e, 38);
        ck_assert_int_lt(conf_parse_errno("0", &e), 0);
        ck_assert_int_lt(conf_parse_errno("4096", &e), 0);
        static const char *const cands[] = { "memory", "swap", "tasks" };
        ck_assert_str_eq(conf_suggest("memroy", cands, 3), "memory");
        ck_assert_str_eq(conf_suggest("task", cands, 3), "tasks");
        ck_assert_ptr_null(conf_suggest("zzz", cands, 3));
}
END_TEST

/* [landlock]: the plan for each kernel ABI, and bad scope names refused. */
START_TEST(test_landlock_plan) {
        _cleanup_policy_free_ Policy *p = NULL;
        LandlockPlan pl;
        char text[256], *diags;

        ck_assert_int_eq(policy_new_defaults(&p), 0);
        /* the default: scopes only */
        landlock_plan(p, 7, &pl);
        ck_assert_uint_eq(pl.scoped, 3);
        ck_assert_uint_eq(pl.handled_fs, 0);
        ck_assert_uint_eq(pl.missing, 0);
        ck_assert(landlock_plan_active(&pl));
        ck_assert_ptr_null(landlock_missing_text(&pl));
        landlock_plan_describe(&pl, text, sizeof text);
        ck_assert_str_eq(text, "ABI 7: scopes abstract_unix, signal");
        /* ABI 5: no scopes, said so; nothing to apply */
        landlock_plan(p, 5, &pl);
        ck_assert_uint_eq(pl.scoped, 0);
        ck_assert_uint_eq(pl.missing, LANDLOCK_MISSING_SCOPE);
        ck_assert(!landlock_plan_active(&pl));
        ck_assert_ptr_nonnull(strstr(landlock_missing_text(&pl), "6.12"));
        /* no Landlock at all */
        landlock_plan(p, 0, &pl);
        ck_assert_uint_eq(pl.missing, LANDLOCK_MISSING_ALL);
        landlock_plan_describe(&pl, text, sizeof text);
        ck_assert_ptr_nonnull(strstr(text, "no Landlock"));
        /* off: nothing, and nothing missing */
        p->landlock_mode = LANDLOCK_MODE_OFF;
        landlock_plan(p, 0, &pl);
        ck_assert_uint_eq(pl.missing, 0);
        ck_assert(!landlock_plan_active(&pl));

        /* filesystem rules: every right the ABI knows is handled; read gets
         * execute, read file, read dir (and device ioctls from ABI 5) */
        write_file("ll.ini", "[landlock]\nscope =\nread = /usr\nwrite = /tmp\n");
        Policy *q = NULL;
        ck_assert_int_eq(load("ll", &q, &diags), 0);
        free(diags);
        landlock_plan(q, 1, &pl);
        ck_assert_uint_eq(pl.handled_fs, (1u << 13) - 1);
        ck_assert_uint_eq(pl.read_access, 1u | 4u | 8u);
        ck_assert_uint_eq(pl.write_access, pl.handled_fs);
        ck_assert_uint_eq(pl.scoped, 0);
        landlock_plan(q, 7, &pl);
        ck_assert_uint_eq(pl.handled_fs, (1u << 16) - 1);
        ck_assert_uint_eq(pl.read_access, 1u | 4u | 8u | (1u << 15));
        landlock_plan_describe(&pl, text, sizeof text);
        ck_assert_str_eq(text, "ABI 7: filesystem rules");
        policy_free(q);

        assert_error("[landlock]\nscope = abstract_unix, signals\n", "unknown Landlock scope 'signals'");
        assert_error("[landlock]\nmode = maybe\n", "mode");
}
END_TEST

/* The [users] rule, shared by corral-launch and corrald's submit. */
static int allowed(const Policy *p, uid_t uid, gid_t gid, const char *name, char *const *groups, char **reason) {
        *reason = NULL;
        return policy_user_allowed(p, uid, gid, name, groups, reason);
}

START_TEST(test_user_allowed) {
        _cleanup_policy_free_ Policy *p = NULL;
        char *groups[] = { (char *) "staff", (char *) "physics", NULL };
        char *why = NULL;

        ck_assert_int_eq(policy_new_defaults(&p), 0);
        p->min_uid = 1000;
        ck_assert_int_eq(allowed(p, 1000, 1000, "alice", NULL, &why), 0);
        ck_assert_ptr_null(why);

        /* never root: uid 0, and a primary group 0 too */
        ck_assert_int_eq(allowed(p, 0, 0, "root", NULL, &why), -EPERM);
        ck_assert_str_eq(why, "user 'root' is root (uid 0): jobs never run as root");
        free(why);
        p->min_uid = 0;
        ck_assert_int_eq(allowed(p, 61234, 0, "wheelie", NULL, &why), -EPERM);
        ck_assert_str_eq(why, "user 'wheelie' has root's group as its primary group (gid 0): jobs never run as root");
        free(why);
        p->min_uid = 1000;

        ck_assert_int_eq(allowed(p, 999, 999, "sys", NULL, &why), -EPERM);
        ck_assert_str_eq(why, "user 'sys': uid 999 is below the policy's min_uid 1000");
        free(why);

        ck_assert_int_eq(strv_extend(&p->deny_users, "mallory"), 0);
        ck_assert_int_eq(allowed(p, 2000, 2000, "mallory", groups, &why), -EPERM);
        ck_assert_str_eq(why, "user 'mallory' is in the policy's deny_users");
        free(why);

        /* allow lists: by name, or by any group (primary or supplementary) */
        ck_assert(!policy_user_needs_groups(p));
        ck_assert_int_eq(strv_extend(&p->allow_users, "bob"), 0);
        ck_assert_int_eq(allowed(p, 2001, 2001, "bob", NULL, &why), 0);
        ck_assert_int_eq(allowed(p, 2002, 2002, "carol", groups, &why), -EPERM);
        ck_assert_str_eq(why, "user 'carol' is not in the policy's allow_users or allow_groups");
        free(why);
        ck_assert_int_eq(strv_extend(&p->allow_groups, "physics"), 0);
        ck_assert(policy_user_needs_groups(p));
        ck_assert_int_eq(allowed(p, 2002, 2002, "carol", groups, &why), 0);
        ck_assert_int_eq(allowed(p, 2003, 2003, "dave", NULL, &why), -EPERM);
        free(why);
        /* deny wins over allow; root stays root whatever the lists say */
        ck_assert_int_eq(strv_extend(&p->allow_users, "mallory"), 0);
        ck_assert_int_eq(allowed(p, 2000, 2000, "mallory", groups, &why), -EPERM);
        free(why);
        ck_assert_int_eq(strv_extend(&p->allow_users, "wheelie"), 0);
        p->min_uid = 0;
        ck_assert_int_eq(allowed(p, 61234, 0, "wheelie", groups, &why), -EPERM);
        free(why);
}
END_TEST

START_TEST(test_group_names) {
        _cleanup_strv_free_ char **l = NULL;
        gid_t gids[] = { 0, 0, (gid_t) 4294967000u };

        /* gid 0 has a name on every system; an unknown id is left out, a
         * repeated one listed once */
        ck_assert_int_eq(policy_group_names(gids, 3, &l), 0);
        ck_assert_uint_eq(strv_length(l), 1);
        ck_assert_str_eq(l[0], "root");
        l = strv_free(l);
        ck_assert_int_eq(policy_group_names(gids, 0, &l), 0);
        ck_assert_ptr_nonnull(l);
        ck_assert_uint_eq(strv_length(l), 0);
}
END_TEST

Suite *policy_suite(void) {
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("policy");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_defaults_valid);
        tcase_add_test(tc, test_shipped_policies);
        tcase_add_test(tc, test_inheritance);
        tcase_add_test(tc, test_submit_from_jobs);
        tcase_add_test(tc, test_continuation_lines);
        tcase_add_test(tc, test_errors);
        tcase_add_test(tc, test_env_deny);
        tcase_add_test(tc, test_all_errors_reported);
        tcase_add_test(tc, test_parent_errors_reported);
        tcase_add_test(tc, test_long_line_and_size);
        tcase_add_test(tc, test_nul_byte);
        tcase_add_test(tc, test_strict_perms);
        tcase_add_test(tc, test_missing_policy);
        tcase_add_test(tc, test_ini_roundtrip);
        tcase_add_test(tc, test_json);
        tcase_add_test(tc, test_nodeconf);
        tcase_add_test(tc, test_syscall_groups);
        tcase_add_test(tc, test_validators);
        tcase_add_test(tc, test_landlock_plan);
        tcase_add_test(tc, test_user_allowed);
        tcase_add_test(tc, test_group_names);
        suite_add_tcase(s, tc);
        return s;
}
