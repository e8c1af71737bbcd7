#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-fixup-rollback-guestfs.sh (suite guestfs, issue 18: "journal and
# rollback cover every disk"): `imgfix fix -r linux-virtio` then `imgfix
# rollback` on the guests of tests/fixtures/linux/build-guestfs.sh that the
# guestfs road opens with more than one image:
#
#   - root on md RAID1 over two disk images: `fix A.img B.img` writes both
#     (the mirror), the journal names both (image A.img, disks [B.img]),
#     `rollback --backup DIR A.img` reopens both from the journal;
#   - root on LUKS: fix and rollback each with `--key`;
#
# each time the fix removes the pinned-MAC udev rule and the open-vm-tools
# unit link (and rewrites /dev/sda2 in the LUKS guest's crypttab), and after
# the rollback the guest's /etc, read back by guestfish, is the recipe's
# tree again, file by file and link by link.
#
# The rollback restores bytes, not only files: the appliance writes qcow2
# overlays, the commit puts them into the images through one undo log per
# disk (undo.log, undo.log.1 ...), and after the rollback every image has
# the SHA-256 it had before the fix (md superblocks, ext4 journals and
# times included).
#
# The two guests run at once (three appliance boots each); exit 77 when
# guestfish is missing or no appliance starts.
set -eu

. "$(dirname "$0")/lib-inspect.sh"
need guestfish python3
guestfs_fixtures luks md-a md-b
key=$fx/luks.key

# ops FIX.JSON: the op and path of every op of the plan, one a line
ops() {
	python3 -c 'import json,sys
for o in json.load(open(sys.argv[1]))["plan"]["ops"]: print(o["op"], o["path"])' "$1"
}

# journal DIR: image, disks and state of DIR's journal, one a line
journal() {
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1] + "/journal.json"))
print("image", j["image"]); print("disks", *j.get("disks", []))
print("state", j["state"])' "$1"
}

# fix_rollback NAME GUEST "IMAGES" [IMGFIX OPTIONS...]: fix, check the ops
# and that every image was written, roll back, read /etc back and compare
# it with GUEST's recipe tree
fix_rollback() {
	name=$1 guest=$2 images=$3
	shift 3
	# shellcheck disable=SC2086
	before=$(cd "$tmp" && sha256sum $images)
	set -- "$@" --backup "$tmp/$name.bk"
	for i in $images; do
		set -- "$@" "$tmp/$i"
	done
	if ! "$imgfix" fix --json -r linux-virtio "$@" >"$tmp/$name.fix.json" \
		2>"$tmp/$name.fix.err"; then
		skip_if_no_appliance "$tmp/$name.fix.err"
		fail "$name: fix failed: $(cat "$tmp/$name.fix.err")"
		return 0
	fi
	ops "$tmp/$name.fix.json" >"$tmp/$name.ops"
	for want in "remove /etc/udev/rules.d/70-persistent-net.rules" \
		"remove /etc/systemd/system/multi-user.target.wants/open-vm-tools.service"; do
		grep -qx "$want" "$tmp/$name.ops" ||
			fail "$name: the fix did not $want: $(cat "$tmp/$name.ops")"
	done
	# shellcheck disable=SC2086
	after=$(cd "$tmp" && sha256sum $images)
	for i in $images; do
		if echo "$before" | grep -qx "$(echo "$after" | grep " $i\$")"; then
			fail "$name: the fix did not write $i"
		fi
	done
	echo "$name: fixed, $(wc -l <"$tmp/$name.ops") op(s)"

	# rollback names the first image only: the journal has the others
	first=${images%% *}
	keys=
	[ "$1" = --key ] && keys="$1 $2"
	# shellcheck disable=SC2086
	if ! "$imgfix" rollback $keys --backup "$tmp/$name.bk" \
		"$tmp/$first" >/dev/null 2>"$tmp/$name.rb.err"; then
		fail "$name: rollback failed: $(cat "$tmp/$name.rb.err")"
		return 0
	fi
	journal "$tmp/$name.bk" >"$tmp/$name.journal"
	(
		cd "$tmp"
		echo "image $(realpath "$first")"
		printf disks
		for i in ${images#"$first"}; do
			printf ' %s' "$(realpath "$i")"
		done
		printf '\nstate rolled-back\n'
	) | diff -u - "$tmp/$name.journal" ||
		fail "$name: the journal does not name every disk"
	n=0
	for i in $images; do
		u=$tmp/$name.bk/undo.log
		[ $n -eq 0 ] || u=$u.$n
		[ -s "$u" ] || fail "$name: no undo log $u for $i"
		n=$((n + 1))
	done
	# shellcheck disable=SC2086
	rolled=$(cd "$tmp" && sha256sum $images)
	if [ "$rolled" != "$before" ]; then
		fail "$name: the images are not byte-identical after rollback:
before: $before
after:  $rolled"
	fi

	mkdir "$tmp/$name.etc"
	set --
	for i in $images; do
		set -- "$@" -a "$tmp/$i"
	done
	# shellcheck disable=SC2086
	if ! guestfish --ro $keys "$@" -i copy-out /etc "$tmp/$name.etc" \
		>"$tmp/$name.gf.err" 2>&1; then
		fail "$name: guestfish copy-out: $(cat "$tmp/$name.gf.err")"
		return 0
	fi
	sh "$src/tests/fixtures/linux/build-distro.sh" --tree "$guest" \
		"$tmp/$name.tree"
	diff -r --no-dereference "$tmp/$name.tree/root/etc" \
		"$tmp/$name.etc/etc" ||
		fail "$name: /etc differs from the recipe after rollback"
	echo "$name: rolled back, every image byte-identical, /etc as built"
}

md() {
	fix_rollback md ubuntu-md "md-a.img md-b.img"
}
luks() {
	fix_rollback luks debian-luks luks.img --key "/dev/sda2:file:$key"
	grep -qx "write /etc/crypttab" "$tmp/luks.ops" ||
		fail "luks: crypttab not rewritten: $(cat "$tmp/luks.ops")"
}

parallel md luks
finish "fix and rollback of the md and LUKS guests passed"
