#!/usr/bin/env bash
# End to end, NT5 P2V onto generic IDE (generic-ide, WINDOWS.md §1.2 and
# §3): an XP SP3 image on a disk with a new signature and a 1 MiB partition
# offset, boot.ini naming the old disk with signature(), IDE drivers only in
# the patch cache.  After the fix: boot.ini uses multi() ARC paths and keeps
# its attributes, MountedDevices names the new disk, the NTFS boot sector
# has XP's head count, the IDE drivers are in System32\drivers at the
# cache's version; rollback restores the image byte for byte.
. "$(dirname "$0")/lib.sh"
command -v ntfscat >/dev/null || skip "ntfscat missing"
cd "$tmp"

bash "$fixtures/build-hives.sh" xp-sp3-x86 physical h >/dev/null
rm -f h/facts.json
printf '[boot loader]\r\ntimeout=30\r\ndefault=signature(4d2c6e1f)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n[operating systems]\r\nsignature(4d2c6e1f)disk(0)rdisk(0)partition(1)\\WINDOWS="Microsoft Windows XP Professional" /noexecute=optin /fastdetect\r\n' >boot.ini
"$mkimage" -o xp.img --size 128M --offset 1048576 --signature 89abcdef \
	--hives h --pe-arch i386 --put boot.ini:/boot.ini \
	--attr /boot.ini:rhs >/dev/null
cp xp.img xp.orig

# Without the IDE drivers the fix is blocked and writes nothing.
rc=0
"$imgfix" --quiet fix -r generic-ide xp.img >/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "fix without the IDE drivers: exit $rc"
cmp -s xp.img xp.orig || fail "a blocked fix wrote to the image"

# The patch cache: IDE drivers at XP SP3's version (mingw-built PE files).
sh "$src/tests/patchcache/mkpe.sh" pe i386 5.1.2600.5512 atapi.sys \
	intelide.sys pciide.sys pciidex.sys >/dev/null ||
	skip "mingw-w64 binutils missing"
"$imgfix" patchcache add -p cache pe >/dev/null || fail "patchcache add"

"$imgfix" fix --json -r generic-ide -p cache xp.img >fix.json ||
	fail "fix failed: $(cat fix.json)"

dd if=xp.img of=part.img bs=1M skip=1 status=none
ntfscat -f part.img boot.ini >boot.after 2>/dev/null || fail "no boot.ini"
grep -q '^default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS' boot.after ||
	fail "boot.ini default not rewritten: $(cat boot.after)"
! grep -q 'signature(' boot.after || fail "boot.ini still has signature()"
attrs=$(ntfsinfo -F /boot.ini part.img 2>/dev/null | grep 'File attributes' |
	head -1)
case "$attrs" in
*READONLY*HIDDEN*SYSTEM*) ;;
*) fail "boot.ini lost its attributes: $attrs" ;;
esac
for f in atapi intelide pciide pciidex; do
	ntfscat -f part.img "Windows/System32/drivers/$f.sys" | cmp -s - "pe/$f.sys" ||
		fail "$f.sys not copied from the cache"
done
c=$("$imgfix" hive get xp.img:SYSTEM MountedDevices '\DosDevices\C:')
case "$c" in
ef,cd,ab,89,00,00,10,00* | "ef cd ab 89 00 00 10 00"* | efcdab8900001000*) ;;
*) fail "MountedDevices C: is $c, not the new disk at 1 MiB" ;;
esac
heads=$(od -An -tu2 -j26 -N2 part.img | tr -d ' ')
[ "$heads" = 64 ] || fail "NTFS heads $heads, expected 64 for a 128 MiB disk"
hidden=$(od -An -tu4 -j28 -N4 part.img | tr -d ' ')
[ "$hidden" = 2048 ] || fail "hidden sectors $hidden"

"$imgfix" --quiet rollback xp.img || fail "rollback failed"
cmp -s xp.img xp.orig || fail "image differs after rollback"
echo "NT5 generic IDE: boot.ini, MountedDevices, geometry, drivers; rollback ok"
