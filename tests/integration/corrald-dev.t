#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-dev.t — --epilogue-dry-run (what `make run`'s --dev mode uses): on
# a workstation the user's other sessions and crontab are not a job's
# leftovers, so the epilogue after each job reports and changes nothing.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 4

make_tmpdir
corrald_setup 2
make_test_user corraltestdev 61181
corrald_start --epilogue-dry-run; ok $? "corrald starts with --epilogue-dry-run"
run_as corraltestdev setsid sleep 302 &
stray=$!
_cleanup_add "kill -9 $stray"
sleep 0.3
id=$(submit_as corraltestdev -- /bin/echo hi)
is "$(wait_final "$id")" "COMPLETED" "a job runs"
kill -0 "$stray" 2>/dev/null; ok $? "the user's process in another session is left alone"
like "$("$CORRAL" show --json "$id" | tr -d ' \n')" '"dry_run":true' "the epilogue's summary says it was a dry run"
done_testing
