/* Regression tests for the findings of the libFuzzer harnesses (fuzz/,
 * tests/FUZZING.md): each feeds the bytes of a finding through the library
 * entry point the harness reached it by and states the behaviour a fixed
 * library must have. A test of a finding that is still open is disabled, with
 * the finding's number: enable it together with the fix. */
#include "vmfs/format/device.h"
#include "vmfs/discover/disk.h"
#include "vmfs/core/le.h"
#include "vmfs/format/ptable.h"
#include "vmfs/source/source.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DISK_SECTORS 2048u /* 1 MiB */

/* A 1 MiB disk: protective MBR and a GPT header at LBA 1 (correct CRC) that
 * announces `entries` entries of 128 bytes at LBA 2; the same bytes as
 * fuzz/regress/ptable/gpt-entry-array-128g for entries = 2^30. */
static uint8_t *gpt_disk(uint32_t entries)
{
	uint8_t *d = calloc(DISK_SECTORS, 512);
	cr_assert_not_null(d);
	uint8_t *e = d + 446;
	e[2] = 0x02;
	e[4] = 0xEE;
	e[5] = e[6] = e[7] = 0xFF;
	vmfs_put_le32(e + 8, 1);
	vmfs_put_le32(e + 12, DISK_SECTORS - 1);
	d[510] = 0x55;
	d[511] = 0xAA;
	uint8_t *h = d + 512;
	memcpy(h, "EFI PART", 8);
	vmfs_put_le32(h + 0x08, 0x00010000);
	vmfs_put_le32(h + 0x0C, 92);
	vmfs_put_le64(h + 0x18, 1);
	vmfs_put_le64(h + 0x20, DISK_SECTORS - 1);
	vmfs_put_le64(h + 0x28, 34);
	vmfs_put_le64(h + 0x30, DISK_SECTORS - 34);
	for (int i = 0; i < 16; i++)
		h[0x38 + i] = (uint8_t)(i + 1);
	vmfs_put_le64(h + 0x48, 2);
	vmfs_put_le32(h + 0x50, entries);
	vmfs_put_le32(h + 0x54, 128);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	return d;
}

/* Finding F1 (fuzz_ptable, fuzz_scan): libfdisk allocates and reads the whole
 * entry array a GPT header announces (here 2^30 x 128 bytes = 128 GiB) before
 * any sanity check, and vmfs_ptable_read handed it every disk unchecked.
 * Fixed behaviour: the table is not given to libfdisk; "none" and a message
 * that names the header and the size, VMFS_OK; the disk analysis still runs. */
Test(fuzz_regress, gpt_entry_array_of_128_gib_is_not_read,
     .description = "open finding F1: enable with the fix in vmfs/format/ptable.c")
{
	uint8_t *d = gpt_disk(1u << 30);
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open_memory("f1.img", d, (size_t)DISK_SECTORS * 512, &src, &err), VMFS_OK);
	free(d);
	vmfs_ptable table;
	cr_assert_eq(vmfs_ptable_read(src, 512, &table, &err), VMFS_OK, "%s", err.reason);
	cr_expect_str_eq(table.label, "none");
	cr_assert_geq(table.message_count, 1);
	cr_expect(strstr(table.messages[0], "LBA 1") && strstr(table.messages[0], "1073741824"),
		  "message: %s", table.messages[0]);
	vmfs_ptable_free(&table);

	vmfs_disk *disk = calloc(1, sizeof(*disk));
	cr_assert_not_null(disk);
	cr_assert_eq(vmfs_disk_analyse(src, NULL, disk, &err), VMFS_OK, "%s", err.reason);
	cr_expect(vmfs_findings_has(&disk->findings, "partition-table-message"));
	vmfs_disk_free(disk);
	free(disk);
	vmfs_source_close(src);
}

/* Finding F2 (found while writing fuzz_ptable, not a crash): a GPT entry whose
 * start LBA times the sector size passes 2^64 (2^55 + 2048 sectors of 512
 * bytes) was decoded at the wrapped offset 0x100000 and reported as "VMFS
 * device in partition 1". Fixed behaviour: "partition-past-end", and no
 * device attributed to that partition. */
