#!/usr/bin/env bash
# Runs the whole test suite: Criterion unit tests and command-line tests of the
# real binaries. The real-image corpus (../shared/corpus, third-party data that
# is never copied into the project) is unpacked sparsely once per run into a
# temporary folder; corpus tests skip with a message when it is absent.
set -euo pipefail
test_bin=${1:?usage: run-tests.sh TEST_BINARY}
build=${BUILD:-build}
corpus_src=${CORPUS_SRC:-../shared/corpus}

work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT

export VMFS_TEST_BIN="$PWD/$build/bin"
# The tools built with the fault-injection seam (Makefile, tests/test_fault.c).
export VMFS_TEST_FAULT_BIN="$PWD/$build/fault/bin"
export VMFS_TEST_MKFIXTURE="$PWD/$build/fixtures/mkfixture"
export VMFS_TEST_TMP="$work/tmp"
mkdir -p "$VMFS_TEST_TMP"

if [ -d "$corpus_src" ]; then
	mkdir -p "$work/corpus"
	for f in "$corpus_src"/*.xz; do
		[ -e "$f" ] && xz -dc "$f" > "$work/corpus/$(basename "$f" .xz)"
	done
	for f in "$corpus_src"/*.gz; do
		[ -e "$f" ] && gzip -dc "$f" | cp --sparse=always /dev/stdin "$work/corpus/$(basename "$f" .gz)"
	done
	export VMFS_TEST_CORPUS="$work/corpus"
	echo "corpus: unpacked $(ls "$work/corpus" | wc -l) images from $corpus_src"
else
	echo "corpus: $corpus_src not found; real-image tests will be skipped"
fi

# Sanitizer runs: fail on the first report, and keep leak checks on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Leaks inside third-party libraries we cannot fix (each one explained there).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp:print_suppressions=0}

"$test_bin" --jobs="${TEST_JOBS:-2}" --short-filename
