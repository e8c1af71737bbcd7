#!/usr/bin/env bash
# End to end, every Windows fixture profile x source platform: plan (golden
# JSON), fix, re-inspect (new boot driver, tools disabled), golden .reg diff
# of the SYSTEM hive, rollback to a byte-identical image.
# IMGFIX_UPDATE_GOLDEN=1 rewrites the golden files.
. "$(dirname "$0")/lib.sh"
golden=$src/tests/e2e/golden
store
cd "$tmp"
n=0
for pdir in "$fixtures"/profiles/*/; do
	profile=$(basename "$pdir")
	for overlay in vmware virtualbox xen physical; do
		name=$profile-$overlay
		table=mbr
		case "$profile" in win10 | win11 | 2019 | 2022) table=gpt ;; esac
		opts=(--table "$table")
		[ "$table" = gpt ] && opts+=(--esp)
		windows_image "$profile" "$overlay" "$name.img" "${opts[@]}"
		cp "$name.img" "$name.orig"
		before=$(sha "$name.img")

		# plan: golden JSON of the plan part
		"$imgfix" plan --json -r kvm-virtio -r remove-foreign-tools \
			-d store "$name.img" >"$name.plan.json" ||
			fail "$name: plan failed"
		python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plan"], indent=1))' \
			"$name.plan.json" >"$name.plan"
		[ "$(sha "$name.img")" = "$before" ] ||
			fail "$name: plan wrote to the image"

		# fix
		"$imgfix" fix --json -r kvm-virtio -r remove-foreign-tools \
			-d store "$name.img" >"$name.fix.json" ||
			fail "$name: fix failed: $(cat "$name.fix.json")"
		[ "$(json_get "$name.fix.json" 'j["status"]')" = fixed ] ||
			fail "$name: status is not fixed"

		# re-inspect: viostor is the boot driver, unless the guest
		# booted from an inbox controller driver (IDE, AHCI), which
		# stays a valid boot path and keeps its device evidence
		"$imgfix" inspect --json "$name.img" >"$name.after.json"
		old=$(json_get "$name.plan.json" 'j["facts"].get("windows.boot_driver", "")')
		f=$(json_get "$name.after.json" 'j["guests"][0]["facts"]["windows.boot_driver"]')
		if [ "$f" != viostor ]; then
			[ "$f" = "$old" ] ||
				fail "$name: boot driver after fix is $f"
			s=$(json_get "$name.after.json" "j['guests'][0]['facts']['service.$f.start']")
			[ "$s" = 0 ] || fail "$name: boot driver $f disabled"
		fi
		f=$(json_get "$name.after.json" 'j["guests"][0]["facts"]["service.viostor.start"]')
		[ "$f" = 0 ] || fail "$name: viostor Start=$f"
		f=$(json_get "$name.after.json" 'j["guests"][0]["facts"]["source.platform"]')
		case "$overlay" in physical) ;; *)
			[ "$f" = physical ] ||
				fail "$name: $overlay tools still active ($f)" ;;
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
		cmp -s "$name.img" "$name.orig" ||
			fail "$name: image differs after rollback"
		rm -rf "$name.img" "$name.orig" "$name.img.imgfix"
		n=$((n + 1))
	done
done
[ $n -ge 36 ] || fail "only $n combinations ran"
echo "$n profile x platform combinations fixed and rolled back"
