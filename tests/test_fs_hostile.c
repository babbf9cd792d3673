/* The file-system layer on damaged and hostile copies of the corpus volumes:
 * directory loops, pointers and pointer blocks outside the volume, a cycle
 * through the resource files, lying sizes and counts. Each gives an error
 * value naming the path, the FD and the source offset of the bytes found
 * wrong; nothing crashes or hangs. Holes and to-be-zeroed blocks read as
 * zeros and are reported as such (format reference vmfs-fs-layer.md 6.5).
 *
 * The patched offsets are partition offsets on the images (LV + 0x1100000),
 * worked out from the format reference and checked before patching (the
 * original bytes are asserted first, so a wrong offset fails the test). */
#include "support/support.h"
#include "vmfs/discover/disk.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vmfs5: /directory/file5 = FD 0x03400004 (c0 r13) at LV 0x426800. */
#define V5_FILE5_FD 0x1526800ull
#define V5_FILE5_LENGTH (V5_FILE5_FD + 0x200 + 0x14)
#define V5_FILE5_PTR0 (V5_FILE5_FD + 0x400)
/* vmfs5: /directory (FD 0x02000004, c0 r8, LV 0x424000) content at LV 0x920000. */
#define V5_DIR_FD 0x1524000ull
#define V5_DIR_ENTRY2 (0x1A20000ull + 2 * 0x8C)
#define V5_ROOT_FD 0x1520000ull
#define V5_FDC_HEADER 0x1500000ull
/* vmfs6: /directory content at LV 0x8b20000; its first DIRENT block at content 0x11000. */
#define V6_DIR_CONTENT 0x9C20000ull
#define V6_DIR_FILE1 (V6_DIR_CONTENT + 0x11040)
#define V6_ROOT_FD 0x1820000ull
/* vmfs6: the PB2 of .sbc.sf (c0 r0 of .pb2.sf) at LV 0x1cb20000. */
#define V6_SBC_PB2 0x1DC20000ull
/* vmfs6: .pb2.sf = FD 0x01800004 (c0 r6) at LV 0x72C000. */
#define V6_PB2_FD 0x182C000ull

typedef struct image {
	vmfs_source *src;
	vmfs_disk disk;
	vmfs_fs *fs;
	vmfs_status open_status;
	vmfs_error open_err;
	char path[4096];
} image;

/* A sparse copy of a corpus image in the test's tmp folder. */
static const char *copy_image(const char *name)
{
	const char *from = corpus_image(name);
	const char *to = tmp_path(name);
	const char *argv[] = {"/bin/cp", "--sparse=always", from, to, NULL};
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "cp: %s", r.err);
	tool_result_free(&r);
	return to;
}

static void expect32(const char *path, uint64_t offset, uint32_t value)
{
	uint8_t b[4];
	read_file_at(path, offset, b, 4);
	cr_assert_eq(vmfs_le32(b), value, "at 0x%llx: 0x%08x, expected 0x%08x", (unsigned long long)offset,
		     vmfs_le32(b), value);
}

static void expect64(const char *path, uint64_t offset, uint64_t value)
{
	uint8_t b[8];
	read_file_at(path, offset, b, 8);
	cr_assert_eq(vmfs_le64(b), value, "at 0x%llx: 0x%016llx", (unsigned long long)offset,
		     (unsigned long long)vmfs_le64(b));
}

