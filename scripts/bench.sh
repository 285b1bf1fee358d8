#!/bin/bash
# make bench: requests/s of follow_check and follow_add under wrk beside a FastCGI responder that
# parses nothing, all served by one lighttpd in one run, and each one's ratio to that baseline.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dur=${BENCH_SECONDS:-10}
conns=${BENCH_CONNS:-16}
procs=${BENCH_PROCS:-2}
accounts=1000
tmp=$(mktemp -d /tmp/follow-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
	for p in ${pid:-} ${cgipid:-}; do kill -TERM -- -"$p" 2>/dev/null; done
	wait 2>/dev/null
	# CGI processes still starting would log that the data they were given is gone.
	for _ in $(seq 50); do
		alive=0
		for p in ${pid:-} ${cgipid:-}; do kill -0 -- -"$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

sed -e "s|^data_dir = .*|data_dir = $tmp/data|" "$root/conf/follow.conf" > "$tmp/follow.conf"
chmod 600 "$tmp/follow.conf"
"$root/scripts/lighttpd-conf.sh" "$root" "$tmp" "$port" "$tmp/follow.conf" "$procs" > "$tmp/lighttpd.conf"
setsid lighttpd -D -f "$tmp/lighttpd.conf" & pid=$!
base="http://127.0.0.1:$port"
sig=$("$root/cgi-bin/follow-usersig" -c "$tmp/follow.conf" administrator 86400)
q="sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
for _ in $(seq 50); do curl -s -o /dev/null "$base/null/" && break; sleep 0.1; done

for ((i = 0; i < accounts; i += 100)); do
	list=$(seq -s, -f '"b%.0f"' "$i" $((i + 99)))
	curl -sf -o /dev/null "$base/v4/im_open_login_svc/multiaccount_import?$q" -d "{\"Accounts\":[$list]}"
done
curl -sf -o /dev/null "$base/v4/follow/follow_add?$q" -d '{"From_Account":"b1","FollowItem":[{"To_Account":"b2"}]}'

run() { # name, path, extra env: prints requests/s
	env "${@:3}" wrk -t2 -c"$conns" -d"${dur}s" -s "$root/scripts/bench/post.lua" "$base$2" \
		| awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx:", $0 > "/dev/stderr"}'
}
null=$(run null "/null/" BODY='{}')
check=$(run check "/v4/follow/follow_check?$q" BODY='{"From_Account":"b1","To_Account":["b2","b3"]}')
add=$(run add "/v4/follow/follow_add?$q" ADD_ACCOUNTS=$accounts)
fans=${BENCH_FANS:-100000}
echo "bench: giving one account $fans fans..." >&2
deep=$(python3 "$root/scripts/bench/populate.py" "$base" "$q" star "$fans")
page1=$(run page1 "/v4/follow/follow_get?$q" BODY='{"From_Account":"star","FollowType":1,"StartCursor":"","WantNum":100}')
pagen=$(run pagen "/v4/follow/follow_get?$q" BODY="{\"From_Account\":\"star\",\"FollowType\":1,\"StartCursor\":\"$deep\",\"WantNum\":100}")
# Plain CGI: a second lighttpd serving the same data through the shipped mod_cgi recipe, beside
# the same trivial program started as CGI.
cgiport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/cgi/www"
{
	printf 'server.document-root = "%s"\nserver.bind = "127.0.0.1"\nserver.port = %s\n' "$tmp/cgi/www" "$cgiport"
	printf 'server.errorlog = "%s"\nserver.pid-file = "%s"\n' "$tmp/cgi/error.log" "$tmp/cgi/lighttpd.pid"
	sed -e "s|@FCGI@|$root/cgi-bin/follow.fcgi|" -e "s|@CONF@|$tmp/follow.conf|" "$root/conf/hosting/lighttpd-cgi.conf"
	printf 'alias.url += ( "/null" => "%s" )\n$HTTP["url"] =~ "^/null" { cgi.assign = ( "" => "" ) }\n' "$root/cgi-bin/null.fcgi"
} > "$tmp/cgi/lighttpd.conf"
setsid lighttpd -D -f "$tmp/cgi/lighttpd.conf" & cgipid=$!
cgibase="http://127.0.0.1:$cgiport"
for _ in $(seq 50); do curl -s -o /dev/null "$cgibase/null/" && break; sleep 0.1; done
cginull=$(base=$cgibase run cginull "/null/" BODY='{}')
cgicheck=$(base=$cgibase run cgicheck "/v4/follow/follow_check?$q" BODY='{"From_Account":"b1","To_Account":["b2","b3"]}')

info=$(curl -s "$base/v4/follow/follow_check?$q" -d '{"From_Account":"b1","To_Account":["b2","b3"]}')
case "$info" in *'"FollowType":2'*) ;; *) echo "bench: follow_check answered wrongly: $info" >&2; exit 1;; esac

printf '%-34s %12s %8s\n' "endpoint ($procs FastCGI procs, $conns conns, ${dur}s)" "requests/s" "ratio"
printf '%-34s %12.0f %8s\n' "trivial FastCGI responder" "$null" "1.00"
printf '%-34s %12.0f %8.2f\n' "follow_check (2 targets)" "$check" "$(awk "BEGIN{print $check / $null}")"
printf '%-34s %12.0f %8.2f\n' "follow_add (1 target, random)" "$add" "$(awk "BEGIN{print $add / $null}")"
printf '%-34s %12.0f %8.2f\n' "follow_get 100 w/ profiles, top" "$page1" "$(awk "BEGIN{print $page1 / $null}")"
printf '%-34s %12.0f %8.2f\n' "follow_get 100 w/ profiles, $((fans - 1000)) down" "$pagen" "$(awk "BEGIN{print $pagen / $null}")"
printf '%-34s %12s %8.2f\n' "deep page / first page" "" "$(awk "BEGIN{print $pagen / $page1}")"
printf '%-34s %12s %8s\n' "plain CGI (lighttpd mod_cgi, $conns conns)" "" ""
printf '%-34s %12.0f %8s\n' "trivial CGI program" "$cginull" "1.00"
printf '%-34s %12.0f %8.2f\n' "follow_check (2 targets) as CGI" "$cgicheck" "$(awk "BEGIN{print $cgicheck / $cginull}")"
