#!/usr/bin/env bash
# A live-captured Windows guest (issue 15): the corpus's real dirty Windows
# 10 1709 SYSTEM hive with its SYSTEM.LOG1/.LOG2 in an image.  Inspection
# reads the recovered registry; `imgfix fix -r kvm-virtio` exits 0 and
# writes SYSTEM back clean (equal sequence numbers, valid checksum) with the
# boot-start services of the recovered hive, the keys that were only in the
# logs, and viostor; the logs hold nothing that can be replayed any more; a
# second fix exits 3; rollback restores every byte.  Without its logs the
# same guest is refused (naming --force dirty-hive), nothing written.
. "$(dirname "$0")/lib.sh"
command -v ntfscat >/dev/null || skip "ntfscat missing"
store
cd "$tmp"

dirty=$IMGFIX_CORPUS/hives/win10-1709-dirty
mkdir hives
for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
	xz -dc "$dirty/$f.xz" >"hives/$f"
done
bash "$fixtures/build-hives.sh" win10 prof >/dev/null
cp prof/SOFTWARE hives/SOFTWARE
"$mkimage" -o orig.img --size 128M --hives hives --pe-arch x86_64 >/dev/null
orig=$(sha orig.img)
# the NTFS partition starts at 1 MiB
files() { dd if="$1" of=part.img bs=1M skip=1 status=none; }
guest() { ntfscat -f part.img "Windows/System32/config/$1"; }

# hdr FILE: "seq1 seq2 checksum-ok"
hdr() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read(512)
s = 0
for i in range(0, 508, 4):
    s ^= struct.unpack_from('<I', b, i)[0]
s = {0: 1, 0xffffffff: 0xfffffffe}.get(s, s)
print(*struct.unpack_from('<II', b, 4), s == struct.unpack_from('<I', b, 508)[0])
PY
}

# Inspection reads the recovered hive and says so.
"$imgfix" inspect --json orig.img >facts.json || fail "inspect failed"
[ "$(json_get facts.json 'j["guests"][0]["facts"]["windows.hive_dirty"]')" = true ] ||
	fail "windows.hive_dirty is not true"
[ "$(json_get facts.json 'j["guests"][0]["facts"]["windows.hive_recovered"]')" = true ] ||
	fail "windows.hive_recovered is not true"
json_get facts.json 'j["guests"][0]["facts"]["windows.hive_logs"]' |
	grep -q 'SYSTEM.LOG1 (4 entries.*SYSTEM.LOG2 (20 entries' ||
	fail "windows.hive_logs does not name both logs"
"$imgfix" inspect orig.img | grep -q hive_logs &&
	fail "windows.hive_logs shown without -v"
"$imgfix" -v inspect orig.img | grep -q 'windows.hive_logs' ||
	fail "windows.hive_logs not shown at -v"
# a key only the logs hold, read through IMAGE:NAME
[ "$("$imgfix" hive get orig.img:SYSTEM 'ControlSet001\Services\ad_driver' Start 2>/dev/null)" = 3 ] ||
	fail "hive get IMAGE:SYSTEM does not see the logs' keys"
# the recovered hive as a file, and its boot-start services
"$imgfix" hive recover orig.img:SYSTEM -o recovered 2>/dev/null ||
	fail "hive recover IMAGE:SYSTEM failed"
[ "$(hdr recovered)" = "2130 2130 True" ] || fail "recovered header: $(hdr recovered)"
"$imgfix" hive export recovered >recovered.reg
boot_services() { # REG: the services with Start=0, one per line
	awk '/^\[/{k=$0} /^"Start"=dword:00000000/{print k}' "$1" |
		sed -n 's/^\[.*\\ControlSet001\\Services\\\([^\\]*\)\]$/\1/p' | sort
}
boot_services recovered.reg >boot.before
[ "$(wc -l <boot.before)" -gt 5 ] || fail "too few boot services: $(cat boot.before)"

# The plan: the hive written back clean, then both logs reset.
cp orig.img img
"$imgfix" plan -r kvm-virtio -d store img >plan.txt || fail "plan failed"
grep -q 'recovered from its transaction logs' plan.txt || fail "plan does not say the hive is recovered"
[ "$(grep -c 'reset transaction log of the SYSTEM hive' plan.txt)" = 2 ] ||
	fail "plan does not reset both logs"
[ "$(sha img)" = "$orig" ] || fail "plan wrote to the image"

