/* The hostile-input matrix of every tool. A table of INPUT KINDS (each row
 * names the function that builds one hostile input from a generated fixture:
 * no file at all, random bytes, a volume cut at a structure boundary, a wrong
 * magic, a field that lies, a string without its NUL, a damaged backup file,
 * a partition entry past the end of the disk) is crossed with a table of TOOL
 * COMMANDS. Every (input, command) pair must keep the contract of the
 * hardening issue:
 *   - no crash: exit status below 128 (a sanitizer report aborts);
 *   - the exit status documented for that pair (2 for an error; the
 *     documented exceptions are spelled out in expected_status());
 *   - stderr: every line starts with "<program>: "; with status 2, one line
 *     names the path, and the offset when the damage has one;
 *   - no write: the input and the good companion files keep their SHA-256
 *     and modification time, a refused write leaves no undo file, a failed
 *     vmfs-backup leaves no backup file, nothing else appears;
 *   - with --json: nothing, or exactly one JSON document (whose exit_status,
 *     when it has one, is the real one); something whenever the status is
 *     not 2.
 * Adding a row to an input table adds its cases for every command; adding a
 * command adds it for every input. Each failing check names the input and
 * the command. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Offsets in a generated volume image (partition offset 0; format reference
 * 1 and 4.0; LVM6 with mdAlignment M = 0x1000). */
#define LVM_HDR 0x100000u
#define VOL5 0x100200u
#define VOL6 0x101000u
#define SD5 0x17E200u
#define SD6 0x17F000u
#define PE5 0x180600u
#define PE6 0x182000u
#define FS_DESC 0x1300000u /* dataOffset 0x1100000 + LV 0x200000 */
#define MBR_ENTRY1 0x1BEu

/* The backup file layout (vmfs-backup(5)). */
#define BKP_HEADER 4096u
#define BKP_ENTRY 128u
#define BKP_TRAILER 40u

/* What the tools can make of an input: it decides the documented status of
 * the commands whose status depends on what they find. */
enum input_class {
	IN_NO_FILE,   /* missing, a directory, unreadable or empty: nothing to read */
	IN_NO_VOLUME, /* readable, but no LVM header the scan accepts */
	IN_VOLUME,    /* an LVM header (magic) at a usual start, or one the scan accepts anywhere, damaged
		       * in or behind it: every tool decodes it and reports the damage (discovery layer) */
	IN_BACKUP,    /* a damaged file that starts with the backup magic */
	IN_BAD_TABLE, /* an intact volume behind a partition entry that lies */
};

enum input_build {
	BUILD_EMPTY,
	BUILD_DIRECTORY,
	BUILD_UNREADABLE,
	BUILD_MISSING,
	BUILD_RANDOM,
	BUILD_CUT,
	BUILD_LE32,
	BUILD_LE64,
	BUILD_FILL,
	BUILD_BACKUP_CUT,
	BUILD_BACKUP_FLIP,
	BUILD_MBR_LE32,
};

/* Where a backup-file offset counts from. */
enum anchor { FROM_START, FROM_END, IN_REGION };

/* Criterion copies the parameters to a re-executed worker: text in arrays,
 * the builder as an enum, no pointers. */
struct input_kind {
	char name[64];
	enum input_build build;
	enum input_class cls;
	unsigned lvm;           /* the generated volume: 5 or 6 */
	enum anchor anchor;     /* backup files: what offset counts from */
	unsigned region;        /* IN_REGION: region table index */
	int64_t offset;         /* cut length, patch or flip offset, random file size */
	uint64_t value;         /* patch value, fill byte, flip mask, random data start */
	uint32_t length;        /* fill length, random data length */
	bool located;           /* the damage has a place: an error must give an offset */
};

/* ---- The input tables, one per family. ---- */

static struct input_kind no_file_inputs[] = {
	{ .name = "empty file", .build = BUILD_EMPTY, .cls = IN_NO_FILE },
	{ .name = "directory", .build = BUILD_DIRECTORY, .cls = IN_NO_FILE },
	{ .name = "unreadable file (mode 0000)", .build = BUILD_UNREADABLE, .cls = IN_NO_FILE, .lvm = 5 },
	{ .name = "missing path", .build = BUILD_MISSING, .cls = IN_NO_FILE },
};

static struct input_kind random_inputs[] = {
	{ .name = "random 512 bytes", .build = BUILD_RANDOM, .cls = IN_NO_VOLUME, .offset = 512, .length = 512 },
	{ .name = "random 4 KiB", .build = BUILD_RANDOM, .cls = IN_NO_VOLUME, .offset = 4096, .length = 4096 },
	{ .name = "random 1 MiB + 4 KiB", .build = BUILD_RANDOM, .cls = IN_NO_VOLUME, .offset = 0x101000,
	  .length = 0x101000 },
	{ .name = "64 MiB sparse, 1 MiB random at 1 MiB", .build = BUILD_RANDOM, .cls = IN_NO_VOLUME,
	  .offset = 64 << 20, .value = 1 << 20, .length = 1 << 20 },
};

