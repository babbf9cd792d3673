/* Which byte ranges of a source a metadata backup must hold (format
 * reference section 10): the partition-table areas (sector 0, primary and
 * backup GPT), and for every VMFS device its LVM metadata (header to data
 * offset), each extended metadata region with its PE maps, and the start of
 * its logical volume (.vh.sf: descriptor and heartbeats), through the extent
 * map. Ranges never overlap and each is at most VMFS_SELECT_MAX_SPAN. */
#ifndef VMFS_BACKUP_SELECT_H
#define VMFS_BACKUP_SELECT_H

#include "vmfs/discover/disk.h"
#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stddef.h>
#include <stdint.h>

#define VMFS_SELECT_MAX_SPANS 256u
#define VMFS_SELECT_MAX_SPAN  (64ull << 20)
#define VMFS_SELECT_NO_DEVICE 0xFFFFFFFFu

typedef struct vmfs_backup_span {
	char kind[33];          /* "mbr", "gpt-primary", "gpt-backup", "lvm-metadata", "lvm-ext-metadata", "vh-sf" */
	uint32_t device;        /* index into disk->devices, or VMFS_SELECT_NO_DEVICE */
	uint64_t offset;        /* absolute */
	uint64_t length;
} vmfs_backup_span;

typedef struct vmfs_backup_selection {
	vmfs_backup_span spans[VMFS_SELECT_MAX_SPANS];
	size_t count;
	uint64_t total;         /* bytes selected */
	size_t skipped;         /* ranges left out: overlapping an earlier one or past the end */
} vmfs_backup_selection;

vmfs_status vmfs_backup_select(vmfs_source *src, const vmfs_disk *disk, vmfs_backup_selection *out,
			       vmfs_error *err);

#endif
