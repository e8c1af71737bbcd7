#!/usr/bin/env bash
# Benchmark of the direct road for container formats (issue 16): the
# real-hive Windows 10 fix of bench-fix.sh (`imgfix fix -r kvm-virtio`, the
# real 19041 SYSTEM hive on a 256 MiB GPT image) on raw, and on the same
# image as qcow2, vmdk (monolithicSparse) and vhdx through qemu-nbd, and on
# the guestfs road (--backend guestfs, the qcow2 image).  Prints medians
# over fresh copies (the formats in turn) and the ratios.  Goals: every format within 2x of raw,
# and at least 100x faster than the guestfs road on the same image.
# Usage: bench-formats.sh [RUNS [GUESTFS_RUNS]] (defaults 11 and 3; 0
# guestfs runs skips that road).
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
build=${IMGFIX_BUILD_ROOT:-$src/build}
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}
runs=${1:-11}
gruns=${2:-3}
[ -d "$IMGFIX_CORPUS" ] || { echo "corpus missing"; exit 77; }
command -v qemu-img >/dev/null && command -v qemu-nbd >/dev/null ||
	{ echo "qemu-img/qemu-nbd missing"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-bench-formats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

mkdir hives
xz -dc "$IMGFIX_CORPUS/hives/win10-19041/SYSTEM.xz" >hives/SYSTEM
bash "$src/tests/fixtures/build-hives.sh" win10 prof >/dev/null
cp prof/SOFTWARE hives/SOFTWARE
bash "$src/tests/fixtures/build-store.sh" store >/dev/null
"$build/tests/fixtures/mkimage" -o base.raw --size 256M \
	--table gpt --esp --hives hives --pe-arch x86_64 >/dev/null
qemu-img convert -f raw -O qcow2 base.raw base.qcow2
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse base.raw base.vmdk
qemu-img convert -f raw -O vhdx base.raw base.vhdx

python3 - "$build/fixup/imgfix" "$runs" "$gruns" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
imgfix, runs, gruns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def run_once(fmt, extra=()):
    img = "run." + fmt
    for p in (img, img + ".imgfix"):
        if os.path.isdir(p): shutil.rmtree(p)
        elif os.path.exists(p): os.unlink(p)
    subprocess.run(["cp", "--sparse=always", "base." + fmt, img], check=True)
    os.sync()  # the copy's writeback is not the fix's cost
    t0 = time.perf_counter()
    p = subprocess.run([imgfix, "--quiet", "fix", "--json", *extra,
                        "-r", "kvm-virtio", "-d", "store", img],
                       stdout=subprocess.PIPE)
    t = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("fix failed on %s %s (exit %d)" % (fmt, extra, p.returncode))
    j = json.loads(p.stdout)
    want = "guestfs" if extra else "direct"
    if j["road"] != want:
        sys.exit("%s: took the %s road, not %s" % (fmt, j["road"], want))
    return t
fmts = ("raw", "qcow2", "vmdk", "vhdx")
times = {f: [] for f in fmts}
# Round robin, so that the machine's load changes weigh on every format
# alike.
for i in range(runs):
    for f in fmts:
        times[f].append(run_once(f))
res = {}
for fmt in fmts:
    t = times[fmt]
    res[fmt] = statistics.median(t)
    print("%-7s direct road:  median %7.1f ms over %d runs (min %.1f, max %.1f)"
          % (fmt, res[fmt] * 1000, runs, min(t) * 1000, max(t) * 1000))
g = None
if gruns > 0:
    t = [run_once("qcow2", ("--backend", "guestfs")) for i in range(gruns)]
    g = statistics.median(t)
    print("qcow2   guestfs road: median %7.1f ms over %d runs (min %.1f, max %.1f)"
          % (g * 1000, gruns, min(t) * 1000, max(t) * 1000))
ok = True
for fmt in ("qcow2", "vmdk", "vhdx"):
    r = res[fmt] / res["raw"]
    ok = ok and r <= 2.0
    line = "ratio %-5s / raw: %.2f" % (fmt, r)
    if g:
        gr = g / res[fmt]
        ok = ok and gr >= 100
        line += ";  guestfs / %-5s: %.0fx" % (fmt, gr)
    print(line)
print("goals (each format <= 2x raw%s): %s"
      % (", >= 100x faster than guestfs" if g else "", "met" if ok else "NOT met"))
PY