#define CUT(v, what, at, c) \
	{ .name = "LVM" #v " cut " what, .build = BUILD_CUT, .cls = c, .lvm = v, .offset = at, .located = true }
static struct input_kind truncated_inputs[] = {
	CUT(5, "before the header", LVM_HDR, IN_NO_VOLUME),
	CUT(5, "inside the header", LVM_HDR + 0x40, IN_VOLUME),
	CUT(5, "inside the volume table", VOL5 + 0x100, IN_VOLUME),
	CUT(5, "inside the device-name table", SD5 + 0x10, IN_VOLUME),
	CUT(5, "inside the PE table", PE5 + 0x40, IN_VOLUME),
	CUT(5, "before the descriptor", FS_DESC, IN_VOLUME),
	CUT(5, "inside the descriptor", FS_DESC + 0x100, IN_VOLUME),
	CUT(6, "before the header", LVM_HDR, IN_NO_VOLUME),
	CUT(6, "inside the header", LVM_HDR + 0x40, IN_VOLUME),
	CUT(6, "inside the volume table", VOL6 + 0x100, IN_VOLUME),
	CUT(6, "inside the device-name table", SD6 + 0x10, IN_VOLUME),
	CUT(6, "inside the PE table", PE6 + 0x40, IN_VOLUME),
	CUT(6, "before the descriptor", FS_DESC, IN_VOLUME),
	CUT(6, "inside the descriptor", FS_DESC + 0x100, IN_VOLUME),
};
#undef CUT

#define PATCH(v, what, kind, at, val, c)                                                          \
	{ .name = "LVM" #v " " what, .build = kind, .cls = c, .lvm = v, .offset = at, .value = val, \
	  .located = true }
static struct input_kind magic_inputs[] = {
	PATCH(5, "LVM magic 0xc001d00e", BUILD_LE32, LVM_HDR, 0xC001D00E, IN_NO_VOLUME),
	PATCH(6, "LVM magic 0xc001d00e", BUILD_LE32, LVM_HDR, 0xC001D00E, IN_NO_VOLUME),
	PATCH(5, "descriptor magic 0x2fabf15d", BUILD_LE32, FS_DESC, 0x2FABF15D, IN_VOLUME),
	PATCH(6, "descriptor magic 0x2fabf15d", BUILD_LE32, FS_DESC, 0x2FABF15D, IN_VOLUME),
};

/* The damaged-field rows of test_hostile.c: sizes and counts that lie. */
static struct input_kind lying_inputs[] = {
	PATCH(5, "numVolumes 0xffffffff", BUILD_LE32, LVM_HDR + 0x66, 0xFFFFFFFF, IN_VOLUME),
	PATCH(5, "numPEs 0xffffffff", BUILD_LE32, LVM_HDR + 0x6A, 0xFFFFFFFF, IN_VOLUME),
	PATCH(5, "lastPEIndex 0xffffffff", BUILD_LE32, LVM_HDR + 0x6E, 0xFFFFFFFF, IN_VOLUME),
	PATCH(5, "numPEMaps 0xffffffff", BUILD_LE32, LVM_HDR + 0xBE, 0xFFFFFFFF, IN_VOLUME),
	PATCH(5, "totalBytes 2^63", BUILD_LE64, LVM_HDR + 0x5E, 1ull << 63, IN_VOLUME),
	PATCH(5, "totalBytes 0", BUILD_LE64, LVM_HDR + 0x5E, 0, IN_VOLUME),
	PATCH(5, "dataOffset 2^63", BUILD_LE64, LVM_HDR + 0x7A, 1ull << 63, IN_VOLUME),
	PATCH(5, "diskBlockSize 7", BUILD_LE32, LVM_HDR + 0x5A, 7, IN_VOLUME),
	PATCH(5, "LVM major 9", BUILD_LE32, LVM_HDR + 0x04, 9, IN_VOLUME),
	PATCH(5, "ext. metadata loop to the header", BUILD_LE64, LVM_HDR + 0xC2, LVM_HDR, IN_VOLUME),
	PATCH(5, "ext. metadata past the end", BUILD_LE64, LVM_HDR + 0xC2, 1ull << 62, IN_VOLUME),
	PATCH(5, "numDevs 0xffffffff", BUILD_LE32, VOL5 + 0x90, 0xFFFFFFFF, IN_VOLUME),
	PATCH(5, "PE length 2^63", BUILD_LE64, PE5 + 0x19, 1ull << 63, IN_VOLUME),
	PATCH(5, "PE pOffset wraps", BUILD_LE64, PE5 + 0x09, UINT64_MAX - 10, IN_VOLUME),
	PATCH(5, "descriptor volume id", BUILD_LE32, FS_DESC + 0xB1, 0x12345678, IN_VOLUME),
	PATCH(6, "mdAlignment 3", BUILD_LE32, LVM_HDR + 0xCA, 3, IN_VOLUME),
	PATCH(6, "mdAlignment 2^31", BUILD_LE32, LVM_HDR + 0xCA, 0x80000000, IN_VOLUME),
	PATCH(6, "numVolumes 2", BUILD_LE32, LVM_HDR + 0x66, 2, IN_VOLUME),
	PATCH(6, "numPEs 0xffffffff", BUILD_LE32, LVM_HDR + 0x6A, 0xFFFFFFFF, IN_VOLUME),
};
#undef PATCH

#define FILL(v, what, at, byte, n)                                                                     \
	{ .name = "LVM" #v " " what, .build = BUILD_FILL, .cls = IN_VOLUME, .lvm = v, .offset = at, .value = byte, \
	  .length = n, .located = true }
static struct input_kind unterminated_inputs[] = {
	FILL(5, "volume name unterminated", VOL5 + 0x14, 'N', 64),
	FILL(5, "device name unterminated", SD5, 'D', 256),
	FILL(5, "label unterminated", FS_DESC + 0x1D, 'A', 128),
	FILL(6, "volume name unterminated", VOL6 + 0x14, 'N', 64),
	FILL(6, "device name unterminated", SD6, 'D', 256),
};
#undef FILL

/* The good backup of the LVM5 volume has 5 regions: mbr, gpt-primary,
 * gpt-backup, lvm-metadata, vh-sf. */
#define BCUT(what, a, r, at)                                                                           \
	{ .name = "backup cut " what, .build = BUILD_BACKUP_CUT, .cls = IN_BACKUP, .anchor = a, .region = r, \
	  .offset = at, .located = true }
static struct input_kind backup_cut_inputs[] = {
	BCUT("after 100 bytes", FROM_START, 0, 100),
	BCUT("one byte short of the header", FROM_START, 0, BKP_HEADER - 1),
	BCUT("after the header", FROM_START, 0, BKP_HEADER),
	BCUT("inside the region table", FROM_START, 0, BKP_HEADER + BKP_ENTRY + 40),
	BCUT("inside the lvm-metadata data", IN_REGION, 3, 100),
	BCUT("inside the last region's data", FROM_END, 0, -(int64_t)BKP_TRAILER - 1),
	BCUT("before the trailer", FROM_END, 0, -(int64_t)BKP_TRAILER),
	BCUT("inside the trailer", FROM_END, 0, -1),
};
#undef BCUT

#define FLIP(what, a, r, at, c)                                                                             \
	{ .name = "backup bit flip in " what, .build = BUILD_BACKUP_FLIP, .cls = c, .anchor = a, .region = r, \
	  .offset = at, .value = 0x10, .located = true }
static struct input_kind backup_flip_inputs[] = {
	FLIP("the magic", FROM_START, 0, 0, IN_NO_VOLUME),
	FLIP("the version", FROM_START, 0, 8, IN_BACKUP),
	FLIP("the region count", FROM_START, 0, 24, IN_BACKUP),
	FLIP("the sector size", FROM_START, 0, 41, IN_BACKUP),
	FLIP("the source path", FROM_START, 0, 50, IN_BACKUP),
	FLIP("the header SHA-256", FROM_START, 0, 4064, IN_BACKUP),
	FLIP("region 0 device", FROM_START, 0, BKP_HEADER + 32, IN_BACKUP),
	FLIP("region 0 source offset", FROM_START, 0, BKP_HEADER + 40, IN_BACKUP),
	FLIP("region 0 length", FROM_START, 0, BKP_HEADER + 50, IN_BACKUP),
	FLIP("region 0 file offset", FROM_START, 0, BKP_HEADER + 64, IN_BACKUP),
	FLIP("region 0 CRC32", FROM_START, 0, BKP_HEADER + 72, IN_BACKUP),
	FLIP("region 0 SHA-256", FROM_START, 0, BKP_HEADER + 80, IN_BACKUP),
	FLIP("region 3 stored length", FROM_START, 0, BKP_HEADER + 3 * BKP_ENTRY + 56, IN_BACKUP),
	FLIP("the lvm-metadata data", IN_REGION, 3, 100, IN_BACKUP),
	FLIP("the vh-sf data", IN_REGION, 4, 10, IN_BACKUP),
	FLIP("the trailer magic", FROM_END, 0, -(int64_t)BKP_TRAILER, IN_BACKUP),
	FLIP("the trailer SHA-256", FROM_END, 0, -20, IN_BACKUP),
};
#undef FLIP

/* An MBR disk (400 MiB) with an LVM5 volume at sector 128, then the entry
 * patched (entry 1: start LBA at +8, sector count at +12). */
static struct input_kind partition_inputs[] = {
	{ .name = "MBR entry size past the end of the disk", .build = BUILD_MBR_LE32, .cls = IN_BAD_TABLE, .lvm = 5,
	  .offset = MBR_ENTRY1 + 12, .value = 0x7FFFFFFF, .located = true },
	{ .name = "MBR entry start past the end of the disk", .build = BUILD_MBR_LE32, .cls = IN_BAD_TABLE, .lvm = 5,
	  .offset = MBR_ENTRY1 + 8, .value = 0x7FFFFF00, .located = true },
};

/* ---- The command table. ---- */

/* How the documented exit status of a command depends on the input. */
enum expect {
	EXPECT_ERROR,          /* 2 */
	EXPECT_SCAN,           /* vmfs-restore: 0 a volume found, 1 none */
	EXPECT_REFUSED_WRITE,  /* vmfs-restore --write: 1 none found, else refused (2) */
	EXPECT_BACKUP,         /* vmfs-backup: 0 a source with a volume is backed up, 1 none */
	EXPECT_DIFF,           /* vmfs-diff: 1 both sides open (damage is a difference), 2 a side unreadable */
	EXPECT_BACKUP_TARGET,  /* --from-backup GOOD_BACKUP P: 0 dry run when the size matches, else 2 */
};

/* Placeholders in the arguments: P the hostile input, GOOD the intact LVM5
 * image, BKP its backup, OUT a backup file to write, UNDO an undo file. */
struct command {
	const char *args[10];
	enum expect expect;
	bool json;
};

static const struct command commands[] = {
	{ { "vmfs-inspect", "P" }, EXPECT_ERROR, false },
	{ { "vmfs-inspect", "--json", "P" }, EXPECT_ERROR, true },
	{ { "vmfs-restore", "P" }, EXPECT_SCAN, false },
	{ { "vmfs-restore", "--json", "P" }, EXPECT_SCAN, true },
	{ { "vmfs-restore", "--deep", "P" }, EXPECT_SCAN, false },
	{ { "vmfs-restore", "--write", "--undo-file", "UNDO", "P" }, EXPECT_REFUSED_WRITE, false },
	{ { "vmfs-restore", "--from-backup", "BKP", "P" }, EXPECT_BACKUP_TARGET, false },
	{ { "vmfs-restore", "--json", "--from-backup", "BKP", "P" }, EXPECT_BACKUP_TARGET, true },
	{ { "vmfs-restore", "--from-backup", "P", "GOOD" }, EXPECT_ERROR, false },
	{ { "vmfs-backup", "-q", "P", "-O", "OUT" }, EXPECT_BACKUP, false },
	{ { "vmfs-backup", "--verify", "P" }, EXPECT_ERROR, false },
	{ { "vmfs-backup", "--json", "--verify", "P" }, EXPECT_ERROR, true },
	{ { "vmfs-diff", "P", "GOOD" }, EXPECT_DIFF, false },
	{ { "vmfs-diff", "GOOD", "P" }, EXPECT_DIFF, false },
	{ { "vmfs-diff", "--json", "P", "GOOD" }, EXPECT_DIFF, true },
	{ { "vmfs-resignature", "--new-identity", "P" }, EXPECT_ERROR, false },
	{ { "vmfs-resignature", "--json", "--new-identity", "P" }, EXPECT_ERROR, true },
	{ { "vmfs-resignature", "--new-identity", "--write", "--undo-file", "UNDO", "P" }, EXPECT_ERROR, false },
	{ { "vmfs-resignature", "--lun", "5", "--write", "--undo-file", "UNDO", "P" }, EXPECT_ERROR, false },
};
#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The documented exit status of a command on an input (a bit per status),
 * and why: vmfs-inspect(1), vmfs-restore(1), vmfs-backup(1), vmfs-diff --help,
 * vmfs-resignature(1). */
static unsigned expected_status(const struct command *c, const struct input_kind *k, bool same_size,
				const char **why)
{
	if (k->cls == IN_NO_FILE) {
		*why = "PATH missing, unreadable, empty or a directory is an error";
		return 1u << 2;
	}
	switch (c->expect) {
	case EXPECT_ERROR:
		*why = "an error or a refusal";
		return 1u << 2;
	case EXPECT_SCAN:
		if (k->cls == IN_BAD_TABLE) {
			*why = "documented: 0 = a volume found, or 2 = an error (the partition table lies)";
			return 1u << 0 | 1u << 2;
		}
		if (k->cls == IN_BACKUP) {
			*why = "a backup file is not a disk: refused";
			return 1u << 2;
		}
		*why = k->cls == IN_VOLUME ? "documented: 0 = a volume found, 2 = found with damaged metadata (one line "
					     "per error)"
					   : "documented: 1 = no VMFS volume found";
		return k->cls == IN_VOLUME ? 1u << 0 | 1u << 2 : 1u << 1;
	case EXPECT_REFUSED_WRITE:
		if (k->cls == IN_VOLUME || k->cls == IN_BAD_TABLE) {
			*why = "--write on a damaged source must refuse (nothing is written)";
			return 1u << 2;
		}
		if (k->cls == IN_BACKUP) {
			*why = "a backup file is not a disk: refused";
			return 1u << 2;
		}
		*why = "documented: 1 = no VMFS volume found, nothing to write";
		return 1u << 1;
	case EXPECT_BACKUP:
		if (k->cls == IN_BACKUP) {
			*why = "a backup file is not a disk: refused (check it with --verify)";
			return 1u << 2;
		}
		if (k->cls == IN_NO_VOLUME) {
			*why = "documented: 1 = the source holds no VMFS volume, nothing backed up; or 0 = backed up "
			       "as it is (an LVM magic the scan refuses is still a damaged volume's)";
			return 1u << 0 | 1u << 1;
		}
		*why = "documented: 0 = the backup was written (a damaged volume is backed up as it is)";
		return 1u << 0;
	case EXPECT_DIFF:
		*why = k->cls == IN_BACKUP ? "documented: 2 = a side cannot be read (a damaged backup file)"
					   : "documented: 1 = different (both sides open: damage is a difference)";
		return k->cls == IN_BACKUP ? 1u << 2 : 1u << 1;
	case EXPECT_BACKUP_TARGET:
		if (k->cls == IN_BACKUP) {
			*why = "a backup file is not a restore target: refused";
			return 1u << 2;
		}
		*why = same_size ? "documented: 0 = dry run of the restore (the target has the backup's size)"
				 : "documented: 2 = the target's size differs from the backup's source: refused";
		return same_size ? 1u << 0 : 1u << 2;
	}
	return 0;
}

/* ---- The workspace of one input: a folder every user can enter, since
 * the unreadable input is read as uid 65534 when the tests run as root. ---- */

#define NOBODY "65534"

struct workspace {
	char dir[64];
	char input[128];
	char good[128];
	char backup[128];
	char out_dir[128];
	char out[160];
	char undo[160];
};

static struct workspace ws;

static void workspace_remove(void)
{
	if (!ws.dir[0])
		return;
	if (chdir("/") != 0)
		return;
	chmod(ws.input, 0600);
	const char *argv[] = { "/bin/rm", "-rf", ws.dir, NULL };
	tool_result r = run_argv(argv);
	tool_result_free(&r);
	ws.dir[0] = 0;
}

static void workspace_make(void)
{
	snprintf(ws.dir, sizeof(ws.dir), "/tmp/vmfs-hostile-tools.XXXXXX");
	cr_assert_not_null(mkdtemp(ws.dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(ws.dir, 0755), 0);
	snprintf(ws.input, sizeof(ws.input), "%s/input", ws.dir);
	snprintf(ws.good, sizeof(ws.good), "%s/good.img", ws.dir);
	snprintf(ws.backup, sizeof(ws.backup), "%s/good.vmfsbak", ws.dir);
	snprintf(ws.out_dir, sizeof(ws.out_dir), "%s/w", ws.dir);
	snprintf(ws.out, sizeof(ws.out), "%s/out.vmfsbak", ws.out_dir);
	snprintf(ws.undo, sizeof(ws.undo), "%s/undo", ws.out_dir);
	cr_assert_eq(mkdir(ws.out_dir, 0777), 0);
	cr_assert_eq(chmod(ws.out_dir, 0777), 0);
	/* Tools run here: a file a tool leaves in its working folder is seen. */
	cr_assert_eq(chdir(ws.dir), 0);
}

static void fini_workspace(void)
{
	workspace_remove();
}

/* ---- Builders: one function per input_build. ---- */

static void volume_fixture(unsigned lvm, const char *path)
{
	char version[8];
	snprintf(version, sizeof(version), "%u", lvm);
	mkfixture("volume", "--lvm", version, "--size", "300M", "--pe-size", "64M", path, NULL);
}

static void build_empty(const struct input_kind *k)
{
	(void)k;
	int fd = open(ws.input, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0, "create %s: %s", ws.input, strerror(errno));
	close(fd);
}

static void build_directory(const struct input_kind *k)
{
	(void)k;
	cr_assert_eq(mkdir(ws.input, 0755), 0);
}

static void build_unreadable(const struct input_kind *k)
{
	/* An intact volume: only the mode stops the tools from reading it. */
	volume_fixture(k->lvm, ws.input);
	cr_assert_eq(chmod(ws.input, 0000), 0);
}

static void build_missing(const struct input_kind *k)
{
	(void)k;
}

static void build_random(const struct input_kind *k)
{
	int fd = open(ws.input, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)k->offset), 0);
	uint8_t *buf = malloc(k->length);
	cr_assert_not_null(buf);
	fill_pattern(buf, k->length, 0x5EED0000u + (uint64_t)k->offset);
	cr_assert_eq(pwrite(fd, buf, k->length, (off_t)k->value), (ssize_t)k->length);
	free(buf);
	close(fd);
}

