#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-fixup-inspect-linux.sh: `imgfix inspect` (default road) on the Linux
# guests of tests/fixtures/linux/build-distro.sh, raw images with ext4
# partitions built at test time: distribution, version, product name,
# architecture, hostname, mount points, package format and manager, and
# the road taken, each as expected (issue 18); the two text trees of
# tests/fixtures/linux (dir road) against their facts.json; the split-/usr
# guest read across its partitions; `--backend direct` and the default
# road on an image holding no OS name every partition.
#
# Exit 77 when sfdisk or mke2fs is missing.
set -eu

. "$(dirname "$0")/lib-inspect.sh"
need sfdisk mke2fs python3 md5sum

# guest NAME facts...: builds NAME, inspects it, checks the facts
guest() {
	name=$1
	shift
	if ! sh "$src/tests/fixtures/linux/build-distro.sh" "$name" \
		"$tmp/$name.img" >"$tmp/$name.build" 2>&1; then
		fail "$name: build: $(cat "$tmp/$name.build")"
		return 0
	fi
	sum=$(sha256sum <"$tmp/$name.img")
	if ! "$imgfix" inspect --json "$tmp/$name.img" >"$tmp/$name.json" \
		2>"$tmp/$name.err"; then
		fail "$name: inspect failed: $(cat "$tmp/$name.err")"
		return 0
	fi
	check "$tmp/$name.json" image.road=direct image.road_reason=- "$@" \
		2>"$tmp/$name.diff" || fail "$name: $(cat "$tmp/$name.diff")"
	[ "$(sha256sum <"$tmp/$name.img")" = "$sum" ] ||
		fail "$name: inspection changed the image"
}

guest ubuntu2204 os.distro=ubuntu linux.family=debian os.version=22.04 \
	"os.product=Ubuntu 22.04.3 LTS" os.arch=x86_64 os.hostname=jammy-vm \
	linux.mountpoints=/ linux.package_format=deb \
	linux.package_manager=apt
# no os-release: lsb-release says Ubuntu, not debian_version's Debian
guest ubuntu1010 os.distro=ubuntu os.version=10.10 \
	"os.product=Ubuntu 10.10" os.arch=i386 os.hostname=maverick \
	linux.mountpoints=/ linux.package_format=deb
# rolling: no version
guest arch os.distro=arch linux.family=arch os.version=- \
	"os.product=Arch Linux" os.arch=x86_64 os.hostname=archie \
	linux.package_format=pacman linux.package_manager=pacman
guest opensuse os.distro=opensuse-leap linux.family=suse os.version=15.5 \
	"os.product=openSUSE Leap 15.5" os.arch=aarch64 \
	os.hostname=leap155.example.org linux.package_format=rpm \
	linux.package_manager=zypper
# /bin/sh -> /bin/busybox; CD-ROM, noauto, tmpfs entries are no mount
# points
guest alpine os.distro=alpine os.version=3.18 \
	"os.product=Alpine Linux v3.18" os.arch=x86_64 os.hostname=alpine318 \
	linux.mountpoints=/ linux.package_format=apk \
	linux.package_manager=apk
# no ELF binary: arch from the modules directory; hostname from
# sysconfig/network; Fedora before 22: yum
guest fedora14 os.distro=fedora linux.family=rhel os.version=14.0 \
	"os.product=Fedora release 14 (Laughlin)" os.arch=i386 \
	os.hostname=f14.example.com linux.package_format=rpm \
	linux.package_manager=yum
# os-release and /bin/bash are symlinks into the /usr partition
guest splitusr os.distro=fedora os.version=39.0 \
	"os.product=Fedora CoreOS 39.20231101.3.0" os.arch=x86_64 \
	os.hostname=coreos-node "linux.mountpoints=/ /boot /usr" \
	linux.package_format=rpm
# Debian: the minor version from debian_version; nothing says the arch
guest noarch os.distro=debian os.version=12.5 \
	"os.product=Debian GNU/Linux 12 (bookworm)" os.arch=- \
	os.hostname=nobin linux.package_manager=apt

# The text trees (dir road) against their facts.json.
for t in debian12 el9; do
	"$imgfix" inspect --json "$src/tests/fixtures/linux/$t" \
		>"$tmp/$t.json" 2>"$tmp/$t.err" ||
		fail "$t: inspect failed: $(cat "$tmp/$t.err")"
	check "$tmp/$t.json" "@$src/tests/fixtures/linux/$t.facts.json" \
		>"$tmp/$t.diff" 2>&1 || fail "$t: $(cat "$tmp/$t.diff")"
done

# No OS: the error names every partition and what it holds.
truncate -s 40M "$tmp/noos.img"
printf 'label: dos\nstart=2048, size=32768, type=83\n' |
	sfdisk -q "$tmp/noos.img" >/dev/null
mke2fs -q -F -t ext4 -E offset=1048576 "$tmp/noos.img" 16M >/dev/null
for b in "" "--backend direct"; do
	# shellcheck disable=SC2086
	if "$imgfix" inspect $b "$tmp/noos.img" >/dev/null 2>"$tmp/noos.err"; then
		fail "noos $b: inspect succeeded"
	fi
	grep -q "partition 1: ext4 (no OS on it)" "$tmp/noos.err" ||
		fail "noos $b: partitions not named: $(cat "$tmp/noos.err")"
done

# --key: a malformed one is a usage error that never echoes the key;
# several disks need the guestfs road, which --backend direct refuses.
rc=0
"$imgfix" inspect --key "s3cret-without-selector" "$tmp/noarch.img" \
	>/dev/null 2>"$tmp/key.err" || rc=$?
[ $rc -eq 2 ] || fail "--key without a selector: exit $rc, expected 2"
grep -q s3cret "$tmp/key.err" && fail "--key: the key is echoed"
grep -q "SELECTOR:key:KEY" "$tmp/key.err" ||
	fail "--key: no syntax hint: $(cat "$tmp/key.err")"
if "$imgfix" inspect --backend direct "$tmp/noarch.img" "$tmp/arch.img" \
	>/dev/null 2>"$tmp/two.err"; then
	fail "--backend direct with two disks succeeded"
fi
grep -q "several disks of one guest need the guestfs road" "$tmp/two.err" ||
	fail "two disks: $(cat "$tmp/two.err")"

# -vv: phase timings
"$imgfix" -vv inspect "$tmp/splitusr.img" >/dev/null 2>"$tmp/vv.err" ||
	fail "-vv inspect failed"
for phase in "open image" "inspect"; do
	grep -q "time: $phase [0-9.]* ms" "$tmp/vv.err" ||
		fail "-vv: no '$phase' timing: $(cat "$tmp/vv.err")"
done

finish "all Linux inspection checks passed"
