#!/bin/sh
# Serves the service through lighttpd in the foreground until Ctrl-C or SIGTERM.
# usage: run.sh PORT CONF PROCS
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
port=$1 procs=$3
conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
rundir=$root/run/$port
# A bad config stops here with its file and line, before lighttpd hides the message in its log.
"$root/cgi-bin/follow.fcgi" --check-config "$conf"
mkdir -p "$rundir"
"$root/scripts/lighttpd-conf.sh" "$root" "$rundir" "$port" "$conf" "$procs" > "$rundir/lighttpd.conf"
echo "follow service on http://127.0.0.1:$port/v4/ (config $conf, log $rundir/error.log); Ctrl-C stops it"
exec lighttpd -D -f "$rundir/lighttpd.conf"
