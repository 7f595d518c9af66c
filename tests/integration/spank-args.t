#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# spank-args.t — spank_corral.so's plugstack.conf arguments, without Slurm
# (tests/spank/args-test.c prints the TAP).
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
T=$CORRAL_BUILD/tests/spank-args-test
[ -x "$T" ] || plan_skip "spank-args-test not built (make tests)"
exec "$T"
