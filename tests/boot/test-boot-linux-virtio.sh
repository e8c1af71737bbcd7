#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Boot test (issue 8): a real Debian 12 guest captured from a SATA/IDE
# machine (debian12-recipe.sh) does not boot on a virtio-blk disk; after
# `imgfix fix -r linux-virtio` it does; after `imgfix rollback` it does not
# again.  Before all that a control boot on the source's SATA (AHCI) disk
# shows the image is sound (it and the unfixed boot on virtio-blk run on
# throw-away copies, in the background while the fix runs).  Rolling back
# the image the fixed guest booted from must be refused (it changed after
# the fix); the rollback then runs on the image as the fix left it.  e2fsck -fn checks the file system after
# each imgfix write.  The guest proves it booted by printing IMGFIX-BOOT-OK on its
# serial console once the root file system its /etc/fstab names is mounted.
#
#   test-boot-linux-virtio.sh IMGFIX RECIPE
#
# The kernel, initrd and kernel command line are read from the image before
# every boot (first entry of /boot/grub/grub.cfg, dumped with debugfs), so
# the fstab, initramfs and root= under test are the guest's own.  qemu runs
# with TCG, 512 MiB, the disk as virtio-blk.
#
# The built image is cached in $IMGFIX_CACHE_DIR (default
# ~/.cache/imgfix/boot-images) under the SHA-256 of the recipe; a cache miss
# builds it (about 4 min here, needs root and the Debian mirror).
#
# Initramfs rebuild: imgfix on the direct ext4 road writes the guest's
# initramfs-tools configuration and reports that a rebuild is still needed
# (the rebuild is a command inside the guest: guestfs backend).  When the
# report says so, this test stands in for that step: it copies the guest's
# tree out of the image (debugfs rdump), runs the guest's own
# update-initramfs in a chroot of it, and writes the new initrd back into
# the image (debugfs write).  The same stand-in runs after the rollback too,
# to show that the rebuild alone, without imgfix's changes, does not make the
# guest boot.
#
# Exit 0 pass, 1 fail, 77 skip (no qemu/debootstrap; not root and either no
# cached image or the stand-in is needed; no Debian mirror).
set -euo pipefail

IMGFIX=${1:?usage: $0 IMGFIX RECIPE}
RECIPE=${2:?usage: $0 IMGFIX RECIPE}
# 3x the longest boot to the marker seen on a busy 2-core machine (155 s):
# a boot stops as soon as the marker or the initramfs' refusal shows.
BOOT_TIMEOUT=${IMGFIX_BOOT_TIMEOUT:-540}
POWEROFF_TIMEOUT=90
CACHE_DIR=${IMGFIX_CACHE_DIR:-${HOME:-/root}/.cache/imgfix/boot-images}
SKIP=77

