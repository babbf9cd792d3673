/* Volumes and disks built by our own generator from the format facts: every
 * LVM version, MBR at 128 and GPT at 2048, two volumes on one disk, 4096-byte
 * sectors, a deleted entry. The expected values are given to the generator
 * here, so these tests fail when decoding goes wrong, and libblkid reads the
 * same bytes independently. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEV_UUID "5f000001-11111111-1001-000c29aabbcc"
#define LV_UUID "5f000002-22222222-1002-000c29aabbcc"
#define FS_UUID "5f000003-33333333-1003-000c29aabbcc"

static json_object *inspect(const char *path, int expected_status)
{
	tool_result r = run_tool("vmfs-inspect", "--json", path, NULL);
	cr_assert_eq(r.status, expected_status, "%s: exit %d: %s", path, r.status, r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	return doc;
}


static void check_bare_volume(unsigned lvm, unsigned fs_major, unsigned fs_minor)
{
	const char *image = tmp_path("volume.img");
	char version[4];
	snprintf(version, sizeof(version), "%u", lvm);
	mkfixture("volume", "--lvm", version, "--size", "600M", "--label", "fixture label", "--device-uuid", DEV_UUID,
		  "--lv-uuid", LV_UUID, "--fs-uuid", FS_UUID, "--lun", "7", image, NULL);
	json_object *doc = inspect(image, 0);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.major"), lvm);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.device_uuid"), DEV_UUID);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.total_bytes"), 600u << 20);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.disk_id.lun"), 7);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.volume.uuid"), LV_UUID);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.volume.name"), LV_UUID);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.uuid"), FS_UUID);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.lv_uuid"), LV_UUID);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "fixture label");
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.major"), fs_major);
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.minor"), fs_minor);
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.offset"), 0x1300000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.layout.volume_table"), lvm == 6 ? 0x101000 : 0x100200);
	json_object_put(doc);

	char value[128];
	cr_assert(blkid_value(image, 0, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, DEV_UUID);
	cr_assert(blkid_value(image, 0x1100000, "UUID", value, sizeof(value)));
	cr_assert_str_eq(value, FS_UUID);
	cr_assert(blkid_value(image, 0x1100000, "LABEL", value, sizeof(value)));
	cr_assert_str_eq(value, "fixture label");
}

Test(fixtures, vmfs3_volume) { check_bare_volume(3, 4, 31); }
Test(fixtures, vmfs5_volume) { check_bare_volume(5, 14, 81); }
Test(fixtures, vmfs6_volume) { check_bare_volume(6, 24, 82); }

Test(fixtures, vmfs3_in_mbr_at_128)
{
	const char *disk = tmp_path("mbr.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128,label=old3", disk, NULL);
	json_object *doc = inspect(disk, 0);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "dos");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 128);
	cr_assert_str_eq(jstr_at(doc, "partition_table.partitions[0].type"), "fb");
	cr_assert(json_object_get_boolean(jpath(doc, "partition_table.partitions[0].vmfs")));
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 0x10000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.offset"), 0x110000);
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.offset"), 0x1310000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.total_bytes"),
		     ju64_at(doc, "partition_table.partitions[0].size") * 512);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "old3");
	json_object_put(doc);
}

Test(fixtures, vmfs5_in_gpt_at_2048)
{
	const char *disk = tmp_path("gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5,start=2048,label=five", disk, NULL);
	json_object *doc = inspect(disk, 0);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.first_lba"), 34);
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.offset"), 0x200000);
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.offset"), 0x1400000);
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].findings")), 0);
	json_object_put(doc);
}

Test(fixtures, two_volumes_on_one_disk)
{
	const char *disk = tmp_path("two.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M,label=first",
		  "--vol", "lvm=6,start=1230848,label=second", disk, NULL);
	json_object *doc = inspect(disk, 0);
	cr_assert_eq(json_object_array_length(jpath(doc, "partition_table.partitions")), 2);
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes")), 2);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "first");
	cr_assert_str_eq(jstr_at(doc, "volumes[1].fs.label"), "second");
	cr_assert_eq(ju64_at(doc, "volumes[1].offset"), 1230848ull * 512);
	cr_assert_eq(ju64_at(doc, "volumes[1].lvm.major"), 6);
	cr_assert_str_neq(jstr_at(doc, "volumes[0].fs.uuid"), jstr_at(doc, "volumes[1].fs.uuid"));
	json_object_put(doc);
}

Test(fixtures, gpt_with_4096_byte_sectors)
{
	const char *disk = tmp_path("4k.img");
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol", "lvm=6,label=fourk", disk,
		  NULL);
	json_object *doc = inspect(disk, 0);
	cr_assert_eq(ju64_at(doc, "source.sector_size"), 4096);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 256);
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 256 * 4096);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.disk_block_size"), 4096);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.total_bytes"),
		     ju64_at(doc, "partition_table.partitions[0].size") * 4096);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "fourk");
	json_object_put(doc);
}

/* A volume whose partition entry was deleted: still found, with a warning. */
Test(fixtures, deleted_entry_reported)
{
	const char *disk = tmp_path("deleted.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,entry=0", disk, NULL);
	json_object *doc = inspect(disk, 0);
	cr_assert_eq(json_object_array_length(jpath(doc, "partition_table.partitions")), 0);
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 0x100000);
	cr_assert_not(json_object_get_boolean(jpath(doc, "volumes[0].in_partition_table")));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[0].code"), "not-in-partition-table");
	json_object_put(doc);
}

