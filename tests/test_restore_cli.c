/* vmfs-restore, dry run: finds lost volumes, shows the exact table and bytes,
 * and never changes the source. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *wiped_gpt_disk(void)
{
	const char *disk = tmp_path("wiped.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	return disk;
}

Test(restore_cli, dry_run_reports_and_changes_nothing)
{
	const char *disk = wiped_gpt_disk();
	const char *copy = tmp_path("copy.img");
	dd_copy(disk, copy, "1M", "count=1024");
	tool_result r = run_tool("vmfs-restore", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "none");
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 0x100000);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].state"), "add");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "lost");
	cr_assert_eq(ju64_at(doc, "volumes[0].partition.start"), 2048);
	cr_assert_str_eq(jstr_at(doc, "plan.table"), "gpt");
	cr_assert(json_object_get_boolean(jpath(doc, "plan.new_table")));
	cr_assert_eq(json_object_array_length(jpath(doc, "changes")), 3);
	cr_assert_eq(ju64_at(doc, "changes[1].offset"), 512);
	cr_assert_eq(strlen(jstr_at(doc, "changes[1].new_hex")), 2 * 16896);
	cr_assert_not(json_object_get_boolean(jpath(doc, "written")));
	json_object_put(doc);
	cr_assert(files_equal(disk, copy), "a dry run changed the source");
	/* Same input, same proposal, byte for byte (derived GUIDs). */
	tool_result again = run_tool("vmfs-restore", "--json", disk, NULL);
	cr_assert_str_eq(again.out, r.out);
	tool_result_free(&again);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "-> add as partition 1"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "nothing has been written"));
	tool_result_free(&r);
}

Test(restore_cli, conflict_is_explained)
{
	const char *disk = wiped_gpt_disk();
	write_linux_mbr(disk);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "conflict"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "--force --replace 1"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Blocked"), "%s", r.out);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--json", "--force", "--replace", "1", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].state"), "replace");
	cr_assert_str_eq(jstr_at(doc, "plan.table"), "dos");
	cr_assert_eq(json_object_array_length(jpath(doc, "changes")), 1);
	json_object_put(doc);
	tool_result_free(&r);
}

Test(restore_cli, nothing_found_exits_1)
{
	const char *disk = tmp_path("empty-gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "64M", disk, NULL);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "no VMFS volume found"));
	tool_result_free(&r);
}

Test(restore_cli, errors_and_usage)
{
	const char *empty = tmp_path("empty.img");
	FILE *f = fopen(empty, "w");
	cr_assert_not_null(f);
	fclose(f);
	tool_result r = run_tool("vmfs-restore", empty, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, empty));
	tool_result_free(&r);
	const char *dir = tmp_path("dir");
	cr_assert_eq(mkdir(dir, 0755), 0);
	r = run_tool("vmfs-restore", dir, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "is a directory"));
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--replace", "1", dir, NULL);
	cr_assert_eq(r.status, 3, "--replace without --force");
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--table", "bsd", dir, NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--write", "--undo", "x.undo", dir, NULL);
	cr_assert_eq(r.status, 3, "--write with --undo");
	tool_result_free(&r);
}

/* Applies the label-area bytes of `restored` to a copy of `damaged`: equal
 * to `restored` exactly when nothing outside those areas changed. */
static void assert_only_label_areas_changed(const char *damaged, const char *restored, uint64_t disk_bytes)
{
	const char *check = tmp_path("check.img");
	unlink(check);
	dd_copy(damaged, check, "1M", "count=100000");
	const uint64_t areas[][2] = { { 0, 34 * 512 }, { disk_bytes - 33 * 512, 33 * 512 } };
	static uint8_t buf[34 * 512];
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(restored, "rb");
		cr_assert_not_null(f);
		cr_assert_eq(fseeko(f, (off_t)areas[i][0], SEEK_SET), 0);
		cr_assert_eq(fread(buf, 1, areas[i][1], f), areas[i][1]);
		fclose(f);
		patch_file(check, areas[i][0], buf, areas[i][1]);
	}
	cr_assert(files_equal(check, restored), "bytes outside the table areas changed");
}

