#!/bin/bash
# make soak: SOAK_SECONDS (default 600) of mixed load through lighttpd; prints the FastCGI
# processes' RSS at the start and every minute, and fails on any answer that is not OK.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${SOAK_SECONDS:-600}
tmp=$(mktemp -d /tmp/follow-soak.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# lighttpd stops what it started; a TERM to its whole group let multiwatch respawn workers first
# killed (see bench.sh). Whatever is left after a few seconds is killed.
cleanup() {
	if [ -n "${pid:-}" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait 2>/dev/null || true
		for _ in $(seq 50); do kill -0 -- -"$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- -"$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
sed -e "s|^data_dir = .*|data_dir = $tmp/data|" "$root/conf/follow.conf" > "$tmp/follow.conf"
chmod 600 "$tmp/follow.conf"
"$root/scripts/lighttpd-conf.sh" "$root" "$tmp" "$port" "$tmp/follow.conf" 2 > "$tmp/lighttpd.conf"
setsid lighttpd -D -f "$tmp/lighttpd.conf" & pid=$!
base="http://127.0.0.1:$port"
sig=$("$root/cgi-bin/follow-usersig" -c "$tmp/follow.conf" administrator 86400)
q="sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
for _ in $(seq 50); do curl -s -o /dev/null "$base/null/" && break; sleep 0.1; done
for ((i = 0; i < 1000; i += 100)); do
	list=$(seq -s, -f '"b%.0f"' "$i" $((i + 99)))
	curl -sf -o /dev/null "$base/v4/im_open_login_svc/multiaccount_import?$q" -d "{\"Accounts\":[$list]}"
done
rss() { # the FastCGI processes' total RSS, and its private part (RssAnon), in KiB: RSS also
	# counts Berkeley DB's mapped cache as the processes touch it, which grows up to the cache
	# size and says nothing about leaks; RssAnon is the processes' own heap.
	local p total=0 anon=0
	# The dispatcher is lighttpd's child, the workers multiwatch's.
	for p in $(pgrep -P "$pid" -x follow.fcgi) $(for m in $(pgrep -P "$pid" -x multiwatch); do
		pgrep -P "$m" -x follow.fcgi; done); do
		total=$((total + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status)))
		anon=$((anon + $(awk '/^RssAnon/ {print $2}' /proc/"$p"/status)))
	done
	echo "RSS $total, private $anon"
}
echo "soak: ${secs}s of mixed load; the FastCGI processes' memory (KiB):"
echo "  start: $(rss)"
QUERY="$q" ACCOUNTS=1000 wrk -t2 -c8 -d"${secs}s" -s "$root/scripts/bench/mixed.lua" "$base" > "$tmp/wrk.out" &
wrk_pid=$!
for ((t = 60; t < secs; t += 60)); do
	sleep 60
	echo "  after ${t}s: $(rss)"
done
wait "$wrk_pid"
echo "  end: $(rss)"
grep -E "Requests/sec|requests in|soak-errors|Non-2xx" "$tmp/wrk.out" | sed 's/^/  /'
errors=$(awk '/soak-errors/ {print $2}' "$tmp/wrk.out")
[ "${errors:-1}" = 0 ] || { echo "soak: $errors answers were not OK"; exit 1; }
echo "soak: no errors"
