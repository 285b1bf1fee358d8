# The follow service: build, run under lighttpd, test, benchmark.
PORT  ?= 8080
CONF  ?= conf/follow.conf
PROCS ?= 2

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra
LDLIBS  = -lfcgi -ljson-c -ldb-5.3 -lcrypto -lz -lcurl

MAINS = src/null_main.c src/usersig_main.c src/followctl_main.c
SRCS = $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=build/%.o)
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/*_test.c))

# The sanitizer build: same sources, AddressSanitizer + UndefinedBehaviorSanitizer.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_OBJS = $(SRCS:src/%.c=build/san/%.o)
SAN_LIB_OBJS = $(LIB_SRCS:src/%.c=build/san/%.o)
SAN_UNIT_TESTS = $(patsubst tests/unit/%.c,build/san/tests/%,$(wildcard tests/unit/*_test.c))
SAN_LOG = $(CURDIR)/build/sanitizer-reports

.PHONY: all deps run test unit bench soak clean test-sanitizers

all: cgi-bin/follow.fcgi cgi-bin/null.fcgi cgi-bin/follow-usersig cgi-bin/followctl

deps:
	@./scripts/deps.sh

build/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

build/san/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

build/san/follow.fcgi: $(SAN_OBJS)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

build/san/followctl: build/san/followctl_main.o $(SAN_LIB_OBJS)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

build/san/tests/%: tests/unit/%.c $(SAN_LIB_OBJS) $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -Isrc -o $@ $< $(SAN_LIB_OBJS) $(LDLIBS)

cgi-bin/follow.fcgi: $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

cgi-bin/follow-usersig: build/usersig_main.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

cgi-bin/followctl: build/followctl_main.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

cgi-bin/null.fcgi: src/null_main.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lfcgi

build/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIB_OBJS) $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@./scripts/run.sh "$(PORT)" "$(CONF)" "$(PROCS)"

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

test: deps
	@$(MAKE) --no-print-directory all unit
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
	@if [ -n "$$(ls -A $(SAN_LOG))" ]; then echo "sanitizer reports:"; cat $(SAN_LOG)/*; exit 1; fi
	@echo "sanitizers: no reports"

bench: deps
	@$(MAKE) --no-print-directory all
	@./scripts/bench.sh

# Ten minutes (SOAK_SECONDS) of mixed load: RSS at start and end, and no error.
soak: deps
	@$(MAKE) --no-print-directory all
	@./scripts/soak.sh

clean:
	rm -rf build cgi-bin/follow.fcgi cgi-bin/null.fcgi cgi-bin/follow-usersig cgi-bin/followctl run

# libFuzzer on whole requests (clang, ASan + UBSan); see scripts/fuzz.sh. Output in build/fuzz/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: deps
	@./scripts/fuzz.sh $(FUZZ_SECONDS)
