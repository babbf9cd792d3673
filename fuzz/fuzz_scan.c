/* libFuzzer harness: the lost-volume scan over a whole disk (format reference
 * 2.4) and the rebuild plan made from it, the path of vmfs-restore.
 *
 * The input is a chunk-form disk (fuzz/common.h), so LVM headers can sit at
 * sector 128, at any 1 MiB boundary (probe mode) or at any sector (deep mode)
 * of a disk of up to 2 TiB whose holes the scan skips. GPT CRCs are made
 * consistent first unless control bit 15 is set (fuzz_fix_gpt). Each run
 * reads the partition table, scans in probe mode and in deep mode (alignment:
 * control bit 0 set = 4096, else the source's 512), and from each result
 * builds the plan with vmfs_plan_make (control bits 1-2: table type none,
 * "gpt", "mbr", "dos"; bit 3: force, with bits 8-15 as the partition to
 * replace). With
 * control bit 4 a plan that changes something is also rendered by libfdisk
 * on a scratch copy of the label areas (vmfs_table_render_plan), the bytes
 * vmfs-restore would write. */
#include "fuzz/common.h"

#include "vmfs/repair/plan.h"
#include "vmfs/format/ptable.h"
#include "vmfs/discover/scan.h"
#include "vmfs/repair/table_render.h"

#include <stdlib.h>

static void plan(vmfs_source *src, const vmfs_ptable *table, const vmfs_scan_result *scan, uint16_t control)
{
	static const char *const tables[] = { NULL, "gpt", "mbr", "dos" };
	vmfs_plan_options options = {
		.table = tables[(control >> 1) & 3],
		.force = control & 8,
		.replace = control >> 8,
	};
	vmfs_plan *p = malloc(sizeof(*p));
	vmfs_error err;
	if (!p)
		return;
	if (vmfs_plan_make(src, table, scan, &options, p, &err) == VMFS_OK) {
		for (size_t i = 0; i < p->count; i++)
			(void)vmfs_plan_state_name(p->entries[i].state);
		vmfs_table_render render;
		if ((control & 16) && p->changes && !p->blocked && vmfs_table_render_plan(src, p, &render, &err) == VMFS_OK)
			vmfs_table_render_free(&render);
	}
	free(p);
}

static void scan(vmfs_source *src, const vmfs_ptable *table, bool deep, uint16_t control)
{
	vmfs_scan_result *result = malloc(sizeof(*result));
	vmfs_error err;
	if (!result)
		return;
	vmfs_scan_options options = { .deep = deep, .alignment = control & 1 ? 4096 : 0 };
	if (vmfs_scan(src, &options, result, &err) == VMFS_OK) {
		plan(src, table, result, control);
		vmfs_scan_result_free(result);
	}
	free(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t control = 0;
	vmfs_source *src = fuzz_disk_open(data, size, &control);
	if (!src)
		return 0;
	if (!(control & 0x8000))
		fuzz_fix_gpt(src);
	vmfs_ptable table;
	vmfs_error err;
	if (vmfs_ptable_read(src, 0, &table, &err) == VMFS_OK) {
		vmfs_source_set_sector_size(src, table.sector_size);
		scan(src, &table, false, control);
		scan(src, &table, true, control);
		vmfs_ptable_free(&table);
	}
	(void)vmfs_scan_header_plausible(data, size);
	vmfs_source_close(src);
	return 0;
}
