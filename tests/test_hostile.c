/* Hostile inputs: every case must give a clear error naming the path and the
 * offset, exit status 2, no crash (sanitizers in the SANITIZE=1 run) and no
 * change to the source. The table drives the damaged-field cases: one row per
 * field of each structure, patched into a freshly generated volume. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Partition offsets in a generated LVM5 volume image (format reference 1, 3.1,
 * 4.0, 4.1, 4.3, 5.2) and LVM6 (M = 0x1000). */
#define HDR5 0x100000u
#define VOL5 0x100200u
#define SD5 0x17E200u
#define PE5 0x180600u
#define HDR6 0x100000u
#define FS 0x1300000u

enum patch_kind { PATCH_LE32, PATCH_LE64, PATCH_FILL };

/* Criterion hands parameters to a re-executed worker, so the table holds
 * text in arrays, not pointers. */
struct hostile_case {
	char name[48];
	unsigned lvm;               /* volume version generated */
	uint64_t offset;            /* where to patch */
	enum patch_kind kind;
	uint64_t value;             /* value, or fill byte */
	uint32_t fill_len;
	char code[32];              /* finding code expected in the JSON */
	char message_part[64];      /* text expected on the stderr line */
	uint64_t error_offset;      /* offset the stderr line must name */
};

static struct hostile_case cases[] = {
	{ "lvm magic flipped", 5, HDR5, PATCH_LE32, 0xC001D00E, 0, "nothing-found", "magic 0xc001d00e", HDR5 },
	{ "numVolumes 0xffffffff", 5, HDR5 + 0x66, PATCH_LE32, 0xFFFFFFFF, 0, "count-exceeds-maximum", "numVolumes 4294967295", HDR5 + 0x66 },
	{ "numPEs 0xffffffff", 5, HDR5 + 0x6A, PATCH_LE32, 0xFFFFFFFF, 0, "count-exceeds-maximum", "numPEs 4294967295", HDR5 + 0x6A },
	{ "numPEMaps 0xffffffff", 5, HDR5 + 0xBE, PATCH_LE32, 0xFFFFFFFF, 0, "count-exceeds-maximum", "numPEMaps 4294967295", HDR5 + 0xBE },
	{ "lastPEIndex 0xffffffff", 5, HDR5 + 0x6E, PATCH_LE32, 0xFFFFFFFF, 0, "count-exceeds-maximum", "lastPEIndex", HDR5 + 0x6E },
	{ "totalBytes 2^63", 5, HDR5 + 0x5E, PATCH_LE64, 1ull << 63, 0, "truncated", "9223372036854775808", HDR5 + 0x5E },
	{ "totalBytes 0", 5, HDR5 + 0x5E, PATCH_LE64, 0, 0, "total-bytes-invalid", "totalBytes 0", HDR5 + 0x5E },
	{ "dataOffset 2^63", 5, HDR5 + 0x7A, PATCH_LE64, 1ull << 63, 0, "data-offset-invalid", "dataOffset 0x8000000000000000", HDR5 + 0x7A },
	{ "diskBlockSize 7", 5, HDR5 + 0x5A, PATCH_LE32, 7, 0, "disk-block-size", "diskBlockSize is 7", HDR5 + 0x5A },
	{ "LVM major 9", 5, HDR5 + 0x04, PATCH_LE32, 9, 0, "lvm-version-unknown", "major version 9", HDR5 + 0x04 },
	{ "ext metadata loop", 5, HDR5 + 0xC2, PATCH_LE64, 0x100000, 0, "ext-region-invalid", "0x100000", HDR5 },
	{ "ext metadata past end", 5, HDR5 + 0xC2, PATCH_LE64, 1ull << 62, 0, "ext-region-invalid", "0x4000000000000000", HDR5 },
	{ "volume name unterminated", 5, VOL5 + 0x14, PATCH_FILL, 'N', 64, "name-unterminated", "without a terminating NUL", VOL5 + 0x14 },
	{ "numDevs 0xffffffff", 5, VOL5 + 0x90, PATCH_LE32, 0xFFFFFFFF, 0, "count-exceeds-maximum", "numDevs 4294967295", VOL5 + 0x90 },
	{ "device name unterminated", 5, SD5, PATCH_FILL, 'D', 256, "name-unterminated", "device name 0", SD5 },
	{ "PE length 2^63", 5, PE5 + 0x19, PATCH_LE64, 1ull << 63, 0, "pe-outside-device", "length 0x8000000000000000", PE5 },
	{ "PE pOffset wraps", 5, PE5 + 0x09, PATCH_LE64, UINT64_MAX - 10, 0, "pe-outside-device", "pOffset 0xfffffffffffffff5", PE5 },
	{ "descriptor magic flipped", 5, FS, PATCH_LE32, 0x2FABF15D, 0, "descriptor-missing", "magic 0x2fabf15d", FS },
	{ "descriptor volume id", 5, FS + 0xB1, PATCH_LE32, 0x12345678, 0, "descriptor-volume-mismatch", "12345678", FS + 0xB1 },
	{ "label unterminated", 5, FS + 0x1D, PATCH_FILL, 'A', 128, "label-unterminated", "label fills all 128 bytes", FS + 0x1D },
	{ "LVM6 mdAlignment 3", 6, HDR6 + 0xCA, PATCH_LE32, 3, 0, "md-alignment-invalid", "mdAlignment 3", HDR6 + 0xCA },
	{ "LVM6 mdAlignment 2^31", 6, HDR6 + 0xCA, PATCH_LE32, 0x80000000, 0, "md-alignment-invalid", "mdAlignment 2147483648", HDR6 + 0xCA },
	{ "LVM6 numVolumes 2", 6, HDR6 + 0x66, PATCH_LE32, 2, 0, "count-exceeds-maximum", "maximum of 1", HDR6 + 0x66 },
};

