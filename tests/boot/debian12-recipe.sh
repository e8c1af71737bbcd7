#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The recipe of the boot test's guest: a small real Debian 12 (bookworm)
# installation as it would be captured from a physical machine whose root
# disk sat on a SATA/IDE controller, written as a raw MBR disk image with
# one ext4 partition.  The boot test (test-boot-linux-virtio.sh) keys its
# image cache by the SHA-256 of this file: change anything here and the
# image is rebuilt on the next run.
#
#   debian12-recipe.sh OUT.raw
#
# Needs root (debootstrap, chroot) and the Debian mirror; the mirror is the
# first deb.debian.org-style URI of this machine's apt sources, or
# $IMGFIX_DEBIAN_MIRROR.
#
# What makes the guest a faithful "imaged from SATA/IDE" machine:
# - initramfs-tools with MODULES=list and /etc/initramfs-tools/modules
#   naming the storage drivers of a SATA/IDE machine (ahci, ata_piix,
#   ata_generic, sd_mod) plus the root file system (ext4).  MODULES=dep
#   would be the usual setting, but it computes the list from the machine
#   that builds the initramfs — here the build host, a virtio VM — and would
#   put virtio_blk in.  MODULES=list with the drivers MODULES=dep yields on
#   a SATA/IDE machine is the honest equivalent.  The recipe checks the
#   result: no virtio_blk / virtio_pci / virtio_scsi in the initramfs.
# - /etc/fstab and the kernel command line say root is /dev/sda1.
# - No boot loader is installed in the MBR (grub-install on an image file
#   needs loop devices); /boot/grub/grub.cfg carries the one menu entry
#   grub-mkconfig would write, and the test boots qemu with the kernel,
#   initrd and command line of that entry, read from the image each time.
# - A systemd unit prints IMGFIX-BOOT-OK on ttyS0 once the root named in
#   /etc/fstab is the root that is mounted, read-write (otherwise
#   IMGFIX-BOOT-FSTAB-MISMATCH), then powers the guest off so the file
#   system is clean for what the test does next.
set -euo pipefail

SUITE=bookworm
INCLUDE=linux-image-amd64,initramfs-tools,systemd-sysv,e2fsprogs,kmod,udev
PART_START_SECTOR=2048
FS_UUID=6d0a3c2e-5b1f-4c0e-9a57-1a1f1c0b0012
FS_LABEL=imgfix-root
# A kernel + minbase tree is ~450 MiB; the file system gets this much
# room on top (initramfs rebuilds, logs of a few boots).
FS_SLACK_MIB=384
# Modules a SATA/IDE machine's MODULES=dep initramfs holds for its root.
SOURCE_MODULES="ahci ata_piix ata_generic libata sd_mod ext4 crc32c_generic"

die() {
	echo "debian12-recipe: $*" >&2
	exit 1
}

[[ $# -eq 1 ]] || die "usage: $0 OUT.raw"
out=$1
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
for t in debootstrap sfdisk mkfs.ext4 lsinitramfs; do
	command -v "$t" >/dev/null || die "'$t' not found (scripts/install-deps.sh)"
done

mirror=${IMGFIX_DEBIAN_MIRROR:-}
if [[ -z $mirror ]]; then
	mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\)$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
fi
if [[ -z $mirror ]]; then
	mirror=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*debian\)[[:space:]].*/\1/p' \
		/etc/apt/sources.list 2>/dev/null | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${out}.build.XXXXXX")
tree=$work/tree
cleanup() {
	for m in proc sys dev/pts dev; do
		mountpoint -q "$tree/$m" 2>/dev/null && umount -l "$tree/$m"
	done
	rm -rf "$work"
}
trap cleanup EXIT

t0=$SECONDS
echo "debian12-recipe: debootstrap $SUITE from $mirror" >&2
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tree" "$mirror" \
	>"$work/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
echo "debian12-recipe: debootstrap took $((SECONDS - t0)) s" >&2

kver=$(find "$tree/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' |
	sort -V | tail -n1)
[[ -n $kver && -f $tree/boot/vmlinuz-$kver ]] || die "no kernel in the tree"

