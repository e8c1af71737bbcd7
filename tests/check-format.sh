#!/usr/bin/env bash
# Fails when a tracked .c/.h file is not clang-format clean (.clang-format).
set -eu
cd "${MESON_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}"
command -v clang-format >/dev/null || { echo "clang-format missing"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || true)
[ -n "$files" ] || { echo "no tracked C files"; exit 77; }
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not clang-format clean: $f"
		bad=1
	fi
done
exit $bad
