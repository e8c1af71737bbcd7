#!/usr/bin/env bash
# Benchmark of transaction-log replay in a whole fix (issue 15): `imgfix fix
# -r kvm-virtio` on an image holding the corpus's dirty Windows 10 1709
# SYSTEM hive with its SYSTEM.LOG1/.LOG2 (the fix replays 24 log entries,
# writes the hive back clean and resets both logs) against the same guest
# with that hive already recovered and clean (no logs).  Median wall time
# over fresh copies of each, the ratio, and the bytes of the image file read
# and written (`fix --json`).  Goal: replay adds under 25 %.
# Usage: bench-dirty.sh [RUNS]
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
build=${IMGFIX_BUILD_ROOT:-$src/build}
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}
runs=${1:-11}
dirty=$IMGFIX_CORPUS/hives/win10-1709-dirty
[ -d "$dirty" ] || { echo "corpus missing"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-bench-dirty.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

mkdir dirty-hives clean-hives
for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
	xz -dc "$dirty/$f.xz" >"dirty-hives/$f"
done
bash "$src/tests/fixtures/build-hives.sh" win10 prof >/dev/null
cp prof/SOFTWARE dirty-hives/SOFTWARE
cp prof/SOFTWARE clean-hives/SOFTWARE
"$build/fixup/imgfix" --quiet hive recover dirty-hives/SYSTEM \
	-o clean-hives/SYSTEM
bash "$src/tests/fixtures/build-store.sh" store >/dev/null
for k in dirty clean; do
	"$build/tests/fixtures/mkimage" -o "$k.img" --size 256M --table gpt \
		--esp --hives "$k-hives" --pe-arch x86_64 >/dev/null
done

python3 - "$build/fixup/imgfix" "$runs" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
imgfix, runs = sys.argv[1], int(sys.argv[2])
results = {}
for kind in ("clean", "dirty"):
    times, io = [], None
    for i in range(runs):
        img = "run.img"
        for p in (img, img + ".imgfix"):
            if os.path.isdir(p): shutil.rmtree(p)
            elif os.path.exists(p): os.unlink(p)
        subprocess.run(["cp", "--sparse=always", kind + ".img", img], check=True)
        os.sync()
        t0 = time.perf_counter()
        p = subprocess.run([imgfix, "--quiet", "fix", "--json", "-r",
                            "kvm-virtio", "-d", "store", img],
                           stdout=subprocess.PIPE)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("fix failed on the %s image (exit %d)" % (kind, p.returncode))
        j = json.loads(p.stdout)
        io, applied = j["image_io"], j["applied"]
        times.append(t)
    results[kind] = statistics.median(times)
    print("%-5s hive: median %.1f ms over %d runs (min %.1f, max %.1f), "
          "%d files written, image file read %.1f MiB, written %.1f MiB"
          % (kind, results[kind] * 1000, runs, min(times) * 1000,
             max(times) * 1000, applied["files_written"],
             io["bytes_read"] / 2**20, io["bytes_written"] / 2**20))
ratio = results["dirty"] / results["clean"]
print("ratio dirty / clean: %.2f (replay adds %+.0f %%)" % (ratio, (ratio - 1) * 100))
print("goal: replay adds under 25 %%: %s" % ("met" if ratio < 1.25 else "NOT met"))
PY
