#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-lifecycle.t — the queue core for real: a root corrald with its
# unprivileged core, real corral-launch containment and real epilogues, and
# two test users and an admin talking to it over the socket.
# Every terminal state is produced for real; users cannot see or touch each
# other's jobs, admins can; bad requests are refused and the daemon goes on;
# the API process is not root; every request is audited; drain/resume,
# hold/release; no cgroup is left.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 74

make_tmpdir
MAXQ=6 corrald_setup 2
make_test_user corraltesta 61101
make_test_user corraltestb 61102
make_test_user corraltestadmin 61103
usermod -a -G corraltestadm corraltestadmin
corrald_start; ok $? "corrald starts"

# --- the API process is not root ---
core=$(corrald_core_pid)
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$core/status")
is "$uids" "61091 61091 61091 61091" "the API process (core, pid $core) runs as the daemon user, not root"
is "$(awk '/^CapEff:/ {print $2}' "/proc/$core/status")" "0000000000000000" "the API process has no capabilities"
is "$(stat -c '%U %a' "$TEST_TMP/state")" "corraltestd 700" "state dir: daemon user, mode 0700"
is "$(stat -c '%a' "$TEST_TMP/output")" "711" "output root: 0711 (job dirs cannot be listed)"

# --- COMPLETED, output ---
id=$(submit_as corraltesta -- /bin/sh -c 'echo hello from $(id -un); echo oops >&2'); ok $? "submit prints a job id ($id)"
st=$(wait_final "$id"); is "$st" "COMPLETED" "a job that exits 0 is COMPLETED"
[ "$st" = COMPLETED ] || { diag "reason: $(job_field "$id" reason)"; sed 's/^/# /' "$TEST_TMP/corrald.log" | tail -20; }
is "$(job_field "$id" exit)" "0:0" "exit is code:signal"
is "$(as corraltesta logs "$id")" "hello from corraltesta" "logs: the job's stdout, and it ran as its user"
is "$(as corraltesta logs --stderr "$id")" "oops" "logs --stderr"
# the job's init (corral-init) is a fork of the root helper and carries a
# copy of its memory (other jobs' requests included): the job cannot read it
id2=$(submit_as corraltesta -- /bin/sh -c 'cat /proc/1/environ >/dev/null 2>&1 && echo environ-read
    dd if=/proc/1/mem of=/dev/null bs=1 count=1 skip=65536 2>/dev/null && echo mem-read
    grep -q "^TracerPid:" /proc/1/status && echo checked')
wait_final "$id2" >/dev/null
is "$(as corraltesta logs "$id2")" "checked" "the job can read neither its init's environ nor its memory"
outdir=$(job_field "$id" output_dir)
is "$(stat -c '%U %G %a' "$outdir")" "corraltesta corraltestd 750" "output dir owned by the user, readable by the daemon only"
like "$(basename "$outdir")" '^[0-9a-f]{32}$' "output dir named by a random 128-bit id"

# --- the epilogue spares the session the job was submitted from (the user's
#     terminal), and still kills the user's strays elsewhere ---
mkdir -p "$TEST_TMP/term-a" && chown corraltesta "$TEST_TMP/term-a"
run_as corraltesta setsid bash -c "'$CORRAL' submit -- /bin/true > '$TEST_TMP/term-a/id'; exec sleep 300" &
terminal=$!
_cleanup_add "kill -9 $terminal"
run_as corraltesta setsid sleep 301 &
stray=$!
_cleanup_add "kill -9 $stray"
for i in $(seq 50); do [ -s "$TEST_TMP/term-a/id" ] && break; sleep 0.1; done
id=$(cat "$TEST_TMP/term-a/id")
is "$(wait_final "$id")" "COMPLETED" "a job submitted from a login session completes"
kill -0 "$terminal" 2>/dev/null; ok $? "its epilogue spared the session it was submitted from"
sleep 0.2; kill -0 "$stray" 2>/dev/null; is $? 1 "its epilogue killed the user's stray process in another session"

# --- output to a path of the user's choosing, opened as the user ---
mkdir -p "$TEST_TMP/home-a" && chown corraltesta "$TEST_TMP/home-a"
id=$(submit_as corraltesta --stdout "$TEST_TMP/home-a/job.out" -- /bin/echo to-my-file)
wait_final "$id" >/dev/null
is "$(cat "$TEST_TMP/home-a/job.out")" "to-my-file" "submit --stdout PATH: the output goes there"
is "$(stat -c %U "$TEST_TMP/home-a/job.out")" "corraltesta" "... created as the job's user"
id=$(submit_as corraltesta --stdout /etc/corral-pwned -- /bin/echo x)
st=$(wait_final "$id"); [ "$st" = FAILED ] && [ ! -e /etc/corral-pwned ]; ok $? "a path the user cannot write is not written ($st)"

# --- FAILED ---
id=$(submit_as corraltesta -- /bin/sh -c 'exit 3')
is "$(wait_final "$id")" "FAILED" "a job that exits 3 is FAILED"
is "$(job_field "$id" exit)" "3:0" "FAILED exit 3:0"

# --- TIMEOUT ---
id=$(submit_as corraltesta --walltime 2s -- /bin/sleep 60)
is "$(wait_final "$id" 30)" "TIMEOUT" "a job past its walltime is TIMEOUT"

# --- walltime above the policy's is refused ---
err=$(submit_as corraltesta --walltime 2h -- /bin/true 2>&1); rc=$?
is "$rc" 1 "walltime above the policy's: refused"
like "$err" "exceeds the 1h of policy 't'" "with a clear reason"

# --- OUT_OF_MEMORY (policy memory = 96M) ---
id=$(submit_as corraltesta -- /bin/sh -c 'head -c 400000000 /dev/zero | tail > /dev/null')
is "$(wait_final "$id" 60)" "OUT_OF_MEMORY" "a job over its memory limit is OUT_OF_MEMORY"

# --- CANCELLED while running ---
id=$(submit_as corraltesta -- /bin/sleep 300)
wait_state "$id" RUNNING; ok $? "a long job is RUNNING"
# its launcher: the built-in corral-launch, a child of the root helper that
# did not exec (corrald-socket.t runs the binary instead)
lpid=$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT launcher_pid FROM jobs WHERE id=$id")
is "$(cat "/proc/$lpid/comm" 2>/dev/null)/$(readlink "/proc/$lpid/exe")/$(stat -c %u "/proc/$lpid")" \
    "corral-launch/$(readlink -f "$CORRALD")/0" "its launcher is corral-launch run by corrald's root helper, as root"
out=$(as corraltesta cancel "$id"); ok $? "its owner cancels it"
is "$(wait_final "$id" 30)" "CANCELLED" "a cancelled running job is CANCELLED"

# --- isolation between users ---
id=$(submit_as corraltesta -- /bin/sleep 300)
wait_state "$id" RUNNING
err=$(as corraltestb show "$id" 2>&1); rc=$?
is "$rc" 1 "another user cannot show the job"
missing=$(as corraltestb show 999999 2>&1)
is "$err" "${missing//999999/$id}" "... and is told what a missing job gets (other users' job ids cannot be found out)"
as corraltestb cancel "$id" >/dev/null 2>&1; is $? 1 "another user cannot cancel the job"
as corraltestb logs "$id" >/dev/null 2>&1; is $? 1 "another user cannot read the job's output"
is "$(job_field "$id" state)" "RUNNING" "the job is untouched"
listed=$(as corraltestb list --json | grep -c '"id"')
is "$listed" 0 "another user's list does not show it"
as corraltestb list --all-users >/dev/null 2>&1; is $? 1 "a non-admin cannot list every user's jobs"
ls "$TEST_TMP/output" >/dev/null 2>&1
run_as corraltestb ls "$outdir" >/dev/null 2>&1; is $? 2 "another user cannot read a job's output directory"

# --- the admin group can ---
as corraltestadmin show "$id" >/dev/null 2>&1; is $? 0 "an admin can show any job"
n=$(as corraltestadmin list --all-users --all --json | grep -c '"id"')
[ "$n" -ge 6 ]; ok $? "an admin lists every user's jobs ($n)"
as corraltestadmin cancel "$id" >/dev/null; ok $? "an admin can cancel any job"
is "$(wait_final "$id" 30)" "CANCELLED" "... and it ends CANCELLED"

# --- logs -f streams a running job's output until it ends (read by an admin:
#     a client of the job's own user would be cleaned up by its epilogue) ---
id=$(submit_as corraltesta -- /bin/sh -c 'echo one; sleep 1.5; echo two')
wait_state "$id" RUNNING
out=$(timeout 30 setpriv --reuid=corraltestadmin --regid=corraltestadmin --init-groups \
      env CORRAL_SOCKET="$SOCK" "$CORRAL" logs -f "$id"); rc=$?
is "$rc" 0 "logs -f returns when the job ends"
is "$out" $'one\ntwo' "logs -f streamed the output written while it followed"
wait_final "$id" >/dev/null

# --- the per-user cap on waiting jobs (max_queued_per_user = 6) ---
"$CORRAL" drain >/dev/null
for i in 1 2 3 4 5 6; do submit_as corraltestb --hold -- /bin/true >/dev/null; done
err=$(submit_as corraltestb --hold -- /bin/true 2>&1); rc=$?
is "$rc" 1 "a 7th waiting job of one user is refused"
like "$err" "already has 6 jobs waiting \(the limit is 6\)" "... with the limit in the message"
submit_as corraltesta --hold -- /bin/true >/dev/null; ok $? "another user is not affected by that cap"
for j in $(as corraltestb list --state HELD --json | sed -n 's/^ *"id": \([0-9]*\),$/\1/p'); do as corraltestb cancel "$j" >/dev/null; done
n=$(as corraltestb list --state HELD --json | grep -c '"id"')
is "$n" 0 "cancelled held jobs no longer count"
"$CORRAL" resume >/dev/null

# --- hold / release, drain / resume, CANCELLED while queued ---
id=$(submit_as corraltesta --hold -- /bin/echo released)
sleep 0.5
is "$(job_field "$id" state)" "HELD" "submit --hold: HELD, not started"
as corraltesta release "$id" >/dev/null; ok $? "release"
is "$(wait_final "$id")" "COMPLETED" "a released job runs"
as corraltesta drain >/dev/null 2>&1; is $? 1 "a non-admin cannot drain the node"
as corraltestadmin drain >/dev/null; ok $? "an admin drains the node"
id=$(submit_as corraltesta -- /bin/echo later)
id2=$(submit_as corraltestb -- /bin/echo never)
sleep 1
is "$(job_field "$id" state)" "QUEUED" "drained: a new job stays QUEUED"
as corraltestb cancel "$id2" >/dev/null; is "$(wait_final "$id2")" "CANCELLED" "a queued job cancelled: CANCELLED"
like "$(job_field "$id2" reason)" "cancelled before it started" "... and it never ran"
as corraltestadmin resume >/dev/null; ok $? "an admin resumes the node"
is "$(wait_final "$id")" "COMPLETED" "after resume the queued job runs"

# --- malformed, truncated and oversized requests ---
r=$(printf '{"op":"submit","argv":' | "$RAWSEND" "$SOCK"); like "$r" '"ok": ?false.*malformed JSON' "a truncated request is refused"
r=$(printf '{"op":"frobnicate"}' | "$RAWSEND" "$SOCK"); like "$r" 'unknown operation' "an unknown operation is refused"
r=$(printf '{"op":"show","job":1,"evil":true}' | "$RAWSEND" "$SOCK"); like "$r" "unknown field 'evil'" "an unknown field is refused"
r=$("$RAWSEND" "$SOCK" 200000); like "$r" 'request too large' "an oversized request is refused"
"$CORRAL" status >/dev/null; ok $? "the daemon keeps serving after bad requests"

# --- policies ---
out=$(as corraltesta policies)
like "$out" "t +corrald tests: only the test uid range \(default\)" "policies lists the node's policies and marks the default"

# --- one user cannot take every connection (64 per uid) ---
mkfifo "$TEST_TMP/hold.in"; chmod 0666 "$TEST_TMP/hold.in"
run_as corraltestb "$CORRAL_BUILD/tests/helpers/holdconns" "$SOCK" 70 <"$TEST_TMP/hold.in" >"$TEST_TMP/hold.out" &
holder=$!
exec 6>"$TEST_TMP/hold.in"
for i in $(seq 100); do [ -s "$TEST_TMP/hold.out" ] && break; sleep 0.1; done
is "$(cat "$TEST_TMP/hold.out")" "64 6" "a user's connections beyond 64 are refused with a reason"
as corraltesta status >/dev/null; ok $? "another user is still served meanwhile"
exec 6>&-
wait "$holder" 2>/dev/null
as corraltestb status >/dev/null; ok $? "the user is served again once the connections are closed"

# --- submissions the policy forbids ---
err=$(cd / && "$CORRAL" submit -- /bin/true 2>&1); rc=$?
is "$rc" 1 "root cannot submit jobs"
err=$(submit_as corraltesta --policy nosuch -- /bin/true 2>&1)
like "$err" "no policy named 'nosuch'" "an unknown policy is refused at submit"

# --- audit ---
corrald_stop
n=$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT count(*) FROM audit")
[ "$n" -ge 40 ]; ok $? "every request is in the audit log ($n rows)"
n=$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT count(*) FROM audit WHERE op='show' AND result='denied' AND uid=61102")
[ "$n" -ge 1 ]; ok $? "denied requests are audited with the caller's uid"
n=$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT count(*) FROM audit WHERE op='malformed'")
[ "$n" -ge 1 ]; ok $? "malformed requests are audited"
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
grep -q 'corral_jobs{state="COMPLETED"}' "$TEST_TMP/metrics/corral.prom"; ok $? "metrics written for the textfile collector"
# under `make check-asan` this is where memory errors and leaks would show
bad=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$TEST_TMP/corrald.log")
is "$bad" "" "corrald's log has no sanitizer report"
done_testing