ParameterizedTestParameters(hostile, damaged_field)
{
	return cr_make_param_array(struct hostile_case, cases, sizeof(cases) / sizeof(cases[0]));
}

static void copy_file(const char *from, const char *to)
{
	const char *argv[] = { "/bin/cp", "--sparse=always", from, to, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "cp: %s", r.err);
	tool_result_free(&r);
}

/* Runs vmfs-inspect (text and JSON) on path and checks the hostile-input
 * contract; code/part/offset may be NULL / VMFS_NO_OFFSET when not checked. */
static void expect_error(const char *path, const char *code, const char *part, uint64_t offset)
{
	const char *pristine = tmp_path("pristine.copy");
	struct stat st;
	bool regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (regular)
		copy_file(path, pristine);

	tool_result r = run_tool("vmfs-inspect", path, NULL);
	cr_assert_eq(r.status, 2, "%s: exit %d (want 2); stderr: %s", path, r.status, r.err);
	cr_assert_neq(r.err[0], 0, "no diagnostic on stderr");
	cr_assert_not_null(strstr(r.err, path), "stderr does not name the path: %s", r.err);
	if (part)
		cr_assert_not_null(strstr(r.err, part), "stderr lacks \"%s\": %s", part, r.err);
	if (offset != UINT64_MAX) {
		char want[64];
		snprintf(want, sizeof(want), "offset 0x%llx ", (unsigned long long)offset);
		cr_assert_not_null(strstr(r.err, want), "stderr lacks \"%s\": %s", want, r.err);
	}
	/* Each diagnostic is one line starting with the program name. */
	for (const char *line = r.err; *line; line = strchr(line, '\n') + 1) {
		cr_assert_eq(strncmp(line, "vmfs-inspect: ", 14), 0, "unexpected stderr line: %s", line);
		if (!strchr(line, '\n'))
			break;
	}
	tool_result_free(&r);

	r = run_tool("vmfs-inspect", "--json", path, NULL);
	cr_assert_eq(r.status, 2);
	json_object *doc = parse_json(r.out);
	if (code)
		cr_assert_not_null(strstr(r.out, code), "JSON lacks finding %s", code);
	json_object_put(doc);
	tool_result_free(&r);
	if (regular)
		cr_assert(files_equal(path, pristine), "vmfs-inspect changed %s", path);
}

