# SPDX-License-Identifier: GPL-2.0-or-later
# liblaunch: the containment (everything but main.c); see launch.h
ARCHIVES += liblaunch
liblaunch_SRCS := $(filter-out %/main.c,$(wildcard supervisor/launch/*.c))
PROGRAMS += corral-launch
corral-launch_SRCS := supervisor/launch/main.c
corral-launch_ARCHIVES := liblaunch
corral-launch_DIR := sbin
corral-launch_MAN := man/corral-launch.8
# lets an uninstalled build find the tree's policies/ (see launch.c, load_config)
$(BUILD)/obj/supervisor/launch/launch.o: CPPFLAGS += -DCORRAL_BUILD_DIR='"$(abspath $(BUILD))"' \
        -DCORRAL_SOURCE_POLICY_DIR='"$(CURDIR)/policies"'
# the seccomp cache's key names the builder by a hash of its source (seccomp.c)
$(BUILD)/obj/supervisor/launch/seccomp.o: CPPFLAGS += \
        -DSECCOMP_BUILDER_ID='"$(shell sha256sum supervisor/launch/seccomp.c | cut -c1-16)"'
# LAUNCH_STATIC_LIBS=1 links libcap-ng, libseccomp, libcgroup, inih and
# jansson into corral-launch statically: its start-up is about 0.2 ms shorter
# (mapping five libraries, docs/BENCHMARKS.md), but a security update of one
# of them then needs a rebuild of corral-launch. Off by default.
ifeq ($(LAUNCH_STATIC_LIBS),1)
corral-launch_PKG_LIBS := -Wl,-Bstatic -lcap-ng -lseccomp -lcgroup -linih -ljansson -Wl,-Bdynamic -lpthread
endif
