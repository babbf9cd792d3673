/* A 64 TiB sparse LUN image (the VMFS maximum): the table rebuild and its
 * undo work without any scratch file sized like the disk (the label areas
 * are rendered in a memfd). The image itself needs a file system that holds
 * 64 TiB sparse files: tmpfs (/dev/shm) or the test folder; else skipped. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUGE_BYTES (64ull << 40)

static bool can_hold(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	bool ok = ftruncate(fd, (off_t)HUGE_BYTES) == 0;
	close(fd);
	unlink(path);
	return ok;
}

Test(huge, restore_on_a_64_tib_sparse_image)
{
	char shm_dir[] = "/dev/shm/vmfs-huge.XXXXXX";
	bool on_shm = mkdtemp(shm_dir) != NULL;
	char disk[4200];
	snprintf(disk, sizeof(disk), "%s/lun.img", on_shm ? shm_dir : "/nonexistent");
	if (!on_shm || !can_hold(disk)) {
		snprintf(disk, sizeof(disk), "%s", tmp_path("lun.img"));
		if (!can_hold(disk)) {
			if (on_shm)
				rmdir(shm_dir);
			cr_skip_test("no file system here holds a 64 TiB sparse file (tmpfs /dev/shm absent): skipped");
			return;
		}
	}
	char undo[4300];
	snprintf(undo, sizeof(undo), "%s.undo", disk);
	mkfixture("disk", "--table", "gpt", "--disk-size", "64T", "--vol", "lvm=6,size=1G,label=huge", disk, NULL);
	wipe_gpt(disk, HUGE_BYTES);
	/* The label areas before (reading 64 TiB of holes to compare whole
	 * files would take hours; the write touches only these areas). */
	static uint8_t head[1 << 20], tail[64 << 10], head2[1 << 20], tail2[64 << 10], written[512];
	read_file_at(disk, 0, head, sizeof(head));
	read_file_at(disk, HUGE_BYTES - sizeof(tail), tail, sizeof(tail));
	/* The scratch file would have gone to TMPDIR (the test folder). */
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	int write_status = r.status;
	char out[2048];
	snprintf(out, sizeof(out), "%s%s", r.out, r.err);
	tool_result_free(&r);
	tool_result inspect = run_tool("vmfs-inspect", "--json", disk, NULL);
	read_file_at(disk, HUGE_BYTES - 512, written, sizeof(written));
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	int undo_status = r.status;
	tool_result_free(&r);
	read_file_at(disk, 0, head2, sizeof(head2));
	read_file_at(disk, HUGE_BYTES - sizeof(tail2), tail2, sizeof(tail2));
	bool same = memcmp(head, head2, sizeof(head)) == 0 && memcmp(tail, tail2, sizeof(tail)) == 0;
	bool size_kept = file_size(disk) == HUGE_BYTES;
	unlink(disk);
	unlink(undo);
	if (on_shm)
		rmdir(shm_dir);

	cr_assert_eq(write_status, 0, "%s", out);
	cr_assert_null(strstr(out, "scratch"), "%s", out);
	cr_assert_eq(memcmp(written, "EFI PART", 8), 0, "no backup GPT header in the last sector");
	cr_assert_eq(inspect.status, 0, "%s", inspect.err);
	json_object *doc = parse_json(inspect.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	cr_assert_str_eq(jstr_at(doc, "partition_table.health.gpt_backup.state"), "ok");
	json_object_put(doc);
	tool_result_free(&inspect);
	cr_assert_eq(undo_status, 0);
	cr_assert(size_kept);
	cr_assert(same, "--undo did not restore the 64 TiB image byte for byte");
}
