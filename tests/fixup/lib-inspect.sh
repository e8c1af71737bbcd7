# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by the inspection tests of issue 18 (test-fixup-inspect-*.sh,
# test-fixup-rollback-guestfs.sh): $src, $build, $imgfix, a private $tmp
# removed at exit, skip (exit 77), need TOOL... (skip when one is missing),
# fail MESSAGE (counted), check JSON name=value... (check-facts.py) and
# finish MESSAGE (exit 1 after a failure); for the tests that boot
# appliances, guestfs_fixtures, skip_if_no_appliance and parallel (below).
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

# guestfs_fixtures NAME...: the disks of tests/fixtures/linux/build-guestfs.sh
# (built in one guestfish session the first time, then from its cache),
# copied (sparse) to $tmp/NAME.img: the cached ones stay untouched.  Sets
# $fx, the cache entry (luks.key is there).  Skips when no appliance
# starts.
guestfs_fixtures() {
	rc=0
	fx=$(sh "$src/tests/fixtures/linux/build-guestfs.sh") || rc=$?
	[ $rc -eq 77 ] && skip "no libguestfs appliance"
	if [ $rc -ne 0 ]; then
		echo "FAIL: building the guestfs fixtures" >&2
		exit 1
	fi
	for f in "$@"; do
		cp --sparse=always "$fx/$f.img" "$tmp/$f.img"
	done
}

# skip_if_no_appliance ERRFILE: skips when imgfix's (or a libguestfs tool's)
# error output says no appliance could start.
skip_if_no_appliance() {
	if grep -q "no appliance could start\|cannot start the appliance\|launch failed" \
		"$1"; then
		skip "no libguestfs appliance: $(tail -1 "$1")"
	fi
}

# parallel PART...: runs the shell functions PART at once, each in a
# subshell with its own failure count and log ($tmp/PART.log, printed in
# order once all are done): every part boots its own appliances, and one
# appliance mostly waits on one core.  A part that fails counts as a
# failure; a part that skips (no appliance) skips the test.
parallel() {
	for p in "$@"; do
		(
			failures=0
			start=$(date +%s)
			$p
			echo "$p: $(($(date +%s) - start)) s"
			[ "$failures" -eq 0 ]
		) >"$tmp/$p.log" 2>&1 &
		echo $! >"$tmp/$p.pid"
	done
	skipped=
	for p in "$@"; do
		rc=0
		wait "$(cat "$tmp/$p.pid")" || rc=$?
		cat "$tmp/$p.log"
		case $rc in
		0) ;;
		77) skipped=$p ;;
		*) fail "part $p failed (exit $rc)" ;;
		esac
	done
	if [ -n "$skipped" ] && [ "$failures" -eq 0 ]; then
		skip "part $skipped skipped"
	fi
}