static void open_copy(const char *path, image *im)
{
	memset(im, 0, sizeof(*im));
	snprintf(im->path, sizeof(im->path), "%s", path);
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &im->src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_disk_analyse(im->src, NULL, &im->disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_geq(im->disk.num_devices, 1);
	vmfs_fs_member m = {im->src, im->disk.devices[0]};
	im->open_status = vmfs_fs_open(&m, 1, &im->fs, &im->open_err);
}

static void close_image(image *im)
{
	vmfs_fs_close(im->fs);
	vmfs_disk_free(&im->disk);
	vmfs_source_close(im->src);
}

static void expect_error(const vmfs_error *err, vmfs_status st, vmfs_status want, const char *path, uint64_t offset,
			 const char *words)
{
	char text[2048];
	vmfs_error_format(err, text, sizeof(text));
	cr_assert_eq(st, want, "status %s: %s", vmfs_status_name(st), text);
	cr_assert_str_eq(err->path, path, "%s", text);
	cr_assert_eq(err->offset, offset, "offset 0x%llx: %s", (unsigned long long)err->offset, text);
	cr_assert(strstr(err->reason, words), "no \"%s\" in: %s", words, text);
}

typedef struct walk_log {
	size_t entries, errors;
	vmfs_error first;
} walk_log;

static int log_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *f)
{
	(void)path, (void)ent, (void)f;
	((walk_log *)ctx)->entries++;
	return 0;
}

static int log_error(void *ctx, const vmfs_error *err)
{
	walk_log *w = ctx;
	if (!w->errors++)
		w->first = *err;
	return 0; /* go on */
}

static void loop_test(const char *name, uint64_t entry, const uint32_t orig[3], uint32_t target, uint64_t target_fd,
		      size_t entries_after)
{
	const char *path = copy_image(name);
	for (int i = 0; i < 3; i++)
		expect32(path, entry + 4 * i, orig[i]);
	patch_le32(path, entry, 2);          /* type: directory */
	patch_le32(path, entry + 4, target); /* FD address */
	patch_le32(path, entry + 8, 1);      /* generation of the target */
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK, "%s", im.open_err.reason);
	/* Stop at the first error (no error callback). */
	vmfs_walk_ops stop = {0};
	vmfs_error err;
	vmfs_status st = vmfs_fs_walk(im.fs, "/", &stop, &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/directory/file1", target_fd, "loop");
	/* With an error callback the walk reports the loop and goes on. */
	walk_log log = {0};
	vmfs_walk_ops go_on = {.entry = log_entry, .error = log_error, .ctx = &log};
	cr_assert_eq(vmfs_fs_walk(im.fs, "/", &go_on, &err), VMFS_OK);
	cr_assert_eq(log.errors, 1);
	cr_assert_str_eq(log.first.path, "/directory/file1");
	cr_assert_eq(log.entries, entries_after);
	close_image(&im);
}

Test(fs_hostile, vmfs5_directory_entry_to_itself)
{
	const uint32_t orig[3] = {3, 0x02400004, 2};
	loop_test("vmfs5-dissect.bin", V5_DIR_ENTRY2, orig, 0x02000004, V5_DIR_FD, 8 + 5);
}

Test(fs_hostile, vmfs5_directory_entry_to_root)
{
	const uint32_t orig[3] = {3, 0x02400004, 2};
	loop_test("vmfs5-dissect.bin", V5_DIR_ENTRY2, orig, 0x00000004, V5_ROOT_FD, 8 + 5);
}

Test(fs_hostile, vmfs6_hashed_directory_entry_to_root)
{
	const uint32_t orig[3] = {3, 0x02800004, 2};
	loop_test("vmfs6-dissect.bin", V6_DIR_FILE1, orig, 0x00000004, V6_ROOT_FD, 9 + 5);
}

static vmfs_status read_all(vmfs_fs *fs, const char *path, vmfs_error *err)
{
	vmfs_file *f;
	vmfs_status st = vmfs_fs_open_path(fs, path, &f, err);
	if (st != VMFS_OK)
		return st;
	static uint8_t buf[1 << 20];
	uint64_t off = 0;
	size_t got = 1;
	while (st == VMFS_OK && got) {
		st = vmfs_file_read(f, off, buf, sizeof(buf), &got, err);
		off += got;
	}
	vmfs_file_close(f);
	return st;
}

