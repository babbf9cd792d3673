/* One GPT copy lost, the other intact (issue 9, "Repairs that keep what is
 * good"): vmfs-inspect says which copy and what repairs it; vmfs-restore
 * proposes rewriting the lost copy from the intact one, and the written disk
 * is byte-identical to the original (disk GUID, partition GUIDs, names and
 * attributes kept); --undo puts the damaged bytes back exactly. */
#include "tests/support/support.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void zero_range(const char *path, uint64_t offset, size_t len)
{
	uint8_t *zero = calloc(1, len);
	cr_assert_not_null(zero);
	patch_file(path, offset, zero, len);
	free(zero);
}

/* Dry run, write, compare with the original, undo, compare with the damage. */
static void repair_round_trip(const char *original, const char *disk, const char *copy, const char *area)
{
	const char *damaged = tmp_path("damaged.copy");
	const char *undo = tmp_path("repair.undo");
	unlink(damaged);
	unlink(undo);
	dd_copy(disk, damaged, "1M", "count=100000");

	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	json_object *doc = parse_json(r.out);
	char code[32];
	snprintf(code, sizeof(code), "gpt-%s-damaged", copy);
	bool found = false;
	json_object *findings = jpath(doc, "findings");
	for (size_t i = 0; i < json_object_array_length(findings); i++) {
		json_object *f = json_object_array_get_idx(findings, i);
		if (strcmp(jstr_at(f, "code"), code) == 0) {
			found = true;
			cr_assert_not_null(strstr(jstr_at(f, "message"), "vmfs-restore --write rewrites it"), "%s",
					   jstr_at(f, "message"));
		}
	}
	cr_assert(found, "inspect has no %s finding: %s", code, r.out);
	cr_assert_str_eq(jstr_at(doc, strcmp(copy, "primary") == 0 ? "partition_table.health.gpt_backup.state"
								    : "partition_table.health.gpt_primary.state"), "ok");
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_null(strstr(r.out, "Nothing to change"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "GPT repair: the "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, area), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "dry run: nothing has been written"), "%s", r.out);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged), "the dry run changed the disk");

	r = run_tool("vmfs-restore", "--json", disk, NULL);
	doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "plan.gpt_rebuild.copy"), copy);
	json_object *changes = jpath(doc, "changes");
	bool has_area = false;
	for (size_t i = 0; i < json_object_array_length(changes); i++)
		has_area |= strcmp(jstr_at(json_object_array_get_idx(changes, i), "area"), area) == 0;
	cr_assert(has_area, "no change in the %s area: %s", area, r.out);
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "write: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "Written, synced and verified"), "%s", r.out);
	tool_result_free(&r);
	cr_assert(files_equal(disk, original), "the repaired disk is not byte-identical to the original");

	r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_not_null(strstr(r.out, "Nothing to change"), "%s", r.out);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "undo: %s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged), "--undo did not restore the damaged image byte for byte");
}

static const char *fixture(const char *name, const char *sector_size)
{
	const char *original = tmp_path(name);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--sector-size", sector_size, "--vol",
		  "lvm=6,size=600M,label=keep", "--vol", "lvm=6,size=300M,label=second", original, NULL);
	return original;
}

Test(gpt_repair, primary_and_mbr_zeroed_rebuilt_from_backup)
{
	const char *original = fixture("orig.img", "512");
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	zero_range(disk, 0, 34 * 512); /* protective MBR, primary header and entries */
	repair_round_trip(original, disk, "primary", "primary GPT");
}

Test(gpt_repair, backup_zeroed_rebuilt_from_primary)
{
	const char *original = fixture("orig.img", "512");
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	zero_range(disk, (1ull << 30) - 33 * 512, 33 * 512);
	repair_round_trip(original, disk, "backup", "backup GPT");
}

/* Damaged, not missing: one flipped byte in the primary header (CRC wrong),
 * the protective MBR intact. */
Test(gpt_repair, primary_header_crc_wrong)
{
	const char *original = fixture("orig.img", "512");
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	uint8_t b = 0xAB;
	patch_file(disk, 512 + 0x39, &b, 1);
	repair_round_trip(original, disk, "primary", "primary GPT");
}

Test(gpt_repair, backup_entries_damaged_4096)
{
	const char *original = fixture("orig4k.img", "4096");
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	uint8_t b = 0x11;
	patch_file(disk, (1ull << 30) - 4096 - 16384 + 0x20, &b, 1); /* entry 1's first LBA */
	repair_round_trip(original, disk, "backup", "backup GPT");
}

Test(gpt_repair, primary_zeroed_4096)
{
	const char *original = fixture("orig4k.img", "4096");
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	zero_range(disk, 0, 6 * 4096);
	repair_round_trip(original, disk, "primary", "primary GPT");
}

/* The real ESXi VMFS6 partition in a GPT disk: each copy lost in turn. */
Test(gpt_repair, corpus_vmfs6_each_copy)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	const char *original = tmp_path("corpus.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1G", "--image", image, original, NULL);
	const char *disk = tmp_path("disk.img");
	dd_copy(original, disk, "1M", "count=100000");
	zero_range(disk, 0, 34 * 512);
	repair_round_trip(original, disk, "primary", "primary GPT");
	unlink(disk);
	dd_copy(original, disk, "1M", "count=100000");
	zero_range(disk, (1ull << 30) - 33 * 512, 33 * 512);
	repair_round_trip(original, disk, "backup", "backup GPT");
}

/* A GPT whose usable range reaches the array's standard place cannot take a
 * rebuilt copy there: refused with the overlap named, nothing written. */
Test(gpt_repair, refused_when_the_copy_would_overlap_data)
{
	const char *disk = fixture("orig.img", "512");
	zero_range(disk, 0, 34 * 512);
	/* Backup header: first usable LBA 10 (the primary array would need 2..33). */
	uint64_t hdr = (1ull << 30) - 512;
	uint8_t h[512];
	read_file_at(disk, hdr, h, sizeof(h));
	vmfs_put_le64(h + 0x28, 10);
	memset(h + 0x10, 0, 4);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	patch_file(disk, hdr, h, sizeof(h));
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_neq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.err, "would overlap the usable range"), "%s", r.err);
	tool_result_free(&r);
}
