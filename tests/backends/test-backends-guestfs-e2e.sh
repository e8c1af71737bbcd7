#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The guestfs road end to end, against the direct road on the raw
# equivalent:
#
#   - a Windows fixture (win10 + vmware tools, GPT + ESP; built like
#     tests/e2e) as qcow2 and as vmdk: `imgfix inspect` finds the same
#     facts, `imgfix fix --backend guestfs` (these formats take the direct
#     road through qemu-nbd unless asked) reports the guestfs backend,
#     plans the same ops and leaves the same SYSTEM hive
#     diff as the direct fix of the raw image, and `imgfix rollback` puts
#     the hive back (empty diff);
#   - the Linux fixture tree on ext4 in an LVM logical volume (built with
#     guestfish, no root): the raw image is opened through guestfs
#     automatically (LVM), the fixed /etc and /boot are byte-identical to
#     the direct fix of the same tree on a plain ext4 partition, and
#     rollback restores the tree.
#
# Slow (each imgfix call boots the appliance; TCG under
# LIBGUESTFS_BACKEND_SETTINGS=force_tcg), so: the qcow2, vmdk and LVM parts
# run as three parallel jobs, each with its own files and log (a failed one
# prints its log); the LVM image is kept in the fixture cache
# (tests/fixtures/fixture-cache.sh) keyed by the tree and the guestfish
# recipe; the fixed LVM tree is copied out of a copy of the image while
# rollback runs on the image; and whether an appliance can start at all is
# asked only when a part fails.  Exit 77 when the corpus, qemu-img or
# guestfish is missing or no appliance can start.
. "$(dirname "$0")/../e2e/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
for t in qemu-img guestfish debugfs sfdisk mkfs.ext4; do
	command -v $t >/dev/null || skip "$t not installed"
done
cd "$tmp"
store
. "$fixtures/fixture-cache.sh"

sets=(-r kvm-virtio -r remove-foreign-tools -d store)

# plan_of FIX.JSON: the plan part, for comparing two roads
plan_of() {
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1, sort_keys=True))' "$1"
}
# facts_of INSPECT.JSON: the facts, less the road taken (image.road and
# image.road_reason differ between the roads by design; road_of checks them)
facts_of() {
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["guests"][0]["facts"]; [f.pop(k, None) for k in ("image.road", "image.road_reason")]; print(json.dumps(f, indent=1, sort_keys=True))' "$1"
}
road_of() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["guests"][0]["facts"].get("image.road", ""))' "$1"
}

# ---- Windows: direct road on raw --------------------------------------
windows_image win10 vmware win.orig --table gpt --esp
cp win.orig direct.img
"$imgfix" inspect --json win.orig >direct.inspect.json ||
	fail "direct inspect failed"
[ "$(road_of direct.inspect.json)" = direct ] ||
	fail "inspect of the raw image does not say image.road=direct"
"$imgfix" fix --json "${sets[@]}" --backup direct.bk direct.img \
	>direct.fix.json || fail "direct fix failed"
[ "$(json_get direct.fix.json 'j["backend"]')" = ntfs3g ] ||
	fail "direct fix did not run on ntfs3g"
"$imgfix" hive diff win.orig:SYSTEM direct.img:SYSTEM >direct.diff.reg
[ -s direct.diff.reg ] || fail "the direct fix changed nothing in SYSTEM"

# windows_fmt FMT: the Windows fixture as FMT on the guestfs road.
windows_fmt() {
	local fmt=$1 img=win.$1
	qemu-img convert -f raw -O $fmt win.orig $img

	"$imgfix" inspect --backend guestfs --json $img >$fmt.inspect.json ||
		fail "$fmt: inspect failed"
	diff -u <(facts_of direct.inspect.json) <(facts_of $fmt.inspect.json) ||
		fail "$fmt: inspect facts differ from the direct road"
	[ "$(road_of $fmt.inspect.json)" = guestfs ] ||
		fail "$fmt: inspect does not say image.road=guestfs"

	"$imgfix" fix --backend guestfs --json "${sets[@]}" --backup $fmt.bk \
		$img >$fmt.fix.json || fail "$fmt: fix failed"
	[ "$(json_get $fmt.fix.json 'j["status"]')" = fixed ] ||
		fail "$fmt: status is not fixed"
	[ "$(json_get $fmt.fix.json 'j["backend"]')" = guestfs ] ||
		fail "$fmt: the report does not say guestfs"
	diff -u <(plan_of direct.fix.json) <(plan_of $fmt.fix.json) ||
		fail "$fmt: the plan differs from the direct road"

	qemu-img convert -f $fmt -O raw $img $fmt.fixed.raw
	"$imgfix" hive diff win.orig:SYSTEM $fmt.fixed.raw:SYSTEM \
		>$fmt.diff.reg
	diff -u direct.diff.reg $fmt.diff.reg ||
		fail "$fmt: SYSTEM hive diff differs from the direct road"

	"$imgfix" rollback --backup $fmt.bk $img >/dev/null ||
		fail "$fmt: rollback failed"
	qemu-img convert -f $fmt -O raw $img $fmt.rolled.raw
	"$imgfix" hive diff --exit-code win.orig:SYSTEM \
		$fmt.rolled.raw:SYSTEM >$fmt.rolled.reg ||
		fail "$fmt: SYSTEM differs after rollback: $(head -5 $fmt.rolled.reg)"
	rm -f $fmt.fixed.raw $fmt.rolled.raw
	echo "windows $fmt: inspect, fix, rollback as on the direct road"
}