/* 8.2: an FB address past the end of the volume. */
Test(fs_hostile, vmfs5_pointer_outside_volume)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	expect32(path, V5_FILE5_PTR0, 0x381); /* FB block 14 */
	patch_le32(path, V5_FILE5_PTR0, 0xFFFFFFC1); /* FB block 0x3FFFFFF */
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK);
	vmfs_error err;
	vmfs_status st = read_all(im.fs, "/directory/file5", &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/directory/file5", V5_FILE5_PTR0, "outside");
	cr_assert(strstr(err.reason, "0x03400004"), "names the FD: %s", err.reason);
	close_image(&im);
}

/* 8.2: a pointer block (the PB2 of VMFS6 .sbc.sf) whose last entry points
 * past the volume: reading through it fails at the entry's offset. */
Test(fs_hostile, vmfs6_pointer_block_outside_volume)
{
	const char *path = copy_image("vmfs6-dissect.bin");
	uint64_t entry = V6_SBC_PB2 + 369 * 8;
	expect64(path, entry, 0x07F8000000008001ull); /* SFB c1 r255 (2.2 worked example) */
	patch_le64(path, entry, (0x7FFFFFFFull << 15) | 1);
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK, "%s", im.open_err.reason);
	vmfs_error err;
	vmfs_status st = read_all(im.fs, "/.sbc.sf", &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/.sbc.sf", entry, "outside");
	cr_assert(strstr(err.reason, "0x01000004") && strstr(err.reason, "0x17100000"),
		  "names the FD and the file offset: %s", err.reason);
	/* The files whose sub-blocks lie before it still read. */
	cr_assert_eq(read_all(im.fs, "/directory/file5", &err), VMFS_OK, "%s", err.reason);
	close_image(&im);

	/* Entry 0 maps the .sbc.sf header itself: the volume does not open, and
	 * the error points at the entry. */
	patch_le64(path, entry, 0x07F8000000008001ull);
	patch_le64(path, V6_SBC_PB2, (0x7FFFFFFFull << 15) | 1);
	open_copy(path, &im);
	expect_error(&im.open_err, im.open_status, VMFS_ERR_FORMAT, "/.sbc.sf", V6_SBC_PB2, "outside");
	cr_assert_null(im.fs);
	close_image(&im);
}

/* 8.2: file length past 64 TiB, and past what ZLA 1 can address. */
Test(fs_hostile, vmfs5_size_over_maximum)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	expect64(path, V5_FILE5_LENGTH, 8193);
	patch_le64(path, V5_FILE5_LENGTH, 1ull << 50);
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK);
	vmfs_file *f;
	vmfs_error err;
	vmfs_status st = vmfs_fs_open_path(im.fs, "/directory/file5", &f, &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/directory/file5", V5_FILE5_LENGTH, "64 TiB");
	close_image(&im);

	/* 256 pointers x 1 MiB: one byte more cannot be addressed by ZLA 1. */
	patch_le64(path, V5_FILE5_LENGTH, (256ull << 20) + 1);
	open_copy(path, &im);
	st = vmfs_fs_open_path(im.fs, "/directory/file5", &f, &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/directory/file5", V5_FILE5_LENGTH, "can address");
	close_image(&im);
}

/* 8.2: resource-file header counts (.fdc.sf, read during the bootstrap). */
Test(fs_hostile, vmfs5_fdc_header_counts)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	expect32(path, V5_FDC_HEADER, 32);
	expect32(path, V5_FDC_HEADER + 0x14, 64);
	patch_le32(path, V5_FDC_HEADER, 0);
	image im;
	open_copy(path, &im);
	expect_error(&im.open_err, im.open_status, VMFS_ERR_FORMAT, im.path, V5_FDC_HEADER, "resources per cluster");
	cr_assert_null(im.fs);
	close_image(&im);

	patch_le32(path, V5_FDC_HEADER, 32);
	patch_le32(path, V5_FDC_HEADER + 0x14, 0xFFFFFFFF);
	open_copy(path, &im);
	expect_error(&im.open_err, im.open_status, VMFS_ERR_FORMAT, im.path, V5_FDC_HEADER + 0x14, "do not fit");
	close_image(&im);

	patch_le32(path, V5_FDC_HEADER + 0x14, 64);
	patch_le32(path, V5_FDC_HEADER + 0x04, 0x10000000); /* clustersPerGroup: no longer the descriptor's */
	open_copy(path, &im);
	expect_error(&im.open_err, im.open_status, VMFS_ERR_FORMAT, im.path, V5_FDC_HEADER, "bootstrap");
	close_image(&im);
}

