# SPDX-License-Identifier: GPL-2.0-or-later
# tests/launch-lib.sh — shared by the corral-launch tests
# (tests/integration/launch-*.t, tests/escape/*.t). Source after tests/lib.sh.
#
#   launch_setup [NUSERS]   root check, a policy dir with the shipped
#                           policies plus test ones, test users corraltestl1..N
#                           (uids 61401+), a unique cgroup parent removed at exit
#   run_job POLICY [OPTS...] -- CMD...   corral-launch as user corraltestl1;
#                           sets RC, OUT (stdout), ERR (stderr), RES (result JSON)
#   json KEY                the value of KEY in $RES (e.g. state, oom_kills)
#   job_cgroups_left        number of job cgroups left under the test parent
# shellcheck shell=bash disable=SC2034

LAUNCH=$CORRAL_BUILD/corral-launch
ESCAPE=$CORRAL_BUILD/tests/escape
HELPERS=$CORRAL_BUILD/tests/helpers

launch_setup() {
        local n=${1:-1} i
        require_root
        [ -x "$LAUNCH" ] || plan_skip "corral-launch not built ($LAUNCH)"
        make_tmpdir
        # Jobs see a private /tmp, and a test user may not reach a checkout
        # in a 0700 home: the programs jobs run are staged where any job
        # can execute them.
        BIN_STAGE=$(mktemp -d /var/lib/corraltest-bin.XXXXXX)
        _cleanup_add "rm -rf '$BIN_STAGE'"
        for d in escape helpers; do
                [ -d "$CORRAL_BUILD/tests/$d" ] && cp -a "$CORRAL_BUILD/tests/$d" "$BIN_STAGE/$d"
        done
        chmod -R a+rX "$BIN_STAGE"
        ESCAPE=$BIN_STAGE/escape
        HELPERS=$BIN_STAGE/helpers
        POLDIR=$TEST_TMP/policies
        mkdir -m 0755 "$POLDIR"
        cp "$CORRAL_SRC"/policies/default.ini "$CORRAL_SRC"/policies/strict.ini "$POLDIR"/
        # small limits for the limit tests; the grace is short so tests are quick
        cat >"$POLDIR/small.ini" <<'EOF'
[policy]
inherit = default
[limits]
memory = 64M
swap = 0
tasks = 24
walltime = 2s
[epilogue]
grace = 1s
EOF
        cat >"$POLDIR/kill.ini" <<'EOF'
[policy]
inherit = default
[seccomp]
action = kill
EOF
        printf '[policy]\ninherit = default\n[seccomp]\naction = log\n' >"$POLDIR/log.ini"
        cat >"$POLDIR/highmin.ini" <<'EOF'
[policy]
inherit = default
[users]
min_uid = 61999
EOF
        cat >"$POLDIR/onlyother.ini" <<'EOF'
[policy]
inherit = default
[users]
allow_users = corraltestl2
EOF
        cat >"$POLDIR/netiso.ini" <<'EOF'
[policy]
inherit = default
[namespaces]
net = isolated
EOF
        chmod 0644 "$POLDIR"/*.ini
        # useradd fails while another process holds the passwd lock: retry
        for ((i = 1; i <= n; i++)); do
                local try
                for try in 1 2 3 4 5 6 7 8 9 10; do
                        make_test_user "corraltestl$i" $((61400 + i)) 2>"$TEST_TMP/useradd.err" && break
                        [ $try = 10 ] && plan_skip "cannot create test users: $(tail -1 "$TEST_TMP/useradd.err")"
                        sleep 1
                done
        done
        # sanitizer builds of the test programs: LeakSanitizer needs ptrace,
        # which the job's seccomp filter denies
        JOB_ENV=()
        if ldd "$HELPERS/try-syscall" 2>/dev/null | grep -q libasan; then
                JOB_ENV=(--env ASAN_OPTIONS=detect_leaks=0)
        fi
        TUSER=corraltestl1
        TUID=$(id -u $TUSER)
        CGPARENT="corraltest-$$"
        _cleanup_add "remove_cgroup_parent $CGPARENT"
}

# Kills what is left in the test parent's cgroups (by pid, from cgroup.procs)
# and removes them, job cgroups first.
remove_cgroup_parent() {
        local parent=$1 d p
        case "$parent" in corraltest-*) ;; *) return 1 ;; esac
        for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
                [ -d "$d" ] || continue
                for p in $(cat "$d"/*/cgroup.procs 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
                rmdir "$d"/* 2>/dev/null
                rmdir "$d" 2>/dev/null
        done
        return 0
}

job_cgroups_left() {
        local n=0 d
        for d in /sys/fs/cgroup/*/"$CGPARENT"/job-* /sys/fs/cgroup/"$CGPARENT"/job-*; do
                [ -d "$d" ] && n=$((n + 1))
        done
        echo $n
}

run_job() {
        local policy=$1
        shift
        OUTF=$TEST_TMP/out.$RANDOM
        ERRF=$TEST_TMP/err.$RANDOM
        RESF=$TEST_TMP/res.$RANDOM
        "$LAUNCH" --policy "$policy" --user "${JOB_USER:-$TUSER}" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
                --result "$RESF" "${JOB_ENV[@]}" "$@" >"$OUTF" 2>"$ERRF" </dev/null
        RC=$?
        OUT=$(cat "$OUTF")
        ERR=$(cat "$ERRF")
        RES=$(cat "$RESF" 2>/dev/null)
        rm -f "$OUTF" "$ERRF" "$RESF"
}

# json KEY: the value of "KEY" in $RES (keys are unique in the record;
# strings come unquoted)
json() {
        local v
        v=$(printf '%s' "$RES" | grep -o "\"$1\":\(\"[^\"]*\"\|[-0-9.]*\|null\|true\|false\)" | head -1)
        v=${v#*\":}
        v=${v#\"}
        printf '%s\n' "${v%\"}"
}
