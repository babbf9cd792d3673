#!/usr/bin/env bash
# make check: our file tools against two independent readers on the real
# VMFS5 and VMFS6 volumes of the corpus (../shared/corpus), each placed in a
# GPT disk whose two tables are then wiped, and the VMFS3, VMFS5 and VMFS6
# file systems mkfixture --fs tree generates, placed the same way, so that
# vmfs-ls and vmfs-extract must find the volume through the discovery layer:
#   - the listing: every entry of `vmfs-ls -R --json` (path, mode, links,
#     size, ctime; and mtime against vmfs_files.py) against `debugvmfs ls -l`
#     / `debugvmfs6 ls -l` (vmfs-tools, vmfs6-tools, Debian) and
#     `vmfs_files.py ls` (../shared/tools, the reference reader of the format
#     document), walked directory by directory: all three must hold exactly
#     the same entries;
#   - the data: the SHA-256 of every regular and system file in the manifest of
#     `vmfs-extract --json` against `sha256sum` of the same file's `cat` from
#     both readers, and the extracted file on disk against the manifest.
# The reference readers read the bare partition image (they know no
# partition tables). On the generated VMFS5/VMFS6 file systems, whose
# structures no real image here confirms (format reference 10), a file
# debugvmfs/debugvmfs6 read otherwise is a note; vmfs_files.py must agree on
# every file. On the generated VMFS3 file system (vmfs-tools was written for
# VMFS3: the reference implementation there) a file debugvmfs reads otherwise
# is a difference, with one named exception checked byte for byte: see
# vmfs_tools_sb_hole below. Skips with a message when the corpus or a reader
# is missing; exit 1 on any difference.
# shellcheck disable=SC2317,SC2216 # listings are called through walk; cp reads /dev/stdin
set -uo pipefail
build=${BUILD:-build}
corpus_src=${CORPUS_SRC:-../shared/corpus}
files_py=${VMFS_FILES_PY:-$(dirname "$corpus_src")/tools/vmfs_files.py}
bin="$PWD/$build/bin"
mk="$PWD/$build/fixtures/mkfixture"
python=${PYTHON:-/usr/bin/python3}
PATH="$PATH:/usr/sbin:/sbin" # Debian installs debugvmfs in /usr/sbin

say() { echo "fs-crosscheck: $*"; }
if [ ! -d "$corpus_src" ]; then
	say "skipped: $corpus_src not found"
	exit 0
fi
for need in debugvmfs debugvmfs6; do
	if ! command -v "$need" > /dev/null; then
		say "skipped: $need not installed (make deps installs vmfs-tools and vmfs6-tools)"
		exit 0
	fi
done
if [ ! -f "$files_py" ]; then
	say "skipped: $files_py not found"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-crosscheck.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
differ() {
	say "DIFFERENCE: $*"
	fail=1
}

# listing_ours JSON [mtime]: "path mode links size ctime [mtime]" per entry,
# times as "YYYY-MM-DD HH:MM:SS" (UTC), sorted. debugvmfs prints the ctime
# (format reference, fs layer 4.2), vmfs_files.py both.
listing_ours() {
	"$python" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
t = lambda s: s.replace("T", " ").rstrip("Z")
for e in doc["entries"]:
    extra = [t(e["mtime"])] if len(sys.argv) > 2 else []
    print(e["path"], "%o" % e["mode"], e["links"], e["size"], t(e["ctime"]), *extra)
' "$@" | LC_ALL=C sort
}

# mode_of(STRING): the octal mode of an `ls -l` mode string ("drwxr-xr-t"),
# with only the file types and bits a VMFS volume has.
mode_of_py='
types = {"-": 0o100000, "d": 0o040000, "l": 0o120000, "c": 0o020000, "b": 0o060000}
def mode_of(s):
    m = types.get(s[0], 0)
    for i, (ch, bit) in enumerate(zip(s[1:10], [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 4, 2, 1])):
        if ch in "rwx":
            m |= bit
        elif ch in "sS" and i == 2: m |= 0o4000 | (bit if ch == "s" else 0)
        elif ch in "sS" and i == 5: m |= 0o2000 | (bit if ch == "s" else 0)
        elif ch in "tT" and i == 8: m |= 0o1000 | (bit if ch == "t" else 0)
    return m
'

# listing_debugvmfs READER PART DIR: the same lines from `READER PART ls -l DIR`
# ("MODE NLINK USER GROUP SIZE DATE TIME NAME"; "." and ".." left out).
listing_debugvmfs() {
	local reader=$1 part=$2 dir=$3
	TZ=UTC "$reader" "$part" ls -l "$dir" 2> >(sed "s|^|fs-crosscheck: note: $reader ls -l $dir: |" >&2) | grep -v '^VMFS version:' | "$python" -c "$mode_of_py"'
import sys
base = sys.argv[1].rstrip("/")
for line in sys.stdin:
    f = line.split(None, 7)
    if len(f) < 8 or f[7].rstrip("\n") in (".", ".."):
        continue
    print(base + "/" + f[7].rstrip("\n"), "%o" % mode_of(f[0]), f[1], f[4], f[5] + " " + f[6])
' "$dir"
}

