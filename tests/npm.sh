#!/bin/sh
# Installs the tests' npm packages once, into build/npm: Tencent's UserSig generator
# (tls-sig-api-v2), with which the tests make their UserSigs, and puppeteer-core, which drives
# Debian's chromium for the console's tests (it downloads no browser). One npm command for both:
# a later --no-save install would remove what an earlier one put there.
set -e
cd "$(dirname "$0")/.."
[ -f build/npm/node_modules/tls-sig-api-v2/package.json ] &&
	[ -f build/npm/node_modules/puppeteer-core/package.json ] && exit 0
mkdir -p build/npm
npm install --prefix build/npm --no-save --no-audit --no-fund --loglevel=error tls-sig-api-v2@1.0.2 puppeteer-core@24.43.1
