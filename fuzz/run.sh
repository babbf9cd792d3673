#!/usr/bin/env bash
# Runs the libFuzzer harnesses built by `make fuzz-build` (this script builds
# nothing). See tests/FUZZING.md.
#
#   fuzz/run.sh [HARNESS...]            fuzz each for $FUZZ_SECONDS (default 60)
#   fuzz/run.sh --regress [HARNESS...]  run each once over fuzz/regress/<name>/*
#
# HARNESS is a short name (lvm, fsdesc, ptable, ident, backup, undo, scan, fs);
# default all. One process per harness, one harness at a time. The corpus
# grows in $FUZZ_BUILD/corpus/<name> (seeded from $FUZZ_BUILD/seeds/<name> and
# fuzz/regress/<name>), crash artifacts go to $FUZZ_BUILD/crashes/<name>/,
# libFuzzer's log to $FUZZ_BUILD/logs/<name>.log, and one line per harness
# (name, executions, seconds, corpus files, result) to
# $FUZZ_BUILD/summary.tsv. Exit status 1 when a harness crashed (the
# artifact is named), 2 on a usage or setup error.
set -euo pipefail
cd "$(dirname "$0")/.."
fz=${FUZZ_BUILD:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout_s=${FUZZ_TIMEOUT:-20}
all=(lvm fsdesc ptable ident backup undo scan fs)

regress=0
if [ "${1:-}" = --regress ]; then
	regress=1
	shift
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
case $seconds in '' | *[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;; esac

# Longest input per harness: room for the seeds plus what mutations add.
max_len() {
	case $1 in
	ident) echo 1024 ;;
	fsdesc) echo 4096 ;;
	undo) echo 8192 ;;
	backup) echo 32768 ;;
	fs) echo 1572864 ;; # a file system's metadata: resource headers, FDs, directories, heartbeats
	*) echo 16384 ;;
	esac
}

# libFuzzer's scratch files and the table renderer's scratch copies stay here.
export TMPDIR="$PWD/$fz/tmp"
mkdir -p "$TMPDIR"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

status=0
total_runs=0
total_seconds=0
[ $regress = 1 ] || printf 'harness\texecutions\tseconds\tcorpus_files\tresult\n' > "$fz/summary.tsv"
for name in "${names[@]}"; do
	bin=$fz/bin/fuzz_$name
	[ -x "$bin" ] || { echo "run.sh: $bin is missing (make fuzz-build)" >&2; exit 2; }
	regress_dir=fuzz/regress/$name
	if [ $regress = 1 ]; then
		files=()
		[ -d "$regress_dir" ] && while IFS= read -r f; do files+=("$f"); done < <(find "$regress_dir" -type f ! -name '.*' | sort)
		if [ ${#files[@]} -eq 0 ]; then
			printf '  %-7s no saved inputs\n' "$name"
			continue
		fi
		mkdir -p "$fz/crashes/$name"
		if "$bin" -rss_limit_mb="$rss_mb" -timeout="$timeout_s" -artifact_prefix="$fz/crashes/$name/regress-" \
			"${files[@]}" > "$fz/regress-$name.log" 2>&1; then
			printf '  %-7s %d saved input(s): ok\n' "$name" ${#files[@]}
		else
			printf '  %-7s FAILED on a saved input, see %s\n' "$name" "$fz/regress-$name.log"
			status=1
		fi
		continue
	fi

	corpus=$fz/corpus/$name crashes=$fz/crashes/$name log=$fz/logs/$name.log
	mkdir -p "$corpus" "$crashes" "$fz/logs"
	dirs=("$corpus")
	[ -d "$fz/seeds/$name" ] && dirs+=("$fz/seeds/$name")
	[ -d "$regress_dir" ] && dirs+=("$regress_dir")
	dict=()
	case $name in lvm | ptable | scan) dict=(-dict=fuzz/dict/disk.dict) ;; esac
	[ -f "fuzz/dict/$name.dict" ] && dict=(-dict="fuzz/dict/$name.dict")
	before=$(find "$crashes" -type f | wc -l)
	start=$(date +%s.%N)
	rc=0
	"$bin" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout_s" -max_len="$(max_len "$name")" \
		-print_final_stats=1 -artifact_prefix="$crashes/" -close_fd_mask=1 "${dict[@]}" "${dirs[@]}" > "$log" 2>&1 || rc=$?
	end=$(date +%s.%N)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	runs=${runs:-0}
	elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
	files=$(find "$corpus" -type f | wc -l)
	result=ok
	if [ $rc -ne 0 ] || [ "$(find "$crashes" -type f | wc -l)" -gt "$before" ]; then
		artifact=$(ls -t "$crashes" 2>/dev/null | head -n 1)
		result="CRASH (exit $rc): ${artifact:+$crashes/$artifact}"
		status=1
	fi
	printf '  %-7s %10s executions in %4ss, corpus %5s files: %s\n' "$name" "$runs" "$elapsed" "$files" "$result"
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$runs" "$elapsed" "$files" "$result" >> "$fz/summary.tsv"
	total_runs=$((total_runs + runs))
	total_seconds=$((total_seconds + elapsed))
	if [ $rc -ne 0 ]; then
		grep -m 1 -E '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR|deadly signal|-timeout|out-of-memory' "$log" | sed 's/^/          /' || true
		echo "          log: $log"
	fi
done
if [ $regress = 0 ]; then
	printf '  total   %10s executions in %4ss\n' "$total_runs" "$total_seconds"
	printf 'total\t%s\t%s\t\t%s\n' "$total_runs" "$total_seconds" "$([ $status = 0 ] && echo ok || echo crash)" >> "$fz/summary.tsv"
fi
exit $status
