#!/usr/bin/env bash
# README command (2): builds imgfix and runs the whole test suite — what CI
# runs (.ci/run calls this):
#   1. the normal build: every suite (unit, image, format, fuzz replay, and
#      the slow guestfs and boot suites);
#   2. an ASan+UBSan build: the unit and image suites;
#   3. valgrind (memcheck) over the unit suite.
# Any failure, sanitizer or valgrind report fails the run.
# Usage: scripts/test.sh [BUILDDIR]   (the ASan build goes to BUILDDIR-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=$(nproc)

setup() { # DIR [meson options]
	local dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

bash scripts/install-deps.sh

echo "== normal build: all suites =="
setup "$build"
meson test -C "$build" --print-errorlogs --num-processes "$jobs"

echo "== ASan + UBSan: unit and image suites =="
setup "$build-asan" -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug
# ASan+UBSan runs the same tests two to three times slower than the normal
# build whose figures the timeouts are set from.
meson test -C "$build-asan" --print-errorlogs --num-processes "$jobs" \
	--suite unit --suite image --timeout-multiplier 3

echo "== valgrind: unit suite =="
meson test -C "$build" --setup valgrind --print-errorlogs \
	--num-processes "$jobs" --suite unit
