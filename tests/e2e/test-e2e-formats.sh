#!/usr/bin/env bash
# The direct road for every container format (issue 16): the raw Windows
# fixture images and the Linux (ext4) image of test-e2e-linux.sh,
# converted at test time (qemu-img convert) to qcow2, qcow2 over a raw
# backing file, vmdk monolithicSparse and twoGbMaxExtentSparse, vhdx, vhd
# (vpc) and vdi, are planned, fixed and rolled back through qemu-nbd.
# The Windows plans and SYSTEM registry diffs are the raw road's golden
# files, the Linux plan that of the raw image (and fstab gets the UUID);
# `qemu-img check` is clean after the fix and after the rollback; `qemu-img
# compare` with the original says identical after the rollback; a backing
# file is never written.  Cases run two at a time.
# IMGFIX_FORMATS_PROFILES / _VARIANTS / _LINUX narrow the matrix.
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || skip "qemu-img missing"
command -v qemu-nbd >/dev/null || skip "qemu-nbd missing"
golden=$src/tests/e2e/golden
store
cd "$tmp"

all_variants="qcow2 qcow2-backing vmdk-sparse vmdk-2gb vhdx vpc vdi"
variants=${IMGFIX_FORMATS_VARIANTS:-$all_variants}
# Every Windows profile as qcow2; three (GPT, MBR x64, MBR x86) in every
# format.
profiles=${IMGFIX_FORMATS_PROFILES:-"win10 2008r2-sp1 xp-sp3-x86 7-sp1-x64 2012r2 2019 2022 win11 2003-sp2-x64"}
every_format="win10 2008r2-sp1 xp-sp3-x86"

# convert VARIANT RAW DIR: the image in DIR, its path on stdout
convert() {
	local v=$1 raw=$2 dir=$3
	mkdir -p "$dir"
	case $v in
	qcow2) qemu-img convert -f raw -O qcow2 "$raw" "$dir/d.qcow2"
		echo "$dir/d.qcow2" ;;
	qcow2-backing)
		cp "$raw" "$dir/base.raw"
		qemu-img create -q -f qcow2 -b base.raw -F raw "$dir/d.qcow2"
		echo "$dir/d.qcow2" ;;
	vmdk-sparse) qemu-img convert -f raw -O vmdk \
		-o subformat=monolithicSparse "$raw" "$dir/d.vmdk"
		echo "$dir/d.vmdk" ;;
	vmdk-2gb) qemu-img convert -f raw -O vmdk \
		-o subformat=twoGbMaxExtentSparse "$raw" "$dir/d.vmdk"
		echo "$dir/d.vmdk" ;;
	vhdx) qemu-img convert -f raw -O vhdx "$raw" "$dir/d.vhdx"
		echo "$dir/d.vhdx" ;;
	vpc) qemu-img convert -f raw -O vpc \
		-o subformat=dynamic,force_size=on "$raw" "$dir/d.vhd"
		echo "$dir/d.vhd" ;;
	vdi) qemu-img convert -f raw -O vdi "$raw" "$dir/d.vdi"
		echo "$dir/d.vdi" ;;
	*) fail "unknown variant $v" ;;
	esac
}

# qemu's format name of a variant, as the report must say it
qfmt() {
	case $1 in qcow2*) echo qcow2 ;; vmdk*) echo vmdk ;; *) echo "$1" ;; esac
}

check_clean() { # IMAGE FMT WHEN
	local rc=0
	qemu-img check -q -f "$2" "$1" >/dev/null 2>&1 || rc=$?
	# 63: the format has no check (vpc)
	[ $rc -eq 0 ] || [ $rc -eq 63 ] ||
		fail "$1: qemu-img check not clean after $3 (exit $rc)"
}

