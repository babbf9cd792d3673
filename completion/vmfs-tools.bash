# bash completion for the vmfs-recovery tools: vmfs-inspect, vmfs-backup,
# vmfs-diff, vmfs-restore, vmfs-resignature, vmfs-ls, vmfs-extract.
#
# The options are read at completion time from the tool's own --help (its
# "  -x, --long ARG   text" lines), so this file never falls behind the tools.
# An option's argument completes by what --help says it is: the choices of
# "gpt|mbr" style arguments, the numbers of "512 or 4096", files for FILE,
# directories for DIR, nothing for numbers, identifiers and free text.
# Operands (disks, partitions, images, backup files) complete as file names.
# `make install` puts one copy per tool under
# $(PREFIX)/share/bash-completion/completions/, where bash-completion loads it
# on first use.

# Prints one "OPTION<TAB>ARG<TAB>CHOICES" line per option of the tool $1
# (ARG empty for a flag; CHOICES space-separated, possibly empty).
_vmfs_tool_options()
{
	local line spec desc word group=() choices more o
	while IFS= read -r line; do
		# Option lines start with blanks then a dash; the text follows after
		# a run of two or more blanks (or one, after a long argument name).
		[[ $line =~ ^[[:space:]]+- ]] || continue
		line=${line#"${line%%[![:space:]]*}"}
		if [[ $line =~ ^(.*[^[:space:]])[[:space:]]{2,}(.*)$ ]]; then
			spec=${BASH_REMATCH[1]} desc=${BASH_REMATCH[2]}
		else
			spec=$line desc=
		fi
		# "-x, --long ARG" names one option twice; "--a X, --b Y" lists
		# several. A word after ARG without a comma is already text.
		group=() more=1
		for word in $spec; do
			((more)) || break
			if [[ $word == -* ]]; then
				group+=("${word%,}")
				continue
			fi
			((${#group[@]})) || break
			[[ $word == *, ]] || more=0
			word=${word%,}
			choices=
			if [[ $word == *'|'* ]]; then
				choices=${word//|/ }
			elif [[ $desc =~ ([0-9]+)\ or\ ([0-9]+) ]]; then
				choices="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
			fi
			for o in "${group[@]}"; do printf '%s\t%s\t%s\n' "$o" "$word" "$choices"; done
			group=()
		done
		for o in "${group[@]}"; do printf '%s\t\t\n' "$o"; done
	done < <("$1" --help 2>/dev/null)
}

_vmfs_tools()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	local tool=${COMP_WORDS[0]} opts=() line opt arg choices
	local -A args=() lists=()
	while IFS=$'\t' read -r opt arg choices; do
		opts+=("$opt")
		args[$opt]=$arg
		lists[$opt]=$choices
	done < <(_vmfs_tool_options "$tool")
	COMPREPLY=()

	# The argument of the previous option.
	if [[ $prev == -* && -n ${args[$prev]:-} ]]; then
		if [[ -n ${lists[$prev]} ]]; then
			mapfile -t COMPREPLY < <(compgen -W "${lists[$prev]}" -- "$cur")
		elif [[ ${args[$prev]} == DIR ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		elif [[ ${args[$prev]} == FILE || ${args[$prev]} == PATH || ${args[$prev]} == SOURCE ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${opts[*]}" -- "$cur")
		return 0
	fi
	# Operands: disks, partitions, images and backup files.
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	return 0
}

complete -F _vmfs_tools vmfs-inspect vmfs-backup vmfs-diff vmfs-restore vmfs-resignature vmfs-ls vmfs-extract
