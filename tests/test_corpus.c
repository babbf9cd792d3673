/* Real images written by ESX/ESXi hosts (../shared/corpus): the library and
 * vmfs-inspect must report exactly the versions, UUIDs and labels listed in
 * the corpus README, and agree with libblkid's low-level probe (blkid -p) on
 * the same bytes. Skipped, with a message, when the corpus is absent. */
#include "tests/support/support.h"
#include "vmfs/discover/disk.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct expected_volume {
	const char *image;
	unsigned lvm_major, lvm_minor;       /* 0: no LVM header (LV image) */
	const char *device_uuid, *lv_uuid;
	const char *fs_uuid, *label;         /* NULL: descriptor not in the image */
	unsigned fs_major, fs_minor;
	uint64_t total_bytes;
	int exit_status;
} expected_volume;

static const expected_volume corpus[] = {
	{ "vmfs3-fs-util-linux.img", 0, 0, NULL, NULL, "49edf844-ebfc28f3-65cb-0021280083cf", "toto", 4, 31, 0, 0 },
	{ "vmfs3-volume-util-linux.img", 3, 16, "49edf844-da2dde19-747b-0021280083cf",
	  "49edf842-dcb35d37-b383-0021280083cf", NULL, NULL, 0, 0, 1258435584, 2 /* truncated image */ },
	{ "vmfs5-dissect.bin", 5, 21, "61137dd5-dc4830ac-56f8-000c29801686", "61137dd5-d0727810-7ac2-000c29801686",
	  "61137dd5-df6bc2c8-f0e7-000c29801686", "VMFS5 Test", 14, 0x51, 0x1FE00200, 0 },
	{ "vmfs6-dissect.bin", 6, 21, "6113001e-a232f065-7369-000c29801686", "6113001e-95afd8fb-d830-000c29801686",
	  "6113001e-a6377ebc-1d24-000c29801686", "VMFS6 Test", 24, 0x52, 0x3FE00200, 0 },
};

