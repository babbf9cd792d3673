/* One source as a recovery sees it (the per-source step of the discovery
 * layer, vmfs/discover/discover.h): the partition table, every VMFS device found in
 * its partitions and by the lost-volume scan (vmfs/discover/scan.h: probe or deep), or
 * the source as a bare LV image; the state of each device against the table
 * (computed by the restore plan, vmfs/repair/plan.h, so that every tool gives the
 * same state and reason); plus findings that concern the source. */
#ifndef VMFS_DISK_H
#define VMFS_DISK_H

#include "vmfs/format/device.h"
#include "vmfs/core/error.h"
#include "vmfs/core/finding.h"
#include "vmfs/format/ptable.h"
#include "vmfs/discover/scan.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_DISK_MAX_DEVICES (VMFS_PTABLE_MAX_PARTS + 8u)
/* Throughput assumed when the cost of a deep scan is estimated. */
#define VMFS_DISK_DEEP_ASSUMED_BPS (200ull * 1000 * 1000)

typedef struct vmfs_disk_options {
	bool has_offset;        /* look only at a partition starting at `offset` */
	uint64_t offset;
	unsigned sector_size;   /* 0 = detect (block device: the kernel's; image: table, then LVM header) */
	bool deep;              /* scan every sector, not only the probe candidates */
	void (*progress)(void *context, uint64_t done, uint64_t total); /* deep scan only */
	void *progress_context;
} vmfs_disk_options;

/* Where a device stands against the partition table (format reference 2.4). */
typedef enum vmfs_found_state {
	VMFS_FOUND_PRESENT,       /* a partition entry holds exactly this device (or the source is its image) */
	VMFS_FOUND_NOT_IN_TABLE,  /* no entry: a rebuild would add one */
	VMFS_FOUND_STALE,         /* an older header overlapping a newer volume: left out */
	VMFS_FOUND_OVERLAPPING,   /* overlaps a VMFS entry with another start or length */
	VMFS_FOUND_CONFLICTING,   /* overlaps a partition of another type */
	VMFS_FOUND_UNFIT,         /* cannot be given an entry (see the reason) */
} vmfs_found_state;

typedef struct vmfs_found {
	vmfs_found_state state;
	size_t number;          /* present: its partition; not-in-table: the number a rebuild would use */
	size_t other;           /* overlapping/conflicting: the partition concerned, else 0 */
	char reason[320];       /* the restore plan's reason, or what the state means here */
} vmfs_found;

typedef struct vmfs_disk {
	vmfs_ptable table;
	vmfs_device *devices[VMFS_DISK_MAX_DEVICES];
	vmfs_found found[VMFS_DISK_MAX_DEVICES]; /* the state of devices[i] */
	size_t num_devices;
	vmfs_findings findings; /* about the source as a whole */
	bool recognised;        /* a partition table or some VMFS structure was found */
	bool sector_size_from_header; /* an image without a table: diskBlockSize 4096 chose the sector size */
	/* The lost-volume scan that completed the table's view (none with has_offset). */
	bool scanned, deep;
	uint64_t scan_candidates, scan_bytes_read, data_bytes;
	bool scan_dropped;      /* more headers than the scan keeps */
} vmfs_disk;

/* Fails only on I/O and memory errors; "nothing found" is a finding
 * ("nothing-found", severity error) with recognised = false. */
vmfs_status vmfs_disk_analyse(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *out,
			      vmfs_error *err);
void vmfs_disk_free(vmfs_disk *disk);

/* "present", "not-in-table", "stale", "overlapping", "conflicting", "unfit". */
const char *vmfs_found_state_name(vmfs_found_state state);

/* Number of severity-error findings in the disk and all its devices. */
size_t vmfs_disk_error_count(const vmfs_disk *disk);

#endif
