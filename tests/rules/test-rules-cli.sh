#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `imgfix rules validate` and `imgfix rules eval` from the command line:
# exit codes, diagnostics, the text output against a golden file, --json,
# facts given with -D, and an IMAGE (a directory guest) inspected directly.
# Usage: test-rules-cli.sh IMGFIX SOURCE_ROOT
set -eu
imgfix=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# every shipped set validates, by path and by name
"$imgfix" rules validate "$src"/rules/sets/*.xml kvm-virtio >"$tmp/out" ||
	fail "shipped sets do not validate: $(cat "$tmp/out")"
grep -q '^kvm-virtio: OK (3 sets)$' "$tmp/out" || fail "validate output"

# an invalid file: exit 1 and file:line: message
cat >"$tmp/bad.xml" <<'XML'
<ruleset name="bad"><description>d</description>
<rule id="a"><description>d</description>
<swap-hal hal="mps_mp"/></rule></ruleset>
XML
if "$imgfix" rules validate "$tmp/bad.xml" 2>"$tmp/err"; then
	fail "invalid file accepted"
fi
grep -q "bad.xml:3: rule 'a': swap-hal is a windows action" "$tmp/err" ||
	fail "diagnostic: $(cat "$tmp/err")"

# usage errors: exit 2
set +e
"$imgfix" rules eval --facts "$tmp/x.json" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "eval without -r: exit $rc"

# eval: text output equals the golden file
"$imgfix" rules eval -r kvm-virtio -r remove-foreign-tools \
	--facts "$src/tests/rules/data/win7-vbox.json" >"$tmp/eval.txt"
diff -u "$src/tests/rules/data/win7-vbox.kvm-virtio.txt" "$tmp/eval.txt" ||
	fail "eval output differs from the golden file"

# --json and -D
"$imgfix" rules eval -r generic-ide --json -D os.family=windows \
	-D os.version=5.1 >"$tmp/eval.json"
python3 - "$tmp/eval.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["sets"] == ["common", "generic-ide"], d["sets"]
kinds = [a["kind"] for a in d["actions"]]
assert kinds.count("require-file") == 4, kinds
a = [a for a in d["actions"] if a["kind"] == "boot-ini"][0]
assert a["rule"] == "nt5-disk-identity" and a["attrs"]["fix"] == "arc-paths"
assert a["set"] == "generic-ide" and a["line"] > 0
PY

# a conflict: exit 1, both rules named
set +e
"$imgfix" rules eval -r vmware -r remove-foreign-tools -D os.family=windows \
	-D os.version=10.0 -D service.pvscsi.start=0 >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "conflict: exit $rc"
grep -q "conflict: rule 'vmware' (set remove-foreign-tools) and rule 'pvscsi' (set vmware" \
	"$tmp/err" || fail "conflict diagnostic: $(cat "$tmp/err")"

# bad facts file
echo '{"os.family": ["windows"]}' >"$tmp/bad.json"
if "$imgfix" rules eval -r common --facts "$tmp/bad.json" 2>"$tmp/err"; then
	fail "bad facts accepted"
fi
grep -q "fact 'os.family' is not a string" "$tmp/err" || fail "facts error"

# IMAGE: a Linux directory guest, inspected read-only
"$imgfix" rules eval -r linux-virtio "$src/tests/fixtures/linux/el9" \
	>"$tmp/img.txt" || fail "eval on an image"
grep -q '^linux-virtio/remap-disks: remap-disks from="hd sd xvd cciss nvme" to="vd"$' \
	"$tmp/img.txt" || fail "image eval output: $(cat "$tmp/img.txt")"
echo "ok"
