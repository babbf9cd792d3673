/* A read-only byte source: a regular file, a block device, a memory buffer
 * (held in a memfd so that libfdisk and libblkid can read it too), or the
 * virtual disk inside an evidence container (an EWF image, a split raw set,
 * a VMDK), detected by content when the path is opened. Every read is
 * bounds-checked against the real size of the source. */
#ifndef VMFS_SOURCE_H
#define VMFS_SOURCE_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_source_kind {
	VMFS_SOURCE_FILE,
	VMFS_SOURCE_BLOCK,
	VMFS_SOURCE_MEMORY,
	VMFS_SOURCE_BACKUP,     /* a backup file's regions laid out at their offsets */
	VMFS_SOURCE_EWF,        /* E01/Ex01 through libewf (ewf.c) */
	VMFS_SOURCE_SPLIT_RAW,  /* x.001, x.002, ... (split.c: the naming rule) */
	VMFS_SOURCE_VMDK,       /* descriptor, monolithic or split, flat or sparse, through libvmdk (vmdk.c) */
} vmfs_source_kind;

typedef struct vmfs_source vmfs_source;

/* Opens path O_RDONLY. Fails with VMFS_ERR_UNSUPPORTED for directories and
 * other non-file, non-block objects, and VMFS_ERR_TRUNCATED for an empty file.
 * A regular file is looked at first: an EWF or VMDK signature opens the
 * container's virtual disk, the first segment of a split raw set opens the
 * set (a later segment given alone is VMFS_ERR_INVALID_ARG naming the first);
 * a container that cannot be opened is VMFS_ERR_FORMAT with the library's
 * reason. */
vmfs_status vmfs_source_open(const char *path, vmfs_source **out, vmfs_error *err);
/* Copies len bytes into an anonymous in-memory file; name is used in errors. */
vmfs_status vmfs_source_open_memory(const char *name, const void *data, size_t len,
				    vmfs_source **out, vmfs_error *err);
/* A sparse in-memory source of `size` bytes that reads as zeros until filled
 * with vmfs_source_fill(); `kind` is VMFS_SOURCE_MEMORY or VMFS_SOURCE_BACKUP. */
vmfs_status vmfs_source_new_sparse(const char *name, uint64_t size, vmfs_source_kind kind, vmfs_source **out,
				   vmfs_error *err);
vmfs_status vmfs_source_fill(vmfs_source *src, uint64_t offset, const void *data, size_t len, vmfs_error *err);
void vmfs_source_close(vmfs_source *src);

const char *vmfs_source_path(const vmfs_source *src);
vmfs_source_kind vmfs_source_kind_of(const vmfs_source *src);
const char *vmfs_source_kind_name(vmfs_source_kind kind);
uint64_t vmfs_source_size(const vmfs_source *src);
/* The descriptor libfdisk reads. For a container: a sparse in-memory copy of
 * the virtual disk's size holding only its first and last MiB (the label
 * areas), not the container file. */
int vmfs_source_fd(const vmfs_source *src);
/* What the regular file at path holds, without opening the container:
 * VMFS_SOURCE_EWF, _SPLIT_RAW, _VMDK, or _FILE (_BLOCK for a device). The
 * writing side (repair/apply.c) refuses containers by this. */
vmfs_status vmfs_source_container_kind(const char *path, vmfs_source_kind *kind, vmfs_error *err);
bool vmfs_source_kind_is_container(vmfs_source_kind kind);
/* "an EWF (E01) evidence image", for messages. */
const char *vmfs_source_kind_description(vmfs_source_kind kind);
/* The hashes of the whole disk an evidence container recorded when it was
 * acquired (EWF: the MD5 and SHA-1 of its hash section, written by the
 * acquiring tool), to be compared with hashes computed now. */
typedef struct vmfs_stored_hashes {
	bool has_md5, has_sha1;
	uint8_t md5[16];
	uint8_t sha1[20];
} vmfs_stored_hashes;
/* False (and *out cleared) when the source records none: raw files, block
 * devices, split raw sets and VMDK never do. */
bool vmfs_source_stored_hashes(vmfs_source *src, vmfs_stored_hashes *out);

/* The next [*start, *end) at or after from that may hold data: holes of a
 * sparse raw file (SEEK_DATA/SEEK_HOLE) and of split segments are skipped;
 * an EWF or VMDK disk is one extent. False when only a hole remains. */
bool vmfs_source_next_data(vmfs_source *src, uint64_t from, uint64_t *start, uint64_t *end);
/* posix_fadvise on the bytes behind [offset, offset + len) where that means
 * something (a raw file or device); advice only, never an error. */
void vmfs_source_advise(vmfs_source *src, uint64_t offset, uint64_t len, int advice);
/* Logical sector size: the kernel's for a block device, else 512 until set. */
unsigned vmfs_source_sector_size(const vmfs_source *src);
void vmfs_source_set_sector_size(vmfs_source *src, unsigned sector_size);

/* Reads exactly len bytes at offset. VMFS_ERR_TRUNCATED (offset = the first
 * missing byte) when the range passes the end of the source; VMFS_ERR_IO on a
 * failed read. */
vmfs_status vmfs_source_read(vmfs_source *src, uint64_t offset, void *buf, size_t len,
			     vmfs_error *err);
/* True when [offset, offset + len) lies inside the source (overflow-safe). */
int vmfs_source_contains(const vmfs_source *src, uint64_t offset, uint64_t len);

#endif