static void check_library(const expected_volume *e)
{
	const char *path = corpus_image(e->image);
	vmfs_source *src;
	vmfs_error err;
	vmfs_disk disk;
	cr_assert_eq(vmfs_source_open(path, &src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_disk_analyse(src, NULL, &disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(disk.num_devices, 1, "%s: %zu devices", e->image, disk.num_devices);
	const vmfs_device *dev = disk.devices[0];
	char text[VMFS_UUID_TEXT_LEN + 1];
	cr_assert_eq(dev->offset, 0);
	cr_assert_eq(dev->has_lvm, e->lvm_major != 0);
	if (e->lvm_major) {
		cr_assert_eq(dev->lvm.major, e->lvm_major);
		cr_assert_eq(dev->lvm.minor, e->lvm_minor);
		cr_assert_eq(dev->lvm.total_bytes, e->total_bytes);
		cr_assert_str_eq(vmfs_uuid_format(&dev->lvm.device_uuid, text), e->device_uuid);
		cr_assert_not_null(dev->primary);
		cr_assert_str_eq(vmfs_uuid_format(&dev->primary->entry.lv_uuid, text), e->lv_uuid);
		cr_assert_str_eq(dev->primary->entry.name, e->lv_uuid, "volume name is the LV UUID text (4.1)");
		cr_assert_eq(dev->lvm.data_offset, 0x1100000);
	}
	cr_assert_eq(dev->has_fs, e->fs_uuid != NULL);
	if (e->fs_uuid) {
		cr_assert_str_eq(vmfs_uuid_format(&dev->fs.uuid, text), e->fs_uuid);
		cr_assert_str_eq(dev->fs.label, e->label);
		cr_assert_eq(dev->fs.major, e->fs_major);
		cr_assert_eq(dev->fs.minor, e->fs_minor);
		cr_assert_eq(dev->fs.file_block_size, 1048576);
		cr_assert_eq(dev->fs_offset, e->lvm_major ? 0x1300000u : 0x200000u);
		if (e->lvm_major)
			cr_assert(vmfs_uuid_equal(&dev->fs.lv_uuid, &dev->primary->entry.lv_uuid));
	}
	cr_assert_eq(vmfs_disk_error_count(&disk) > 0, e->exit_status == 2);
	vmfs_disk_free(&disk);
	vmfs_source_close(src);
}

/* blkid -p on the image (LVM member) and on the LV (the descriptor is probed at
 * LV + 2 MiB, so at the LVM data offset; format reference 7.3). */
static void check_blkid(const expected_volume *e)
{
	const char *path = corpus_image(e->image);
	char value[128];
	if (e->lvm_major) {
		cr_assert(blkid_value(path, 0, "TYPE", value, sizeof(value)));
		cr_assert_str_eq(value, "VMFS_volume_member");
		cr_assert(blkid_value(path, 0, "UUID_SUB", value, sizeof(value)));
		cr_assert_str_eq(value, e->device_uuid, "blkid UUID_SUB = device UUID");
		cr_assert(blkid_value(path, 0, "VERSION", value, sizeof(value)));
		cr_assert_eq((unsigned)atoi(value), e->lvm_major);
		/* blkid reads the LV UUID text at 0x100214, right for LVM3/5 only (11.4). */
		if (e->lvm_major == 6) {
			cr_assert_not(blkid_value(path, 0, "UUID", value, sizeof(value)));
		} else {
			cr_assert(blkid_value(path, 0, "UUID", value, sizeof(value)));
			cr_assert_str_eq(value, e->lv_uuid);
		}
	}
	if (e->fs_uuid) {
		uint64_t lv = e->lvm_major ? 0x1100000 : 0;
		cr_assert(blkid_value(path, lv, "TYPE", value, sizeof(value)));
		cr_assert_str_eq(value, "VMFS");
		cr_assert(blkid_value(path, lv, "UUID", value, sizeof(value)));
		cr_assert_str_eq(value, e->fs_uuid);
		cr_assert(blkid_value(path, lv, "LABEL", value, sizeof(value)));
		cr_assert_str_eq(value, e->label);
		cr_assert(blkid_value(path, lv, "VERSION", value, sizeof(value)));
		cr_assert_eq((unsigned)atoi(value), e->fs_minor);
	}
}

static void check_inspect_json(const expected_volume *e)
{
	const char *path = corpus_image(e->image);
	tool_result r = run_tool("vmfs-inspect", "--json", path, NULL);
	cr_assert_eq(r.status, e->exit_status, "%s: exit %d, stderr: %s", e->image, r.status, r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "source.path"), path);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(ju64_at(doc, "source.size"), (uint64_t)st.st_size);
	cr_assert_eq(ju64_at(doc, "source.sector_size"), 512);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "none");
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes")), 1);
	if (e->lvm_major) {
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.major"), e->lvm_major);
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.minor"), e->lvm_minor);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.device_uuid"), e->device_uuid);
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.total_bytes"), e->total_bytes);
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.data_offset"), 0x1100000);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.volume.uuid"), e->lv_uuid);
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.volume.snap_id"), 1);
		cr_assert_eq(ju64_at(doc, "volumes[0].lvm.disk_id.lun"), 0);
	} else {
		cr_assert_null(jpath(doc, "volumes[0].lvm"));
	}
	if (e->fs_uuid) {
		cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.uuid"), e->fs_uuid);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), e->label);
		cr_assert_eq(ju64_at(doc, "volumes[0].fs.major"), e->fs_major);
		cr_assert_eq(ju64_at(doc, "volumes[0].fs.minor"), e->fs_minor);
		cr_assert_eq(ju64_at(doc, "volumes[0].fs.block_size"), 1048576);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.magic_name"), "VMFS");
	} else {
		cr_assert_null(jpath(doc, "volumes[0].fs"));
	}
	json_object_put(doc);
	tool_result_free(&r);
}

Test(corpus, vmfs3_fs_library) { check_library(&corpus[0]); }
Test(corpus, vmfs3_fs_blkid) { check_blkid(&corpus[0]); }
Test(corpus, vmfs3_fs_inspect) { check_inspect_json(&corpus[0]); }
Test(corpus, vmfs3_volume_library) { check_library(&corpus[1]); }
Test(corpus, vmfs3_volume_blkid) { check_blkid(&corpus[1]); }
Test(corpus, vmfs3_volume_inspect) { check_inspect_json(&corpus[1]); }
Test(corpus, vmfs5_library) { check_library(&corpus[2]); }
Test(corpus, vmfs5_blkid) { check_blkid(&corpus[2]); }
Test(corpus, vmfs5_inspect) { check_inspect_json(&corpus[2]); }
Test(corpus, vmfs6_library) { check_library(&corpus[3]); }
Test(corpus, vmfs6_blkid) { check_blkid(&corpus[3]); }
Test(corpus, vmfs6_inspect) { check_inspect_json(&corpus[3]); }

/* The truncated util-linux volume: the error names the path, the offset of
 * totalBytes and both sizes, on one line. */
