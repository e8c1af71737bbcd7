#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-fixup-inspect-guestfs.sh (suite guestfs, issue 18): the Linux guests
# only a libguestfs appliance opens, on imgfix's default road:
#
#   - root on LVM (raw image, /boot ext4 + LVM2_member): the direct road
#     finds no OS and takes the guestfs road by itself, saying why;
#     `--backend direct` fails naming partition 2 and LVM2_member;
#   - root on LUKS: without a key, an error naming the device and --key;
#     with `--key /dev/sda2:file:KEYFILE`, the guest;
#   - root on btrfs subvolumes (root, home);
#   - root on md RAID1 over two disk images (`imgfix inspect A.img B.img`);
#
# each with the right distribution, version, product, arch, hostname,
# mount points and package format.  Then libguestfs's own inspection
# (virt-inspector, one appliance for every fixture but the LUKS one, those of
# tests/fixtures/linux/build-distro.sh too) is compared fact by fact with
# imgfix's (compare-inspector.py: unlisted differences fail).
#
# Fixtures: tests/fixtures/linux/build-guestfs.sh (one guestfish session,
# cached by recipe).  Slow: every imgfix call and virt-inspector boot an
# appliance (TCG).  Exit 77 when guestfish / virt-inspector is missing or
# no appliance starts.
set -eu

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
PATH=$PATH:/usr/sbin:/sbin
skip() {
	echo "SKIP: $*"
	exit 77
}
for t in guestfish virt-inspector sfdisk mke2fs python3; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-inspect-guestfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}
check() {
	python3 "$src/tests/fixup/check-facts.py" "$@"
}

rc=0
fx=$(sh "$src/tests/fixtures/linux/build-guestfs.sh") || rc=$?
[ $rc -eq 77 ] && skip "no libguestfs appliance"
[ $rc -eq 0 ] || {
	echo "FAIL: building the guestfs fixtures" >&2
	exit 1
}
# The fixtures are read-only here: work on copies (sparse).
for f in lvm luks btrfs md-a md-b; do
	cp --sparse=always "$fx/$f.img" "$tmp/$f.img"
done

# inspect NAME facts... -- ARGS...: imgfix inspect ARGS, facts checked
inspect() {
	name=$1
	shift
	facts=
	while [ "$1" != -- ]; do
		facts="$facts$1
"
		shift
	done
	shift
	if ! "$imgfix" -v inspect --json "$@" >"$tmp/$name.json" \
		2>"$tmp/$name.err"; then
		if grep -q "no appliance could start\|cannot start the appliance" \
			"$tmp/$name.err"; then
			skip "no libguestfs appliance: $(tail -1 "$tmp/$name.err")"
		fi
		fail "$name: inspect failed: $(cat "$tmp/$name.err")"
		return 0
	fi
	echo "$facts" | {
		set --
		while IFS= read -r kv; do
			[ -n "$kv" ] && set -- "$@" "$kv"
		done
		check "$tmp/$name.json" "$@"
	} >"$tmp/$name.diff" 2>&1 || fail "$name: $(cat "$tmp/$name.diff")"
}

lvm_sum=$(sha256sum <"$tmp/lvm.img")
inspect rhel9-lvm os.distro=rhel os.version=9.3 \
	"os.product=Red Hat Enterprise Linux 9.3 (Plow)" os.arch=x86_64 \
	os.hostname=rhel9.example.com "linux.mountpoints=/ /boot" \
	linux.package_format=rpm linux.package_manager=dnf image.road=guestfs \
	-- "$tmp/lvm.img"
grep -q "partition 2: LVM2_member" "$tmp/rhel9-lvm.json" ||
	fail "rhel9-lvm: image.road_reason does not name LVM2_member: $(grep road "$tmp/rhel9-lvm.json")"
grep -q "taking the guestfs road" "$tmp/rhel9-lvm.err" ||
	fail "rhel9-lvm: -v does not say which road: $(cat "$tmp/rhel9-lvm.err")"
[ "$(sha256sum <"$tmp/lvm.img")" = "$lvm_sum" ] ||
	fail "rhel9-lvm: inspection changed the image"
if "$imgfix" inspect --backend direct "$tmp/lvm.img" >/dev/null \
	2>"$tmp/direct.err"; then
	fail "--backend direct: succeeded on an LVM root"
fi
grep -q "partition 1: ext4 (no OS on it); partition 2: LVM2_member" \
	"$tmp/direct.err" ||
	fail "--backend direct: partitions not named: $(cat "$tmp/direct.err")"

if "$imgfix" inspect "$tmp/luks.img" >/dev/null 2>"$tmp/nokey.err"; then
	fail "luks without a key: succeeded"
fi
grep -q "/dev/sda2 is encrypted.*--key /dev/sda2:key:KEY" "$tmp/nokey.err" ||
	fail "luks without a key: $(cat "$tmp/nokey.err")"
inspect debian-luks os.distro=debian os.version=12.4 \
	"os.product=Debian GNU/Linux 12 (bookworm)" os.arch=i386 \
	os.hostname=crypt-deb "linux.mountpoints=/ /boot" \
	linux.package_format=deb image.road=guestfs \
	-- --key "/dev/sda2:file:$fx/luks.key" "$tmp/luks.img"
grep -q imgfix-fixture-key "$tmp/debian-luks.json" "$tmp/debian-luks.err" &&
	fail "debian-luks: the key is printed"

inspect fedora-btrfs os.distro=fedora os.version=39.0 \
	"os.product=Fedora Linux 39 (Workstation Edition)" os.arch=x86_64 \
	os.hostname=f39-btrfs "linux.mountpoints=/ /home" \
	linux.package_format=rpm linux.package_manager=dnf image.road=guestfs \
	-- "$tmp/btrfs.img"

inspect ubuntu-md os.distro=ubuntu os.version=22.04 \
	"os.product=Ubuntu 22.04.3 LTS" os.arch=x86_64 os.hostname=raid-vm \
	linux.mountpoints=/ linux.package_format=deb image.road=guestfs \
	"image.road_reason=several disks of one guest" \
	-- "$tmp/md-a.img" "$tmp/md-b.img"

# ---- libguestfs's own inspection, fact by fact --------------------------
direct="ubuntu2204 ubuntu1010 arch opensuse alpine fedora14 splitusr noarch"
set --
for n in $direct; do
	sh "$src/tests/fixtures/linux/build-distro.sh" "$n" "$tmp/$n.img"
	"$imgfix" inspect --json "$tmp/$n.img" >"$tmp/$n.json" ||
		fail "$n: inspect failed"
	set -- "$@" --format=raw -a "$tmp/$n.img"
done
# luks.img stays out: virt-inspector 1.48 names the opened mapping
# luks-<UUID> and then fails the whole run mounting the guest's fstab
# entry /dev/mapper/luks-root ("mount_ro: No such file or directory").
for f in lvm btrfs md-a md-b; do
	set -- "$@" --format=raw -a "$tmp/$f.img"
done
if ! virt-inspector --no-applications "$@" >"$tmp/vi.xml" 2>"$tmp/vi.err"; then
	fail "virt-inspector failed: $(tail -5 "$tmp/vi.err")"
else
	set --
	for n in $direct rhel9-lvm fedora-btrfs ubuntu-md; do
		set -- "$@" "$n=$tmp/$n.json"
	done
	python3 "$src/tests/fixup/compare-inspector.py" "$tmp/vi.xml" "$@" ||
		fail "imgfix and virt-inspector differ (see above)"
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "all guestfs inspection checks passed"
