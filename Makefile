# The follow service: build, run under lighttpd, test, benchmark.
PORT  ?= 8080
CONF  ?= conf/follow.conf
PROCS ?= 2

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Isrc -MMD -MP

# The layers (see README, "Source layout"); each program links only the ones it uses.
COMMON  = $(wildcard src/common/*.c)
STORE   = $(wildcard src/store/*.c)
ADMIN   = $(wildcard src/admin/*.c)
SERVICE = $(wildcard src/http/*.c src/request/*.c src/api/*.c src/webhook/*.c)
USERSIG = src/request/usersig.c

FCGI_SRCS    = src/bin/follow_fcgi.c $(SERVICE) $(STORE) $(COMMON)
CTL_SRCS     = src/bin/followctl.c $(ADMIN) $(STORE) $(COMMON)
SIG_SRCS     = src/bin/follow_usersig.c $(USERSIG) $(COMMON)
# Unit tests may reach into any layer but the FastCGI loop.
TEST_SRCS    = $(filter-out src/http/%,$(SERVICE)) $(ADMIN) $(STORE) $(COMMON)

# follow.fcgi also runs as plain CGI, one process per call, so its start-up is per-call cost:
# the libraries are linked from their static archives (the same Debian -dev packages), which
# saves the dynamic loader about a million instructions of symbol lookups per start; libcurl is
# loaded by the dispatcher when needed (src/common/libcurl.h), not linked. After Debian updates
# one of these libraries, run `make clean all` to take the update in.
STATIC_LIBS = -Wl,-Bstatic -lfcgi -ljson-c -ldb-5.3 -lnettle -lz -Wl,-Bdynamic
# The replication's sockets get TCP_NODELAY through wrappers of connect() and accept()
# (src/store/nodelay.c says why).
NODELAY_WRAP = -Wl,--wrap=connect -Wl,--wrap=accept
FCGI_LIBS = $(NODELAY_WRAP) $(STATIC_LIBS)
CTL_LIBS  = $(NODELAY_WRAP) -ljson-c -ldb-5.3
SIG_LIBS  = -ljson-c -lnettle -lz
TEST_LIBS = $(FCGI_LIBS)
LDLIBS    = $(FCGI_LIBS)

obj = $(patsubst src/%.c,$(1)/%.o,$(2))
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/*_test.c))

# The sanitizer build: same sources, AddressSanitizer + UndefinedBehaviorSanitizer.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_UNIT_TESTS = $(patsubst tests/unit/%.c,build/san/tests/%,$(wildcard tests/unit/*_test.c))
SAN_LOG = $(CURDIR)/build/sanitizer-reports

.PHONY: all deps run run-cluster test unit bench bench-scale soak clean test-sanitizers

all: cgi-bin/follow.fcgi cgi-bin/null.fcgi cgi-bin/follow-usersig cgi-bin/followctl console/codes.js

deps:
	@./scripts/deps.sh test

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

build/san/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

build/san/follow.fcgi: $(call obj,build/san/obj,$(FCGI_SRCS))
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(FCGI_LIBS)

build/san/followctl: $(call obj,build/san/obj,$(CTL_SRCS))
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(CTL_LIBS)

build/san/tests/%: tests/unit/%.c $(call obj,build/san/obj,$(TEST_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $(filter %.c %.o,$^) $(TEST_LIBS)

cgi-bin/follow.fcgi: $(call obj,build/obj,$(FCGI_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(FCGI_LIBS)

cgi-bin/follow-usersig: $(call obj,build/obj,$(SIG_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(SIG_LIBS)

cgi-bin/followctl: $(call obj,build/obj,$(CTL_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(CTL_LIBS)

# The console's table of error codes, printed from the service's own (src/common/errors.c).
build/follow-codes: build/obj/bin/follow_codes.o build/obj/common/errors.o
	$(CC) $(CFLAGS) -o $@ $^

console/codes.js: build/follow-codes
	build/follow-codes > $@.tmp && mv $@.tmp $@

cgi-bin/null.fcgi: src/bin/null_fcgi.c src/http/fcgi_close.c src/http/fcgi_close.h
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $(filter %.c,$^) -lfcgi

build/tests/%: tests/unit/%.c $(call obj,build/obj,$(TEST_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(TEST_LIBS)

# Programs the Python tests drive (tests/helpers/*.c): not tests themselves.
HELPERS = $(patsubst tests/helpers/%.c,build/helpers/%,$(wildcard tests/helpers/*.c))
build/helpers/%: tests/helpers/%.c $(call obj,build/obj,$(TEST_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(TEST_LIBS)

run: deps-run
	@$(MAKE) --no-print-directory all
	@./scripts/run.sh "$(PORT)" "$(CONF)" "$(PROCS)"

# Three replicated sites on loopback: HTTP on PORT, PORT+1, PORT+2 (README, "Several machines").
run-cluster: deps-run
	@$(MAKE) --no-print-directory all
	@./scripts/run-cluster.sh "$(PORT)" "$(CONF)" "$(PROCS)"

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

test: deps
	@$(MAKE) --no-print-directory all unit $(HELPERS)
	@./tests/npm.sh
	@./tests/run.sh
	@$(MAKE) --no-print-directory test-sanitizers

# The whole suite once more against the sanitizer build; any report fails the run.
test-sanitizers: build/san/follow.fcgi build/san/followctl $(SAN_UNIT_TESTS)
	@rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	@for t in $(SAN_UNIT_TESTS); do echo "== $$t (sanitizers)"; \
		ASAN_OPTIONS=log_path=$(SAN_LOG)/asan UBSAN_OPTIONS=log_path=$(SAN_LOG)/ubsan:print_stacktrace=1 \
		$$t > /dev/null || exit 1; done
	@FOLLOW_FCGI=$(CURDIR)/build/san/follow.fcgi FOLLOWCTL=$(CURDIR)/build/san/followctl \
		ASAN_OPTIONS=log_path=$(SAN_LOG)/asan UBSAN_OPTIONS=log_path=$(SAN_LOG)/ubsan \
		SANITIZER_LOG=$(SAN_LOG) ./tests/run.sh
	@# One line is not a finding: LeakSanitizer's "Unable to get registers from thread N" when
	@# a kill test SIGKILLs a process during its exit leak check (the thread it stops is gone).
	@if [ -n "$$(ls -A $(SAN_LOG))" ] && \
		grep -qv '^==[0-9]*==Unable to get registers from thread [0-9]*\.$$' $(SAN_LOG)/*; then \
		echo "sanitizer reports:"; cat $(SAN_LOG)/*; exit 1; fi
	@echo "sanitizers: no reports"

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@./scripts/bench.sh

# The service at millions of edges (scripts/bench-scale.sh): import, export, verify, a 1M-fan
# walk, 10M edges at two cache sizes.
bench-scale: deps-bench
	@$(MAKE) --no-print-directory all build/bench/graphgen
	@./scripts/bench-scale.sh

build/bench/graphgen: scripts/bench/graphgen.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

# Ten minutes (SOAK_SECONDS) of mixed load: RSS at start and end, and no error.
soak: deps
	@$(MAKE) --no-print-directory all
	@./scripts/soak.sh

clean:
	rm -rf build cgi-bin/follow.fcgi cgi-bin/null.fcgi cgi-bin/follow-usersig cgi-bin/followctl run console/codes.js

# libFuzzer on whole requests (clang, ASan + UBSan); see scripts/fuzz.sh. Output in build/fuzz/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: deps
	@./scripts/fuzz.sh $(FUZZ_SECONDS)

# What `make run` needs (and `make bench`'s extras); `make deps` is the test set, a developer's.
.PHONY: deps-run deps-bench
deps-run:
	@TLS_CERT="$(TLS_CERT)" ./scripts/deps.sh run

deps-bench:
	@./scripts/deps.sh bench

# `make install PREFIX=/usr/local DESTDIR=`: see scripts/install.sh and README, "make install".
PREFIX  ?= /usr/local
DESTDIR ?=
.PHONY: install uninstall
install: all
	@./scripts/install.sh install "$(PREFIX)" "$(DESTDIR)"

uninstall:
	@./scripts/install.sh uninstall "$(PREFIX)" "$(DESTDIR)"
