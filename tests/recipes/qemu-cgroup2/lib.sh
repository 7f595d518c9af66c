# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: helpers shared by build.sh and run.sh (sourced).
# shellcheck shell=bash

QEMU_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export QEMU_HERE

RECIPE_NAME=qemu-cgroup2
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