log() { echo "boot-test: $*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}
skip() {
	log "SKIP: $*"
	exit $SKIP
}
t_start() { t_mark=$(date +%s.%N); }
t_print() {
	log "$(awk -v a="$t_mark" -v b="$(date +%s.%N)" -v l="$1" \
		'BEGIN { printf "%-34s %6.1f s", l, b - a }')"
}

for t in qemu-system-x86_64 debugfs e2fsck sfdisk lsinitramfs; do
	command -v "$t" >/dev/null || skip "'$t' not found (scripts/install-deps.sh)"
done
[[ -x $IMGFIX ]] || fail "imgfix not found at '$IMGFIX'"
for c in fix rollback; do
	"$IMGFIX" "$c" --help >/dev/null 2>&1 || fail "'imgfix $c' does not work"
done

# --- 1. the guest image: from the cache, or built by the recipe ----------
key=$(sha256sum "$RECIPE" | cut -c1-16)
cached=$CACHE_DIR/debian12-sata-$key.raw
mkdir -p "$CACHE_DIR"
t_start
if [[ ! -f $cached ]]; then
	[[ $(id -u) -eq 0 ]] ||
		skip "no cached image $cached and building one needs root"
	command -v debootstrap >/dev/null || skip "debootstrap not installed"
	exec 9>"$CACHE_DIR/.lock"
	flock 9
	if [[ ! -f $cached ]]; then
		log "building the guest image (cache miss, key $key)"
		if ! "$RECIPE" "$cached.tmp" 2>"$CACHE_DIR/build-$key.log"; then
			tail -n 40 "$CACHE_DIR/build-$key.log" >&2
			rm -f "$cached.tmp"
			if grep -q "debootstrap failed" "$CACHE_DIR/build-$key.log" &&
				grep -qi "Failed getting release file\|Temporary failure\|unable to fetch\|Could not resolve" \
					"$CACHE_DIR/build-$key.log"; then
				skip "the Debian mirror cannot be reached"
			fi
			fail "the recipe failed (log: $CACHE_DIR/build-$key.log)"
		fi
		mv "$cached.tmp" "$cached"
		# Images of older recipes are dead weight (~600 MiB each).
		for old in "$CACHE_DIR"/debian12-sata-*.raw; do
			[[ $old == "$cached" ]] && continue
			log "removing the image of an older recipe: $old"
			rm -f "$old"
		done
		cat "$CACHE_DIR/build-$key.log" >&2
	fi
	exec 9>&-
	t_print "build image (cache miss)"
else
	t_print "image from cache"
fi
log "image $cached"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/imgfix-boot.XXXXXX")
qemu_pid=
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	# qemu of every boot, the background ones too
	for p in "$work"/boot*/qemu.pid; do
		[[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null
	done
	if [[ -n $qemu_pid ]]; then
		kill "$qemu_pid" 2>/dev/null || true
	fi
	mountpoint -q "$work/tree/proc" 2>/dev/null && umount -l "$work/tree/proc"
	if [[ -n ${IMGFIX_BOOT_KEEP:-} ]]; then
		log "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

img=$work/guest.raw
t_start
cp --sparse=always "$cached" "$img"
t_print "copy image"

part_offset() {
	local start
	start=$(sfdisk -d "$1" | sed -n 's/^[^:]*1 : start= *\([0-9]*\),.*/\1/p')
	[[ $start =~ ^[0-9]+$ ]] || fail "no first partition in $1"
	echo $((start * 512))
}
# The guest's file system as debugfs names it ($img may change).
fs() { echo "$img?offset=$(part_offset "$img")"; }

# debugfs prints its banner on stderr and errors on stderr too, with exit 0:
# check the result instead.
guest_cat() { debugfs -R "cat $1" "$(fs)" 2>/dev/null; }
guest_dump() {
	rm -f "$2"
	debugfs -R "dump $1 $2" "$(fs)" 2>/dev/null
	[[ -s $2 ]] || fail "cannot read $1 from the image"
}

# The guest's file system must be consistent after every imgfix write.
fsck_check() {
	local rc=0
	e2fsck -fn "$(fs)" >"$work/fsck.log" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		grep -v '^Pass\|^e2fsck' "$work/fsck.log" | head -n 12 | sed 's/^/    /' >&2
		fail "e2fsck -fn finds errors (exit $rc) $1"
	fi
	log "ok: e2fsck -fn: the file system is clean $1"
}

# --- boot: 0 marker seen, 1 no marker (reason in $boot_reason) -----------
# After the marker the guest powers itself off; what the test does next
# needs the clean file system that leaves.
wait_poweroff() {
	local until=$((SECONDS + POWEROFF_TIMEOUT))
	while kill -0 "$qemu_pid" 2>/dev/null; do
		((SECONDS < until)) ||
			fail "the guest did not power off within ${POWEROFF_TIMEOUT} s"
		sleep 1
	done
}

# boot_guest [sata]: virtio-blk, or the source machine's SATA (AHCI) disk.
# Boots $img; boot number $boot_n + 1 (set boot_n before running one in
# the background).
boot_n=0
boot_guest() {
	local cfg linux initrd cmdline k serial deadline disk
	boot_n=$((boot_n + 1))
	if [[ ${1:-virtio} == sata ]]; then
		disk=(-device "ahci,id=ahci"
			-drive "id=d0,file=$img,if=none,format=raw"
			-device "ide-hd,drive=d0,bus=ahci.0")
	else
		disk=(-drive "file=$img,if=virtio,format=raw")
	fi
	cfg=$(guest_cat /boot/grub/grub.cfg)
	[[ -n $cfg ]] || fail "no /boot/grub/grub.cfg in the image"
	# First menu entry: "linux PATH ARGS..." and "initrd PATH".
	read -r _ linux cmdline < <(grep -m1 -E '^[[:space:]]*linux[[:space:]]' <<<"$cfg")
	read -r _ initrd < <(grep -m1 -E '^[[:space:]]*initrd[[:space:]]' <<<"$cfg")
	[[ $linux == /* && $initrd == /* ]] || fail "no linux/initrd lines in grub.cfg"
	k=$work/boot$boot_n
	mkdir -p "$k"
	guest_dump "$linux" "$k/vmlinuz"
	guest_dump "$initrd" "$k/initrd"
	serial=$k/serial.log
	: >"$serial"
	log "boot $boot_n (${1:-virtio}): $linux $cmdline"
	t_start
	qemu-system-x86_64 -accel tcg -m 512 -smp 1 -no-reboot \
		-display none -monitor none -serial "file:$serial" -nic none \
		-kernel "$k/vmlinuz" -initrd "$k/initrd" -append "$cmdline" \
		"${disk[@]}" \
		>"$k/qemu.log" 2>&1 &
	qemu_pid=$!
	echo "$qemu_pid" >"$k/qemu.pid"
	deadline=$((SECONDS + BOOT_TIMEOUT))
	boot_reason="no marker within ${BOOT_TIMEOUT} s"
	local rc=1
	while ((SECONDS < deadline)); do
		sleep 1
		if grep -q "IMGFIX-BOOT-OK" "$serial"; then
			boot_reason=$(grep -m1 -a -o "IMGFIX-BOOT-OK.*" "$serial" | tr -d '\r')
			rc=0
			wait_poweroff
			break
		fi
		if grep -q "IMGFIX-BOOT-FSTAB-MISMATCH" "$serial"; then
			boot_reason=$(grep -m1 -a -o "IMGFIX-BOOT-FSTAB-MISMATCH.*" "$serial" | tr -d '\r')
			wait_poweroff
			break
		fi
		if grep -a -q "Dropping to a shell\|Kernel panic\|Gave up waiting for root" "$serial"; then
			sleep 2
			boot_reason=$(grep -a -m1 "ALERT!\|Kernel panic" "$serial" | tr -d '\r')
			boot_reason=${boot_reason:-initramfs gave up waiting for root}
			break
		fi
		if ! kill -0 "$qemu_pid" 2>/dev/null; then
			boot_reason="qemu exited: $(tail -n 3 "$k/qemu.log" | tr '\n' ' ')"
			break
		fi
	done
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	rm -f "$k/qemu.pid"
	qemu_pid=
	t_print "boot $boot_n ($([[ $rc -eq 0 ]] && echo booted || echo no boot))"
	log "boot $boot_n: $boot_reason"
	return $rc
}

show_serial() { # [BOOT-NUMBER]
	local n=${1:-$boot_n}
	log "last lines of the serial console of boot $n:"
	tail -n 25 "$work/boot$n/serial.log" | tr -d '\r' | sed 's/^/    /' >&2
}

# The stand-in for the guestfs backend's initramfs rebuild (see the top).
rebuild_initramfs() {
	local kver initrd
	[[ $(id -u) -eq 0 ]] || skip "the initramfs rebuild stand-in needs root (chroot)"
	t_start
	rm -rf "$work/tree"
	mkdir "$work/tree"
	debugfs -R "rdump / $work/tree" "$(fs)" 2>"$work/rdump.log" || true
	[[ -f $work/tree/boot/grub/grub.cfg ]] ||
		fail "debugfs rdump of the guest failed: $(tail -n 3 "$work/rdump.log")"
	initrd=$(grep -m1 -E '^[[:space:]]*initrd[[:space:]]' "$work/tree/boot/grub/grub.cfg" |
		awk '{print $2}')
	kver=${initrd##*/initrd.img-}
	[[ -n $kver && -d $work/tree/lib/modules/$kver ]] ||
		fail "cannot tell the kernel version from '$initrd'"
	mount -t proc proc "$work/tree/proc"
	if ! chroot "$work/tree" update-initramfs -u -k "$kver" >"$work/initramfs.log" 2>&1; then
		cat "$work/initramfs.log" >&2
		fail "update-initramfs in the guest failed"
	fi
	umount "$work/tree/proc"
	cp "$work/tree/boot/initrd.img-$kver" "$work/initrd.new"
	if lsinitramfs "$work/initrd.new" | grep -c '/virtio_blk\.ko' >/dev/null; then
		log "the rebuilt initramfs holds virtio_blk"
	else
		log "the rebuilt initramfs has no virtio_blk"
	fi
	rm -rf "$work/tree"
	printf 'cd /boot\nrm initrd.img-%s\nwrite %s initrd.img-%s\n' \
		"$kver" "$work/initrd.new" "$kver" >"$work/debugfs.cmd"
	debugfs -w -f "$work/debugfs.cmd" "$(fs)" >"$work/debugfs.log" 2>&1
	guest_dump "/boot/initrd.img-$kver" "$work/initrd.check"
	cmp -s "$work/initrd.new" "$work/initrd.check" ||
		fail "writing the rebuilt initrd back failed: $(cat "$work/debugfs.log")"
	t_print "initramfs rebuild (stand-in)"
}

needs_rebuild() { grep -qi "rebuild still needed\|rebuild needed" "$1"; }

# Without root, the stand-in cannot run: find out before booting anything.
if [[ $(id -u) -ne 0 ]]; then
	"$IMGFIX" plan -r linux-virtio "$img" >"$work/plan.out" 2>&1 || true
	needs_rebuild "$work/plan.out" &&
		skip "imgfix leaves the initramfs rebuild to the test, whose stand-in needs root (chroot)"
fi

# --- 2. as captured: boots on SATA, must not boot on virtio-blk ----------
# The control boot shows the image is sound, so that a failure on
# virtio-blk is the bus's doing.  Both boots run on throw-away copies of
# the captured image (a boot writes to the file system: journal replay,
# logs), in the background while step 3 fixes $img: the three are
# independent, and a TCG boot takes minutes.  Each background boot writes
# its log to $work/bootN.out and its result to $work/bootN.rc.
cp --sparse=always "$cached" "$work/control.raw"
cp --sparse=always "$cached" "$work/unfixed.raw"
bg_boot() { # N IMAGE [sata]
	local n=$1
	(
		img=$2
		boot_n=$((n - 1))
		rc=0
		boot_guest "${3:-virtio}" || rc=$?
		echo "$rc" >"$work/boot$n.rc"
	) >"$work/boot$n.out" 2>&1 &
	bg_pids+=($!)
}
bg_boot 1 "$work/control.raw" sata
bg_boot 2 "$work/unfixed.raw"
boot_n=2

# --- 3. imgfix fix ------------------------------------------------------
t_start
set +e
"$IMGFIX" fix -r linux-virtio --backup "$work/backup" "$img" \
	>"$work/fix.out" 2>&1
fix_rc=$?
set -e
t_print "imgfix fix"
sed 's/^/    /' "$work/fix.out" >&2
[[ $fix_rc -eq 0 ]] || fail "imgfix fix exited with $fix_rc"
fsck_check "after imgfix fix"
# The image as imgfix left it, for the rollback step (the rebuild stand-in
# and the boot below write to the image after the fix).
cp --sparse=always "$img" "$work/fixed.keep"
if needs_rebuild "$work/fix.out"; then
	log "imgfix reports that the initramfs rebuild is still needed:" \
		"running the stand-in"
	rebuild_initramfs
fi

# The results of step 2, in order.
wait "${bg_pids[@]}" || true
bg_pids=()
for n in 1 2; do
	cat "$work/boot$n.out" >&2
	[[ -f $work/boot$n.rc ]] || fail "boot $n did not finish"
done
if [[ $(cat "$work/boot1.rc") -ne 0 ]]; then
	show_serial 1
	fail "the unfixed guest does not boot on its own SATA disk"
fi
rm -f "$work/control.raw"
log "ok: the unfixed guest boots on SATA (control)"
if [[ $(cat "$work/boot2.rc") -eq 0 ]]; then
	show_serial 2
	fail "the unfixed guest booted on virtio-blk: the test guest is wrong"
fi
rm -f "$work/unfixed.raw"
log "ok: the unfixed guest does not boot on virtio-blk"

# --- 4. fixed: must boot ------------------------------------------------
if ! boot_guest; then
	show_serial
	fail "the fixed guest does not boot on virtio-blk"
fi
log "ok: the fixed guest boots on virtio-blk"

# --- 5. rolled back: must not boot again --------------------------------
# The booted image changed after the fix: rollback must refuse it rather
# than corrupt its file system.
if "$IMGFIX" rollback --backup "$work/backup" "$img" \
	>"$work/rollback-booted.out" 2>&1; then
	fail "imgfix rollback restored an image that changed after the fix"
fi
grep -q "changed after the fix" "$work/rollback-booted.out" ||
	{ cat "$work/rollback-booted.out" >&2; fail "no clear refusal"; }
fsck_check "after the refused rollback"
log "ok: rollback refuses the image the guest has booted from"

# Roll back the image as the fix left it.
cp --sparse=always "$work/fixed.keep" "$img"
t_start
"$IMGFIX" rollback --backup "$work/backup" "$img" >"$work/rollback.out" 2>&1 ||
	{ cat "$work/rollback.out" >&2; fail "imgfix rollback failed"; }
t_print "imgfix rollback"
sed 's/^/    /' "$work/rollback.out" >&2
fsck_check "after imgfix rollback"
if needs_rebuild "$work/fix.out"; then
	rebuild_initramfs
fi
if boot_guest; then
	show_serial
	fail "the guest still boots after imgfix rollback"
fi
log "ok: after rollback the guest does not boot on virtio-blk"
log "PASS"
