# SPDX-License-Identifier: GPL-2.0-or-later
PROGRAMS += corral-epilogue
corral-epilogue_SRCS := epilogue/*.c
corral-epilogue_DIR := sbin
corral-epilogue_MAN := man/corral-epilogue.8
