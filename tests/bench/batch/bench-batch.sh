#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-batch.sh [N [JOBS]]: `imgfix batch -j JOBS` over N fixture images
# (default 50 and 2), one of them deliberately broken (a truncated disk).
# Images are built at run time: the hives of four Windows profiles with
# the VMware overlay (tests/fixtures/build-hives.sh), one raw image each
# (tests/fixtures/mkimage), copied sparse to make N.  Each image is fixed
# with the hyperv and remove-foreign-tools rule sets (no driver store
# needed).  Prints wall time and images/s, then checks the outcome: the
# broken image is reported as failed, all the others fixed with a
# complete journal, the HTML summary lists every image; a second run
# skips every fixed image.  Exit 0 when all that holds, 1 when not, 77
# when the corpus or a tool is missing.

set -eu

n=${1:-50}
jobs=${2:-2}
src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}
imgfix=$build/fixup/imgfix
mkimage=$build/tests/fixtures/mkimage
hives=$src/tests/fixtures/build-hives.sh
profiles="2019 2022 win10 2012r2"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ -f "$IMGFIX_CORPUS/hives/seed/minimal" ] ||
	skip "corpus not found ($IMGFIX_CORPUS)"
PATH=$PATH:/usr/sbin:/sbin
for t in mkntfs sfdisk hivexregedit python3 xmllint; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$mkimage" ] || skip "$mkimage not built"
"$imgfix" fix --help >/dev/null 2>&1 || skip "imgfix fix not built"
[ "$n" -ge 2 ] || { echo "N must be at least 2" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-batch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# One image per profile, then sparse copies.
t0=$(date +%s.%N)
for p in $profiles; do
	sh "$hives" "$p" vmware "$tmp/h-$p.all" >/dev/null
	mkdir -p "$tmp/h-$p"
	cp "$tmp/h-$p.all/SYSTEM" "$tmp/h-$p.all/SOFTWARE" "$tmp/h-$p/"
	"$mkimage" -o "$tmp/base-$p.img" --hives "$tmp/h-$p" \
		--pe-arch x86_64 --size 64M >"$tmp/mk-$p.log" 2>&1 ||
		{ cat "$tmp/mk-$p.log" >&2; exit 1; }
done
set -- $profiles
np=$#
broken=$(((n + 1) / 2))
{
	echo "# $n images, image $broken is broken"
	echo "-r hyperv -r remove-foreign-tools"
} >"$tmp/manifest.txt"
for i in $(seq 1 "$n"); do
	img=$(printf 'vm%03d.img' "$i")
	k=$(((i - 1) % np + 1))
	eval "p=\${$k}"
	cp --sparse=always "$tmp/base-$p.img" "$tmp/$img"
	if [ "$i" -eq "$broken" ]; then
		truncate -s 300K "$tmp/$img"
	fi
	echo "$img" >>"$tmp/manifest.txt"
done
t1=$(date +%s.%N)
python3 -c "import sys; print('built %s images (%s) in %.2f s'
      % (sys.argv[1], sys.argv[2], float(sys.argv[4]) - float(sys.argv[3])))" \
	"$n" "$profiles" "$t0" "$t1"

run_batch() {
	local rc=0 s e
	s=$(date +%s.%N)
	"$imgfix" --quiet batch -j "$jobs" --report-dir "$tmp/reports" \
		"$tmp/manifest.txt" >"$tmp/batch.out" 2>"$tmp/batch.err" || rc=$?
	e=$(date +%s.%N)
	python3 -c "
import sys
n, s, e = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print('%s: %d images, -j %s: %.2f s wall, %.1f images/s'
      % (sys.argv[4], n, sys.argv[5], e - s, n / (e - s)))" \
		"$n" "$s" "$e" "$1" "$jobs"
	return $rc
}

# check_summary FIXED SKIPPED: the counts and the broken image's row.
check_summary() {
	python3 - "$tmp/reports/summary.json" "$n" "$broken" "$1" "$2" <<'EOF' ||
import json, sys
s = json.load(open(sys.argv[1]))
n, broken, fixed, skipped = map(int, sys.argv[2:])
c = s["counts"]
errs = []
if s["total"] != n or len(s["images"]) != n:
    errs.append("summary lists %d images, expected %d" % (len(s["images"]), n))
if c["fixed"] != fixed or c["skipped"] != skipped or c["failed"] != 1:
    errs.append("counts %s, expected %d fixed, %d skipped, 1 failed"
                % (c, fixed, skipped))
b = s["images"][broken - 1]
if b["status"] != "failed" or not b.get("reason"):
    errs.append("broken image: %s (%s)" % (b["status"], b.get("reason")))
for im in s["images"]:
    if im["n"] != broken and im["status"] not in ("fixed", "skipped"):
        errs.append("%s: %s (%s)" % (im["image"], im["status"], im["reason"]))
if errs:
    sys.exit("\n".join(errs[:10]))
print("broken image reported: %s" % b["reason"])
EOF
		fail "summary: see above"
	# Well-formed for libxml2's HTML parser, one row per image.
	if ! xmllint --html --noout "$tmp/reports/summary.html" 2>"$tmp/xmllint.err" ||
		[ -s "$tmp/xmllint.err" ]; then
		fail "summary.html: $(head -5 "$tmp/xmllint.err")"
	fi
	rows=$(xmllint --html --xpath 'count(//table[@class="images"]/tbody/tr)' \
		"$tmp/reports/summary.html" 2>/dev/null)
	[ "$rows" = "$n" ] || fail "summary.html has $rows rows, expected $n"
}

rc=0
run_batch "first run" || rc=$?
[ "$rc" -eq 1 ] || fail "first run exited $rc, expected 1 (one broken image)"
check_summary $((n - 1)) 0
for i in $(seq 1 "$n"); do
	[ "$i" -eq "$broken" ] && continue
	j=$(printf '%s/vm%03d.img.imgfix/journal.json' "$tmp" "$i")
	grep -q '"state": *"complete"' "$j" 2>/dev/null ||
		fail "vm$i: journal not complete"
done

rc=0
run_batch "second run (all fixed: skipped)" || rc=$?
[ "$rc" -eq 1 ] || fail "second run exited $rc, expected 1"
check_summary 0 $((n - 1))

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	sed -n '1,20p' "$tmp/batch.err" >&2
	exit 1
fi
echo "OK"
