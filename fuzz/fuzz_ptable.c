/* libFuzzer harness: partition tables through libfdisk (format reference 2)
 * and the whole-disk analysis built on them.
 *
 * The input is a chunk-form disk (fuzz/common.h): the MBR, both GPT copies
 * and any LVM metadata sit where a disk holds them. Unless control bit 15 is
 * set, the CRCs of the GPT headers are first recomputed from the mutated
 * bytes (fuzz_fix_gpt), so that libfdisk parses mutated entries instead of
 * rejecting them. Each run:
 *   - vmfs_ptable_detect_sector_size, then vmfs_ptable_read with sector sizes
 *     512 and 4096;
 *   - vmfs_disk_analyse as vmfs-inspect runs it: sector size detected (control
 *     bits 0-1: 0 or 3 detect, 1 = 512, 2 = 4096), every partition decoded,
 *     the usual starts and the LV-image probe;
 *   - with control bit 2, vmfs_disk_analyse once more with --offset: bits 8-15
 *     give the offset in 64 KiB units (0 = the source start).
 * Whatever the tables say, nothing may be read outside the source and every
 * failure must be a status. */
#include "fuzz/common.h"

#include "vmfs/discover/disk.h"
#include "vmfs/format/ptable.h"

#include <stdlib.h>

static void read_table(vmfs_source *src, unsigned sector_size)
{
	vmfs_ptable table;
	vmfs_error err;
	if (vmfs_ptable_read(src, sector_size, &table, &err) == VMFS_OK)
		vmfs_ptable_free(&table);
}

static void analyse(vmfs_source *src, const vmfs_disk_options *options)
{
	vmfs_disk *disk = malloc(sizeof(*disk));
	vmfs_error err;
	if (!disk)
		return;
	if (vmfs_disk_analyse(src, options, disk, &err) == VMFS_OK) {
		(void)vmfs_disk_error_count(disk);
		vmfs_disk_free(disk);
	}
	free(disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t control = 0;
	vmfs_source *src = fuzz_disk_open(data, size, &control);
	if (!src)
		return 0;
	if (!(control & 0x8000))
		fuzz_fix_gpt(src);
	(void)vmfs_ptable_detect_sector_size(src);
	read_table(src, 512);
	read_table(src, 4096);

	static const unsigned sizes[] = { 0, 512, 4096, 0 };
	vmfs_disk_options options = { .sector_size = sizes[control & 3] };
	analyse(src, &options);
	if (control & 4) {
		options.has_offset = true;
		options.offset = (uint64_t)(control >> 8) << 16;
		analyse(src, &options);
	}
	vmfs_source_close(src);
	return 0;
}
