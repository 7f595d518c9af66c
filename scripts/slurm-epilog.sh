#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-epilog.sh — slurmd's Epilog. `make install` puts it in
# /usr/local/libexec/corral/ (LIBEXECDIR) with the installed paths filled in;
# slurm.conf: Epilog=/usr/local/libexec/corral/slurm-epilog.sh
#
# slurmd runs it as root with SLURM_JOB_ID, SLURM_JOB_UID, SLURM_JOB_USER in
# the environment and no arguments, PATH or HOME, so every path here is
# absolute. A non-zero exit drains the node: corral-epilogue exits 1 only
# when something of the job survived or could not be stripped, and 2 when it
# was called wrongly. slurmd throws the Epilog's output away when it exits 0
# (and copies it into slurmd's log otherwise), so the details go to a log
# file, readable by root only (umask). The policy is "default" (or the
# built-in defaults when there is no default.ini).
#
# By hand, without changing anything (arguments are passed on):
#   env -i SLURM_JOB_ID=1 SLURM_JOB_UID=1001 SLURM_JOB_USER=alice \
#       /usr/local/libexec/corral/slurm-epilog.sh --dry-run --json
# To change the options, copy this file (e.g. to
# /etc/slurm/epilog.d/corral.sh) and point Epilog at the copy: the next
# `make install` overwrites this one. See docs/epilogue-install.md.
umask 077
exec /usr/local/sbin/corral-epilogue --slurm --log-file /var/log/corral-epilogue.log "$@"
