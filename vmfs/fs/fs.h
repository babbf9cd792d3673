/* An open VMFS file system (VMFS3, VMFS5, VMFS6), read-only: the logical
 * volume assembled from one or more decoded VMFS devices (vmfs/format/device.h,
 * vmfs/discover/discover.h), the FS descriptor, the validated geometry and the
 * resource files bootstrapped as the format reference vmfs-fs-layer.md
 * sections 1, 3.2 and 8.1 describe.
 *
 * Memory per open file system is constant: the resource files' FDs, one FD
 * scratch buffer; no cache grows with the volume. Errors are values: err
 * names the path inside the volume (or the source path before any file is
 * involved), the source offset, and the FD address in the reason. */
#ifndef VMFS_FS_FS_H
#define VMFS_FS_FS_H

#include "vmfs/format/device.h"
#include "vmfs/discover/discover.h"
#include "vmfs/core/error.h"
#include "vmfs/fs/geometry.h"
#include "vmfs/fs/resource.h"
#include "vmfs/format/fsdesc.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_FS_MAX_MEMBERS 64u

typedef struct vmfs_fs vmfs_fs;

/* One device of the logical volume and the source it was read from. The
 * device must stay alive while the file system is open. */
typedef struct vmfs_fs_member {
	vmfs_source *source;
	const vmfs_device *device;
} vmfs_fs_member;

/* Opens the file system of the logical volume made of members[0..count)
 * (one device for a simple volume, every member of a spanned one; a bare LV
 * image is a device without LVM header). One member must hold the descriptor
 * (device->has_fs). Fails with VMFS_ERR_FORMAT when the descriptor, the
 * bootstrap (3.2) or a resource-file header (3.3) fails the checks of 8.2. */
vmfs_status vmfs_fs_open(const vmfs_fs_member *members, size_t count, vmfs_fs **out, vmfs_error *err);
/* Opens the file system of volume `volume` of a discovery (its members
 * present; duplicated devices are used once). */
vmfs_status vmfs_fs_open_discovered(const vmfs_discovery *discovery, size_t volume, vmfs_fs **out,
				    vmfs_error *err);
void vmfs_fs_close(vmfs_fs *fs);

const vmfs_fs_descriptor *vmfs_fs_descriptor_of(const vmfs_fs *fs);
const vmfs_fs_geometry *vmfs_fs_geometry_of(const vmfs_fs *fs);
/* Size of the logical volume: the end of its last mapped extent. */
uint64_t vmfs_fs_lv_size(const vmfs_fs *fs);

/* Resource files (3.1). */
typedef enum vmfs_fs_resource {
	VMFS_RES_FBB,
	VMFS_RES_FDC,
	VMFS_RES_PBC,
	VMFS_RES_SBC,
	VMFS_RES_PB2,
	VMFS_RES_COUNT,
} vmfs_fs_resource;
/* The header of a resource file, or NULL when the volume has none or it holds
 * no resources (VMFS6 .pbc.sf). */
const vmfs_res_header *vmfs_fs_resource_header(const vmfs_fs *fs, vmfs_fs_resource which);

/* Maps LV offset lv to a source and offset; *contiguous receives the bytes
 * available from there in the same extent. VMFS_ERR_NOT_FOUND when no member
 * maps it. */
vmfs_status vmfs_fs_map_lv(const vmfs_fs *fs, uint64_t lv, vmfs_source **source, uint64_t *offset,
			   uint64_t *contiguous, vmfs_error *err);
/* Reads len bytes at LV offset lv, across extent boundaries. */
vmfs_status vmfs_fs_read_lv(const vmfs_fs *fs, uint64_t lv, void *buf, size_t len, vmfs_error *err);

#endif
