/* Hashes of a whole source as it streams (vmfs-inspect --hash): SHA-256 and
 * MD5 (the two an examiner's report quotes), and SHA-1 when asked (to compare
 * with the SHA-1 an EWF image may hold), computed over the bytes the source
 * presents: the virtual disk of a container, not its files. Holes of a
 * sparse file are hashed as the zeros they read as, without reading them.
 * Constant memory: one 4 MiB buffer. */
#ifndef VMFS_SOURCE_HASH_H
#define VMFS_SOURCE_HASH_H

#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vmfs_hashes {
	uint64_t bytes;           /* hashed: the source's size */
	uint64_t bytes_read;      /* of which read (the rest: holes) */
	uint8_t sha256[32];
	uint8_t md5[16];
	uint8_t sha1[20];
	bool has_sha1;
} vmfs_hashes;

/* progress (may be NULL) is called after each buffer with the bytes hashed
 * so far and the total. Fails on a read error (err names the offset); *out
 * is then incomplete. */
vmfs_status vmfs_source_hash(vmfs_source *src, bool sha1, void (*progress)(void *context, uint64_t done, uint64_t total),
			     void *context, vmfs_hashes *out, vmfs_error *err);

#endif
