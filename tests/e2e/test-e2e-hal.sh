#!/usr/bin/env bash
# NT5 HAL/kernel swap through `imgfix fix` (WINDOWS.md §1.4): an XP SP3 guest
# (ACPI multiprocessor HAL, kernel 5.1.2600.5512) and a patch cache of
# mingw-built HAL/kernel files at that version.  Non-destructive: new 8.3
# names in System32 and a first boot.ini entry with /kernel= /hal=, the
# original kept.  Replace: hal.dll overwritten, the HAL HardwareID in the
# registry updated.  ACPI -> non-ACPI (KB309283) refused, nothing written.
# Rollback restores every byte.
. "$(dirname "$0")/lib.sh"
command -v ntfscat >/dev/null || skip "ntfscat missing"
cd "$tmp"

bash "$fixtures/build-hives.sh" xp-sp3-x86 physical h >/dev/null
rm -f h/facts.json
sh "$src/tests/patchcache/mkpe.sh" pe i386 5.1.2600.5512 ntoskrnl.exe \
	ntkrnlpa.exe ntkrnlmp.exe ntkrpamp.exe hal.dll halaacpi.dll \
	halmacpi.dll halacpi.dll >/dev/null || skip "mingw-w64 binutils missing"
"$imgfix" patchcache add -p cache pe >/dev/null || fail "patchcache add"
printf '[boot loader]\r\ntimeout=30\r\ndefault=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n[operating systems]\r\nmulti(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Microsoft Windows XP Professional" /fastdetect\r\n' >boot.ini
"$mkimage" -o xp.img --size 128M --offset 32256 --signature 4d2c6e1f \
	--hives h --put pe/ntoskrnl.exe:/Windows/System32/ntoskrnl.exe \
	--put pe/halmacpi.dll:/Windows/System32/hal.dll \
	--put boot.ini:/boot.ini --attr /boot.ini:rhs >/dev/null
cp xp.img xp.orig

rule() { # HAL MODE
	cat >"hal-$1-$2.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ruleset name="hal-$1-$2" os="windows">
  <description>HAL swap</description>
  <rule id="swap">
    <description>to $1</description>
    <swap-hal hal="$1" mode="$2"/>
  </rule>
</ruleset>
XML
	echo "./hal-$1-$2.xml"
}
files() { dd if=xp.img of=part.img bs=512 skip=63 status=none; }

# Non-destructive.
"$imgfix" --quiet fix -r "$(rule acpiapic_up non-destructive)" -p cache \
	xp.img >/dev/null || fail "non-destructive swap failed"
files
ntfscat -f part.img boot.ini >b1
head -5 b1 | grep -q '^multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=".*" /kernel=[A-Za-z0-9]*\.exe /hal=halaacpi\.dll' ||
	fail "no first boot.ini entry with /kernel= /hal=: $(cat b1)"
grep -q 'Microsoft Windows XP Professional" /fastdetect' b1 ||
	fail "the original boot.ini entry was not kept"
k=$(sed -n 's/.*\/kernel=\([A-Za-z0-9]*\.exe\).*/\1/p' b1 | head -1)
ntfscat -f part.img "Windows/System32/$k" | cmp -s - pe/ntoskrnl.exe ||
	fail "kernel $k not copied"
ntfscat -f part.img Windows/System32/halaacpi.dll | cmp -s - pe/halaacpi.dll ||
	fail "halaacpi.dll not copied"
"$imgfix" --quiet rollback xp.img || fail "rollback failed"
cmp -s xp.img xp.orig || fail "image differs after rollback"

# Replace.
"$imgfix" --quiet fix -r "$(rule acpiapic_up replace)" -p cache xp.img \
	>/dev/null || fail "replace swap failed"
files
ntfscat -f part.img Windows/System32/hal.dll | cmp -s - pe/halaacpi.dll ||
	fail "hal.dll not replaced by halaacpi.dll"
id=$("$imgfix" hive get xp.img:SYSTEM \
	'ControlSet001\Enum\Root\ACPI_HAL\0000' HardwareID | head -1)
[ "$id" = acpiapic_up ] || fail "HAL HardwareID is '$id'"
"$imgfix" --quiet rollback xp.img || fail "rollback failed"
cmp -s xp.img xp.orig || fail "image differs after rollback"

# ACPI -> non-ACPI refused.
rc=0
"$imgfix" fix -r "$(rule e_isa_up non-destructive)" -p cache xp.img \
	>out 2>err || rc=$?
[ $rc -eq 1 ] || fail "ACPI -> non-ACPI: exit $rc"
grep -q "KB309283" out err || fail "no KB309283 in the refusal"
cmp -s xp.img xp.orig || fail "a refused swap wrote to the image"
echo "HAL swap: non-destructive, replace, refusal; rollbacks byte-identical"
