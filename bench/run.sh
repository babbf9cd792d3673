#!/usr/bin/env bash
# make bench: performance figures of the lost-volume scan. A benchmark, not a
# test: it prints figures and ratios and fails only when the scan itself fails.
#  (a) time to find a deleted VMFS6 volume on a 16 TiB sparse disk (probe mode)
#  (b) deep-scan throughput on a dense 2 GiB image against `cat IMAGE >/dev/null`
#  (c) peak RSS of a scan on the 2 GiB and the 16 TiB image (must not grow)
set -euo pipefail
build=${BUILD:-build}
bench="$build/bench/scan-bench"
mkf="$build/fixtures/mkfixture"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

echo "== (a) deleted VMFS6 volume on a 16 TiB sparse disk, probe mode"
huge="$work/16t.img"
size=16T
"$mkf" disk --table gpt --disk-size $size --vol lvm=6,start=2048,entry=0,label=lost "$huge" 2>/dev/null || {
	size=$(( (16 << 40) - (1 << 20) )) # file systems whose limit is just under 16 TiB
	"$mkf" disk --table gpt --disk-size $size --vol lvm=6,start=2048,entry=0,label=lost "$huge"
}
line=$("$bench" "$huge")
echo "   $line"
printf '   found at partition offset %s in %s s (target: well under 1 s)\n' \
	"$(echo "$line" | field first_partition_offset)" "$(echo "$line" | field seconds)"
rss_huge=$(echo "$line" | field max_rss_kib)

echo "== (b) deep scan of a dense 2 GiB image vs cat"
dense="$work/dense.img"
head -c 2G /dev/urandom > "$dense"
"$mkf" volume --lvm 5 --size 1G "$work/vol.img"
dd if="$work/vol.img" of="$dense" bs=1M seek=7 count=40 conv=notrunc status=none
cat "$dense" > /dev/null # same cache state for both measurements
t0=$(date +%s.%N); cat "$dense" > /dev/null; t1=$(date +%s.%N)
cat_mibs=$(echo "2048 / ($t1 - $t0)" | bc -l)
line=$("$bench" --deep "$dense")
echo "   $line"
deep_mibs=$(echo "$line" | field mib_per_s)
printf '   cat: %.0f MiB/s, deep scan: %.0f MiB/s, ratio %.2f (target >= 0.9)\n' "$cat_mibs" "$deep_mibs" \
	"$(echo "$deep_mibs / $cat_mibs" | bc -l)"
rss_dense=$(echo "$line" | field max_rss_kib)

echo "== (c) peak memory"
line=$("$bench" --deep "$huge")
rss_huge_deep=$(echo "$line" | field max_rss_kib)
printf '   probe 16 TiB: %s KiB, deep 2 GiB: %s KiB, deep 16 TiB (sparse): %s KiB, ratio 16 TiB/2 GiB %.2f\n' \
	"$rss_huge" "$rss_dense" "$rss_huge_deep" "$(echo "$rss_huge_deep / $rss_dense" | bc -l)"
