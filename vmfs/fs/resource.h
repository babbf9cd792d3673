/* Resource-file header and item location (format reference vmfs-fs-layer.md
 * section 3.3): .fdc.sf, .sbc.sf, .pbc.sf, .pb2.sf and .fbb.sf start with
 * this header; item (cluster, resource) sits at a computed file offset. */
#ifndef VMFS_FS_RESOURCE_H
#define VMFS_FS_RESOURCE_H

#include "vmfs/core/error.h"

#include <stdint.h>

#define VMFS_RES_HEADER_SIZE 0x58u
#define VMFS_RES_MAX_PER_CLUSTER 65536u /* 8.2: R and C in 1..65536 */

enum vmfs_res_offset {
	VMFS_RES_OFF_PER_CLUSTER = 0x00,
	VMFS_RES_OFF_CLUSTERS_PER_GROUP = 0x04,
	VMFS_RES_OFF_GROUP_OFFSET = 0x08,
	VMFS_RES_OFF_RESOURCE_SIZE = 0x0C,
	VMFS_RES_OFF_GROUP_SIZE = 0x10,
	VMFS_RES_OFF_NUM_RES_LO = 0x14,
	VMFS_RES_OFF_NUM_GROUPS = 0x18,
	VMFS_RES_OFF_NUM_RES_HI = 0x1C,
	VMFS_RES_OFF_SIGNATURE = 0x20,
	VMFS_RES_OFF_VERSION = 0x24,
	VMFS_RES_OFF_FLAGS = 0x28,
	VMFS_RES_OFF_CHILD_META = 0x34,
};

typedef struct vmfs_res_header {
	uint32_t per_cluster;        /* R */
	uint32_t clusters_per_group; /* C */
	uint32_t group_offset;
	uint32_t resource_size;
	uint32_t group_size;
	uint64_t num_resources;
	uint32_t num_groups;
	uint32_t signature;
	uint32_t version;
	uint32_t flags;
	uint32_t child_meta_offset;
} vmfs_res_header;

/* buf holds VMFS_RES_HEADER_SIZE bytes. */
void vmfs_res_header_decode(const uint8_t *buf, vmfs_res_header *out);

/* 8.2: R, C in 1..65536, clusterGroupSize = C x (H + R x resourceSize) for a
 * file with resources; failing returns VMFS_ERR_FORMAT with err->offset = the
 * header-relative offset of the field found wrong. h_size: H (3.3). */
vmfs_status vmfs_res_header_check(const vmfs_res_header *h, uint32_t h_size, vmfs_error *err);

/* File offset of resource (cluster, resource), checked against R, the number
 * of clusters, numResources and file_length (8.2). VMFS_ERR_FORMAT otherwise,
 * err->offset VMFS_NO_OFFSET. */
vmfs_status vmfs_res_item_offset(const vmfs_res_header *h, uint32_t h_size, uint64_t cluster, uint32_t resource,
				 uint64_t file_length, uint64_t *offset, vmfs_error *err);

#endif
