#!/usr/bin/env bash
# make check: the --json document of every tool, on every path a script meets
# (success, each error path, usage errors, dry run, write, undo, backup
# --verify), validated against schema/vmfs-tools.schema.json with
# python3-jsonschema (Debian), and its exit_status compared with the real
# exit status. Fixtures are generated here; nothing is taken from elsewhere.
set -uo pipefail
build=${BUILD:-build}
# vmfs-backup's documents are checked too (SCHEMA_CHECK_BACKUP=0 leaves them
# out, for a build of a tool set without them).
with_backup=${SCHEMA_CHECK_BACKUP:-1}
bin="$PWD/$build/bin"
mk="$PWD/$build/fixtures/mkfixture"
schema="$PWD/schema/vmfs-tools.schema.json"
python=${PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import jsonschema' 2>/dev/null; then
	echo "schema-check: python3-jsonschema is missing (make deps installs it)" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vmfs-schema.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A folder that needs quoting, as users' folders do.
dir="$work/case (1) with spaces"
mkdir -p "$dir/docs"
cd "$dir" || exit 1

fail=0
n=0
# run EXPECTED_STATUS TOOL ARGS...: saves the document and its exit status.
run() {
	local expect=$1 tool=$2
	shift 2
	n=$((n + 1))
	local name
	name=$(printf '%03d-%s' "$n" "$tool")
	"$bin/$tool" "$@" > "docs/$name.json" 2> "docs/$name.err"
	local status=$?
	echo "$status $tool $*" > "docs/$name.cmd"
	if [ "$status" != "$expect" ]; then
		echo "schema-check: $tool $*: exit $status, expected $expect" >&2
		sed 's/^/    /' "docs/$name.err" >&2
		fail=1
	fi
}

"$mk" disk --table gpt --disk-size 1G --vol "lvm=6,start=2048,label=one" "good disk.img" >/dev/null || exit 1
"$mk" disk --table mbr --disk-size 1G --vol "lvm=5,start=2048,label=five" mbr5.img >/dev/null || exit 1
cp --sparse=always "good disk.img" "wiped disk.img"
# Both GPT copies gone (LBA 0..33 and the last 33 sectors).
dd if=/dev/zero of="wiped disk.img" bs=512 count=34 conv=notrunc status=none
dd if=/dev/zero of="wiped disk.img" bs=512 count=33 seek=$(((1 << 30) / 512 - 33)) conv=notrunc status=none
cp --sparse=always "wiped disk.img" "wiped copy.img"
"$mk" disk --table gpt --disk-size 1G --vol "lvm=5,start=2048,label=two" other.img >/dev/null || exit 1
truncate -s 64M empty.img
printf 'not a disk at all' > garbage.img
truncate -s 64M garbage.img
"$mk" volume --size 600M --lvm 6 --label bare bare.img >/dev/null || exit 1
# A damaged LVM header magic: error findings.
cp --sparse=always "good disk.img" damaged.img
printf '\x00\x00\x00\x00' | dd of=damaged.img bs=1 seek=$((0x200000)) conv=notrunc status=none

# vmfs-inspect
run 0 vmfs-inspect --json "good disk.img"
run 0 vmfs-inspect --json "wiped disk.img"
run 0 vmfs-inspect --json --hash "good disk.img"
run 0 vmfs-inspect --json --hash "good disk.img" "wiped disk.img"
run 2 vmfs-inspect --json --strict "wiped disk.img"
run 0 vmfs-inspect --json -o 2048s "good disk.img"
run 0 vmfs-inspect --json bare.img
run 0 vmfs-inspect --json mbr5.img
run 2 vmfs-inspect --json "no such file.img"
run 2 vmfs-inspect --json garbage.img
run 2 vmfs-inspect --json damaged.img
run 2 vmfs-inspect --json "good disk.img" "no such file.img"
run 0 vmfs-inspect --json "good disk.img" other.img
run 2 vmfs-inspect --json --vml vml.zz

# Live hosts: a tree laid out like /sys and /dev (block/NAME, dev/block/MAJ:MIN,
# device/ named H:C:T:L with INQUIRY attributes and a binary VPD page 0x83)
# whose nodes link to images: sdb holds VMFS with its LUN renumbered 3 -> 5,
# sdd a disk without VMFS and no VPD page.
"$mk" disk --table gpt --disk-size 1G --vol "lvm=6,start=2048,label=lun,naa=600144f07ed404000000496ff8cd0003,lun=3,vendor=SUN,model=COMSTAR,revision=1.0" lun.img >/dev/null || exit 1
fake_disk() { # NAME MAJ:MIN H:C:T:L IMAGE [VPD page as printf escapes]
	local dir="host/sys/devices/pci0/host0/$3"
	mkdir -p "$dir/block/$1" host/sys/block host/sys/dev/block host/dev/disk/by-id
	echo "$2" > "$dir/block/$1/dev"
	echo $(($(stat -c %s "$4") / 512)) > "$dir/block/$1/size"
	ln -s "../../../$3" "$dir/block/$1/device"
	printf 'SUN     \n' > "$dir/vendor"; printf 'COMSTAR         \n' > "$dir/model"; printf '1.0 \n' > "$dir/rev"
	echo 0 > "$dir/type"; echo 6 > "$dir/scsi_level"; echo running > "$dir/state"
	[ -z "${5:-}" ] || printf "$5" > "$dir/vpd_pg83"
	ln -s "../devices/pci0/host0/$3/block/$1" "host/sys/block/$1"
	ln -s "../../devices/pci0/host0/$3/block/$1" "host/sys/dev/block/$2"
	ln -s "$PWD/$4" "host/dev/$1"
}
fake_disk sdb 8:16 2:0:0:5 lun.img '\x00\x83\x00\x14\x01\x03\x00\x10\x60\x01\x44\xf0\x7e\xd4\x04\x00\x00\x00\x49\x6f\xf8\xcd\x00\x03'
fake_disk sdd 8:48 2:0:1:0 empty.img
roots=(--sysfs-root "$PWD/host/sys" --dev-root "$PWD/host/dev")
run 0 vmfs-inspect --json "${roots[@]}" --all
run 0 vmfs-inspect --json "${roots[@]}" naa.600144f07ed404000000496ff8cd0003
run 2 vmfs-inspect --json "${roots[@]}" naa.600144f07ed404000000496ff8cd0009
run 0 vmfs-inspect --json "${roots[@]}" --vml vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441
run 1 vmfs-inspect --json "${roots[@]}" --vml vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1 naa.600144f07ed404000000496ff8cd0004
run 3 vmfs-inspect --json --all "good disk.img"
run 3 vmfs-inspect --json --bogus "good disk.img"
run 3 vmfs-inspect -jq --offset 12Q "good disk.img"
run 3 vmfs-inspect --json

# vmfs-ls and vmfs-extract: on the real VMFS5 volume when the corpus is
# beside the project (a generated fixture holds no file system), and on
# every error path.
corpus=${CORPUS_SRC:-../shared/corpus}
case $corpus in /*) ;; *) corpus="$OLDPWD/$corpus" ;; esac
if [ -f "$corpus/vmfs5-dissect.bin.gz" ]; then
	gzip -dc "$corpus/vmfs5-dissect.bin.gz" | cp --sparse=always /dev/stdin vmfs5.img
	run 0 vmfs-ls --json vmfs5.img
	run 0 vmfs-inspect --json --heartbeats vmfs5.img
	run 0 vmfs-ls --json -R -l vmfs5.img /directory
	run 2 vmfs-ls --json vmfs5.img /no-such-path
	mkdir -p out
	run 0 vmfs-extract --json -o out vmfs5.img /directory
	run 2 vmfs-extract --json -o out vmfs5.img /directory
	rm -f vmfs5.img
else
	echo "schema-check: $corpus holds no vmfs5-dissect.bin.gz: vmfs-ls/vmfs-extract success documents not checked" >&2
fi
run 1 vmfs-ls --json garbage.img
run 2 vmfs-ls --json "good disk.img"
run 2 vmfs-ls --json "no such file.img"
run 3 vmfs-ls --json --bogus "good disk.img"
run 1 vmfs-extract --json -o . garbage.img /x
run 2 vmfs-extract --json -o . "good disk.img" /x
run 3 vmfs-extract --json "good disk.img"

# vmfs-diff
run 0 vmfs-diff --json "good disk.img" "good disk.img"
run 1 vmfs-diff --json "good disk.img" "wiped disk.img"
run 1 vmfs-diff --json "good disk.img" other.img
run 2 vmfs-diff --json "good disk.img" "no such file.img"
run 3 vmfs-diff --json "good disk.img"

# vmfs-backup (before the writes below change the images)
if [ "$with_backup" = 1 ]; then
	run 0 vmfs-backup --json --output "good disk.vmfsbak" "good disk.img"
	run 0 vmfs-backup --json --verify "good disk.vmfsbak"
	run 2 vmfs-backup --json --verify garbage.img
	run 2 vmfs-backup --json --output x.vmfsbak "no such file.img"
	run 3 vmfs-backup --json --bogus
	mkdir -p host-backups
	run 0 vmfs-backup --json "${roots[@]}" --all --dir host-backups --keep 2
	run 0 vmfs-backup --json "${roots[@]}" --all --dir host-backups --keep 2 --if-changed
	run 3 vmfs-backup --json --all -O x.vmfsbak
else
	"$bin/vmfs-backup" --output "good disk.vmfsbak" "good disk.img" >/dev/null 2>&1 ||
		{ echo "schema-check: vmfs-backup failed" >&2; exit 1; }
fi
run 0 vmfs-diff --json "good disk.vmfsbak" "good disk.img"

# vmfs-restore: dry run, write, undo, refusals
run 0 vmfs-restore --json "wiped disk.img"
run 1 vmfs-restore --json empty.img
run 2 vmfs-restore --json "no such file.img"
run 2 vmfs-restore --json "good disk.vmfsbak"
run 0 vmfs-restore --json --write --undo-file "restore (1).undo" "wiped disk.img"
run 0 vmfs-restore --json "wiped disk.img"
run 0 vmfs-restore --json --undo "restore (1).undo" "wiped disk.img"
run 2 vmfs-restore --json --undo "restore (1).undo" other.img
run 2 vmfs-restore --json --undo garbage.img "wiped disk.img"
# table export from a source that is only read, applied to a copy
run 0 vmfs-restore --json --export-table "table (1).export" "wiped disk.img"
run 2 vmfs-restore --json --export-table "table (1).export" "wiped disk.img"
run 0 vmfs-restore --json --apply-table "table (1).export" "wiped disk.img"
run 0 vmfs-restore --json --apply-table "table (1).export" --write --undo-file "apply (1).undo" "wiped disk.img"
run 0 vmfs-restore --json --apply-table "table (1).export" "wiped disk.img"
run 2 vmfs-restore --json --undo "table (1).export" "wiped disk.img"
run 0 vmfs-restore --json --undo "apply (1).undo" "wiped disk.img"
run 2 vmfs-restore --json --apply-table "table (1).export" other.img
run 2 vmfs-restore --json --apply-table "restore (1).undo" "wiped disk.img"
run 2 vmfs-restore --json --apply-table garbage.img "wiped disk.img"
run 3 vmfs-restore --json --export-table x.export --write "wiped disk.img"
run 1 vmfs-restore --json --write damaged.img
run 0 vmfs-restore --json --from-backup "good disk.vmfsbak" "wiped copy.img"
run 0 vmfs-restore --json --write --undo-file "from backup.undo" --from-backup "good disk.vmfsbak" "wiped copy.img"
run 0 vmfs-restore --json --undo "from backup.undo" "wiped copy.img"
run 2 vmfs-restore --json --from-backup garbage.img "wiped copy.img"
run 3 vmfs-restore --json --only lvm "wiped disk.img"
run 3 vmfs-restore -jd

# vmfs-resignature: dry runs, write, undo, refusals
run 0 vmfs-resignature --json --new-identity "good disk.img"
run 0 vmfs-resignature --json --lun 7 --vendor NEWVEND "good disk.img"
run 0 vmfs-resignature --json --write --undo-file "resign (1).undo" --new-identity --mac 00:0c:29:aa:bb:cc "good disk.img"
run 0 vmfs-resignature --json --undo "resign (1).undo" "good disk.img"
run 2 vmfs-resignature --json --undo "resign (1).undo" other.img
run 2 vmfs-resignature --json --new-identity "no such file.img"
run 2 vmfs-resignature --json --new-identity --volume nosuchlabel "good disk.img"
run 2 vmfs-resignature --json --new-identity garbage.img
run 3 vmfs-resignature --json --new-identity --lun 3 "good disk.img"
run 3 vmfs-resignature --json --mac nonsense --new-identity "good disk.img"

"$python" - "$schema" docs "$with_backup" <<'EOF' || fail=1
import json, os, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
names = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
tools = set()
for name in names:
    base = os.path.join(sys.argv[2], name[:-5])
    status, command = open(base + ".cmd").read().split(" ", 1)
    text = open(base + ".json").read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"schema-check: {command.strip()}: stdout is not one JSON document: {e}", file=sys.stderr)
        bad += 1
        continue
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:3]:
        where = "/".join(str(p) for p in e.absolute_path)
        print(f"schema-check: {command.strip()}: /{where}: {e.message[:300]}", file=sys.stderr)
    bad += bool(errors)
    if isinstance(doc, dict) and doc.get("exit_status") != int(status):
        print(f"schema-check: {command.strip()}: exit_status {doc.get('exit_status')}, process {status}", file=sys.stderr)
        bad += 1
    if isinstance(doc, dict):
        tools.add(doc.get("tool"))
expected = {"vmfs-inspect", "vmfs-diff", "vmfs-restore", "vmfs-resignature"}
if sys.argv[3] == "1":
    expected.add("vmfs-backup")
missing = expected - tools
if missing:
    print(f"schema-check: no document from {sorted(missing)}", file=sys.stderr)
    bad += 1
print(f"schema-check: {len(names)} documents of {len(tools)} tools, {bad} failing")
sys.exit(1 if bad else 0)
EOF
exit $fail
