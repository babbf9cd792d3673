/* The file system a file tool reads (vmfs-ls, vmfs-extract): every SOURCE
 * and --member discovered together by the discovery layer (so a spanned
 * volume is assembled and a disk whose table is gone is read through the
 * volume the scan finds), the volume chosen with --volume, opened read-only
 * through the file-system layer (vmfs/fs). */
#ifndef TOOLS_FSOPEN_H
#define TOOLS_FSOPEN_H

#include "vmfs/discover/discover.h"
#include "vmfs/core/error.h"
#include "vmfs/fs/fs.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define FS_TARGET_MAX_CANDIDATES 64u

/* A file system that can be opened: an assembled logical volume (volume <
 * SIZE_MAX) or a logical-volume image without LVM header (device only). */
typedef struct fs_candidate {
	size_t volume;               /* index in discovery.volumes, or SIZE_MAX */
	size_t source, device;       /* the device holding the descriptor */
} fs_candidate;

typedef struct fs_target {
	vmfs_source *sources[VMFS_DISCOVER_MAX_SOURCES];
	size_t count;
	vmfs_discovery discovery;
	bool discovered;
	fs_candidate candidates[FS_TARGET_MAX_CANDIDATES];
	size_t num_candidates;
	const fs_candidate *chosen;
	vmfs_fs *fs;
} fs_target;

typedef struct fs_target_options {
	const char *volume;          /* --volume: LV UUID, FS UUID, label or device offset; NULL = the only one */
	unsigned sector_size;        /* --sector-size, 0 = detect */
	const char *members[VMFS_DISCOVER_MAX_SOURCES - 1]; /* --member, after SOURCE */
	size_t num_members;
} fs_target_options;

/* Adds a --member source; false when VMFS_DISCOVER_MAX_SOURCES would be
 * passed (a usage error for the tool). */
bool fs_target_add_member(fs_target_options *options, const char *path);

/* Opens source and options->members read-only, discovers them together and opens the
 * chosen file system. VMFS_ERR_NOT_FOUND when no VMFS file system is there;
 * VMFS_ERR_INVALID_ARG when --volume matches none, or several are there and
 * --volume does not choose one (the reason lists them). On failure *t is still
 * to be closed. */
vmfs_status fs_target_open(const char *source, const fs_target_options *options, fs_target *t, vmfs_error *err);
void fs_target_close(fs_target *t);

/* The device that holds the chosen file system's descriptor. */
const vmfs_device *fs_target_device(const fs_target *t);
/* volume{}: label, fs_uuid, lv_uuid (with their time and MAC), version,
 * block_size, members[{path, offset, device_uuid}]. */
json_object *fs_target_volume_json(const fs_target *t);
/* One line: 'VMFS-6.82 "label" FS UUID ..., in PATH at 0x...'. */
void fs_target_describe(const fs_target *t, char *out, size_t len);

#endif
