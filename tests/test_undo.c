/* Undo files: capture, save, write, load, check the target, restore byte for
 * byte; every kind of damage to the file is refused, and so is a target that
 * is not the one the file was made for (style practice 7). */
#include "tests/support/support.h"
#include "vmfs/core/le.h"
#include "vmfs/repair/undo.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SMALL_SIZE (1u << 20)

/* Recomputes the header CRC and the trailer CRC of an undo file image. */
static void fix_crcs(uint8_t *f, size_t len)
{
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, 0);
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, (uint32_t)crc32(0, f, VMFS_UNDO_HEADER_SIZE));
	vmfs_put_le32(f + len - 4, (uint32_t)crc32(0, f, (uInt)(len - VMFS_UNDO_TRAILER_SIZE)));
}

/* A 1 MiB target of random bytes. */
static const char *small_target(const char *name)
{
	const char *path = tmp_path(name);
	uint8_t *buf = malloc(SMALL_SIZE);
	cr_assert_not_null(buf);
	fill_pattern(buf, SMALL_SIZE, 7);
	write_whole_file(path, buf, SMALL_SIZE);
	free(buf);
	return path;
}

static const struct {
	uint64_t offset;
	uint32_t length;
} small_regions[] = { { 0, 512 }, { 4096, 100 }, { 0x80000, 1000 } };

