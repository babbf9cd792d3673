#!/usr/bin/env bash
# Builds the seed corpora of the libFuzzer harnesses into $FUZZ_BUILD/seeds/<name>/
# from generated fixtures only: mkfixture volumes and disks (VMFS3/5/6, MBR and
# GPT, two volumes, 4096-byte sectors, deleted entries), tables written by
# sfdisk, backups written by vmfs-backup and by the library, undo files written
# by vmfs-restore and vmfs-resignature, identifier strings. The real-image
# corpus (../shared/corpus) is never used. Disk seeds are cut to the sectors that
# hold data (fuzz/mkseed chunks), so each is a few KiB.
set -euo pipefail
build=${BUILD:-build}
fz=${FUZZ_BUILD:-$build/fuzz}
mkfixture=$build/fixtures/mkfixture
mkseed=$fz/mkseed
bin=$build/bin
seeds=$fz/seeds
for tool in "$mkfixture" "$mkseed" "$bin/vmfs-backup" "$bin/vmfs-restore" "$bin/vmfs-resignature"; do
	[ -x "$tool" ] || { echo "seeds.sh: $tool is missing (make fixtures tools first)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-fuzz-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$seeds"
mkdir -p "$seeds"/{lvm,fsdesc,ptable,ident,backup,undo,scan,fs}

fixture() { "$mkfixture" "$@" >/dev/null; }
# patch FILE OFFSET BYTES: write printf-escaped bytes at OFFSET.
patch() { printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none; }
# sector_copy FILE FROM TO COUNT: copy 512-byte sectors inside FILE.
sector_copy() { dd if="$1" of="$1" bs=512 skip=$(($2 / 512)) seek=$(($3 / 512)) count="$4" conv=notrunc status=none; }
# cut FILE OFFSET LENGTH OUT
cut_bytes() { dd if="$1" of="$4" bs=1 skip=$(($2)) count=$(($3)) status=none; }
chunks() { "$mkseed" chunks "$@"; }

# ---- volumes (partition images: offset 0 = partition start)
w=$work
fixture volume --lvm 3 --label three "$w/v3.img"
fixture volume --lvm 5 --label five "$w/v5.img"
fixture volume --lvm 6 --label six "$w/v6.img"
fixture volume --lvm 5 --vmfs-l --label vmfs-l "$w/v5l.img"
fixture volume --lvm 6 --disk-block-size 4096 --label fourk "$w/v6k.img"
fixture volume --lvm 5 --naa 600144f07ed404000000496ff8cd0003 --vendor SUN --model COMSTAR --lun 3 "$w/v5naa.img"
fixture volume --lvm 6 --label-unterminated "$w/v6u.img"
fixture volume --lvm 5 --size 2G --pe-size 64M --label many "$w/v5many.img"

# An LVM5 volume with one extended metadata region (format reference 4.5) at
# partition offset 32 MiB holding one PE map (copied from the main one).
cp --sparse=always "$w/v5.img" "$w/v5ext.img"
patch "$w/v5ext.img" $((0x100000 + 0xC2)) '\x00\x00\x00\x02\x00\x00\x00\x00'  # extDevMetadataOffset
patch "$w/v5ext.img" $((0x100000 + 0x6A)) '\x03\x00\x00\x00\x02\x00\x00\x00'  # numPEs 3, lastPEIndex 2
patch "$w/v5ext.img" $((0x2000000)) '\x0d\xd0\x01\xc0\x01\x00\x00\x00\x00\x00\x10\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
sector_copy "$w/v5ext.img" $((0x180200)) $((0x2000000 + 0x80200)) 3

# The longest extended-region chain the model follows is 16 (device.h): 17.
le64() { local v=$1 k out=; for k in 0 1 2 3 4 5 6 7; do out+=$(printf '\\x%02x' $(((v >> (8 * k)) & 255))); done; printf '%s' "$out"; }
cp --sparse=always "$w/v5.img" "$w/v5chain.img"
patch "$w/v5chain.img" $((0x100000 + 0xC2)) "$(le64 0x2000000)"
for k in $(seq 0 16); do
	at=$((0x2000000 + k * 0x100000)) next=$((k < 16 ? 0x2000000 + (k + 1) * 0x100000 : 0))
	patch "$w/v5chain.img" $at "\x0d\xd0\x01\xc0\x00\x00\x00\x00$(le64 0)$(le64 $next)"
done

# An SD (device-name) entry of 256 bytes without a NUL; a header cut short by
# the end of the image.
cp --sparse=always "$w/v5.img" "$w/v5sdfull.img"
patch "$w/v5sdfull.img" $((0x17e200)) "$(printf 'm%.0s' $(seq 256))"
cp --sparse=always "$w/v5.img" "$w/v5cut.img"
truncate -s $((0x100000 + 0x80)) "$w/v5cut.img"

for v in v3 v5 v6 v5l v6k v5naa v6u v5many v5ext v5chain v5sdfull v5cut; do
	chunks --control 1 "$w/$v.img" "$seeds/lvm/$v"
	chunks "$w/$v.img" "$seeds/scan/$v"
	# Volumes without files: the file-system harness starts at the
	# descriptor and the bootstrap, and mutations grow the rest.
	chunks "$w/$v.img" "$seeds/fs/$v"
	[ "$(stat -c %s "$w/$v.img")" -gt $((0x1300000)) ] && cut_bytes "$w/$v.img" 0x1300000 512 "$seeds/fsdesc/$v"
done
chunks --control 0 "$w/v6.img" "$seeds/lvm/v6-nosize"

# File systems with a file of every addressing mode (mkfixture --fs tree),
# 512 bytes of data per file block so that a seed stays near 1 MiB (the
# heartbeat region of VMFS5 is 1 MiB of slots): bare, in a table, and a
# hostile variant of each kind.
fixture volume --lvm 5 --size 600M --fs tree --fs-entries 4 --fs-data-max 512 "$w/fs5.img"
fixture volume --lvm 6 --size 1200M --fs tree --fs-entries 4 --fs-data-max 512 "$w/fs6.img"
chunks "$w/fs5.img" "$seeds/fs/fs5"
chunks "$w/fs6.img" "$seeds/fs/fs6"
for damage in pb-cycle dir-loop outside size-lie count-lie; do
	fixture volume --lvm 6 --size 1200M --fs tree --fs-entries 4 --fs-data-max 512 --fs-damage "$damage" "$w/fs6-$damage.img"
	chunks "$w/fs6-$damage.img" "$seeds/fs/fs6-$damage"
done
for f in "$seeds"/fsdesc/*; do
	magic=$(od -A n -t x4 -N 4 "$f" | tr -d ' ')
	case $magic in 2fabf15e | 2fabf15f) ;; *) echo "seeds.sh: $f: no descriptor (magic $magic)" >&2; exit 2 ;; esac
done

# ---- disks
fixture disk --disk-size 2G --table gpt --vol lvm=6,size=600M,label=a --vol lvm=5,size=600M,label=b "$w/gpt2.img"
fixture disk --disk-size 1G --table mbr --vol lvm=3,label=three "$w/mbr3.img"
fixture disk --disk-size 1G --table mbr --vol lvm=5,start=2048,entry=0 "$w/mbr5del.img"
fixture disk --disk-size 1G --table gpt --vol lvm=6,start=2048,entry=0,label=lost "$w/gptdel.img"
fixture disk --disk-size 2G --table gpt --sector-size 4096 --vol lvm=6,label=fourk "$w/gpt4k.img"
fixture disk --disk-size 2G --table none --vol lvm=3,start=128,size=700M,label=old --vol lvm=5,start=1439744,label=new "$w/none2.img"
fixture disk --disk-size 1G --table none --vol lvm=5,start=3001,label=odd "$w/odd.img"
fixture embed --disk-size 1G --table gpt --start 2048 --image "$w/v5.img" "$w/embed.img"

# Tables libfdisk must walk: a DOS table with an extended partition and a chain
# of logical ones, and a GPT with several named partitions.
truncate -s 64M "$w/dosext.img"
sfdisk -q --no-reread --no-tell-kernel "$w/dosext.img" >/dev/null <<'EOF'
label: dos
start=128, size=20480, type=fb
start=22528, size=102400, type=5
start=24576, size=8192, type=83
start=34816, size=8192, type=fb
start=45056, size=8192, type=82
EOF
truncate -s 64M "$w/gptmany.img"
sfdisk -q --no-reread --no-tell-kernel "$w/gptmany.img" >/dev/null <<'EOF'
label: gpt
first-lba: 34
start=2048, size=20480, type=AA31E02A-400F-11DB-9590-000C2911D1B8, name="vmfs"
start=22528, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="linux"
start=30720, size=8192, type=9D275380-40AD-11DB-BF97-000C2911D1B8, name="vmkcore"
start=38912, size=8192, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
EOF

# A partition image cut from a GPT disk up to the disk end: it ends with the
# backup GPT (format reference 11.3).
dd if="$w/embed.img" of="$w/tail.img" bs=1M skip=1 conv=sparse status=none
# A VMFS5 volume without entry under a Linux partition of a newer MBR: a
# conflict (vmfs-restore --force --replace 1 replaces it).
cp --sparse=always "$w/mbr5del.img" "$w/conflict.img"
echo 'start=2048, size=204800, type=83' | sfdisk -q --no-reread --no-tell-kernel "$w/conflict.img" >/dev/null 2>&1

# A GPT entry whose start LBA (2^55 + 2048) times the sector size passes 2^64
# (the harness recomputes the entry CRCs).
cp --sparse=always "$w/gpt2.img" "$w/gptwrap.img"
patch "$w/gptwrap.img" $((1024 + 0x20)) "$(le64 $(((1 << 55) + 2048)))$(le64 $(((1 << 55) + 2048 + 1228799)))"

for d in gpt2 mbr3 mbr5del gptdel none2 odd embed dosext gptmany tail conflict gptwrap; do
	chunks "$w/$d.img" "$seeds/ptable/$d"
	chunks --control 16 "$w/$d.img" "$seeds/scan/$d"
done
chunks --control 2 "$w/gpt4k.img" "$seeds/ptable/gpt4k"
chunks --control $((4 | 16 << 8)) "$w/embed.img" "$seeds/ptable/embed-offset"
chunks --control $((1 | 16)) "$w/gpt4k.img" "$seeds/scan/gpt4k"
chunks --control $((2 | 16)) "$w/gptdel.img" "$seeds/scan/gptdel-as-mbr"
chunks --control 2 "$w/mbr3.img" "$seeds/lvm/mbr3-at-128"
chunks --control 1 "$w/tail.img" "$seeds/lvm/tail"
chunks --control $((8 | 16 | 1 << 8)) "$w/conflict.img" "$seeds/scan/conflict-replace"

# ---- identifiers: text, and diskID blocks (78 bytes at header + 0x0C)
i=0
for id in vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441 \
	vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1 \
	vml.0000000000766d686261303a343a30 naa.600144f07ed404000000496ff8cd0003 \
	naa.5000c500a1b2c3d4 NAA.2000000000000001:3 eui.0123456789abcdef eui.0123456789abcdef0123456789abcdef \
	vmhba0:1:3:0 vmhba1:0:0 vmhba32:C0:T1:L2:4 mpx.vmhba0:C0:T4:L0:1 mpx.vmhba33:C0:T0:L0 \
	t10.ATA_____X t10.ATA_____WDC_WD10EZEX2D00BN5A0_____________________WD2DWCC3F1234567 \
	vml.01000000003132333435:2; do
	printf '%s' "$id" > "$seeds/ident/text$((i++))"
done
for v in v5 v5naa v6; do
	cut_bytes "$w/$v.img" $((0x100000 + 0x0C)) 78 "$seeds/ident/diskid-$v"
done

# ---- backup files: one as vmfs-backup writes it (regions of MiB, slow to
# load), the others with the same regions cut to a few KiB.
"$bin/vmfs-backup" -q "$w/v5.img" -O "$seeds/backup/vmfs-backup-v5"
"$mkseed" backup "$w/v5.img" "$seeds/backup/v5" mbr:0:512 lvm-metadata:0x100000:0x1000 \
	lvm-tables:0x17e000:0x3000 fs-descriptor:0x1300000:0x1000
"$mkseed" backup "$w/gpt2.img" "$seeds/backup/gpt2" mbr:0:512 gpt-primary:512:0x4200 \
	gpt-backup:$((2 * 1024 * 1024 * 1024 - 0x4200)):0x4200 lvm-metadata:0x200000:0x1000 fs-descriptor:0x1400000:0x200
"$mkseed" backup "$w/v6.img" "$seeds/backup/v6-one" lvm-metadata:0x100000:0x2000

# ---- undo files: a table rebuild, a resignature and a re-point
cp --sparse=always "$w/mbr5del.img" "$w/restore.img"
"$bin/vmfs-restore" -q --write --undo-file "$seeds/undo/restore-mbr" "$w/restore.img"
cp --sparse=always "$w/v5.img" "$w/resig.img"
"$bin/vmfs-resignature" -q --new-identity --write --undo-file "$seeds/undo/resignature" "$w/resig.img"
cp --sparse=always "$w/v6.img" "$w/repoint.img"
"$bin/vmfs-resignature" -q --lun 7 --write --undo-file "$seeds/undo/repoint" "$w/repoint.img"

touch "$seeds/.done"
for d in "$seeds"/*/; do
	printf '  seeds  %-8s %3d files, %6d bytes\n' "$(basename "$d")" "$(ls "$d" | wc -l)" "$(cat "$d"/* | wc -c)"
done
