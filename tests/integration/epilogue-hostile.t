#!/usr/bin/env bash
# epilogue-hostile.t — jobs that fight back: a fork bomb (capped by
# RLIMIT_NPROC so it cannot hurt the CI machine), a respawner that ignores
# SIGTERM and restarts its child (and whose child makes a new parent), and a
# listening backdoor on TCP v4/v6, UDP and a unix socket. All must end with
# zero processes; the backdoor is reported with its address and port.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
plan 23

B=corraltestepb
R=corraltestepr
L=corraltestepl
make_test_user $B 61751 || { echo "# cannot create test user $B (uid 61751)"; exit 1; }
make_test_user $R 61752 || { echo "# cannot create test user $R (uid 61752)"; exit 1; }
make_test_user $L 61753 || { echo "# cannot create test user $L (uid 61753)"; exit 1; }

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
ep_spawn p_listen listen --uid 61753 --port $port --unix "$sock"
alive "$p_listen"
ok $? "backdoor is listening (pid $p_listen, port $port)"
out=$(ep_run --user $L --job 53 --json)
rc=$?
is "$rc" 0 "epilogue with a backdoor exits 0 (it was killed)"
like "$out" '"type":"listener","pid":'"$p_listen"'[^}]*"proto":"tcp","address":"127.0.0.1","port":'"$port" \
    "TCP v4 listener reported with address and port"
like "$out" '"proto":"tcp6","address":"::1","port":'"$port" "TCP v6 listener reported"
like "$out" '"proto":"udp","address":"127.0.0.1","port":'"$port" "UDP socket reported"
like "$out" '"proto":"unix","address":"'"$sock"'"' "unix listener reported with its path"
! alive "$p_listen"
ok $? "backdoor killed"

# --- kill_listeners = no: reported, left running, the node is not clean ---
printf '[epilogue]\nmin_uid = %s\nkill_listeners = no\ngrace = 1s\ndeadline = 2s\n' "$EP_UID_MIN" >"$TEST_TMP/policies/keep.ini"
chmod 0644 "$TEST_TMP/policies/keep.ini"
port2=$((port + 1))
ep_spawn p_listen2 listen --uid 61753 --port $port2 --unix "$sock.2"
out=$(ep_run --policy keep --user $L --job 55 --json 2>/dev/null)
rc=$?
is "$rc" 1 "kill_listeners = no: exit 1 (not clean)"
like "$out" '"port":'"$port2" "the listener is still reported"
like "$out" '"result":"survived \(listener, kill_listeners = no\)"' "recorded as a survivor for that reason"
alive "$p_listen2" && [ "$(awk '{print $3}' "/proc/$p_listen2/stat")" != T ]
ok $? "the listener runs on (not left stopped)"

done_testing
