#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-fixup-inspect-images.sh: end-to-end `imgfix inspect` on raw disk
# images built at test time (tests/fixtures/build-hives.sh for the hives,
# tests/fixtures/mkimage for the image, populated through imgfix's own
# ntfs3g backend):
#
#   - every fixture profile, alone and with a source-platform overlay:
#     `inspect --json` must report every fact of the profile's facts.json;
#   - MBR and GPT (+ESP -> firmware uefi), partition offsets 1 MiB,
#     32256 B (63 sectors) and 100 MiB;
#   - the real Windows 10 19041 SYSTEM hive of the corpus: ControlSet001,
#     x86_64 from Session Manager\Environment (no ntoskrnl.exe), driver
#     database, 700+ service.*.start facts;
#   - the Linux fixture tree (dir backend);
#   - bad input, each a clear error, exit status 1 and the image's sha256
#     unchanged: truncated image, partition table past EOF, zeroed NTFS
#     boot sector, non-hive SYSTEM, hibernated volume, NTFS dirty flag,
#     BitLocker signature, no OS, dir root with a symlink escaping it.
#
# Exit 77 when the corpus or mkntfs/sfdisk is missing.

set -eu

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
corpus=${IMGFIX_CORPUS:-$src/../shared/corpus}
imgfix=$build/fixup/imgfix
mkimage=$build/tests/fixtures/mkimage
hives=$src/tests/fixtures/build-hives.sh

skip() {
	echo "SKIP: $*"
	exit 77
}
[ -f "$corpus/hives/seed/minimal" ] || skip "corpus not found ($corpus)"
for t in mkntfs sfdisk hivexregedit python3 xz; do
	command -v $t >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$mkimage" ] || skip "$mkimage not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-fixup-inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# check_facts JSON EXPECTED.json [extra expected name=value...]
# Every expected fact must be in the first guest's facts with that value.
check_facts() {
	python3 - "$@" <<'EOF'
import json, sys
out = json.load(open(sys.argv[1]))
exp = json.load(open(sys.argv[2])) if sys.argv[2] != "-" else {}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    exp[k] = v
g = out["guests"]
if len(g) != 1:
    sys.exit("expected 1 guest, got %d" % len(g))
facts = g[0]["facts"]
bad = ["%s: expected %r, got %r" % (k, v, facts.get(k))
       for k, v in sorted(exp.items()) if facts.get(k) != v]
if bad:
    sys.exit("\n".join(bad))
EOF
}

# image NAME PROFILE-DIR MKIMAGE-ARGS...: builds tmp/NAME.img from hives
image() {
	name=$1 hdir=$2
	shift 2
	arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("os.arch",""))' "$hdir.all/facts.json")
	pe=""
	[ -n "$arch" ] && pe="--pe-arch $arch"
	# shellcheck disable=SC2086
	"$mkimage" -o "$tmp/$name.img" --hives "$hdir" $pe "$@" \
		>"$tmp/$name.mk.log" 2>&1 ||
		{ cat "$tmp/$name.mk.log" >&2; return 1; }
}

# inspect_ok NAME EXPECTED [facts...]
inspect_ok() {
	name=$1 exp=$2
	shift 2
	if ! "$imgfix" inspect --json "$tmp/$name.img" >"$tmp/$name.json" \
		2>"$tmp/$name.err"; then
		fail "$name: imgfix inspect failed: $(cat "$tmp/$name.err")"
		return 0
	fi
	check_facts "$tmp/$name.json" "$exp" "$@" 2>"$tmp/$name.diff" ||
		fail "$name: $(cat "$tmp/$name.diff")"
}

# hives_for OUTDIR PROFILE [OVERLAY]: OUTDIR gets SYSTEM and SOFTWARE,
# OUTDIR.all/facts.json the expected facts
hives_for() {
	out=$1
	shift
	sh "$hives" "$@" "$out.all" >/dev/null
	mkdir -p "$out"
	cp "$out.all/SYSTEM" "$out.all/SOFTWARE" "$out/"
}

