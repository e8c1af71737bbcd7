#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds tiny PE files with a VERSIONINFO resource, for the patchcache tests:
#   mkpe.sh OUTDIR ARCH VERSION NAME...
# ARCH is i386 or amd64, VERSION a.b.c.d ("none": no version resource).
# Uses mingw-w64 binutils (windres, as, ld) from Debian; exits 77 when they
# are missing so the calling test can skip.
set -eu
out=$1 arch=$2 version=$3
shift 3
case $arch in
i386) t=i686-w64-mingw32 ;;
amd64) t=x86_64-w64-mingw32 ;;
*) echo "bad arch $arch" >&2; exit 2 ;;
esac
for tool in windres as ld; do
	command -v $t-$tool >/dev/null || { echo "$t-$tool missing" >&2; exit 77; }
done
command -v cpp >/dev/null || { echo "cpp missing" >&2; exit 77; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '.text\n.globl _start\n_start:\nret\n' >"$work/entry.s"
$t-as "$work/entry.s" -o "$work/entry.o"
commas=$(echo "$version" | tr . ,)
for name in "$@"; do
	objs="$work/entry.o"
	if [ "$version" != none ]; then
		cat >"$work/v.rc" <<RC
1 VERSIONINFO
FILEVERSION $commas
PRODUCTVERSION $commas
FILEOS 0x40004
FILETYPE 0x3
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "FileVersion", "$version"
      VALUE "OriginalFilename", "$name"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
		$t-windres --preprocessor=cpp -i "$work/v.rc" -o "$work/v.o"
		objs="$objs $work/v.o"
	fi
	# shellcheck disable=SC2086
	$t-ld --subsystem native -e _start -o "$out/$name" $objs
done
