/* Resource files, format reference vmfs-fs-layer.md 3.3 and 8.2. */
#include "vmfs/fs/resource.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

void vmfs_res_header_decode(const uint8_t *p, vmfs_res_header *out)
{
	memset(out, 0, sizeof(*out));
	out->per_cluster = vmfs_le32(p + VMFS_RES_OFF_PER_CLUSTER);
	out->clusters_per_group = vmfs_le32(p + VMFS_RES_OFF_CLUSTERS_PER_GROUP);
	out->group_offset = vmfs_le32(p + VMFS_RES_OFF_GROUP_OFFSET);
	out->resource_size = vmfs_le32(p + VMFS_RES_OFF_RESOURCE_SIZE);
	out->group_size = vmfs_le32(p + VMFS_RES_OFF_GROUP_SIZE);
	out->num_resources = vmfs_le32(p + VMFS_RES_OFF_NUM_RES_LO) | (uint64_t)vmfs_le32(p + VMFS_RES_OFF_NUM_RES_HI) << 32;
	out->num_groups = vmfs_le32(p + VMFS_RES_OFF_NUM_GROUPS);
	out->signature = vmfs_le32(p + VMFS_RES_OFF_SIGNATURE);
	out->version = vmfs_le32(p + VMFS_RES_OFF_VERSION);
	out->flags = vmfs_le32(p + VMFS_RES_OFF_FLAGS);
	out->child_meta_offset = vmfs_le32(p + VMFS_RES_OFF_CHILD_META);
}

vmfs_status vmfs_res_header_check(const vmfs_res_header *h, uint32_t h_size, vmfs_error *err)
{
	if (h->per_cluster == 0 || h->per_cluster > VMFS_RES_MAX_PER_CLUSTER)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_RES_OFF_PER_CLUSTER,
				      "resources per cluster %" PRIu32 " is not in 1..65536", h->per_cluster);
	if (h->clusters_per_group == 0 || h->clusters_per_group > VMFS_RES_MAX_PER_CLUSTER)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_RES_OFF_CLUSTERS_PER_GROUP,
				      "clusters per group %" PRIu32 " is not in 1..65536", h->clusters_per_group);
	uint64_t want = (uint64_t)h->clusters_per_group * (h_size + (uint64_t)h->per_cluster * h->resource_size);
	if (h->resource_size && want != h->group_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_RES_OFF_GROUP_SIZE,
				      "cluster group size 0x%" PRIx32 " is not C x (H + R x resourceSize) = 0x%" PRIx64,
				      h->group_size, want);
	uint64_t capacity = (uint64_t)h->num_groups * h->clusters_per_group * h->per_cluster;
	if (h->num_resources > capacity)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_RES_OFF_NUM_RES_LO,
				      "%" PRIu64 " resources do not fit %" PRIu32 " cluster groups of %" PRIu32
				      " x %" PRIu32, h->num_resources, h->num_groups, h->clusters_per_group,
				      h->per_cluster);
	return VMFS_OK;
}

vmfs_status vmfs_res_item_offset(const vmfs_res_header *h, uint32_t h_size, uint64_t cluster, uint32_t resource,
				 uint64_t file_length, uint64_t *offset, vmfs_error *err)
{
	if (!h->resource_size || !h->per_cluster || !h->clusters_per_group)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_NO_OFFSET, "the resource file holds no resources");
	if (resource >= h->per_cluster)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_NO_OFFSET,
				      "resource %" PRIu32 " is not below the %" PRIu32 " resources per cluster", resource,
				      h->per_cluster);
	uint64_t clusters = (uint64_t)h->num_groups * h->clusters_per_group;
	if (cluster >= clusters)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_NO_OFFSET,
				      "cluster %" PRIu64 " is not below the %" PRIu64 " clusters", cluster, clusters);
	uint64_t index;
	if (__builtin_mul_overflow(cluster, (uint64_t)h->per_cluster, &index) ||
	    __builtin_add_overflow(index, (uint64_t)resource, &index) || index >= h->num_resources)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_NO_OFFSET,
				      "resource c%" PRIu64 " r%" PRIu32 " is past the %" PRIu64 " resources", cluster,
				      resource, h->num_resources);
	uint64_t g = cluster / h->clusters_per_group, ci = cluster % h->clusters_per_group;
	uint64_t off = 0, part;
	bool overflow = __builtin_mul_overflow(g, (uint64_t)h->group_size, &part) ||
			__builtin_add_overflow(part, (uint64_t)h->group_offset, &off) ||
			__builtin_add_overflow(off, (uint64_t)h->clusters_per_group * h_size, &off) ||
			__builtin_mul_overflow(ci * h->per_cluster + resource, (uint64_t)h->resource_size, &part) ||
			__builtin_add_overflow(off, part, &off);
	if (overflow || off > file_length || file_length - off < h->resource_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "", VMFS_NO_OFFSET,
				      "resource c%" PRIu64 " r%" PRIu32 " at file offset 0x%" PRIx64
				      " is past the file's %" PRIu64 " bytes", cluster, resource, off, file_length);
	*offset = off;
	return VMFS_OK;
}