/* An undo record of three regions over a small target, old bytes captured. */
static void small_undo(vmfs_undo *u, const char *target)
{
	vmfs_error err;
	cr_assert_eq(vmfs_undo_init(u, target, SMALL_SIZE, 512, VMFS_UNDO_TARGET_FILE, "test-undo 1.0",
				    "test: small", &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < 3; i++) {
		uint8_t data[1000];
		fill_pattern(data, small_regions[i].length, 100 + i);
		cr_assert_eq(vmfs_undo_add(u, small_regions[i].offset, data, small_regions[i].length, &err), VMFS_OK,
			     "%s", err.reason);
	}
	int fd = open(target, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_capture(fd, target, u, &err), VMFS_OK, "%s", err.reason);
	close(fd);
}

static const char *small_undo_file(const char *name, size_t *len)
{
	const char *target = small_target("target.img");
	const char *path = tmp_path(name);
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	cr_assert_eq(vmfs_undo_save(path, &u, &err), VMFS_OK, "%s", err.reason);
	vmfs_undo_free(&u);
	*len = (size_t)file_size(path);
	cr_assert_eq(*len, 512 + 3 * 20 + 2 * (512 + 100 + 1000) + 12);
	return path;
}

/* Loads an undo file that must be refused; returns the error. */
static vmfs_error load_fails(const char *path, vmfs_status expected)
{
	vmfs_undo u;
	vmfs_error err;
	vmfs_status st = vmfs_undo_load(path, &u, &err);
	cr_assert_neq(st, VMFS_OK, "a damaged undo file was accepted");
	if (expected != VMFS_OK)
		cr_assert_eq(st, expected, "status %s, expected %s: %s", vmfs_status_name(st), vmfs_status_name(expected),
			     err.reason);
	cr_assert_eq(err.status, st);
	cr_assert_str_eq(err.path, path);
	cr_assert_neq(err.reason[0], 0);
	cr_assert_eq(u.count, 0);
	cr_assert_null(u.regions);
	return err;
}

Test(undo, round_trip_on_generated_volume)
{
	const char *img = tmp_path("v5.img");
	const char *pristine = tmp_path("pristine.img");
	const char *file = tmp_path("restore.undo");
	mkfixture("volume", "--lvm", "5", img, NULL);
	dd_copy(img, pristine, "1M", "iflag=fullblock");
	uint64_t size = file_size(img);
	cr_assert_eq(file_size(pristine), size);
	cr_assert(files_equal(img, pristine));

	const struct {
		uint64_t offset;
		uint32_t length;
	} spec[] = { { 0, 512 }, { 0x100000, 512 }, { size - 0x10000, 16384 } };
	vmfs_undo u;
	vmfs_error err;
	cr_assert_eq(vmfs_undo_init(&u, img, size, 512, VMFS_UNDO_TARGET_FILE, "vmfs-restore 0.1.0",
				    "vmfs-restore: GPT rebuild", &err), VMFS_OK, "%s", err.reason);
	static uint8_t data[3][16384];
	for (size_t i = 0; i < 3; i++) {
		fill_pattern(data[i], spec[i].length, i + 1);
		cr_assert_eq(vmfs_undo_add(&u, spec[i].offset, data[i], spec[i].length, &err), VMFS_OK, "%s", err.reason);
	}
	int fd = open(img, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_capture(fd, img, &u, &err), VMFS_OK, "%s", err.reason);
	static uint8_t buf[16384];
	for (size_t i = 0; i < 3; i++) {
		read_file_at(pristine, spec[i].offset, buf, spec[i].length);
		cr_assert_eq(memcmp(u.regions[i].old_data, buf, spec[i].length), 0, "captured old bytes of region %zu", i);
	}
	cr_assert_eq(vmfs_undo_save(file, &u, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_undo_write_new(fd, img, &u, &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < 3; i++) {
		read_file_at(img, spec[i].offset, buf, spec[i].length);
		cr_assert_eq(memcmp(buf, data[i], spec[i].length), 0, "new bytes of region %zu on the target", i);
	}
	cr_assert_not(files_equal(img, pristine));

	vmfs_undo l;
	cr_assert_eq(vmfs_undo_load(file, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(l.target_size, size);
	cr_assert_eq(l.sector_size, 512);
	cr_assert_eq(l.target_kind, VMFS_UNDO_TARGET_FILE);
	cr_assert_str_eq(l.target_path, img);
	cr_assert_str_eq(l.tool, "vmfs-restore 0.1.0");
	cr_assert_str_eq(l.description, "vmfs-restore: GPT rebuild");
	cr_assert_eq(l.created, u.created);
	cr_assert_gt(l.created, 1600000000u);
	cr_assert_eq(l.count, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(l.regions[i].offset, spec[i].offset);
		cr_assert_eq(l.regions[i].length, spec[i].length);
		cr_assert_eq(memcmp(l.regions[i].old_data, u.regions[i].old_data, spec[i].length), 0);
		cr_assert_eq(memcmp(l.regions[i].new_data, data[i], spec[i].length), 0);
	}
	vmfs_undo_free(&u);

	vmfs_undo_state states[3] = { VMFS_UNDO_HOLDS_OTHER, VMFS_UNDO_HOLDS_OTHER, VMFS_UNDO_HOLDS_OTHER };
	cr_assert_eq(vmfs_undo_check_target(fd, img, size, 512, &l, false, states, &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(states[i], VMFS_UNDO_HOLDS_NEW, "region %zu: %s", i, vmfs_undo_state_name(states[i]));
	cr_assert_eq(vmfs_undo_apply(fd, img, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert(files_equal(img, pristine), "the undo restores the image byte for byte");

	/* A second undo finds the old bytes everywhere and changes nothing. */
	cr_assert_eq(vmfs_undo_check_target(fd, img, size, 512, &l, false, states, &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(states[i], VMFS_UNDO_HOLDS_OLD);
	cr_assert_eq(vmfs_undo_apply(fd, img, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert(files_equal(img, pristine));
	cr_assert_eq(close(fd), 0);
	vmfs_undo_free(&l);
	cr_assert_eq(l.count, 0);
	vmfs_undo_free(&l);
}

Test(undo, saved_file_is_private_and_exact)
{
	size_t len;
	const char *file = small_undo_file("small.undo", &len);
	struct stat st;
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the undo file holds disk contents: mode %o", st.st_mode & 0777);
	uint8_t *f = read_whole_file(file, &len);
	cr_assert_eq(memcmp(f, "VMFSUNDO", 8), 0);
	cr_assert_eq(vmfs_le32(f + VMFS_UNDO_OFF_VERSION), 1);
	cr_assert_eq(vmfs_le32(f + VMFS_UNDO_OFF_HEADER_SIZE), 512);
	cr_assert_eq(vmfs_le64(f + VMFS_UNDO_OFF_TARGET_SIZE), SMALL_SIZE);
	cr_assert_eq(vmfs_le32(f + VMFS_UNDO_OFF_COUNT), 3);
	cr_assert_eq(vmfs_le64(f + VMFS_UNDO_OFF_TOTAL), 1612);
	cr_assert_str_eq((const char *)f + VMFS_UNDO_OFF_TOOL, "test-undo 1.0");
	uint32_t stored = vmfs_le32(f + VMFS_UNDO_OFF_HEADER_CRC);
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, 0);
	cr_assert_eq(stored, (uint32_t)crc32(0, f, 512));
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, stored);
	/* Region 1 record follows region 0 (20 + 2 x 512 bytes). */
	cr_assert_eq(vmfs_le64(f + 512 + 20 + 1024), 4096);
	cr_assert_eq(vmfs_le32(f + 512 + 20 + 1024 + 8), 100);
	cr_assert_eq(memcmp(f + len - 12, "VMFSEND!", 8), 0);
	cr_assert_eq(vmfs_le32(f + len - 4), (uint32_t)crc32(0, f, (uInt)(len - 12)));
	free(f);
}

Test(undo, save_refuses_an_existing_path)
{
	const char *target = small_target("target.img");
	const char *path = tmp_path("taken.undo");
	static const char precious[] = "someone else's file\n";
	write_whole_file(path, (const uint8_t *)precious, sizeof(precious) - 1);
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	cr_assert_eq(vmfs_undo_save(path, &u, &err), VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, EEXIST);
	cr_assert_str_eq(err.path, path);
	cr_assert(strstr(err.reason, "existing"), "%s", err.reason);
	size_t len;
	uint8_t *now = read_whole_file(path, &len);
	cr_assert_eq(len, sizeof(precious) - 1);
	cr_assert_eq(memcmp(now, precious, len), 0, "the existing file is untouched");
	free(now);
	vmfs_undo_free(&u);
}

/* A write that fails half way (file size limit) leaves no partial undo file. */
Test(undo, save_removes_its_partial_file_on_failure)
{
	const char *target = small_target("target.img");
	const char *path = tmp_path("partial.undo");
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	vmfs_status st = vmfs_undo_save(path, &u, &err);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(st, VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, EFBIG, "%s", err.reason);
	cr_assert_str_eq(err.path, path);
	cr_assert_eq(access(path, F_OK), -1, "the partial undo file was removed");
	cr_assert_eq(errno, ENOENT);
	/* With the limit lifted the same record saves. */
	cr_assert_eq(vmfs_undo_save(path, &u, &err), VMFS_OK, "%s", err.reason);
	vmfs_undo_free(&u);
}

/* Every byte of the file is covered: a flipped bit anywhere is refused. */
Test(undo, load_refuses_every_single_bit_flip)
{
	size_t len;
	const char *file = small_undo_file("good.undo", &len);
	const char *bad = tmp_path("flipped.undo");
	uint8_t *f = read_whole_file(file, &len);
	vmfs_undo u;
	vmfs_error err;
	cr_assert_eq(vmfs_undo_load(file, &u, &err), VMFS_OK, "%s", err.reason);
	vmfs_undo_free(&u);
	for (size_t i = 0; i < len; i++) {
		uint8_t mask = (uint8_t)(1u << (i % 8));
		f[i] ^= mask;
		write_whole_file(bad, f, len);
		f[i] ^= mask;
		vmfs_error e = load_fails(bad, VMFS_OK);
		cr_assert(e.offset == VMFS_NO_OFFSET || e.offset <= len, "byte %zu: offset %llu", i,
			  (unsigned long long)e.offset);
	}
	/* Representative places give the error that names them. */
	const struct {
		size_t at;
		const char *says;
		uint64_t offset;
	} cases[] = {
		{ 0, "not an undo file", 0 },
		{ VMFS_UNDO_OFF_VERSION, "version", VMFS_UNDO_OFF_VERSION },
		{ VMFS_UNDO_OFF_HEADER_CRC + 1, "header CRC mismatch", VMFS_UNDO_OFF_HEADER_CRC },
		{ VMFS_UNDO_OFF_TARGET_SIZE, "header CRC mismatch", VMFS_UNDO_OFF_HEADER_CRC },
		{ 512 + 20 + 5, "CRC of the old bytes", 512 + 20 },
		{ 512 + 20 + 512 + 7, "CRC of the new bytes", 512 + 20 + 512 },
		{ 512 + VMFS_UNDO_REG_OFF_OLD_CRC, "CRC of the old bytes", 512 + 20 },
		{ 512 + 1, "file CRC mismatch", 0 },
		{ 0, "no trailer", 0 },
		{ 0, "file CRC mismatch", 0 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t at = cases[c].at;
		uint64_t offset = cases[c].offset;
		if (c == 7)
			offset = len - 4;
		if (c == 8)
			at = offset = len - 12;
		if (c == 9)
			at = len - 2, offset = len - 4;
		f[at] ^= 0x10;
		write_whole_file(bad, f, len);
		f[at] ^= 0x10;
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(strstr(e.reason, cases[c].says), "byte %zu: \"%s\", expected \"%s\"", at, e.reason,
			  cases[c].says);
		cr_assert_eq(e.offset, offset, "byte %zu: offset %llu, expected %llu (%s)", at,
			     (unsigned long long)e.offset, (unsigned long long)offset, e.reason);
	}
	free(f);
}

Test(undo, load_refuses_incomplete_files)
{
	size_t len;
	const char *file = small_undo_file("good.undo", &len);
	const char *bad = tmp_path("short.undo");
	uint8_t *f = read_whole_file(file, &len);
	const size_t cuts[] = { 0, 1, 7, 8, 100, 511, 512, 513, 531, 532, 1000, 2000, len - 13, len - 12, len - 8,
				len - 1 };
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		write_whole_file(bad, f, cuts[c]);
		vmfs_error e = load_fails(bad, VMFS_ERR_TRUNCATED);
		cr_assert(strstr(e.reason, "incomplete"), "cut at %zu: %s", cuts[c], e.reason);
		cr_assert_eq(e.offset, cuts[c], "the error names the end of the file");
	}
	/* Bytes after the trailer are refused as well. */
	f[len] = 0;
	write_whole_file(bad, f, len + 1);
	vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "after the trailer"), "%s", e.reason);
	free(f);
}

/* Values beyond the limits are refused even with every CRC made to match. */
Test(undo, load_enforces_the_limits)
{
	size_t len;
	const char *file = small_undo_file("good.undo", &len);
	const char *bad = tmp_path("limits.undo");
	uint8_t *good = read_whole_file(file, &len);
	uint8_t *f = malloc(len);
	cr_assert_not_null(f);
	const size_t reg1 = 512 + 20 + 2 * 512; /* record of region 1 */
	const struct {
		size_t at;
		int width;
		uint64_t value;
		const char *says;
	} cases[] = {
		{ VMFS_UNDO_OFF_COUNT, 32, 0xFFFFFFFFu, "region count 4294967295 exceeds the maximum 4096" },
		{ VMFS_UNDO_OFF_COUNT, 32, 4097, "exceeds the maximum 4096" },
		{ VMFS_UNDO_OFF_COUNT, 32, 0, "no regions" },
		{ VMFS_UNDO_OFF_TOTAL, 64, 1ull << 40, "exceed the maximum" },
		{ VMFS_UNDO_OFF_TOTAL, 64, 2, "fewer than" },
		{ VMFS_UNDO_OFF_TARGET_SIZE, 64, 0, "target size" },
		{ VMFS_UNDO_OFF_TARGET_SIZE, 64, 4096, "passes the end of the target" },
		{ VMFS_UNDO_OFF_SECTOR_SIZE, 32, 520, "sector size" },
		{ VMFS_UNDO_OFF_TARGET_KIND, 32, 2, "target kind" },
		{ VMFS_UNDO_OFF_RESERVED1, 32, 1, "reserved" },
		{ VMFS_UNDO_OFF_TOOL + 3, 32, 0x0a, "control character" },
		{ reg1 + VMFS_UNDO_REG_OFF_LENGTH, 32, 1u << 31, "64 MiB" },
		{ reg1 + VMFS_UNDO_REG_OFF_LENGTH, 32, 0, "64 MiB" },
		{ reg1 + VMFS_UNDO_REG_OFF_LENGTH, 32, 1613, "past the header's total" },
		{ reg1 + VMFS_UNDO_REG_OFF_OFFSET, 64, SMALL_SIZE - 99, "passes the end of the target" },
		{ reg1 + VMFS_UNDO_REG_OFF_OFFSET, 64, UINT64_MAX - 10, "passes the end of the target" },
		{ reg1 + VMFS_UNDO_REG_OFF_OFFSET, 64, 100, "overlaps region 0" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memcpy(f, good, len);
		if (cases[c].width == 32)
			vmfs_put_le32(f + cases[c].at, (uint32_t)cases[c].value);
		else
			vmfs_put_le64(f + cases[c].at, cases[c].value);
		fix_crcs(f, len);
		write_whole_file(bad, f, len);
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(strstr(e.reason, cases[c].says), "case %zu: \"%s\", expected \"%s\"", c, e.reason,
			  cases[c].says);
		cr_assert_neq(e.offset, VMFS_NO_OFFSET);
	}
	free(f);
	free(good);
}

Test(undo, load_refuses_what_is_not_an_undo_file)
{
	vmfs_undo u;
	vmfs_error err;
	const char *missing = tmp_path("missing.undo");
	cr_assert_eq(vmfs_undo_load(missing, &u, &err), VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, ENOENT);
	cr_assert_str_eq(err.path, missing);
	const char *dir = tmp_path("dir.undo");
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(vmfs_undo_load(dir, &u, &err), VMFS_ERR_UNSUPPORTED);
	const char *image = small_target("image.img");
	vmfs_error e = load_fails(image, VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "not an undo file"), "%s", e.reason);
	cr_assert_eq(e.offset, 0);
}

/* The target must be the one recorded: same size, same sector size, and its
 * regions must hold the bytes written (or the old ones). */
Test(undo, check_target_refuses_another_device_unless_forced)
{
	const char *target = small_target("target.img");
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	int fd = open(target, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_write_new(fd, target, &u, &err), VMFS_OK, "%s", err.reason);
	vmfs_undo_state states[3];

	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE + 512, 512, &u, false, states, &err), VMFS_ERR_FORMAT);
	cr_assert(strstr(err.reason, "not the same device"), "%s", err.reason);
	cr_assert(strstr(err.reason, "1049088") && strstr(err.reason, "1048576"), "%s", err.reason);
	cr_assert_str_eq(err.path, target);
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE + 512, 512, &u, true, states, &err), VMFS_OK,
		     "%s", err.reason);

	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 4096, &u, false, states, &err), VMFS_ERR_FORMAT);
	cr_assert(strstr(err.reason, "4096-byte sectors"), "%s", err.reason);
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 4096, &u, true, states, &err), VMFS_OK, "%s",
		     err.reason);

	/* Someone else changed a byte of region 2 after the write. */
	uint8_t other = (uint8_t)(u.regions[2].old_data[10] ^ u.regions[2].new_data[10] ^ 0xff);
	if (other == u.regions[2].old_data[10] || other == u.regions[2].new_data[10])
		other = (uint8_t)(u.regions[2].old_data[10] + u.regions[2].new_data[10] + 1);
	cr_assert(other != u.regions[2].old_data[10] && other != u.regions[2].new_data[10]);
	patch_file(target, 0x80000 + 10, &other, 1);
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 512, &u, false, states, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x80000, "the error names the region");
	cr_assert(strstr(err.reason, "0x8000a"), "and the first foreign byte: %s", err.reason);
	cr_assert(strstr(err.reason, "region 2"), "%s", err.reason);
	cr_assert_eq(states[0], VMFS_UNDO_HOLDS_NEW);
	cr_assert_eq(states[1], VMFS_UNDO_HOLDS_NEW);
	cr_assert_eq(states[2], VMFS_UNDO_HOLDS_OTHER);
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 512, &u, true, states, &err), VMFS_OK, "%s",
		     err.reason);
	cr_assert_eq(states[2], VMFS_UNDO_HOLDS_OTHER);

	/* Forced or not, a target that ends inside a region cannot be restored. */
	cr_assert_eq(vmfs_undo_check_target(fd, target, 0x80000 + 999, 512, &u, true, states, &err),
		     VMFS_ERR_TRUNCATED);
	cr_assert_eq(err.offset, 0x80000);

	/* Forced apply still restores every region. */
	cr_assert_eq(vmfs_undo_apply(fd, target, &u, &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < 3; i++) {
		uint8_t buf[1000];
		read_file_at(target, u.regions[i].offset, buf, u.regions[i].length);
		cr_assert_eq(memcmp(buf, u.regions[i].old_data, u.regions[i].length), 0);
	}
	close(fd);
	vmfs_undo_free(&u);
}