/* 8.2: the VMFS6 directory header's allocation-map count. */
Test(fs_hostile, vmfs6_directory_map_count)
{
	const char *path = copy_image("vmfs6-dissect.bin");
	expect32(path, V6_DIR_CONTENT, 0x00F50001);
	expect32(path, V6_DIR_CONTENT + 0xC, 1);
	patch_le32(path, V6_DIR_CONTENT + 0xC, 1000);
	image im;
	open_copy(path, &im);
	vmfs_file *dir;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory", &dir, &err), VMFS_OK);
	vmfs_dir *d;
	vmfs_status st = vmfs_dir_open(dir, &d, &err);
	expect_error(&err, st, VMFS_ERR_FORMAT, "/directory", V6_DIR_CONTENT + 0xC, "over 128");
	vmfs_file_close(dir);
	/* Looking a name up through it fails the same way. */
	st = vmfs_fs_open_path(im.fs, "/directory/file1", &dir, &err);
	cr_assert_eq(st, VMFS_ERR_FORMAT);
	close_image(&im);
}

/* 2.3, 8.2: .pb2.sf made to map itself through its own pointer block: a
 * cycle, refused with an error instead of recursing. */
Test(fs_hostile, vmfs6_pointer_block_cycle)
{
	const char *path = copy_image("vmfs6-dissect.bin");
	expect32(path, V6_PB2_FD + 0x1000, 0x01800004);   /* descAddr */
	expect32(path, V6_PB2_FD + 0x1000 + 0x44, 1);     /* ZLA 1 */
	patch_le32(path, V6_PB2_FD + 0x1000 + 0x44, 5);   /* ZLA 5: PB2 */
	patch_le64(path, V6_PB2_FD + 0x1600, 0x5);        /* ptr[0] = PB2 c0 r0: inside .pb2.sf itself */
	image im;
	open_copy(path, &im);
	expect_error(&im.open_err, im.open_status, VMFS_ERR_FORMAT, "/.pb2.sf", V6_PB2_FD + 0x1600, "cycle");
	close_image(&im);
}

/* 6.5: a to-be-zeroed block reads as zeros and is reported as TBZ. */
Test(fs_holes, vmfs5_tbz_block)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	expect32(path, V5_FILE5_PTR0, 0x381);
	patch_le32(path, V5_FILE5_PTR0, 0x381 | 0x20); /* bit 5: TBZ */
	image im;
	open_copy(path, &im);
	vmfs_file *f;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/file5", &f, &err), VMFS_OK);
	vmfs_segment seg;
	cr_assert_eq(vmfs_file_segment(f, 0, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_TBZ);
	cr_assert_eq(seg.length, 8193);
	static uint8_t buf[8193], zero[8193];
	memset(buf, 0xAA, sizeof(buf));
	size_t got;
	cr_assert_eq(vmfs_file_read(f, 0, buf, sizeof(buf), &got, &err), VMFS_OK);
	cr_assert_eq(got, 8193);
	cr_assert_eq(memcmp(buf, zero, sizeof(buf)), 0, "a TBZ block reads as zeros, not as the old data");
	vmfs_file_close(f);
	close_image(&im);
}

