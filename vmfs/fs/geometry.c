/* Geometry from the descriptor, format reference vmfs-fs-layer.md 1.3, 3.2,
 * 4.1, 4.3, 7.1; limits of 8.2. */
#include "vmfs/fs/geometry.h"

#include <inttypes.h>
#include <string.h>

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

vmfs_status vmfs_fs_geometry_init(const vmfs_fs_descriptor *d, const char *path, uint64_t desc_offset,
				  vmfs_fs_geometry *g, vmfs_error *err)
{
	memset(g, 0, sizeof(*g));
	g->v6 = d->major >= 24;
	g->dense_sbpc = (d->config & VMFS_FS_CONFIG_DENSE_SBPC) != 0;
	/* 8.2: FBS a power of two, 64 KiB .. 256 MiB. */
	if (!pow2(d->file_block_size) || d->file_block_size < 0x10000 || d->file_block_size > 0x10000000)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, desc_offset + VMFS_FS_OFF_FILE_BLOCK_SIZE,
				      "file block size %" PRIu64 " is not a power of two in 64 KiB..256 MiB",
				      d->file_block_size);
	g->fbs = d->file_block_size;
	/* 8.2: SBS a power of two, 1 KiB .. FBS. */
	if (!pow2(d->sub_block_size) || d->sub_block_size < 0x400 || d->sub_block_size > g->fbs)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, desc_offset + VMFS_FS_OFF_SUB_BLOCK_SIZE,
				      "sub-block size %" PRIu32 " is not a power of two in 1 KiB..%" PRIu64,
				      d->sub_block_size, g->fbs);
	g->sbs = d->sub_block_size;
	g->hb_lv = 0x300000;
	if (!g->v6) {
		/* 4.1, 6.1, 4.3, 3.3, 3.2, 7.1 (VMFS3/5). */
		g->lfbs = g->fbs;
		g->fd_size = 0x800;
		g->lock_size = 0x200;
		g->meta_off = 0x200;
		g->resident_off = 0x400;
		g->resident_max = 0x400;
		g->ptr_off = 0x400;
		g->ptr_count = 256;
		g->ptr_width = 4;
		g->ptrs_per_pb = 1024;
		g->cluster_meta = 0x400;
		g->fdc_lv = (0x400000 + g->fbs - 1) / g->fbs * g->fbs;
		g->hb_slot_size = 0x200;
		g->hb_slots = 2048;
		return VMFS_OK;
	}
	/* 8.2: MDA a power of two, 4 KiB .. 64 KiB; sfbToLfbShift <= 16. */
	if (!pow2(d->md_alignment) || d->md_alignment < 0x1000 || d->md_alignment > 0x10000)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, desc_offset + VMFS_FS_OFF_MD_ALIGNMENT,
				      "metadata alignment %" PRIu32 " is not a power of two in 4 KiB..64 KiB",
				      d->md_alignment);
	if (d->sfb_to_lfb_shift > 16)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, desc_offset + VMFS_FS_OFF_SFB_TO_LFB_SHIFT,
				      "small-to-large file block shift %u is over 16", d->sfb_to_lfb_shift);
	g->mda = d->md_alignment;
	g->lfbs = g->fbs << d->sfb_to_lfb_shift;
	g->fd_size = 2 * g->mda;
	g->lock_size = g->mda;
	g->meta_off = g->mda;
	g->resident_off = g->mda + 0x200;
	g->resident_max = g->mda - 0x200;
	g->ptr_width = 8;
	/* 4.1: 320 u64 aligned to the end of the FD with MDA 4 KiB (seen); for a
	 * larger MDA the reference gives MDA/16 pointers in the last MDA/2 bytes
	 * (from dissect, not seen on an image). */
	g->ptr_count = g->mda == 0x1000 ? 320 : g->mda / 16;
	g->ptr_off = g->fd_size - g->ptr_count * 8;
	g->ptrs_per_pb = g->mda / 8 > 8192 ? g->mda / 8 : 8192; /* 4.3 */
	g->cluster_meta = 2 * g->mda;
	g->fdc_lv = (((uint64_t)g->mda << 10) + 0x3FFFFF) & ~(uint64_t)0xFFFFF; /* 3.2 */
	g->hb_slot_size = 0x1000;
	g->hb_slots = 1024;
	return VMFS_OK;
}
