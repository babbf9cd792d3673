#!/usr/bin/env bash
# Byte-for-byte comparison of two vmfs-diff binaries over a set of cases: the
# proof that a refactoring of vmfs/compare changes nothing a user sees. Every
# case runs with both binaries in text and --json form; stdout, stderr and the
# exit status must be identical. The fixtures are those the diff and discovery
# tests build (tests/test_diff.c, tests/test_discover.c), plus pairing cases
# (moved, added and removed devices, spanned members at the same and at other
# offsets, tables wiped on one side) and, when ../shared/corpus is there, the
# real corpus volumes (unpacked sparsely into the temporary folder).
#
#   BUILD=build tests/diff-golden.sh OLD_VMFS_DIFF [NEW_VMFS_DIFF]
#
# NEW defaults to $BUILD/bin/vmfs-diff. Exit 0 when every case matches.
set -euo pipefail
old=$(realpath "${1:?usage: diff-golden.sh OLD_VMFS_DIFF [NEW_VMFS_DIFF]}")
build=${BUILD:-build}
new=$(realpath "${2:-$build/bin/vmfs-diff}")
mkfixture=$(realpath "$build/fixtures/mkfixture")
backup_tool=$(realpath "$build/bin/vmfs-backup")
corpus_src=$(realpath -m "${CORPUS_SRC:-../shared/corpus}")

work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-diff-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

MIB=$((1 << 20))
GIB=$((1 << 30))
V5_HEADER=$((0x100000))
V5_VOLUME=$((0x100200))
V5_DESCRIPTOR=$((0x1300000))

