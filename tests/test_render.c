/* Rendering a rebuild plan through libfdisk: the changed bytes, applied to
 * the damaged image, give a table that every reader accepts, and nothing
 * outside the label areas changes. */
#include "tests/support/support.h"
#include "vmfs/repair/table_render.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void render_and_apply(const char *disk, const vmfs_plan_options *options, size_t expect_changes,
			     vmfs_table_render *render)
{
	vmfs_source *src;
	vmfs_error err;
	vmfs_ptable table;
	vmfs_scan_result scan;
	static vmfs_plan plan;
	cr_assert_eq(vmfs_source_open(disk, &src, &err), VMFS_OK);
	cr_assert_eq(vmfs_ptable_read(src, 0, &table, &err), VMFS_OK);
	cr_assert_eq(vmfs_scan(src, NULL, &scan, &err), VMFS_OK);
	cr_assert_eq(vmfs_plan_make(src, &table, &scan, options, &plan, &err), VMFS_OK);
	cr_assert_eq(vmfs_table_render_plan(src, &plan, render, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(render->count, expect_changes);
	cr_assert_not_null(render->script);
	vmfs_scan_result_free(&scan);
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
	int fd = open(disk, O_WRONLY);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < render->count; i++)
		cr_assert_eq(pwrite(fd, render->changes[i].new_data, render->changes[i].length,
				    (off_t)render->changes[i].offset), (ssize_t)render->changes[i].length);
	close(fd);
}

Test(render, gpt_rebuilt_after_both_copies_wiped)
{
	const char *disk = tmp_path("v6.img");
	const char *damaged = tmp_path("damaged.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=back", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	dd_copy(disk, damaged, "1M", "count=1024");
	vmfs_table_render render;
	render_and_apply(disk, NULL, 3, &render);
	cr_assert_str_eq(render.changes[0].area, "MBR");
	cr_assert_eq(render.changes[1].offset, 512);
	cr_assert_eq(render.changes[2].offset, (1ull << 30) - 33 * 512);
	cr_assert_not_null(strstr(render.script, "label: gpt"), "%s", render.script);
	cr_assert_not_null(strstr(render.script, "first-lba: 34"), "%s", render.script);
	cr_assert_not_null(strstr(render.script, "start=        2048"), "%s", render.script);
	cr_assert_not_null(strstr(render.script, "AA31E02A-400F-11DB-9590-000C2911D1B8"), "%s", render.script);

	/* Every reader accepts the result. */
	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	cr_assert(json_object_get_boolean(jpath(doc, "volumes[0].in_partition_table")));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "back");
	json_object_put(doc);
	tool_result_free(&r);
	const char *sgdisk[] = { "/usr/sbin/sgdisk", "-v", disk, NULL };
	r = run_argv(sgdisk);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "No problems found"), "%s", r.out);
	tool_result_free(&r);
	char value[64];
	cr_assert(blkid_value(disk, 0x100000, "TYPE", value, sizeof(value)));
	cr_assert_str_eq(value, "VMFS_volume_member");

	/* Nothing outside the three label areas changed. */
	for (size_t i = 0; i < render.count; i++)
		patch_file(damaged, render.changes[i].offset, render.changes[i].new_data, render.changes[i].length);
	cr_assert(files_equal(disk, damaged));
	vmfs_table_render_free(&render);
}

Test(render, mbr_entry_added_at_128)
{
	const char *disk = tmp_path("v3.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	uint8_t zero[512] = { 0 };
	patch_file(disk, 0, zero, sizeof(zero));
	vmfs_table_render render;
	render_and_apply(disk, NULL, 1, &render);
	cr_assert_str_eq(render.changes[0].area, "MBR");
	cr_assert_eq(render.changes[0].length, 512);
	const char *sfdisk[] = { "/usr/sbin/sfdisk", "-d", disk, NULL };
	tool_result r = run_argv(sfdisk);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "start=         128"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "type=fb"), "%s", r.out);
	tool_result_free(&r);
	vmfs_table_render_free(&render);
}

Test(render, refuses_blocked_or_empty_plans)
{
	const char *disk = tmp_path("ok.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6", disk, NULL);
	vmfs_source *src;
	vmfs_error err;
	vmfs_ptable table;
	vmfs_scan_result scan;
	static vmfs_plan plan;
	vmfs_table_render render;
	cr_assert_eq(vmfs_source_open(disk, &src, &err), VMFS_OK);
	cr_assert_eq(vmfs_ptable_read(src, 0, &table, &err), VMFS_OK);
	cr_assert_eq(vmfs_scan(src, NULL, &scan, &err), VMFS_OK);
	cr_assert_eq(vmfs_plan_make(src, &table, &scan, NULL, &plan, &err), VMFS_OK);
	cr_assert_eq(vmfs_table_render_plan(src, &plan, &render, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "changes nothing"));
	vmfs_scan_result_free(&scan);
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
}
