#!/bin/bash
# The replicated part of make bench: follow_add with repl_ack = quorum across three loopback
# sites, through the master and through a replica (which passes it to the master), as ratios to
# one single site in the same run; and replica lag (p50, p99) under add load on the master.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dur=${BENCH_SECONDS:-5}
procs=${BENCH_PROCS:-2}
conns=${BENCH_CONNS:-32}
lagn=${BENCH_LAG_SAMPLES:-300}
accounts=1000
tmp=$(mktemp -d /tmp/follow-bench-repl.XXXXXX)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for p in $pids; do kill -KILL -- -"$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# site NAME PORT [repl keys...]: a config and a lighttpd for one site.
site() {
	local name=$1 port=$2 dir=$tmp/$1
	mkdir -p "$dir"
	{ sed -e "s|^data_dir = .*|data_dir = $dir/data|" "$root/conf/follow.conf"; printf '%s\n' "${@:3}"; } > "$dir/follow.conf"
	chmod 600 "$dir/follow.conf"
	"$root/scripts/lighttpd-conf.sh" "$root" "$dir" "$port" "$dir/follow.conf" "$procs" > "$dir/lighttpd.conf"
	setsid lighttpd -D -f "$dir/lighttpd.conf" & pids="$pids $!"
}
single=$(freeport)
site single "$single"
http=() repl=() group=
for i in 0 1 2; do
	http[$i]=$(freeport) repl[$i]=$(freeport)
	group="$group${group:+, }127.0.0.1:${repl[$i]}=http://127.0.0.1:${http[$i]}"
done
for i in 0 1 2; do
	site "s$i" "${http[$i]}" "repl_self = 127.0.0.1:${repl[$i]}" "repl_sites = $group"
done
sig=$("$root/cgi-bin/follow-usersig" -c "$tmp/single/follow.conf" administrator 86400)
q="sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
imp() { # port first last: imports b<first>..b<last> (at most 100), until it is acknowledged
	local list
	list=$(seq -s, -f '{"UserID":"b%.0f"}' "$2" "$3")
	for _ in $(seq 300); do
		curl -sf "http://127.0.0.1:$1/v4/im_open_login_svc/multiaccount_import?$q" \
			-d "{\"AccountList\":[$list]}" 2>/dev/null | grep -q '"ErrorCode":0,' && return 0
		sleep 0.1 # the group may still be electing its master and letting every site in
	done
	echo "bench-repl: the site on port $1 takes no import" >&2
	exit 1
}
for p in "$single" "${http[0]}"; do
	for ((i = 0; i < accounts; i += 100)); do imp "$p" "$i" $((i + 99)); done
done
master= replica=
for i in 0 1 2; do
	role=$("$root/cgi-bin/followctl" -q -c "$tmp/s$i/follow.conf" stats | sed -n 's/^repl_role: //p')
	if [ "$role" = master ]; then master=$i; elif [ -z "$replica" ]; then replica=$i; fi
done
[ -n "$master" ] && [ -n "$replica" ] || { echo "bench-repl: the group has no master" >&2; exit 1; }

add() { # port: requests/s of OK answers
	local out rps errs
	out=$(BENCH_LUA_DIR=$root/scripts/bench ADD_ACCOUNTS=$accounts wrk -t2 -c"$conns" -d"${dur}s" \
		-s "$root/scripts/bench/addcheck.lua" "http://127.0.0.1:$1/v4/follow/follow_add?$q")
	rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
	errs=$(awk '/^add-errors/ {print $2}' <<< "$out")
	local total; total=$(awk '/requests in/ {print $1}' <<< "$out")
	awk "BEGIN{printf \"%.0f\", $rps * ($total - $errs) / $total}"
	[ "$errs" = 0 ] || echo "bench-repl: $errs of $total adds on port $1 failed" >&2
}
echo "bench: replication: follow_add on one site, then through the master and a replica..." >&2
one=$(add "$single")
through_master=$(add "${http[$master]}")
through_replica=$(add "${http[$replica]}")
echo "bench: replication: replica lag under add load ($lagn samples)..." >&2
BENCH_LUA_DIR=$root/scripts/bench ADD_ACCOUNTS=$accounts wrk -t2 -c"$conns" -d600s \
	-s "$root/scripts/bench/addcheck.lua" "http://127.0.0.1:${http[$master]}/v4/follow/follow_add?$q" \
	> /dev/null & load=$!
read -r p50 p99 got < <(python3 "$root/scripts/bench/lag.py" "http://127.0.0.1:${http[$master]}" \
	"http://127.0.0.1:${http[$replica]}" "$q" "$lagn")
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true

. "$root/scripts/bench/rows.sh"
printf '%-44s\n' "replication (3 loopback sites, repl_ack = quorum, $conns conns)"
row "follow_add, one single site" "$one" "$one"
row "follow_add through the master" "$through_master" "$one" 0.5
row "follow_add through a replica (forwarded)" "$through_replica" "$one" 0.4
printf '%-44s %10s\n' "replica lag under add load, p50 / p99" "$p50 / $p99 ms ($got samples)"