/* Regions holding the old bytes already, or a write cut short, are fine. */
Test(undo, check_target_accepts_old_and_half_written_regions)
{
	const char *target = small_target("target.img");
	const char *pristine = small_target("pristine.img");
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	int fd = open(target, O_RDWR);
	cr_assert_geq(fd, 0);
	vmfs_undo_state states[3];
	/* Nothing written yet (a crash before the first write). */
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 512, &u, false, states, &err), VMFS_OK, "%s",
		     err.reason);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(states[i], VMFS_UNDO_HOLDS_OLD);

	/* A crash after region 0 and half of region 2. */
	patch_file(target, u.regions[0].offset, u.regions[0].new_data, u.regions[0].length);
	patch_file(target, u.regions[2].offset, u.regions[2].new_data, 512);
	cr_assert_eq(vmfs_undo_check_target(fd, target, SMALL_SIZE, 512, &u, false, states, &err), VMFS_OK, "%s",
		     err.reason);
	cr_assert_eq(states[0], VMFS_UNDO_HOLDS_NEW);
	cr_assert_eq(states[1], VMFS_UNDO_HOLDS_OLD);
	cr_assert_eq(states[2], VMFS_UNDO_HOLDS_MIX);
	cr_assert_str_eq(vmfs_undo_state_name(states[2]), "mix");
	cr_assert_eq(vmfs_undo_apply(fd, target, &u, &err), VMFS_OK, "%s", err.reason);
	cr_assert(files_equal(target, pristine));
	close(fd);
	vmfs_undo_free(&u);
}

