# SPDX-License-Identifier: GPL-2.0-or-later
PROGRAMS += corral
corral_SRCS := supervisor/cli/*.c
corral_DIR := bin
# lets an uninstalled build find the tree's policies/ (see cli_policy_dir)
$(BUILD)/obj/supervisor/cli/cli-policy.o: CPPFLAGS += -DCORRAL_BUILD_DIR='"$(abspath $(BUILD))"' \
        -DCORRAL_SOURCE_POLICY_DIR='"$(CURDIR)/policies"'
