# SPDX-License-Identifier: GPL-2.0-or-later
# spank_corral.so: the SPANK plugin (docs/slurm.md), built only where
# libslurm-dev gives <slurm/spank.h> (Debian ships no slurm.pc; the header
# is the test). slurmstepd dlopen()s it, so it is a shared object with its
# own -fPIC objects: spank/*.c, the liblaunch sources of the containment
# phases (supervisor/launch/contain.h) and the libcorral sources both use,
# compiled into $(BUILD)/spank/ (libcorral.a and liblaunch.a are -fPIE, not
# for a shared object).
# Only the slurm_spank_* entry points and SPANK_PLUGIN's symbols are
# exported (spank/spank_corral.map): libcorral's names stay local, so they
# cannot bind to a same-named symbol of slurmstepd or libslurmfull.
SPANK_HEADER ?= $(firstword $(wildcard /usr/include/slurm/spank.h /usr/local/include/slurm/spank.h))
# where `make install` puts the plugin (plugstack.conf names it by path)
SPANKDIR ?= $(PREFIX)/lib/slurm
ifneq ($(SPANK_HEADER),)
SPANK_SO := $(BUILD)/spank_corral.so
# the libcorral part the plugin links: the policy loader and what it needs,
# and what the containment uses (runcache: seccomp.c's program cache)
SPANK_LIB_SRCS := lib/policy.c lib/conf.c lib/parse.c lib/strv.c lib/syscall-groups.c lib/landlock.c \
        lib/runcache.c lib/devices.c
# the containment phases (contain.c) and the steps they call: mounts
# (mounts.c), rlimits (caps.c), seccomp (seccomp.c), ChildError (result.c)
SPANK_LAUNCH_SRCS := supervisor/launch/contain.c supervisor/launch/mounts.c supervisor/launch/caps.c \
        supervisor/launch/seccomp.c supervisor/launch/result.c
SPANK_SRCS := $(sort $(wildcard spank/*.c))
SPANK_OBJS := $(patsubst %.c,$(BUILD)/spank/%.o,$(SPANK_LIB_SRCS) $(SPANK_LAUNCH_SRCS) $(SPANK_SRCS))
# never with the sanitizers (make check-asan): slurmstepd is not built with
# them, and an ASan shared object cannot be dlopen()ed into it
SPANK_CFLAGS = $(filter-out -fPIE $(SAN),$(CFLAGS)) -fPIC -I$(dir $(SPANK_HEADER))..
SPANK_LIBS := $(shell pkg-config --libs inih jansson libseccomp libcap-ng 2>/dev/null)

all: $(SPANK_SO)

$(BUILD)/spank/%.o: %.c $(BUILD)/config
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ispank $(SPANK_CFLAGS) -MMD -MP -c $< -o $@

$(SPANK_SO): $(SPANK_OBJS) spank/spank_corral.map spank/module.mk
	$(CC) -shared -fPIC -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,--version-script=spank/spank_corral.map \
	        -o $@ $(SPANK_OBJS) $(SPANK_LIBS)

# the same builder id as liblaunch's seccomp.o (supervisor/launch/module.mk)
$(BUILD)/spank/supervisor/launch/seccomp.o: CPPFLAGS += \
        -DSECCOMP_BUILDER_ID='"$(shell sha256sum supervisor/launch/seccomp.c | cut -c1-16)"'

-include $(SPANK_OBJS:.o=.d)

# (its man page, man/spank_corral.8, is installed with the others by the
# top-level install rule, through $(SUBST))
install: install-spank
install-spank: $(SPANK_SO)
	install -d $(DESTDIR)$(SPANKDIR)
	install -m 0644 $(SPANK_SO) $(DESTDIR)$(SPANKDIR)/spank_corral.so
uninstall: uninstall-spank
uninstall-spank:
	rm -f $(DESTDIR)$(SPANKDIR)/spank_corral.so
.PHONY: install-spank uninstall-spank
endif

# tests/spank/args-test.c: spank/args.c without Slurm (TAP, run by
# tests/integration/spank-args.t); built by `make tests` everywhere
$(BUILD)/tests/spank-args-test: $(BUILD)/obj/tests/spank/args-test.o $(BUILD)/obj/spank/args.o $(LIBCORRAL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/obj/tests/spank/args-test.o: CPPFLAGS += -Ispank
tests: $(BUILD)/tests/spank-args-test

# tests/spank/step-test.c: spank/step.c without Slurm, as root (TAP, run by
# tests/integration/spank-step.t); built by `make tests` everywhere
$(BUILD)/tests/spank-step-test: $(BUILD)/obj/tests/spank/step-test.o $(BUILD)/obj/spank/step.o $(BUILD)/obj/spank/jobns.o $(BUILD)/liblaunch.a \
        $(LIBCORRAL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/obj/tests/spank/step-test.o: CPPFLAGS += -Ispank
tests: $(BUILD)/tests/spank-step-test
