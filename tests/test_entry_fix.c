/* Entries that are almost right (issue 9, "Repairs that keep what is
 * good"): the right place with the wrong type is fixed in place ("type
 * only", GUID and name kept); a VMFS entry that is too short is grown into
 * free space ("size only"); a wrong size that cannot grow and a wrong start
 * are explained with both values. Every write is undone byte for byte. */
#include "tests/support/support.h"
#include "vmfs/core/le.h"
#include "vmfs/repair/plan.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DISK (1ull << 30)
#define LINUX_FS_TYPE "\xaf\x3d\xc6\x0f\x83\x84\x72\x47\x8e\x79\x3d\x69\xd8\x47\x7d\xe4"

/* Edits GPT entry `index` in both copies of a 512-byte-sector disk and
 * recomputes both CRCs, as a partitioning tool would have written it. */
static void edit_entry(const char *disk, unsigned index, const void *type, uint64_t first, uint64_t last)
{
	const uint64_t headers[2] = { 512, DISK - 512 };
	for (int c = 0; c < 2; c++) {
		uint8_t h[512];
		read_file_at(disk, headers[c], h, sizeof(h));
		uint64_t array = vmfs_le64(h + 0x48) * 512;
		uint8_t *entries = malloc(16384);
		read_file_at(disk, array, entries, 16384);
		uint8_t *e = entries + 128 * index;
		if (type)
			memcpy(e, type, 16);
		if (first)
			vmfs_put_le64(e + 0x20, first);
		if (last)
			vmfs_put_le64(e + 0x28, last);
		patch_file(disk, array, entries, 16384);
		vmfs_put_le32(h + 0x58, (uint32_t)crc32(0, entries, 16384));
		memset(h + 0x10, 0, 4);
		vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
		patch_file(disk, headers[c], h, sizeof(h));
		free(entries);
	}
}

static const char *fixture(const char *original)
{
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,size=600M,label=keep", original, NULL);
	const char *disk = tmp_path("disk.img");
	unlink(disk);
	dd_copy(original, disk, "1M", "count=100000");
	return disk;
}

/* Dry run names the state and the words; write; equals the original; undo. */
static void fix_round_trip(const char *original, const char *disk, const char *state, const char *words)
{
	const char *damaged = tmp_path("damaged.copy");
	const char *undo = tmp_path("fix.undo");
	unlink(damaged);
	unlink(undo);
	dd_copy(disk, damaged, "1M", "count=100000");
	tool_result r = run_tool("vmfs-restore", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].state"), state);
	cr_assert_not_null(strstr(jstr_at(doc, "volumes[0].reason"), words), "%s", jstr_at(doc, "volumes[0].reason"));
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, original), "the fixed disk is not byte-identical to the original");
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged), "--undo did not restore the damaged image byte for byte");
}

Test(entry_fix, wrong_type_is_fixed_in_place_type_only)
{
	const char *original = tmp_path("orig.img");
	const char *disk = fixture(original);
	edit_entry(disk, 0, LINUX_FS_TYPE, 0, 0);
	fix_round_trip(original, disk, "retype", "type only");
}

Test(entry_fix, short_vmfs_entry_grown_size_only)
{
	const char *original = tmp_path("orig.img");
	const char *disk = fixture(original);
	edit_entry(disk, 0, NULL, 0, 2048 + 1024000 - 1);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_not_null(strstr(r.out, "is 1024000 sectors long; the volume needs 1228800 (LVM totalBytes 629145600): "
				       "size only"), "%s", r.out);
	tool_result_free(&r);
	fix_round_trip(original, disk, "resize", "size only");
}

/* Too short, and a second partition right after it: growing would overlap,
 * so the conflict says both lengths. */
Test(entry_fix, short_entry_that_cannot_grow_says_both_sizes)
{
	const char *original = tmp_path("orig.img");
	const char *disk = fixture(original);
	edit_entry(disk, 0, NULL, 0, 2048 + 1024000 - 1);
	edit_entry(disk, 1, LINUX_FS_TYPE, 1100000, 1200000);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_not_null(strstr(r.out, "partition 1 (VMware VMFS) starts at the volume's start (sector 2048) but is "
				       "1024000 sectors long where the volume needs 1228800: another partition holds the "
				       "sectors it would need; use --force --replace 1"), "%s", r.out);
	cr_assert_null(strstr(r.out, "newer partition"), "%s", r.out);
	tool_result_free(&r);
}

Test(entry_fix, wrong_start_says_both_starts)
{
	const char *original = tmp_path("orig.img");
	const char *disk = fixture(original);
	edit_entry(disk, 0, NULL, 4096, 4096 + 1228800 - 1);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_not_null(strstr(r.out, "partition 1 (VMware VMFS, sectors 4096..1232895) starts at sector 4096, the "
				       "volume at sector 2048 (LVM header at 0x200000): a VMFS entry with the wrong start"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Blocked"), "%s", r.out);
	tool_result_free(&r);
}

/* Longer than the volume: it holds the volume; nothing is proposed. */
Test(entry_fix, longer_entry_is_left_as_it_is)
{
	const char *original = tmp_path("orig.img");
	const char *disk = fixture(original);
	edit_entry(disk, 0, NULL, 0, 2048 + 1300000 - 1);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "is 1300000 sectors long, more than the 1228800 the volume needs"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Nothing to change"), "%s", r.out);
	tool_result_free(&r);
}