# listing_files_py PART DIR: the same lines from `vmfs_files.py PART ls DIR`
# (columns: mode, nlink, uid, gid, size, c=ctime, m=mtime, type, fd, gen,
# zla, name).
listing_files_py() {
	local part=$1 dir=$2
	"$python" "$files_py" "$part" ls "$dir" | "$python" -c "$mode_of_py"'
import sys
base = sys.argv[1].rstrip("/")
for line in sys.stdin:
    f = line.rstrip("\n").split(None, 13)
    if len(f) < 14 or not f[7].startswith("m=") or f[13] in (".", ".."):
        continue
    print(base + "/" + f[13], "%o" % mode_of(f[0]), f[1], f[4], f[5][2:] + " " + f[6], f[7][2:] + " " + f[8])
' "$dir"
}

# walk READER_FN PART: the listing of the whole tree, directory by directory,
# the directories taken from our own listing (every directory we report must
# be listable by the reader, and hold what we say it holds).
walk() {
	local fn=$1 part=$2 dirs=$3
	while read -r d; do
		# shellcheck disable=SC2086 # fn is a command and its first argument
		$fn "$part" "$d"
	done < "$dirs" | LC_ALL=C sort
}

# vmfs_tools_sb_hole PART PATH OURS THEIRS: whether THEIRS (debugvmfs cat)
# is exactly OURS with each sub-block hole widened to the end of its 1 MiB
# file block. Format reference 6.2: a null pointer is a hole of "the rest of
# the block", and in a sub-block file (ZLA 2) blockSize = SBS, so a hole
# ends at the next sub-block. vmfs-tools' vmfs_file_pread sizes every hole
# with the volume's file-block size instead, zero-filling (and skipping) the
# sub-blocks after a hole up to the next 1 MiB boundary. The hole positions
# come from vmfs_files.py blocks, the data from our copy.
vmfs_tools_sb_hole() {
	"$python" "$files_py" "$1" blocks "$2" | "$python" -c '
import re, sys
ours = open(sys.argv[1], "rb").read()
theirs = open(sys.argv[2], "rb").read()
fbs = 1 << 20  # mkfixture --fs: --block-size 1M
holes = []
for line in sys.stdin:
    m = re.match(r"\s*file 0x([0-9a-f]+)\.\.0x([0-9a-f]+)\s+zeros", line)
    if m:
        holes.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
want = bytearray(ours)
done = 0  # vmfs-tools has read (or zero-filled) the file up to here
for start, _ in sorted(holes):
    if start < done:
        continue
    end = min(len(ours), (start // fbs + 1) * fbs)
    want[start:end] = bytes(end - start)
    done = end
sys.exit(0 if holes and bytes(want) == theirs and want != ours else 1)
' "$3" "$4"
}

checked_entries=0
checked_files=0
known=0
cases=0
notes=0
# The cases: the two real volumes, and the generated file systems of
# mkfixture --fs tree (every addressing mode, nested directories, a
# directory of 300 files), whose files larger than 64 MiB (thin files of up
# to 1.3 TiB) are listed but not read whole by the readers.
for case in corpus5 corpus6 generated3 generated5 generated6; do
	v=${case: -1}
	part="$work/vmfs$v.bin"
	max_bytes=""
	if [ "${case#corpus}" != "$case" ]; then
		src="$corpus_src/vmfs$v-dissect.bin.gz"
		if [ ! -f "$src" ]; then
			say "skipped VMFS$v: $src not found"
			continue
		fi
		gzip -dc "$src" | cp --sparse=always /dev/stdin "$part"
		name="VMFS$v (corpus)"
	else
		"$mk" volume --lvm "$v" --size 1200M --fs tree --fs-entries 300 "$part" > /dev/null || exit 2
		max_bytes=$((64 << 20))
		name="VMFS$v (mkfixture --fs tree)"
	fi
	reader=debugvmfs
	[ "$v" = 6 ] && reader=debugvmfs6
	disk="$work/disk$v.img"
	# The volume in a 2 GiB GPT disk at 1 MiB, then both GPT copies (and the
	# protective MBR) wiped: only the discovery layer's scan can find it.
	"$mk" embed --disk-size 2G --table gpt --start 2048 --image "$part" "$disk" || exit 2
	dd if=/dev/zero of="$disk" bs=512 count=34 conv=notrunc status=none
	dd if=/dev/zero of="$disk" bs=512 seek=$(((2 << 30) / 512 - 33)) count=33 conv=notrunc status=none

	"$bin/vmfs-ls" -R --json "$disk" / > "$work/ls$v.json"
	status=$?
	if [ "$status" != 0 ]; then
		differ "$name: vmfs-ls -R --json on the wiped disk exited $status"
		continue
	fi
	listing_ours "$work/ls$v.json" > "$work/ours$v"
	listing_ours "$work/ls$v.json" mtime > "$work/ours_cm$v"
	{
		echo /
		"$python" -c '
import json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    if e["type"] == "dir":
        print(e["path"])
' "$work/ls$v.json"
	} > "$work/dirs$v"
	walk "listing_debugvmfs $reader" "$part" "$work/dirs$v" > "$work/debugvmfs$v"
	walk listing_files_py "$part" "$work/dirs$v" > "$work/files_py$v"
	n=$(wc -l < "$work/ours$v")
	checked_entries=$((checked_entries + n))
	if ! diff -u "$work/debugvmfs$v" "$work/ours$v" > "$work/diff"; then
		differ "$name: vmfs-ls -R and $reader ls -l list different entries:"
		cat "$work/diff"
	fi
	if ! diff -u "$work/files_py$v" "$work/ours_cm$v" > "$work/diff"; then
		differ "$name: vmfs-ls -R and vmfs_files.py ls list different entries:"
		cat "$work/diff"
	fi

	mkdir -p "$work/out$v"
	# Everything, or every file up to max_bytes.
	mapfile -t wanted < <("$python" -c '
import json, sys
limit = int(sys.argv[2]) if sys.argv[2] else None
for e in json.load(open(sys.argv[1]))["entries"]:
    if limit is None:
        print("/")
        break
    if e["type"] in ("file", "sysfile") and e["size"] <= limit:
        print(e["path"])
' "$work/ls$v.json" "$max_bytes")
	"$bin/vmfs-extract" --json -o "$work/out$v" "$disk" "${wanted[@]}" > "$work/ex$v.json"
	status=$?
	if [ "$status" != 0 ]; then
		differ "$name: vmfs-extract --json on the wiped disk exited $status"
		continue
	fi
	# "sha256 output path" of every regular and system file in the manifest.
	"$python" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for f in doc["files"]:
    if f["type"] in ("file", "sysfile"):
        print(f["sha256"], f["output"], f["path"])
' "$work/ex$v.json" > "$work/sha$v"
	if [ ! -s "$work/sha$v" ]; then
		differ "$name: the manifest of vmfs-extract lists no file"
	fi
	while read -r sha output path; do
		checked_files=$((checked_files + 1))
		"$reader" "$part" cat "$path" 2> /dev/null | if [ "$v" = 6 ]; then tail -c +17; else cat; fi > "$work/theirs"
		theirs=$(sha256sum < "$work/theirs")
		if [ "${theirs%% *}" != "$sha" ]; then
			if [ "$v" != 6 ] && vmfs_tools_sb_hole "$part" "$path" "$output" "$work/theirs"; then
				say "known: $name $path: $reader cat zero-fills each sub-block hole to the end of its" \
					"1 MiB file block (vmfs_file_pread; format reference 6.2: a hole ends with its sub-block);" \
					"its bytes are exactly that"
				known=$((known + 1))
			elif [ -n "$max_bytes" ] && [ "$v" != 3 ]; then
				# Generated files use structures no real image here holds
				# (format reference 10): PB2 on VMFS5, which vmfs-tools
				# does not open (6.7), VMFS6 sub-block and SFB addresses
				# beyond cluster 0, where vmfs6-tool decodes otherwise
				# (9), DENSE_SBPC resource bits. vmfs_files.py decides.
				say "note: $name $path: $reader cat differs (sha256 ${theirs%% *}); structures from source only"
				notes=$((notes + 1))
			else
				differ "$name $path: vmfs-extract sha256 $sha, $reader cat ${theirs%% *}"
			fi
		fi
		theirs=$("$python" "$files_py" "$part" cat "$path" | sha256sum)
		[ "${theirs%% *}" = "$sha" ] || differ "$name $path: vmfs-extract sha256 $sha, vmfs_files.py cat ${theirs%% *}"
		ondisk=$(sha256sum < "$output")
		[ "${ondisk%% *}" = "$sha" ] || differ "$name $path: extracted file sha256 ${ondisk%% *}, manifest $sha"
	done < "$work/sha$v"
	rm -rf "$work/out$v" "$part" "$disk"
	cases=$((cases + 1))
done
if [ "$fail" = 0 ]; then
	say "ok: $cases volumes; $checked_entries entries listed alike by vmfs-ls, debugvmfs/debugvmfs6 and" \
		"vmfs_files.py; $checked_files files whose vmfs-extract SHA-256 equals vmfs_files.py's cat, and" \
		"debugvmfs/debugvmfs6's but for $notes generated VMFS5/6 files (notes above) and $known" \
		"VMFS3/5 file(s) read as vmfs-tools' sub-block hole defect predicts (above)"
fi
exit "$fail"
