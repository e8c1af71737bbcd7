#!/usr/bin/env bash
# Side by side (issue 9): virt-v2v-in-place -i disk (Debian's virt-v2v 2.2)
# and `imgfix fix -r kvm-virtio` on fresh copies of one Windows 10 GPT image
# holding the real 19041 SYSTEM hive, alternating, with a virtio-win-shaped
# store as VIRTIO_WIN (and fake virt-tools data, as virt-v2v's own tests
# do).  Prints both medians and the ratio, then compares the two results'
# SYSTEM hives: every boot-relevant key and value virt-v2v writes must be in
# imgfix's result (its DriverDatabase package label normalised: virt-v2v
# writes guestor.inf_tmp, imgfix <inf>_<arch>_<hash>).
# Then the size scaling of the fix (1G, 64G, 2T) and the throughput benches.
# Not part of the default test run (minutes per virt-v2v conversion).
# Usage: bench-v2v.sh [RUNS]   (builds into ./build first when needed)
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
build=${IMGFIX_BUILD_ROOT:-$src/build}
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}
runs=${1:-3}
imgfix=$build/fixup/imgfix
command -v virt-v2v-in-place >/dev/null ||
	{ echo "virt-v2v-in-place missing (apt-get install virt-v2v)"; exit 77; }
[ -d "$IMGFIX_CORPUS" ] || { echo "corpus missing"; exit 77; }
# From a fresh clone: build first (the dependencies come from
# scripts/install-deps.sh, which scripts/setup.sh runs).
if [ ! -x "$imgfix" ] || [ ! -x "$build/tests/fixtures/mkimage" ] ||
	[ ! -x "$build/tests/bench/hive/bench-hive" ]; then
	[ -f "$build/build.ninja" ] || meson setup "$build" "$src" >/dev/null
	ninja -C "$build" >/dev/null
fi
export LIBGUESTFS_BACKEND=direct
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-v2v.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

mkdir hives
xz -dc "$IMGFIX_CORPUS/hives/win10-19041/SYSTEM.xz" >hives/SYSTEM
bash "$src/tests/fixtures/build-hives.sh" win10 prof >/dev/null
cp prof/SOFTWARE hives/SOFTWARE
# libguestfs inspection wants a real System32/cmd.exe (its architecture
# decides the guest's) to call the directory a systemroot.
sh "$src/tests/patchcache/mkpe.sh" pe amd64 10.0.19041.1 cmd.exe >/dev/null
cp pe/cmd.exe cmd.exe
"$build/tests/fixtures/mkimage" -o base.img --size 2G --table gpt --esp \
	--hives hives --pe-arch x86_64 --mkdir /Windows/System32/drivers \
	--mkdir "/Program Files" --mkdir /Windows/Temp --put cmd.exe:/Windows/System32/cmd.exe \
	>/dev/null