/* Holes (null entries) and TBZ entries in a VMFS6 pointer block. */
Test(fs_holes, vmfs6_hole_and_tbz_in_pointer_block)
{
	const char *path = copy_image("vmfs6-dissect.bin");
	expect64(path, V6_SBC_PB2 + 8, 0x0460000000000001ull);
	expect64(path, V6_SBC_PB2 + 16, 0x0468000000000001ull);
	patch_le64(path, V6_SBC_PB2 + 8, 0);                            /* file MiB 1: hole */
	patch_le64(path, V6_SBC_PB2 + 16, 0x0468000000000001ull | 0x80); /* file MiB 2: TBZ bit 7 */
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK, "%s", im.open_err.reason);
	vmfs_file *f;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/.sbc.sf", &f, &err), VMFS_OK);
	vmfs_segment seg;
	cr_assert_eq(vmfs_file_segment(f, 0, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_DATA);
	cr_assert_eq(seg.length, 1u << 20, "data stops where the hole starts");
	cr_assert_eq(seg.source_offset, 0x8b00000 + 0x1100000);
	cr_assert_eq(vmfs_file_segment(f, 0x100000 + 5, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_HOLE);
	cr_assert_eq(seg.start, 0x100005);
	cr_assert_eq(seg.length, 0x100000 - 5);
	cr_assert_eq(vmfs_file_segment(f, 0x200000, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_TBZ);
	cr_assert_eq(seg.length, 0x100000);
	cr_assert_eq(vmfs_file_segment(f, 0x300000, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_DATA);
	cr_assert_eq(seg.lv, 0x8b00000 + 0x300000);
	/* Reads across data, hole and TBZ. */
	size_t len = 0x200000 + 2;
	uint8_t *buf = malloc(len);
	size_t got;
	cr_assert_eq(vmfs_file_read(f, 0x100000 - 1, buf, len, &got, &err), VMFS_OK);
	cr_assert_eq(got, len);
	for (size_t i = 1; i < len - 1; i++)
		cr_assert_eq(buf[i], 0, "byte 0x%zx of the hole/TBZ range", i);
	free(buf);
	vmfs_file_close(f);
	close_image(&im);
}

/* 6.4, 6.7: double indirect (ZLA 0x10D0) past 256 GiB, where vmfs-tools reads
 * it as single indirect and fails. vmfs5 file5 is rewritten into a 300 GiB
 * sparse file: ptr[0] = PB c0 r0 (.pbc.sf, file offset 0x20000, LV 0x720000),
 * whose entry 300 = PB2 c0 r0 (.pb2.sf, LV 0xb20000), whose entry 0 = file5's
 * own data block. Everything else is a hole; the data sits at 300 GiB. */
#define V5_PBC_ITEM0 0x1820000ull
#define V5_PB2_ITEM0 0x1C20000ull
Test(fs_holes, vmfs5_double_indirect_past_256_gib)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	uint8_t zero[0x1000], buf[0x1000];
	memset(zero, 0, sizeof(zero));
	read_file_at(path, V5_PBC_ITEM0, buf, sizeof(buf));
	cr_assert_eq(memcmp(buf, zero, sizeof(buf)), 0, "the unused PB item is zero");
	read_file_at(path, V5_PB2_ITEM0, buf, sizeof(buf));
	cr_assert_eq(memcmp(buf, zero, sizeof(buf)), 0, "the unused PB2 item is zero");
	expect32(path, V5_FILE5_FD + 0x200 + 0x44, 1);
	const uint64_t at = 300ull << 30, length = at + 8193;
	patch_le32(path, V5_FILE5_FD + 0x200 + 0x44, 0x10D0);
	patch_le64(path, V5_FILE5_LENGTH, length);
	patch_le32(path, V5_FILE5_PTR0, 0x3);              /* PB c0 r0 */
	patch_le32(path, V5_PBC_ITEM0 + 300 * 4, 0x5);     /* PB2 c0 r0 */
	patch_le32(path, V5_PB2_ITEM0, 0x381);             /* FB block 14 */
	image im;
	open_copy(path, &im);
	cr_assert_eq(im.open_status, VMFS_OK, "%s", im.open_err.reason);
	vmfs_file *f;
	vmfs_error err;
	char text[2048];
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/file5", &f, &err), VMFS_OK, "%s",
		     vmfs_error_format(&err, text, sizeof(text)));
	cr_assert_eq(vmfs_file_fd(f)->length, length);
	vmfs_segment seg;
	cr_assert_eq(vmfs_file_segment(f, 0, 0, &seg, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
	cr_assert_eq(seg.kind, VMFS_SEGMENT_HOLE);
	cr_assert_eq(seg.length, at, "one hole up to 300 GiB: 0x%llx", (unsigned long long)seg.length);
	cr_assert_eq(vmfs_file_segment(f, at, 0, &seg, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
	cr_assert_eq(seg.kind, VMFS_SEGMENT_DATA);
	cr_assert_eq(seg.lv, 0xe00000);
	cr_assert_eq(seg.length, 8193);
	/* The bytes at 300 GiB are file5's: compare with the untouched image. */
	static uint8_t got_bytes[8193], want[8193];
	size_t got;
	cr_assert_eq(vmfs_file_read(f, at, got_bytes, sizeof(got_bytes), &got, &err), VMFS_OK);
	cr_assert_eq(got, 8193);
	read_file_at(path, 0xe00000 + 0x1100000, want, sizeof(want));
	cr_assert_eq(memcmp(got_bytes, want, sizeof(want)), 0);
	cr_assert_eq(vmfs_file_read(f, at - 100, got_bytes, 200, &got, &err), VMFS_OK);
	cr_assert_eq(memcmp(got_bytes, zero, 100), 0);
	cr_assert_eq(memcmp(got_bytes + 100, want, 100), 0);
	vmfs_file_close(f);
	close_image(&im);
}

/* Random damage to the metadata a reader walks (FDs, directory contents,
 * resource headers): for every damaged copy, opening, walking and mapping
 * every file ends with data or an error value, never a crash (the suite runs
 * under ASan/UBSan too) or a hang. Deterministic seeds; the original bytes
 * are put back after each round. */
typedef struct damage_walk {
	size_t entries, errors, segments;
} damage_walk;

static int damage_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *f)
{
	damage_walk *w = ctx;
	(void)path, (void)ent;
	w->entries++;
	uint64_t len = vmfs_file_fd(f)->length, off = 0;
	static uint8_t buf[1 << 16];
	/* Segments, not whole reads: a damaged length may claim terabytes of holes. */
	for (unsigned n = 0; off < len && n < 256; n++) {
		vmfs_segment seg;
		vmfs_error err;
		if (vmfs_file_segment(f, off, 0, &seg, &err) != VMFS_OK) {
			w->errors++;
			break;
		}
		w->segments++;
		size_t got;
		if (vmfs_file_read(f, off, buf, seg.length < sizeof(buf) ? (size_t)seg.length : sizeof(buf), &got, &err) !=
		    VMFS_OK)
			w->errors++;
		off += seg.length;
	}
	return 0;
}

static int damage_error(void *ctx, const vmfs_error *err)
{
	cr_assert(err->reason[0], "an error says what is wrong");
	((damage_walk *)ctx)->errors++;
	return 0;
}

Test(fs_hostile, random_metadata_damage, .timeout = 300)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	static const struct {
		uint64_t start, len;
	} regions[] = {
		{0x1500000, 0x60},    /* .fdc.sf header */
		{0x1520000, 0x8000},  /* the 16 FDs of cluster 0 */
		{0x1600000, 0x578},   /* root directory content */
		{0x1A20000, 0x460},   /* /directory content */
		{0x1900000, 0x60},    /* .sbc.sf header */
	};
	uint64_t state = 0x9E3779B97F4A7C15ull;
	size_t opened = 0, failed = 0, walk_errors = 0;
	for (unsigned round = 0; round < 60; round++) {
		uint8_t rnd[64];
		state ^= round;
		fill_pattern(rnd, sizeof(rnd), state + round);
		unsigned r = rnd[0] % (sizeof(regions) / sizeof(regions[0]));
		unsigned count = 1 + rnd[1] % 6;
		uint64_t offs[8];
		uint8_t saved[8][8];
		for (unsigned k = 0; k < count; k++) {
			offs[k] = regions[r].start + (vmfs_le32(rnd + 4 + 4 * k) % regions[r].len & ~7ull);
			read_file_at(path, offs[k], saved[k], 8);
			patch_file(path, offs[k], rnd + 32 + 4 * k, rnd[2 + k % 2] % 8 + 1);
		}
		image im;
		open_copy(path, &im);
		if (im.open_status == VMFS_OK) {
			opened++;
			damage_walk w = {0};
			vmfs_walk_ops ops = {.entry = damage_entry, .error = damage_error, .ctx = &w};
			vmfs_error err;
			vmfs_status st = vmfs_fs_walk(im.fs, "/", &ops, &err);
			cr_assert(st == VMFS_OK || err.reason[0]);
			walk_errors += w.errors;
		} else {
			failed++;
			cr_assert(im.open_err.reason[0]);
		}
		close_image(&im);
		for (unsigned k = count; k-- > 0;)
			patch_file(path, offs[k], saved[k], 8);
	}
	cr_assert_eq(opened + failed, 60);
	cr_assert_gt(opened, 0, "some damage leaves the volume readable");
	cr_assert_gt(failed + walk_errors, 0, "the damage was noticed");
	cr_log_info("random damage: %zu rounds opened (%zu errors while walking), %zu refused at open", opened,
		    walk_errors, failed);
}

/* 5.3, 4.4, 8.2: symbolic links inside a path. vmfs5 /directory/symlink
 * (FD 0x03800004 at LV 0x427000, its target in sub-block c4 r1 at LV
 * 0x922000) is given other targets. */
#define V5_SYMLINK_LENGTH 0x1527214ull
#define V5_SYMLINK_TARGET 0x1A22000ull
static void set_link(const char *path, const char *target)
{
	patch_file(path, V5_SYMLINK_TARGET, target, strlen(target));
	patch_le64(path, V5_SYMLINK_LENGTH, strlen(target));
}

static vmfs_status lookup(const char *image_path, const char *path, uint32_t *address, vmfs_error *err)
{
	image im;
	open_copy(image_path, &im);
	cr_assert_eq(im.open_status, VMFS_OK);
	vmfs_file *f;
	vmfs_status st = vmfs_fs_open_path(im.fs, path, &f, err);
	if (st == VMFS_OK) {
		*address = vmfs_file_address(f);
		vmfs_file_close(f);
	}
	close_image(&im);
	return st;
}

Test(fs_hostile, symlinks_inside_paths)
{
	const char *path = copy_image("vmfs5-dissect.bin");
	uint8_t b[5];
	read_file_at(path, V5_SYMLINK_TARGET, b, 5);
	cr_assert_eq(memcmp(b, "file4", 5), 0);
	expect64(path, V5_SYMLINK_LENGTH, 5);
	uint32_t addr = 0;
	vmfs_error err;
	set_link(path, ".");
	cr_assert_eq(lookup(path, "/directory/symlink/file4", &addr, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(addr, 0x03000004);
	set_link(path, "/vmfs/volumes/VMFS5 Test/directory");
	cr_assert_eq(lookup(path, "/directory/symlink/file5", &addr, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(addr, 0x03400004);
	set_link(path, "/vmfs/volumes/61137dd5-df6bc2c8-f0e7-000c29801686/directory");
	cr_assert_eq(lookup(path, "/directory/symlink/file5", &addr, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(addr, 0x03400004);
	set_link(path, "/vmfs/volumes/other/directory");
	cr_assert_eq(lookup(path, "/directory/symlink/file5", &addr, &err), VMFS_ERR_UNSUPPORTED);
	cr_assert(strstr(err.reason, "leaves this volume"), "%s", err.reason);
	set_link(path, "symlink");
	cr_assert_eq(lookup(path, "/directory/symlink/x", &addr, &err), VMFS_ERR_FORMAT);
	cr_assert(strstr(err.reason, "loop"), "%s", err.reason);
	cr_assert_str_eq(err.path, "/directory/symlink");
	/* The last component is not followed: the link itself. */
	cr_assert_eq(lookup(path, "/directory/symlink", &addr, &err), VMFS_OK);
	cr_assert_eq(addr, 0x03800004);
}
