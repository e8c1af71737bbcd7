#!/usr/bin/env bash
# README command (1): installs what imgfix needs on Debian 12, builds it,
# and runs the main job on the built-in sample image (scripts/sample.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build
exec bash scripts/sample.sh sample build