# The ESP mkimage creates is blank: virt-v2v mounts it, so format it FAT.
esp=$(sfdisk -J base.img | python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin)["partitiontable"]["partitions"] if x["type"].upper()=="C12A7328-F81F-11D2-BA4B-00A0C93EC93B"][0]; print(p["start"], p["size"])')
mkfs.fat -F 16 --offset "${esp% *}" base.img $(( ${esp#* } / 2 )) >/dev/null
# ... with the UEFI boot files virt-v2v looks at (a phony BCD store).
fat="base.img@@$(( ${esp% *} * 512 ))"
for d in /EFI /EFI/Microsoft /EFI/Microsoft/Boot /EFI/BOOT; do
	mmd -i "$fat" "::$d"
done
mcopy -i "$fat" "$IMGFIX_CORPUS/hives/bcd/phony-uefi-BCD" ::/EFI/Microsoft/Boot/BCD
printf 'MZ' >bootmgfw.efi
mcopy -i "$fat" bootmgfw.efi ::/EFI/Microsoft/Boot/bootmgfw.efi
bash "$src/tests/fixtures/build-store.sh" store >/dev/null
# virt-v2v reads the RPM layout: $VIRTIO_WIN/drivers/amd64/Win10/...
export VIRTIO_WIN=$tmp/store
mkdir tools
for f in rhsrvany.exe pvvxsvc.exe; do printf 'MZ' >"tools/$f"; done
export VIRT_TOOLS_DATA_DIR=$tmp/tools

v2v_times=() fix_times=()
for i in $(seq 1 "$runs"); do
	# Each copy is flushed before its timed run: its writeback must not
	# be charged to whichever tool calls fsync first.
	cp --sparse=always base.img v2v.img
	sync
	t0=$(date +%s.%N)
	virt-v2v-in-place -q -i disk v2v.img >v2v.log 2>&1 ||
		{ tail -20 v2v.log; echo "virt-v2v failed"; exit 1; }
	v2v_times+=("$(echo "$(date +%s.%N) - $t0" | bc)")
	rm -rf fix.img fix.img.imgfix
	cp --sparse=always base.img fix.img
	sync
	t0=$(date +%s.%N)
	"$imgfix" --quiet fix -r kvm-virtio -d store fix.img >/dev/null
	fix_times+=("$(echo "$(date +%s.%N) - $t0" | bc)")
done

python3 - "$imgfix" "${v2v_times[*]}" "${fix_times[*]}" <<'PY'
import re, statistics, subprocess, sys
imgfix, v2v, fix = sys.argv[1], list(map(float, sys.argv[2].split())), list(map(float, sys.argv[3].split()))
mv, mf = statistics.median(v2v), statistics.median(fix)
print("virt-v2v-in-place: median %.2f s over %d runs (%s)" % (mv, len(v2v), ", ".join("%.2f" % t for t in v2v)))
print("imgfix fix:        median %.3f s over %d runs (%s)" % (mf, len(fix), ", ".join("%.3f" % t for t in fix)))
print("ratio: %.0fx" % (mv / mf))

def changes(img):
    out = subprocess.run([imgfix, "hive", "diff", "base.img:SYSTEM", img + ":SYSTEM"],
                         capture_output=True, text=True).stdout
    keys, key = {}, None
    for line in out.splitlines():
        if line.startswith("[") and line.endswith("]"):
            key = line[1:-1].lower().split("\\", 2)[2] if line.count("\\") >= 2 else line.lower()
            key = re.sub(r"driverpackages\\[^\\]+", "driverpackages\\\\<label>", key)
            key = re.sub(r"guestor\.inf_tmp|viostor\.inf_amd64_[0-9a-f]{16}", "<label>", key)
            keys.setdefault(key, {})
        elif key and "=" in line and not line.startswith(";"):
            name, val = line.split("=", 1)
            val = re.sub(r"guestor\.inf_tmp|viostor\.inf_amd64_[0-9a-f]{16}", "<label>", val.lower())
            keys[key][name.strip('"').lower().replace("guestor.inf", "viostor.inf")] = val
    return keys

a, b = changes("v2v.img"), changes("fix.img")
boot = lambda k: ("services\\viostor" in k or "driverdatabase" in k or
                  "criticaldevicedatabase" in k or "crashcontrol" in k)
missing, differ, same = [], [], 0
for k, vals in sorted(a.items()):
    if not boot(k.replace("guestor", "viostor")):
        continue
    kk = k.replace("guestor.inf", "viostor.inf").replace("guestor_conf", "<conf>")
    cand = {x.replace("scsi_inst", "<conf>"): y for x, y in b.items()}
    if kk.replace("<conf>", "scsi_inst") in b:
        kk = kk.replace("<conf>", "scsi_inst")
    if kk not in b and kk not in cand:
        missing.append(k); continue
    for name, val in vals.items():
        got = b.get(kk, cand.get(kk, {})).get(name.replace("guestor.inf", "viostor.inf"))
        if got is None:
            missing.append("%s : %s" % (k, name))
        elif got != val.replace("guestor_conf", "scsi_inst"):
            differ.append("%s : %s  virt-v2v=%s imgfix=%s" % (k, name, val[:40], got[:40]))
        else:
            same += 1
print("hive comparison: %d boot-relevant values virt-v2v writes; %d equal in imgfix's result, %d differ (corrected), %d missing"
      % (same + len(differ) + len(missing), same, len(differ), len(missing)))
for d in differ: print("  differs:", d)
for m in missing: print("  MISSING:", m)
sys.exit(1 if missing else 0)
PY

# Size scaling of the same fix (times must be flat; bytes of the image file
# read and written by each fix) and the throughput of the pieces with their
# peak RSS.
echo
echo "size scaling: imgfix fix -r kvm-virtio on sparse images"
IMGFIX_SOURCE_ROOT=$src IMGFIX_BUILD_ROOT=$build \
	bash "$src/tests/bench/e2e/bench-fix.sh" 5 1G 64G 2T
echo
echo "throughput (peak RSS in brackets):"
failed=0
for b in drivers/bench-drivers rules/bench-rules hive/bench-hive; do
	[ -x "$build/tests/bench/$b" ] || { echo "  $b: not built"; continue; }
	IMGFIX_SOURCE_ROOT=$src /usr/bin/time -f "  [peak RSS %M KiB]" \
		"$build/tests/bench/$b" 2>&1 | sed 's/^/  /' ||
		{ echo "  $b FAILED"; failed=1; }
done
exit $failed
