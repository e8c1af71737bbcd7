#!/usr/bin/env bash
# Interrupting a real fix at every write point (SIGKILL, and failure) leaves
# the image untouched, fixed, or restorable by rollback — on the raw road
# (overlay + undo log: every extent written at commit is a write point), on
# the qcow2 road through qemu-nbd (the same points) and on the dir road
# (every file write is one).
. "$(dirname "$0")/lib.sh"
store
cd "$tmp"

windows_image win10 vmware orig.img --table gpt --esp

# How many write points a complete fix has: every op (apply) and every
# extent (commit) counts from the same N.
cp orig.img ref.img
"$imgfix" --quiet fix --json -r kvm-virtio -r remove-foreign-tools -d store \
	ref.img >ref.json || fail "reference fix failed"
points=$(json_get ref.json 'max(j["applied"]["extents"], j["applied"]["files_written"] + j["applied"]["files_removed"])')
[ "$points" -gt 3 ] || fail "only $points write points"
# The report counts the image file's I/O: the commit wrote each extent.
io=$(json_get ref.json '"%d %d %d" % (j["image_io"]["bytes_read"], j["image_io"]["bytes_written"], j["applied"]["extents"])')
read -r io_read io_written io_extents <<<"$io"
[ "$io_read" -gt 0 ] && [ "$io_written" -ge $((io_extents * 4096)) ] &&
	[ "$io_written" -lt $((64 << 20)) ] ||
	fail "implausible image I/O: read $io_read, written $io_written"

# raw_road LABEL BASE KILL FAIL FIX-ARGS...: a fix of a copy of BASE
# killed at every write point 0..KILL, then failed at every write point
# 0..FAIL: exit 0 means
# fixed (a second fix has nothing to do; not a byte comparison: NTFS times
# differ), an image changed by an interrupted commit has its undo log, and
# rollback always gives BASE back.
raw_road() {
	local label=$1 base=$2 kill=$3 failing=$4 want mode n rc rc2 last
	shift 4
	want=$(sha "$base")
	for mode in kill fail; do
		last=$kill
		[ $mode = kill ] || last=$failing
		for n in $(seq 0 "$last"); do
			rm -rf img.imgfix
			cp "$base" img
			rc=0
			IMGFIX_FAULT_WRITES=$n IMGFIX_FAULT_MODE=$mode \
				"$imgfix" --quiet fix "$@" img >/dev/null 2>&1 || rc=$?
			if [ $rc -eq 0 ]; then
				rc2=0
				"$imgfix" --quiet fix "$@" --backup again img \
					>/dev/null 2>&1 || rc2=$?
				rm -rf again
				[ $rc2 -eq 3 ] ||
					fail "$label $mode@$n: exit 0 but the image is not fixed ($rc2)"
			elif [ "$(sha img)" != "$want" ]; then
				[ -f img.imgfix/undo.log ] ||
					fail "$label $mode@$n: image changed without an undo log"
			fi
			"$imgfix" --quiet rollback img >/dev/null 2>&1 || true
			[ "$(sha img)" = "$want" ] ||
				fail "$label $mode@$n: rollback did not restore the image"
		done
	done
	echo "$label: $kill write points killed, $failing failed, recovered"
}
raw_road "raw road" orig.img "$points" "$points" -r kvm-virtio \
	-r remove-foreign-tools -d store

# A dirty SYSTEM hive with its SYSTEM.LOG1/.LOG2 (issue 15): the recovered
# hive written back clean and both log resets are write points too.
dirty=$IMGFIX_CORPUS/hives/win10-1709-dirty
mkdir dirty-hives
for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
	xz -dc "$dirty/$f.xz" >"dirty-hives/$f"
done
bash "$fixtures/build-hives.sh" win10 dirty-prof >/dev/null
cp dirty-prof/SOFTWARE dirty-hives/SOFTWARE
"$mkimage" -o dirty.img --size 64M --hives dirty-hives --pe-arch x86_64 >/dev/null
cp dirty.img dref.img
"$imgfix" --quiet fix --json -r kvm-virtio -d store dref.img >dref.json ||
	fail "reference fix of the dirty image failed"
[ "$(json_get dref.json 'len([o for o in j["plan"]["ops"] if "LOG" in o["path"]])')" = 2 ] ||
	fail "the dirty fix does not reset both logs"