static void build_cut(const struct input_kind *k)
{
	volume_fixture(k->lvm, ws.input);
	cr_assert_eq(truncate(ws.input, (off_t)k->offset), 0);
}

static void build_le32(const struct input_kind *k)
{
	volume_fixture(k->lvm, ws.input);
	patch_le32(ws.input, (uint64_t)k->offset, (uint32_t)k->value);
}

static void build_le64(const struct input_kind *k)
{
	volume_fixture(k->lvm, ws.input);
	patch_le64(ws.input, (uint64_t)k->offset, k->value);
}

static void build_fill(const struct input_kind *k)
{
	volume_fixture(k->lvm, ws.input);
	uint8_t buf[512];
	cr_assert_leq(k->length, sizeof(buf));
	memset(buf, (int)k->value, k->length);
	patch_file(ws.input, (uint64_t)k->offset, buf, k->length);
}

/* The absolute offset in the good backup a backup row refers to. */
static size_t backup_offset(const struct input_kind *k, const uint8_t *file, size_t size)
{
	int64_t at = k->offset;
	if (k->anchor == FROM_END)
		at += (int64_t)size;
	if (k->anchor == IN_REGION) {
		uint32_t count = 0;
		for (int i = 0; i < 4; i++)
			count |= (uint32_t)file[24 + i] << (8 * i);
		cr_assert_lt(k->region, count, "the good backup has %u regions", count);
		uint64_t data = 0;
		for (int i = 0; i < 8; i++)
			data |= (uint64_t)file[BKP_HEADER + BKP_ENTRY * k->region + 64 + i] << (8 * i);
		at += (int64_t)data;
	}
	cr_assert(at >= 0 && (size_t)at < size, "offset %lld outside the %zu-byte backup", (long long)at, size);
	return (size_t)at;
}