/* MBR with the table sector zeroed (a deleted table), VMFS3 at 128. */
Test(fixtures, mbr_table_wiped)
{
	const char *disk = tmp_path("wiped.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	uint8_t zero[512] = { 0 };
	patch_file(disk, 0, zero, sizeof(zero));
	json_object *doc = inspect(disk, 0);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "none");
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 128 * 512);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[0].code"), "not-in-partition-table");
	json_object_put(doc);
}

/* A partition shorter than the LVM totalBytes is an error finding. */
Test(fixtures, partition_smaller_than_lvm)
{
	const char *disk = tmp_path("short.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	/* Shrink MBR entry 1 by 2048 sectors. */
	json_object *before = inspect(disk, 0);
	uint64_t sectors = ju64_at(before, "partition_table.partitions[0].size");
	json_object_put(before);
	patch_le32(disk, 0x1BE + 0xC, (uint32_t)(sectors - 2048));
	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.out, "partition-smaller-than-lvm"));
	cr_assert_not_null(strstr(r.err, "smaller than the LVM totalBytes"));
	tool_result_free(&r);
}

/* A disk cut at its partition start keeps the backup GPT at its end; a
 * corrupted header CRC is reported as such. */
Test(fixtures, partition_image_with_trailing_backup_gpt)
{
	const char *disk = tmp_path("disk.img");
	const char *cut = tmp_path("cut.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=4096", disk, NULL);
	dd_copy(disk, cut, "512", "skip=4096");
	json_object *doc = inspect(cut, 0);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[1].code"), "trailing-backup-gpt");
	cr_assert_not_null(strstr(jstr_at(doc, "volumes[0].findings[1].message"), "partition started at LBA 4096"));
	cr_assert_not_null(strstr(jstr_at(doc, "volumes[0].findings[1].message"), "CRC ok"));
	json_object_put(doc);
	/* Flip a byte of the backup header's disk GUID: the CRC no longer matches. */
	uint8_t flip = 0x5A;
	patch_file(cut, (1ull << 30) - 4096 * 512 - 512 + 0x38, &flip, 1);
	doc = inspect(cut, 0);
	cr_assert_not_null(strstr(jstr_at(doc, "volumes[0].findings[1].message"), "CRC wrong"));
	json_object_put(doc);
}

