#!/usr/bin/env bash
# NBD on the direct road (issue 16).
#  - An NBD URI as IMAGE: the raw Windows fixture served by nbdkit (file
#    plugin) on a Unix socket this test starts and stops: plan (the raw
#    road's plan and registry diff, made here from the same image), fix,
#    rollback byte-identical; without --backup a
#    URI is refused (no directory beside it).
#  - The server killed in the middle of the commit (after its first write
#    completed): a clear error; rollback through a new server restores the
#    image byte for byte.
#  - The qemu-nbd road's errors, each clear and with nothing written:
#    qemu-nbd missing, a damaged qcow2 header, a vmdk whose extent file is
#    missing, an image locked by another qemu (a running VM), a qcow2
#    whose backing format is not recorded (qemu would probe it), an
#    immutable file and a streamOptimized vmdk (inspect and plan work,
#    fix refuses).
. "$(dirname "$0")/lib.sh"
command -v nbdkit >/dev/null || skip "nbdkit missing"
command -v qemu-img >/dev/null || skip "qemu-img missing"
command -v qemu-nbd >/dev/null || skip "qemu-nbd missing"
store
cd "$tmp"
sets=(-r kvm-virtio -r remove-foreign-tools -d store)

windows_image win10 vmware orig.img --table gpt --esp
cp orig.img img

# The raw road's plan and SYSTEM diff of the same image, to compare with.
plan_of() {
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1))' "$1"
}
cp orig.img raw.img
"$imgfix" fix --json "${sets[@]}" --backup raw.bk raw.img >raw.json ||
	fail "raw fix failed"
plan_of raw.json >raw.plan
"$imgfix" hive diff orig.img:SYSTEM raw.img:SYSTEM >raw.diff.reg ||
	[ $? -le 1 ] || fail "raw hive diff failed"
rm -rf raw.img raw.bk

pid=
serve() { # FILE [--filter=F... and KEY=VALUE...]
	local f=$1 a pre=() post=()
	shift
	for a in "$@"; do
		case $a in --*) pre+=("$a") ;; *) post+=("$a") ;; esac
	done
	rm -f sock
	nbdkit -f -U "$PWD/sock" "${pre[@]}" file file="$PWD/$f" "${post[@]}" &
	pid=$!
	for _ in $(seq 100); do [ -S sock ] && return; sleep 0.05; done
	fail "nbdkit did not start"
}
stop() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=; }
trap 'stop; cleanup' EXIT
uri="nbd+unix:///?socket=$PWD/sock"

# ---- fix and rollback through a URI ---------------------------------------
serve img
rc=0
"$imgfix" fix "${sets[@]}" "$uri" >/dev/null 2>err || rc=$?
[ $rc -ne 0 ] && grep -q -- "--backup DIR" err ||
	fail "a URI without --backup: exit $rc, $(cat err)"
cmp -s img orig.img || fail "refused fix wrote"

"$imgfix" plan --json "${sets[@]}" "$uri" >plan.json || fail "plan failed"
[ "$(json_get plan.json 'j["road"] + " " + j["image_format"]')" = "direct nbd" ] ||
	fail "plan: not the direct road over NBD"
plan_of plan.json >plan
cmp -s plan raw.plan || fail "plan differs from the raw road's"
"$imgfix" fix --json "${sets[@]}" --backup bk "$uri" >fix.json 2>err ||
	fail "fix over NBD failed: $(cat err)"
[ "$(json_get fix.json 'j["status"]')" = fixed ] || fail "not fixed"
! cmp -s img orig.img || fail "the fix wrote nothing"
"$imgfix" hive diff orig.img:SYSTEM img:SYSTEM >diff.reg || [ $? -le 1 ] ||
	fail "hive diff failed"
cmp -s diff.reg raw.diff.reg ||
	fail "registry diff differs from the raw road's"
"$imgfix" rollback --backup bk "$uri" >/dev/null 2>err ||
	fail "rollback over NBD failed: $(cat err)"
stop
cmp -s img orig.img || fail "image differs after rollback over NBD"
echo "nbd URI: plan, fix, rollback byte-identical"

# ---- the server killed in the middle of the commit -------------------------
rm -rf bk
serve img --filter=log --filter=delay logfile="$PWD/nbd.log" delay-write=1
rc=0
"$imgfix" --quiet fix "${sets[@]}" --backup bk "$uri" >/dev/null 2>err &
fix=$!
# Kill when the first write of the commit has completed (every write is
# delayed by a second, so the commit is still running).
for _ in $(seq 600); do
	grep -q '\.\.\.Write .*return=0' nbd.log 2>/dev/null && break
	sleep 0.05
