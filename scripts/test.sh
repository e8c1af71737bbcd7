#!/usr/bin/env bash
# Builds imgfix and runs the whole test suite: unit, image, format and the
# slow suites (guestfs, fuzz) — exactly what CI runs (.ci/run calls this).
# Usage: scripts/test.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bash scripts/install-deps.sh
if [ -d "$build" ]; then
	meson setup --reconfigure "$build" >/dev/null
else
	meson setup "$build" >/dev/null
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs --num-processes "$(nproc)"
