/* Finding LVM device headers anywhere in a source, for volumes whose
 * partition entry is gone (format reference 2.4).
 *
 * Probe mode looks where a partition can start: every sector-aligned offset
 * of the first 64 MiB (starts such as sector 63, 64, 128 or 2048 + 1 MiB),
 * every 1 MiB boundary, and every sector-aligned offset of the 64 MiB behind
 * each volume found (header = start + 1 MiB); only in the parts of the source
 * that hold data (SEEK_DATA/SEEK_HOLE), and the windows are read in large
 * sequential blocks, so its cost follows the data, not the size of the
 * device. Deep mode reads the source sequentially in large blocks and looks at
 * every sector-aligned offset. Both use constant memory. */
#ifndef VMFS_SCAN_H
#define VMFS_SCAN_H

#include "vmfs/format/device.h"
#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_SCAN_MAX_HITS      256u
#define VMFS_SCAN_BLOCK         (1u << 20)  /* deep-scan read size (stays in the CPU cache) */
#define VMFS_SCAN_AHEAD         (16u << 20) /* deep scan: bytes asked for ahead of the reads */

typedef struct vmfs_scan_options {
	bool deep;                  /* every sector-aligned offset, not only the usual starts */
	unsigned alignment;         /* deep mode: sector size (0 = the source's) */
	/* Called now and then during a deep scan: bytes examined so far, total. */
	void (*progress)(void *context, uint64_t done, uint64_t total);
	void *progress_context;
} vmfs_scan_options;

typedef struct vmfs_scan_hit {
	uint64_t header_offset;     /* absolute offset of the LVM magic */
	uint64_t partition_offset;  /* header_offset - 1 MiB: where the partition would start */
	vmfs_device *device;        /* decoded with vmfs_device_read(); owned by the result */
} vmfs_scan_hit;

typedef struct vmfs_scan_result {
	vmfs_scan_hit hits[VMFS_SCAN_MAX_HITS];
	size_t count;
	bool hits_dropped;          /* more headers than VMFS_SCAN_MAX_HITS */
	uint64_t candidates;        /* probe: 1 MiB boundaries read, plus magics met in the windows;
				     * deep: magics met */
	uint64_t bytes_read;
	uint64_t data_bytes;        /* bytes of the source that hold data (not holes) */
	size_t rejected;            /* magics that failed validation (e.g. extended regions) */
} vmfs_scan_result;

/* True when a buffer holding an LVM header (at least VMFS_LVM_HEADER_DEFINED
 * bytes) passes the checks of format reference 2.4 step 1: known major,
 * diskBlockSize 512 or 4096, totalBytes beyond the header and a dataOffset
 * inside the device. Extended-metadata region headers fail it. */
bool vmfs_scan_header_plausible(const uint8_t *header, size_t len);

/* Scans src. Results are sorted by offset. Fails only on I/O and memory
 * errors; finding nothing is VMFS_OK with count 0. */
vmfs_status vmfs_scan(vmfs_source *src, const vmfs_scan_options *options, vmfs_scan_result *out,
		      vmfs_error *err);
void vmfs_scan_result_free(vmfs_scan_result *result);

#endif
