#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-hostile-images.sh: imgfix on damaged images (issue 9, "hostile
# images").  Two fixture images are built at test time (hives from
# tests/fixtures/build-hives.sh, image by tests/fixtures/mkimage):
#   - xp: XP SP3 x86 + VMware overlay, MBR, NTFS at sector 63;
#   - w10: Windows 10 + VirtualBox overlay, GPT with an ESP.
# tests/hostile/hostile-gen makes every damaged variant that applies
# (bytes flipped in the partition table, boot sector, MFT records and
# hive bins; truncations; the generator checks that each one differs from
# the pristine image).  On each variant, `imgfix inspect`, `imgfix
# plan -r kvm-virtio -d STORE` and `imgfix fix ...` (on its own copy) must:
#   - exit 0, or non-zero with a message on stderr;
#   - not crash, hang (timeout 20 s) or print a sanitizer report;
#   - leave the image's sha256 unchanged (inspect/plan always; fix
#     whenever it exits non-zero);
#   - write nothing outside the image: each run gets a fresh empty TMPDIR
#     that must be empty afterwards, and the image's directory may only
#     gain IMAGE.imgfix (fix's journal).
# The outcome of every run is printed as a table.
#
# Exit 77 when the corpus or mkntfs/sfdisk/hivexregedit is missing.

set -eu

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
corpus=${IMGFIX_CORPUS:-$src/../shared/corpus}
imgfix=$build/fixup/imgfix
mkimage=$build/tests/fixtures/mkimage
gen=$build/tests/hostile/hostile-gen
imgsum=$build/tests/fixtures/imgsum
timeout_s=${IMGFIX_HOSTILE_TIMEOUT:-20}

skip() {
	echo "SKIP: $*"
	exit 77
}
[ -f "$corpus/hives/seed/minimal" ] || skip "corpus not found ($corpus)"
PATH=$PATH:/usr/sbin:/sbin
for t in mkntfs sfdisk hivexregedit python3 timeout; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
for x in "$imgfix" "$mkimage" "$gen" "$imgsum"; do
	[ -x "$x" ] || skip "$x not built"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-hostile-images.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# failures and runs are counted in files: the two images' variants run as
# two parallel jobs, each with its own work directory $jw
: >"$tmp/failures"
: >"$tmp/runs"
jw=$tmp/j-main
mkdir -p "$jw"

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	echo x >>"$tmp/failures"
}

# sha256 of the image's content, reading only its data extents
# (tests/fixtures/imgsum: a full read of every sparse image twice per run
# would dominate the test).
sha() {
	"$imgsum" "$1" | cut -d' ' -f1
}

# ---- fixtures -------------------------------------------------------------
sh "$src/tests/fixtures/build-store.sh" "$tmp/store" >/dev/null
store=$tmp/store
[ -d "$store/drivers" ] && store=$store/drivers

mkhives() {
	out=$1
	shift
	sh "$src/tests/fixtures/build-hives.sh" "$@" "$out.all" >/dev/null
	mkdir -p "$out"
	cp "$out.all/SYSTEM" "$out.all/SOFTWARE" "$out/"
}
mkhives "$tmp/h-xp" xp-sp3-x86 vmware
mkhives "$tmp/h-w10" win10 virtualbox
"$mkimage" -o "$tmp/xp.img" --size 32M --offset 32256 --hives "$tmp/h-xp" \
	--pe-arch i386 >"$tmp/mk.log" 2>&1 || { cat "$tmp/mk.log"; exit 1; }
"$mkimage" -o "$tmp/w10.img" --size 64M --table gpt --esp \
	--hives "$tmp/h-w10" --pe-arch x86_64 >"$tmp/mk.log" 2>&1 ||
	{ cat "$tmp/mk.log"; exit 1; }

