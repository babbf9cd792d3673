/* VMFS file-system addresses ("block ids", format reference vmfs-fs-layer.md
 * section 2): the low 3 bits give the type; the other bits a block number or a
 * (cluster, resource) pair. Pure decoders: numbers in, fields out. */
#ifndef VMFS_FS_ADDR_H
#define VMFS_FS_ADDR_H

#include <stdbool.h>
#include <stdint.h>

/* Section 2: address types. */
typedef enum vmfs_addr_type {
	VMFS_ADDR_NULL = 0, /* no block: a hole */
	VMFS_ADDR_FB = 1,   /* file block (VMFS6: small file block) */
	VMFS_ADDR_SB = 2,   /* sub-block in .sbc.sf */
	VMFS_ADDR_PB = 3,   /* pointer block in .pbc.sf */
	VMFS_ADDR_FD = 4,   /* file descriptor in .fdc.sf */
	VMFS_ADDR_PB2 = 5,  /* pointer block in .pb2.sf */
	VMFS_ADDR_JB = 6,   /* journal block (VMFS6) */
	VMFS_ADDR_LFB = 7,  /* VMFS6 large file block */
} vmfs_addr_type;

typedef struct vmfs_addr {
	uint64_t raw;
	vmfs_addr_type type;
	uint64_t block;     /* FB (VMFS3/5) and LFB: block number */
	uint64_t cluster;   /* resource-backed types and VMFS6 SFB */
	uint32_t resource;
	bool tbz;           /* to be zeroed: FB bit 5; VMFS6 SFB/LFB: any bit of 7..14 */
	bool cow;
} vmfs_addr;

/* A 32-bit address: every address on VMFS3/5, FD addresses and directory
 * entries on VMFS6 (2.1). dense_sbpc: descriptor config bit 0x4, which adds
 * SB resource bits 4..5 at bits 3..4. */
void vmfs_addr_decode32(uint32_t a, bool dense_sbpc, vmfs_addr *out);
/* A 64-bit VMFS6 block pointer (2.2). For an SFB the block number depends on
 * the SFB resources per cluster (.fbb.sf child header): block is left 0. JB
 * is a 32-bit type: a 64-bit JB is decoded with type only. */
void vmfs_addr_decode64(uint64_t a, vmfs_addr *out);

/* "null", "FB", "SB", "PB", "FD", "PB2", "JB", "LFB". */
const char *vmfs_addr_type_name(vmfs_addr_type type);

#endif
