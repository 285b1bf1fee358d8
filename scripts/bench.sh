#!/bin/bash
# make bench: requests/s of each API under wrk beside a FastCGI responder that parses nothing, all
# served by one lighttpd in one run, as ratios to that baseline (issue targets beside them), at
# 1, 8, 32 and 128 connections, with a plot; then plain CGI beside a trivial CGI program; then
# a replicated group beside a single site (scripts/bench-repl.sh).
# A follow_get page is compared with the trivial answer padded to the page's own size.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dur=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-5}  # the table's column: this many interleaved rounds, medians reported
rdur=${BENCH_ROUND_SECONDS:-3}
procs=${BENCH_PROCS:-2}
sweep=${BENCH_CONNS_LIST:-1 8 32 128}
main=${BENCH_CONNS:-32}   # the table's column (it must be one of the sweep's)
cgiconns=${BENCH_CGI_CONNS:-16}
fans=${BENCH_FANS:-100000}
bare=2000                 # fans without profiles: pages read only the index
accounts=1000
out=$root/build/bench
tmp=$(mktemp -d /tmp/follow-bench.XXXXXX)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
cleanup() {
	# lighttpd stops what it started (multiwatch passes its stop signal on). A TERM to the
	# whole group instead raced multiwatch: a worker killed before multiwatch saw its own TERM
	# was respawned, and the new ones outlived the bench.
	for p in ${pid:-} ${cgipid:-}; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# CGI processes still starting would log that the data they were given is gone.
	for _ in $(seq 50); do
		alive=0
		for p in ${pid:-} ${cgipid:-}; do kill -0 -- -"$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in ${pid:-} ${cgipid:-}; do kill -KILL -- -"$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$out"
case " $sweep " in *" $main "*) ;; *) echo "bench: BENCH_CONNS=$main is not in BENCH_CONNS_LIST" >&2; exit 2;; esac

sed -e "s|^data_dir = .*|data_dir = $tmp/data|" "$root/conf/follow.conf" > "$tmp/follow.conf"
chmod 600 "$tmp/follow.conf"
"$root/scripts/lighttpd-conf.sh" "$root" "$tmp" "$port" "$tmp/follow.conf" "$procs" > "$tmp/lighttpd.conf"
setsid lighttpd -D -f "$tmp/lighttpd.conf" & pid=$!
base="http://127.0.0.1:$port"
sig=$("$root/cgi-bin/follow-usersig" -c "$tmp/follow.conf" administrator 86400)
q="sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
for _ in $(seq 50); do curl -s -o /dev/null "$base/null/" && break; sleep 0.1; done

echo "bench: importing $accounts accounts, giving 'plain' $bare fans and 'star' $fans fans with profiles..." >&2
for ((i = 0; i < accounts; i += 100)); do
	list=$(seq -s, -f '"b%.0f"' "$i" $((i + 99)))
	curl -sf -o /dev/null "$base/v4/im_open_login_svc/multiaccount_import?$q" -d "{\"Accounts\":[$list]}"
done
curl -sf -o /dev/null "$base/v4/follow/follow_add?$q" -d '{"From_Account":"b1","FollowItem":[{"To_Account":"b2"}]}'
python3 "$root/scripts/bench/populate.py" "$base" "$q" plain "$bare" --bare > /dev/null
deep=$(python3 "$root/scripts/bench/populate.py" "$base" "$q" star "$fans")

check_body='{"From_Account":"b1","To_Account":["b2","b3"]}'
page() { printf '{"From_Account":"%s","FollowType":1,"StartCursor":"%s","WantNum":100}' "$1" "${2:-}"; }
size() { curl -sf "$base/v4/follow/follow_get?$q" -d "$1" | wc -c; }
plain_size=$(size "$(page plain)")
star_size=$(size "$(page star)")

run() { # conns path extra-env...: prints requests/s
	local c=$1 t=2
	[ "$c" -lt 2 ] && t=1
	env "${@:3}" wrk -t$t -c"$c" -d"${dur}s" -s "$root/scripts/bench/post.lua" "$base$2" \
		| awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx:", $0 > "/dev/stderr"}'
}
# name | path | wrk script environment
endpoints=(
	"null|/null/|BODY={}"
	"check|/v4/follow/follow_check?$q|BODY=$check_body"
	"info|/v4/follow/follow_get_info?$q|BODY=$check_body"
	"add|/v4/follow/follow_add?$q|ADD_ACCOUNTS=$accounts"
	"null_plain|/null/?pad=$plain_size|BODY={}"
	"get_plain|/v4/follow/follow_get?$q|BODY=$(page plain)"
	"null_star|/null/?pad=$star_size|BODY={}"
	"get_star|/v4/follow/follow_get?$q|BODY=$(page star)"
)
# The plot's other columns: one run of each endpoint.
declare -A rps
for c in $sweep; do
	[ "$c" = "$main" ] && continue
	echo "bench: $c connections..." >&2
	for e in "${endpoints[@]}"; do
		IFS='|' read -r name path envs <<< "$e"
		rps[$name,$c]=$(run "$c" "$path" "$envs")
	done
