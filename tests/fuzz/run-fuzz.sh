#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-fuzz.sh MODE TARGET EXE [EXTRA-ARGS...]
#
# Runs one fuzz target (tests/fuzz/fuzz-TARGET.c built as EXE) on its seeds:
#   - tests/fuzz/corpus/TARGET/ (text; *.hex = hex-encoded binary seeds),
#   - shipped data files that are valid inputs (rule sets, manifests),
#   - material of $IMGFIX_CORPUS (../shared/corpus; read in place, never
#     copied into the project; skipped when absent),
#   - binary seeds generated here at run time (partition tables, boot
#     sectors, PE files, cpio archives, hives) from the project's text
#     fixtures and standard tools (skipped when a tool is missing),
# and on its regression inputs, tests/fuzz/regressions/TARGET/*.hex.
#
# MODE replay: EXE is the replay build (fuzz-replay.c); it runs once over
#   everything.  Fast; the default `fuzz` suite.
# MODE fuzz: EXE is a libFuzzer binary; it fuzzes for $IMGFIX_FUZZ_TIME
#   seconds (default 20) with the seeds as read-only corpora and a fresh
#   work corpus ($IMGFIX_FUZZ_WORKDIR/TARGET when set, kept), then replays
#   the regressions.  EXTRA-ARGS go to libFuzzer (-runs=N, -jobs=...).
#   A crash leaves its input in $IMGFIX_FUZZ_ARTIFACTS (default the
#   current directory) and is printed as hex.
#
# Exit 0 clean, 1 a finding or an error, 2 usage.

set -eu

