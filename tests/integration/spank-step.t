#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# spank-step.t — spank_corral.so's per-step containment (spank/step.c)
# without Slurm, as root: tests/spank/step-test.c prepares a step, runs two
# tasks in it and prints the TAP.
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
T=$CORRAL_BUILD/tests/spank-step-test
require_root
[ -x "$T" ] || plan_skip "spank-step-test not built (make tests)"
exec "$T"
