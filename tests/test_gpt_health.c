/* Each GPT copy and the MBR checked on its own (format reference 2.1, 2.2):
 * a zeroed copy is "missing", a copy with a bad CRC or misplaced fields is
 * "damaged" with the offset of what is wrong, and two intact copies that
 * disagree are reported; for 512- and 4096-byte sectors. */
#include "tests/support/support.h"
#include "vmfs/core/le.h"
#include "vmfs/format/ptable.h"

#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

static void read_table(const char *path, vmfs_ptable *table)
{
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &src, &err), VMFS_OK);
	cr_assert_eq(vmfs_ptable_read(src, 0, table, &err), VMFS_OK);
	vmfs_source_close(src);
}

static const char *gpt_disk(unsigned sector_size)
{
	const char *disk = tmp_path(sector_size == 512 ? "d512.img" : "d4k.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--sector-size",
		  sector_size == 512 ? "512" : "4096", "--vol", "lvm=6", disk, NULL);
	return disk;
}

static void both_ok(unsigned ss)
{
	vmfs_ptable t;
	read_table(gpt_disk(ss), &t);
	cr_assert_str_eq(t.label, "gpt");
	cr_assert(t.has_gpt);
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_OK, "%s", t.gpt.primary.problem);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_OK, "%s", t.gpt.backup.problem);
	cr_assert_eq(t.gpt.backup.header_lba, (1ull << 30) / ss - 1);
	cr_assert_eq(t.gpt.backup.entries_lba, t.gpt.backup.header_lba - 16384 / ss);
	cr_assert_str_eq(t.gpt.primary.disk_guid, t.id);
	cr_assert_str_eq(t.gpt.backup.disk_guid, t.id);
	cr_assert_not(t.gpt.differ);
	cr_assert_eq(t.mbr.state, VMFS_COPY_OK);
	cr_assert(t.mbr.protective);
	vmfs_findings f = { 0 };
	vmfs_ptable_health_findings(&t, &f);
	cr_assert_eq(f.count, 0, "%s", f.items[0].message);
	vmfs_ptable_free(&t);
}

Test(gpt_health, both_copies_ok_512) { both_ok(512); }
Test(gpt_health, both_copies_ok_4096) { both_ok(4096); }

static void primary_zeroed(unsigned ss)
{
	const char *disk = gpt_disk(ss);
	static uint8_t zero[4096];
	patch_file(disk, ss, zero, ss);
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_str_eq(t.label, "gpt"); /* libfdisk used the backup */
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_MISSING);
	cr_assert_eq(t.gpt.primary.problem_offset, ss);
	cr_assert_not_null(strstr(t.gpt.primary.problem, "all zeros"), "%s", t.gpt.primary.problem);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_OK);
	vmfs_findings f = { 0 };
	vmfs_ptable_health_findings(&t, &f);
	cr_assert(vmfs_findings_has(&f, "gpt-primary-damaged"));
	cr_assert_not_null(strstr(f.items[0].message, "rewrites it from the backup copy"), "%s", f.items[0].message);
	vmfs_ptable_free(&t);
}

Test(gpt_health, primary_zeroed_512) { primary_zeroed(512); }
Test(gpt_health, primary_zeroed_4096) { primary_zeroed(4096); }

Test(gpt_health, backup_header_crc_wrong)
{
	const char *disk = gpt_disk(512);
	uint64_t hdr = (1ull << 30) - 512;
	uint8_t b = 0x5A;
	patch_file(disk, hdr + 0x40, &b, 1); /* inside the disk GUID */
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_OK);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_DAMAGED);
	cr_assert_eq(t.gpt.backup.problem_offset, hdr + 0x10);
	cr_assert_not_null(strstr(t.gpt.backup.problem, "header CRC32"), "%s", t.gpt.backup.problem);
	vmfs_findings f = { 0 };
	vmfs_ptable_health_findings(&t, &f);
	cr_assert(vmfs_findings_has(&f, "gpt-backup-damaged"));
	vmfs_ptable_free(&t);
}

Test(gpt_health, primary_entry_array_crc_wrong)
{
	const char *disk = gpt_disk(512);
	uint8_t b = 0x77;
	patch_file(disk, 1024 + 0x38, &b, 1); /* partition 1's name */
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_DAMAGED);
	cr_assert_eq(t.gpt.primary.problem_offset, 1024);
	cr_assert_not_null(strstr(t.gpt.primary.problem, "entry array CRC32"), "%s", t.gpt.primary.problem);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_OK);
	vmfs_ptable_free(&t);
}

