#!/usr/bin/env bash
# make demo: the toolkit's main job on a generated disk, step by step, with
# what each step is and why. A 512 MiB sparse disk image holding a VMFS6
# datastore is built by this project (fixtures/mkfixture, no real data), its
# partition table is deleted (the accident we are called for), and
# vmfs-restore finds the volume, shows the table that brings it back (dry
# run), writes it (--write, undo file first), vmfs-inspect checks the result,
# and --undo puts the deleted state back byte for byte. Takes a few seconds;
# everything stays in $BUILD/demo. Exits non-zero as soon as a step does not
# do what it says.
set -euo pipefail
build=${BUILD:-build}
bin=$build/bin
dir=$build/demo
image=$dir/disk.img
damaged=$dir/disk-damaged.img
undo=$dir/restore.undo
mkdir -p "$dir"
rm -f "$image" "$damaged" "$undo"

step() { printf '\n== Step %s\n' "$*"; }
say() { local l; for l in "$@"; do if [ -n "$l" ]; then printf '   %s\n' "$l"; else echo; fi; done; }
run() { printf '\n$ %s\n' "$*"; "$@"; }
# The first N lines of a command's output (the rest counted, not shown).
run_head()
{
	local n=$1 out; shift
	printf '\n$ %s\n' "$*"
	out=$("$@")
	printf '%s\n' "$out" | sed -n "1,${n}p"
	local total; total=$(printf '%s\n' "$out" | wc -l)
	[ "$total" -le "$n" ] || printf '   ... (%d more lines)\n' $((total - n))
}

# The last N lines of a command's output (the lines above counted, not shown).
run_tail()
{
	local n=$1 out total; shift
	printf '\n$ %s\n' "$*"
	out=$("$@")
	total=$(printf '%s\n' "$out" | wc -l)
	[ "$total" -le "$n" ] || printf '   ... (%d lines above: the volumes found, the table, the bytes)\n' $((total - n))
	printf '%s\n' "$out" | tail -n "$n"
}

step "1: a disk with a VMFS datastore"
say "A 512 MiB disk image (sparse: only metadata takes space) with a GPT partition" \
    "table and one VMFS6 volume, label \"datastore1\", in partition 1 at sector 2048," \
    "as ESXi lays it out. mkfixture builds it from the format facts."
run "$build/fixtures/mkfixture" disk --table gpt --disk-size 512M \
	--vol "lvm=6,start=2048,label=datastore1,lun=3,disk-id=vmhba1:0:3" "$image"
say "" "vmfs-inspect decodes the partition table and the volume (read-only):"
run_head 12 "$bin/vmfs-inspect" "$image"

step "2: the accident: the partition table is deleted"
say "Zero the protective MBR and primary GPT (sectors 0-33) and the backup GPT" \
    "(the last 33 sectors), as a wrong 'wipefs' or a reinstall would. The volume's" \
    "data is untouched, but ESXi no longer sees a datastore on this disk."
sectors=$(($(stat -c %s "$image") / 512))
run dd if=/dev/zero of="$image" bs=512 count=34 conv=notrunc status=none
run dd if=/dev/zero of="$image" bs=512 seek=$((sectors - 33)) count=33 conv=notrunc status=none
cp --sparse=always "$image" "$damaged"
say "" "vmfs-inspect now finds no partition table, but still the volume at sector 2048:"
run_head 4 "$bin/vmfs-inspect" "$image"

step "3: vmfs-restore, dry run (the default): what would be written"
say "vmfs-restore scans the usual partition starts for VMFS headers, and shows the" \
    "partition table that brings every volume found back: the entry, the table in" \
    "sfdisk format, and every byte that would change (offset, old, new)." \
    "Nothing is written without --write."
run_head 22 "$bin/vmfs-restore" "$image"
cmp -s "$image" "$damaged" || { echo "demo: the dry run changed the image" >&2; exit 1; }
say "" "(the image is unchanged: compared byte for byte with a copy)"

step "4: vmfs-restore --write: write the table, keeping an undo file"
say "Before writing, the bytes about to be overwritten are saved in the undo file" \
    "and fsynced; then the table is written, fsynced, read back and the volume" \
    "probed again. Any failure rolls back from the undo file."
run_tail 4 "$bin/vmfs-restore" --write --undo-file "$undo" "$image"

step "5: vmfs-inspect: the datastore is back in partition 1"
run_head 6 "$bin/vmfs-inspect" "$image"
"$bin/vmfs-inspect" "$image" | grep -q 'VMFS device in partition 1 at 0x100000' ||
	{ echo "demo: the restored table does not hold the volume" >&2; exit 1; }

step "6: vmfs-restore --undo: put the saved bytes back"
say "Every write can be undone: --undo checks that the image is the one the undo" \
    "file was made for, then restores the old bytes exactly."
run "$bin/vmfs-restore" --undo "$undo" "$image"
cmp "$image" "$damaged"
say "" "The image is byte for byte the damaged one of step 2 again (cmp: identical)." \
    "" "Demo done. Files: $image, $undo. Next: 'make check' runs every test;" \
    "man vmfs-restore (man/vmfs-restore.1) describes each option."
