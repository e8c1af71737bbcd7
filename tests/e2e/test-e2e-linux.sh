#!/usr/bin/env bash
# End to end on a raw ext4 image of the Debian 12 fixture (direct ext
# backend): fix -r linux-virtio puts UUID= in fstab (the filesystem's real
# UUID), remaps GRUB's device names, leaves the filesystem clean; a second
# fix has nothing to do; rollback restores the image byte for byte.
. "$(dirname "$0")/lib.sh"
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"
cd "$tmp"

truncate -s 256M lx.img
printf 'label: dos\nstart=2048, size=409600, type=83\n' | sfdisk -q lx.img
mkfs.ext4 -q -F -E offset=$((2048 * 512)) -d "$fixtures/linux/debian12" \
	lx.img 200M
cp lx.img lx.orig
uuid=$(blkid -p -o value -s UUID --offset $((2048 * 512)) lx.img)
[ -n "$uuid" ] || fail "no UUID from blkid"

"$imgfix" --quiet fix --json -r linux-virtio lx.img >fix.json ||
	fail "fix failed: $(cat fix.json)"
[ "$(json_get fix.json 'j["backend"]')" = ext ] || fail "not the ext backend"
dd if=lx.img of=part.img bs=512 skip=2048 count=409600 status=none
e2fsck -fn part.img >/dev/null 2>&1 || fail "filesystem not clean after fix"
debugfs -R 'cat /etc/fstab' part.img 2>/dev/null >fstab
grep -q "^UUID=$uuid[[:space:]]*/[[:space:]]" fstab ||
	fail "fstab lacks UUID=$uuid for /: $(cat fstab)"
debugfs -R 'cat /boot/grub/grub.cfg' part.img 2>/dev/null >grub.cfg
grep -q 'root=/dev/vda1' grub.cfg || fail "grub.cfg root= not remapped"
! grep -q 'root=/dev/sda1' grub.cfg || fail "grub.cfg still names sda1"

rc=0
"$imgfix" --quiet fix -r linux-virtio --backup again lx.img || rc=$?
[ $rc -eq 3 ] || fail "second fix: exit $rc, not 3"

"$imgfix" --quiet rollback lx.img || fail "rollback failed"
cmp -s lx.img lx.orig || fail "image differs after rollback"
echo "ext4: fstab UUID=$uuid, grub remapped, rollback byte-identical"
