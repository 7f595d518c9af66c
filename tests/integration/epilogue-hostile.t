#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-hostile.t — jobs that fight back: a fork bomb (capped by
# RLIMIT_NPROC so it cannot hurt the CI machine), a respawner that ignores
# SIGTERM and restarts its child (and whose child makes a new parent), and a
# listening backdoor on TCP v4/v6, UDP and a unix socket. All must end with
# zero processes; the backdoor is reported with its address and port. A
# fork bomb beside a running job of the same user that forks all the time:
# the bomb dies, the job's processes (old and newly forked) all live. 1,500
# leftovers under a low soft limit on open files.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
plan 29

B=corraltestepb
R=corraltestepr
L=corraltestepl
make_test_user $B 61751 || { echo "# cannot create test user $B (uid 61751)"; exit 1; }
make_test_user $R 61752 || { echo "# cannot create test user $R (uid 61752)"; exit 1; }
make_test_user $L 61753 || { echo "# cannot create test user $L (uid 61753)"; exit 1; }
J=corraltestepj
make_test_user $J 61755 || { echo "# cannot create test user $J (uid 61755)"; exit 1; }

# --- fork bomb ---
ep_spawn _ bomb --uid 61751 --nproc 200
for _ in $(seq 50); do [ "$(count_live $B)" -ge 50 ] && break; sleep 0.1; done
n=$(count_live $B)
[ "$n" -ge 20 ]
ok $? "fork bomb is running ($n processes)"
out=$(ep_run --user $B --job 51 --json 2>"$TEST_TMP/err")
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue after a fork bomb exits 0"
sleep 0.5
is "$(count_live $B)" 0 "fork bomb: zero processes left"

# --- a fork bomb beside a running job of the same user that forks too ---
# Both churn at the user's RLIMIT_NPROC while the epilogue scans: the
# re-scans classify only processes they have not seen before, and those
# born in the running job's cgroup must be found there (spared), the
# bomb's wherever they appear (killed).
not_in_job() { # not_in_job UID CGROUP-REL: live processes of UID outside CGROUP-REL
    local p n=0
    for p in $(ps -e -o pid=,uid=,stat= | awk -v u="$1" '$2 == u && $3 !~ /^Z/ {print $1}'); do
        grep -q ":$2\$" "/proc/$p/cgroup" 2>/dev/null || { alive "$p" && n=$((n + 1)); }
    done
    echo $n
}
if ep_cgroup_parent corraltest-eph.$$ && mkdir "$EP_CG_MNT$EP_CG_REL/job-1"; then
    # the orphans first, at up to 200 processes; the job's bomb is capped at
    # 60, so it forks again as soon as the orphans die (during the sweep)
    ep_spawn _ bomb --uid 61755 --nproc 200
    for _ in $(seq 50); do [ "$(count_live $J)" -ge 50 ] && break; sleep 0.1; done
    # shellcheck disable=SC2016
    ep_spawn_cmd _ sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" bomb --uid 61755 --nproc 60' sh \
        "$EP_CG_MNT$EP_CG_REL/job-1" "$EPI_PROC"
    sleep 0.2
    n=$(not_in_job 61755 "$EP_CG_REL/job-1")
    diag "$n bomb processes outside the job, $(wc -l <"$EP_CG_MNT$EP_CG_REL/job-1/cgroup.procs") in it"
    out=$(ep_run --user $J --job 56 --job-cgroup-parent "$EP_CG_REL" 2>"$TEST_TMP/err")
    rc=$?
    diag "$out"
    is "$rc" 0 "fork bomb beside a forking running job: exits 0"
    sleep 0.3
    is "$(not_in_job 61755 "$EP_CG_REL/job-1")" 0 "the bomb outside the running job: zero processes left"
    n=$(wc -l <"$EP_CG_MNT$EP_CG_REL/job-1/cgroup.procs")
    [ "$n" -gt 0 ]
    ok $? "the running job forks on ($n processes)"
    ep_kill_test_procs
else
    skip_or_fail cgroup "no test cgroup could be created"
    skip_or_fail cgroup "no test cgroup could be created"
    skip_or_fail cgroup "no test cgroup could be created"
fi

# --- respawner ---
ep_spawn p_resp respawner --uid 61752
for _ in $(seq 50); do [ "$(count_live $R)" -ge 2 ] && break; sleep 0.05; done
n=$(count_live $R)
[ "$n" -ge 2 ]
ok $? "respawner and its child are running ($n processes)"
kill -TERM "$p_resp" 2>/dev/null
sleep 0.2
alive "$p_resp"
ok $? "respawner ignores SIGTERM"
out=$(ep_run --user $R --job 52)
rc=$?
diag "$out"
is "$rc" 0 "epilogue after a respawner exits 0"
sleep 0.5
is "$(count_live $R)" 0 "respawner: zero processes left"

