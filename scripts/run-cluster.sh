#!/bin/sh
# Serves a three-site replicated group on loopback through three lighttpd servers, in the
# foreground until Ctrl-C or SIGTERM: HTTP on PORT, PORT+1, PORT+2, replication on PORT+1000,
# PORT+1001, PORT+1002; each site's config and data under run/cluster-PORT/siteN/ (or
# $CLUSTER_DIR/siteN/).
# usage: run-cluster.sh PORT CONF PROCS   (CONF gives the keys every site shares)
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
port=$1 base=$2 procs=$3
case $port in '' | *[!0-9]*) echo "run-cluster.sh: PORT=$port is not a number" >&2; exit 2 ;; esac
if [ "$port" -lt 1 ] || [ "$((port + 1002))" -gt 65535 ]; then
	echo "run-cluster.sh: PORT=$port leaves no room for PORT+2 and the replication ports (PORT+1000..PORT+1002)" >&2
	exit 2
fi
top=${CLUSTER_DIR:-$root/run/cluster-$port}
sites=
for i in 0 1 2; do
	sites="$sites${sites:+, }127.0.0.1:$((port + 1000 + i))=http://127.0.0.1:$((port + i))"
done
pids=
# Each lighttpd runs in a process group of its own, so Ctrl-C (SIGINT to the terminal's group)
# reaches only this script, which stops each lighttpd, which stops what it started. A signal to
# every process at once raced multiwatch: a worker dying of it before multiwatch saw its own was
# replaced, and the new ones outlived everything. Whatever is left after that gets TERM, then KILL.
stop() {
	trap - INT TERM EXIT
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for sig in TERM KILL; do
		left=
		for p in $pids; do kill -0 -- -"$p" 2>/dev/null && left=1 && kill -"$sig" -- -"$p" 2>/dev/null; done
		[ -z "$left" ] && break
		sleep 2
	done
	exit 0
}
trap stop INT TERM EXIT
for i in 0 1 2; do
	dir=$top/site$i
	mkdir -p "$dir"
	# The shared keys, then this site's own: its data, its address, the group.
	grep -v '^[[:space:]]*\(data_dir\|repl_[a-z_]*\)[[:space:]]*=' "$base" > "$dir/follow.conf.tmp"
	cat >> "$dir/follow.conf.tmp" <<CONF
data_dir = $dir/data
repl_self = 127.0.0.1:$((port + 1000 + i))
repl_sites = $sites
CONF
	mv "$dir/follow.conf.tmp" "$dir/follow.conf"
	chmod 600 "$dir/follow.conf"
	"$root/cgi-bin/follow.fcgi" --check-config "$dir/follow.conf"
	"$root/scripts/lighttpd-conf.sh" "$root" "$dir" "$((port + i))" "$dir/follow.conf" "$procs" \
		> "$dir/lighttpd.conf"
	setsid lighttpd -D -f "$dir/lighttpd.conf" &
	pids="$pids $!"
	echo "site $i: http://127.0.0.1:$((port + i))/v4/ (config $dir/follow.conf, log $dir/error.log)"
done
echo "three sites of one group; any site takes any call; Ctrl-C stops them all"
wait
