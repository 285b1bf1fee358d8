#!/bin/sh
# Runs a standalone FastCGI pool of follow.fcgi in the foreground, for a web server that only
# connects to a socket (nginx, Apache mod_proxy_fcgi): Debian's spawn-fcgi binds SOCKET and execs
# multiwatch, which forks PROCS workers that all accept on it and replaces one that dies at once.
# With --dispatch it runs the webhook dispatcher instead, under the same pair: one process, whose
# socket nobody connects to (the dispatcher closes it) but which spawn-fcgi insists on.
# Stop it with SIGTERM (or Ctrl-C): multiwatch then sends every child its -s signal and starts
# no new one; that signal must be TERM or INT, on which follow.fcgi finishes its request and
# closes the database cleanly. Its default, USR1, is not handled: it kills follow.fcgi as
# abruptly as SIGKILL.
# usage: pool.sh SOCKET PROCS [--dispatch]       (PROCS must be 1 with --dispatch)
# Environment: FOLLOW_CONF names the config; FOLLOW_FCGI overrides the program (default: this
# checkout's cgi-bin/follow.fcgi); SANITIZER_LOG and ASAN_EXTRA as for lighttpd-conf.sh.
set -e
if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ $# -eq 3 ] && [ "$3" != --dispatch ]; }; then
	echo "usage: pool.sh SOCKET PROCS [--dispatch]" >&2
	exit 2
fi
socket=$1 procs=$2
fcgi=${FOLLOW_FCGI:-$(cd "$(dirname "$0")/.." && pwd)/cgi-bin/follow.fcgi}
if [ $# -eq 3 ]; then
	# Two dispatchers would deliver the same outbox twice as often, not twice as fast.
	if [ "$procs" != 1 ]; then
		echo "pool.sh: --dispatch runs exactly one process (PROCS 1)" >&2
		exit 2
	fi
	set -- "$fcgi" --dispatch
else
	set -- "$fcgi"
fi
if [ -n "${SANITIZER_LOG:-}" ]; then
	ASAN_OPTIONS="log_path=$SANITIZER_LOG/asan:detect_leaks=1:fast_unwind_on_malloc=0${ASAN_EXTRA:+:$ASAN_EXTRA}"
	UBSAN_OPTIONS="log_path=$SANITIZER_LOG/ubsan:print_stacktrace=1"
	export ASAN_OPTIONS UBSAN_OPTIONS
fi
multiwatch=$(command -v multiwatch) || { echo "pool.sh: multiwatch is not installed" >&2; exit 1; }
stop=$("$(dirname "$0")/multiwatch-signal.sh")
# -r 10 -t 1000: a child that dies within a second of its start is retried at most 10 times
# (a broken config must not fork forever); one that ran longer is always replaced.
exec spawn-fcgi -n -s "$socket" -M 0660 -- "$multiwatch" -f "$procs" -r 10 -t 1000 -s "$stop" \
	-- "$@"