ParameterizedTest(struct hostile_case *c, hostile, damaged_field)
{
	const char *image = tmp_path("volume.img");
	char version[4];
	snprintf(version, sizeof(version), "%u", c->lvm);
	mkfixture("volume", "--lvm", version, "--size", "600M", image, NULL);
	switch (c->kind) {
	case PATCH_LE32: patch_le32(image, c->offset, (uint32_t)c->value); break;
	case PATCH_LE64: patch_le64(image, c->offset, c->value); break;
	case PATCH_FILL: {
		uint8_t buf[512];
		memset(buf, (int)c->value, c->fill_len);
		patch_file(image, c->offset, buf, c->fill_len);
		break;
	}
	}
	cr_log_info("case: %s", c->name);
	expect_error(image, c->code, c->message_part, c->error_offset);
}

Test(hostile, empty_file)
{
	const char *path = tmp_path("empty.img");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	expect_error(path, NULL, "empty file", 0);
}

Test(hostile, directory)
{
	const char *path = tmp_path("a-directory");
	cr_assert_eq(mkdir(path, 0755), 0);
	expect_error(path, NULL, "is a directory", UINT64_MAX);
}

Test(hostile, missing_file)
{
	expect_error(tmp_path("does-not-exist.img"), NULL, "No such file", UINT64_MAX);
}

Test(hostile, random_bytes)
{
	const char *path = tmp_path("random.img");
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	uint64_t x = 0x9E3779B97F4A7C15ull; /* fixed xorshift seed: the same bytes each run */
	for (size_t i = 0; i < (4u << 20) / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fwrite(&x, 8, 1, f);
	}
	fclose(f);
	expect_error(path, "nothing-found", "no partition table and no VMFS structure", 0x100000);
}

Test(hostile, truncated_volume)
{
	const char *path = tmp_path("truncated.img");
	mkfixture("volume", "--lvm", "5", "--size", "600M", path, NULL);
	cr_assert_eq(truncate(path, 3u << 20), 0);
	expect_error(path, "truncated", "only 3145728 bytes exist", HDR5 + 0x5E);
	expect_error(path, "truncated", "the image ends before the volume does", HDR5 + 0x5E);
}

/* Cut inside each structure: header, volume table, PE table, descriptor. */
Test(hostile, truncated_at_each_structure)
{
	const uint64_t cuts[] = { HDR5 + 0x40, VOL5 + 0x100, SD5 + 0x10, PE5 + 0x40, FS + 0x100 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		const char *path = tmp_path("cut.img");
		unlink(path);
		mkfixture("volume", "--lvm", "5", "--size", "600M", path, NULL);
		cr_assert_eq(truncate(path, (off_t)cuts[i]), 0);
		expect_error(path, "truncated", NULL, UINT64_MAX);
	}
}

Test(hostile, partition_past_end_of_disk)
{
	const char *path = tmp_path("past-end.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", path, NULL);
	/* MBR entry 1 size field (0x1BE + 0xC): claim far more sectors than exist. */
	patch_le32(path, 0x1BE + 0xC, 0x7FFFFFFF);
	expect_error(path, "partition-past-end", "extends past the end", 128 * 512);
}

Test(hostile, vmfs_partition_without_header)
{
	const char *path = tmp_path("wiped-header.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6", path, NULL);
	uint8_t zero[512] = { 0 };
	patch_file(path, 0x100000 + HDR6, zero, sizeof(zero));
	expect_error(path, "no-lvm-header", "has the VMFS type", 0x200000);
}
