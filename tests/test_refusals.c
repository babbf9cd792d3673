/* Never make things worse (issue 9): --write is refused, with the holder
 * named, on a read-only image (even as root), on an image attached to a loop
 * device, and a new table type never drops an existing partition unless
 * --force --replace N names it. */
#include "tests/support/support.h"
#include "vmfs/repair/apply.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A GPT disk whose primary copy and protective MBR were zeroed: restore has
 * something to write. */
static const char *damaged_disk(void)
{
	const char *disk = tmp_path("disk.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,label=keep", disk, NULL);
	uint8_t *zero = calloc(1, 34 * 512);
	patch_file(disk, 0, zero, 34 * 512);
	free(zero);
	return disk;
}

Test(refusals, read_only_image_even_as_root)
{
	const char *disk = damaged_disk();
	const char *before = tmp_path("before.copy");
	const char *undo = tmp_path("ro.undo");
	dd_copy(disk, before, "1M", "count=100000");
	cr_assert_eq(chmod(disk, 0444), 0);
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.err, "has no write permission (mode 0444)"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "--force"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "a refused write changed the image");
	cr_assert_neq(access(undo, F_OK), 0, "an undo file was left by a refused write");

	/* The library says the same as an error value. */
	vmfs_apply a;
	vmfs_error err;
	cr_assert_eq(vmfs_apply_open(&a, disk, 0, 0, false, "test 1", "x", &err), VMFS_ERR_UNSUPPORTED);
	cr_assert_not_null(strstr(err.reason, "mode 0444"), "%s", err.reason);
	cr_assert_str_eq(err.path, disk);

	if (geteuid() != 0) {
		cr_log_info("not root: --force cannot write a 0444 file here; the override is not exercised");
		return;
	}
	r = run_tool("vmfs-restore", "--write", "--force", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert_not(files_equal(disk, before));
	/* --undo obeys the same rule. */
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "mode 0444"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--undo", undo, "--force", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "--undo did not restore the image byte for byte");
}

Test(refusals, image_attached_to_a_loop_device)
{
	const char *disk = damaged_disk();
	const char *before = tmp_path("before.copy");
	dd_copy(disk, before, "1M", "count=100000");
	const char *attach[] = { "/usr/sbin/losetup", "-f", "--show", "-r", disk, NULL };
	tool_result r = run_argv(attach);
	if (r.status != 0) {
		cr_log_info("loop devices not available here (%s): loop refusal test skipped", r.err);
		tool_result_free(&r);
		cr_skip_test("loop devices not available");
		return;
	}
	char loop[64];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);
	/* Another name for the same file: identity is by device and inode. */
	const char *alias = tmp_path("alias.img");
	int linked = link(disk, alias);
	tool_result w = run_tool("vmfs-restore", "--write", "--undo-file", tmp_path("loop.undo"), linked == 0 ? alias : disk,
				 NULL);
	const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	tool_result d = run_argv(detach);
	tool_result_free(&d);
	cr_assert_eq(w.status, 2, "%s%s", w.out, w.err);
	char expect[96];
	snprintf(expect, sizeof(expect), "attached to %s", loop);
	cr_assert_not_null(strstr(w.err, expect), "%s", w.err);
	tool_result_free(&w);
	cr_assert(files_equal(disk, before), "a refused write changed the image");

	/* Detached: the same write goes through and undoes byte for byte. */
	const char *undo = tmp_path("free.undo");
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before));
}

/* A DOS disk with the VMFS entry and a Linux partition: asking for a GPT
 * would drop the Linux partition. */
Test(refusals, new_table_type_never_drops_a_partition)
{
	const char *disk = tmp_path("dos.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "1G", "--vol", "lvm=5,start=2048,size=600M,label=keep", disk,
		  NULL);
	uint8_t entry[16] = { 0 };
	entry[4] = 0x83;
	patch_file(disk, 0x1CE, entry, sizeof(entry));
	patch_le32(disk, 0x1CE + 8, 1300000);
	patch_le32(disk, 0x1CE + 12, 100000);
	const char *before = tmp_path("before.copy");
	dd_copy(disk, before, "1M", "count=100000");

	tool_result r = run_tool("vmfs-restore", "--table", "gpt", disk, NULL);
	cr_assert_not_null(strstr(r.out, "Would disappear: partition 2 (Linux, sectors 1300000..1399999): refused"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "Blocked: a new gpt table would drop 1 existing partition"), "%s", r.out);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--json", "--table", "gpt", disk, NULL);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "plan.drops[0].number"), 2);
	cr_assert_not(json_object_get_boolean(jpath(doc, "plan.drops[0].allowed")));
	cr_assert(json_object_get_boolean(jpath(doc, "plan.blocked")));
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--write", "--table", "gpt", disk, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.err, "would drop 1 existing partition"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "a refused table change wrote");

	/* --force --replace naming another partition is not enough. */
	r = run_tool("vmfs-restore", "--write", "--force", "--replace", "1", "--table", "gpt", disk, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before));

	const char *undo = tmp_path("drop.undo");
	r = run_tool("vmfs-restore", "--write", "--force", "--replace", "2", "--table", "gpt", "--undo-file", undo, disk,
		     NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "Would disappear: partition 2 (Linux, sectors 1300000..1399999), as --force"),
			   "%s", r.out);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", disk, NULL);
	doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "--undo did not restore the image byte for byte");
}

/* --table mbr over a GPT disk: both GPT headers are retired with the change
 * (shown in the dry run, kept in the undo file), so no reader finds a valid
 * GPT behind the new non-protective MBR; --undo brings the GPT back. */
Test(refusals, new_mbr_retires_both_gpt_headers)
{
	const char *disk = tmp_path("gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,label=keep", disk, NULL);
	const char *before = tmp_path("before.copy");
	dd_copy(disk, before, "1M", "count=100000");

	tool_result r = run_tool("vmfs-restore", "--table", "mbr", disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "primary GPT at 0x200"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "backup GPT at 0x3fffbe00"), "%s", r.out);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "a dry run wrote");

	const char *undo = tmp_path("mbr.undo");
	r = run_tool("vmfs-restore", "--write", "--table", "mbr", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "dos");
	/* A dos disk shows no GPT copies at all (null), not stale ones. */
	cr_assert_null(jpath(doc, "partition_table.health.gpt_primary"));
	cr_assert_null(jpath(doc, "partition_table.health.gpt_backup"));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].state"), "present");
	json_object_put(doc);
	tool_result_free(&r);
	uint8_t sig[8];
	read_file_at(disk, 512, sig, sizeof(sig));
	cr_assert_neq(memcmp(sig, "EFI PART", 8), 0, "the primary GPT header is still there");
	read_file_at(disk, (1ull << 30) - 512, sig, sizeof(sig));
	cr_assert_neq(memcmp(sig, "EFI PART", 8), 0, "the backup GPT header is still there");

	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, before), "--undo did not restore the image byte for byte");
}
