# SPDX-License-Identifier: GPL-2.0-or-later
PROGRAMS += corrald
# the root helper runs corral-launch and corral-epilogue in forked children,
# without exec: their code is linked in (everything but their main.c)
corrald_SRCS := supervisor/core/*.c $(filter-out %/main.c,$(wildcard supervisor/launch/*.c epilogue/*.c))
corrald_DIR := sbin
