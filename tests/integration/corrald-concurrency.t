#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-concurrency.t — 20 clients submit 200 jobs each at the same time
# (4,000 submissions from two users): every acknowledged submission is stored
# exactly once, with the id its client was given.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 6

make_tmpdir
corrald_setup 2
make_test_user corraltestc 61111
make_test_user corraltestd2 61112
corrald_start; ok $? "corrald starts"

mkdir -p "$TEST_TMP/clients"; chmod 0777 "$TEST_TMP/clients"
pids=()
for k in $(seq 1 20); do
    user=corraltestc; [ $((k % 2)) = 0 ] && user=corraltestd2
    # held, so the 4,000 jobs stay in the queue and only the store is tested
    run_as "$user" bash -c "for i in \$(seq 1 200); do
        id=\$(CORRAL_SOCKET=$SOCK '$CORRAL' submit --hold -- /bin/echo client-$k-\$i) || echo FAIL
        echo \"\$id client-$k-\$i\"; done > '$TEST_TMP/clients/$k'" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

acked=$(cat "$TEST_TMP/clients"/* | grep -Ec '^[0-9]+ client-')
is "$acked" 4000 "all 4,000 submissions were acknowledged"
corrald_stop
db=$TEST_TMP/state/queue.db
is "$(sqlite3 "$db" "SELECT count(*) FROM jobs")" 4000 "4,000 jobs are stored"
is "$(sqlite3 "$db" "SELECT count(DISTINCT argv) FROM jobs")" 4000 "each submission is stored exactly once"
# the id each client got names the job it submitted
sqlite3 -separator ' ' "$db" "SELECT id, json_extract(argv, '\$[1]') FROM jobs ORDER BY id" >"$TEST_TMP/stored"
grep -hE '^[0-9]+ client-' "$TEST_TMP/clients"/* | sort -n >"$TEST_TMP/acked"
cmp -s "$TEST_TMP/stored" "$TEST_TMP/acked"; ok $? "every acknowledged id is the stored job of that submission"
is "$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state='HELD'")" 4000 "all are HELD, none lost or duplicated"
done_testing
