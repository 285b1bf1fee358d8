#!/bin/sh
# Serves the service through lighttpd in the foreground until Ctrl-C or SIGTERM; with TLS_CERT and
# TLS_KEY in the environment (make run TLS_CERT=... TLS_KEY=...) also over HTTPS on TLS_PORT,
# by default PORT + 363 (8443 beside 8080, the usual pair of unprivileged HTTP and HTTPS ports).
# usage: run.sh PORT CONF PROCS
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
port=$1 procs=$3
die() {
	echo "run.sh: $*" >&2
	exit 2
}
port_ok() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}
readable() {
	if [ ! -f "$2" ] || [ ! -r "$2" ]; then die "$1=$2 is not a readable file"; fi
}
abspath() {
	printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")"
}
# TLS mistakes stop here with a clear message, before lighttpd starts and hides it in its log.
tls=
if [ -n "${TLS_CERT:-}${TLS_KEY:-}${TLS_PORT:-}" ]; then
	if [ -z "${TLS_CERT:-}" ] || [ -z "${TLS_KEY:-}" ]; then
		die "HTTPS needs both TLS_CERT (certificate chain, PEM) and TLS_KEY (its private key, PEM)"
	fi
	readable TLS_CERT "$TLS_CERT"
	readable TLS_KEY "$TLS_KEY"
	port_ok "$port" || die "PORT=$port is not a port number (1-65535)"
	TLS_PORT=${TLS_PORT:-$((port + 363))}
	port_ok "$TLS_PORT" || die "TLS_PORT=$TLS_PORT is not a port number (1-65535)"
	[ "$TLS_PORT" != "$port" ] || die "TLS_PORT must differ from PORT ($port)"
	# lighttpd resolves relative paths from wherever it runs; make them not depend on that.
	TLS_CERT=$(abspath "$TLS_CERT") TLS_KEY=$(abspath "$TLS_KEY")
	export TLS_CERT TLS_KEY TLS_PORT
	tls=" and https://127.0.0.1:$TLS_PORT/v4/"
fi
conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
rundir=$root/run/$port
# A bad config stops here with its file and line, before lighttpd hides the message in its log.
"$root/cgi-bin/follow.fcgi" --check-config "$conf"
mkdir -p "$rundir"
"$root/scripts/lighttpd-conf.sh" "$root" "$rundir" "$port" "$conf" "$procs" > "$rundir/lighttpd.conf"
echo "follow service on http://127.0.0.1:$port/v4/$tls" \
	"(config $conf, log $rundir/error.log); Ctrl-C stops it"
exec lighttpd -D -f "$rundir/lighttpd.conf"