# patch FILE OFFSET HEX: writes the bytes HEX ("0901") at OFFSET.
patch() { printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# le32 / le64 FILE OFFSET VALUE
le32() { patch "$1" "$2" "$(printf '%08x' "$3" | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/')"; }
le64() { patch "$1" "$2" "$(printf '%016x' "$3" | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\8\7\6\5\4\3\2\1/')"; }
text() { patch "$1" "$2" "$(printf '%s' "$3" | xxd -p | tr -d '\n')"; }
zero() { dd if=/dev/zero of="$1" bs="$3" count=1 seek="$2" oflag=seek_bytes conv=notrunc status=none; }
copy() { cp --sparse=always "$1" "$2"; }
wipe_gpt() { zero "$1" 0 $((34 * 512)); zero "$1" $(($2 - 33 * 512)) $((33 * 512)); }
mkf() { "$mkfixture" "$@" >/dev/null; }

# ---------------------------------------------------------------- fixtures
mkf volume --lvm 5 --label before v5.img
copy v5.img v5-copy.img
copy v5.img lun.img; patch lun.img $((V5_HEADER + 0x0E)) 0901
copy v5.img repoint.img; patch repoint.img $((V5_HEADER + 0x0E)) 0500; text repoint.img $((V5_HEADER + 0x2E + 9)) 5
copy v5.img inquiry.img; text inquiry.img $((V5_HEADER + 0x12)) XYZ
copy v5.img resig.img
le32 resig.img $((V5_HEADER + 0x82)) $((0x6a000001))
le32 resig.img $((V5_VOLUME + 0x54)) $((0x6a000002))
text resig.img $((V5_VOLUME + 0x14)) 6a000002
le32 resig.img $((V5_DESCRIPTOR + 0x09)) $((0x6a000003))
patch resig.img $((V5_DESCRIPTOR + 0x1D)) "$(printf 'snap-6a000003-before' | xxd -p)00"
copy v5.img label.img; patch label.img $((V5_DESCRIPTOR + 0x1D)) "$(printf 'after' | xxd -p)00"
copy v5.img nofs.img; zero nofs.img $V5_DESCRIPTOR 512
copy v5.img nohdr5.img; zero nohdr5.img $V5_HEADER 512
copy v5.img flip.img; patch flip.img $((V5_VOLUME + 0x100)) 5a
copy v5.img size.img; le64 size.img $((V5_VOLUME + 0x08)) 7
copy v5.img gen.img; le64 gen.img $((V5_HEADER + 0x72)) 5
copy v5.img version.img; le32 version.img $((V5_HEADER + 0x04)) 6
copy v5.img many.img
for i in $(seq 0 9); do patch many.img $((V5_HEADER + 0x50000 + i * 0x100)) 01; done
copy v5.img sd.img; text sd.img $((V5_HEADER + 0x40200)) other-name
mkf volume --lvm 5 --size 900M --label before big.img
mkf volume --lvm 3 v3.img
mkf disk --table gpt --sector-size 4096 --disk-size 2G --vol lvm=6 v6-4k.img
copy v5.img cut.img; truncate -s $((3 * MIB)) cut.img
head -c $((4 * MIB)) /dev/zero | tr '\0' '\127' > noise.img

mkf disk --table gpt --disk-size 1G --vol lvm=6,start=2048,label=lost gpt6.img
copy gpt6.img gpt6-wiped.img; wipe_gpt gpt6-wiped.img $GIB
copy gpt6.img gpt6-nohdr.img; zero gpt6-nohdr.img $((2 * MIB)) 4096
mkf disk --table mbr --disk-size 1G --vol lvm=6,start=2048,label=lost mbr6.img
mkf disk --table gpt --disk-size 1G --vol lvm=5,start=2048,size=600M gpt5.img
mkf disk --table gpt --disk-size 1G --vol lvm=5,start=4096,size=600M gpt5-moved.img
mkf disk --table gpt --disk-size 1G --seed 2 --vol lvm=5,start=2048,size=600M gpt5-seed2.img
mkf disk --table gpt --disk-size 2G --vol lvm=5,start=2048,size=600M --vol lvm=6,start=1230848 two.img
mkf disk --table gpt --disk-size 2G --vol lvm=5,start=2048,size=600M one-of-two.img
copy two.img two-hdr2.img; zero two-hdr2.img $((1230848 * 512 + MIB)) 512
"$backup_tool" -q two.img -O two.vmfsbak
copy two.img two-data.img; le32 two-data.img $((0x50000000)) $((0xdeadbeef))
copy two.img two-meta.img; patch two-meta.img $((MIB + V5_VOLUME + 0x100)) 77

# test_discover.c: two volumes, both GPT copies wiped; one at an odd sector.
mkf disk --table gpt --disk-size 2G --vol lvm=6,start=2048,size=600M,label=one --vol lvm=5,start=1300000,label=two \
	wiped-orig.img
copy wiped-orig.img wiped.img; wipe_gpt wiped.img $((2 * GIB))
# test_discover.c: two members of one spanned LVM5 volume.
lv=60000100-22222222-1000-000c29000001
mkf volume --lvm 5 --size 600M --lv-uuid $lv --device-uuid 60000100-11111111-1000-000c29000001 member-a.img
mkf volume --lvm 5 --size 600M --lv-uuid $lv --device-uuid 60000200-11111111-1000-000c29000002 member-b.img
for m in member-a.img member-b.img; do le32 $m $((0x100200 + 0x90)) 2; done
le64 member-b.img $((0x180600 + 0x11)) $GIB
copy member-a.img member-a2.img
# The two members inside disks, at the same and at different starts.
for m in a b; do
	for start in 2048 4096; do
		mkf embed --disk-size 1G --table gpt --start $start --image "member-$m.img" "disk-$m-$start.img"
	done
done
# A member whose snapID differs: not a member of the same volume.
copy member-b.img member-b-snap.img; le32 member-b-snap.img $((V5_VOLUME + 0x64)) 1

cases=(
	"v5.img v5-copy.img" "v5.img lun.img" "v5.img repoint.img" "v5.img inquiry.img" "v5.img resig.img"
	"resig.img v5.img" "v5.img label.img" "v5.img nofs.img" "nofs.img v5.img" "v5.img nohdr5.img" "nohdr5.img v5.img"
	"v5.img flip.img" "v5.img size.img" "v5.img gen.img" "gen.img v5.img" "v5.img version.img"
	"v5.img sd.img" "v5.img big.img" "big.img v5.img" "v3.img v5.img" "v5.img v6-4k.img" "cut.img v5.img"
	"v5.img cut.img" "noise.img v5.img" "v6-4k.img noise.img" "v5.img v5.img"
	"--max 3 v5.img many.img" "--max 0 v5.img many.img" "--max 1 v5.img many.img"
	"gpt6.img gpt6-wiped.img" "gpt6-wiped.img gpt6.img" "gpt6.img gpt6-nohdr.img" "gpt6-nohdr.img gpt6.img"
	"gpt6.img mbr6.img" "mbr6.img gpt6.img" "gpt5.img gpt5-moved.img" "gpt5-moved.img gpt5.img"
	"gpt5.img gpt5-seed2.img" "two.img one-of-two.img" "one-of-two.img two.img" "two.img two-hdr2.img"
	"two-hdr2.img two.img" "two.vmfsbak two.img" "two.img two.vmfsbak" "two.vmfsbak two-data.img"
	"two.vmfsbak two-meta.img" "two-meta.img two.vmfsbak"
	"--offset-a 1M --offset-b 0 gpt5.img v5.img" "--offset 1M gpt5.img gpt5.img" "-o 2048s gpt5.img gpt5-moved.img"
	"-b 512 gpt5.img gpt5.img" "-b 4096 v6-4k.img v6-4k.img"
	"wiped-orig.img wiped.img" "wiped.img wiped-orig.img"
	"member-a.img member-b.img" "member-b.img member-a.img" "member-a.img member-a2.img"
	"member-a.img member-b-snap.img"
	"disk-a-2048.img disk-b-2048.img" "disk-a-2048.img disk-b-4096.img" "disk-a-4096.img disk-b-2048.img"
	"disk-a-2048.img disk-a-4096.img"
	"v5.img missing.img" "v5.img /" "-q v5.img lun.img"
)

# ---------------------------------------------------------------- corpus
if [ -d "$corpus_src" ]; then
	mkdir -p corpus
	for f in "$corpus_src"/*.xz; do
		[ -e "$f" ] && xz -dc "$f" > "corpus/$(basename "$f" .xz)"
	done
	for f in "$corpus_src"/*.gz; do
		[ -e "$f" ] && gzip -dc "$f" | cp --sparse=always /dev/stdin "corpus/$(basename "$f" .gz)"
	done
	c5=corpus/vmfs5-dissect.bin c6=corpus/vmfs6-dissect.bin
	c3v=corpus/vmfs3-volume-util-linux.img c3f=corpus/vmfs3-fs-util-linux.img
	copy $c6 c6-lun.bin; patch c6-lun.bin $((0x10000E)) 0700
	copy $c5 c5-nofs.bin; zero c5-nofs.bin $V5_DESCRIPTOR 512
	copy $c5 c5-nohdr.bin; zero c5-nohdr.bin $V5_HEADER 512
	copy $c5 c5-gen.bin; le64 c5-gen.bin $((V5_HEADER + 0x72)) 99
	copy $c6 c6-flip.bin; patch c6-flip.bin $((V5_VOLUME + 0x100)) 5a
	"$backup_tool" -q $c5 -O c5.vmfsbak
	# The corpus volumes placed in disks.
	mkf embed --disk-size 1G --table gpt --start 2048 --image $c5 c5-disk.img
	mkf embed --disk-size 1G --table gpt --start 63 --image $c5 c5-disk-moved.img
	mkf embed --disk-size 1G --table mbr --start 2048 --image $c5 c5-disk-mbr.img
	copy c5-disk.img c5-disk-wiped.img; wipe_gpt c5-disk-wiped.img $GIB
	mkf embed --disk-size 2G --table gpt --start 2048 --image $c6 c6-disk.img
	cases+=(
		"$c6 c6-lun.bin" "$c6 $c6" "$c5 $c6" "$c6 $c5" "$c5 c5-nofs.bin" "c5-nohdr.bin $c5" "$c5 c5-gen.bin"
		"$c6 c6-flip.bin" "$c3v $c3f" "$c3f $c3v" "$c3v $c5" "c5.vmfsbak $c5" "c5.vmfsbak c5-gen.bin"
		"$c5 v5.img" "c5-disk.img $c5" "c5-disk.img c5-disk-moved.img" "c5-disk.img c5-disk-wiped.img"
		"c5-disk-wiped.img c5-disk.img" "c5-disk-mbr.img c5-disk.img" "c6-disk.img c5-disk.img"
	)
else
	echo "corpus: $corpus_src not found; corpus cases skipped" >&2
fi

# ---------------------------------------------------------------- compare
run() { # BINARY OUTPUT_PREFIX ARGS...
	local bin=$1 out=$2
	shift 2
	set +e
	"$bin" "$@" > "$out.out" 2> "$out.err"
	echo $? > "$out.rc"
	set -e
}
pass=0 fail=0
: > paired_by.seen
for c in "${cases[@]}"; do
	for mode in text json; do
		# shellcheck disable=SC2086 # a case is a word list
		if [ $mode = json ]; then set -- --json $c; else set -- $c; fi
		run "$old" old "$@"
		run "$new" new "$@"
		[ $mode = text ] || grep -o '"paired_by": *"[a-z-]*"' new.out >> paired_by.seen || true
		if cmp -s old.out new.out && cmp -s old.err new.err && cmp -s old.rc new.rc; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "DIFFERS: vmfs-diff $*" >&2
			diff -u old.out new.out | head -40 >&2 || true
			diff -u old.err new.err | head -10 >&2 || true
			diff -u old.rc new.rc >&2 || true
		fi
	done
done
# The pairing kinds the cases reached (each must be there for the proof to cover it).
echo "diff-golden: paired_by reached: $(sed 's/.*"\([a-z-]*\)"$/\1/' paired_by.seen | sort | uniq -c | \
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')"
echo "diff-golden: $pass identical, $fail differing ($((pass + fail)) runs, ${#cases[@]} cases in text and --json)"
[ "$fail" -eq 0 ]