/* Write, verify with independent readers, undo byte for byte. */
static void write_and_undo(const char *disk, uint64_t disk_bytes, const char *extra1, const char *extra2,
			   uint64_t expect_start, const char *expect_label)
{
	const char *damaged = tmp_path("damaged.copy");
	const char *undo = tmp_path("restore.undo");
	unlink(damaged);
	unlink(undo);
	dd_copy(disk, damaged, "1M", "count=100000");
	tool_result r = extra1 ? run_tool("vmfs-restore", "--write", "--undo-file", undo, extra1, extra2, disk, NULL)
			       : run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "write: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "Undo file saved (fsynced)"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Written, synced and verified"), "%s", r.out);
	tool_result_free(&r);

	r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "inspect after write: %s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert(json_object_get_boolean(jpath(doc, "volumes[0].in_partition_table")));
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), expect_start);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), expect_label);
	char value[64];
	cr_assert(blkid_value(disk, expect_start * 512, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, jstr_at(doc, "volumes[0].lvm.device_uuid"));
	json_object_put(doc);
	tool_result_free(&r);
	assert_only_label_areas_changed(damaged, disk, disk_bytes);

	/* A second dry run finds nothing left to do. */
	r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "Nothing to change"), "%s", r.out);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "undo: %s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged), "--undo did not restore the damaged image byte for byte");
}

Test(restore_write, vmfs6_both_gpt_copies_wiped)
{
	write_and_undo(wiped_gpt_disk(), 1ull << 30, NULL, NULL, 2048, "lost");
}

Test(restore_write, vmfs3_mbr_sector0_zeroed)
{
	const char *disk = tmp_path("v3.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128,label=three", disk, NULL);
	uint8_t zero[512] = { 0 };
	patch_file(disk, 0, zero, sizeof(zero));
	write_and_undo(disk, 700ull << 20, NULL, NULL, 128, "three");
	const char *sfdisk[] = { "/usr/sbin/sfdisk", "-d", disk, NULL };
	tool_result r = run_argv(sfdisk);
	cr_assert_neq(r.status, 0, "after --undo the MBR is gone again: %s", r.out);
	tool_result_free(&r);
}

Test(restore_write, vmfs5_gpt_entry_deleted)
{
	const char *disk = tmp_path("v5.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5,start=2048,entry=0,label=five", disk, NULL);
	write_and_undo(disk, 1ull << 30, NULL, NULL, 2048, "five");
}

Test(restore_write, linux_partition_over_vmfs_needs_force_replace)
{
	const char *disk = wiped_gpt_disk();
	write_linux_mbr(disk);
	const char *copy = tmp_path("before.copy");
	dd_copy(disk, copy, "1M", "count=1024");
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", tmp_path("never.undo"), disk, NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "nothing written"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, copy));
	write_and_undo(disk, 1ull << 30, "--force", "--replace=1", 2048, "lost");
}

Test(restore_write, corpus_vmfs5_table_wiped)
{
	const char *image = corpus_image("vmfs5-dissect.bin");
	const char *disk = tmp_path("corpus5.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "512M", "--image", image, disk, NULL);
	wipe_gpt(disk, 512ull << 20);
	write_and_undo(disk, 512ull << 20, NULL, NULL, 2048, "VMFS5 Test");
}

Test(restore_write, undo_refuses_another_target)
{
	const char *disk = wiped_gpt_disk();
	const char *undo = tmp_path("a.undo");
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	const char *other = tmp_path("other.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=6", other, NULL);
	const char *copy = tmp_path("other.copy");
	dd_copy(other, copy, "1M", "count=4096");
	r = run_tool("vmfs-restore", "--undo", undo, other, NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "not restored"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(other, copy), "a refused undo changed the target");
	/* The undo file is never overwritten by a later write. */
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "nothing to change: %s", r.err);
	tool_result_free(&r);
}

Test(restore_write, two_volumes_both_tables_wiped)
{
	const char *disk = tmp_path("two.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M,label=first", "--vol",
		  "lvm=6,start=1230848,label=second", disk, NULL);
	wipe_gpt(disk, 2ull << 30);
	write_and_undo(disk, 2ull << 30, NULL, NULL, 2048, "first");
	/* And again, checking the second volume after the write. */
	const char *undo = tmp_path("two.undo");
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "partition_table.partitions")), 2);
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[1].start"), 1230848);
	cr_assert_str_eq(jstr_at(doc, "volumes[1].fs.label"), "second");
	cr_assert(json_object_get_boolean(jpath(doc, "volumes[1].in_partition_table")));
	json_object_put(doc);
	tool_result_free(&r);
}

/* A spanned volume (numDevs 2) with one member on this disk: reported as
 * such; its own partition is still restored on this disk. */
