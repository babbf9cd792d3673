#!/usr/bin/env bash
# make bench: performance of the lost-volume scan, measured on the whole tool
# (vmfs-restore, as a user runs it) against `dd bs=4M` reading the same image.
# A benchmark, not a test: it prints figures, ratios and whether each target
# is met, and fails only when a command itself fails.
#  (a) vmfs-restore (probe mode) on a 64 TiB sparse disk holding a deleted
#      VMFS6 volume: seconds (target < 0.1 s) and peak RSS
#  (b) vmfs-restore --deep on a dense 4 GiB image against dd bs=4M, in pairs
#      (the two run back to back, in alternating order), warm cache and cold
#      cache (caches dropped before every run, where /proc/sys/vm/drop_caches
#      can be written): the throughput ratio of every pair, min/median/max
#      (target: median >= 0.95, warm and cold)
#  (c) peak RSS: the deep scan of 4 GiB against the probe and the deep scan
#      of 64 TiB (constant memory)
#  (d) vmfs-extract of a dense file (mkfixture --fs-dense) from a VMFS5
#      volume against `cp --sparse=always` of the same bytes from a flat
#      file, in pairs, warm cache: throughput ratio cp/extract (target:
#      median >= 0.9) with --no-hash, and (reported, no target: bounded by
#      SHA-256 on this CPU) with the default SHA-256
#  (e) vmfs-ls -l of a directory of 10,000 files, VMFS5 and VMFS6 (target:
#      median < 0.2 s), and vmfs-ls -R --json of the whole tree
# Settings (environment): BENCH_PAIRS (warm pairs, default 5),
# BENCH_COLD_PAIRS (default 3), BENCH_SIZE_MIB (dense image, default 4096),
# BENCH_EXTRACT_MIB (the extracted file, default 2048).
# The dense image lives in $BUILD/bench and is deleted at the end.
set -euo pipefail
build=${BUILD:-build}
restore="$build/bin/vmfs-restore"
extract="$build/bin/vmfs-extract"
lister="$build/bin/vmfs-ls"
mkf="$build/fixtures/mkfixture"
scanbench="$build/bench/scan-bench"
pairs=${BENCH_PAIRS:-5}
cold_pairs=${BENCH_COLD_PAIRS:-3}
size_mib=${BENCH_SIZE_MIB:-4096}
work="$build/bench/work"
shm=""
rm -rf "$work"
mkdir -p "$work"
out_dir=""
cleanup() {
	rm -rf "$work"
	[ -z "$shm" ] || rm -rf "$shm"
	[ -z "$out_dir" ] || rm -rf "$out_dir"
}
trap cleanup EXIT

# run_timed OUTVAR CMD...: runs CMD (stdout discarded), sets OUTVAR to
# "seconds max_rss_kib"; stops the bench when CMD fails (exit status >= 2,
# or 1: nothing found, which here means the scan missed the volume).
# shellcheck disable=SC2034 # result is a name reference: the caller reads it
run_timed() {
	local -n result=$1
	shift
	local t0 t1 status=0
	t0=$EPOCHREALTIME
	/usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2> "$work/stderr" || status=$?
	t1=$EPOCHREALTIME
	if [ "$status" -ne 0 ]; then
		echo "bench: '$*' exited with $status:" >&2
		cat "$work/stderr" >&2
		return "$status"
	fi
	result="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') $(tail -n 1 "$work/rss")"
}

# stats: min median max of the numbers on stdin.
stats() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf "min %.3f  median %.3f  max %.3f", v[1], m, v[NR] }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
met() { awk -v x="$1" -v t="$2" -v op="$3" 'BEGIN { ok = op == ">=" ? x >= t : x < t; print ok ? "target met" : "TARGET NOT MET" }'; }

echo "== (a) vmfs-restore (probe) on a 64 TiB sparse disk holding a deleted VMFS6 volume"
huge="$work/64t.img"
if ! "$mkf" disk --table gpt --disk-size 64T --vol lvm=6,start=2048,entry=0,label=lost "$huge" 2> /dev/null; then
	# ext4 and others stop at 16 TiB per file; tmpfs holds 64 TiB sparse.
	if [ -d /dev/shm ] && shm=$(mktemp -d /dev/shm/vmfs-bench.XXXXXX) &&
		"$mkf" disk --table gpt --disk-size 64T --vol lvm=6,start=2048,entry=0,label=lost "$shm/64t.img" 2> /dev/null; then
		huge="$shm/64t.img"
		echo "   (image on tmpfs: the file system of $build cannot hold a 64 TiB file)"
	else
		huge=""
		echo "   skipped: no file system here can hold a 64 TiB sparse file (tried $build and /dev/shm)"
	fi
