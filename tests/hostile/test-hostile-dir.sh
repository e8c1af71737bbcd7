#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-hostile-dir.sh: the dir backend must not read or write outside the
# guest root (issue 9, security tests).  A copy of the Debian fixture tree
# (tests/fixtures/linux/debian12) gets entries aiming outside the root:
#
#   etc/fstab         absolute symlink to an outside file
#   etc/crypttab      relative symlink climbing out with ../..
#   boot              directory symlink to an outside directory (grub.cfg)
#   etc/default/grub  hard link to an outside file
#   etc/loop          symlink loop
#
# Tree 3 has only the fstab/crypttab symlinks; tree 4 a hard link to an
# outside copy of etc/default/grub, which the fix rewrites.
# Every outside file ("canary") holds a marker (/dev/sdz9, canaryos) that
# must not show up in imgfix's output, and its content and mtime must not
# change.  Then `imgfix inspect`, `plan -r linux-virtio` and `fix -r
# linux-virtio` run on it (fresh empty TMPDIR each), and on a second tree
# whose etc/os-release escapes.  Each run: exit 0 or a message on stderr,
# no crash/timeout/sanitizer report, TMPDIR empty afterwards, nothing new
# next to the tree but TREE.imgfix.  A clean copy is fixed first: fix
# must remap its fstab (the check that the fix path works at all).

set -eu

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
tree=$src/tests/fixtures/linux/debian12