# run_case PROFILE VARIANT: one image through plan, fix, rollback
run_case() {
	local profile=$1 v=$2 name=$1-vmware c=$1-$2 f img
	f=$(qfmt "$v")
	img=$(convert "$v" "$name.img" "$c")
	cp -a "$c" "$c.orig"
	local before backing=""
	before=$(cat "$c"/* | sha256sum)
	[ "$v" = qcow2-backing ] && backing=$(sha "$c/base.raw")

	"$imgfix" plan --json -r kvm-virtio -r remove-foreign-tools \
		-d store "$img" >"$c.plan.json" 2>"$c.err" ||
		fail "$c: plan failed: $(cat "$c.err")"
	[ "$(json_get "$c.plan.json" 'j["road"] + " " + j["image_format"]')" = "direct $f" ] ||
		fail "$c: not the direct road for $f: $(json_get "$c.plan.json" 'j["road"], j["image_format"]')"
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1))' \
		"$c.plan.json" >"$c.plan"
	cmp -s "$c.plan" "$golden/$name.plan" || {
		diff -u "$golden/$name.plan" "$c.plan" | head -20 >&2 || true
		fail "$c: plan differs from the raw road's $name.plan"
	}
	[ "$(cat "$c"/* | sha256sum)" = "$before" ] ||
		fail "$c: plan wrote to the image"

	"$imgfix" fix --json -r kvm-virtio -r remove-foreign-tools \
		-d store "$img" >"$c.fix.json" 2>"$c.err" ||
		fail "$c: fix failed: $(cat "$c.err")"
	[ "$(json_get "$c.fix.json" 'j["status"]')" = fixed ] ||
		fail "$c: status is not fixed"
	check_clean "$img" "$f" fix

	"$imgfix" hive diff "$name.img:SYSTEM" "$img:SYSTEM" \
		>"$c.diff.reg" 2>"$c.err" || [ $? -le 1 ] ||
		fail "$c: hive diff failed: $(cat "$c.err")"
	cmp -s "$c.diff.reg" "$golden/$name.diff.reg" || {
		diff -u "$golden/$name.diff.reg" "$c.diff.reg" | head -20 >&2 || true
		fail "$c: registry diff differs from the raw road's"
	}

	"$imgfix" rollback "$img" >/dev/null 2>"$c.err" ||
		fail "$c: rollback failed: $(cat "$c.err")"
	check_clean "$img" "$f" rollback
	local o=${img/#$c\//$c.orig/}
	qemu-img compare -q -f "$f" -F "$f" "$o" "$img" ||
		fail "$c: qemu-img compare: not identical after rollback"
	[ -z "$backing" ] || [ "$(sha "$c/base.raw")" = "$backing" ] ||
		fail "$c: the backing file was written"
	rm -rf "$c" "$c.orig" "$img.imgfix"
	echo "$c: plan, fix, rollback through qemu-nbd ($f)"
}

# run_linux_case VARIANT: the Debian 12 fixture on ext4, against the plan
# of the raw image; fstab gets the filesystem's UUID.
run_linux_case() {
	local v=$1 c=linux-$1 f img
	f=$(qfmt "$v")
	img=$(convert "$v" lx.img "$c")
	cp -a "$c" "$c.orig"
	"$imgfix" plan --json -r linux-virtio "$img" >"$c.plan.json" \
		2>"$c.err" || fail "$c: plan failed: $(cat "$c.err")"
	[ "$(json_get "$c.plan.json" 'j["road"] + " " + j["backend"]')" = "direct ext" ] ||
		fail "$c: not the direct road's ext backend"
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1))' \
		"$c.plan.json" >"$c.plan"
	cmp -s "$c.plan" lx.plan || {
		diff -u lx.plan "$c.plan" | head -20 >&2 || true
		fail "$c: plan differs from the raw image's"
	}
	"$imgfix" --quiet fix -r linux-virtio "$img" >/dev/null 2>"$c.err" ||
		fail "$c: fix failed: $(cat "$c.err")"
	check_clean "$img" "$f" fix
	qemu-img convert -f "$f" -O raw "$img" "$c.raw"
	dd if="$c.raw" of="$c.part" bs=512 skip=2048 count=409600 status=none
	e2fsck -fn "$c.part" >/dev/null 2>&1 ||
		fail "$c: filesystem not clean after fix"
	debugfs -R 'cat /etc/fstab' "$c.part" 2>/dev/null >"$c.fstab"
	grep -q "^UUID=$lx_uuid[[:space:]]*/[[:space:]]" "$c.fstab" ||
		fail "$c: fstab lacks UUID=$lx_uuid for /"
	"$imgfix" --quiet rollback "$img" >/dev/null 2>"$c.err" ||
		fail "$c: rollback failed: $(cat "$c.err")"
	check_clean "$img" "$f" rollback
	local o=${img/#$c\//$c.orig/}
	qemu-img compare -q -f "$f" -F "$f" "$o" "$img" ||
		fail "$c: qemu-img compare: not identical after rollback"
	rm -rf "$c" "$c.orig" "$c.raw" "$c.part" "$img.imgfix"
	echo "$c: plan, fix, rollback through qemu-nbd ($f)"
}

# The Linux image (as tests/e2e/test-e2e-linux.sh builds it) and its plan
# on the raw road.
linux_variants=${IMGFIX_FORMATS_LINUX-$variants}
if [ -n "$linux_variants" ] && command -v mkfs.ext4 >/dev/null; then
	truncate -s 256M lx.img
	printf 'label: dos\nstart=2048, size=409600, type=83\n' |
		sfdisk -q lx.img
	mkfs.ext4 -q -F -E offset=$((2048 * 512)) \
		-d "$fixtures/linux/debian12" lx.img 200M
	lx_uuid=$(blkid -p -o value -s UUID --offset $((2048 * 512)) lx.img)
	"$imgfix" plan --json -r linux-virtio lx.img >lx.plan.json ||
		fail "raw Linux plan failed"
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1))' \
		lx.plan.json >lx.plan