# ---- Linux on LVM ------------------------------------------------------
linux_lvm() {
	tree=$src/tests/fixtures/linux/debian12
	truncate -s 64M ext4.img
	printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q ext4.img
	mkfs.ext4 -F -q -E offset=1048576 -d "$tree" ext4.img 63M
	"$imgfix" fix --json -r linux-virtio --backup ext4.bk ext4.img \
		>ext4.fix.json || fail "direct ext4 fix failed"
	[ "$(json_get ext4.fix.json 'j["backend"]')" = ext ] ||
		fail "direct Linux fix did not run on the ext backend"
	mkdir direct-out
	for d in etc boot; do
		debugfs -R "rdump /$d direct-out" "ext4.img?offset=1048576" \
			>/dev/null 2>&1
	done

	local lvm_recipe="-N lvm.img=lvfs:/dev/VG/root:ext4:96M -m /dev/VG/root copy-in etc boot lib usr /"
	local key
	key=lvm-$(fixture_key "=$lvm_recipe" "$tree/etc" "$tree/boot" \
		"$tree/lib" "$tree/usr")
	if ! fixture_cache_fetch "$key" lvm; then
		guestfish -N lvm.img=lvfs:/dev/VG/root:ext4:96M -m /dev/VG/root \
			copy-in "$tree/etc" "$tree/boot" "$tree/lib" "$tree/usr" / ||
			fail "guestfish could not build the LVM image"
		mkdir -p lvm && mv lvm.img lvm/
		fixture_cache_keep "$key" lvm
	fi
	mv lvm/lvm.img lvm.img
	"$imgfix" fix --json -r linux-virtio --backup lvm.bk lvm.img \
		>lvm.fix.json || fail "LVM fix failed"
	[ "$(json_get lvm.fix.json 'j["backend"]')" = guestfs ] ||
		fail "LVM: the report does not say guestfs"
	# The fixed tree, read from a copy while the image is rolled back.
	mkdir lvm-out
	cp --sparse=always lvm.img lvm.fixed.img
	guestfish --ro -a lvm.fixed.img -m /dev/VG/root \
		copy-out /etc /boot lvm-out &
	local copy_pid=$!

	"$imgfix" rollback --backup lvm.bk lvm.img >/dev/null ||
		fail "LVM: rollback failed"
	mkdir lvm-rolled
	guestfish --ro -a lvm.img -m /dev/VG/root copy-out /etc /boot lvm-rolled
	wait $copy_pid || fail "LVM: copy-out of the fixed tree failed"
	# One legitimate difference: on the raw image /dev/sda1 is the root
	# filesystem, so fstab-to-uuid writes its UUID=; on the LVM image sda1 is a
	# PV, so the name is only remapped (vda1).
	sed -i -E 's|^UUID=[0-9a-fA-F-]+([[:space:]]+/[[:space:]])|/dev/vda1\1|' \
		direct-out/etc/fstab
	diff -r --no-dereference direct-out lvm-out ||
		fail "LVM: fixed /etc and /boot differ from the direct road"

	diff -r --no-dereference "$tree/etc" lvm-rolled/etc &&
		diff -r --no-dereference "$tree/boot" lvm-rolled/boot ||
		fail "LVM: the tree differs after rollback"
	echo "linux LVM: fix as on the direct road, rollback restores the tree"
}

for part in "windows_fmt qcow2" "windows_fmt vmdk" linux_lvm; do
	log=${part// /-}.log
	($part; touch "$log.ok") >"$log" 2>&1 &
done
wait
failed=0
for part in "windows_fmt qcow2" "windows_fmt vmdk" linux_lvm; do
	log=${part// /-}.log
	if [ -e "$log.ok" ]; then
		cat "$log"
	else
		echo "--- $part:" >&2
		cat "$log" >&2
		failed=$((failed + 1))
	fi
done
if [ $failed -ne 0 ]; then
	guestfish -a /dev/null run >probe.log 2>&1 ||
		skip "no libguestfs appliance: $(tail -1 probe.log)"
	fail "$failed of 3 parts failed"
fi