[ -x "$imgfix" ] || { echo "SKIP: $imgfix not built"; exit 77; }
[ -d "$tree" ] || { echo "SKIP: $tree missing"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-hostile-dir.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
w=$tmp/work # this script's own files
mkdir "$w"
failures=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# state of the outside world: content hash + mtime of every canary, and
# the listing of the parent directory
snapshot() {
	(
		cd "$tmp/outside"
		find . -type f | sort | while read -r f; do
			printf '%s %s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)" \
				"$(stat -c %Y.%y "$f")"
		done
		find . | sort
	)
	ls -A "$tmp" | grep -v -e '\.imgfix$' -e '^work$'
}

# run LABEL TREE CMD...: sets $rc, output in $tmp/out, $tmp/err
run() {
	label=$1 root=$2
	shift 2
	t=$w/tmpdir
	rm -rf "$t"
	mkdir "$t"
	rc=0
	TMPDIR=$t timeout -k 5 20 "$imgfix" "$@" "$root" >"$w/out" \
		2>"$w/err" </dev/null || rc=$?
	echo "$label: exit $rc $(head -n 1 "$w/err")"
	if [ $rc -eq 124 ] || [ $rc -ge 128 ]; then
		fail "$label: crashed or timed out (exit $rc): $(tail -n 5 "$w/err")"
	elif [ $rc -ne 0 ] && ! [ -s "$w/err" ]; then
		fail "$label: exit $rc without a message on stderr"
	fi
	if grep -qE 'Sanitizer|runtime error:' "$w/err"; then
		fail "$label: sanitizer report"
	fi
	[ -z "$(ls -A "$t")" ] || fail "$label: files left in TMPDIR: $(ls -A "$t")"
	if grep -qE 'sdz9|canaryos|CANARY' "$w/out" "$w/err"; then
		fail "$label: read outside the root: $(grep -hE 'sdz9|canaryos|CANARY' "$w/out" "$w/err" | head -3)"
	fi
}

# ---- control: a clean tree is fixed ------------------------------------
cp -a "$tree" "$tmp/clean"
run clean-fix "$tmp/clean" fix -r linux-virtio
[ $rc -eq 0 ] || fail "clean tree: fix failed: $(cat "$w/err")"
grep -q '^/dev/vda1' "$tmp/clean/etc/fstab" ||
	fail "clean tree: fstab not remapped (the fix path does not work)"
rm -rf "$tmp/clean" "$tmp/clean.imgfix"

# ---- the outside world ------------------------------------------------
mkdir -p "$tmp/outside/bootdir/grub"
printf '# CANARY fstab\n/dev/sdz9 / ext4 defaults 0 1\n' >"$tmp/outside/fstab"
printf 'CANARY_crypt /dev/sdz9 none luks\n' >"$tmp/outside/crypttab"
printf 'menuentry CANARY {\n\tlinux /vmlinuz root=/dev/sdz9 ro\n}\n' \
	>"$tmp/outside/bootdir/grub/grub.cfg"
printf '(hd0) /dev/sdz9\n' >"$tmp/outside/bootdir/grub/device.map"
printf 'GRUB_CMDLINE_LINUX="resume=/dev/sdz8"\n' >"$tmp/outside/grub-default"
printf 'ID=canaryos\nNAME=canaryos\nVERSION_ID=99\n' >"$tmp/outside/os-release"
touch -d '2001-02-03 04:05:06' "$tmp/outside"/* "$tmp/outside/bootdir/grub"/*

# ---- tree 1: escaping fstab, crypttab, boot, hard-linked default/grub --
r1=$tmp/root1
cp -a "$tree" "$r1"
rm -rf "${r1:?}/etc/fstab" "${r1:?}/etc/crypttab" "${r1:?}/boot" "${r1:?}/etc/default/grub"
ln -s "$tmp/outside/fstab" "$r1/etc/fstab"
ln -s ../../../../../../../../../../../.."$tmp/outside/crypttab" "$r1/etc/crypttab"
ln -s ../outside/bootdir "$r1/boot"
ln "$tmp/outside/grub-default" "$r1/etc/default/grub"
ln -s loop "$r1/etc/loop"

before=$(snapshot)
run tree1-inspect "$r1" inspect
[ $rc -eq 0 ] || fail "tree1: inspect failed (os-release is inside): $(cat "$w/err")"
run tree1-plan "$r1" plan -r linux-virtio
run tree1-fix "$r1" fix -r linux-virtio
# the hard link's content is inside the root by path: imgfix may read it,
# but a write must replace the link, never write through it
snapshot >"$w/snap"
if [ "$(cat "$w/snap")" != "$before" ]; then
	fail "tree1: the outside changed"
	printf '%s\n' "$before" | diff - "$w/snap" >&2 || true
fi
[ -L "$r1/etc/fstab" ] && [ "$(readlink "$r1/etc/fstab")" = "$tmp/outside/fstab" ] ||
	echo "note: tree1: etc/fstab symlink was replaced"

# ---- tree 2: os-release escapes ---------------------------------------
r2=$tmp/root2
cp -a "$tree" "$r2"
rm -f "$r2/etc/os-release" "$r2/usr/lib/os-release"
ln -s ../../outside/os-release "$r2/etc/os-release"
[ -d "$r2/usr/lib" ] && ln -s "$tmp/outside/os-release" "$r2/usr/lib/os-release"
before=$(snapshot)
run tree2-inspect "$r2" inspect --json
run tree2-plan "$r2" plan -r linux-virtio
run tree2-fix "$r2" fix -r linux-virtio
[ "$(snapshot)" = "$before" ] || fail "tree2: the outside changed"

# ---- tree 3: only escaping fstab and crypttab symlinks ------------------
r3=$tmp/root3
cp -a "$tree" "$r3"
rm -f "$r3/etc/fstab" "$r3/etc/crypttab"
ln -s "$tmp/outside/fstab" "$r3/etc/fstab"
ln -s ../../../../../../../../../../../.."$tmp/outside/crypttab" "$r3/etc/crypttab"
before=$(snapshot)
run tree3-plan "$r3" plan -r linux-virtio
run tree3-fix "$r3" fix -r linux-virtio
[ "$(snapshot)" = "$before" ] || fail "tree3: the outside changed"

# ---- tree 4: a hard link to an outside file that the fix rewrites ------
# (its content is the fixture's own /etc/default/grub: reading it is
# reading the guest; writing must replace the link, not write through)
r4=$tmp/root4
cp -a "$tree" "$r4"
cp "$tree/etc/default/grub" "$tmp/outside/grub-linked"
touch -d '2001-02-03 04:05:06' "$tmp/outside/grub-linked"
rm -f "$r4/etc/default/grub"
ln "$tmp/outside/grub-linked" "$r4/etc/default/grub"
before=$(snapshot)
run tree4-fix "$r4" fix -r linux-virtio
[ $rc -eq 0 ] || fail "tree4: fix failed: $(cat "$w/err")"
[ "$(snapshot)" = "$before" ] || fail "tree4: the fix wrote through a hard link to outside the root"
cmp -s "$tree/etc/default/grub" "$r4/etc/default/grub" &&
	fail "tree4: etc/default/grub was not rewritten (resume=/dev/sda5)"

[ $failures -eq 0 ] || exit 1
echo "ok"
