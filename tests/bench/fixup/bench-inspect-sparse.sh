#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-inspect-sparse.sh: `imgfix inspect` of a 1 TiB sparse raw image
# against the same guest on a 1 GiB image.  Inspection reads a handful of
# sectors (partition table, boot sector, MFT records, the hives), so both
# should take the same time: prints each mean time over RUNS runs and
# their ratio (1 TiB / 1 GiB, expected ~1).  Exit 77 when the corpus,
# mkntfs or sfdisk is missing.

set -eu

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
mkimage=$build/tests/fixtures/mkimage
runs=${RUNS:-20}
PATH=$PATH:/usr/sbin:/sbin

for t in mkntfs sfdisk python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
[ -x "$mkimage" ] || { echo "SKIP: $mkimage not built"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

sh "$src/tests/fixtures/build-hives.sh" win10 vmware "$tmp/hives.all" \
	>/dev/null || exit $?
mkdir "$tmp/hives"
cp "$tmp/hives.all/SYSTEM" "$tmp/hives.all/SOFTWARE" "$tmp/hives/"

for size in 1G 1T; do
	"$mkimage" -o "$tmp/$size.img" --size $size --hives "$tmp/hives" \
		--pe-arch x86_64
done

# mean wall-clock seconds of RUNS inspections of an image
mean() {
	python3 - "$imgfix" "$1" "$runs" <<'PY'
import subprocess, sys, time
imgfix, img, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
subprocess.run([imgfix, "inspect", "--json", img], check=True,
               stdout=subprocess.DEVNULL)  # warm the page cache
t = time.perf_counter()
for _ in range(runs):
    subprocess.run([imgfix, "inspect", "--json", img], check=True,
                   stdout=subprocess.DEVNULL)
print("%.6f" % ((time.perf_counter() - t) / runs))
PY
}

small=$(mean "$tmp/1G.img")
big=$(mean "$tmp/1T.img")
alloc=$(du -k "$tmp/1T.img" | cut -f1)
echo "imgfix inspect, mean of $runs runs:"
echo "  1 GiB image: ${small} s"
echo "  1 TiB image: ${big} s (sparse, $((alloc / 1024)) MiB allocated)"
python3 -c 'import sys; print("  ratio 1 TiB / 1 GiB: %.2f" % (float(sys.argv[2]) / float(sys.argv[1])))' "$small" "$big"
