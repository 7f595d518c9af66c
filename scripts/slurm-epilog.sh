#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-epilog.sh — slurmd's Epilog (slurm.conf: Epilog=/etc/slurm/epilog.d/corral.sh,
# root-owned, mode 0755). slurmd runs it as root with SLURM_JOB_ID,
# SLURM_JOB_UID, SLURM_JOB_USER in the environment and no PATH or HOME, so
# every path here is absolute. A non-zero exit drains the node: corral-epilogue
# exits 1 only when something of the job survived or could not be stripped,
# and 2 when it was called wrongly. See docs/epilogue-install.md.
exec /usr/local/sbin/corral-epilogue --policy default --slurm
