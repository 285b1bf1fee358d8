#!/bin/sh
# Installs Tencent's UserSig generator (npm tls-sig-api-v2@1.0.2) for the tests, once, into
# build/npm; the tests make their UserSigs with it.
set -e
cd "$(dirname "$0")/.."
[ -f build/npm/node_modules/tls-sig-api-v2/package.json ] && exit 0
mkdir -p build/npm
npm install --prefix build/npm --no-save --no-audit --no-fund --loglevel=error tls-sig-api-v2@1.0.2