done
# The table's column: the machine's speed drifts by a third within minutes (other tenants), so
# one run of each endpoint compared an endpoint with a baseline measured under other weather.
# Instead every endpoint runs once per round, each round's ratios are to that round's own
# baseline, and the table reports the median round (the range beside it).
declare -A per
for ((r = 1; r <= rounds; r++)); do
	echo "bench: $main connections, round $r of $rounds..." >&2
	for e in "${endpoints[@]}" "deep|/v4/follow/follow_get?$q|BODY=$(page star "$deep")"; do
		IFS='|' read -r name path envs <<< "$e"
		per[$name]+="$(dur=$rdur run "$main" "$path" "$envs") "
	done
done

info=$(curl -s "$base/v4/follow/follow_check?$q" -d "$check_body")
# b1 follows b2 (2), and the random adds of the add runs may have made b2 follow b1 too (3).
case "$info" in *'"To_Account":"b2","ResultCode":0,"ResultInfo":"","FollowType":'[23]'}'*) ;;
*) echo "bench: follow_check answered wrongly: $info" >&2; exit 1;; esac

# Plain CGI: a second lighttpd serving the same data through the shipped mod_cgi recipe, beside
# the same trivial program started as CGI.
cgiport=$(freeport)
mkdir -p "$tmp/cgi/www"
{
	printf 'server.document-root = "%s"\nserver.bind = "127.0.0.1"\nserver.port = %s\n' "$tmp/cgi/www" "$cgiport"
	printf 'server.errorlog = "%s"\nserver.pid-file = "%s"\n' "$tmp/cgi/error.log" "$tmp/cgi/lighttpd.pid"
	sed -e "s|@FCGI@|$root/cgi-bin/follow.fcgi|" -e "s|@CONF@|$tmp/follow.conf|" "$root/conf/hosting/lighttpd-cgi.conf"
	printf 'alias.url += ( "/null" => "%s" )\n$HTTP["url"] =~ "^/null" { cgi.assign = ( "" => "" ) }\n' "$root/cgi-bin/null.fcgi"
} > "$tmp/cgi/lighttpd.conf"
setsid lighttpd -D -f "$tmp/cgi/lighttpd.conf" & cgipid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$cgiport/null/" && break; sleep 0.1; done
for ((r = 1; r <= rounds; r++)); do
	echo "bench: plain CGI, round $r of $rounds..." >&2
	per[cginull]+="$(base=http://127.0.0.1:$cgiport dur=$rdur run "$cgiconns" "/null/" BODY='{}') "
	per[cgicheck]+="$(base=http://127.0.0.1:$cgiport dur=$rdur run "$cgiconns" "/v4/follow/follow_check?$q" BODY="$check_body") "
done

. "$root/scripts/bench/rows.sh"
for e in "${endpoints[@]}"; do
	name=${e%%|*}
	rps[$name,$main]=$(median ${per[$name]})
done
printf '%-44s %10s %7s %7s\n' "endpoint ($procs FastCGI procs, $main conns)" "requests/s" "ratio" "target"
printf '%-44s\n' "(medians of $rounds rounds of ${rdur}s; each round's ratio to its own baseline)"
mrow "trivial FastCGI responder" "${per[null]}" "${per[null]}"
mrow "follow_check, 2 targets" "${per[check]}" "${per[null]}" 0.85
mrow "follow_get_info, 2 targets" "${per[info]}" "${per[null]}" 0.85
mrow "follow_add, 1 random target" "${per[add]}" "${per[null]}" 0.7
mrow "trivial, padded to $plain_size bytes" "${per[null_plain]}" "${per[null_plain]}"
mrow "follow_get, 100 fans, no profiles" "${per[get_plain]}" "${per[null_plain]}" 0.6
mrow "trivial, padded to $star_size bytes" "${per[null_star]}" "${per[null_star]}"
mrow "follow_get, 100 fans with profiles" "${per[get_star]}" "${per[null_star]}" 0.5
mrow "  the same, $((fans - 1000)) fans down" "${per[deep]}" "${per[null_star]}"
mrow "  deep page / first page" "${per[deep]}" "${per[get_star]}"
printf '%-44s\n' "plain CGI (lighttpd mod_cgi, $cgiconns conns)"
mrow "trivial CGI program" "${per[cginull]}" "${per[cginull]}"
mrow "follow_check, 2 targets, as plain CGI" "${per[cgicheck]}" "${per[cginull]}" 0.5

# Requests/s against connections, one line per endpoint.
dat=$out/throughput.dat
{
	printf 'conns'
	for e in "${endpoints[@]}"; do printf ' %s' "${e%%|*}"; done
	printf '\n'
	for c in $sweep; do
		printf '%s' "$c"
		for e in "${endpoints[@]}"; do printf ' %s' "${rps[${e%%|*},$c]}"; done
		printf '\n'
	done
} > "$dat"
echo
echo "requests/s by connections (also $dat):"
column -t "$dat"
gnuplot <<PLOT
set terminal svg size 900,560 dynamic font "sans,12"
set output "$out/throughput.svg"
set title "follow service beside a trivial FastCGI responder ($procs processes each, lighttpd; ${dur}s per point, at $main the median of $rounds rounds)"
set xlabel "connections"
set ylabel "requests/s"
set logscale x 2
set xtics (1, 8, 32, 128)
set key outside right
set grid
plot for [i=2:$((${#endpoints[@]} + 1))] "$dat" using 1:i with linespoints title columnhead(i)
PLOT
echo "plot: $out/throughput.svg"
echo
"$root/scripts/bench-repl.sh"
