#!/usr/bin/env bash
# Runs every tool mode under valgrind (memcheck, all leak kinds are errors)
# on generated fixtures, hostile inputs and, when present, the real corpus.
set -euo pipefail
build=${BUILD:-build}
corpus_src=${CORPUS_SRC:-../shared/corpus}
command -v valgrind >/dev/null || { echo "valgrind-check: valgrind not installed (make deps)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkf="$build/fixtures/mkfixture"
inspect="$build/bin/vmfs-inspect"

"$mkf" volume --lvm 3 "$work/v3.img"
"$mkf" volume --lvm 5 "$work/v5.img"
"$mkf" volume --lvm 6 "$work/v6.img"
"$mkf" disk --table gpt --disk-size 2G --vol lvm=5,size=600M --vol lvm=6 "$work/two.img"
"$mkf" disk --table mbr --disk-size 700M --vol lvm=3,start=128 "$work/mbr.img"
"$mkf" disk --table gpt --sector-size 4096 --disk-size 2G --vol lvm=6 "$work/4k.img"
: > "$work/empty.img"
head -c 4M /dev/urandom > "$work/random.img"
cp --sparse=always "$work/v5.img" "$work/truncated.img" && truncate -s 3M "$work/truncated.img"
cp --sparse=always "$work/v5.img" "$work/counts.img"
printf '\xff\xff\xff\xff' | dd of="$work/counts.img" bs=1 seek=$((0x100066)) conv=notrunc status=none
mkdir "$work/dir"
inputs=("$work"/*.img "$work/dir")
if [ -d "$corpus_src" ]; then
	for f in "$corpus_src"/*.xz; do xz -dc "$f" > "$work/$(basename "$f" .xz)"; inputs+=("$work/$(basename "$f" .xz)"); done
	gzip -dc "$corpus_src/vmfs6-dissect.bin.gz" | cp --sparse=always /dev/stdin "$work/vmfs6.bin"
	inputs+=("$work/vmfs6.bin")
fi

runs=0
vg() {
	runs=$((runs + 1))
	if ! valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all "$@" >/dev/null 2>"$work/vg.log"; then
		if grep -q '^==' "$work/vg.log"; then cat "$work/vg.log"; echo "valgrind-check: errors in: $*"; exit 1; fi
	fi
}
for input in "${inputs[@]}"; do
	vg "$inspect" "$input"
	vg "$inspect" --json --hex "$input"
done
vg "$inspect" --vml vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1 vmhba0:C0:T4:L0 naa.5005076719d163d8 vml.zz
vg "$inspect" --json --vml t10.ATA_____WDC_WD10EFRX_____WD2DWCC4J1234567:3 eui.0123456789abcdef
vg "$inspect" --no-such-option
restore="$build/bin/vmfs-restore"
"$mkf" disk --table gpt --disk-size 1G --vol lvm=6,start=2048,entry=0 "$work/deleted.img"
for input in "$work/deleted.img" "$work/mbr.img" "$work/two.img" "$work/random.img" "$work/empty.img" "$work/dir"; do
	vg "$restore" "$input"
	vg "$restore" --json --deep "$input"
done
cp --sparse=always "$work/deleted.img" "$work/write.img"
vg "$restore" --write --undo-file "$work/write.undo" "$work/write.img"
vg "$restore" --undo "$work/write.undo" "$work/write.img"
cmp -s "$work/write.img" "$work/deleted.img" || { echo "valgrind-check: undo did not restore the image"; exit 1; }
# The table export of a source that is only read, applied to a copy.
vg "$restore" --export-table "$work/table.export" "$work/deleted.img"
vg "$restore" --json --apply-table "$work/table.export" "$work/write.img"
vg "$restore" --apply-table "$work/table.export" --write --undo-file "$work/apply.undo" "$work/write.img"
vg "$restore" --undo "$work/apply.undo" "$work/write.img"
vg "$restore" --apply-table "$work/write.undo" "$work/write.img"
vg "$inspect" --hash --json "$work/deleted.img"
vg "$inspect" --hash "$work/random.img"
backup="$build/bin/vmfs-backup"
vg "$backup" "$work/two.img" -O "$work/two.vmfsbak"
vg "$backup" --verify "$work/two.vmfsbak"
head -c 5000 "$work/two.vmfsbak" > "$work/cut.vmfsbak"
vg "$backup" --verify "$work/cut.vmfsbak"
vg "$backup" --json "$work/random.img" "$work/empty.img" --dir "$work"
cp --sparse=always "$work/two.img" "$work/two-damaged.img"
dd if=/dev/zero of="$work/two-damaged.img" bs=1M seek=1 count=2 conv=notrunc status=none
vg "$restore" --json --from-backup "$work/two.vmfsbak" "$work/two-damaged.img"
vg "$restore" --from-backup "$work/two.vmfsbak" --write --undo-file "$work/two.undo" "$work/two-damaged.img"
cmp -s "$work/two-damaged.img" "$work/two.img" || { echo "valgrind-check: restore from backup is not byte-identical"; exit 1; }
diff="$build/bin/vmfs-diff"
cp --sparse=always "$work/v5.img" "$work/v5-lun.img"
printf '\x05\x00' | dd of="$work/v5-lun.img" bs=1 seek=$((0x10000e)) conv=notrunc status=none
cp --sparse=always "$work/two.img" "$work/two-nohdr.img"
dd if=/dev/zero of="$work/two-nohdr.img" bs=4K seek=512 count=1 conv=notrunc status=none
vg "$diff" "$work/v5.img" "$work/v5.img"
vg "$diff" --json "$work/v5.img" "$work/v5-lun.img"
vg "$diff" "$work/two.vmfsbak" "$work/two.img"
vg "$diff" --json --max 2 "$work/two.vmfsbak" "$work/two-nohdr.img"
vg "$diff" "$work/deleted.img" "$work/two.img"
vg "$diff" --json "$work/random.img" "$work/truncated.img"
vg "$diff" "$work/v5.img" "$work/empty.img"
vg "$diff" --json "$work/dir" "$work/v5.img"
vg "$diff" "$work/v5.img"
if [ -e "$work/vmfs6.bin" ]; then vg "$diff" --json "$work/vmfs6.bin" "$work/v6.img"; fi
resign="$build/bin/vmfs-resignature"
cp --sparse=always "$work/v5.img" "$work/v5-resign.img"
vg "$resign" --new-identity "$work/v5-resign.img"
vg "$resign" --json --lun 7 --disk-id vml.0200070000600144f07ed404000000496ff8cd0003434f4d535441 "$work/v5-resign.img"
vg "$resign" --new-identity --write --json --undo-file "$work/resign.undo" "$work/v5-resign.img"
vg "$resign" --undo "$work/resign.undo" "$work/v5-resign.img"
cmp -s "$work/v5-resign.img" "$work/v5.img" || { echo "valgrind-check: resignature undo is not byte-identical"; exit 1; }
vg "$resign" --new-identity "$work/two.img"
vg "$resign" --json --new-identity "$work/random.img"
vg "$resign" --new-identity "$work/dir"
vg "$resign" --lun 99999 "$work/v5.img"
# The file tools: the real VMFS6 volume when the corpus is there, and the
# inputs that hold no file system.
ls_tool="$build/bin/vmfs-ls"
extract="$build/bin/vmfs-extract"
if [ -e "$work/vmfs6.bin" ]; then
	vg "$ls_tool" -lR "$work/vmfs6.bin"
	vg "$ls_tool" --json --bodyfile "$work/vmfs6.bin" /directory
	vg "$inspect" --heartbeats --json "$work/vmfs6.bin"
	mkdir "$work/out"
	vg "$extract" --json -o "$work/out" "$work/vmfs6.bin" /directory /.fbb.sf
	vg "$extract" -o "$work/out" "$work/vmfs6.bin" /directory
fi
# Generated file systems: every addressing mode of VMFS3, 5 and 6.
for v in 3 5 6; do
	"$mkf" volume --lvm "$v" --size 1200M --fs tree --fs-entries 40 --fs-data-max 4096 "$work/fs$v.img" > /dev/null
	vg "$ls_tool" -lR "$work/fs$v.img"
	mkdir -p "$work/out$v"
	vg "$extract" --no-hash --json -o "$work/out$v" "$work/fs$v.img" /
	"$mkf" volume --lvm "$v" --size 1200M --fs tree --fs-entries 4 --fs-damage pb-cycle "$work/fs$v-bad.img" > /dev/null
	vg "$ls_tool" --json -R "$work/fs$v-bad.img"
done
for input in "$work/v6.img" "$work/random.img" "$work/empty.img" "$work/dir"; do
	vg "$ls_tool" --json "$input"
	vg "$extract" -o "$work" "$input" /x
done
echo "valgrind-check: $runs runs of vmfs-inspect, vmfs-restore, vmfs-backup, vmfs-diff, vmfs-resignature, vmfs-ls and vmfs-extract, no memory errors or leaks"