static void build_backup_cut(const struct input_kind *k)
{
	size_t size;
	uint8_t *file = read_whole_file(ws.backup, &size);
	write_whole_file(ws.input, file, backup_offset(k, file, size));
	free(file);
}

static void build_backup_flip(const struct input_kind *k)
{
	size_t size;
	uint8_t *file = read_whole_file(ws.backup, &size);
	file[backup_offset(k, file, size)] ^= (uint8_t)k->value;
	write_whole_file(ws.input, file, size);
	free(file);
}

static void build_mbr_le32(const struct input_kind *k)
{
	mkfixture("disk", "--table", "mbr", "--disk-size", "400M", "--vol", "lvm=5,start=128,pe-size=64M", ws.input,
		  NULL);
	patch_le32(ws.input, (uint64_t)k->offset, (uint32_t)k->value);
}

static void (*const builders[])(const struct input_kind *) = {
	[BUILD_EMPTY] = build_empty,
	[BUILD_DIRECTORY] = build_directory,
	[BUILD_UNREADABLE] = build_unreadable,
	[BUILD_MISSING] = build_missing,
	[BUILD_RANDOM] = build_random,
	[BUILD_CUT] = build_cut,
	[BUILD_LE32] = build_le32,
	[BUILD_LE64] = build_le64,
	[BUILD_FILL] = build_fill,
	[BUILD_BACKUP_CUT] = build_backup_cut,
	[BUILD_BACKUP_FLIP] = build_backup_flip,
	[BUILD_MBR_LE32] = build_mbr_le32,
};

