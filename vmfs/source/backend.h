/* The backends behind vmfs_source (source.h) for evidence containers: an EWF
 * image (ewf.c, through libewf), a split raw image set (split.c) and a VMDK
 * virtual disk (vmdk.c, through libvmdk). Each presents the virtual disk the
 * container holds as one run of bytes [0, size); source.c does the bounds
 * checks, the errors' framing and the label copy libfdisk reads. Internal to
 * the source layer: tools use source.h only. */
#ifndef VMFS_SOURCE_BACKEND_H
#define VMFS_SOURCE_BACKEND_H

#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vmfs_source_backend {
	/* Reads exactly len bytes at offset (source.c has checked the range).
	 * path names the source in errors. */
	vmfs_status (*read)(void *impl, const char *path, uint64_t offset, void *buf, size_t len, vmfs_error *err);
	/* The next [*start, *end) holding data at or after from (< size), false
	 * when only a hole remains; NULL: the whole virtual disk is one extent. */
	bool (*next_data)(void *impl, uint64_t size, uint64_t from, uint64_t *start, uint64_t *end);
	/* posix_fadvise on the bytes behind [offset, offset + len); may be NULL. */
	void (*advise)(void *impl, uint64_t offset, uint64_t len, int advice);
	/* The hashes the container recorded when it was made; may be NULL
	 * (none recorded). */
	bool (*stored_hashes)(void *impl, vmfs_stored_hashes *out);
	void (*close)(void *impl);
} vmfs_source_backend;

typedef struct vmfs_source_opened {
	const vmfs_source_backend *ops;
	void *impl;
	uint64_t size;            /* the virtual disk's size in bytes */
	vmfs_source_kind kind;
} vmfs_source_opened;

/* Signatures read from the first bytes of a file (at least 32 bytes given,
 * fewer when the file is shorter): VMFS_SOURCE_EWF, VMFS_SOURCE_VMDK or
 * VMFS_SOURCE_FILE when neither matches. */
vmfs_source_kind vmfs_source_sniff(const uint8_t *head, size_t len);

vmfs_status vmfs_ewf_open(const char *path, vmfs_source_opened *out, vmfs_error *err);
vmfs_status vmfs_vmdk_open(const char *path, vmfs_source_opened *out, vmfs_error *err);
/* Whether path names the first segment of a split raw set (split.c: the
 * naming rule); *count the number of segments found (>= 2). */
bool vmfs_split_is_first(const char *path, size_t *count);
/* Whether path names a later segment of a split raw set (its predecessor
 * exists); first_name then holds the set's first segment. */
bool vmfs_split_later_segment(const char *path, char *first_name, size_t len);
/* Opens the set whose first segment is path. */
vmfs_status vmfs_split_open(const char *path, vmfs_source_opened *out, vmfs_error *err);

#endif
