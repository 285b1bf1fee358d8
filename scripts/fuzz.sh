#!/bin/sh
# Builds the libFuzzer harness (tests/fuzz/fuzz_request.c) with clang, ASan and UBSan, and runs it
# for SECONDS (default 60). Everything it makes is under build/fuzz/: objects, the binary, the
# working corpus (seeded from tests/fuzz/corpus), the log and any crash-/leak-/timeout-/oom-
# reproducer. Exits non-zero when the fuzzer found something.
#   usage: scripts/fuzz.sh [SECONDS]
set -e
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-60}
case "$SECONDS_TO_RUN" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

OUT=build/fuzz
FUZZ_CC=${FUZZ_CC:-clang}
FLAGS="-std=c11 -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The libraries src/ needs, plus whatever the Makefile's LDLIBS has gained since (e.g. -lcurl).
LIBS="-ljson-c -ldb-5.3 -lnettle -lz"
for l in $(printf 'fuzz-print-ldlibs:\n\t@echo $(LDLIBS)\n' |
	make -s --no-print-directory -f Makefile -f - fuzz-print-ldlibs 2>/dev/null); do
	case " $LIBS " in *" $l "*) ;; *) LIBS="$LIBS $l" ;; esac
done

mkdir -p "$OUT/obj" "$OUT/corpus"

# Every layer of src/ but the FastCGI loop (src/http/) and the programs' main()s (src/bin/).
srcs=""
for c in src/*/*.c; do
	case "$c" in src/http/* | src/bin/*) continue ;; esac
	srcs="$srcs $c"
done

# Rebuild an object when its source, any header or this script is newer.
newest_dep=scripts/fuzz.sh
for h in src/*/*.h; do
	[ "$h" -nt "$newest_dep" ] && newest_dep=$h
done
objs=""
for c in $srcs tests/fuzz/fuzz_request.c; do
	o="$OUT/obj/$(echo "${c%.c}" | tr / _).o"
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_dep" -nt "$o" ]; then
		echo "fuzz: cc $c"
		# shellcheck disable=SC2086
		$FUZZ_CC $FLAGS -Isrc -c -o "$o" "$c"
	fi
	objs="$objs $o"
done
echo "fuzz: link $OUT/fuzz_request"
# shellcheck disable=SC2086
$FUZZ_CC $FLAGS -o "$OUT/fuzz_request" $objs $LIBS

cp tests/fuzz/corpus/* "$OUT/corpus/"

# The harness's store lives in a temporary folder; a crashed run cannot remove its own.
export TMPDIR="$PWD/$OUT/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

marker="$OUT/.run-start"
touch "$marker"
rcfile="$OUT/.rc"
rm -f "$rcfile"
echo "fuzz: running for $SECONDS_TO_RUN s; log in $OUT/fuzz.log"
# libFuzzer adds new inputs to the first corpus folder only: the working one comes first.
{
	set +e
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$OUT/fuzz_request" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$OUT/" \
		"$OUT/corpus" tests/fuzz/corpus 2>&1
	echo $? >"$rcfile"
} | tee "$OUT/fuzz.log"
rc=$(cat "$rcfile")

found=""
for f in "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*; do
	[ -f "$f" ] && [ "$f" -nt "$marker" ] && found="$found $f"
done
rm -f "$marker" "$rcfile"
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
	echo "fuzz: FAILED (exit $rc)${found:+; reproducer(s):$found}" >&2
	echo "fuzz: replay with: $OUT/fuzz_request <file>" >&2
	exit 1
fi
echo "fuzz: no findings"