/* ---- Evidence that nothing was written. ---- */

struct file_state {
	bool exists;
	bool regular;
	uint64_t size;
	struct timespec mtime;
	uint8_t sha[SHA256_DIGEST_SIZE];
};

/* SHA-256 of a sparse file: its size, then every data segment's offset,
 * length and bytes (holes are not read, so a 300 MiB sparse image costs its
 * few KiB of data; a write anywhere changes the bytes or the segments). */
static void sparse_sha256(int fd, uint64_t size, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, sizeof(size), (const uint8_t *)&size);
	static uint8_t chunk[1 << 16];
	off_t pos = 0;
	while ((uint64_t)pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		cr_assert_gt(hole, data);
		uint64_t segment[2] = { (uint64_t)data, (uint64_t)(hole - data) };
		sha256_update(&ctx, sizeof(segment), (const uint8_t *)segment);
		for (off_t at = data; at < hole;) {
			size_t want = (size_t)(hole - at) < sizeof(chunk) ? (size_t)(hole - at) : sizeof(chunk);
			ssize_t got = pread(fd, chunk, want, at);
			cr_assert_gt(got, 0);
			sha256_update(&ctx, (size_t)got, chunk);
			at += got;
		}
		pos = hole;
	}
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

static struct file_state file_state_of(const char *path)
{
	struct file_state s = { 0 };
	struct stat st;
	if (lstat(path, &st) != 0)
		return s;
	s.exists = true;
	s.regular = S_ISREG(st.st_mode);
	s.size = (uint64_t)st.st_size;
	s.mtime = st.st_mtim;
	if (s.regular) {
		int fd = open(path, O_RDONLY); /* the tests' own uid: root reads a mode-0000 file */
		if (fd >= 0) {
			sparse_sha256(fd, s.size, s.sha);
			close(fd);
		}
	}
	return s;
}

