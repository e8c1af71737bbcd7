#!/usr/bin/env bash
# End to end, every Windows fixture profile x source platform: plan (golden
# JSON), fix, re-inspect (new boot driver, tools disabled), golden .reg diff
# of the SYSTEM hive, rollback to a byte-identical image.
# IMGFIX_UPDATE_GOLDEN=1 rewrites the golden files.
# The combinations run as parallel jobs (IMGFIX_TEST_JOBS, default nproc),
# each in its own files; a failed one prints its log.
. "$(dirname "$0")/lib.sh"
golden=$src/tests/e2e/golden
store
cd "$tmp"

# combo PROFILE OVERLAY: one combination; exits non-zero (fail) on the
# first assertion that does not hold, touches $name.ok when all hold.
combo() {
	local profile=$1 overlay=$2
	local name=$profile-$overlay table=mbr before after rc kind g
	case "$profile" in win10 | win11 | 2019 | 2022) table=gpt ;; esac
	local opts=(--table "$table")
	[ "$table" = gpt ] && opts+=(--esp)
	windows_image "$profile" "$overlay" "$name.img" "${opts[@]}"
	cp "$name.img" "$name.orig"
	before=$(sha "$name.img")

	# plan: golden JSON of the plan part
	"$imgfix" plan --json -r kvm-virtio -r remove-foreign-tools \
		-d store "$name.img" >"$name.plan.json" ||
		fail "$name: plan failed"
	[ "$(sha "$name.img")" = "$before" ] ||
		fail "$name: plan wrote to the image"

	# fix
	"$imgfix" fix --json -r kvm-virtio -r remove-foreign-tools \
		-d store "$name.img" >"$name.fix.json" ||
		fail "$name: fix failed: $(cat "$name.fix.json")"

	# re-inspect, then read what the checks need from the three reports
	# in one python3 run: status, the boot driver before and after, its
	# Start, viostor's Start, the source platform; and the plan part.
	"$imgfix" inspect --json "$name.img" >"$name.after.json"
	local v
	mapfile -t v < <(python3 - "$name" <<'EOF'
import json, sys
n = sys.argv[1]
plan = json.load(open(n + '.plan.json'))
fix = json.load(open(n + '.fix.json'))
facts = json.load(open(n + '.after.json'))['guests'][0]['facts']
with open(n + '.plan', 'w') as f:
    print(json.dumps(plan['plan'], indent=1), file=f)
bd = facts.get('windows.boot_driver', '')
for x in (fix['status'], plan['facts'].get('windows.boot_driver', ''), bd,
          facts.get('service.%s.start' % bd, ''),
          facts.get('service.viostor.start', ''),
          facts.get('source.platform', '')):
    print(x)
EOF
	)
	[ ${#v[@]} -eq 6 ] || fail "$name: cannot read the reports"
	[ "${v[0]}" = fixed ] || fail "$name: status is not fixed"

	# viostor is the boot driver, unless the guest booted from an inbox
	# controller driver (IDE, AHCI), which stays a valid boot path and
	# keeps its device evidence
	if [ "${v[2]}" != viostor ]; then
		[ "${v[2]}" = "${v[1]}" ] ||
			fail "$name: boot driver after fix is ${v[2]}"
		[ "${v[3]}" = 0 ] || fail "$name: boot driver ${v[2]} disabled"
	fi
	[ "${v[4]}" = 0 ] || fail "$name: viostor Start=${v[4]}"
	case "$overlay" in physical) ;; *)
		[ "${v[5]}" = physical ] ||
			fail "$name: $overlay tools still active (${v[5]})" ;;
	esac

	# a second fix finds nothing to do (exit 3) and writes nothing
	after=$(sha "$name.img")
	rc=0
	"$imgfix" --quiet fix -r kvm-virtio -r remove-foreign-tools \
		-d store --backup "$name.again" "$name.img" \
		>/dev/null || rc=$?
	[ $rc -eq 3 ] || fail "$name: second fix exit $rc, not 3"
	[ "$(sha "$name.img")" = "$after" ] ||
		fail "$name: second fix wrote"

	# golden registry diff of the fixed image
	rc=0
	"$imgfix" hive diff "$name.orig:SYSTEM" "$name.img:SYSTEM" \
		>"$name.diff.reg" || rc=$?
	[ $rc -le 1 ] || fail "$name: hive diff failed"

	for kind in plan diff.reg; do
		g=$golden/$name.$kind
		if [ -n "${IMGFIX_UPDATE_GOLDEN:-}" ]; then
			cp "$name.$kind" "$g"
		elif ! cmp -s "$name.$kind" "$g"; then
			diff -u "$g" "$name.$kind" | head -40 >&2 || true
			fail "$name: $kind differs from $g"
		fi
	done

	# rollback: byte-identical image
	"$imgfix" rollback "$name.img" >/dev/null 2>&1 ||
		fail "$name: rollback failed"
	same_bytes "$name.img" "$name.orig" ||
		fail "$name: image differs after rollback"
	rm -rf "$name.img" "$name.orig" "$name.img.imgfix"
	touch "$name.ok"
}

jobs_max=${IMGFIX_TEST_JOBS:-$(nproc)}
running=0
names=()
for pdir in "$fixtures"/profiles/*/; do
	profile=$(basename "$pdir")
	for overlay in vmware virtualbox xen physical; do
		if [ $running -ge "$jobs_max" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		(combo "$profile" "$overlay") >"$profile-$overlay.log" 2>&1 &
		running=$((running + 1))
		names+=("$profile-$overlay")
	done
done
wait
n=0
failed=0
for name in "${names[@]}"; do
	if [ -e "$name.ok" ]; then
		n=$((n + 1))
	else
		echo "--- $name:" >&2
		cat "$name.log" >&2
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ] || fail "$failed of ${#names[@]} combinations failed"
[ $n -ge 36 ] || fail "only $n combinations ran"
echo "$n profile x platform combinations fixed and rolled back"
