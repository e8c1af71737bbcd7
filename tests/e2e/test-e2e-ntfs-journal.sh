#!/usr/bin/env bash
# An NTFS volume whose journal ($LogFile) is unclean, as a crash-consistent
# capture of a running Windows leaves it (issue 15): `imgfix fix` refuses it
# and names --force ntfs-journal, nothing written; with it the journal is
# reset as part of the fix (libntfs-3g's recover, what ntfs-3g's mount and
# so libguestfs do silently), the volume is marked for chkdsk at the next
# boot, and rollback restores every byte, the original $LogFile included.
. "$(dirname "$0")/lib.sh"
command -v ntfscat >/dev/null || skip "ntfscat missing"
store
cd "$tmp"

windows_image win10 vmware clean.img
# the NTFS partition starts at 1 MiB: the first page of $LogFile is made
# neither empty (0xff) nor a valid restart page, i.e. not clean
python3 - clean.img orig.img <<'PY'
import struct, sys
img = bytearray(open(sys.argv[1], 'rb').read())
part = 1 << 20
bps, spc = struct.unpack_from('<HB', img, part + 0x0b)
cluster = bps * spc
mft_lcn = struct.unpack_from('<Q', img, part + 0x30)[0]
c = struct.unpack_from('<b', img, part + 0x40)[0]
rec_size = c * cluster if c > 0 else 1 << -c
rec = part + mft_lcn * cluster + 2 * rec_size          # MFT record 2
assert img[rec:rec + 4] == b'FILE'
off = struct.unpack_from('<H', img, rec + 0x14)[0]
while True:
    atype, alen = struct.unpack_from('<II', img, rec + off)
    assert atype != 0xffffffff, "no $DATA in $LogFile's record"
    if atype == 0x80:
        break
    off += alen
a = rec + off
assert img[a + 8] == 1, "$LogFile data is resident"
run = a + struct.unpack_from('<H', img, a + 0x20)[0]
hdr = img[run]
nlen, noff = hdr & 15, hdr >> 4
lcn = int.from_bytes(img[run + 1 + nlen:run + 1 + nlen + noff], 'little', signed=True)
start = part + lcn * cluster
img[start:start + 8192] = b'RSTR' + bytes(8188)
open(sys.argv[2], 'wb').write(img)
PY
orig=$(sha orig.img)
# read-only roads do not care: inspection works
"$imgfix" inspect orig.img >/dev/null || fail "inspect of the unclean volume failed"

# Refused by default, naming the option; nothing written.
cp orig.img img
rc=0
"$imgfix" fix -r kvm-virtio -d store img >fix.out 2>fix.err || rc=$?
[ $rc -ne 0 ] || fail "a fix of an unclean NTFS volume succeeded without the option"
grep -q 'journal (\$LogFile) is unclean' fix.err || fail "refusal does not say why: $(cat fix.err)"
grep -q -- '--force ntfs-journal' fix.err || fail "refusal does not name --force ntfs-journal"
[ "$(sha img)" = "$orig" ] || fail "a refused fix wrote to the image"

# With the option: fixed, journal reset, volume marked for chkdsk.
"$imgfix" --quiet fix -r kvm-virtio -d store --force ntfs-journal img >/dev/null ||
	fail "fix --force ntfs-journal failed"
dd if=img of=part.img bs=1M skip=1 status=none
[ "$(ntfscat -f part.img '$LogFile' | head -c 8192 | tr -d '\377' | wc -c)" = 0 ] ||
	fail "the journal was not reset"
rc=0
"$imgfix" inspect img >/dev/null 2>inspect.err || rc=$?
[ $rc -ne 0 ] && grep -q 'marked dirty' inspect.err ||
	fail "the volume is not marked for chkdsk: $(cat inspect.err)"
[ -d img.imgfix ] || fail "no journal"

# Rollback: the original $LogFile and flags, every byte.
"$imgfix" --quiet rollback img >/dev/null || fail "rollback failed"
[ "$(sha img)" = "$orig" ] || fail "rollback did not restore the image"
echo "unclean \$LogFile: refused, reset with --force ntfs-journal, rollback exact"
