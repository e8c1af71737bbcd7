# Shared by the end-to-end tests: paths, skip/fail, image building.
# Sourced; expects IMGFIX_BUILD_ROOT, IMGFIX_SOURCE_ROOT, IMGFIX_CORPUS.
set -euo pipefail
src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
mkimage=$build/tests/fixtures/mkimage
fixtures=$src/tests/fixtures
export IMGFIX_CORPUS=${IMGFIX_CORPUS:-$src/../shared/corpus}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$IMGFIX_CORPUS" ] || skip "corpus not found at $IMGFIX_CORPUS"
[ -x "$imgfix" ] || skip "imgfix not built"
[ -x "$mkimage" ] || skip "mkimage not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfix-e2e.XXXXXX")
cleanup() {
	chattr -i "$tmp"/* 2>/dev/null || true
	[ -n "${IMGFIX_TEST_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
# imgfix's own temp directories (and qemu-nbd's, libnbd's) go inside $tmp:
# whatever a killed run leaves goes with it.
mkdir "$tmp/tmpdir"
export TMPDIR=$tmp/tmpdir

# sha FILE: a content hash of FILE that reads only its data extents
# (tests/fixtures/imgsum: the images are sparse, 128 MiB holding ~3 MiB).
imgsum=$build/tests/fixtures/imgsum
[ -x "$imgsum" ] || skip "imgsum not built"
sha() { "$imgsum" "$1" | cut -d' ' -f1; }
# same_bytes A B: A and B hold the same bytes (same content hash).
same_bytes() { [ "$(sha "$1")" = "$(sha "$2")" ]; }

# Builds the virtio-win-shaped driver store once per test run.
store() {
	[ -d "$tmp/store" ] ||
		bash "$fixtures/build-store.sh" "$tmp/store" >/dev/null
}

# windows_image PROFILE OVERLAY OUT [mkimage options...]
windows_image() {
	local profile=$1 overlay=$2 out=$3
	shift 3
	local h="$tmp/hives-$profile-$overlay"
	if [ ! -d "$h" ]; then
		if [ "$overlay" = none ]; then
			bash "$fixtures/build-hives.sh" "$profile" "$h" >/dev/null
		else
			bash "$fixtures/build-hives.sh" "$profile" "$overlay" \
				"$h" >/dev/null
		fi
		rm -f "$h/facts.json"
	fi
	local arch=x86_64
	case "$profile" in *x86*) arch=i386 ;; esac
	"$mkimage" -o "$out" --size 128M --hives "$h" --pe-arch "$arch" \
		"$@" >/dev/null
}

# json_get FILE EXPR: python3 expression on the parsed JSON as `j`.
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
