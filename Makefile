# berth: one plain Makefile for a fixed Debian dependency set.
#
#   make            release build in build/
#   make SAN=1      AddressSanitizer + UndefinedBehaviorSanitizer build in build-san/
#   make check      unit tests and integration tests (both builds)

# libyaml and SQLite serve the services layer (src/service/): a static
# link takes their objects only into binaries that call them.
PKGS := jansson libseccomp libarchive libcrypto yaml-0.1 sqlite3
# Linked only dynamically (berth-registry, unit tests).
DYN_PKGS := libcurl
SAN ?= 0

# The release binary is static: it starts about 0.3 ms sooner than a
# dynamically linked one, which is a tenth of a container start.  The
# sanitizers need the dynamic loader.
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
LINK_STATIC :=
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
LINK_STATIC := -static
endif

CC ?= cc
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -Wformat=2 -Wvla -g $(OPT) $(SANFLAGS) \
	-Isrc $(shell pkg-config --cflags $(PKGS) $(DYN_PKGS))
CFLAGS ?=
# Static release links need every library libarchive pulls in.
ifeq ($(SAN),1)
LDLIBS := $(shell pkg-config --libs $(PKGS))
else
LDLIBS := $(shell pkg-config --static --libs $(PKGS))
endif
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)
DYN_LDLIBS := $(shell pkg-config --libs $(PKGS) $(DYN_PKGS))

