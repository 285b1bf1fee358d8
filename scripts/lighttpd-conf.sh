#!/bin/sh
# Prints a lighttpd config that serves /v4/ from follow.fcgi (and /null/ from the bench's trivial
# responder), so `make run`, the tests and the benchmark all host the service the same way.
# usage: lighttpd-conf.sh ROOT RUNDIR PORT CONF PROCS
# Environment: FOLLOW_FCGI overrides the responder binary (the sanitizer build); SANITIZER_LOG
# names a folder where its AddressSanitizer/UBSan reports are written; ASAN_EXTRA adds options.
# TLS_CERT, TLS_KEY and TLS_PORT (all three) add HTTPS on TLS_PORT: conf/hosting/lighttpd-tls.conf,
# the recipe shipped to operators, rendered as is so the two cannot drift.
set -e
root=$1 rundir=$2 port=$3 conf=$4 procs=${5:-2}
bind=127.0.0.1
if [ -n "${TLS_CERT:-}${TLS_KEY:-}${TLS_PORT:-}" ] &&
	{ [ -z "${TLS_CERT:-}" ] || [ -z "${TLS_KEY:-}" ] || [ -z "${TLS_PORT:-}" ]; }; then
	echo "lighttpd-conf.sh: HTTPS needs all of TLS_CERT, TLS_KEY and TLS_PORT" >&2
	exit 2
fi
fcgi=${FOLLOW_FCGI:-$root/cgi-bin/follow.fcgi}
multiwatch=$(command -v multiwatch)
# A stop signal follow.fcgi handles, whatever the multiwatch version (see multiwatch-signal.sh).
mwstop=$("$root/scripts/multiwatch-signal.sh")
env="\"FOLLOW_CONF\" => \"$conf\""
if [ -n "${SANITIZER_LOG:-}" ]; then
	env="$env, \"ASAN_OPTIONS\" => \"log_path=$SANITIZER_LOG/asan:detect_leaks=1:fast_unwind_on_malloc=0${ASAN_EXTRA:+:$ASAN_EXTRA}\""
	env="$env, \"UBSAN_OPTIONS\" => \"log_path=$SANITIZER_LOG/ubsan:print_stacktrace=1\""
fi
# A replicated site (repl_self in its config) has one more long-lived process: lighttpd starts
# it, and starts it again if it dies, like the dispatcher.
repl_backend() {
	grep -q '^[[:space:]]*repl_self[[:space:]]*=' "$conf" || return 0
	cat <<REPL
  # Not a web path: the site's replication process (see README, "Several machines").
  "/_replication/" => ((
    "socket" => "$rundir/replication.sock",
    "bin-path" => "$fcgi",
    "bin-environment" => ( $env, "FOLLOW_ROLE" => "replication" ),
    "max-procs" => 1,
    "check-local" => "disable"
  )),
REPL
}
mkdir -p "$rundir/www"
cat <<CONF
server.modules = ( "mod_fastcgi", "mod_alias" )
server.document-root = "$rundir/www"
server.bind = "$bind"
server.port = $port
server.errorlog = "$rundir/error.log"
server.pid-file = "$rundir/lighttpd.pid"
server.max-connections = 1024
# The console (a static page of the repository's console/): any other path is not served.
alias.url = ( "/console/" => "$root/console/" )
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8",
                    ".css" => "text/css; charset=utf-8" )
# Stream bodies to the responder so it can refuse an oversized one (60002) without lighttpd
# buffering it first.
server.stream-request-body = 2
fastcgi.server = (
  # One socket shared by every worker: lighttpd starts multiwatch, which forks the workers on
  # the socket it holds and replaces one that dies at once. A request queued for the socket
  # then waits for whichever worker is free, so a killed worker loses only the request it was
  # answering. (With lighttpd's own max-procs each worker has a socket of its own: requests
  # queued on a killed one's get HTTP 500, and for the second until its respawn the others
  # carry all the load; with two dead at once lighttpd answers 503.)
  "/v4/" => ((
    "socket" => "$rundir/follow.sock",
    "bin-path" => "$multiwatch -f $procs -r 10 -t 1000 -s $mwstop -- $fcgi",
    "bin-environment" => ( $env ),
    "max-procs" => 1,
    "check-local" => "disable"
  )),
  # Prometheus's scrape, answered by the same workers (the program checks metrics_allow): the
  # socket lighttpd made for /v4/, which it names with the spawned process's number.
  "/metrics" => ((
    "socket" => "$rundir/follow.sock-0",
    "check-local" => "disable"
  )),
  # Not a web path: lighttpd starts (and restarts) the webhook dispatcher like a worker.
  "/_webhook-dispatcher/" => ((
    "socket" => "$rundir/dispatcher.sock",
    "bin-path" => "$fcgi",
    "bin-environment" => ( $env, "FOLLOW_ROLE" => "dispatcher" ),
    "max-procs" => 1,
    "check-local" => "disable"
  )),
$(repl_backend)
  # The bench's trivial responder, hosted exactly like the service.
  "/null/" => ((
    "socket" => "$rundir/null.sock",
    "bin-path" => "$multiwatch -f $procs -r 10 -t 1000 -s $mwstop -- $root/cgi-bin/null.fcgi",
    "max-procs" => 1,
    "check-local" => "disable"
  ))
)
CONF
if [ -n "${TLS_CERT:-}" ]; then
	# sed replacement text: \ & and the | delimiter are special.
	sedarg() { printf '%s\n' "$1" | sed 's/[\\|&]/\\&/g'; }
	sed -e "s|@TLS_ADDR@|$bind|g" -e "s|@TLS_PORT@|$(sedarg "$TLS_PORT")|g" \
		-e "s|@TLS_CERT@|$(sedarg "$TLS_CERT")|g" -e "s|@TLS_KEY@|$(sedarg "$TLS_KEY")|g" \
		"$root/conf/hosting/lighttpd-tls.conf"
fi