static bool same_state(const struct file_state *a, const struct file_state *b)
{
	return a->exists == b->exists && a->regular == b->regular && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       memcmp(a->sha, b->sha, sizeof(a->sha)) == 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* ---- Running one command. ---- */

static bool tool_built(const char *tool)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", getenv("VMFS_TEST_BIN"), tool);
	return access(path, X_OK) == 0;
}

static const char *substitute(const char *arg)
{
	if (strcmp(arg, "P") == 0)
		return ws.input;
	if (strcmp(arg, "GOOD") == 0)
		return ws.good;
	if (strcmp(arg, "BKP") == 0)
		return ws.backup;
	if (strcmp(arg, "OUT") == 0)
		return ws.out;
	if (strcmp(arg, "UNDO") == 0)
		return ws.undo;
	return arg;
}

/* Runs a command of the table, as uid/gid 65534 through setpriv(1) when
 * as_nobody and the tests run as root. */
static tool_result run_command(const struct command *c, bool as_nobody)
{
	const char *argv[24];
	size_t n = 0;
	static char program[4200];
	if (as_nobody && geteuid() == 0) {
		argv[n++] = "/usr/bin/setpriv";
		argv[n++] = "--reuid=" NOBODY;
		argv[n++] = "--regid=" NOBODY;
		argv[n++] = "--clear-groups";
	}
	snprintf(program, sizeof(program), "%s/%s", getenv("VMFS_TEST_BIN"), c->args[0]);
	argv[n++] = program;
	for (size_t i = 1; i < sizeof(c->args) / sizeof(c->args[0]) && c->args[i]; i++)
		argv[n++] = substitute(c->args[i]);
	argv[n] = NULL;
	return run_argv(argv);
}