[ $# -ge 3 ] || { echo "usage: $0 replay|fuzz TARGET EXE [ARGS...]" >&2; exit 2; }
mode=$1 target=$2 exe=$3
shift 3
src=${IMGFIX_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=${IMGFIX_CORPUS:-$src/../shared/corpus}
fuzzdir=$src/tests/fuzz
PATH=$PATH:/usr/sbin:/sbin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz-$target.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
gen=$tmp/gen
mkdir -p "$gen"

have() { command -v "$1" >/dev/null 2>&1; }

# ---- generated binary seeds -------------------------------------------------

# a disk image's first bytes, prefixed with fuzz-probe's u16 LE count of
# extra (sparse) sectors: u16 + first BYTES bytes of IMG
probe_seed() {
	img=$1 bytes=$2 out=$3
	total=$(stat -c %s "$img")
	extra=$(( (total - bytes) / 512 ))
	[ $extra -gt 65535 ] && extra=65535
	printf "$(printf '\\%03o\\%03o' $((extra & 255)) $((extra >> 8)))" >"$out"
	head -c "$bytes" "$img" >>"$out"
}

gen_probe() {
	have sfdisk || return 0
	# MBR: NTFS at sector 63 (boot sector from mkntfs), a second partition
	i=$gen/mbr.img
	truncate -s 8M "$i"
	printf 'label: dos\nlabel-id: 0x4d2c6e1f\nstart=63, size=8192, type=7, bootable\nstart=8255, type=83\n' |
		sfdisk -q "$i" >/dev/null 2>&1 || return 0
	if have mkntfs; then
		truncate -s 4M "$gen/ntfs.part"
		if mkntfs -q -F -Q -p 63 -H 255 -S 63 "$gen/ntfs.part" >/dev/null 2>&1; then
			dd if="$gen/ntfs.part" of="$i" bs=512 seek=63 count=16 conv=notrunc status=none
			head -c 512 "$gen/ntfs.part" >"$gen/seeds/ntfs-bootsector"
			printf '\000\000' >"$gen/seeds/ntfs-bootsector.probe"
			cat "$gen/ntfs.part" | head -c 4096 >>"$gen/seeds/ntfs-bootsector.probe"
		fi
		rm -f "$gen/ntfs.part"
	fi
	probe_seed "$i" 40448 "$gen/seeds/mbr-ntfs"
	# MBR with an extended partition and two logical drives
	i=$gen/ext.img
	truncate -s 8M "$i"
	printf 'label: dos\nstart=2048, size=2048, type=7\nstart=4096, type=5\nstart=6144, size=1024, type=7\nstart=8192, size=1024, type=83\n' |
		sfdisk -q "$i" >/dev/null 2>&1 &&
		probe_seed "$i" 8192 "$gen/seeds/mbr-extended"
	# GPT with an ESP and a basic-data partition (+ backup header at the end)
	i=$gen/gpt.img
	truncate -s 8M "$i"
	printf 'label: gpt\nstart=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=6144, size=8192, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' |
		sfdisk -q "$i" >/dev/null 2>&1 &&
		probe_seed "$i" 17408 "$gen/seeds/gpt"
	rm -f "$gen"/*.img
}

gen_pe() {
	mkpe=$src/tests/patchcache/mkpe.sh
	[ -f "$mkpe" ] || return 0
	sh "$mkpe" "$gen/pe32" i386 5.1.2600.5512 hal.dll >/dev/null 2>&1 || return 0
	sh "$mkpe" "$gen/pe64" amd64 6.1.7601.24545 ntoskrnl.exe >/dev/null 2>&1 || true
	sh "$mkpe" "$gen/penv" amd64 none plain.exe >/dev/null 2>&1 || true
	find "$gen/pe32" "$gen/pe64" "$gen/penv" -type f -exec cp {} "$gen/seeds/" \; 2>/dev/null || true
}

gen_initramfs() {
	have cpio || return 0
	t=$gen/tree
	mkdir -p "$t/lib/modules/6.1.0/kernel/drivers/block" "$t/etc" "$t/kernel/x86/microcode"
	echo x >"$t/lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko"
	echo x >"$t/kernel/x86/microcode/GenuineIntel.bin"
	echo '/dev/vda1 / ext4 defaults 0 1' >"$t/etc/fstab"
	(cd "$t" && find kernel | cpio -o -H newc --quiet) >"$gen/early.cpio"
	(cd "$t" && find lib etc | cpio -o -H newc --quiet) >"$gen/main.cpio"
	cp "$gen/main.cpio" "$gen/seeds/plain.cpio"
	gzip -9c "$gen/main.cpio" >"$gen/seeds/main.cpio.gz"
	cat "$gen/early.cpio" "$gen/seeds/main.cpio.gz" >"$gen/seeds/early+gzip"
	have xz && cat "$gen/early.cpio" >"$gen/seeds/early+xz" &&
		xz --check=crc32 -c "$gen/main.cpio" >>"$gen/seeds/early+xz"
	have zstd && zstd -q -c "$gen/main.cpio" >"$gen/seeds/main.cpio.zst"
	have lz4 && lz4 -q -l -c "$gen/main.cpio" >"$gen/seeds/main.cpio.lz4"
	rm -rf "$t" "$gen"/*.cpio
}

gen_hive() {
	have hivexregedit || return 0
	sh "$src/tests/fixtures/build-hives.sh" xp-sp3-x86 vmware "$gen/h" >/dev/null 2>&1 || return 0
	cp "$gen/h/SYSTEM" "$gen/seeds/xp-vmware-SYSTEM"
	rm -rf "$gen/h"
}

# drivers-cache seeds: real catalog caches, written by a scan (imgfix
# drivers scan, the cache on) of small stores built here, after fuzz-drivers-
# cache's flags byte (0: the file as written; 3: checksum and version fixed
# up after mutations; 4 and 7: the same for the cache of an ISO store)
cache_inf() {
	# cache_inf FILE N DEVICE-SUFFIX: an INF like the unit test's
	printf '[Version]\r\nSignature = "$Windows NT$"\r\nClass = SCSIAdapter\r\n' >"$1"
	printf 'ClassGuid = {4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n' >>"$1"
	printf 'Provider = %%%%V%%%%\r\nDriverVer = 01/0%d/2024,1.0.%d.0\r\n' "$2" "$2" >>"$1"
	printf 'CatalogFile = drv%d.cat\r\n[Manufacturer]\r\n%%%%V%%%% = Models, NTamd64.10.0...17763, NTx86\r\n' "$2" >>"$1"
	printf '[Models.NTamd64.10.0...17763]\r\n%%%%D%%%% = Inst, PCI\\VEN_1AF4&DEV_10%02d, PCI\\VEN_1AF4\r\n' "$2" >>"$1"
	printf '[Models.NTx86]\r\n%%%%D%%%% = Inst, PCI\\VEN_1AF4&DEV_10%02d\r\n' "$2" >>"$1"
	printf '[Models]\r\n%%%%D%%%% = Inst, PCI\\VEN_1AF4&DEV_11%02d\r\n' "$2" >>"$1"
	printf '[Inst.NT]\r\nCopyFiles = F\r\nInclude = machine.inf\r\nNeeds = SCSI.NT\r\n' >>"$1"
	printf '[Inst.NT.Services]\r\nAddService = drv%d, 2, Svc\r\n' "$2" >>"$1"
	printf '[Svc]\r\nServiceType = 1\r\nStartType = 0\r\nErrorControl = 1\r\nServiceBinary = %%%%12%%%%\\drv%d.sys\r\n' "$2" >>"$1"
	printf '[F]\r\ndrv%d.sys\r\n[DestinationDirs]\r\nF = 12\r\n' "$2" >>"$1"
	printf '[SourceDisksNames]\r\n1 = %%%%K%%%%,,,sub\r\n[SourceDisksFiles]\r\ndrv%d.sys = 1\r\nmissing%d.dll = 1\r\n' "$2" "$2" >>"$1"
	printf '[Strings]\r\nV = "Fuzz Vendor"\r\nD = "Fuzz device %d%s"\r\nK = "Disk"\r\n' "$2" "$3" >>"$1"
}

cache_seed() {
	# cache_seed STORE FLAGS-OCTAL NAME: scans STORE with the cache on;
	# its catalog after each flags byte
	"$imgfix" -q drivers scan "$1" >/dev/null 2>&1 || return 0
	cache_keep "$1/.imgfix-catalog" "$2" "$3"
}

cache_keep() {
	[ -f "$1" ] || return 0
	for fl in $2; do
		printf "\\$fl" >"$gen/seeds/$3-$fl"
		cat "$1" >>"$gen/seeds/$3-$fl"
	done
}

gen_drivers_cache() {
	imgfix=${IMGFIX_BUILD_ROOT:-}/fixup/imgfix
	[ -x "$imgfix" ] || return 0
	st=$gen/store
	mkdir -p "$st/pkg1/sub" "$st/pkg2/x86" "$st/Pkg3" "$st/empty/deeper"
	cache_inf "$st/pkg1/drv1.inf" 1 ""
	echo MZ >"$st/pkg1/sub/drv1.sys"
	echo x >"$st/pkg1/drv1.cat"
	cache_inf "$st/pkg2/x86/drv2.inf" 2 " (x86)"
	cache_inf "$st/pkg2/DRV2B.INF" 3 " two"
	echo MZ >"$st/pkg2/drv3.sys"
	printf '[Version\r\nbroken\r\n' >"$st/Pkg3/broken.inf"
	echo readme >"$st/Pkg3/README.txt"
	# aged: a key within its timestamp tick of the scan is not trusted
	find "$st" -exec touch -h -d '2 hours ago' {} +
	cache_seed "$st" "000 003" small
	# a store of real INFs from the corpus, a few per folder
	if [ -d "$corpus/inf/virtio-win" ]; then
		st=$gen/corpus-store
		i=0
		for f in "$corpus"/inf/virtio-win/*/*.inf \
			"$corpus"/inf/virtio-win/*/*/*.inf; do
			[ -f "$f" ] || continue
			i=$((i + 1))
			mkdir -p "$st/d$((i % 3))/p$i"
			cp "$f" "$st/d$((i % 3))/p$i/"
		done
		find "$st" -exec touch -h -d '2 hours ago' {} +
		cache_seed "$st" "000 003" corpus
	fi
	# an ISO store: cached under $XDG_CACHE_HOME, keyed by sizes
	if have bsdtar; then
		bsdtar --format iso9660 -cf "$gen/store.iso" -C "$gen/store" \
			pkg1 pkg2 Pkg3 2>/dev/null || return 0
		XDG_CACHE_HOME=$gen/xdg "$imgfix" -q drivers scan \
			"$gen/store.iso" >/dev/null 2>&1 || return 0
		for c in "$gen"/xdg/imgfix/drivers/*.catalog; do
			cache_keep "$c" "004 007" iso
		done
	fi
	rm -rf "$gen/store" "$gen/corpus-store" "$gen/store.iso" "$gen/xdg"
}

# linux-conf seeds: one kind byte (enum linux_conf_kind) + the file
# the start of the corpus's real new-format logs, as fuzz-hivelog inputs:
# flags 0, LOG1 = the first 60000 bytes, no LOG2
gen_hivelog() {
	have xz || return 0
	for l in LOG1 LOG2; do
		f=$corpus/hives/win10-1709-dirty/SYSTEM.$l.xz
		[ -f "$f" ] || continue
		printf '\000\140\352\000\000' >"$gen/seeds/real-$l"
		xz -dc "$f" | head -c 60000 >>"$gen/seeds/real-$l"
	done
}

gen_linux_conf() {
	lx=$src/tests/fixtures/linux
	k() { [ -f "$2" ] && { printf "\\$(printf '%03o' "$1")"; cat "$2"; } >"$gen/seeds/$3"; return 0; }
	k 0 "$lx/debian12/etc/fstab" fstab-debian
	k 0 "$lx/el9/etc/fstab" fstab-el9
	k 1 "$lx/debian12/etc/crypttab" crypttab
	k 3 "$lx/debian12/boot/grub/grub.cfg" grub2-debian
	k 3 "$lx/el9/boot/grub2/grub.cfg" grub2-el9
	k 4 "$lx/debian12/etc/default/grub" default-grub
	k 6 "$lx/debian12/boot/grub/device.map" device-map
	k 8 "$lx/debian12/etc/modprobe.d/vmware-scsi.conf" modprobe
	for f in "$lx"/el9/boot/loader/entries/*.conf; do
		k 5 "$f" "bls-$(basename "$f")"
	done
	if [ -d "$corpus/linux-boot/grubby/test" ]; then
		for f in "$corpus"/linux-boot/grubby/test/grub.[0-9]*; do
			k 2 "$f" "legacy-$(basename "$f")"
		done
		for f in "$corpus"/linux-boot/grubby/test/grub2.[0-9]*; do
			k 3 "$f" "grub2-$(basename "$f")"
		done
	fi
}

mkdir -p "$gen/seeds"
seeds="$gen/seeds"
[ -d "$fuzzdir/corpus/$target" ] && seeds="$seeds $fuzzdir/corpus/$target"
case $target in
inf)
	[ -d "$corpus/inf" ] && seeds="$seeds $corpus/inf" ;;
rules)
	seeds="$seeds $src/rules/sets" ;;
manifest)
	seeds="$seeds $src/patchcache/manifests" ;;
pe)
	gen_pe ;;
probe)
	gen_probe ;;
bootini | bcd-device) ;;
linux-conf)
	gen_linux_conf ;;
initramfs)
	gen_initramfs ;;
hivelog)
	gen_hivelog ;;
drivers-cache)
	gen_drivers_cache ;;
hive)
	gen_hive
	[ -d "$corpus/hives/seed" ] && seeds="$seeds $corpus/hives/seed"
	[ -d "$corpus/hives/bcd" ] && seeds="$seeds $corpus/hives/bcd" ;;
*)
	echo "run-fuzz.sh: unknown target $target" >&2
	exit 2 ;;
esac
regress=$fuzzdir/regressions/$target

if [ "$mode" = replay ]; then
	# as libFuzzer's -malloc_limit_mb does: one input asking for GiBs is
	# a finding (only effective in a sanitizer build)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}max_allocation_size_mb=2048"
	export ASAN_OPTIONS
	set -- $seeds
	[ -d "$regress" ] && set -- "$@" "$regress"
	echo "replaying $target: $*"
	# not exec: the EXIT trap removes $tmp
	status=0
	"$exe" "$@" || status=$?
	exit $status
fi
[ "$mode" = fuzz ] || { echo "run-fuzz.sh: bad mode $mode" >&2; exit 2; }

# libFuzzer reads raw bytes: decode the .hex seeds and regressions
hexdir=$tmp/hex
mkdir -p "$hexdir/seeds" "$hexdir/regress"
dec() { grep -v '^#' "$1" | xxd -r -p >"$2"; }
for d in $seeds; do
	find "$d" -name '*.hex' -type f | while read -r f; do
		dec "$f" "$hexdir/seeds/$(basename "$f" .hex)"
	done
done
if [ -d "$regress" ]; then
	find "$regress" -name '*.hex' -type f | while read -r f; do
		dec "$f" "$hexdir/regress/$(basename "$f" .hex)"
	done
fi

work=${IMGFIX_FUZZ_WORKDIR:+$IMGFIX_FUZZ_WORKDIR/$target}
work=${work:-$tmp/work}
mkdir -p "$work"
art=${IMGFIX_FUZZ_ARTIFACTS:-$PWD}
mkdir -p "$art"
case $target in
probe | hive | hivelog | initramfs | pe | drivers-cache) maxlen=65536 ;;
*) maxlen=16384 ;;
esac
# libarchive reserves a read-ahead buffer as large as a cpio header's name
# or file size (up to 4 GiB of untouched address space) before it fails
# such an input cleanly.  linux-initramfs.c checks uncompressed segments
# first; inside a compressed segment only libarchive sees the headers, so
# the malloc limit is raised for this target (the RSS limit still holds).
malloc_limit=
[ "$target" = initramfs ] && malloc_limit=-malloc_limit_mb=8192

status=0
# shellcheck disable=SC2086
"$exe" -max_total_time="${IMGFIX_FUZZ_TIME:-20}" -max_len=$maxlen \
	-timeout=10 -rss_limit_mb=2048 $malloc_limit -print_final_stats=1 \
	-artifact_prefix="$art/$target-" "$@" \
	"$work" "$hexdir/seeds" $seeds || status=$?
if [ $status -ne 0 ]; then
	for f in "$art/$target"-crash-* "$art/$target"-leak-* \
		"$art/$target"-timeout-* "$art/$target"-oom-*; do
		[ -f "$f" ] || continue
		echo "finding: $f (hex below; keep it as regressions/$target/NAME.hex)"
		xxd -p "$f" | head -c 65536
	done
	exit 1
fi
n=$(find "$hexdir/regress" -type f | wc -l)
if [ "$n" -gt 0 ]; then
	echo "replaying $n regression input(s)"
	"$exe" "$hexdir/regress"/* || exit 1
fi
