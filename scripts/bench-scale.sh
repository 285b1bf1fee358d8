#!/bin/bash
# make bench-scale: the service at millions of edges. Each figure is printed beside its target
# (issue 11), from data made by scripts/bench/graphgen.c:
#   1. import of 1M accounts + 1M edges (one star with 1M fans) into an empty store (the bulk
#      build) and into one that is not (transactions, as into a live service); export and verify;
#   2. a walk of the star's 1M fans through follow_get at WantNum 1000, and the page at position
#      999,000 against the first;
#   3. import of 10M edges across 1M accounts (power-law fan counts, the same star), then p50/p99
#      latency of check, get_info, add and get(100) at both caches, disk bytes per edge, and the
#      private memory of each worker.
# Everything binds to 127.0.0.1 on a free port and is removed at the end.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
accounts=${SCALE_ACCOUNTS:-1000001} # u0000000 (the star) and its 1,000,000 fans
edges=${SCALE_EDGES:-10000000}
fans=$((accounts - 1))
big_mb=${SCALE_CACHE_MB:-2048}      # holds the 10M-edge working set (README: sizing cache_mb)
default_mb=$(sed -n 's/^#define STORE_CACHE_MB_DEFAULT \([0-9]*\).*/\1/p' "$root/src/store/store.h")
lat_seconds=${SCALE_LATENCY_SECONDS:-5}
procs=2
gen=$root/build/bench/graphgen
ctl=$root/cgi-bin/followctl
tmp=$(mktemp -d /tmp/follow-scale.XXXXXX)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { echo "bench-scale: $*" >&2; }
stop_server() {
	[ -n "${pid:-}" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 -- -"$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- -"$pid" 2>/dev/null || true
	pid=
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT

# conf NAME CACHE_MB: a config of its own data folder
conf() {
	mkdir -p "$tmp/$1"
	sed -e "s|^data_dir = .*|data_dir = $tmp/$1/data|" "$root/conf/follow.conf" > "$tmp/$1/follow.conf"
	echo "cache_mb = $2" >> "$tmp/$1/follow.conf"
	chmod 600 "$tmp/$1/follow.conf"
}
set_cache() { sed -i "s/^cache_mb = .*/cache_mb = $2/" "$tmp/$1/follow.conf"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {printf "%.0f\n", n / (b - a)}'; }

# import NAME ACCOUNTS EDGES STAR_FANS: prints lines/s (the stream is made on the fly: the
# generator costs a few percent of one core, on the other one)
import() {
	local t0 t1 lines=$(($2 + $3))
	t0=$(now)
	"$gen" "$2" "$3" "$4" | "$ctl" -c "$tmp/$1/follow.conf" import >&2
	t1=$(now)
	rate "$lines" "$t0" "$t1"
}

start_server() { # NAME
	port=$(freeport)
	"$root/scripts/lighttpd-conf.sh" "$root" "$tmp/$1/run" "$port" "$tmp/$1/follow.conf" "$procs" \
		> "$tmp/$1/lighttpd.conf"
	setsid lighttpd -D -f "$tmp/$1/lighttpd.conf" & pid=$!
	base="http://127.0.0.1:$port"
	sig=$("$root/cgi-bin/follow-usersig" -c "$tmp/$1/follow.conf" administrator 86400)
	q="sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
	for _ in $(seq 100); do curl -s -o /dev/null "$base/null/" && return 0; sleep 0.1; done
	echo "bench-scale: lighttpd did not start" >&2
	exit 1
}

results=()
row() { results+=("$(printf '%-52s %14s %14s' "$1" "$2" "${3:-}")"); }

# ---- 1. 1M accounts + 1M edges ----
say "import of $accounts accounts and $fans edges into a store that is not empty (transactions)..."
conf merge "$default_mb"
echo '{"account":"seed"}' | "$ctl" -q -c "$tmp/merge/follow.conf" import 2> /dev/null
merge_rate=$(import merge "$accounts" "$fans" "$fans")
rm -rf "$tmp/merge"
say "the same into an empty store (the bulk build)..."
conf small "$default_mb"
small_rate=$(import small "$accounts" "$fans" "$fans")
row "import into an empty store, 1M + 1M (lines/s)" "$small_rate" ">= 150000"
row "import merging into a store in use, 1M + 1M (lines/s)" "$merge_rate"

say "export..."
t0=$(now)
lines=$("$ctl" -c "$tmp/small/follow.conf" export | wc -l)
t1=$(now)
row "export (lines/s)" "$(rate "$lines" "$t0" "$t1")" ">= 500000"
say "verify..."
t0=$(now)
"$ctl" -c "$tmp/small/follow.conf" verify > "$tmp/verify.out"
t1=$(now)
grep -q '^violations: 0$' "$tmp/verify.out" || { cat "$tmp/verify.out" >&2; exit 1; }
row "verify (edges/s)" "$(rate "$fans" "$t0" "$t1")" ">= 1000000"

# ---- 2. the walk ----
say "walking the star's $fans fans..."
start_server small
read -r items secs ips first deep ratio < <(python3 "$root/scripts/bench/walk.py" "$base" "$q" u0000000 $((fans - 1000)))
[ "$items" = "$fans" ] || { echo "bench-scale: the walk saw $items fans, not $fans" >&2; exit 1; }
row "walk of 1M fans, WantNum 1000 (items/s)" "$ips" ">= 300000"
row "page at $((fans - 1000)) / first page (${deep} / ${first} ms)" "$ratio" "<= 1.2"
stop_server
rm -rf "$tmp/small"

# ---- 3. 10M edges ----
say "import of $accounts accounts and $edges edges at cache_mb $big_mb..."
conf large "$big_mb"
large_rate=$(import large "$accounts" "$edges" "$fans")
row "import, 1M accounts + 10M edges, cache $big_mb MB (lines/s)" "$large_rate" ">= 150000"
dbbytes=$(cat "$tmp"/large/data/*.db | wc -c)
logbytes=$(cat "$tmp"/large/data/log.* | wc -c)
row "disk: tables (bytes per edge)" "$((dbbytes / edges))"
row "disk: log kept (bytes, all)" "$logbytes"

latency() { # NAME LABEL: p50/p99 of each call, one connection per worker
	local label=$2 api lua
	# Warm-up, not measured: the first calls after a start open the environment (and after a
	# cache_mb change remake its regions) and fill the cache.
	API=check ACCOUNTS=$accounts QUERY=$q wrk -t1 -c$procs -d"${lat_seconds}s" \
		-s "$root/scripts/bench/scale.lua" "$base/" > /dev/null
	for api in check info add get; do
		lua=$(API=$api ACCOUNTS=$accounts QUERY=$q wrk -t1 -c$procs -d"${lat_seconds}s" --latency \
			-s "$root/scripts/bench/scale.lua" "$base/" | awk '
			/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} /^scale-errors/ {err = $2}
			END {print p50, p99, err}')
		read -r p50 p99 err <<< "$lua"
		[ "$err" = 0 ] || { echo "bench-scale: $api: $err answers were not OK" >&2; exit 1; }
		row "$api latency p50 / p99, cache $label MB" "$p50 / $p99"
	done
}
for mb in "$big_mb" "$default_mb"; do
	set_cache large "$mb"
	say "latencies at cache_mb $mb..."
	start_server large
	latency large "$mb"
	for w in $(pgrep -f "^$root/cgi-bin/follow.fcgi" || true); do
		# this run's processes only (another service may be running from the same tree)
		tr '\0' '\n' < "/proc/$w/environ" 2> /dev/null | grep -qx "FOLLOW_CONF=$tmp/large/follow.conf" ||
			continue
		# Private memory of the process itself: the cache is shared (mapped region files).
		priv=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {shared = ($6 ~ /__db\./)}
			/^Private_(Clean|Dirty):/ && !shared {kb += $2} END {print kb}' "/proc/$w/smaps")
		role=worker
		tr '\0' '\n' < "/proc/$w/environ" | grep -qx FOLLOW_ROLE=dispatcher && role=dispatcher
		row "private memory of a $role, cache $mb MB (kB)" "$priv"
	done
	stop_server
done

echo
printf '%-52s %14s %14s\n' "bench-scale ($accounts accounts)" "figure" "target"
printf '%s\n' "${results[@]}"
