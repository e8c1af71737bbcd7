#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `imgfix hive` end to end: export, get, set and diff on phony hives built
# from the corpus seed with hivexregedit, plus IMAGE:NAME through a
# directory image.  Usage: test-hive-cli.sh PATH-TO-IMGFIX
set -u

imgfix=$1
seed=${IMGFIX_CORPUS:-}/hives/seed/minimal
if [ -z "${IMGFIX_CORPUS:-}" ] || [ ! -f "$seed" ]; then
	echo "SKIP: corpus seed hive not found" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-hive-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect STATUS CMD... : runs CMD, stdout to $tmp/out, stderr to $tmp/err.
expect() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "exit $got (want $want): $*"
		sed 's/^/  stderr: /' "$tmp/err" >&2
	fi
}

out_is() {
	printf '%s\n' "$1" >"$tmp/want"
	if ! cmp -s "$tmp/want" "$tmp/out"; then
		fail "output differs for: $2"
		diff -u "$tmp/want" "$tmp/out" >&2
	fi
}

err_has() {
	grep -q -- "$1" "$tmp/err" || fail "stderr lacks '$1': $(cat "$tmp/err")"
}

cp "$seed" "$tmp/SYSTEM" && chmod 644 "$tmp/SYSTEM"
cat >"$tmp/base.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\Select]
"Current"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001]

[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services]

[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\disk]
"Start"=dword:00000000
"Group"="SCSI miniport"
REG
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$tmp/SYSTEM" \
	"$tmp/base.reg" || exit 1
cp "$tmp/SYSTEM" "$tmp/ORIG"

# ---- set (every type) and get -------------------------------------------
s='ControlSet001\Services\viostor'
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Type dword 1
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Start dword 0x0
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Group sz "SCSI miniport"
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" ImagePath expand_sz \
	'System32\drivers\viostor.sys'
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Owners multi_sz a.inf b.inf
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Q qword 18446744073709551615
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Bin binary 'de,ad,be,ef'
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" Nothing none
expect 0 "$imgfix" hive set "$tmp/SYSTEM" "$s" "" sz "the default"
[ "$(stat -c %a "$tmp/SYSTEM")" = 644 ] || fail "set changed the file mode"
ls -A "$tmp" | grep -q '^\.SYSTEM\.imgfix' && fail "temp file left behind"

expect 0 "$imgfix" hive get "$tmp/SYSTEM" 'CONTROLSET001\services\VIOSTOR' start
out_is 0 "get dword"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" "$s" Group
out_is "SCSI miniport" "get sz"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" "$s" Owners
out_is "a.inf
b.inf" "get multi_sz"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" "$s" Q
out_is 18446744073709551615 "get qword"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" "$s" Bin
out_is "de ad be ef" "get binary"
expect 0 "$imgfix" hive get --reg "$tmp/SYSTEM" "$s" ImagePath
out_is '"ImagePath"=hex(2):53,00,79,00,73,00,74,00,65,00,6d,00,33,00,32,00,5c,00,64,00,\
  72,00,69,00,76,00,65,00,72,00,73,00,5c,00,76,00,69,00,6f,00,73,00,74,00,6f,\
  00,72,00,2e,00,73,00,79,00,73,00,00,00' "get --reg expand_sz"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" "$s" ""
out_is "the default" "get default value"
expect 0 "$imgfix" hive get "$tmp/SYSTEM" 'ControlSet001\Services'
out_is '[ControlSet001\Services]
; subkey disk
; subkey viostor' "get key"

# ---- export -----------------------------------------------------------------
expect 0 "$imgfix" hive export --prefix 'HKLM\X' "$tmp/SYSTEM" \
	'controlset001\services\disk'
out_is 'Windows Registry Editor Version 5.00

[HKLM\X\ControlSet001\Services\disk]
"Group"="SCSI miniport"
"Start"=dword:00000000
' "export KEY"
expect 0 "$imgfix" hive export "$tmp/ORIG"
out_is 'Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\ORIG]

[HKEY_LOCAL_MACHINE\ORIG\ControlSet001]

[HKEY_LOCAL_MACHINE\ORIG\ControlSet001\Services]

[HKEY_LOCAL_MACHINE\ORIG\ControlSet001\Services\disk]
"Group"="SCSI miniport"
"Start"=dword:00000000

[HKEY_LOCAL_MACHINE\ORIG\Select]
"Current"=dword:00000001
' "export whole hive"

# ---- diff -------------------------------------------------------------------
expect 0 "$imgfix" hive set "$tmp/SYSTEM" 'ControlSet001\Services\disk' \
	Start dword 3
expect 1 "$imgfix" hive diff --exit-code --prefix 'HKLM\S' "$tmp/ORIG" \
	"$tmp/SYSTEM"
out_is 'Windows Registry Editor Version 5.00

; was: "Start"=dword:00000000
[HKLM\S\ControlSet001\Services\disk]
"Start"=dword:00000003

