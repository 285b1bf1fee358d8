#!/bin/sh
# Installs the Debian packages of one set, and does nothing (quietly) when all are present:
#   run    building and serving (`make run`); lighttpd-mod-openssl too when TLS_CERT is set
#   test   run + what the tests need (other web servers, sanitizers, wrk, Node.js, promtool, chromium) — `make deps`
#   bench  test + what the benchmark's plots and profiles need
# usage: deps.sh [run|test|bench]   (default test)    deps.sh --list SET   (print, install nothing)
set -e
list=""
if [ "${1:-}" = "--list" ]; then
	list=1
	shift
fi
set_name=${1:-test}

run_pkgs="gcc make pkg-config libfcgi-dev libfcgi-bin libjson-c-dev libdb5.3-dev nettle-dev zlib1g-dev libcurl4-openssl-dev lighttpd multiwatch"
# `make run TLS_CERT=... TLS_KEY=...` serves HTTPS, which lighttpd keeps in a module of its own.
[ -n "${TLS_CERT:-}" ] && run_pkgs="$run_pkgs lighttpd-mod-openssl"
test_pkgs="$run_pkgs apache2 libapache2-mod-fcgid nginx spawn-fcgi lighttpd-mod-openssl openssl curl wrk python3 clang libclang-rt-14-dev db5.3-util prometheus chromium"
# The tests make UserSigs with Tencent's npm generator; Node.js may come from elsewhere.
command -v npm >/dev/null 2>&1 || test_pkgs="$test_pkgs nodejs npm"
bench_pkgs="$test_pkgs gnuplot-nox linux-perf"

case $set_name in
run) pkgs=$run_pkgs ;;
test) pkgs=$test_pkgs ;;
bench) pkgs=$bench_pkgs ;;
*)
	echo "usage: deps.sh [--list] run|test|bench" >&2
	exit 2
	;;
esac
# The TLS module appears in both halves of the test set: name it once.
pkgs=$(printf '%s\n' $pkgs | awk '!seen[$0]++')

if [ -n "$list" ]; then
	printf '%s\n' $pkgs
	exit 0
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

# apache2 and nginx start at once on port 80 when installed on a Debian with systemd, which a
# developer who only runs the tests does not want (and which can clash with other servers). A
# policy-rc.d that exits 101 tells Debian's maintainer scripts to start no service; one the
# machine already has is its owner's and stays as it is.
policy=/usr/sbin/policy-rc.d
if [ "$set_name" != run ] && [ ! -e "$policy" ]; then
	trap '$SUDO rm -f "$policy"' EXIT
	trap 'exit 130' INT HUP TERM
	printf '#!/bin/sh\n# made by the follow service'"'"'s deps.sh while apt-get runs\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
fi
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends $missing
