#!/usr/bin/env bash
# `imgfix rules test`: the profile matrix against the virtio-win-shaped
# store, JUnit output validated against the JUnit schema (junit.xsd, with
# libxml2's xmllint), one test case per (profile, rule set), the failures
# the store really has (no NetKVM package in it) reported, and a set whose
# drivers all resolve passing.
. "$(dirname "$0")/lib.sh"
store
cd "$tmp"
command -v xmllint >/dev/null || skip "xmllint missing"

rc=0
"$imgfix" rules test -r kvm-virtio -r remove-foreign-tools -d store \
	--junit kvm.xml >kvm.out || rc=$?
[ $rc -eq 1 ] || fail "rules test: exit $rc, expected 1 (NetKVM missing)"
xmllint --noout --schema "$src/tests/e2e/junit.xsd" kvm.xml ||
	fail "JUnit output does not validate"
cases=$(grep -c '<testcase ' kvm.xml)
profiles=$(grep -cE '^(ok|FAIL) .*: kvm-virtio$' kvm.out)
[ "$cases" -eq $((2 * profiles)) ] ||
	fail "$cases test cases for $profiles profiles x 2 sets"
grep -q 'no driver package for netkvm.inf' kvm.xml ||
	fail "the missing NetKVM package is not reported"
grep -q 'name="win10-x64: remove-foreign-tools"' kvm.xml ||
	fail "test case names are not 'profile: set'"

# The same results from the store's catalog cache (written by the run
# above, used now) and without it (--no-cache); timings aside.
[ -f store/.imgfix-catalog ] || fail "no catalog cache beside the store"
"$imgfix" rules test -r kvm-virtio -r remove-foreign-tools -d store \
	--junit kvm-warm.xml >kvm-warm.out || true
"$imgfix" --no-cache rules test -r kvm-virtio -r remove-foreign-tools \
	-d store --junit kvm-none.xml >kvm-none.out || true
untimed() { sed -E 's/ time="[^"]*"//g; s/[0-9]+(\.[0-9]+)? ?(ms|s)\b/T/g' "$1"; }
for run in warm none; do
	[ "$(untimed kvm.out)" = "$(untimed kvm-$run.out)" ] ||
		fail "rules test output differs with the cache $run"
	[ "$(untimed kvm.xml)" = "$(untimed kvm-$run.xml)" ] ||
		fail "JUnit output differs with the cache $run"
done

# A set whose every driver is in the store passes, with --profiles DIR.
mkdir profiles
"$imgfix" inspect --json "$fixtures/linux/debian12" >profiles/deb.json
cat >profiles/win10.json <<'JSON'
{"os.family": "windows", "os.version": "10.0", "os.build": "19045",
 "os.arch": "x86_64", "os.product_type": "client",
 "windows.driver_database": "true", "windows.control_set": "ControlSet001",
 "windows.systemroot": "/Windows"}
JSON
cat >only-viostor.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<ruleset name="only-viostor" os="windows">
  <description>viostor only</description>
  <rule id="viostor">
    <description>boot from virtio-blk</description>
    <inject-driver hwid="PCI\VEN_1AF4&amp;DEV_1001&amp;SUBSYS_00021AF4&amp;REV_00"
                   inf="viostor.inf" boot-critical="true"/>
  </rule>
</ruleset>
XML
"$imgfix" rules test -r ./only-viostor.xml -d store --profiles profiles \
	--junit ok.xml >ok.out || fail "rules test of a resolvable set failed"
xmllint --noout --schema "$src/tests/e2e/junit.xsd" ok.xml ||
	fail "JUnit output does not validate"
[ "$(grep -c '<testcase ' ok.xml)" -eq 2 ] || fail "expected 2 test cases"
! grep -q '<failure' ok.xml || fail "unexpected failure"
echo "rules test: $cases cases validated against junit.xsd"
