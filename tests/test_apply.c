/* The write path shared by every writing tool (vmfs/apply): nothing is
 * written before the undo file exists, stale plans and targets of another
 * size are refused, a write can be rolled back, and `--undo` restores byte
 * for byte. */
#include "tests/support/support.h"
#include "vmfs/repair/apply.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARGET_SIZE (256u << 10)

static const char *target(const char *name)
{
	const char *path = tmp_path(name);
	uint8_t *buf = malloc(TARGET_SIZE);
	cr_assert_not_null(buf);
	fill_pattern(buf, TARGET_SIZE, 11);
	write_whole_file(path, buf, TARGET_SIZE);
	free(buf);
	return path;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *buf = read_whole_file(from, &len);
	write_whole_file(to, buf, len);
	free(buf);
}

Test(apply, write_rollback_and_undo_file)
{
	const char *path = target("t.img");
	const char *pristine = tmp_path("pristine.img");
	copy_file(path, pristine);
	uint8_t old[600], new_bytes[600];
	read_file_at(path, 1000, old, sizeof(old));
	memset(new_bytes, 0xA5, sizeof(new_bytes));
	vmfs_error err;
	vmfs_apply a;
	cr_assert_eq(vmfs_apply_open(&a, path, TARGET_SIZE, 0, false, "test 1", "apply test", &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(a.sector_size, 512);
	cr_assert_eq(vmfs_apply_add(&a, 1000, old, new_bytes, sizeof(new_bytes), &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_apply_add(&a, 1100, NULL, new_bytes, 10, &err), VMFS_ERR_INVALID_ARG, "overlap accepted");
	/* Writing before the undo file is saved is refused. */
	cr_assert_eq(vmfs_apply_write(&a, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(files_equal(path, pristine));
	const char *undo = tmp_path("t.undo");
	cr_assert_eq(vmfs_apply_prepare(&a, undo, &err), VMFS_OK, "%s", err.reason);
	cr_assert(files_equal(path, pristine), "prepare wrote to the target");
	struct stat st;
	cr_assert_eq(stat(undo, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(vmfs_apply_write(&a, &err), VMFS_OK, "%s", err.reason);
	uint8_t now[600];
	read_file_at(path, 1000, now, sizeof(now));
	cr_assert_arr_eq(now, new_bytes, sizeof(now));
	cr_assert_eq(vmfs_apply_rollback(&a, &err), VMFS_OK, "%s", err.reason);
	cr_assert(files_equal(path, pristine), "rollback is not byte-exact");
	cr_assert_eq(vmfs_apply_close(&a, &err), VMFS_OK);

	/* The saved undo file works on its own: write the change again by hand,
	 * then undo it from the file. */
	patch_file(path, 1000, new_bytes, sizeof(new_bytes));
	vmfs_undo_report report;
	cr_assert_eq(vmfs_apply_undo_file(undo, path, false, &report, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(report.regions, 1);
	cr_assert_str_eq(report.tool, "test 1");
	cr_assert(files_equal(path, pristine));
	/* Undoing again finds the old bytes in place: harmless. */
	cr_assert_eq(vmfs_apply_undo_file(undo, path, false, &report, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(report.already_old, 1);
}

Test(apply, stale_plan_is_refused_and_nothing_written)
{
	const char *path = target("t.img");
	const char *pristine = tmp_path("pristine.img");
	copy_file(path, pristine);
	uint8_t old[64], new_bytes[64];
	read_file_at(path, 4096, old, sizeof(old));
	memset(new_bytes, 0, sizeof(new_bytes));
	old[17] ^= 0xFF; /* the plan was made from other bytes */
	vmfs_error err;
	vmfs_apply a;
	cr_assert_eq(vmfs_apply_open(&a, path, TARGET_SIZE, 0, false, "test 1", "apply test", &err), VMFS_OK);
	cr_assert_eq(vmfs_apply_add(&a, 4096, old, new_bytes, sizeof(new_bytes), &err), VMFS_OK);
	const char *undo = tmp_path("t.undo");
	cr_assert_eq(vmfs_apply_prepare(&a, undo, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 4096 + 17);
	cr_assert_not_null(strstr(err.reason, "changed since it was read"), "%s", err.reason);
	cr_assert_eq(access(undo, F_OK), -1, "an undo file was left behind");
	cr_assert_eq(vmfs_apply_write(&a, &err), VMFS_ERR_INVALID_ARG);
	vmfs_apply_close(&a, NULL);
	cr_assert(files_equal(path, pristine));
}

Test(apply, target_of_another_size_or_kind_is_refused)
{
	const char *path = target("t.img");
	vmfs_error err;
	vmfs_apply a;
	cr_assert_eq(vmfs_apply_open(&a, path, TARGET_SIZE + 512, 0, false, "test 1", "x", &err), VMFS_ERR_FORMAT);
	cr_assert_not_null(strstr(err.reason, "refusing to write"), "%s", err.reason);
	cr_assert_eq(a.fd, -1);
	vmfs_apply_close(&a, NULL);
	const char *dir = tmp_path("dir");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(vmfs_apply_open(&a, dir, 0, 0, false, "test 1", "x", &err), VMFS_ERR_UNSUPPORTED);
	vmfs_apply_close(&a, NULL);
	cr_assert_eq(vmfs_apply_open(&a, tmp_path("missing"), 0, 0, false, "test 1", "x", &err), VMFS_ERR_IO);
	cr_assert_str_eq(err.path, tmp_path("missing"));
	vmfs_apply_close(&a, NULL);
	/* An existing undo file is never overwritten. */
	const char *undo = tmp_path("exists.undo");
	write_whole_file(undo, (const uint8_t *)"keep", 4);
	uint8_t b = 1;
	cr_assert_eq(vmfs_apply_open(&a, path, 0, 0, false, "test 1", "x", &err), VMFS_OK);
	cr_assert_eq(vmfs_apply_add(&a, 0, NULL, &b, 1, &err), VMFS_OK);
	cr_assert_eq(vmfs_apply_prepare(&a, undo, &err), VMFS_ERR_IO);
	vmfs_apply_close(&a, NULL);
	size_t len;
	uint8_t *kept = read_whole_file(undo, &len);
	cr_assert_eq(len, 4);
	cr_assert_eq(memcmp(kept, "keep", 4), 0);
	free(kept);
}