fi
rss_probe=""
if [ -n "$huge" ]; then
	probe_env=()
	if ! "$restore" "$huge" > /dev/null 2> "$work/stderr"; then
		echo "   vmfs-restore fails on it: $(head -n 1 "$work/stderr")"
		echo "   (measured again with TMPDIR on the image's tmpfs, where the scratch file fits)"
		probe_env=(env TMPDIR="$(dirname "$huge")")
	fi
	times=()
	for i in 1 2 3 4 5; do
		run_timed r "${probe_env[@]}" "$restore" "$huge"
		times+=("${r% *}")
		rss_probe=${r#* }
	done
	med=$(printf '%s\n' "${times[@]}" | median)
	printf '   whole tool, 5 runs: %s s; peak RSS %s KiB; %s (< 0.1 s)\n' \
		"$(printf '%s\n' "${times[@]}" | stats)" "$rss_probe" "$(met "$med" 0.1 "<")"
	echo "   library scan alone: $("$scanbench" "$huge" | sed 's/.*seconds=\([^ ]*\).*bytes_read=\([^ ]*\).*/\1 s, \2 bytes read/')"
fi

echo "== (b) vmfs-restore --deep on a dense ${size_mib} MiB image against dd bs=4M"
dense="$work/dense.img"
head -c 16M /dev/urandom > "$work/chunk"
for ((i = 0; i < size_mib / 16; i++)); do cat "$work/chunk"; done > "$dense"
"$mkf" volume --lvm 5 --size 1G "$work/vol.img"
dd if="$work/vol.img" of="$dense" bs=1M seek=7 count=40 conv=notrunc status=none
rm -f "$work/vol.img" "$work/chunk"
sync # no writeback of the new image during the measurements
bytes=$((size_mib << 20))

# pairs N MODE: N pairs; MODE warm or cold. Prints one line per pair.
pairs_run() {
	local n=$1 mode=$2 i d t ratio
	ratios=()
	for ((i = 1; i <= n; i++)); do
		for who in $([ $((i % 2)) -eq 1 ] && echo "dd tool" || echo "tool dd"); do
			if [ "$mode" = cold ]; then
				sync
				echo 3 > /proc/sys/vm/drop_caches
			fi
			if [ "$who" = dd ]; then
				run_timed d dd if="$dense" of=/dev/null bs=4M
			else
				run_timed t "$restore" --deep "$dense"
			fi
		done
		ratio=$(awk -v d="${d% *}" -v t="${t% *}" 'BEGIN { printf "%.3f", d / t }')
		ratios+=("$ratio")
		printf '   %s pair %d: dd %.2f s (%.0f MiB/s), tool %.2f s (%.0f MiB/s), ratio %s\n' "$mode" "$i" \
			"${d% *}" "$(awk -v s="${d% *}" -v b=$bytes 'BEGIN { print b / s / 1048576 }')" \
			"${t% *}" "$(awk -v s="${t% *}" -v b=$bytes 'BEGIN { print b / s / 1048576 }')" "$ratio"
	done
	rss_deep=${t#* }
	printf '   %s ratio tool/dd over %d pairs: %s; %s (median >= 0.95)\n' "$mode" "$n" \
		"$(printf '%s\n' "${ratios[@]}" | stats)" "$(met "$(printf '%s\n' "${ratios[@]}" | median)" 0.95 ">=")"
}

cat "$dense" > /dev/null # into the page cache
pairs_run "$pairs" warm
if (sync && echo 1 > /proc/sys/vm/drop_caches) 2> /dev/null; then
	pairs_run "$cold_pairs" cold
else
	echo "   cold runs skipped: drop_caches not writable"
fi

echo "== (c) peak memory (RSS) of the whole tool"
if [ -n "$huge" ]; then
	run_timed r "${probe_env[@]}" "$restore" --deep "$huge"
	printf '   deep %d MiB dense: %s KiB, probe 64 TiB: %s KiB, deep 64 TiB sparse: %s KiB\n' "$size_mib" \
		"$rss_deep" "$rss_probe" "${r#* }"
else
	printf '   deep %d MiB dense: %s KiB\n' "$size_mib" "$rss_deep"
fi

echo "== (d) vmfs-extract of a ${BENCH_EXTRACT_MIB:-2048} MiB file against cp --sparse=always of the same bytes"
extract_mib=${BENCH_EXTRACT_MIB:-2048}
rm -f "$dense"
vol="$work/fs5.img"
"$mkf" volume --lvm 5 --size $((extract_mib + 1024))M --fs tree --fs-entries 10 --fs-dense "$extract_mib" "$vol" > /dev/null
flat="$work/flat.bin"
"$extract" --no-hash --stdout "$vol" /dense.bin > "$flat"
sync
cat "$vol" "$flat" > /dev/null # into the page cache
# Both write their copies to tmpfs where there is room: on a disk, each
# run's 2 GiB of writeback slows whichever runs next, whatever the order.
out_dir="$work"
if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -n 1)" -gt $(((2 * extract_mib + 512) * 1024)) ]; then
	out_dir=$(mktemp -d /dev/shm/vmfs-bench-out.XXXXXX)
	echo "   (copies written to tmpfs, $out_dir)"
fi
# extract_pairs N MODE: MODE nohash or hash.
extract_pairs() {
	local n=$1 mode=$2 i c t ratio
	local -a opts=()
	[ "$mode" = nohash ] && opts=(--no-hash)
	ratios=()
	for ((i = 1; i <= n; i++)); do
		for who in $([ $((i % 2)) -eq 1 ] && echo "cp tool" || echo "tool cp"); do
			if [ "$who" = cp ]; then
				rm -f "$out_dir/cp.bin"
			else
				rm -rf "$out_dir/out"
				mkdir -p "$out_dir/out"
			fi
			# The other's 2 GiB written back and freed first, not during
			# this run (the kernel reclaims in bursts: a second of quiet).
			sync
			sleep 1
			if [ "$who" = cp ]; then
				run_timed c cp --sparse=always "$flat" "$out_dir/cp.bin"
			else
				run_timed t "$extract" "${opts[@]}" -q -o "$out_dir/out" "$vol" /dense.bin
			fi
		done
		cmp -s "$out_dir/out/dense.bin" "$flat" || { echo "bench: the extracted copy differs from the flat file" >&2; exit 2; }
		ratio=$(awk -v c="${c% *}" -v t="${t% *}" 'BEGIN { printf "%.3f", c / t }')
		ratios+=("$ratio")
		printf '   %s pair %d: cp %.2f s, vmfs-extract %.2f s, ratio %s\n' "$mode" "$i" "${c% *}" "${t% *}" "$ratio"
	done
}
extract_pairs "$((pairs + 2))" nohash
printf '   --no-hash: ratio cp/vmfs-extract over %d pairs: %s; %s (median >= 0.9)\n' "$((pairs + 2))" \
	"$(printf '%s\n' "${ratios[@]}" | stats)" "$(met "$(printf '%s\n' "${ratios[@]}" | median)" 0.9 ">=")"
extract_pairs 3 hash
printf '   with SHA-256 (the default): ratio over 3 pairs: %s (no target: SHA-256 of every byte is the bound)\n' \
	"$(printf '%s\n' "${ratios[@]}" | stats)"
rm -rf "$out_dir/out" "$out_dir/cp.bin" "$flat" "$vol"
[ "$out_dir" = "$work" ] || rmdir "$out_dir"

echo "== (e) vmfs-ls of a directory of 10,000 files"
for v in 5 6; do
	vol="$work/ls$v.img"
	"$mkf" volume --lvm "$v" --size 1200M --fs tree --fs-entries 10000 "$vol" > /dev/null
	cat "$vol" > /dev/null
	times=()
	for i in 1 2 3 4 5; do
		run_timed r "$lister" -l "$vol" /big
		times+=("${r% *}")
	done
	med=$(printf '%s\n' "${times[@]}" | median)
	printf '   VMFS%s vmfs-ls -l /big, 5 runs: %s s; %s (< 0.2 s)\n' "$v" "$(printf '%s\n' "${times[@]}" | stats)" \
		"$(met "$med" 0.2 "<")"
	run_timed r "$lister" -R --json "$vol" /
	printf '   VMFS%s vmfs-ls -R --json / (10,0xx entries): %.3f s, peak RSS %s KiB\n' "$v" "${r% *}" "${r#* }"
	rm -f "$vol"
done
