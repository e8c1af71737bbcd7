#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The bash completion of imgfix (completion/imgfix as built): it registers
# itself, and completing simulated command lines (COMP_WORDS, COMP_CWORD,
# COMP_LINE, COMP_POINT as bash sets them) offers the commands, subcommands
# and options of the imgfix being completed, the shipped rule-set names
# after -r, and hive names after IMAGE: for `imgfix hive`.

set -u

src=${IMGFIX_SOURCE_ROOT:?}
build=${IMGFIX_BUILD_ROOT:?}
imgfix=$build/fixup/imgfix
script=$build/completion/imgfix

[ -x "$imgfix" ] || { echo "SKIP: $imgfix not built"; exit 77; }
[ -f "$script" ] || { echo "FAIL: $script not generated"; exit 1; }

# shellcheck disable=SC1090
. "$script"
export IMGFIX_DATADIR=$src
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# complete_line LINE: completes the last word of LINE ("" after a trailing
# blank), splitting words as readline does (':' is a word of its own when
# it is in COMP_WORDBREAKS).  The replies, one per line, on stdout.
complete_line() {
	local line=$1 w
	local -a words=()
	if [[ $COMP_WORDBREAKS == *:* ]]; then
		line=${1//:/ : }
	fi
	read -r -a words <<<"$line"
	[[ $1 == *" " ]] && words+=("")
	words[0]=$imgfix
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	COMP_LINE="$imgfix ${1#* }"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_imgfix
	for w in "${COMPREPLY[@]}"; do
		printf '%s\n' "$w"
	done
}

# expect LINE WORD...: each WORD is among the replies.
expect() {
	local line=$1 out w
	shift
	out=$(complete_line "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" ||
			fail "'$line<TAB>' does not offer '$w' (got: $(echo $out))"
	done
}

# expect_not LINE WORD...: no WORD is among the replies.
expect_not() {
	local line=$1 out w
	shift
	out=$(complete_line "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" &&
			fail "'$line<TAB>' offers '$w'"
	done
}

# expect_only LINE WORD...: exactly these replies (sorted).
expect_only() {
	local line=$1 out want
	shift
	out=$(complete_line "$line" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$out" = "$want" ] || fail "'$line<TAB>' offers '$out', expected '$want'"
}

complete -p imgfix 2>/dev/null | grep -q -- '-F _imgfix' ||
	fail "'complete -p imgfix' does not name _imgfix"

# Commands and global options, from `imgfix --help`.
cmds=$("$imgfix" --help | awk '/^Commands:/{on=1;next} on&&!NF{exit} on{print $1}')
[ -n "$cmds" ] || fail "imgfix --help lists no commands"
# shellcheck disable=SC2086
expect "imgfix " $cmds
expect_only "imgfix ba" batch
expect "imgfix --" --verbose --quiet --machine-readable --version --help
expect_not "imgfix " --verbose

# Subcommands.
expect_only "imgfix drivers " scan select
expect_only "imgfix hive " diff export get recover set
expect "imgfix rules " validate eval
expect_only "imgfix patchcache " add list verify
expect_not "imgfix inspect " scan

# Options come from the (sub)command's own --help, prose excluded.
expect "imgfix drivers select --" --os --arch --server --id --class --name \
	--fallback --json
expect_not "imgfix drivers select --" --prefix
expect_only "imgfix hive diff --" --exit-code --prefix
expect_only "imgfix batch --" --help --html --jobs --json --report-dir
expect_only "imgfix inspect --" --backend --format --help --json --key
expect "imgfix -v patchcache list --" --cache --json

# Rule-set names after -r / --rules, from the rule directory.
sets=$(cd "$src/rules/sets" && ls ./*.xml | sed 's|^\./||; s|\.xml$||')
# shellcheck disable=SC2086
expect "imgfix rules eval -r " $sets
expect "imgfix rules eval --rules kvm" kvm-virtio kvm-virtio-scsi
expect_not "imgfix rules eval --rules kvm" hyperv
IMGFIX_DATADIR=$tmp/none expect_not "imgfix rules eval -r " kvm-virtio

# Hive names after IMAGE:, with ':' in COMP_WORDBREAKS (the default)...
touch "$tmp/vm.img"
expect_only "imgfix hive get $tmp/vm.img:" SYSTEM SOFTWARE DRIVERS BCD
expect_only "imgfix hive get $tmp/vm.img:SO" SOFTWARE
expect_only "imgfix hive export $tmp/vm.img:sy" SYSTEM
expect_not "imgfix inspect $tmp/vm.img:" SYSTEM
# ...and without it.
saved=$COMP_WORDBREAKS
COMP_WORDBREAKS=${COMP_WORDBREAKS//:/}
expect_only "imgfix hive diff $tmp/vm.img:B" "$tmp/vm.img:BCD"
COMP_WORDBREAKS=$saved

# Values: directories for --report-dir, files for --html.
mkdir -p "$tmp/reports"
expect_only "imgfix batch --report-dir $tmp/r" "$tmp/reports"
expect "imgfix batch --html $tmp/" "$tmp/vm.img" "$tmp/reports"
expect_only "imgfix drivers select --arch " amd64 x86

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "completion: all checks passed"
