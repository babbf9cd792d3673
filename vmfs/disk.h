/* A whole source as a recovery sees it: the partition table and every VMFS
 * device found in partitions, at the start of the source (a partition image),
 * at the usual partition starts the table does not cover (sectors 128 and
 * 2048), or as a bare LV image; plus findings that concern the source. */
#ifndef VMFS_DISK_H
#define VMFS_DISK_H

#include "vmfs/device.h"
#include "vmfs/error.h"
#include "vmfs/finding.h"
#include "vmfs/ptable.h"
#include "vmfs/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_DISK_MAX_DEVICES (VMFS_PTABLE_MAX_PARTS + 8u)

typedef struct vmfs_disk_options {
	bool has_offset;        /* look only at a partition starting at `offset` */
	uint64_t offset;
	unsigned sector_size;   /* 0 = detect */
} vmfs_disk_options;

typedef struct vmfs_disk {
	vmfs_ptable table;
	vmfs_device *devices[VMFS_DISK_MAX_DEVICES];
	size_t num_devices;
	vmfs_findings findings; /* about the source as a whole */
	bool recognised;        /* a partition table or some VMFS structure was found */
} vmfs_disk;

/* Fails only on I/O and memory errors; "nothing found" is a finding
 * ("nothing-found", severity error) with recognised = false. */
vmfs_status vmfs_disk_analyse(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *out,
			      vmfs_error *err);
void vmfs_disk_free(vmfs_disk *disk);

/* Number of severity-error findings in the disk and all its devices. */
size_t vmfs_disk_error_count(const vmfs_disk *disk);

#endif