Test(corpus, truncated_volume_error_line)
{
	const char *path = corpus_image("vmfs3-volume-util-linux.img");
	tool_result r = run_tool("vmfs-inspect", path, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, path));
	cr_assert_not_null(strstr(r.err, "offset 0x10005e"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "1258435584"));
	cr_assert_not_null(strstr(r.err, "2483200"));
	cr_assert_not_null(strstr(r.out, "vml.0000000000766d686261303a43303a54303a4c30"));
	tool_result_free(&r);
}

/* Field values not in the README but documented in the format reference 3 and
 * 4 for the real VMFS6 image: LVM6 layout and the single 768 MiB extent. */
Test(corpus, vmfs6_layout_and_extent)
{
	const char *path = corpus_image("vmfs6-dissect.bin");
	tool_result r = run_tool("vmfs-inspect", "--json", path, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.md_alignment"), 0x1000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.num_pes6"), 3);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.layout.volume_table"), 0x101000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.layout.sd_table"), 0x17F000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.layout.pe_bitmap"), 0x181000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.layout.pe_table"), 0x182000);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.devices[0]"), "mpx.vmhba0:C0:T2:L0:1");
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].lvm.extents")), 1);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[0].physical_offset"), 0x1100000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[0].logical_offset"), 0);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.extents[0].length"), 0x30000000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.volume.size"), 0x30000000);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.volume.num_pes"), 3);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.id"), "vmhba0:2:0");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.vml"), "vml.0000000000766d686261303a323a30");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.init_time"), "2021-08-10T22:39:26.927622Z");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.mod_time"), "2021-08-11T07:34:09.957575Z");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.host_uuid"), "6112ff90-4e69af20-454b-000c29801686");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.checksum.status"), "none");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.version_string"), "VMFS-6.82");
	json_object_put(doc);
	tool_result_free(&r);
}

/* The Done criterion of the foundation issue: the VMFS5 image placed in a GPT
 * partition at sector 2048 of a disk image. */
Test(corpus, vmfs5_in_gpt_partition_at_2048)
{
	const char *image = corpus_image("vmfs5-dissect.bin");
	const char *disk = tmp_path("vmfs5-gpt.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "512M", "--image", image, disk, NULL);
	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].number"), 1);
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].start"), 2048);
	cr_assert_eq(ju64_at(doc, "partition_table.partitions[0].size"), 1044481);
	cr_assert_str_eq(jstr_at(doc, "partition_table.partitions[0].type"), "AA31E02A-400F-11DB-9590-000C2911D1B8");
	cr_assert(json_object_get_boolean(jpath(doc, "partition_table.partitions[0].vmfs")));
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes")), 1);
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 0x100000);
	cr_assert_eq(ju64_at(doc, "volumes[0].partition"), 1);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.offset"), 0x200000);
	cr_assert_eq(ju64_at(doc, "volumes[0].fs.offset"), 0x1400000);

	char value[128];
	cr_assert(blkid_value(disk, 0x100000, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.device_uuid"), value);
	cr_assert(blkid_value(disk, 0x100000, "UUID", value, sizeof(value)));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.volume.uuid"), value);
	cr_assert(blkid_value(disk, 0x100000, "VERSION", value, sizeof(value)));
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.major"), (uint64_t)atoi(value));
	cr_assert(blkid_value(disk, 0x100000 + 0x1100000, "UUID", value, sizeof(value)));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.uuid"), value);
	cr_assert(blkid_value(disk, 0x100000 + 0x1100000, "LABEL", value, sizeof(value)));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), value);
	cr_assert_str_eq(value, "VMFS5 Test");
	cr_assert_eq(json_object_array_length(jpath(doc, "volumes[0].findings")), 0, "%s", r.out);
	json_object_put(doc);
	tool_result_free(&r);
}

/* The dissect images run on to the end of their disk and end with its backup
 * GPT (format reference 2.2, 11.3): the report says where the image sat. */
Test(corpus, trailing_backup_gpt_locates_the_partition)
{
	const char *names[] = { "vmfs5-dissect.bin", "vmfs6-dissect.bin" };
	const char *disk_sectors[] = { "disk of 1048576 sectors", "disk of 2097152 sectors" };
	for (size_t i = 0; i < 2; i++) {
		tool_result r = run_tool("vmfs-inspect", "--json", corpus_image(names[i]), NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		json_object *doc = parse_json(r.out);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].findings[1].code"), "trailing-backup-gpt");
		const char *message = jstr_at(doc, "volumes[0].findings[1].message");
		cr_assert_not_null(strstr(message, "CRC ok"), "%s", message);
		cr_assert_not_null(strstr(message, disk_sectors[i]), "%s", message);
		cr_assert_not_null(strstr(message, "partition started at LBA 2048"), "%s", message);
		json_object_put(doc);
		tool_result_free(&r);
	}
}
