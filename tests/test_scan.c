/* Lost-volume scan: probe mode at the usual starts, skipping holes; deep mode
 * at every sector; validation of candidates (format reference 2.4). */
#include "tests/support/support.h"
#include "vmfs/core/le.h"
#include "vmfs/format/ptable.h"
#include "vmfs/discover/scan.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vmfs_scan_result *scan(const char *path, bool deep)
{
	static vmfs_scan_result result;
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &src, &err), VMFS_OK, "%s", err.reason);
	vmfs_scan_options options = { .deep = deep };
	cr_assert_eq(vmfs_scan(src, &options, &result, &err), VMFS_OK, "%s", err.reason);
	vmfs_source_close(src);
	return &result;
}

Test(scan, probe_finds_vmfs6_without_entry)
{
	const char *disk = tmp_path("deleted.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,entry=0,label=lost6", disk, NULL);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 1);
	cr_assert_eq(r->hits[0].header_offset, 0x200000);
	cr_assert_eq(r->hits[0].partition_offset, 0x100000);
	cr_assert(r->hits[0].device->has_fs);
	cr_assert_str_eq(r->hits[0].device->fs.label, "lost6");
	vmfs_scan_result_free(r);
}

Test(scan, probe_finds_vmfs3_at_sector_128_and_a_second_volume)
{
	const char *disk = tmp_path("two.img");
	mkfixture("disk", "--table", "none", "--disk-size", "2G", "--vol", "lvm=3,start=128,size=700M,label=old",
		  "--vol", "lvm=5,start=1439744,label=new", disk, NULL);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 2);
	cr_assert_eq(r->hits[0].partition_offset, 128 * 512);
	cr_assert_str_eq(r->hits[0].device->fs.label, "old");
	cr_assert_eq(r->hits[1].partition_offset, 1439744ull * 512);
	cr_assert_str_eq(r->hits[1].device->fs.label, "new");
	vmfs_scan_result_free(r);
}

/* A partition start on no 1 MiB boundary, past the first 64 MiB and behind
 * no volume: only the deep scan sees it. */
Test(scan, deep_finds_unaligned_start)
{
	const char *disk = tmp_path("odd.img");
	mkfixture("disk", "--table", "none", "--disk-size", "1G", "--vol", "lvm=5,start=300001,size=300M,label=odd", disk,
		  NULL);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 0, "probe mode must not look at sector 300001");
	r = scan(disk, true);
	cr_assert_eq(r->count, 1);
	cr_assert_eq(r->hits[0].partition_offset, 300001ull * 512);
	cr_assert_str_eq(r->hits[0].device->fs.label, "odd");
	cr_assert_eq(r->bytes_read, r->data_bytes, "deep mode reads the data once, and only the data");
	vmfs_scan_result_free(r);
}

/* Starts older tools and arrays used (sector 63, 64) and 2048 + 1 MiB
 * (sector 4096): all in the first 64 MiB, found by the probe. */
Test(scan, probe_finds_starts_63_64_4096)
{
	static const char *const starts[] = { "63", "64", "4096" };
	for (size_t i = 0; i < 3; i++) {
		const char *disk = tmp_path("start.img");
		char vol[64];
		snprintf(vol, sizeof(vol), "lvm=5,start=%s,size=300M,label=s%s", starts[i], starts[i]);
		mkfixture("disk", "--table", "none", "--disk-size", "1G", "--vol", vol, disk, NULL);
		vmfs_scan_result *r = scan(disk, false);
		cr_assert_eq(r->count, 1, "start %s: %zu hits", starts[i], r->count);
		cr_assert_eq(r->hits[0].partition_offset, strtoull(starts[i], NULL, 10) * 512);
		vmfs_scan_result_free(r);
	}
}

/* A second volume starting at an odd sector within 64 MiB of the end of the
 * first: found through the window behind the first. */
Test(scan, probe_finds_neighbour_behind_a_volume)
{
	const char *disk = tmp_path("behind.img");
	/* First: sectors 2048 .. 2048 + 400 MiB; second 10 MiB + 7 sectors behind it. */
	mkfixture("disk", "--table", "none", "--disk-size", "1G", "--vol", "lvm=6,start=2048,size=400M,label=a", "--vol",
		  "lvm=5,start=841735,size=300M,label=b", disk, NULL);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 2, "%zu hits", r->count);
	cr_assert_eq(r->hits[1].partition_offset, 841735ull * 512);
	cr_assert_str_eq(r->hits[1].device->fs.label, "b");
	vmfs_scan_result_free(r);
}

/* Cost follows the data, not the device: an 8 TiB sparse disk holding one
 * volume is probed with a handful of reads. */
Test(scan, probe_skips_holes_of_a_huge_sparse_disk)
{
	const char *disk = tmp_path("huge.img");
	mkfixture("disk", "--table", "none", "--disk-size", "8T", "--vol", "lvm=6,start=2048,size=8796091973632,label=huge", disk, NULL);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 1);
	cr_assert_eq(r->hits[0].device->lvm.total_bytes, (8ull << 40) - (1u << 20));
	cr_assert_lt(r->data_bytes, 16u << 20, "data %llu", (unsigned long long)r->data_bytes);
	cr_assert_lt(r->candidates, 64, "candidates %llu", (unsigned long long)r->candidates);
	vmfs_scan_result_free(r);
	r = scan(disk, true);
	cr_assert_eq(r->count, 1);
	cr_assert_lt(r->bytes_read, 16u << 20);
	vmfs_scan_result_free(r);
}

