/* A field map of an on-disk structure: offset, size, name and how to show it.
 * Each structure has one map, built from the same offset constants its
 * decoder uses, so annotated hex dumps and decoders cannot drift apart. */
#ifndef VMFS_FIELD_H
#define VMFS_FIELD_H

#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_field_kind {
	VMFS_FIELD_UINT,     /* little-endian unsigned integer of 1, 2, 4 or 8 bytes */
	VMFS_FIELD_HEX,      /* little-endian unsigned, shown in hex (magics, offsets, flags) */
	VMFS_FIELD_UUID,     /* VMware UUID, 16 bytes */
	VMFS_FIELD_TEXT,     /* NUL-terminated or space-padded text */
	VMFS_FIELD_BYTES,    /* opaque bytes */
	VMFS_FIELD_TIME_US,  /* u64 microseconds since 1970 UTC */
	VMFS_FIELD_TIME_S,   /* u32 seconds since 1970 UTC */
} vmfs_field_kind;

typedef struct vmfs_field {
	uint32_t offset;
	uint32_t size;
	const char *name;
	vmfs_field_kind kind;
} vmfs_field;

typedef struct vmfs_field_map {
	const char *structure; /* e.g. "LVM device header" */
	const char *doc_section;
	uint32_t size;         /* bytes covered by the map (defined part) */
	const vmfs_field *fields;
	size_t count;
} vmfs_field_map;

/* Reads a field's unsigned value (1, 2, 4 or 8 bytes) from a structure buffer. */
uint64_t vmfs_field_uint(const vmfs_field *field, const uint8_t *structure);

#endif
