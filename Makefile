# SPDX-License-Identifier: GPL-2.0-or-later
# corral — top-level, non-recursive Makefile.
#
#   make              build libcorral and every program (build/)
#   make check        install missing packages, build, run unit tests (Check),
#                     replay fuzz corpora, run TAP tests under prove (as root)
#   make check-asan   the same, built with -fsanitize=address,undefined (build-asan/)
#   make fuzz         run each libFuzzer harness for FUZZ_SECONDS (default 60) with ASan/UBSan
#   make bench        benchmarks (see docs/BENCHMARKS.md)
#   make format / format-check / lint
#   make install      PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR= (see "install" below)
#   make uninstall    the same variables
#   make deb          the Debian package (debian/), into build/deb/
#
# Each program lives in a folder with a module.mk that says:
#   PROGRAMS += NAME
#   NAME_SRCS := folder/*.c          (sources besides libcorral)
#   NAME_DIR := bin | sbin | libexec  (where `make install` puts it)
#   NAME_MAN := man/NAME.N            (optional)
#   NAME_PKG_LIBS := ...               (optional: instead of the packages' -l flags)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/corral
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=
BUILD ?= build
CC ?= gcc
SANITIZE ?=
FUZZ_SECONDS ?= 60
PROVE ?= prove

PKGS := libcap-ng libseccomp libcgroup libsystemd inih sqlite3 jansson smartcols
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

