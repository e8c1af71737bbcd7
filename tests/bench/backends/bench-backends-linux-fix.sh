#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-backends-linux-fix.sh: `imgfix fix -r linux-virtio` of the Linux
# fixture tree (tests/fixtures/linux/debian12) on a raw ext4 image (MBR,
# partition at 1 MiB, built with mkfs.ext4 -d, no root):
#
#   - the direct road (ext backend, libext2fs): RUNS fixes, each on a fresh
#     copy of the image; the median and min/max wall time are printed
#     (target: median < 1 s);
#   - the same fix through libguestfs (--backend guestfs, appliance under
#     TCG when LIBGUESTFS_BACKEND_SETTINGS=force_tcg): GUESTFS_RUNS fixes
#     (default 1), median printed, for comparison; skipped when no
#     appliance can start.
#
# Figures only, no timed assertions; exit 77 when mkfs.ext4/sfdisk are
# missing.  Every run must say "fixed" and leave e2fsck -fn clean.
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
runs=${RUNS:-11}
gruns=${GUESTFS_RUNS:-1}
PATH=$PATH:/usr/sbin:/sbin
for t in sfdisk mkfs.ext4 e2fsck python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-backends.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

truncate -s 64M base.img
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q base.img
mkfs.ext4 -F -q -E offset=1048576 -d "$src/tests/fixtures/linux/debian12" \
	base.img 63M

# run LABEL BACKEND-OPTS... : one timed fix on a fresh copy, prints seconds
run() {
	local label=$1
	shift
	rm -rf run.img run.bk
	cp base.img run.img
	local t0 t1
	t0=$(date +%s.%N)
	"$imgfix" --quiet fix -r linux-virtio --json --backup run.bk "$@" \
		run.img >run.json 2>run.err || {
		echo "FAIL: $label fix failed: $(cat run.err)" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j["status"] != "fixed")' run.json ||
		{ echo "FAIL: $label: status not fixed" >&2; exit 1; }
	e2fsck -fn "run.img?offset=1048576" >/dev/null 2>&1 ||
		{ echo "FAIL: $label: e2fsck finds errors after the fix" >&2; exit 1; }
	echo "$t0 $t1" | awk '{printf "%.4f\n", $2 - $1}'
}

stats() {
	python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[2:]]; print("%s: median %.3f s, min %.3f s, max %.3f s over %d runs" % (sys.argv[1], statistics.median(v), min(v), max(v), len(v)))' "$@"
}

times=()
for _ in $(seq "$runs"); do
	times+=("$(run direct --backend direct)")
done
stats "imgfix fix -r linux-virtio, raw ext4, direct (ext backend)" "${times[@]}"

gtimes=()
for _ in $(seq "$gruns"); do
	t=$(run guestfs --backend guestfs) || {
		if grep -q "appliance cannot start" run.err 2>/dev/null; then
			echo "guestfs: skipped (no libguestfs appliance)"
			exit 0
		fi
		exit 1
	}
	gtimes+=("$t")
done
stats "imgfix fix -r linux-virtio, raw ext4, guestfs backend" "${gtimes[@]}"