/* Extended-metadata region headers share the magic but not the fields
 * (format reference 2.4 step 1): they are not volumes. */
Test(scan, extended_region_header_is_not_a_volume)
{
	uint8_t h[VMFS_LVM_HEADER_DEFINED] = { 0 };
	vmfs_put_le32(h, VMFS_LVM_MAGIC);
	vmfs_put_le32(h + 4, 3);          /* numPEMaps, where a header has its major */
	vmfs_put_le64(h + 8, 0x1100000);  /* dataOffset of the region */
	cr_assert_not(vmfs_scan_header_plausible(h, sizeof(h)));
	vmfs_put_le32(h + VMFS_LVM_OFF_DISK_BLOCK_SIZE, 512);
	vmfs_put_le64(h + VMFS_LVM_OFF_TOTAL_BYTES, 600u << 20);
	vmfs_put_le64(h + VMFS_LVM_OFF_DATA_OFFSET, 0x1100000);
	cr_assert(vmfs_scan_header_plausible(h, sizeof(h)));
	vmfs_put_le64(h + VMFS_LVM_OFF_DATA_OFFSET, 700u << 20);
	cr_assert_not(vmfs_scan_header_plausible(h, sizeof(h)), "dataOffset beyond the device");
}

Test(scan, random_bytes_give_nothing)
{
	const char *path = tmp_path("random.img");
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	uint64_t x = 0x2545F4914F6CDD1Dull;
	for (size_t i = 0; i < (8u << 20) / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fwrite(&x, 8, 1, f);
	}
	fclose(f);
	vmfs_scan_result *r = scan(path, true);
	cr_assert_eq(r->count, 0);
	cr_assert_eq(r->bytes_read, 8u << 20);
}

/* The real VMFS5 image in a disk whose table is gone. */
Test(scan, corpus_vmfs5_table_gone)
{
	const char *image = corpus_image("vmfs5-dissect.bin");
	const char *disk = tmp_path("v5.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "512M", "--image", image, disk, NULL);
	wipe_gpt(disk, 512ull << 20);
	vmfs_scan_result *r = scan(disk, false);
	cr_assert_eq(r->count, 1);
	cr_assert_eq(r->hits[0].partition_offset, 0x100000);
	cr_assert_eq(r->hits[0].device->lvm.total_bytes, 1044481ull * 512);
	cr_assert_str_eq(r->hits[0].device->fs.label, "VMFS5 Test");
	vmfs_scan_result_free(r);
}

/* A deep scan over many blocks of dense data, on a source whose table was
 * read first (libblkid, behind libfdisk, turns readahead off on the
 * descriptor; the scan turns it back on): a header in the last sector of a
 * read block, a source that ends in the middle of a block, and every byte
 * read exactly once. */
Test(scan, deep_over_dense_blocks_after_the_table_was_read)
{
	const char *vol = tmp_path("dense-vol.img");
	const char *disk = tmp_path("dense.img");
	mkfixture("volume", "--lvm", "5", "--size", "600M", "--label", "dense", vol, NULL);
	const size_t size = (48u << 20) + 3 * 512; /* more than the read-ahead window */
	/* The header (partition + 1 MiB) lands in the last sector of the third block. */
	const uint64_t start = 2ull * VMFS_SCAN_BLOCK + VMFS_SCAN_BLOCK - 512 - (1u << 20);
	uint8_t *bytes = malloc(size);
	cr_assert_not_null(bytes);
	fill_pattern(bytes, size, 11);
	read_file_at(vol, 0, bytes + start, 40u << 20); /* the volume's metadata, zeros included */
	write_whole_file(disk, bytes, size);
	free(bytes);

	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(disk, &src, &err), VMFS_OK, "%s", err.reason);
	vmfs_ptable table;
	vmfs_ptable_read(src, 512, &table, &err);
	vmfs_ptable_free(&table);
	static vmfs_scan_result r;
	vmfs_scan_options options = { .deep = true };
	cr_assert_eq(vmfs_scan(src, &options, &r, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(r.count, 1);
	cr_assert_eq(r.hits[0].partition_offset, start);
	cr_assert_eq((r.hits[0].header_offset + 512) % VMFS_SCAN_BLOCK, 0, "the last sector of a block");
	cr_assert_str_eq(r.hits[0].device->fs.label, "dense");
	cr_assert_eq(r.bytes_read, size);
	cr_assert_eq(r.data_bytes, size);
	vmfs_scan_result_free(&r);
	/* Reads after the scan work as before. */
	uint8_t h[4];
	cr_assert_eq(vmfs_source_read(src, start + (1u << 20), h, 4, &err), VMFS_OK);
	cr_assert_eq(vmfs_le32(h), VMFS_LVM_MAGIC);
	vmfs_source_close(src);
}