done
grep -q '\.\.\.Write .*return=0' nbd.log || fail "no write reached the server"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
wait "$fix" || rc=$?
[ $rc -ne 0 ] || fail "fix succeeded although the server died"
grep -q "NBD write failed (the server went away" err ||
	fail "no clear error when the server died: $(cat err)"
cmp -s img orig.img && fail "the server died before any write (test broken)"
[ -f bk/undo.log ] || fail "no undo log"
serve img
"$imgfix" rollback --backup bk "$uri" >/dev/null 2>err ||
	fail "rollback after the server died failed: $(cat err)"
stop
cmp -s img orig.img || fail "image differs after rollback (server killed)"
echo "nbd URI: server killed mid-commit -> clear error, rollback restores"

# ---- errors of the qemu-nbd road --------------------------------------------
qemu-img convert -f raw -O qcow2 orig.img q.qcow2
s=$(sha q.qcow2)

# must_fail NAME PATTERN IMAGE: fix fails, says PATTERN, writes nothing
must_fail() {
	local name=$1 pat=$2 img=$3 rc=0 before
	before=$(cat "${img%.*}"* | sha256sum)
	"$imgfix" fix "${sets[@]}" "$img" >/dev/null 2>err || rc=$?
	[ $rc -eq 1 ] || fail "$name: exit $rc, not 1: $(cat err)"
	grep -q -- "$pat" err || fail "$name: message lacks '$pat': $(cat err)"
	[ "$(cat "${img%.*}"* | sha256sum)" = "$before" ] ||
		fail "$name: the image was written"
	[ ! -e "$img.imgfix" ] || fail "$name: a journal was written"
	echo "$name: $(grep -m1 error err)"
}

IMGFIX_QEMU_NBD=/nonexistent/qemu-nbd must_fail "qemu-nbd missing" \
	"needs qemu-nbd, which is not installed" q.qcow2

cp q.qcow2 bad.qcow2
printf '\377\377\377\377' | dd of=bad.qcow2 bs=1 seek=20 conv=notrunc status=none
must_fail "damaged qcow2 header" "qemu-nbd cannot open it as qcow2" bad.qcow2

mkdir ext
qemu-img convert -f raw -O vmdk -o subformat=twoGbMaxExtentSparse orig.img ext/d.vmdk
rm ext/d-s001.vmdk
must_fail "vmdk extent missing" "d-s001.vmdk" ext/d.vmdk

rm -f lock.sock
qemu-nbd -f qcow2 -k "$PWD/lock.sock" q.qcow2 &
holder=$!
for _ in $(seq 100); do [ -S lock.sock ] && break; sleep 0.05; done
must_fail "image in use" "in use" q.qcow2
kill "$holder"; wait "$holder" 2>/dev/null || true
[ "$(sha q.qcow2)" = "$s" ] || fail "the locked image changed"

# A qcow2 over a raw file whose header lost the backing format: qemu
# would probe the backing file; refused with the command that records it.
mkdir nofmt
cp orig.img nofmt/base.raw
qemu-img create -q -f qcow2 -b base.raw -F raw nofmt/d.qcow2
python3 - nofmt/d.qcow2 <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    h = f.read(4096)
    i = h.find(bytes.fromhex("e2792aca"))  # the backing format extension
    assert i > 0
    f.seek(i)
    f.write(bytes.fromhex("0badf00d"))     # an extension qemu ignores
PY
must_fail "backing format missing" "qemu-img rebase -u -F FORMAT" nofmt/d.qcow2

# A read-only (immutable) image: inspect and plan work, fix says why not.
cp q.qcow2 ro.qcow2
if chattr +i ro.qcow2 2>/dev/null; then
	"$imgfix" plan "${sets[@]}" ro.qcow2 >/dev/null 2>err ||
		fail "read-only file: plan failed: $(cat err)"
	must_fail "read-only file" "is read-only" ro.qcow2
	chattr -i ro.qcow2
else
	echo "read-only file: skipped (no chattr +i here)"
fi

mkdir so
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized orig.img so/d.vmdk
"$imgfix" inspect so/d.vmdk >/dev/null 2>err ||
	fail "streamOptimized: inspect failed: $(cat err)"
"$imgfix" plan "${sets[@]}" so/d.vmdk >/dev/null 2>err ||
	fail "streamOptimized: plan failed: $(cat err)"
must_fail "streamOptimized vmdk" "cannot be written in place" so/d.vmdk
echo "qemu-nbd road: every error clear, nothing written"
