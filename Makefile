# The follow service: build, run under lighttpd, test, benchmark.
PORT  ?= 8080
CONF  ?= conf/follow.conf
PROCS ?= 2

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra
LDLIBS  = -lfcgi -ljson-c -ldb-5.3 -lcrypto -lz

SRCS = $(filter-out src/null_main.c,$(wildcard src/*.c))
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=build/%.o)
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/*_test.c))

.PHONY: all deps run test unit bench clean

all: cgi-bin/follow.fcgi cgi-bin/null.fcgi

deps:
	@./scripts/deps.sh

build/%.o: src/%.c $(wildcard src/*.h) | build
	$(CC) $(CFLAGS) -c -o $@ $<

build:
	mkdir -p build/tests

cgi-bin/follow.fcgi: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

cgi-bin/null.fcgi: src/null_main.c
	$(CC) $(CFLAGS) -o $@ $< -lfcgi

build/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard src/*.h) | build
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIB_OBJS) $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@./scripts/run.sh "$(PORT)" "$(CONF)" "$(PROCS)"

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

test: deps
	@$(MAKE) --no-print-directory all unit
	@./tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@./scripts/bench.sh

clean:
	rm -rf build cgi-bin/follow.fcgi cgi-bin/null.fcgi run