else
	linux_variants=
fi

# The raw images first (serially: they share hive directories).
cases=()
for profile in $profiles; do
	table=mbr
	case "$profile" in win10 | win11 | 2019 | 2022) table=gpt ;; esac
	opts=(--table "$table")
	[ "$table" = gpt ] && opts+=(--esp)
	windows_image "$profile" vmware "$profile-vmware.img" "${opts[@]}"
	for v in $variants; do
		if [ "$v" = qcow2 ] || [[ " $every_format " == *" $profile "* ]]; then
			cases+=("$profile $v")
		fi
	done
done

for v in $linux_variants; do
	cases+=("linux $v")
done

# Two at a time; every case's failure is reported.
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
failed=0 running=0 n=0
for cs in "${cases[@]}"; do
	# shellcheck disable=SC2086
	case $cs in
	linux\ *) (run_linux_case "${cs#linux }") & ;;
	*) (run_case $cs) & ;;
	esac
	running=$((running + 1))
	n=$((n + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n || failed=$((failed + 1))
		running=$((running - 1))
	fi
done
while [ $running -gt 0 ]; do
	wait -n || failed=$((failed + 1))
	running=$((running - 1))
done
[ $failed -eq 0 ] || fail "$failed of $n format cases failed"

# imgfix batch takes the same road: a qcow2 and a vmdk in one manifest.
if [[ " $profiles " == *" win10 "* ]]; then
	qemu-img convert -f raw -O qcow2 win10-vmware.img b1.qcow2
	qemu-img convert -f raw -O vmdk win10-vmware.img b2.vmdk
	printf -- '-r kvm-virtio -r remove-foreign-tools -d store\nb1.qcow2\nb2.vmdk\n' \
		>wave.txt
	"$imgfix" --quiet batch -j 2 --report-dir wave wave.txt ||
		fail "batch of container formats failed"
	for r in wave/001-b1.qcow2.json:qcow2 wave/002-b2.vmdk.json:vmdk; do
		[ "$(json_get "${r%:*}" 'j["status"] + " " + j["road"] + " " + j["image_format"]')" = "fixed direct ${r#*:}" ] ||
			fail "batch: ${r%:*} not fixed on the direct road"
	done
	echo "batch: qcow2 and vmdk fixed on the direct road"
fi
[ $n -ge 1 ] || fail "no case ran"
echo "$n Windows and Linux images fixed and rolled back in container formats"