# ---- every profile, alone and with one overlay ------------------------------
overlays=$(ls "$src/tests/fixtures/overlays")
set -- $overlays
n_over=$#
i=0
for p in $(ls "$src/tests/fixtures/profiles"); do
	hives_for "$tmp/h-$p" "$p"
	image "$p" "$tmp/h-$p" --size 64M
	inspect_ok "$p" "$tmp/h-$p.all/facts.json" disk.style=mbr firmware=bios \
		windows.systemroot='\Windows'

	# one overlay per profile, rotating, so each overlay meets several
	k=$((i % n_over + 1))
	o=$(echo $overlays | cut -d' ' -f$k)
	hives_for "$tmp/h-$p-$o" "$p" "$o"
	image "$p-$o" "$tmp/h-$p-$o" --size 64M
	inspect_ok "$p-$o" "$tmp/h-$p-$o.all/facts.json"
	i=$((i + 1))
done

# ---- MBR/GPT and partition offsets (win10 + every overlay) ------------------
for o in $overlays; do
	[ -d "$tmp/h-win10-$o" ] || hives_for "$tmp/h-win10-$o" win10 "$o"
done
image gpt-1m "$tmp/h-win10-vmware" --size 128M --table gpt --esp
inspect_ok gpt-1m "$tmp/h-win10-vmware.all/facts.json" disk.style=gpt \
	firmware=uefi
image gpt-63 "$tmp/h-win10-xen" --size 64M --table gpt --offset 32256
inspect_ok gpt-63 "$tmp/h-win10-xen.all/facts.json" disk.style=gpt firmware=bios
image mbr-63 "$tmp/h-win10-virtualbox" --size 64M --offset 32256
inspect_ok mbr-63 "$tmp/h-win10-virtualbox.all/facts.json" disk.style=mbr
image mbr-100m "$tmp/h-win10-physical" --size 200M --offset 100M
inspect_ok mbr-100m "$tmp/h-win10-physical.all/facts.json" disk.style=mbr
image gpt-100m "$tmp/h-win10-physical" --size 200M --table gpt \
	--offset 100M --esp
inspect_ok gpt-100m "$tmp/h-win10-physical.all/facts.json" disk.style=gpt \
	firmware=uefi

# ---- the real Windows 10 SYSTEM hive ----------------------------------------
mkdir -p "$tmp/h-real"
xz -dc "$corpus/hives/win10-19041/SYSTEM.xz" >"$tmp/h-real/SYSTEM"
cp "$tmp/h-win10/SOFTWARE" "$tmp/h-real/SOFTWARE"
"$mkimage" -o "$tmp/real.img" --size 128M --hives "$tmp/h-real" \
	>"$tmp/real.mk.log" 2>&1 || { cat "$tmp/real.mk.log" >&2; exit 1; }
if "$imgfix" inspect --json "$tmp/real.img" >"$tmp/real.json" 2>"$tmp/real.err"; then
	check_facts "$tmp/real.json" - windows.control_set=ControlSet001 \
		os.arch=x86_64 windows.driver_database=true \
		windows.hive_dirty=false 2>"$tmp/real.diff" ||
		fail "real win10 hive: $(cat "$tmp/real.diff")"
	n=$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["guests"][0]["facts"]; print(sum(1 for k in f if k.startswith("service.") and k.endswith(".start")))' "$tmp/real.json")
	[ "$n" -ge 700 ] || fail "real win10 hive: only $n service facts"
	echo "real win10 hive: $n service.*.start facts"
else
	fail "real win10 hive: $(cat "$tmp/real.err")"
fi

# ---- human-readable summary; a read-only inspection writes nothing ---------
before=$(sha256sum "$tmp/win10.img" | cut -d' ' -f1)
"$imgfix" inspect "$tmp/win10.img" >"$tmp/summary.txt" 2>&1 ||
	fail "summary: exit $?"
[ "$before" = "$(sha256sum "$tmp/win10.img" | cut -d' ' -f1)" ] ||
	fail "inspect changed win10.img"