# --- a zombie leader whose thread lives on, and a parent stuck in vfork (D) ---
Z=corraltestepz
make_test_user $Z 61754 || { echo "# cannot create test user $Z (uid 61754)"; exit 1; }
ep_spawn p_zl zombie-leader --uid 61754
ep_spawn p_vf vfork --uid 61754
sleep 0.2
is "$(awk '{print $3}' "/proc/$p_zl/stat" 2>/dev/null)" Z "the leader shows as a zombie"
is "$(awk '{print $3}' "/proc/$p_vf/stat" 2>/dev/null)" D "the vfork parent is in D state"
out=$(ep_run --user $Z --job 54)
rc=$?
diag "$out"
is "$rc" 0 "epilogue exits 0"
sleep 0.3
is "$(count_live $Z)" 0 "zombie leader's live thread and the vfork pair are gone"
[ ! -e "/proc/$p_zl/task" ] || [ "$(ls "/proc/$p_zl/task" 2>/dev/null | wc -l)" -le 1 ]
ok $? "no live thread left under the zombie leader"

# --- listening backdoor ---
port=$((40000 + RANDOM % 20000))
sock=$TEST_TMP/shared/backdoor.sock
# IPv6: the host's lo must have ::1 for a [::1] listener
noipv6=()
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || noipv6=(--no-ipv6)
ep_spawn p_listen listen --uid 61753 --port $port --unix "$sock" "${noipv6[@]}"
alive "$p_listen"
ok $? "backdoor is listening (pid $p_listen, port $port)"
out=$(ep_run --user $L --job 53 --json)
rc=$?
is "$rc" 0 "epilogue with a backdoor exits 0 (it was killed)"
like "$out" '"type":"listener","pid":'"$p_listen"'[^}]*"proto":"tcp","address":"127.0.0.1","port":'"$port" \
    "TCP v4 listener reported with address and port"
if [ ${#noipv6[@]} = 0 ]; then
    like "$out" '"proto":"tcp6","address":"::1","port":'"$port" "TCP v6 listener reported"
else
    skip_or_fail ipv6 "no IPv6 ::1 on this host's lo (/proc/net/if_inet6): no TCP v6 listener to report"
fi
like "$out" '"proto":"udp","address":"127.0.0.1","port":'"$port" "UDP socket reported"
like "$out" '"proto":"unix","address":"'"$sock"'"' "unix listener reported with its path"
! alive "$p_listen"
ok $? "backdoor killed"

# --- kill_listeners = no: reported, left running, the node is not clean ---
printf '[epilogue]\nmin_uid = %s\nmax_uid = %s\nkill_listeners = no\ngrace = 1s\ndeadline = 2s\n' "$EP_UID_MIN" "$EP_UID_MAX" >"$TEST_TMP/policies/keep.ini"
chmod 0644 "$TEST_TMP/policies/keep.ini"
port2=$((port + 1))
ep_spawn p_listen2 listen --uid 61753 --port $port2 --unix "$sock.2" "${noipv6[@]}"
out=$(ep_run --policy keep --user $L --job 55 --json 2>/dev/null)
rc=$?
is "$rc" 1 "kill_listeners = no: exit 1 (not clean)"
like "$out" '"port":'"$port2" "the listener is still reported"
like "$out" '"result":"survived \(listener, kill_listeners = no\)"' "recorded as a survivor for that reason"
alive "$p_listen2" && [ "$(awk '{print $3}' "/proc/$p_listen2/stat")" != T ]
ok $? "the listener runs on (not left stopped)"

# --- more leftovers than the soft limit on open files ---
# every target is held by a pidfd until it is gone: 1,500 orphans under a
# soft RLIMIT_NOFILE of 256 (the epilogue raises it to the hard limit)
M=corraltestepm
make_test_user $M 61756 || { echo "# cannot create test user $M (uid 61756)"; exit 1; }
"$EPI_PROC" bench --uid 61756 --jobs 0 --per-job 0 --orphans 1500 >"$TEST_TMP/many.out" 2>&1 &
many=$!
_cleanup_add "kill -KILL $many"
for _ in $(seq 100); do grep -q '^ready' "$TEST_TMP/many.out" && break; sleep 0.1; done
n=$(count_live $M)
[ "$n" -ge 1500 ]
ok $? "1,500 orphans are running ($n processes)"
out=$( (ulimit -Sn 256 && ep_run --user $M --job 57 --json) 2>"$TEST_TMP/err")
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue under a soft limit of 256 open files exits 0"
is "$(count_live $M)" 0 "... and all 1,500 are gone"
kill -KILL $many 2>/dev/null

done_testing