# A plain `make` (or `make tests`) on a machine without the -dev packages
# says what to run instead of dying on the first missing header. `make
# check`, `make run` and `make deps` install them first, so they pass.
BUILD_GOALS := all tests lint install
ifneq ($(filter $(BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
PKG_MISSING := $(shell for p in $(PKGS) $(if $(filter tests,$(MAKECMDGOALS)),check); do \
                        pkg-config --exists $$p 2>/dev/null || echo $$p; done)
ifneq ($(PKG_MISSING),)
$(error missing development packages ($(PKG_MISSING)): run `sudo make deps` to install them (or `sudo make check`, which installs them, builds and tests))
endif
endif

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter -Wmissing-prototypes \
        -Wstrict-prototypes -Wvla -Wdate-time -Wno-format-truncation
HARDEN := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
ifeq ($(SANITIZE),)
OPT := -O2 -g -D_FORTIFY_SOURCE=2
SAN :=
else
OPT := -O1 -g -fno-omit-frame-pointer
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
CPPFLAGS += -Ilib -Iepilogue -Isupervisor/launch -Isupervisor/core -DCORRAL_VERSION='"$(VERSION)"' -D_GNU_SOURCE -DCORRAL_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS ?=
CFLAGS += -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(SAN) $(PKG_CFLAGS)
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN)

LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIBCORRAL := $(BUILD)/libcorral.a

# Each program's code but its main.c is a component archive (ARCHIVES, from
# a module.mk: NAME_SRCS), linked into the program, into the programs that
# run it without exec (corrald's root helper runs corral-launch and
# corral-epilogue in forked children), into the unit tests and the SPANK
# plugin. A program names the archives it links in order (PROG_ARCHIVES,
# users before what they use); libcorral comes last.
PROGRAMS :=
ARCHIVES :=
include $(sort $(wildcard */module.mk */*/module.mk))

PROGRAM_BINS := $(addprefix $(BUILD)/,$(PROGRAMS))
ARCHIVE_FILES := $(foreach a,$(ARCHIVES),$(BUILD)/$(a).a)

all: $(LIBCORRAL) $(ARCHIVE_FILES) $(PROGRAM_BINS)

# The paths compiled in (lib/paths.h): $(BUILD)/config is rewritten only
# when they change, and every object depends on it, so `make install
# SYSCONFDIR=...` rebuilds what a build for another SYSCONFDIR left.
$(BUILD)/config: FORCE
	@mkdir -p $(@D)
	@printf 'SYSCONFDIR=%s\n' '$(SYSCONFDIR)' >$@.tmp; \
	        if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/config
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBCORRAL): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

define archive_template
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(sort $$(wildcard $$($(1)_SRCS))))
$(BUILD)/$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach a,$(ARCHIVES),$(eval $(call archive_template,$(a))))

define program_template
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(sort $$(wildcard $$($(1)_SRCS))))
$(1)_ARCHIVE_FILES := $$(foreach a,$$($(1)_ARCHIVES),$(BUILD)/$$(a).a)
$(BUILD)/$(1): $$($(1)_OBJS) $$($(1)_ARCHIVE_FILES) $(LIBCORRAL)
	$(CC) $(LDFLAGS) -o $$@ $$($(1)_OBJS) $$($(1)_ARCHIVE_FILES) $(LIBCORRAL) $$(or $$($(1)_PKG_LIBS),$(PKG_LIBS)) $$($(1)_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_template,$(p))))

# ---- tests ----
# `sudo make check|run` builds as the user who called sudo, so that build/
# stays theirs and their next plain `make` works.
# Only when the checkout is theirs; a build/ left root's by an older run is
# given back first (GIVE_BACK DIR).
CHECKOUT_UID := $(shell stat -c %u . 2>/dev/null)
AS_INVOKER = $(if $(and $(SUDO_UID),$(filter-out 0,$(SUDO_UID)),$(filter $(SUDO_UID),$(CHECKOUT_UID))),setpriv --reuid=$(SUDO_UID) --regid=$(SUDO_GID) --init-groups --reset-env,)
GIVE_BACK = if [ -n "$(AS_INVOKER)" ] && [ -d $(1) ] && [ "$$(stat -c %u $(1))" != "$(SUDO_UID)" ]; then \
                echo "make: $(1)/ belongs to uid $$(stat -c %u $(1)), giving it back to uid $(SUDO_UID)"; \
                chown -R $(SUDO_UID):$(SUDO_GID) $(1); fi
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_SUITES := $(patsubst tests/unit/test-%.c,%,$(UNIT_SRCS))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/unit/main.o
UNIT_BIN := $(BUILD)/tests/unit-tests

# main.c includes the generated list of suites: test-NAME.c defines NAME_suite()
$(BUILD)/tests/suites.h: $(UNIT_SRCS) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach s,$(UNIT_SUITES),'SUITE($(subst -,_,$(s)))') >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c $(BUILD)/tests/suites.h $(BUILD)/config
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(BUILD)/tests -Itests/unit $(CFLAGS) -Wno-missing-prototypes $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

# the unit tests link the component archives in corrald's order (it uses them all)
$(UNIT_BIN): $(UNIT_OBJS) $(corrald_ARCHIVE_FILES) $(LIBCORRAL)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(corrald_ARCHIVE_FILES) $(LIBCORRAL) $(PKG_LIBS) $(CHECK_LIBS)

# Fuzz harnesses: built with the replay main for `make check` (gcc), and with
# libFuzzer for `make fuzz` (clang).
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_REPLAY_BINS := $(addprefix $(BUILD)/tests/,$(FUZZ_NAMES))

$(BUILD)/tests/fuzz-%: $(BUILD)/obj/tests/fuzz/fuzz-%.o $(BUILD)/obj/tests/fuzz/replay.o $(LIBCORRAL)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

TEST_HELPERS_SRCS := $(sort $(wildcard tests/helpers/*.c tests/escape/*.c))
TEST_HELPERS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_HELPERS_SRCS))
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBCORRAL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCORRAL) $(PKG_LIBS)
$(BUILD)/tests/escape/%: tests/escape/%.c $(LIBCORRAL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCORRAL) $(PKG_LIBS)

# Benchmark programs (tests/bench/*.sh run them): libc only
BENCH_PROGS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/bench/*.c)))
$(BUILD)/tests/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

tests: all $(UNIT_BIN) $(FUZZ_REPLAY_BINS) $(TEST_HELPERS) $(BENCH_PROGS)

TAP_TESTS = $(sort $(wildcard tests/integration/*.t tests/escape/*.t))
ifdef SANITIZE
# Slurm's accounting with and without spank_corral.so: the plugin is never
# a sanitizer build (spank/module.mk) and the test runs no other corral code,
# so make check-asan would only repeat make check's run. The same holds for
# the Debian package (deb-package.t builds and installs its own, never a
# sanitizer build) and a newcomer's first hour (newcomer.t builds the
# user's clone with a plain make and runs what that built).
TAP_TESTS := $(filter-out tests/integration/slurm-sacct.t tests/integration/deb-package.t \
                          tests/integration/newcomer.t,$(TAP_TESTS))
endif
export CORRAL_BUILD = $(abspath $(BUILD))
export CORRAL_SRC = $(CURDIR)

# The build runs as the user who called sudo (AS_INVOKER), so build/ stays
# theirs; the tests run as root.
check: deps
	@$(call GIVE_BACK,$(BUILD))
	@$(AS_INVOKER) $(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory run-tests

run-tests:
	@echo "== unit tests (Check) =="
	@# under the TAP tests' machine-wide lock (tests/lib.sh): some unit
	@# tests run processes of test uids that another checkout's epilogue
	@# test would judge
	CK_FORK=yes flock -w 1800 /tmp/corral-tests.lock $(UNIT_BIN)
	@echo "== fuzz corpus replay =="
	@set -e; for f in $(FUZZ_NAMES); do \
	        $(BUILD)/tests/$$f tests/fuzz/corpus/$${f#fuzz-}; done
	@echo "== integration and escape tests (prove) =="
	$(PROVE) -f --timer $(TAP_TESTS)

check-asan: deps
	@$(call GIVE_BACK,build-asan)
	@$(AS_INVOKER) $(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	        $(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 run-tests

deps:
	@scripts/deps.sh
deps-build:
	@scripts/deps.sh --build

# ---- fuzzing with libFuzzer ----
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
fuzz: deps
	@mkdir -p $(FUZZ_BUILD)
	@set -e; for s in $(LIB_SRCS); do \
	        $(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $$s -o $(FUZZ_BUILD)/$$(basename $$s .c).o; done
	@set -e; for f in $(FUZZ_NAMES); do \
	        $(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer tests/fuzz/$$f.c $(FUZZ_BUILD)/*.o \
	                $(PKG_LIBS) -o $(FUZZ_BUILD)/$$f; \
	        mkdir -p $(FUZZ_BUILD)/corpus-$$f; \
	        echo "== $$f for $(FUZZ_SECONDS)s =="; \
	        $(FUZZ_BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(FUZZ_BUILD)/corpus-$$f \
	                tests/fuzz/corpus/$${f#fuzz-}; done

# ---- run the supervisor on its embedded defaults ----
# `sudo make run` from a checkout (in a home directory, usually mode 0700):
# the build runs as the user who called sudo, so build/ stays theirs; the
# daemon keeps its state, output, socket and a root-owned copy of ./policies
# under DEV_DIR, outside the checkout (see supervisor/core/devmode.c).
# CORRALD_ARGS adds options (tests: --config with a test cgroup parent).
DEV_DIR ?= /run/corral-dev
CORRALD_ARGS ?=
run: deps-build
	@if [ "$$(id -u)" != 0 ]; then echo "make run: corrald starts as root: run \`sudo make run\`" >&2; exit 1; fi
	@$(call GIVE_BACK,$(BUILD))
	@$(AS_INVOKER) $(MAKE) --no-print-directory all
	@echo "corrald: development mode: state, output, socket and a copy of $(CURDIR)/policies under $(DEV_DIR)."
	@echo "corrald: in another terminal, as an ordinary user:"
	@echo "corrald:   export CORRAL_SOCKET=$(DEV_DIR)/corral.sock PATH=$(abspath $(BUILD)):\$$PATH"
	@echo "corrald:   corral submit --wait -- /bin/echo hello"
	@echo "corrald: stop with Ctrl-C (running jobs go on and are adopted at the next start)."
	$(BUILD)/corrald --dev-dir $(DEV_DIR) $(CORRALD_ARGS)

# ---- benchmarks ----
BENCH_SCRIPTS = $(sort $(wildcard tests/bench/*.sh))
bench: deps
	@$(MAKE) --no-print-directory all tests
	@set -e; for b in $(BENCH_SCRIPTS); do echo "== $$b =="; bash $$b; done

# ---- style ----
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files clean"
# cppcheck does not know __attribute__((cleanup)), so its leak checks only
# report false positives here; LeakSanitizer in check-asan finds real leaks.
lint:
	clang-tidy --quiet $(LIB_SRCS) $(foreach p,$(ARCHIVES) $(PROGRAMS),$(wildcard $($(p)_SRCS))) -- $(CPPFLAGS) -std=gnu11 $(PKG_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	        --suppress=missingIncludeSystem --suppress=memleak --suppress=resourceLeak \
	        --suppress=leakReturnValNotUsed -Ilib -Iepilogue -Isupervisor/launch -Isupervisor/core -D_GNU_SOURCE lib \
	        $(sort $(dir $(foreach p,$(ARCHIVES) $(PROGRAMS),$(firstword $(wildcard $($(p)_SRCS))))))

# ---- install ----
# Where `make install` puts things (PREFIX=/usr SYSCONFDIR=/etc for a
# distribution package; DESTDIR= stages it):
#   programs                    $(BINDIR), $(SBINDIR) (NAME_DIR in module.mk)
#   batch-system glue scripts/* $(LIBEXECDIR)/ (/usr/local/libexec/corral/slurm-epilog.sh ...)
#   policies, node config       $(SYSCONFDIR)/corral/policies/*.ini, $(SYSCONFDIR)/corral/corral.conf
#   their shipped versions      $(DATADIR)/corral/ (what an edit is measured against)
#   man pages, docs             $(MANDIR)/manN/, $(DOCDIR)/
#   systemd units               $(UNITDIR)/, tmpfiles.d, sysusers.d
#
# The tree is written with the default paths /usr/local/sbin/,
# /usr/local/bin/, /usr/local/libexec/corral/ and /etc/corral (and the
# placeholders @SBINDIR@, @BINDIR@, @LIBEXECDIR@, @SYSCONFDIR@); every text
# file is installed through $(SUBST), which rewrites them into the configured
# SBINDIR, BINDIR, LIBEXECDIR and SYSCONFDIR. The programs get SYSCONFDIR
# compiled in (lib/paths.h, $(BUILD)/config).
#
# Policies and the node config are the admin's (conffiles, as dpkg treats
# them): one that is absent, or unchanged since the version installed last,
# is installed; an edited one is kept, and the shipped version goes beside it
# as NAME.new (merge it, then remove it). `make uninstall` removes them only
# when they are the shipped version.
DATADIR ?= $(PREFIX)/share
DOCDIR ?= $(DATADIR)/doc/corral
# systemd's unit directory for the system prefix (pkg-config: /lib/systemd/system
# on Debian 12, /usr/lib/systemd/system elsewhere) when PREFIX is that prefix
# (/usr: a distribution package); else, or without systemd.pc, below PREFIX
# (systemd also reads /usr/local/lib/systemd/system)
SYSTEMD_PREFIX := $(shell pkg-config --variable=prefix systemd 2>/dev/null)
SYSTEMD_UNITDIR := $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNITDIR ?= $(if $(and $(SYSTEMD_UNITDIR),$(filter $(SYSTEMD_PREFIX),$(PREFIX))),$(SYSTEMD_UNITDIR),$(PREFIX)/lib/systemd/system)
GLUE := $(filter-out scripts/deps.sh %~ %.orig %.rej,$(wildcard scripts/*))
MANPAGES := $(wildcard man/*.[1-8])
DOCS := README.md docs/epilogue-install.md
CONFFILES := $(wildcard policies/*.ini) policies/corral.conf
SUBST = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/bin/|$(BINDIR)/|g' \
        -e 's|/usr/local/libexec/corral/|$(LIBEXECDIR)/|g' -e 's|/etc/corral|$(SYSCONFDIR)/corral|g' \
        -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
        -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
# the substituted texts are staged outside the checkout (`sudo make install`
# must leave nothing of root's in a user's build/)
# (made when the goal is install or uninstall, but not for `make -n`)
ifneq ($(filter install uninstall,$(MAKECMDGOALS)),)
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
STAGE := $(shell mktemp -d /tmp/corral-install.XXXXXX)
endif
endif
STAGE ?= /tmp/corral-install.XXXXXX
STAGE_TEXTS = @set -e; mkdir -p $(STAGE)/policies $(STAGE)/man $(STAGE)/glue $(STAGE)/docs; \
        for f in $(CONFFILES); do $(SUBST) $$f >$(STAGE)/policies/$${f\#\#*/}; done; \
        for f in $(GLUE); do $(SUBST) $$f >$(STAGE)/glue/$${f\#\#*/}; done; \
        for f in $(MANPAGES); do $(SUBST) $$f >$(STAGE)/man/$${f\#\#*/}; done; \
        for f in $(DOCS); do $(SUBST) $$f >$(STAGE)/docs/$${f\#\#*/}; done
INSTALL_DIRS := PREFIX BINDIR SBINDIR LIBEXECDIR SYSCONFDIR DATADIR DOCDIR MANDIR UNITDIR
# a path that sed, the shell or a C string would take apart
bad_path = $(or $(if $(1),,empty),$(filter-out /%,$(1)),$(word 2,$(1)),$(findstring |,$(1)),$(findstring ",$(1)),$(findstring ',$(1)),$(findstring \,$(1)))
$(foreach v,$(INSTALL_DIRS),$(if $(call bad_path,$($(v))),\
        $(error $(v)='$($(v))': give an absolute path without spaces, quotes, backslashes or |)))

# conffile NEW DEST SHIPPED: install NEW as DEST unless DEST was edited (it is
# neither NEW nor the SHIPPED version of the last install); then DEST.new
conffile = conffile() { \
        if [ ! -e "$$2" ] || cmp -s "$$1" "$$2" || { [ -e "$$3" ] && cmp -s "$$3" "$$2"; }; then \
                install -m 0644 "$$1" "$$2"; rm -f "$$2.new"; \
        else \
                install -m 0644 "$$1" "$$2.new"; \
                echo "make install: kept your edited $$2; the shipped version is $$2.new: merge it, then remove it"; \
        fi; install -D -m 0644 "$$1" "$$3"; }
# unconffile DEST SHIPPED NEW: remove DEST if it is the shipped version
unconffile = unconffile() { \
        if [ -e "$$1" ] && ! cmp -s "$$1" "$$2" && ! cmp -s "$$1" "$$3"; then \
                echo "make uninstall: kept $$1: it differs from the shipped version (edited)"; \
        else rm -f "$$1"; fi; rm -f "$$1.new" "$$2"; }

install: all
	$(STAGE_TEXTS)
	@set -e; for pd in $(foreach p,$(PROGRAMS),$(p):$($(p)_DIR)); do p=$${pd%%:*}; \
	        case $${pd#*:} in sbin) d=$(SBINDIR);; libexec) d=$(LIBEXECDIR);; *) d=$(BINDIR);; esac; \
	        echo "install $$p -> $(DESTDIR)$$d/$$p"; \
	        install -d $(DESTDIR)$$d; install -m 0755 $(BUILD)/$$p $(DESTDIR)$$d/$$p; done
	install -d $(DESTDIR)$(LIBEXECDIR)
	$(if $(GLUE),install -m 0755 $(addprefix $(STAGE)/glue/,$(notdir $(GLUE))) $(DESTDIR)$(LIBEXECDIR)/)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/corral $(DESTDIR)$(SYSCONFDIR)/corral/policies
	@set -e; $(conffile); for f in $(notdir $(CONFFILES)); do \
	        case $$f in *.ini) d=$(DESTDIR)$(SYSCONFDIR)/corral/policies/$$f s=policies/$$f;; \
	                        *) d=$(DESTDIR)$(SYSCONFDIR)/corral/$$f s=$$f;; esac; \
	        conffile $(STAGE)/policies/$$f $$d $(DESTDIR)$(DATADIR)/corral/$$s; done
	@set -e; for m in $(notdir $(MANPAGES)); do s=$${m##*.}; \
	        install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 $(STAGE)/man/$$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 $(addprefix $(STAGE)/docs/,$(notdir $(DOCS))) $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(PREFIX)/lib/sysusers.d
	$(SUBST) units/corrald.service.in >$(DESTDIR)$(UNITDIR)/corrald.service
	install -m 0644 units/corrald.socket units/corral.slice $(DESTDIR)$(UNITDIR)/
	install -m 0644 units/corral-tmpfiles.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/corral.conf
	install -m 0644 units/corral-sysusers.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/corral.conf
	@rm -rf $(STAGE)

# Removes what `make install` (with the same variables) installed, except
# policies and a node config that were edited.
uninstall:
	$(STAGE_TEXTS)
	@set -e; for pd in $(foreach p,$(PROGRAMS),$(p):$($(p)_DIR)); do p=$${pd%%:*}; \
	        case $${pd#*:} in sbin) d=$(SBINDIR);; libexec) d=$(LIBEXECDIR);; *) d=$(BINDIR);; esac; \
	        rm -f $(DESTDIR)$$d/$$p; done
	rm -f $(addprefix $(DESTDIR)$(LIBEXECDIR)/,$(notdir $(GLUE)))
	@set -e; $(unconffile); for f in $(notdir $(CONFFILES)); do \
	        case $$f in *.ini) d=$(DESTDIR)$(SYSCONFDIR)/corral/policies/$$f s=policies/$$f;; \
	                        *) d=$(DESTDIR)$(SYSCONFDIR)/corral/$$f s=$$f;; esac; \
	        unconffile $$d $(DESTDIR)$(DATADIR)/corral/$$s $(STAGE)/policies/$$f; done
	@set -e; for m in $(notdir $(MANPAGES)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rm -f $(DESTDIR)$(UNITDIR)/corrald.service $(DESTDIR)$(UNITDIR)/corrald.socket $(DESTDIR)$(UNITDIR)/corral.slice \
	        $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/corral.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/corral.conf
	@for d in $(LIBEXECDIR) $(DATADIR)/corral/policies $(DATADIR)/corral $(DOCDIR) \
	        $(SYSCONFDIR)/corral/policies $(SYSCONFDIR)/corral; do \
	        [ ! -d $(DESTDIR)$$d ] || rmdir $(DESTDIR)$$d 2>/dev/null || true; done
	@rm -rf $(STAGE)

# ---- Debian package ----
# make deb: dpkg-buildpackage -b -us -uc (debian/) on a copy of this checkout
# in $(DEBDIR)/src, so the checkout stays clean; the .deb lands in $(DEBDIR).
# DEB_VERSION=0.1.0+local1 builds it under another version (a changelog
# entry in the copy); DEB_JOBS: make -j inside.
DEBDIR ?= $(BUILD)/deb
DEB_VERSION ?=
DEB_JOBS ?= 2
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
	        { echo "make deb: dpkg-buildpackage or dh missing: run \`sudo make deps\` (or apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	@set -e; d=$(abspath $(DEBDIR)); rm -rf $$d/src; mkdir -p $$d/src; \
	        tar -c --exclude=./.git --exclude=./build --exclude=./build-asan --exclude=./build-fuzz \
	                --exclude=./$(BUILD) --exclude=./$(DEBDIR) --exclude=./debian/build --exclude=./debian/corral \
	                --exclude=./debian/.debhelper --exclude=./debian/files --exclude='./debian/*.substvars' \
	                --exclude=./debian/debhelper-build-stamp -f - . | tar -x -C $$d/src; \
	        if [ -n "$(DEB_VERSION)" ]; then \
	                { printf 'corral (%s) unstable; urgency=medium\n\n  * Local build of %s.\n\n -- %s  %s\n\n' \
	                        '$(DEB_VERSION)' "$$(cat VERSION)" "$$(dpkg-parsechangelog -S Maintainer)" "$$(date -R)"; \
	                  cat debian/changelog; } >$$d/src/debian/changelog; fi; \
	        v=$$(cd $$d/src && dpkg-parsechangelog -S Version); a=$$(dpkg-architecture -qDEB_HOST_ARCH); \
	        echo "make deb: building corral $$v in $$d/src"; \
	        (cd $$d/src && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u MAKEOVERRIDES \
	                dpkg-buildpackage -b -us -uc -j$(DEB_JOBS)) >$$d/build.log 2>&1 || \
	                { tail -n 40 $$d/build.log >&2; echo "make deb: dpkg-buildpackage failed; the whole log: $$d/build.log" >&2; exit 1; }; \
	        rm -rf $$d/src; \
	        echo "make deb: $$d/corral_$${v}_$$a.deb (log: $$d/build.log)"

clean:
	rm -rf build build-asan build-fuzz

.PHONY: FORCE all run tests check run-tests check-asan deps deps-build fuzz bench format format-check lint install uninstall deb clean

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
