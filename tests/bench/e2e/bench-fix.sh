#!/usr/bin/env bash
# Benchmark of the whole fix (issue 7): `imgfix fix -r kvm-virtio` on a GPT
# image holding the real Windows 10 19041 SYSTEM hive (11 MiB) — median wall
# time and peak RSS over fresh copies — and the same on 8 GiB and 2 TiB
# sparse images (the time must not depend on the image size), with the bytes
# of the image file read and written by each fix (from `fix --json`).
# Targets: <= 150 ms and < 64 MiB.  Usage: bench-fix.sh [RUNS [SIZE...]]
# (sizes default to 256M 8G 2T; the first is the one the target is for).
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
build=${IMGFIX_BUILD_ROOT:-$src/build}
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}
runs=${1:-11}
shift || true
sizes=${*:-256M 8G 2T}
[ -d "$IMGFIX_CORPUS" ] || { echo "corpus missing"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-bench-fix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

mkdir hives
xz -dc "$IMGFIX_CORPUS/hives/win10-19041/SYSTEM.xz" >hives/SYSTEM
bash "$src/tests/fixtures/build-hives.sh" win10 prof >/dev/null
cp prof/SOFTWARE hives/SOFTWARE
bash "$src/tests/fixtures/build-store.sh" store >/dev/null

for size in $sizes; do
	"$build/tests/fixtures/mkimage" -o "base-$size.img" --size "$size" \
		--table gpt --esp --hives hives --pe-arch x86_64 >/dev/null
done

python3 - "$build/fixup/imgfix" "$runs" $sizes <<'PY'
import json, os, resource, shutil, statistics, subprocess, sys, time
imgfix, runs, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def copy_sparse(a, b):
    subprocess.run(["cp", "--sparse=always", a, b], check=True)
results = {}
for size in sizes:
    times, rss, io = [], [], None
    for i in range(runs):
        img = "run.img"
        for p in (img, img + ".imgfix"):
            if os.path.isdir(p): shutil.rmtree(p)
            elif os.path.exists(p): os.unlink(p)
        copy_sparse("base-%s.img" % size, img)
        # flushed before the timed run: the copy's writeback is not the
        # fix's cost (its fsync of the image would otherwise pay for it)
        os.sync()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        p = subprocess.run([imgfix, "--quiet", "fix", "--json", "-r",
                            "kvm-virtio", "-d", "store", img],
                           stdout=subprocess.PIPE)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("fix failed on the %s image (exit %d)" % (size, p.returncode))
        io = json.loads(p.stdout)["image_io"]
        times.append(t)
        # ru_maxrss of children is the max over all children so far
        rss.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    results[size] = (statistics.median(times), max(rss))
    print("%-5s image: median %.1f ms over %d runs (min %.1f, max %.1f), peak RSS %.1f MiB, "
          "image file read %.1f MiB, written %.1f KiB"
          % (size, results[size][0] * 1000, runs, min(times) * 1000,
             max(times) * 1000, results[size][1] / 1024,
             io["bytes_read"] / 2**20, io["bytes_written"] / 2**10))
first = sizes[0]
base = results[first][0]
for size in sizes[1:]:
    print("ratio %s / %s: %.2f" % (size, first, results[size][0] / base))
print("target (%s): <= 150 ms, < 64 MiB: %s" % (first,
      "met" if base <= 0.150 and results[first][1] < 64 * 1024 else "NOT met"))
PY