grep -q "^Guest on partition 1: Windows 10" "$tmp/summary.txt" ||
	fail "summary: $(cat "$tmp/summary.txt")"

# ---- the Linux fixtures (dir backend) ---------------------------------------
# os.version is major.minor (inspect.h): an expected "12" is "12.0".
for exp in "$src"/tests/fixtures/linux/*.facts.json; do
	[ -e "$exp" ] || continue
	lin=${exp%.facts.json}
	name=linux-$(basename "$lin")
	ver=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get("os.version",""); print(v if "." in v or not v else v+".0")' "$exp")
	if "$imgfix" inspect --json "$lin" >"$tmp/$name.json" 2>"$tmp/$name.err"; then
		check_facts "$tmp/$name.json" "$exp" os.version="$ver" \
			2>"$tmp/$name.diff" || fail "$name: $(cat "$tmp/$name.diff")"
	else
		fail "$name: $(cat "$tmp/$name.err")"
	fi
done

# ---- bad input ---------------------------------------------------------------
# bad NAME PATTERN: inspect must fail (exit 1) with PATTERN in the message
# and leave the image byte-for-byte unchanged.
bad() {
	name=$1 pattern=$2 target=$tmp/$1.img
	[ -e "$target" ] || target=$tmp/$1
	before=$(sha256sum "$target" 2>/dev/null | cut -d' ' -f1 || true)
	set +e
	"$imgfix" inspect --json "$target" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	set -e
	after=$(sha256sum "$target" 2>/dev/null | cut -d' ' -f1 || true)
	[ "$rc" -eq 1 ] || fail "$name: exit status $rc, expected 1"
	grep -q "$pattern" "$tmp/$name.err" ||
		fail "$name: message lacks '$pattern': $(cat "$tmp/$name.err")"
	[ "$before" = "$after" ] || fail "$name: image changed"
	printf '%s: %s\n' "$name" "$(cat "$tmp/$name.err")"
}

cp "$tmp/win10.img" "$tmp/truncated.img"
truncate -s 20M "$tmp/truncated.img"
bad truncated "beyond the end of the image"

cp "$tmp/win10.img" "$tmp/pastend.img"
# MBR entry 1 size (LE32 at 0x1CA) := 0x10000000 sectors (128 GiB)
printf '\000\000\000\020' |
	dd of="$tmp/pastend.img" bs=1 seek=458 conv=notrunc status=none
bad pastend "partition 1 .* extends beyond the end"

cp "$tmp/win10.img" "$tmp/zeroboot.img"
dd if=/dev/zero of="$tmp/zeroboot.img" bs=512 seek=2048 count=1 \
	conv=notrunc status=none
bad zeroboot "no filesystem found"

printf 'this is not a registry hive\n' >"$tmp/nothive.txt"
"$mkimage" -o "$tmp/nothive.img" --size 64M \
	--put "$tmp/nothive.txt:/Windows/System32/config/SYSTEM" \
	>/dev/null 2>&1 || fail "nothive: mkimage"
bad nothive "SYSTEM is not a readable registry hive"

image hibernated "$tmp/h-win10" --size 64M --hiberfil
bad hibernated "hibernated"

image dirty "$tmp/h-win10" --size 64M --dirty
bad dirty "marked dirty"

cp "$tmp/win10.img" "$tmp/bitlocker.img"
printf -- '-FVE-FS-' |
	dd of="$tmp/bitlocker.img" bs=1 seek=$((1048576 + 3)) conv=notrunc \
		status=none
bad bitlocker "BitLocker"

"$mkimage" -o "$tmp/noos.img" --size 64M --mkdir /Users >/dev/null 2>&1 ||
	fail "noos: mkimage"
bad noos "no operating system found"

mkdir -p "$tmp/escape/etc"
printf 'ID=host\n' >"$tmp/escape-secret"
ln -s ../../escape-secret "$tmp/escape/etc/os-release"
bad escape "outside the guest root"

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "all image inspection checks passed"