static void command_text(const struct command *c, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < sizeof(c->args) / sizeof(c->args[0]) && c->args[i] && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "", c->args[i]);
}

/* True when a line of text contains every one of the given needles. */
static bool line_with(const char *text, const char *a, const char *b)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		char *copy = strndup(line, n);
		cr_assert_not_null(copy);
		bool hit = strstr(copy, a) && (!b || strstr(copy, b));
		free(copy);
		if (hit)
			return true;
		line += n + (line[n] == '\n');
	}
	return false;
}

/* The first stderr line that does not start with "<program>: ", or NULL. */
static const char *unprefixed_line(const char *text, const char *program)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s: ", program);
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			return line;
		line += n + (line[n] == '\n');
	}
	return NULL;
}

/* Exactly one JSON document (an object) and nothing but white space after
 * it; its exit_status, when it has one, in *status_in_doc (else -1). */
static bool one_json_document(const char *text, int *status_in_doc, char *why, size_t len)
{
	*status_in_doc = -1;
	json_tokener *tok = json_tokener_new();
	cr_assert_not_null(tok);
	size_t n = strlen(text);
	json_object *doc = json_tokener_parse_ex(tok, text, (int)n);
	bool ok = false;
	if (!doc) {
		snprintf(why, len, "not JSON: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
	} else if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, len, "the document is not an object");
	} else {
		size_t end = json_tokener_get_parse_end(tok);
		while (end < n && strchr(" \t\r\n", text[end]))
			end++;
		if (end < n) {
			snprintf(why, len, "text after the document at byte %zu", end);
		} else {
			json_object *v;
			if (json_object_object_get_ex(doc, "exit_status", &v) && json_object_is_type(v, json_type_int))
				*status_in_doc = json_object_get_int(v);
			ok = true;
		}
	}
	json_object_put(doc);
	json_tokener_free(tok);
	return ok;
}

/* ---- The matrix for one input. ---- */

