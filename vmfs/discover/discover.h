/* The discovery layer: what one or more sources (disks, partitions, volume
 * images, backups opened with vmfs_backup_open_source) hold, in one step that
 * every tool uses, so that they all report the same volumes, states and
 * reasons.
 *
 * For each source (vmfs/discover/disk.h): the partition table with its health
 * findings, every partition entry, every VMFS device found in the entries and
 * by the lost-volume scan (probe or deep, vmfs/discover/scan.h), each with its state
 * against the table (present, not-in-table, stale, overlapping, conflicting,
 * unfit) and the reason the restore plan gives (vmfs/repair/plan.h). Across all the
 * sources: the logical volumes assembled from their members (format
 * reference 4.4: the LV UUID and snapID of the volume-table entry, numDevs),
 * with the members present, missing and duplicated (the same device UUID
 * twice: a LUN and its copy), and the findings about them.
 *
 * Memory is bounded: at most VMFS_DISCOVER_MAX_SOURCES sources,
 * VMFS_DISK_MAX_DEVICES devices per source, VMFS_DISCOVER_MAX_VOLUMES volumes
 * of at most VMFS_DISCOVER_MAX_MEMBERS members; what is left out is counted.
 * A silent library: nothing is printed. */
#ifndef VMFS_DISCOVER_H
#define VMFS_DISCOVER_H

#include "vmfs/discover/disk.h"
#include "vmfs/core/error.h"
#include "vmfs/core/finding.h"
#include "vmfs/source/source.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_DISCOVER_MAX_SOURCES 32u
#define VMFS_DISCOVER_MAX_VOLUMES 64u
#define VMFS_DISCOVER_MAX_MEMBERS 64u

typedef vmfs_disk_options vmfs_discover_options;

/* One member of an assembled volume: device `device` of source `source`. */
typedef struct vmfs_lv_member {
	size_t source, device;
	bool duplicate;           /* another member has the same device UUID */
} vmfs_lv_member;

typedef struct vmfs_lv {
	vmfs_uuid lv_uuid;
	uint32_t snap_id;
	uint32_t num_devs;        /* devices the volume-table entry says it spans */
	vmfs_lv_member members[VMFS_DISCOVER_MAX_MEMBERS];
	size_t num_members;       /* devices found, copies included */
	size_t present;           /* distinct device UUIDs among them */
	size_t missing;           /* num_devs - present when positive */
	size_t duplicated;        /* members whose device UUID another member has too */
	bool complete;            /* present >= num_devs */
} vmfs_lv;

typedef struct vmfs_discovery {
	size_t count;
	vmfs_source *sources[VMFS_DISCOVER_MAX_SOURCES]; /* not owned */
	vmfs_disk *disks;         /* count entries, one per source */
	vmfs_lv volumes[VMFS_DISCOVER_MAX_VOLUMES];
	size_t num_volumes;
	size_t volumes_dropped;   /* devices whose volume did not fit the list */
	vmfs_findings findings;   /* about the sources together */
} vmfs_discovery;

/* Discovers what sources[0..count) hold. options may be NULL (detect the
 * sector size, probe scan). Fails on I/O and memory errors (err names the
 * source), and VMFS_ERR_INVALID_ARG for no source or more than
 * VMFS_DISCOVER_MAX_SOURCES; nothing found is a finding, not a failure. On
 * VMFS_OK release *out with vmfs_discovery_free. */
vmfs_status vmfs_discover(vmfs_source *const *sources, size_t count, const vmfs_discover_options *options,
			  vmfs_discovery *out, vmfs_error *err);
void vmfs_discovery_free(vmfs_discovery *discovery);

/* The assembled volume device `device` of source `source` belongs to, or NULL
 * (no LVM volume entry, or a stale header). */
const vmfs_lv *vmfs_discovery_volume_of(const vmfs_discovery *discovery, size_t source, size_t device);

/* Severity-error findings in every source, device and the discovery itself. */
size_t vmfs_discovery_error_count(const vmfs_discovery *discovery);

#endif
