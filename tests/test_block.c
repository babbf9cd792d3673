/* Block devices (loop devices, where this machine allows them; skipped with
 * a message otherwise): a disk with 4096-byte logical sectors whose GPT was
 * wiped is rebuilt through the device and the kernel re-reads the table
 * (BLKRRPART: the partition appears in sysfs); a resignature of the whole
 * disk is refused while a partition of it is held exclusively (O_EXCL), then
 * written and undone through the device. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool attach(const char *image, const char *sector_size, char *loop, size_t len)
{
	const char *argv[] = { "/usr/sbin/losetup", "-f", "--show", "-P", "-b", sector_size, image, NULL };
	tool_result r = run_argv(argv);
	bool ok = r.status == 0;
	if (ok)
		snprintf(loop, len, "%.*s", (int)strcspn(r.out, "\n"), r.out);
	else
		cr_log_info("loop devices not available here (%s): block-device test skipped", r.err);
	tool_result_free(&r);
	return ok;
}

static void detach(const char *loop)
{
	const char *argv[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	tool_result r = run_argv(argv);
	tool_result_free(&r);
}

/* Whether the kernel knows partition 1 of the loop device (sysfs). */
static bool kernel_has_partition(const char *loop, int wait_ms)
{
	const char *name = strrchr(loop, '/') + 1;
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/block/%sp1", name);
	for (int waited = 0;; waited += 50) {
		if (access(path, F_OK) == 0)
			return true;
		if (waited >= wait_ms)
			return false;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Whether this kernel turns a GPT into partitions: a fresh GPT disk
 * attached with partition scanning shows its partition 1 in sysfs. */
static bool kernel_reads_gpt(void)
{
	char probe[4096], loop[64];
	snprintf(probe, sizeof(probe), "%s", tmp_path("probe-gpt.img"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "512M", "--vol", "lvm=6", probe, NULL);
	if (!attach(probe, "512", loop, sizeof(loop)))
		return false;
	bool seen = kernel_has_partition(loop, 1000);
	detach(loop);
	return seen;
}

Test(block, gpt_rebuild_on_4096_byte_sectors_and_resignature_through_the_device)
{
	char disk[4096], wiped[4096], restored[4096], undo_restore[4096], undo_resign[4096];
	snprintf(disk, sizeof(disk), "%s", tmp_path("4k.img"));
	snprintf(wiped, sizeof(wiped), "%s", tmp_path("4k-wiped.copy"));
	snprintf(restored, sizeof(restored), "%s", tmp_path("4k-restored.copy"));
	snprintf(undo_restore, sizeof(undo_restore), "%s", tmp_path("restore.undo"));
	snprintf(undo_resign, sizeof(undo_resign), "%s", tmp_path("resign.undo"));
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol", "lvm=6,label=fourk", disk,
		  NULL);
	/* Both GPT copies of a 4096-byte-sector disk: LBA 0..5 and the last 5. */
	static uint8_t zero[6 * 4096];
	patch_file(disk, 0, zero, sizeof(zero));
	patch_file(disk, (2ull << 30) - 5 * 4096, zero, 5 * 4096);
	dd_copy(disk, wiped, "1M", "count=100000");

	char loop[64];
	bool kernel_parses_gpt = kernel_reads_gpt();
	if (!attach(disk, "4096", loop, sizeof(loop)))
		return;
	bool had_partition = kernel_has_partition(loop, 0);
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo_restore, loop, NULL);
	int restore_status = r.status;
	char restore_err[1024];
	snprintf(restore_err, sizeof(restore_err), "%s%s", r.out, r.err);
	tool_result_free(&r);
	bool partition_after = kernel_has_partition(loop, 2000);
	r = run_tool("vmfs-inspect", "--json", loop, NULL);
	json_object *doc = r.status == 0 ? parse_json(r.out) : NULL;
	tool_result_free(&r);

	/* Hold the kernel's partition device exclusively (the whole disk is then
	 * busy too), or, where the kernel parses no tables, the disk itself. */
	char part[80];
	snprintf(part, sizeof(part), "%sp1", loop);
	int holder = open(partition_after ? part : loop, O_RDONLY | O_EXCL);
	int busy_status = -1;
	bool said_in_use = false;
	if (holder >= 0) {
		r = run_tool("vmfs-resignature", "--new-identity", "--write", "--undo-file", undo_resign, loop, NULL);
		busy_status = r.status;
		said_in_use = strstr(r.err, "in use") != NULL;
		tool_result_free(&r);
		close(holder);
	}
	bool undo_left = access(undo_resign, F_OK) == 0;
	r = run_tool("vmfs-resignature", "--new-identity", "--write", "--json", "--undo-file", undo_resign, loop, NULL);
	int resign_status = r.status;
	json_object *plan = resign_status == 0 ? parse_json(r.out) : NULL;
	tool_result_free(&r);
	char sub[64] = "";
	blkid_value(loop, 256 * 4096, "UUID_SUB", sub, sizeof(sub));
	r = run_tool("vmfs-resignature", "--undo", undo_resign, loop, NULL);
	int resign_undo_status = r.status;
	tool_result_free(&r);
	detach(loop);
	dd_copy(disk, restored, "1M", "count=100000");
	r = run_tool("vmfs-restore", "--undo", undo_restore, disk, NULL);
	int restore_undo_status = r.status;
	tool_result_free(&r);

	cr_assert_eq(restore_status, 0, "restore through %s: %s", loop, restore_err);
	cr_assert(!had_partition, "the kernel saw a partition before the rebuild");
	cr_assert_null(strstr(restore_err, "did not re-read"), "BLKRRPART failed: %s", restore_err);
	if (kernel_parses_gpt)
		cr_assert(partition_after, "the kernel did not re-read the table after the write (BLKRRPART)");
	else
		cr_log_info("this kernel parses no GPT (CONFIG_EFI_PARTITION off): the re-read succeeded, but no "
			    "partition can appear");
	cr_assert_not_null(doc, "vmfs-inspect failed on %s", loop);
	cr_assert_eq(ju64_at(doc, "source.sector_size"), 4096);
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 256);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "fourk");
	json_object_put(doc);
	cr_assert_geq(holder, 0, "cannot hold %s exclusively", partition_after ? part : loop);
	cr_assert_eq(busy_status, 2, "resignature while the device is held exclusively");
	cr_assert(said_in_use);
	cr_assert(!undo_left, "a refused write left an undo file");
	cr_assert_eq(resign_status, 0, "resignature through %s", loop);
	cr_assert_str_eq(sub, jstr_at(plan, "members[0].new_device_uuid"), "blkid through the device");
	json_object_put(plan);
	cr_assert_eq(resign_undo_status, 0);
	cr_assert_eq(restore_undo_status, 0);
	cr_assert(files_equal(disk, wiped), "the two undos did not give back the wiped disk byte for byte");
}
