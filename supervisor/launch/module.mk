PROGRAMS += corral-launch
corral-launch_SRCS := supervisor/launch/*.c
corral-launch_DIR := sbin
corral-launch_MAN := man/corral-launch.8
# lets an uninstalled build find the tree's policies/ (see launch.c, load_config)
$(BUILD)/obj/supervisor/launch/launch.o: CPPFLAGS += -DCORRAL_BUILD_DIR='"$(abspath $(BUILD))"' \
        -DCORRAL_SOURCE_POLICY_DIR='"$(CURDIR)/policies"'