/* A header whose CRC is right but whose MyLBA is wrong: a copy moved from
 * another place. */
Test(gpt_health, backup_my_lba_wrong_with_valid_crc)
{
	const char *disk = gpt_disk(512);
	uint64_t hdr = (1ull << 30) - 512;
	uint8_t h[512];
	read_file_at(disk, hdr, h, sizeof(h));
	vmfs_put_le64(h + 0x18, 12345);
	memset(h + 0x10, 0, 4);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	patch_file(disk, hdr, h, sizeof(h));
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_DAMAGED);
	cr_assert_eq(t.gpt.backup.problem_offset, hdr + 0x18);
	cr_assert_not_null(strstr(t.gpt.backup.problem, "MyLBA"), "%s", t.gpt.backup.problem);
	cr_assert_not_null(strstr(t.gpt.backup.problem, "12345"), "%s", t.gpt.backup.problem);
	vmfs_ptable_free(&t);
}

/* Both copies valid but the backup's entries changed (CRCs recomputed). */
Test(gpt_health, intact_copies_that_differ)
{
	const char *disk = gpt_disk(512);
	uint64_t hdr = (1ull << 30) - 512, array = hdr - 16384;
	uint8_t *entries = malloc(16384);
	uint8_t h[512];
	read_file_at(disk, array, entries, 16384);
	entries[0x38] = 'X'; /* name of entry 1 */
	patch_file(disk, array, entries, 16384);
	read_file_at(disk, hdr, h, sizeof(h));
	vmfs_put_le32(h + 0x58, (uint32_t)crc32(0, entries, 16384));
	memset(h + 0x10, 0, 4);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	patch_file(disk, hdr, h, sizeof(h));
	free(entries);
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_OK);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_OK, "%s", t.gpt.backup.problem);
	cr_assert(t.gpt.differ);
	cr_assert_not_null(strstr(t.gpt.differ_reason, "partition entries"), "%s", t.gpt.differ_reason);
	vmfs_findings f = { 0 };
	vmfs_ptable_health_findings(&t, &f);
	cr_assert(vmfs_findings_has(&f, "gpt-copies-differ"));
	vmfs_ptable_free(&t);
}

Test(gpt_health, mbr_states)
{
	const char *disk = gpt_disk(512);
	static uint8_t zero[512];
	patch_file(disk, 0, zero, sizeof(zero));
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.mbr.state, VMFS_COPY_MISSING);
	cr_assert(t.has_gpt);
	vmfs_findings f = { 0 };
	vmfs_ptable_health_findings(&t, &f);
	cr_assert(vmfs_findings_has(&f, "mbr-missing"));
	vmfs_ptable_free(&t);

	/* A DOS entry running past the end of the disk. */
	const char *dos = tmp_path("dos.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "1G", "--vol", "lvm=5", dos, NULL);
	patch_le32(dos, 0x1BE + 12, 0x7FFFFFFF);
	read_table(dos, &t);
	cr_assert_eq(t.mbr.state, VMFS_COPY_DAMAGED);
	cr_assert_eq(t.mbr.problem_offset, 0x1BE);
	cr_assert_not_null(strstr(t.mbr.problem, "past the end"), "%s", t.mbr.problem);
	cr_assert_not(t.has_gpt);
	vmfs_ptable_free(&t);
}

Test(gpt_health, corpus_vmfs6_disk_both_copies_ok)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	if (!image)
		return;
	/* The real ESXi partition placed at LBA 2048 of a GPT disk. */
	const char *disk = tmp_path("embedded.img");
	mkfixture("embed", "--disk-size", "1G", "--table", "gpt", "--start", "2048", "--image", image, disk, NULL);
	vmfs_ptable t;
	read_table(disk, &t);
	cr_assert_eq(t.gpt.primary.state, VMFS_COPY_OK, "%s", t.gpt.primary.problem);
	cr_assert_eq(t.gpt.backup.state, VMFS_COPY_OK, "%s", t.gpt.backup.problem);
	vmfs_ptable_free(&t);
}