Test(fuzz_regress, gpt_partition_start_past_2_pow_64_is_not_wrapped,
     .description = "open finding F2: enable with the fix in vmfs/discover/disk.c")
{
	/* 1 GiB sparse disk: the entry array at LBA 2 with one VMFS entry. */
	const uint64_t size = 1ull << 30, sectors = size / 512;
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_new_sparse("f2.img", size, VMFS_SOURCE_MEMORY, &src, &err), VMFS_OK);
	uint8_t *d = gpt_disk(128);
	vmfs_put_le32(d + 446 + 12, (uint32_t)(sectors - 1));
	uint8_t *h = d + 512, *entry = d + 1024;
	static const uint8_t vmfs_type[16] = { 0x2A, 0xE0, 0x31, 0xAA, 0x0F, 0x40, 0xDB, 0x11,
					       0x95, 0x90, 0x00, 0x0C, 0x29, 0x11, 0xD1, 0xB8 };
	memcpy(entry, vmfs_type, 16);
	entry[16] = 1;
	vmfs_put_le64(entry + 0x20, (1ull << 55) + 2048);
	vmfs_put_le64(entry + 0x28, (1ull << 55) + 2048 + 1000000);
	vmfs_put_le64(h + 0x20, sectors - 1);
	vmfs_put_le64(h + 0x30, sectors - 34);
	vmfs_put_le32(h + 0x58, (uint32_t)crc32(0, entry, 128 * 128));
	vmfs_put_le32(h + 0x10, 0);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	cr_assert_eq(vmfs_source_fill(src, 0, d, 1024 + 128 * 128, &err), VMFS_OK);
	/* The backup: the same array before the last LBA and its header there. */
	vmfs_put_le64(h + 0x18, sectors - 1);
	vmfs_put_le64(h + 0x20, 1);
	vmfs_put_le64(h + 0x48, sectors - 33);
	vmfs_put_le32(h + 0x10, 0);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	cr_assert_eq(vmfs_source_fill(src, (sectors - 33) * 512, entry, 128 * 128, &err), VMFS_OK);
	cr_assert_eq(vmfs_source_fill(src, (sectors - 1) * 512, h, 512, &err), VMFS_OK);
	/* An LVM header at 1 MiB + 1 MiB, where the wrapped start would put it. */
	uint8_t lvm[512] = { 0 };
	vmfs_put_le32(lvm, 0xC001D00D);
	vmfs_put_le32(lvm + 4, 5);
	vmfs_put_le32(lvm + 0x5A, 512);
	vmfs_put_le64(lvm + 0x5E, 256ull << 20);
	vmfs_put_le64(lvm + 0x7A, 17ull << 20);
	cr_assert_eq(vmfs_source_fill(src, 2u << 20, lvm, sizeof(lvm), &err), VMFS_OK);
	free(d);

	vmfs_disk *disk = calloc(1, sizeof(*disk));
	cr_assert_not_null(disk);
	cr_assert_eq(vmfs_disk_analyse(src, NULL, disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(disk->table.label, "gpt");
	cr_assert_eq(disk->table.count, 1);
	cr_expect(disk->table.parts[0].past_end);
	cr_expect(vmfs_findings_has(&disk->findings, "partition-past-end"));
	for (size_t i = 0; i < disk->num_devices; i++)
		cr_expect(!disk->devices[i]->in_partition_table,
			  "device at 0x%llx attributed to partition %zu, which starts past 2^64 bytes",
			  (unsigned long long)disk->devices[i]->offset, disk->devices[i]->partition_number);
	vmfs_disk_free(disk);
	free(disk);
	vmfs_source_close(src);
}

/* Finding F3 (fuzz_lvm, a timeout): check_extent_map used UINT64_MAX as "no
 * extent yet", so a PE whose lOffset + length is exactly 2^64 - 1 (here 0 +
 * 0xFFFFFFFFFFFFFFFF) started the selection over for ever. The same bytes as
 * fuzz/regress/lvm/pe-length-ends-at-2pow64: a 4 MiB LVM5 partition image
 * with one volume and that one PE. Fixed behaviour: the device is decoded
 * (VMFS_OK) with a "pe-outside-device" finding for that PE. */
Test(fuzz_regress, pe_ending_at_2_pow_64_minus_1_terminates, .timeout = 10,
     .description = "open finding F3: enable with the fix in vmfs/format/device.c")
{
	const uint64_t mib = 1u << 20;
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_new_sparse("f3.img", 4 * mib, VMFS_SOURCE_MEMORY, &src, &err), VMFS_OK);
	uint8_t meta[1024] = { 0 }, *h = meta, *vol = meta + 512;
	vmfs_put_le32(h + VMFS_LVM_OFF_MAGIC, VMFS_LVM_MAGIC);
	vmfs_put_le32(h + VMFS_LVM_OFF_MAJOR, 5);
	vmfs_put_le32(h + VMFS_LVM_OFF_MINOR, 21);
	vmfs_put_le32(h + VMFS_LVM_OFF_DISK_BLOCK_SIZE, 512);
	vmfs_put_le64(h + VMFS_LVM_OFF_TOTAL_BYTES, 4 * mib);
	vmfs_put_le32(h + VMFS_LVM_OFF_NUM_VOLUMES, 1);
	vmfs_put_le32(h + VMFS_LVM_OFF_NUM_PES, 1);
	vmfs_put_le64(h + VMFS_LVM_OFF_DATA_OFFSET, 0x110000);
	vmfs_put_le32(h + VMFS_LVM_OFF_NUM_PE_MAPS, 1);
	vmfs_put_le64(vol + VMFS_VOL_OFF_LOGICAL_SIZE, 2 * mib);
	vmfs_put_le32(vol + VMFS_VOL_OFF_STATE, VMFS_VOL_STATE_NORMAL);
	memcpy(vol + VMFS_VOL_OFF_NAME, "lost", 4);
	vmfs_put_le32(vol + VMFS_VOL_OFF_NUM_DEVS, 1);
	cr_assert_eq(vmfs_source_fill(src, mib, meta, sizeof(meta), &err), VMFS_OK);
	uint8_t maps[1024 + 512] = { 0 }, *pe = maps + 1024;
	maps[0] = 1; /* bitmap: slot 0 */
	pe[VMFS_PE_OFF_USED] = 1;
	vmfs_put_le64(pe + VMFS_PE_OFF_P_OFFSET, 0x110000);
	vmfs_put_le64(pe + VMFS_PE_OFF_L_OFFSET, 0);
	vmfs_put_le64(pe + VMFS_PE_OFF_LENGTH, UINT64_MAX);
	vmfs_put_le32(pe + VMFS_PE_OFF_VERSION, 1);
	cr_assert_eq(vmfs_source_fill(src, mib + 0x80200, maps, sizeof(maps), &err), VMFS_OK);

	vmfs_device *dev = NULL;
	cr_assert_eq(vmfs_device_read(src, 0, 4 * mib, &dev, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(dev->num_extents, 1);
	cr_expect(vmfs_findings_has(&dev->findings, "pe-outside-device"));
	vmfs_device_free(dev);
	vmfs_source_close(src);
}

/* Finding F5 (fuzz_scan, after the F1-F3 fixes): a GPT whose entry array is
 * not a whole number of sectors (here 122 entries, 15,616 bytes) is read by
 * libfdisk 2.38 fine, but written from a buffer of that size in whole
 * sectors: 768 bytes past the buffer would reach the disk. Fixed behaviour:
 * such a table is still read, but vmfs_table_render_plan refuses to write it
 * (vmfs_ptable_gpt_unwritable). fuzz/regress/scan/gpt-array-not-whole-sectors
 * is the harness input. */
Test(fuzz_regress, gpt_array_of_partial_sectors_is_not_written)
{
	uint8_t *d = gpt_disk(122);
	uint8_t *h = d + 512;
	static const uint8_t zero_array[122 * 128];
	vmfs_put_le32(h + 0x58, (uint32_t)crc32(0, zero_array, sizeof(zero_array)));
	vmfs_put_le32(h + 0x10, 0);
	vmfs_put_le32(h + 0x10, (uint32_t)crc32(0, h, 92));
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open_memory("partial-gpt", d, DISK_SECTORS * 512, &src, &err), VMFS_OK);
	char why[256] = "";
	cr_assert(!vmfs_ptable_gpt_unsafe(src, 512, why, sizeof(why)), "reading it is safe: %s", why);
	cr_assert(vmfs_ptable_gpt_unwritable(src, 512, why, sizeof(why)));
	cr_assert_not_null(strstr(why, "15616 bytes"), "%s", why);
	cr_assert_not_null(strstr(why, "not a whole number"), "%s", why);
	vmfs_ptable table;
	cr_assert_eq(vmfs_ptable_read(src, 512, &table, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(table.label, "gpt");
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
	free(d);
}