static void run_matrix(const struct input_kind *k)
{
	bool as_nobody = k->build == BUILD_UNREADABLE;
	if (as_nobody && geteuid() == 0 && access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("running as root without setpriv(1): a mode-0000 file is readable to root");
	workspace_make();
	volume_fixture(5, ws.good);
	tool_result r = run_tool("vmfs-backup", "-q", ws.good, "-O", ws.backup, NULL);
	cr_assert_eq(r.status, 0, "vmfs-backup of the good image: %s", r.err);
	tool_result_free(&r);
	cr_assert_eq(chmod(ws.backup, 0644), 0); /* readable by uid 65534 too */
	builders[k->build](k);

	struct file_state input0 = file_state_of(ws.input), good0 = file_state_of(ws.good),
			  backup0 = file_state_of(ws.backup);
	bool same_size = input0.regular && input0.size == good0.size;
	size_t entries0 = count_entries(ws.dir), out_entries0 = count_entries(ws.out_dir);
	size_t input_entries0 = k->build == BUILD_DIRECTORY ? count_entries(ws.input) : 0;
	bool have_diff = tool_built("vmfs-diff");
	if (!have_diff)
		cr_log_info("vmfs-diff is not built: its rows are skipped");

	for (size_t i = 0; i < NUM_COMMANDS; i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->args[0], "vmfs-diff") == 0 && !have_diff)
			continue;
		char text[160], ctx[256];
		command_text(c, text, sizeof(text));
		snprintf(ctx, sizeof(ctx), "[%s] %s", k->name, text);
		const char *why = "";
		unsigned want = expected_status(c, k, same_size, &why);

		r = run_command(c, as_nobody);

		/* No crash, and the documented status. */
		cr_expect_lt(r.status, 128, "%s: crashed (status %d = 128 + signal %d); stderr: %.1500s", ctx, r.status,
			     r.status - 128, r.err);
		cr_expect(r.status < 32 && (want & (1u << r.status)),
			  "%s: exit %d, expected %s%s%s (%s); stderr: %.700s", ctx, r.status,
			  want & 1 ? "0 " : "", want & 2 ? "1 " : "", want & 4 ? "2" : "", why, r.err);

		/* Diagnostics: prefixed lines; an error names the path and, where
		 * the damage has a place, an offset. */
		const char *bad = unprefixed_line(r.err, c->args[0]);
		cr_expect_null(bad, "%s: stderr line without the \"%s: \" prefix: %.300s", ctx, c->args[0], bad);
		if (r.status == 2) {
			cr_expect(line_with(r.err, ws.input, NULL), "%s: exit 2 but no stderr line names %s: %.700s", ctx,
				  ws.input, r.err);
			if (k->located && c->expect != EXPECT_BACKUP_TARGET)
				cr_expect(line_with(r.err, ws.input, "offset 0x"),
					  "%s: exit 2 but no stderr line names the path and an offset: %.700s", ctx, r.err);
		}

		/* JSON: one document, or nothing when the status is 2. */
		if (c->json) {
			if (r.out[0] == 0) {
				cr_expect_eq(r.status, 2, "%s: exit %d with an empty stdout (a JSON document expected)", ctx,
					     r.status);
			} else {
				int doc_status;
				char why_not[128];
				bool ok = one_json_document(r.out, &doc_status, why_not, sizeof(why_not));
				cr_expect(ok, "%s: stdout is not one JSON document (%s): %.300s", ctx, why_not, r.out);
				if (ok && doc_status >= 0)
					cr_expect_eq(doc_status, r.status, "%s: the JSON says exit_status %d, the tool exited %d",
						     ctx, doc_status, r.status);
			}
		}

		/* No write: the input and the good files unchanged; no undo file;
		 * a backup file only from a vmfs-backup that succeeded, and then a
		 * valid one; nothing else created. */
		struct file_state input1 = file_state_of(ws.input), good1 = file_state_of(ws.good),
				  backup1 = file_state_of(ws.backup);
		cr_expect(same_state(&input0, &input1), "%s: the input %s changed (%s)", ctx, ws.input,
			  !input1.exists ? "removed" : !input0.exists ? "created" : "bytes, size or mtime");
		cr_expect(same_state(&good0, &good1), "%s: the good image changed", ctx);
		cr_expect(same_state(&backup0, &backup1), "%s: the good backup changed", ctx);
		if (k->build == BUILD_DIRECTORY)
			cr_expect_eq(count_entries(ws.input), input_entries0, "%s: a file appeared in the input folder", ctx);
		bool undo_left = access(ws.undo, F_OK) == 0;
		cr_expect(!undo_left, "%s: an undo file was created (%s)", ctx, ws.undo);
		bool out_left = access(ws.out, F_OK) == 0;
		if (c->expect == EXPECT_BACKUP && r.status == 0) {
			cr_expect(out_left, "%s: exit 0 but no backup file", ctx);
			if (out_left) {
				tool_result v = run_tool("vmfs-backup", "--verify", ws.out, NULL);
				cr_expect_eq(v.status, 0, "%s: the backup it wrote does not verify: %.500s", ctx, v.err);
				tool_result_free(&v);
			}
		} else {
			cr_expect(!out_left, "%s: exit %d and a backup file was left (%s)", ctx, r.status, ws.out);
		}
		if (undo_left)
			unlink(ws.undo);
		if (out_left)
			unlink(ws.out);
		cr_expect_eq(count_entries(ws.dir), entries0, "%s: a file appeared in %s", ctx, ws.dir);
		cr_expect_eq(count_entries(ws.out_dir), out_entries0, "%s: a file appeared in %s", ctx, ws.out_dir);
		tool_result_free(&r);
	}
}

/* ---- One parameterized test per family. ---- */

#define FAMILY(test, table)                                                                      \
	ParameterizedTestParameters(hostile_tools, test)                                         \
	{                                                                                        \
		return cr_make_param_array(struct input_kind, table, sizeof(table) / sizeof(table[0])); \
	}                                                                                        \
	ParameterizedTest(struct input_kind *k, hostile_tools, test, .fini = fini_workspace)     \
	{                                                                                        \
		run_matrix(k);                                                                   \
	}

FAMILY(no_file, no_file_inputs)
FAMILY(random_bytes, random_inputs)
FAMILY(truncated, truncated_inputs)
FAMILY(wrong_magic, magic_inputs)
FAMILY(lying_fields, lying_inputs)
FAMILY(unterminated_strings, unterminated_inputs)
FAMILY(backup_truncated, backup_cut_inputs)
FAMILY(backup_bit_flipped, backup_flip_inputs)
FAMILY(partition_past_end, partition_inputs)
