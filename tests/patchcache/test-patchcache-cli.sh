#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `imgfix patchcache add|list|verify` end to end: install media with an
# SZDD file and a CAB, the listing (text and JSON), verify catching a
# corrupted object and add healing it, bad inputs and usage errors.
#   test-patchcache-cli.sh IMGFIX
set -eu
imgfix=$(realpath "$1")
here=$(realpath "$(dirname "$0")")
for t in gcab mscompress; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$here/mkpe.sh" src i386 5.1.2600.5512 halmacpi.dll ntkrnlmp.exe atapi.sys
mkdir -p media/I386
(cd src && mscompress halmacpi.dll >/dev/null &&
	mv halmacpi.dll_ ../media/I386/HALMACPI.DL_ &&
	gcab -c -z ../media/I386/SP3.CAB ntkrnlmp.exe atapi.sys)

fail() { echo "FAIL: $*" >&2; exit 1; }

"$imgfix" patchcache add -p cache media >out || fail "add"
grep -q "3 added" out || fail "add count: $(cat out)"
"$imgfix" patchcache list -p cache >out || fail "list"
grep -Eq '^halmacpi.dll +i386 +5\.1\.2600\.5512 ' out || fail "list: $(cat out)"
grep -Eq '^ntkrnlmp.exe +i386 +5\.1\.2600\.5512 ' out || fail "list cab"
"$imgfix" patchcache list -p cache --json >out || fail "list --json"
grep -q '"name": "atapi.sys"' out || fail "json: $(cat out)"
"$imgfix" patchcache verify -p cache >out || fail "verify clean"

# Corrupt one object: verify fails and names it; adding again heals it.
obj=$(ls cache/objects/*/* | head -1)
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc status=none
if "$imgfix" patchcache verify -p cache 2>err; then fail "verify corrupt"; fi
grep -q "does not match its sha256" err || fail "verify message: $(cat err)"
"$imgfix" patchcache add -p cache media >out || fail "re-add"
grep -q "0 added" out || fail "re-add count: $(cat out)"
"$imgfix" patchcache verify -p cache >out || fail "verify after heal"

# Bad inputs and usage.
printf 'hello' >notes.txt
if "$imgfix" patchcache add -p cache notes.txt 2>err; then fail "txt"; fi
grep -q "notes.txt: not an i386/amd64 PE file" err || fail "txt: $(cat err)"
set +e
"$imgfix" patchcache list 2>/dev/null; [ $? -eq 2 ] || fail "usage exit"
"$imgfix" patchcache list -p nocache 2>err; [ $? -eq 1 ] || fail "no cache"
set -e
grep -q "not a patch cache" err || fail "no cache message: $(cat err)"
echo OK
