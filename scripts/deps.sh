#!/bin/sh
# Installs the Debian packages the service, its tests and its benchmark need; does nothing when all are present.
set -e
pkgs="gcc make pkg-config libfcgi-dev libfcgi-bin libjson-c-dev libdb5.3-dev db5.3-util libssl-dev zlib1g-dev libcurl4-openssl-dev lighttpd curl wrk python3 clang libclang-rt-14-dev apache2 libapache2-mod-fcgid multiwatch"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The tests make UserSigs with Tencent's npm generator; Node.js may come from elsewhere.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends $missing
