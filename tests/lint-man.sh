#!/usr/bin/env bash
# Checks manual pages with man-db and groff: every page given as an argument
# (default: man/*.[0-9]) is formatted with warnings enabled, the way a user's
# man(1) would format it at 80 columns. Any diagnostic on stderr, or a non-zero
# exit status, counts as a failure of that page.
#
# Usage: tests/lint-man.sh [PAGE...]
# Exit status: 0 all pages clean; 1 a page has warnings, cannot be read, or man
# is not installed.
set -uo pipefail

prog=lint-man

if ! command -v man >/dev/null 2>&1; then
	echo "$prog: man is not installed (Debian: apt-get install man-db groff-base); cannot check pages" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	pages=("$@")
else
	# Default set, relative to the project root (the parent of tests/).
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	shopt -s nullglob
	pages=("$root"/man/*.[0-9])
	shopt -u nullglob
	if [ ${#pages[@]} -eq 0 ]; then
		echo "$prog: no pages found in $root/man" >&2
		exit 1
	fi
fi

total=0
failed=0
for page in "${pages[@]}"; do
	total=$((total + 1))
	if [ ! -f "$page" ] || [ ! -r "$page" ]; then
		echo "$prog: $page: no such readable file"
		failed=$((failed + 1))
		continue
	fi
	# -l: format this file, not a page from the search path. stdout is the
	# rendered page (discarded); stderr collects groff's and man's warnings.
	# The pager is not used because stdout is not a terminal.
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	status=$?
	if [ $status -ne 0 ] || [ -n "$warnings" ]; then
		failed=$((failed + 1))
		if [ -z "$warnings" ]; then
			warnings="man exited with status $status"
		elif [ $status -ne 0 ]; then
			warnings="$warnings (man exited with status $status)"
		fi
		# One report line per warning line, each naming the page.
		while IFS= read -r line; do
			echo "$prog: $page: $line"
		done <<<"$warnings"
	fi
done

echo "$prog: $total pages, $failed with warnings"
[ $failed -eq 0 ]