# The monitor's pure parts (restart backoff, its config, the log writer)
# are in the library too: berth validates flags with them, tests test them.
MON_PURE_SRCS := src/monitor/backoff.c src/monitor/conf.c src/monitor/log_writer.c src/monitor/state_file.c
MON_SRCS := $(wildcard src/monitor/*.c)
# The proxy's HTTP parser is pure: in the library for its unit tests and
# its fuzz target.
PROXY_PURE_SRCS := src/proxy/http.c src/proxy/chunked.c
PROXY_SRCS := $(filter-out $(PROXY_PURE_SRCS),$(wildcard src/proxy/*.c))
# berthd's decision (plan.c) and replica names are pure: in the library
# for their unit tests.
DAEMON_PURE_SRCS := src/daemon/plan.c src/daemon/replica_name.c
DAEMON_SRCS := $(filter-out $(DAEMON_PURE_SRCS),$(wildcard src/daemon/*.c))
LIB_SRCS := $(wildcard src/common/*.c src/runtime/*.c src/image/*.c src/build/*.c src/container/*.c \
	src/volume/*.c src/network/*.c src/service/*.c) $(MON_PURE_SRCS) $(PROXY_PURE_SRCS) \
	$(DAEMON_PURE_SRCS)
# The registry client needs libcurl, which Debian cannot link statically
# (see src/cli/image/registry_exec.c): it lives in berth-registry, the
# same command line linked dynamically, which the static berth runs for
# pull and push.
REG_SRCS := $(wildcard src/registry/*.c)
REG_CLI_SRCS := src/cli/image/pull.c src/cli/image/push.c
EXEC_CLI_SRCS := src/cli/image/registry_exec.c
CLI_SRCS := $(filter-out $(REG_CLI_SRCS) $(EXEC_CLI_SRCS),$(wildcard src/cli/*.c src/cli/*/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
REG_OBJS := $(REG_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
REG_CLI_OBJS := $(REG_CLI_SRCS:%.c=$(BUILD)/obj/%.o)
EXEC_CLI_OBJS := $(EXEC_CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PROXY_OBJS := $(PROXY_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)

all: $(BUILD)/berth $(BUILD)/berth-runtime $(BUILD)/berth-registry $(BUILD)/berth-monitor \
	$(BUILD)/berth-proxy $(BUILD)/berthd $(UNIT_BINS)

# berth-monitor stays resident next to every kept container, so it links
# nothing but libc, and in the release build musl's: tens of kilobytes
# resident instead of glibc's static 700 KB.  The sanitizer build uses
# the normal compiler so the sanitizers see it too.
ifeq ($(SAN),1)
MON_CC := $(CC)
MON_FLAGS := $(SANFLAGS) -O1
else
MON_CC := musl-gcc
MON_FLAGS := -Os -static
endif
$(BUILD)/berth-monitor: $(MON_SRCS) $(wildcard src/monitor/*.h)
	@mkdir -p $(dir $@)
	$(MON_CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
		-Wformat=2 -Wvla -g $(MON_FLAGS) -Isrc $(MON_SRCS) -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libberth.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libberth-registry.a: $(REG_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/berth: $(CLI_OBJS) $(EXEC_CLI_OBJS) $(BUILD)/libberth.a
	$(CC) $(LDFLAGS_ALL) $(LINK_STATIC) -o $@ $(CLI_OBJS) $(EXEC_CLI_OBJS) $(BUILD)/libberth.a $(LDLIBS)

$(BUILD)/berth-registry: $(CLI_OBJS) $(REG_CLI_OBJS) $(BUILD)/libberth-registry.a $(BUILD)/libberth.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJS) $(REG_CLI_OBJS) $(BUILD)/libberth-registry.a \
		$(BUILD)/libberth.a $(DYN_LDLIBS)

# berth-proxy, the data plane that outlives berthd: libc and jansson (its
# control protocol) only; from libberth.a it takes the parser and the
# error helpers.
$(BUILD)/berth-proxy: $(PROXY_OBJS) $(BUILD)/libberth.a
	$(CC) $(LDFLAGS_ALL) $(LINK_STATIC) -o $@ $(PROXY_OBJS) $(BUILD)/libberth.a \
		$(shell pkg-config $(if $(LINK_STATIC),--static) --libs jansson)

# berthd, the services supervisor: static like berth (it is started
# early at boot and must not depend on what the host's libraries are).
$(BUILD)/berthd: $(DAEMON_OBJS) $(BUILD)/libberth.a
	$(CC) $(LDFLAGS_ALL) $(LINK_STATIC) -o $@ $(DAEMON_OBJS) $(BUILD)/libberth.a $(LDLIBS)

# runc-compatible entry point for OCI engines: the same binary, which acts
# as "berth runtime" when called by this name.
$(BUILD)/berth-runtime: $(BUILD)/berth
	ln -sf berth $@

# The services CLI's pure parts (the API client's response reader, the
# project name, scale's arguments) are tested from its objects.
SVC_CLI_TEST_OBJS := $(addprefix $(BUILD)/obj/src/cli/service/,api_client.o project.o scale.o)
$(BUILD)/tests/test_service_cli: $(SVC_CLI_TEST_OBJS)
$(BUILD)/tests/test_service_cli: UNIT_OBJS := $(SVC_CLI_TEST_OBJS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libberth-registry.a $(BUILD)/libberth.a
	@mkdir -p $(dir $@) $(BUILD)/obj/tests
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -MMD -MP -MF $(BUILD)/obj/tests/$*.d $< -o $@ $(LDFLAGS_ALL) \
		$(UNIT_OBJS) $(BUILD)/libberth-registry.a $(BUILD)/libberth.a $(DYN_LDLIBS) -lcmocka

# Fuzz targets (libFuzzer, clang): make fuzz builds build-fuzz/fuzz_*;
# tests/run runs each for a short time on its seed corpus.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	$(shell pkg-config --cflags $(PKGS))

fuzz: $(FUZZ_BINS)

build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -Wall -Wextra -Werror -Wno-unused-parameter $< $(LIB_SRCS) -o $@ $(LDLIBS)

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

check: all
	tests/run

clean:
	rm -rf build build-san build-fuzz

PREFIX ?= /usr/local
install: $(BUILD)/berth $(BUILD)/berth-registry $(BUILD)/berth-monitor $(BUILD)/berth-proxy \
	$(BUILD)/berthd
	install -D -m 0755 $(BUILD)/berth $(DESTDIR)$(PREFIX)/bin/berth
	ln -sf berth $(DESTDIR)$(PREFIX)/bin/berth-runtime
	install -m 0755 $(BUILD)/berth-registry $(DESTDIR)$(PREFIX)/bin/berth-registry
	install -m 0755 $(BUILD)/berth-monitor $(DESTDIR)$(PREFIX)/bin/berth-monitor
	install -m 0755 $(BUILD)/berth-proxy $(DESTDIR)$(PREFIX)/bin/berth-proxy
	install -m 0755 $(BUILD)/berthd $(DESTDIR)$(PREFIX)/bin/berthd

.PHONY: all check check-unit clean install fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
