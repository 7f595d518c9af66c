# SPDX-License-Identifier: GPL-2.0-or-later
# libcorrald: the core and the root helper (everything but corrald.c, the
# command line)
ARCHIVES += libcorrald
libcorrald_SRCS := $(filter-out %/corrald.c,$(wildcard supervisor/core/*.c))
PROGRAMS += corrald
corrald_SRCS := supervisor/core/corrald.c
# the root helper runs corral-launch and corral-epilogue in forked children,
# without exec: their archives are linked in
corrald_ARCHIVES := libcorrald liblaunch libepilogue
corrald_DIR := sbin
