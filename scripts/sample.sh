#!/usr/bin/env bash
# The main job on a built-in sample: builds a converted Windows 10 guest
# as it comes out of VMware (VMware Tools, pvscsi boot driver, vmmouse in
# the mouse class filters) on a GPT disk image, and a virtio-win-shaped
# driver store, then runs
#   imgfix plan / fix -r kvm-virtio -r remove-foreign-tools -d STORE IMAGE
# and shows the report.  Everything goes to sample/ (or $1).
# Usage: scripts/sample.sh [OUTDIR] [BUILDDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/sample}
build=$(cd "${2:-$top/build}" && pwd)
imgfix=$build/fixup/imgfix
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$top/../shared/corpus}

[ -x "$imgfix" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
[ -d "$IMGFIX_CORPUS" ] || {
	echo "the sample is built from ../shared/corpus, which is missing" >&2
	exit 1
}
rm -rf "$out"
mkdir -p "$out"
cd "$out"

echo "== Building the sample: Windows 10 from VMware, GPT + ESP =="
bash "$top/tests/fixtures/build-hives.sh" win10 vmware hives >/dev/null
rm -f hives/facts.json
"$build/tests/fixtures/mkimage" -o win10-vmware.img --size 256M \
	--table gpt --esp --hives hives --pe-arch x86_64 >/dev/null
bash "$top/tests/fixtures/build-store.sh" virtio-win >/dev/null
ls -l win10-vmware.img

echo
echo "== imgfix inspect =="
"$imgfix" inspect win10-vmware.img

echo
echo "== imgfix fix -r kvm-virtio -r remove-foreign-tools =="
"$imgfix" fix -r kvm-virtio -r remove-foreign-tools -d virtio-win \
	win10-vmware.img

echo
echo "== After the fix =="
"$imgfix" inspect win10-vmware.img | grep -E 'boot_driver|source.platform'
echo
echo "Undo with: $imgfix rollback $out/win10-vmware.img"
