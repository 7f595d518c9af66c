# SPDX-License-Identifier: GPL-2.0-or-later
# libepilogue: the epilogue (everything but main.c); see epilogue.h
ARCHIVES += libepilogue
libepilogue_SRCS := $(filter-out %/main.c,$(wildcard epilogue/*.c))
PROGRAMS += corral-epilogue
corral-epilogue_SRCS := epilogue/main.c
corral-epilogue_ARCHIVES := libepilogue
corral-epilogue_DIR := sbin
corral-epilogue_MAN := man/corral-epilogue.8
