#!/usr/bin/env bash
# Bash completion (completion/vmfs-tools.bash) against the tools' current
# --help: loads it in bash, fills COMP_WORDS/COMP_CWORD as bash does, calls
# the completion function and checks COMPREPLY. Options, choices of option
# arguments, files, directories, and for every tool every long option its
# --help lists.
set -euo pipefail
build=${BUILD:-build}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/$build/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-completion.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=../completion/vmfs-tools.bash
source "$root/completion/vmfs-tools.bash"
fail=0 checks=0

# complete WORD... : the completions of the last word of the command line.
complete_line()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
	_vmfs_tools "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' '
}

# expect "EXPECTED" WORD... : the completions are exactly EXPECTED (sorted).
expect()
{
	local want=$1; shift
	local got; got=$(complete_line "$@")
	checks=$((checks + 1))
	if [ "$got" != "$want" ]; then
		echo "completion-check: '$*': got '$got', expected '$want'"; fail=1
	fi
}

# contains "WORD" LINE... : the completions include WORD.
contains()
{
	local want=$1; shift
	local got; got=$(complete_line "$@")
	checks=$((checks + 1))
	case " $got " in *" $want "*) ;; *) echo "completion-check: '$*': '$want' missing from '$got'"; fail=1 ;; esac
}

mkdir -p "$work/images/sub"
: > "$work/images/disk.img"
: > "$work/images/dump.bkp"

# Every long option of every tool's --help is offered after "--".
for tool in vmfs-inspect vmfs-backup vmfs-diff vmfs-restore vmfs-resignature vmfs-ls vmfs-extract; do
	longs=$("$tool" --help | grep -oE '^[[:space:]]+(-[[:alnum:]], )?--[[:alnum:]-]+' | grep -oE -- '--[[:alnum:]-]+')
	[ -n "$longs" ] || { echo "completion-check: no options in $tool --help"; fail=1; }
	for opt in $longs; do contains "$opt" "$tool" --; done
	contains --help "$tool" -
	contains --version "$tool" --v
	# Operands are files: disks, partitions, images, backups.
	expect "$work/images/disk.img $work/images/dump.bkp $work/images/sub" "$tool" "$work/images/"
done
# Prefixes, and an option from a "--vendor TEXT, --model TEXT" line.
expect "--from-backup" vmfs-restore --fr
expect "--model" vmfs-resignature --mo
expect "--revision" vmfs-resignature --rev
# Fixed choices that --help lists.
expect "gpt mbr" vmfs-restore --table ""
expect "gpt" vmfs-restore -t g
expect "fs lvm table" vmfs-restore --from-backup x.bkp --only ""
expect "4096 512" vmfs-inspect --sector-size ""
expect "4096" vmfs-diff -b 4
expect "4096 512" vmfs-resignature --sector-size ""
# Files and directories.
expect "$work/images/disk.img $work/images/dump.bkp $work/images/sub" vmfs-restore --undo "$work/images/"
expect "$work/images/dump.bkp" vmfs-restore --from-backup "$work/images/du"
expect "$work/images/sub" vmfs-backup --dir "$work/images/"
# Live hosts: the roots of another tree are directories; --all is a flag.
expect "$work/images/sub" vmfs-inspect --sysfs-root "$work/images/"
expect "$work/images/sub" vmfs-backup --dev-root "$work/images/"
expect "--all" vmfs-inspect --al
expect "--all" vmfs-backup --al
# Numbers, identifiers and free text: nothing to offer.
expect "" vmfs-resignature --lun ""
expect "" vmfs-resignature --label ""
expect "" vmfs-inspect --offset ""
expect "" vmfs-ls --volume ""
# The file tools: other members are files, the output folder a directory.
expect "$work/images/disk.img $work/images/dump.bkp $work/images/sub" vmfs-ls --member "$work/images/"
expect "$work/images/sub" vmfs-extract --output "$work/images/"
expect "--bodyfile" vmfs-ls --bo

[ "$fail" = 0 ] || exit 1
echo "completion-check: $checks completions as expected"
