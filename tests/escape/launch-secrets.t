#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-secrets.t — a job's environment is no business of other local
# users: `ps` (any user reads /proc/PID/cmdline) must not show the value of
# an --env of a standalone corral-launch (the batch-system glue path), in
# the root launcher nor in corral-init (its clone, which keeps its memory);
# --env-fd and --env-file pass variables without argv at all. The first
# check shows the leak is real where the value is not blanked: the job's
# own argv (CMD ARG) is public, as it is for any process.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
plan 11

secret=s3cr3t-$$-$RANDOM
# cmdline of the launcher and of its children (corral-init), while the job runs
cmdlines() { # cmdlines LAUNCHER_PID
    local p=$1 c
    tr '\0' ' ' <"/proc/$p/cmdline"
    echo
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
        tr '\0' ' ' <"/proc/$c/cmdline"
        echo
    done
}
start_job() { # start_job ARGS...: a job that prints its SECRET and waits for a file
    "$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
        "${JOB_ENV[@]}" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null &
    LPID=$!
    for _ in $(seq 100); do [ -s "$TEST_TMP/out" ] && break; sleep 0.1; done
}
end_job() {
    wait "$LPID"
    RC=$?
}
GO=$BIN_STAGE/go-$$
mkdir -m 0777 "$GO"
_cleanup_add "rm -rf '$GO'"
waiter="echo \"\$SECRET\"; while [ ! -e $GO/go ]; do sleep 0.1; done"

# 1. --env: the value is in the job, not in ps
start_job --env "SECRET=$secret" -- sh -c "$waiter"
is "$(cat "$TEST_TMP/out")" "$secret" "--env: the job has the variable"
seen=$(cmdlines "$LPID")
like "$seen" "corral-launch" "ps shows the launcher and corral-init ($(echo "$seen" | wc -l) lines)"
ok "$(grep -q -- "$secret" <<<"$seen" && echo 1 || echo 0)" "--env: the value is in no cmdline (launcher, corral-init)"
like "$seen" "SECRET=" "... the variable's name still is, for the admin"
: >"$GO/go"; end_job; rm -f "$GO/go"
is "$RC" 0 "the job ends"

# the check above can fail: the job's own arguments are as public as ever
start_job -- sh -c "$waiter" "$secret"
ok "$(cmdlines "$LPID" | grep -q -- "$secret" && echo 0 || echo 1)" "(control: a value in the job's own argv is seen)"
: >"$GO/go"; end_job; rm -f "$GO/go"

# 2. --env-fd: NUL-separated, as env -0 writes them
out=$("$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" "${JOB_ENV[@]}" \
    --env-fd 3 -- sh -c 'printf "%s|%s" "$A" "$B"' 3< <(printf 'A=1\0B=two words\nand a line\0') 2>&1)
is "$out" "1|two words
and a line" "--env-fd: values with spaces and newlines reach the job"
out=$("$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
    --env-fd 3 -- /bin/true 3< <(printf 'A=1\0not-a-name=%s\0' "$secret") 2>&1)
rc=$?
is "$rc:$(grep -c -- "$secret" <<<"$out")" "200:0" "--env-fd: a bad entry is refused by number, its value never printed"
like "$out" "entry 2 is not NAME=VALUE" "... the message names the entry"

# 3. --env-file: opened as the user
f=$(mktemp /var/lib/corraltest-envf.XXXXXX)
_cleanup_add "rm -f '$f'"
printf 'FROMFILE=yes\0' >"$f"
chown "$TUSER" "$f"
chmod 0600 "$f"
run_job default --env-file "$f" -- sh -c 'echo "$FROMFILE"'
is "$RC:$OUT" "0:yes" "--env-file: the user's own file"
chown root "$f"
printf 'ROOTS=%s\0' "$secret" >"$f"
run_job default --env-file "$f" -- sh -c 'echo "$ROOTS"'
is "$RC:$(grep -c -- "$secret" <<<"$OUT$ERR")" "208:0" "--env-file: a root-only file is refused (opened as the user), nothing of it shown"
done_testing