# The source machine's configuration.
echo imgfix-boot >"$tree/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\timgfix-boot\n' >"$tree/etc/hosts"
cat >"$tree/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0     1
EOF
cat >"$tree/etc/initramfs-tools/conf.d/source-machine.conf" <<'EOF'
# This machine's root disk is on SATA/IDE: the initramfs holds the drivers
# listed in /etc/initramfs-tools/modules and nothing else.
MODULES=list
EOF
{
	echo "# Storage and root file system drivers of this SATA/IDE machine."
	for m in $SOURCE_MODULES; do echo "$m"; done
} >"$tree/etc/initramfs-tools/modules"
mkdir -p "$tree/boot/grub"
cat >"$tree/boot/grub/grub.cfg" <<EOF
# The entry grub-mkconfig writes for this machine (no separate /boot).
set default=0
set timeout=1
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux {
	insmod part_msdos
	insmod ext2
	linux	/boot/vmlinuz-$kver root=/dev/sda1 ro console=ttyS0,115200
	initrd	/boot/initrd.img-$kver
}
EOF
cat >"$tree/usr/local/sbin/imgfix-boot-marker" <<'EOF'
#!/bin/sh
# imgfix boot test: print the marker on the serial console when the root
# file system /etc/fstab names is the one mounted, read-write.
spec=
while read -r dev mnt rest; do
	case "$dev" in '#'* | '') continue ;; esac
	[ "$mnt" = / ] && spec=$dev
done </etc/fstab
case "$spec" in
UUID=* | LABEL=* | PARTUUID=* | PARTLABEL=*) dev=$(findfs "$spec") ;;
*) dev=$(readlink -f "$spec") ;;
esac
src=$(findmnt -n -o SOURCE /)
if [ -n "$dev" ] && [ "$dev" = "$src" ] &&
	touch /var/lib/imgfix-boot-rw-check; then
	echo "IMGFIX-BOOT-OK root=$src fstab=$spec" >/dev/ttyS0
else
	echo "IMGFIX-BOOT-FSTAB-MISMATCH root=$src fstab=$spec" >/dev/ttyS0
fi
# Shut down cleanly so the test finds a clean file system afterwards.
systemctl --no-block poweroff
EOF
chmod 0755 "$tree/usr/local/sbin/imgfix-boot-marker"
cat >"$tree/etc/systemd/system/imgfix-boot-marker.service" <<'EOF'
[Unit]
Description=imgfix boot test marker on the serial console
Requires=local-fs.target
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/imgfix-boot-marker

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$tree/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/imgfix-boot-marker.service \
	"$tree/etc/systemd/system/multi-user.target.wants/"
: >"$tree/etc/machine-id"

# The initramfs the source machine had (debootstrap built one with the
# default MODULES=most).
mount -t proc proc "$tree/proc"
chroot "$tree" update-initramfs -u -k "$kver" >"$work/initramfs.log" 2>&1 ||
	{ cat "$work/initramfs.log" >&2; die "update-initramfs failed"; }
umount "$tree/proc"
members=$(lsinitramfs "$tree/boot/initrd.img-$kver")
for m in virtio_blk virtio_pci virtio_scsi; do
	if grep -q "/$m\.ko" <<<"$members"; then
		die "initramfs contains $m: the guest would not be a SATA/IDE guest"
	fi
done
for m in ahci sd_mod ext4; do
	grep -q "/$m\.ko" <<<"$members" || die "initramfs lacks $m"
done

chroot "$tree" apt-get clean
rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin \
	"$tree"/var/log/*.log "$tree"/debootstrap

# Raw MBR disk, one ext4 partition, file system written from the tree.
tree_mib=$(du -sm "$tree" | cut -f1)
fs_mib=$((tree_mib + tree_mib / 4 + FS_SLACK_MIB))
disk_bytes=$(((PART_START_SECTOR * 512) + fs_mib * 1048576))
rm -f "$work/disk.raw"
truncate -s "$disk_bytes" "$work/disk.raw"
printf 'label: dos\nlabel-id: 0x1f6b0a01\nstart=%s, type=83, bootable\n' \
	"$PART_START_SECTOR" | sfdisk -q "$work/disk.raw"
mkfs.ext4 -q -F -L "$FS_LABEL" -U "$FS_UUID" -d "$tree" \
	-E offset=$((PART_START_SECTOR * 512)) "$work/disk.raw" "${fs_mib}M"

mv "$work/disk.raw" "$out"
echo "debian12-recipe: kernel $kver, tree ${tree_mib} MiB, disk $((disk_bytes / 1048576)) MiB, $((SECONDS - t0)) s" >&2
