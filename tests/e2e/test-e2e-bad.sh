#!/usr/bin/env bash
# Bad input to imgfix fix: each a clear error, a non-zero exit and nothing
# written to the image.
. "$(dirname "$0")/lib.sh"
store
cd "$tmp"

expect_refusal() { # NAME IMAGE PATTERN fix-args...
	local name=$1 img=$2 pattern=$3
	shift 3
	local before rc=0
	before=$(sha "$img")
	"$imgfix" fix "$@" "$img" >"$name.out" 2>"$name.err" || rc=$?
	[ $rc -ne 0 ] || fail "$name: exit 0"
	grep -qiE "$pattern" "$name.err" "$name.out" ||
		fail "$name: message lacks /$pattern/: $(cat "$name.err")"
	[ "$(sha "$img")" = "$before" ] || fail "$name: image changed"
	echo "ok $name (exit $rc): $(grep -m1 error "$name.err" || true)"
}

windows_image win10 vmware w.img --table gpt --esp

# A blocking missing driver: no store at all, and a store without viostor.
expect_refusal no-store w.img "blocking|no driver store" \
	-r kvm-virtio
[ ! -e w.img.imgfix ] || fail "no-store: a backup dir was created"
mkdir empty-store
expect_refusal empty-store w.img "blocking|no driver package" \
	-r kvm-virtio -d empty-store

# A read-only (immutable) image.
cp w.img ro.img
if chattr +i ro.img 2>/dev/null; then
	expect_refusal read-only ro.img "cannot open|not permitted|read-only" \
		-r kvm-virtio -d store
	chattr -i ro.img
else
	echo "skip read-only: chattr +i not supported here"
fi

# A backup directory that cannot take the journal: a file in its way, and
# a full one (file size limit below the undo log's size).
touch notadir
expect_refusal backup-notdir w.img "backup directory" \
	-r kvm-virtio -d store --backup notadir/sub
mkdir full
if mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
	expect_refusal backup-full w.img "journal|undo|backup|No space" \
		-r kvm-virtio -d store --backup full/imgfix
	umount full
else
	echo "skip backup-full: cannot mount a small tmpfs here"
fi

# A dirty hive: the real Windows 10 1709 hive whose log holds changes.
mkdir dirty
xz -dc "$IMGFIX_CORPUS/hives/win10-1709-dirty/SYSTEM.xz" >dirty/SYSTEM
"$mkimage" -o dirty.img --size 64M --hives dirty --pe-arch x86_64 >/dev/null
expect_refusal dirty-hive dirty.img "dirty" -r kvm-virtio -d store

# A hibernated volume (Fast Startup).
"$mkimage" -o hib.img --size 64M --hives dirty --pe-arch x86_64 \
	--hiberfil >/dev/null
expect_refusal hibernated hib.img "hibernat" -r kvm-virtio -d store