Test(restore_cli, spanned_member_reported)
{
	const char *disk = tmp_path("span.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5,start=2048,entry=0", disk, NULL);
	patch_le32(disk, 0x200200 + 0x90, 2);
	tool_result r = run_tool("vmfs-restore", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "volumes[0].members.num_devs"), 2);
	cr_assert_eq(ju64_at(doc, "volumes[0].members.present"), 1);
	cr_assert_eq(ju64_at(doc, "volumes[0].members.missing"), 1);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].state"), "add");
	json_object_put(doc);
	tool_result_free(&r);
}

/* The real VMFS6 volume in a GPT disk whose table was wiped: restored, and
 * debugvmfs6 lists its root through the restored partition (a read-only loop
 * device at the partition offset, where this machine allows loop devices). */
Test(restore_write, corpus_vmfs6_table_wiped)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	const char *disk = tmp_path("corpus6.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1G", "--image", image, disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	write_and_undo(disk, 1ull << 30, NULL, NULL, 2048, "VMFS6 Test");
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", tmp_path("again.undo"), disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	const char *losetup[] = { "/usr/sbin/losetup", "-f", "--show", "-r", "-o", "1048576", disk, NULL };
	r = run_argv(losetup);
	if (r.status != 0) {
		cr_log_info("loop devices not available here (%s): debugvmfs6 check skipped", r.err);
		tool_result_free(&r);
		return;
	}
	char loop[64];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);
	const char *ls[] = { "/usr/sbin/debugvmfs6", loop, "ls", "/", NULL };
	tool_result listing = run_argv(ls);
	const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	tool_result d = run_argv(detach);
	tool_result_free(&d);
	cr_assert_eq(listing.status, 0, "debugvmfs6: %s%s", listing.out, listing.err);
	cr_assert_not_null(strstr(listing.out, "directory"), "%s", listing.out);
	cr_assert_not_null(strstr(listing.out, ".vh.sf"), "%s", listing.out);
	tool_result_free(&listing);
}

/* Block devices: a loop device over a damaged image. While another process
 * holds the device exclusively, --write is refused (O_EXCL) and nothing is
 * written; then the write and the undo go through the device. */
Test(restore_write, loop_block_device)
{
	const char *disk = wiped_gpt_disk();
	const char *damaged = tmp_path("loop-damaged.copy");
	dd_copy(disk, damaged, "1M", "count=1024");
	const char *attach[] = { "/usr/sbin/losetup", "-f", "--show", disk, NULL };
	tool_result r = run_argv(attach);
	if (r.status != 0) {
		cr_log_info("loop devices not available here (%s): block-device test skipped", r.err);
		tool_result_free(&r);
		return;
	}
	char loop[64];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);

	int holder = open(loop, O_RDONLY | O_EXCL);
	cr_assert_geq(holder, 0, "cannot hold %s", loop);
	const char *undo = tmp_path("loop.undo");
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, loop, NULL);
	int busy_status = r.status;
	bool said_in_use = strstr(r.err, "in use") != NULL;
	tool_result_free(&r);
	close(holder);

	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, loop, NULL);
	int write_status = r.status;
	tool_result_free(&r);
	tool_result inspect = run_tool("vmfs-inspect", "--json", loop, NULL);
	r = run_tool("vmfs-restore", "--undo", undo, loop, NULL);
	int undo_status = r.status;
	tool_result_free(&r);
	const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	tool_result d = run_argv(detach);
	tool_result_free(&d);

	cr_assert_eq(busy_status, 2, "write while the device is held exclusively");
	cr_assert(said_in_use);
	cr_assert_eq(write_status, 0);
	cr_assert_eq(inspect.status, 0, "%s", inspect.err);
	json_object *doc = parse_json(inspect.out);
	cr_assert_str_eq(jstr_at(doc, "source.type"), "block");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "lost");
	json_object_put(doc);
	tool_result_free(&inspect);
	cr_assert_eq(undo_status, 0);
	cr_assert(files_equal(disk, damaged), "undo through the block device did not restore the image");
}

/* ESX 3.x: the DOS label is still there, only the VMFS entry at sector 128
 * was deleted. The kept label must accept a partition before sector 2048
 * (found by the fuzzing seeds: libfdisk's default first LBA is 2048). */
Test(restore_write, vmfs3_entry_deleted_dos_label_kept)
{
	const char *disk = tmp_path("v3-kept-label.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "1G", "--vol", "lvm=3,entry=0,label=kept", disk, NULL);
	write_and_undo(disk, 1ull << 30, NULL, NULL, 128, "kept");
}