[HKLM\S\ControlSet001\Services\viostor]
@="the default"
"Bin"=hex:de,ad,be,ef
"Group"="SCSI miniport"
"ImagePath"=hex(2):53,00,79,00,73,00,74,00,65,00,6d,00,33,00,32,00,5c,00,64,00,\
  72,00,69,00,76,00,65,00,72,00,73,00,5c,00,76,00,69,00,6f,00,73,00,74,00,6f,\
  00,72,00,2e,00,73,00,79,00,73,00,00,00
"Nothing"=hex(0):
"Owners"=hex(7):61,00,2e,00,69,00,6e,00,66,00,00,00,62,00,2e,00,69,00,6e,00,66,\
  00,00,00,00,00
"Q"=hex(b):ff,ff,ff,ff,ff,ff,ff,ff
"Start"=dword:00000000
"Type"=dword:00000001
' "diff"
expect 0 "$imgfix" hive diff --exit-code "$tmp/ORIG" "$tmp/ORIG"
out_is 'Windows Registry Editor Version 5.00
' "diff of identical hives"

# ---- refusals and errors ------------------------------------------------------
# A dirty hive (sequence numbers differ, checksum kept valid) is refused.
cp "$tmp/ORIG" "$tmp/DIRTY"
python3 - "$tmp/DIRTY" <<'PY' || exit 1
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
struct.pack_into('<I', b, 8, struct.unpack_from('<I', b, 4)[0] + 1)
s = 0
for i in range(0, 0x1fc, 4):
    s ^= struct.unpack_from('<I', b, i)[0]
struct.pack_into('<I', b, 0x1fc, s)
open(p, 'wb').write(b)
PY
cp "$tmp/DIRTY" "$tmp/DIRTY.orig"
expect 3 "$imgfix" hive set "$tmp/DIRTY" K v dword 1
err_has "is dirty"
cmp -s "$tmp/DIRTY" "$tmp/DIRTY.orig" || fail "dirty hive was modified"
expect 0 "$imgfix" hive get "$tmp/DIRTY" Select Current
err_has "dirty"
out_is 1 "get on a dirty hive"

expect 1 "$imgfix" hive get "$tmp/SYSTEM" 'No\Such\Key' v
err_has "not found"
expect 1 "$imgfix" hive get "$tmp/SYSTEM" Select Missing
err_has "not found"
expect 2 "$imgfix" hive set "$tmp/SYSTEM" K v wordy 1
expect 2 "$imgfix" hive set "$tmp/SYSTEM" K v dword notanumber
expect 2 "$imgfix" hive set "$tmp/SYSTEM" K v binary xyz
expect 2 "$imgfix" hive bogus
expect 2 "$imgfix" hive get "$tmp/SYSTEM"
head -c 20000 /dev/urandom >"$tmp/garbage"
expect 1 "$imgfix" hive export "$tmp/garbage"
err_has "not a registry hive"
: >"$tmp/empty"
expect 1 "$imgfix" hive get "$tmp/empty" Select Current
err_has "empty"
expect 0 "$imgfix" hive --help
expect 0 "$imgfix" hive set --help

# ---- IMAGE:NAME through a directory image -------------------------------------
mkdir -p "$tmp/img/WINDOWS/system32/CONFIG" "$tmp/img/Boot"
cp "$tmp/SYSTEM" "$tmp/img/WINDOWS/system32/CONFIG/system"
expect 0 "$imgfix" hive get "$tmp/img:SYSTEM" 'ControlSet001\Services\disk' \
	Start
out_is 3 "get IMAGE:SYSTEM"
expect 0 "$imgfix" hive export "$tmp/img:system" Select
out_is 'Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\Select]
"Current"=dword:00000001
' "export IMAGE:NAME"
expect 0 "$imgfix" hive diff --exit-code "$tmp/img:SYSTEM" "$tmp/SYSTEM"
# set on IMAGE:NAME goes through the journal; rollback undoes it
cp "$tmp/img/WINDOWS/system32/CONFIG/system" "$tmp/system.before"
expect 0 "$imgfix" hive set "$tmp/img:SYSTEM" K v dword 1
err_has "journal in"
expect 0 "$imgfix" hive get "$tmp/img:SYSTEM" K v
out_is 1 "get after set IMAGE:SYSTEM"
expect 3 "$imgfix" hive set "$tmp/img:SYSTEM" K v dword 1
expect 0 "$imgfix" rollback "$tmp/img"
cmp -s "$tmp/system.before" "$tmp/img/WINDOWS/system32/CONFIG/system" ||
	fail "rollback of hive set IMAGE:SYSTEM did not restore the hive"
expect 1 "$imgfix" hive get "$tmp/img:SOFTWARE" K v
err_has "No SOFTWARE hive found"
mkdir -p "$tmp/img/EFI/Microsoft/Boot"
cp "$IMGFIX_CORPUS/hives/bcd/phony-uefi-BCD" "$tmp/img/EFI/Microsoft/Boot/BCD"
expect 0 "$imgfix" hive get "$tmp/img:BCD" Description KeyName
out_is BCD00000000 "get IMAGE:BCD"

if [ "$fails" -gt 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all imgfix hive checks passed"
