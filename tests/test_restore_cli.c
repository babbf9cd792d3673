/* vmfs-restore, dry run: finds lost volumes, shows the exact table and bytes,
 * and never changes the source. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *wiped_gpt_disk(void)
{
	const char *disk = tmp_path("wiped.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", disk, NULL);
	static uint8_t zero[34 * 512];
	patch_file(disk, 0, zero, sizeof(zero));
	patch_file(disk, (1ull << 30) - 33 * 512, zero, 33 * 512);
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
	uint8_t mbr[512] = { 0 };
	mbr[0x1BE + 4] = 0x83;
	mbr[0x1BE + 9] = 0x08;                        /* start 2048 */
	mbr[0x1BE + 13] = 0x20; mbr[0x1BE + 14] = 0x03; /* 204800 sectors */
	mbr[0x1FE] = 0x55; mbr[0x1FF] = 0xAA;
	patch_file(disk, 0, mbr, sizeof(mbr));
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
	const char *disk = wiped_gpt_disk();
	const char *copy = tmp_path("copy.img");
	dd_copy(disk, copy, "1M", "count=1024");
	r = run_tool("vmfs-restore", "--write", disk, NULL);
	cr_assert_eq(r.status, 3, "--write is refused until the write path exists");
	cr_assert_not_null(strstr(r.err, "nothing was written"));
	tool_result_free(&r);
	cr_assert(files_equal(disk, copy));
}
