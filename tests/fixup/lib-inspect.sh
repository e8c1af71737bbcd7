# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by the inspection tests of issue 18 (test-fixup-inspect-*.sh):
# $src, $build, $imgfix, a private $tmp removed at exit, skip (exit 77),
# need TOOL... (skip when one is missing), fail MESSAGE (counted), check
# JSON name=value... (check-facts.py) and finish MESSAGE (exit 1 after a
# failure).
src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
PATH=$PATH:/usr/sbin:/sbin
skip() {
	echo "SKIP: $*"
	exit 77
}
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
	done
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}
check() {
	python3 "$src/tests/fixup/check-facts.py" "$@"
}
finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	echo "$1"
}