# The fix.
"$imgfix" --quiet fix -r kvm-virtio -d store img >/dev/null || fail "fix failed"
files img
guest SYSTEM >SYSTEM.after
guest SYSTEM.LOG1 >LOG1.after
guest SYSTEM.LOG2 >LOG2.after
read -r s1 s2 ok <<<"$(hdr SYSTEM.after)"
[ "$s1" = "$s2" ] && [ "$ok" = True ] && [ "$s1" -gt 2130 ] ||
	fail "SYSTEM after the fix is not clean: $s1 $s2 $ok"
"$imgfix" hive export SYSTEM.after >after.reg 2>/dev/null
boot_services after.reg >boot.after
comm -23 boot.before boot.after | grep . && fail "boot services lost by the fix"
grep -qx viostor boot.after || fail "viostor is not boot-start"
[ "$("$imgfix" hive get SYSTEM.after 'ControlSet001\Services\ad_driver' Start)" = 3 ] ||
	fail "the keys only the logs held are missing"
# the logs: a base block with the primary's sequence number, no entry
for l in LOG1 LOG2; do
	[ "$(stat -c %s "$l.after")" = 512 ] ||
		fail "SYSTEM.$l is not just a base block"
	[ "$(hdr "$l.after")" = "$s1 $s1 True" ] || fail "SYSTEM.$l base block: $(hdr "$l.after")"
done
# even with the primary dirty again, nothing can be replayed from them
mkdir redirty
python3 - SYSTEM.after redirty/SYSTEM <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<I', b, 4, struct.unpack_from('<I', b, 4)[0] + 1)
s = 0
for i in range(0, 508, 4):
    s ^= struct.unpack_from('<I', b, i)[0]
struct.pack_into('<I', b, 508, {0: 1, 0xffffffff: 0xfffffffe}.get(s, s))
open(sys.argv[2], 'wb').write(b)
PY
cp LOG1.after redirty/SYSTEM.LOG1
cp LOG2.after redirty/SYSTEM.LOG2
"$imgfix" hive recover redirty/SYSTEM -o redirty/out 2>redirty.err &&
	fail "reset logs replayed something"
grep -q 'SYSTEM.LOG1: no entry' redirty.err || fail "unexpected: $(cat redirty.err)"

# Second fix: nothing to do.
rc=0
"$imgfix" --quiet fix -r kvm-virtio -d store --backup again img >/dev/null 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "second fix exited $rc, expected 3"
rm -rf again

# Rollback: every byte back, the logs included.
"$imgfix" --quiet rollback img >/dev/null || fail "rollback failed"
[ "$(sha img)" = "$orig" ] || fail "rollback did not restore the image"

# Without its logs: reading warns, fixing is refused, nothing written.
rm hives/SYSTEM.LOG1 hives/SYSTEM.LOG2
"$mkimage" -o nologs.img --size 128M --hives hives --pe-arch x86_64 >/dev/null
nologs=$(sha nologs.img)
"$imgfix" inspect nologs.img >/dev/null 2>inspect.err || fail "inspect without logs failed"
grep -q 'SYSTEM hive .* is dirty: .*no transaction log' inspect.err ||
	fail "no warning about the missing logs: $(cat inspect.err)"
rc=0
"$imgfix" fix -r kvm-virtio -d store nologs.img >fix.out 2>fix.err || rc=$?
[ $rc -eq 1 ] || fail "fix without logs exited $rc"
grep -q 'dirty-hive' fix.out fix.err || fail "the refusal does not name --force dirty-hive"
grep -q 'would be lost' fix.out fix.err || fail "the refusal does not say what is at risk"
[ "$(sha nologs.img)" = "$nologs" ] || fail "a refused fix wrote to the image"
# --force dirty-hive: written, clean
"$imgfix" --quiet fix -r kvm-virtio -d store --force dirty-hive nologs.img >/dev/null ||
	fail "fix --force dirty-hive failed"
files nologs.img
guest SYSTEM >SYSTEM.forced
read -r s1 s2 ok <<<"$(hdr SYSTEM.forced)"
[ "$s1" = "$s2" ] && [ "$ok" = True ] || fail "forced SYSTEM is not clean"
"$imgfix" --quiet rollback nologs.img >/dev/null || fail "rollback (forced) failed"
[ "$(sha nologs.img)" = "$nologs" ] || fail "rollback (forced) did not restore the image"
echo "dirty hive: recovered, fixed clean, logs reset, second fix 3, rollback exact"
