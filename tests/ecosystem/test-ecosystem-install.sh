#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `meson install --destdir` puts every piece where it belongs: the binary
# in bindir, imgfix(1) and the section 5 pages in mandir (roff), the bash
# completion in bash-completion's directory (with the rule directory filled
# in), rule sets + schema and patch-cache manifests + schema in
# DATADIR/imgfix; and the installed binary finds its data there (a destdir
# copy needs IMGFIX_DATADIR, an installed one finds it by itself).

set -eu

build=${IMGFIX_BUILD_ROOT:?}
src=${IMGFIX_SOURCE_ROOT:?}
command -v meson >/dev/null 2>&1 || { echo "SKIP: meson not in PATH"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/dest" \
	>"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; exit 1; }

prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["prefix"])')
root=$tmp/dest$prefix
data=$(find "$tmp/dest" -type d -path '*/share/imgfix' | head -1)

[ -x "$root/bin/imgfix" ] || fail "no $prefix/bin/imgfix"
[ -n "$data" ] || { fail "no share/imgfix"; data=$tmp/none; }
for page in man1/imgfix.1 man5/imgfix-rules.5 man5/imgfix-patchcache.5; do
	f=$(find "$tmp/dest" -path "*/man/$page" | head -1)
	if [ -z "$f" ]; then
		fail "man page $page not installed"
	elif ! head -c 200 "$f" | grep -q '^\.TH'; then
		fail "$page is not roff"
	fi
done
comp=$(find "$tmp/dest" -path '*/bash-completion/completions/imgfix' | head -1)
if [ -z "$comp" ]; then
	fail "bash completion not installed"
else
	grep -q '@IMGFIX_DATADIR@' "$comp" && fail "completion not configured"
	bash -n "$comp" || fail "completion is not valid bash"
fi
for f in $(cd "$src" && ls rules/sets/*.xml rules/schema/rules.rng \
	patchcache/manifests/*.xml patchcache/schema/manifest.rng); do
	cmp -s "$src/$f" "$data/$f" || fail "$f not installed in $data"
done
# Nothing but the binary in bindir: no test programs installed.
n=$(ls "$root/bin" | wc -l)
[ "$n" -eq 1 ] || fail "bindir holds $n files: $(ls "$root/bin")"

# The installed binary, pointed at its destdir data.
echo '{"os.family": "windows", "os.version": "10.0", "os.arch": "x86_64"}' \
	>"$tmp/facts.json"
IMGFIX_DATADIR=$data "$root/bin/imgfix" rules eval -r kvm-virtio \
	--facts "$tmp/facts.json" >"$tmp/eval.out" 2>&1 ||
	fail "installed imgfix rules eval: $(cat "$tmp/eval.out")"
grep -q 'viostor' "$tmp/eval.out" || fail "rules eval did not find viostor"
IMGFIX_DATADIR=$tmp/nowhere "$root/bin/imgfix" rules eval -r kvm-virtio \
	--facts "$tmp/facts.json" >/dev/null 2>&1 &&
	fail "rules eval found kvm-virtio without its data directory"

[ "$failures" -eq 0 ] || exit 1
echo "install: OK ($prefix)"
