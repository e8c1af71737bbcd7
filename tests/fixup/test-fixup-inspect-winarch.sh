#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-fixup-inspect-winarch.sh: the architecture of a 32-bit Windows guest
# without ntoskrnl.exe (issue 18), on xp-sp3-x86 images built at test time:
#
#   - no PE binary, PROCESSOR_ARCHITECTURE=x86 in the hive: os.arch i386;
#   - PROCESSOR_ARCHITECTURE removed, an i386 System32/cmd.exe: i386 from
#     the PE header;
#   - neither: no os.arch (never guessed), a warning, and `plan` / `fix -r
#     kvm-virtio` blocked with a message naming os.arch, the image
#     unchanged;
#   - os.hostname from Tcpip\Parameters, windows.drive.C = partition 1 on
#     the disk MountedDevices describes (signature 4D2C6E1F, sector 63).
#
# Exit 77 when the corpus (seed hive), hivexregedit, mkntfs or sfdisk is
# missing.
set -eu

. "$(dirname "$0")/lib-inspect.sh"
corpus=${IMGFIX_CORPUS:-$src/../shared/corpus}
mkimage=$build/tests/fixtures/mkimage
[ -f "$corpus/hives/seed/minimal" ] || skip "corpus not found"
need mkntfs sfdisk hivexregedit python3

sh "$src/tests/fixtures/build-hives.sh" xp-sp3-x86 "$tmp/h.all" >/dev/null
mkdir -p "$tmp/env" "$tmp/noenv"
cp "$tmp/h.all/SYSTEM" "$tmp/h.all/SOFTWARE" "$tmp/env/"
cp "$tmp/h.all/SYSTEM" "$tmp/h.all/SOFTWARE" "$tmp/noenv/"
cat >"$tmp/noenv.reg" <<'EOF'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Session Manager\Environment]
"PROCESSOR_ARCHITECTURE"=-
EOF
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' \
	"$tmp/noenv/SYSTEM" "$tmp/noenv.reg"

# An i386 PE header: MZ, e_lfanew 0x40, "PE\0\0", Machine 0x014c.
{
	printf 'MZ'
	head -c 58 /dev/zero
	printf '\100\000\000\000PE\000\000\114\001'
	head -c 442 /dev/zero
} >"$tmp/cmd.exe"

# img NAME HIVES [mkimage args]: xp layout (signature, sector 63)
img() {
	n=$1 h=$2
	shift 2
	"$mkimage" -o "$tmp/$n.img" --size 64M --offset 32256 \
		--signature 4D2C6E1F --hives "$tmp/$h" "$@" >"$tmp/$n.mk" 2>&1 ||
		{
			fail "$n: mkimage: $(cat "$tmp/$n.mk")"
			return 1
		}
}

# facts IMG name=value...: (name=- : absent)
facts() {
	i=$1
	shift
	"$imgfix" inspect --json "$tmp/$i.img" >"$tmp/$i.json" 2>"$tmp/$i.err" || {
		fail "$i: inspect failed: $(cat "$tmp/$i.err")"
		return 0
	}
	check "$tmp/$i.json" "$@" >"$tmp/$i.diff" 2>&1 ||
		fail "$i: $(cat "$tmp/$i.diff")"
}

img env env && facts env os.arch=i386 os.hostname=xp-sp3-x86 \
	"windows.drive.C=partition 1" image.road=direct
img cmd noenv --mkdir /Windows/System32 --put "$tmp/cmd.exe:/Windows/System32/cmd.exe" &&
	facts cmd os.arch=i386
img none noenv && facts none os.arch=-
grep -q "architecture unknown" "$tmp/none.err" ||
	fail "none: no warning about the architecture: $(cat "$tmp/none.err")"

# Unknown arch: every arch-specific action blocks, naming os.arch.
sum=$(sha256sum <"$tmp/none.img")
for cmd in plan fix; do
	if "$imgfix" "$cmd" -r kvm-virtio "$tmp/none.img" >"$tmp/$cmd.out" \
		2>"$tmp/$cmd.err"; then
		fail "$cmd: succeeded on an unknown architecture"
	fi
	grep -q "os.arch is unknown" "$tmp/$cmd.out" "$tmp/$cmd.err" ||
		fail "$cmd: no problem naming os.arch: $(cat "$tmp/$cmd.out" "$tmp/$cmd.err")"
	grep -q "amd64" "$tmp/$cmd.out" &&
		fail "$cmd: an amd64 driver is still planned: $(cat "$tmp/$cmd.out")"
done
[ "$(sha256sum <"$tmp/none.img")" = "$sum" ] ||
	fail "the image changed under a blocked plan/fix"

finish "all Windows architecture checks passed"