# run LABEL DIR IMAGE-NAME MAY_WRITE CMD...: one imgfix run on DIR/IMAGE
# with a fresh TMPDIR; checks exit, stderr, hash, leftovers.  Sets $rc.
run() {
	label=$1 dir=$2 name=$3 may_write=$4
	shift 4
	t=$jw/tmpdir
	rm -rf "$t"
	mkdir "$t"
	before=$(sha "$dir/$name")
	ls -A "$dir" >"$jw/ls.before"
	rc=0
	TMPDIR=$t timeout -k 5 "$timeout_s" "$imgfix" "$@" "$dir/$name" \
		>"$jw/out" 2>"$jw/err" </dev/null || rc=$?
	echo x >>"$tmp/runs"
	after=$(sha "$dir/$name")
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		fail "$label: timed out after ${timeout_s}s"
	elif [ $rc -ge 128 ]; then
		fail "$label: killed by signal $((rc - 128)): $(tail -n 5 "$jw/err")"
	elif [ $rc -ne 0 ] && ! [ -s "$jw/err" ]; then
		# plan reports blocking problems on stdout (the plan itself)
		if grep -q BLOCKING "$jw/out"; then
			echo "note: $label: exit $rc, the reason only on stdout" >>"$jw/notes"
		else
			fail "$label: exit $rc without a message on stderr"
		fi
	fi
	if grep -qE 'Sanitizer|runtime error:|LeakSanitizer' "$jw/err"; then
		fail "$label: sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error' "$jw/err")"
	fi
	if [ "$before" != "$after" ] && { [ $rc -ne 0 ] || [ "$may_write" = no ]; }; then
		fail "$label: exit $rc but the image changed"
	fi
	if [ -n "$(ls -A "$t")" ]; then
		fail "$label: left files in TMPDIR: $(ls -A "$t" | head -5 | tr '\n' ' ')"
	fi
	ls -A "$dir" | grep -vx "$name.imgfix" >"$jw/ls.after" || true
	if ! cmp -s "$jw/ls.before" "$jw/ls.after"; then
		fail "$label: wrote next to the image: $(diff "$jw/ls.before" "$jw/ls.after" | grep '^>' | head -5 | tr '\n' ' ')"
	fi
	msg=$(cat "$jw/err" "$jw/out" | grep -m1 -E 'error|BLOCKING|refus' | cut -c1-110 || true)
	printf '%-28s %-8s exit %-3s %s\n' "${label%%:*}" "${label#*:}" "$rc" "$msg" >>"$jw/table"
}

# ---- the pristine images must work (else the test proves nothing) ---------
for img in xp w10; do
	mkdir -p "$tmp/p-$img"
	cp --sparse=always "$tmp/$img.img" "$tmp/p-$img/image.img"
	run "$img-pristine:inspect" "$tmp/p-$img" image.img no inspect
	[ $rc -eq 0 ] || fail "$img: inspect of the pristine image failed: $(cat "$jw/err")"
	run "$img-pristine:plan" "$tmp/p-$img" image.img no plan -r kvm-virtio -d "$store"
	plan_ok=$rc
	run "$img-pristine:fix" "$tmp/p-$img" image.img yes fix -r kvm-virtio -d "$store" --force all
	echo "$img pristine: plan exit $plan_ok, fix exit $rc"
	rm -rf "$tmp/p-$img"
done

# ---- every variant (one job per image) -----------------------------------
variants() {
	img=$1
	jw=$tmp/j-$img
	mkdir -p "$jw"
	"$gen" --list "$tmp/$img.img" >"$jw/variants"
	while IFS="$(printf '\t')" read -r v _what; do
		d=$tmp/v/$img-$v
		mkdir -p "$d"
		if ! "$gen" "$tmp/$img.img" "$v" "$d/image.img"; then
			fail "$img-$v: hostile-gen failed"
			continue
		fi
		echo "$v" >>"$jw/done"
		run "$img-$v:inspect" "$d" image.img no inspect
		run "$img-$v:plan" "$d" image.img no plan -r kvm-virtio -d "$store"
		run "$img-$v:fix" "$d" image.img yes fix -r kvm-virtio -d "$store" --force all
		rm -rf "$d"
	done <"$jw/variants"
}
variants xp &
pid_xp=$!
variants w10
wait $pid_xp || fail "xp variants: job failed"

cat "$tmp"/j-main/table "$tmp"/j-xp/table "$tmp"/j-w10/table
cat "$tmp"/j-*/notes 2>/dev/null | sort | uniq -c | sort -rn | head -5
n_variants=$(cat "$tmp"/j-*/done | wc -l)
[ "$n_variants" -ge 40 ] || fail "only $n_variants variants generated (expected >= 40)"
failures=$(wc -l <"$tmp/failures")
echo "$n_variants variants, $(wc -l <"$tmp/runs") imgfix runs, $failures failure(s)"
[ "$failures" -eq 0 ] || exit 1