Test(undo, apply_on_a_read_only_descriptor_fails_cleanly)
{
	const char *target = small_target("target.img");
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	int fd = open(target, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_write_new(fd, target, &u, &err), VMFS_OK, "%s", err.reason);
	close(fd);
	fd = open(target, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_apply(fd, target, &u, &err), VMFS_ERR_IO);
	cr_assert_str_eq(err.path, target);
	cr_assert_eq(err.offset, 0);
	cr_assert_eq(err.sys_errno, EBADF);
	cr_assert(strstr(err.reason, "write of 512 bytes at 0x0 failed"), "%s", err.reason);
	close(fd);
	uint8_t buf[512];
	read_file_at(target, 0, buf, sizeof(buf));
	cr_assert_eq(memcmp(buf, u.regions[0].new_data, sizeof(buf)), 0, "nothing was written");
	vmfs_undo_free(&u);
}

/* The saved old bytes must be what the target holds when the write starts. */
Test(undo, write_new_refuses_a_target_changed_since_capture)
{
	const char *target = small_target("target.img");
	const char *pristine = small_target("pristine.img");
	vmfs_undo u;
	vmfs_error err;
	small_undo(&u, target);
	uint8_t b = (uint8_t)~u.regions[1].old_data[42];
	patch_file(target, 4096 + 42, &b, 1);
	int fd = open(target, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmfs_undo_write_new(fd, target, &u, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 4096 + 42);
	cr_assert(strstr(err.reason, "changed since"), "%s", err.reason);
	close(fd);
	b = u.regions[1].old_data[42];
	patch_file(target, 4096 + 42, &b, 1);
	cr_assert(files_equal(target, pristine), "no region was written");
	vmfs_undo_free(&u);
}

Test(undo, records_are_validated_before_use)
{
	const char *target = small_target("target.img");
	const char *path = tmp_path("never.undo");
	vmfs_undo u;
	vmfs_error err;
	cr_assert_eq(vmfs_undo_init(&u, target, SMALL_SIZE, 512, VMFS_UNDO_TARGET_FILE, "bad\ntool", "d", &err),
		     VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_init(&u, target, SMALL_SIZE, 520, VMFS_UNDO_TARGET_FILE, "t", "d", &err),
		     VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_init(&u, target, 0, 512, VMFS_UNDO_TARGET_FILE, "t", "d", &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_init(&u, target, SMALL_SIZE, 4096, VMFS_UNDO_TARGET_BLOCK, "t", "d", &err), VMFS_OK);
	static uint8_t data[4096];
	cr_assert_eq(vmfs_undo_add(&u, 0, data, 0, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_add(&u, 0, data, VMFS_UNDO_MAX_REGION_BYTES + 1, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_add(&u, SMALL_SIZE - 100, data, 101, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_add(&u, 512, data, 512, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_undo_add(&u, 1023, data, 2, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "overlaps"), "%s", err.reason);
	cr_assert_eq(vmfs_undo_add(&u, 1, data, 512, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_undo_add(&u, 0, data, 512, &err), VMFS_OK, "adjacent regions are fine: %s", err.reason);
	cr_assert_eq(u.count, 2);
	cr_assert_eq(vmfs_undo_save(path, &u, &err), VMFS_ERR_INVALID_ARG, "old bytes not captured");
	cr_assert(strstr(err.reason, "capture"), "%s", err.reason);
	cr_assert_eq(access(path, F_OK), -1);
	vmfs_undo_free(&u);

	/* The region count limit. */
	cr_assert_eq(vmfs_undo_init(&u, target, SMALL_SIZE, 512, VMFS_UNDO_TARGET_FILE, "t", "d", &err), VMFS_OK);
	for (uint32_t i = 0; i < VMFS_UNDO_MAX_REGIONS; i++)
		cr_assert_eq(vmfs_undo_add(&u, i * 2ull, data, 1, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_undo_add(&u, 0x10000, data, 1, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "4096"), "%s", err.reason);
	cr_assert_eq(u.count, VMFS_UNDO_MAX_REGIONS);
	vmfs_undo_free(&u);

	/* The target path is informational: control characters masked, cut to 256 bytes. */
	char long_path[400];
	memset(long_path, 'p', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = 0;
	long_path[3] = '\t';
	cr_assert_eq(vmfs_undo_init(&u, long_path, SMALL_SIZE, 512, VMFS_UNDO_TARGET_FILE, "t", "d", &err), VMFS_OK);
	cr_assert_eq(strlen(u.target_path), 256);
	cr_assert_eq(u.target_path[3], '?');
}

Test(undo, a_full_width_path_survives_save_and_load)
{
	const char *target = small_target("target.img");
	const char *path = tmp_path("wide.undo");
	vmfs_undo u, l;
	vmfs_error err;
	small_undo(&u, target);
	memset(u.target_path, 'x', 256);
	u.target_path[256] = 0;
	memset(u.description, 'd', 128);
	u.description[128] = 0;
	memset(u.tool, 't', 32);
	u.tool[32] = 0;
	cr_assert_eq(vmfs_undo_save(path, &u, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_undo_load(path, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(l.target_path, u.target_path);
	cr_assert_str_eq(l.tool, u.tool);
	cr_assert_str_eq(l.description, u.description);
	vmfs_undo_free(&u);
	vmfs_undo_free(&l);
}
