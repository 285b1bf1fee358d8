#!/bin/sh
# Runs every HTTP test file tests/t*.py in order (each starts its own lighttpd + follow.fcgi),
# prints each name with PASS/FAIL and exits non-zero if any failed.
# usage: tests/run.sh [PATTERN]   e.g. tests/run.sh t04   (default: all)
# Environment: SEED (t0700, t0800), TESTS=fn1,fn2 (run only these functions), KEEP=1 (keep run dirs).
cd "$(dirname "$0")/.." || exit 2
pattern=${1:-}
summary="" status=0
for t in tests/t*.py; do
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	name=$(basename "$t" .py)
	echo "== $name"
	if python3 "$t"; then
		result="PASS"
	else
		result="FAIL"
		status=1
	fi
	echo "$result $name"
	summary="$summary
$result $name"
done
echo "== summary$summary"
exit $status
