#!/bin/sh
# Prints a lighttpd config that serves /v4/ from follow.fcgi (and /null/ from the bench's trivial
# responder), so `make run`, the tests and the benchmark all host the service the same way.
# usage: lighttpd-conf.sh ROOT RUNDIR PORT CONF PROCS
# Environment: FOLLOW_FCGI overrides the responder binary (the sanitizer build); SANITIZER_LOG
# names a folder where its AddressSanitizer/UBSan reports are written; ASAN_EXTRA adds options.
set -e
root=$1 rundir=$2 port=$3 conf=$4 procs=${5:-2}
fcgi=${FOLLOW_FCGI:-$root/cgi-bin/follow.fcgi}
multiwatch=$(command -v multiwatch)
env="\"FOLLOW_CONF\" => \"$conf\""
if [ -n "${SANITIZER_LOG:-}" ]; then
	env="$env, \"ASAN_OPTIONS\" => \"log_path=$SANITIZER_LOG/asan:detect_leaks=1:fast_unwind_on_malloc=0${ASAN_EXTRA:+:$ASAN_EXTRA}\""
	env="$env, \"UBSAN_OPTIONS\" => \"log_path=$SANITIZER_LOG/ubsan:print_stacktrace=1\""
fi
mkdir -p "$rundir/www"
cat <<CONF
server.modules = ( "mod_fastcgi" )
server.document-root = "$rundir/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$rundir/error.log"
server.pid-file = "$rundir/lighttpd.pid"
server.max-connections = 1024
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
    "bin-path" => "$multiwatch -f $procs -r 10 -t 1000 -- $fcgi",
    "bin-environment" => ( $env ),
    "max-procs" => 1,
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
  # The bench's trivial responder, hosted exactly like the service.
  "/null/" => ((
    "socket" => "$rundir/null.sock",
    "bin-path" => "$multiwatch -f $procs -r 10 -t 1000 -- $root/cgi-bin/null.fcgi",
    "max-procs" => 1,
    "check-local" => "disable"
  ))
)
CONF