/* An MBR entry moved from sector 128 to 2048: the partition no longer starts
 * where the header is, and the header at 128 + 1 MiB is inside it. */
Test(fixtures, partition_start_not_at_header)
{
	const char *disk = tmp_path("moved.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	patch_le32(disk, 0x1BE + 0x8, 2048);
	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "findings[0].code"), "no-lvm-header");
	cr_assert_eq(ju64_at(doc, "findings[0].offset"), 0x200000);
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 0x10000);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[0].code"), "stale-header");
	cr_assert_not_null(strstr(r.err, "partition 1 has the VMFS type but no LVM device header"));
	json_object_put(doc);
	tool_result_free(&r);
}

/* numDevs 2 on a single device: the other extent is absent from this source. */
Test(fixtures, spanned_volume_member_missing)
{
	const char *image = tmp_path("span.img");
	mkfixture("volume", "--lvm", "5", image, NULL);
	patch_le32(image, 0x100200 + 0x90, 2);
	json_object *doc = inspect(image, 0);
	bool incomplete = false, spanned = false;
	json_object *findings = jpath(doc, "volumes[0].findings");
	for (size_t i = 0; i < json_object_array_length(findings); i++) {
		const char *code = json_object_get_string(jpath(json_object_array_get_idx(findings, i), "code"));
		incomplete |= strcmp(code, "spanned-volume-incomplete") == 0;
		spanned |= strcmp(code, "spanned-volume") == 0;
	}
	cr_assert(spanned && incomplete, "%s", json_object_to_json_string(findings));
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.volume.num_devs"), 2);
	json_object_put(doc);
}

/* An extended metadata region (format reference 4.5) holding a second PE:
 * region header at partition offset 0x1000000 with one PE map, its bitmap at
 * region + 0x80200 and its table at region + 0x80600 (LVM5). */
Test(fixtures, extended_metadata_region)
{
	const char *image = tmp_path("ext.img");
	mkfixture("volume", "--lvm", "5", "--size", "1G", "--pe-size", "256M", image, NULL);
	json_object *before = inspect(image, 0);
	uint64_t pes = json_object_array_length(jpath(before, "volumes[0].lvm.extents"));
	cr_assert_eq(pes, 3);
	json_object_put(before);
	/* Move PE 2 from the main table into the region: clear its bitmap bit and entry. */
	const uint64_t region = 0x1000000, main_table = 0x180600;
	uint8_t entry[128], zero[128] = { 0 }, bitmap_main = 0x03, bitmap_region = 0x01;
	int fd_ok = 0;
	FILE *f = fopen(image, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, (long)(main_table + 2 * 128), SEEK_SET), 0);
	fd_ok = fread(entry, 1, sizeof(entry), f) == sizeof(entry);
	fclose(f);
	cr_assert(fd_ok);
	patch_file(image, main_table + 2 * 128, zero, sizeof(zero));
	patch_file(image, 0x180200, &bitmap_main, 1);
	patch_le32(image, region, 0xC001D00D);
	patch_le32(image, region + 4, 1);
	patch_le64(image, region + 8, 0x1100000);
	patch_le64(image, region + 16, 0);
	patch_file(image, region + 0x80200, &bitmap_region, 1);
	patch_file(image, region + 0x80600, entry, sizeof(entry));
	patch_le64(image, 0x100000 + 0xC2, region);
	json_object *doc = inspect(image, 0);
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].lvm.ext_regions")), 1);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.ext_regions[0].offset"), region);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.ext_regions[0].num_pe_maps"), 1);
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].lvm.extents")), 3);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[2].map"), 1, "PE from the region's map (main has 1)");
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[2].entry_offset"), region + 0x80600);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[2].logical_offset"), 2ull * 256 * 1024 * 1024);
	/* Only the "this is a partition image" note: no warning, no error. */
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].findings")), 1);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[0].code"), "partition-image");
	json_object_put(doc);
}