dpoints=$(json_get dref.json 'max(j["applied"]["extents"], j["applied"]["files_written"] + j["applied"]["files_removed"])')
dops=$(json_get dref.json 'j["applied"]["files_written"] + j["applied"]["files_removed"]')
# killed at every point; failed at every op (the hive, the log resets):
# a failed commit extent takes the same road as in the clean image above
raw_road "dirty hive" dirty.img "$dpoints" "$dops" -r kvm-virtio -d store

# The qcow2 road (qemu-nbd): the same write points, and the same promise
# for the guest-visible bytes (qemu-img compare; the container's own bytes
# may legitimately differ after a rollback).
if command -v qemu-nbd >/dev/null && command -v qemu-img >/dev/null; then
	qemu-img convert -f raw -O qcow2 orig.img orig.qcow2
	for mode in kill fail; do
		for n in $(seq 0 "$points"); do
			rm -rf img.qcow2.imgfix
			cp orig.qcow2 img.qcow2
			rc=0
			IMGFIX_FAULT_WRITES=$n IMGFIX_FAULT_MODE=$mode \
				"$imgfix" --quiet fix -r kvm-virtio \
				-r remove-foreign-tools -d store img.qcow2 \
				>/dev/null 2>&1 || rc=$?
			if [ $rc -eq 0 ]; then
				rc2=0
				"$imgfix" --quiet fix -r kvm-virtio \
					-r remove-foreign-tools -d store \
					--backup again img.qcow2 >/dev/null 2>&1 ||
					rc2=$?
				rm -rf again
				[ $rc2 -eq 3 ] ||
					fail "qcow2 $mode@$n: exit 0 but not fixed ($rc2)"
			fi
			"$imgfix" --quiet rollback img.qcow2 >/dev/null 2>&1 ||
				true
			qemu-img check -q img.qcow2 ||
				fail "qcow2 $mode@$n: qemu-img check not clean"
			qemu-img compare -q orig.qcow2 img.qcow2 ||
				fail "qcow2 $mode@$n: rollback did not restore the guest's bytes"
		done
	done
	echo "qcow2 road: $points write points x {kill, fail} recovered"
else
	echo "qcow2 road: skipped (qemu-nbd or qemu-img missing)"
fi

# The dir road: a Linux tree, every file write a fault point.
cp -a "$fixtures/linux/debian12" tree.orig
cp -a tree.orig ref.tree
"$imgfix" --quiet fix --json -r linux-virtio ref.tree >ref-dir.json ||
	[ $? -eq 1 ] || fail "reference dir fix failed"
written=$(json_get ref-dir.json 'j.get("applied", {}).get("files_written", 0) + j.get("applied", {}).get("files_removed", 0)')
[ "$written" -gt 1 ] || fail "dir fix wrote only $written files"
for n in $(seq 0 "$written"); do
	rm -rf tree tree.imgfix
	cp -a tree.orig tree
	IMGFIX_FAULT_WRITES=$n IMGFIX_FAULT_MODE=kill \
		"$imgfix" --quiet fix -r linux-virtio tree >/dev/null 2>&1 || true
	"$imgfix" --quiet rollback tree >/dev/null 2>&1 || true
	diff -r --no-dereference tree.orig tree >/dev/null ||
		fail "dir road kill@$n: tree differs after rollback"
done
echo "dir road: $written write points recovered"

# A killed fix leaves its temp directories (hive copies, 13 MiB each)
# behind; the next imgfix process removes them (util_mkdtemp's reaper),
# and a finished run leaves none of its own.
find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'imgfix-*' -exec rm -rf {} +
cp orig.img k.img
IMGFIX_FAULT_WRITES=1 IMGFIX_FAULT_MODE=kill "$imgfix" --quiet fix \
	-r kvm-virtio -d store k.img >/dev/null 2>&1 && fail "the fault did not kill"
stale=$(find "$TMPDIR" -maxdepth 1 -name 'imgfix-*' | wc -l)
[ "$stale" -gt 0 ] || fail "a killed fix left no temp directory to remove"
"$imgfix" --quiet inspect orig.img >/dev/null || fail "inspect after the kill"
left=$(find "$TMPDIR" -maxdepth 1 -name 'imgfix-*')
[ -z "$left" ] || fail "temp directories of a killed run left behind: $left"
echo "temp directories: $stale left by a killed fix, none after the next run"
