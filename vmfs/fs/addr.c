/* Address decoding, format reference vmfs-fs-layer.md section 2. */
#include "vmfs/fs/addr.h"

#include <string.h>

void vmfs_addr_decode32(uint32_t a, bool dense_sbpc, vmfs_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->raw = a;
	out->type = (vmfs_addr_type)(a & 7u);
	switch (out->type) {
	case VMFS_ADDR_FB: /* 2.1: block in bits 6..31, TBZ bit 5, COW bit 4 */
		out->block = a >> 6;
		out->tbz = (a >> 5) & 1u;
		out->cow = (a >> 4) & 1u;
		break;
	case VMFS_ADDR_SB: /* 2.1: resource bits 28..31 (+ 3..4 as bits 4..5 when dense) */
		out->cluster = (a >> 6) & 0x3FFFFFu;
		out->resource = a >> 28;
		if (dense_sbpc)
			out->resource |= ((a >> 3) & 3u) << 4;
		out->cow = (a >> 5) & 1u;
		break;
	case VMFS_ADDR_PB:
	case VMFS_ADDR_PB2: /* 2.1: resource 28..31, cluster 6..27 */
		out->cluster = (a >> 6) & 0x3FFFFFu;
		out->resource = a >> 28;
		out->cow = (a >> 5) & 1u;
		break;
	case VMFS_ADDR_FD: /* 2.1: resource 22..31, cluster 6..21 */
		out->cluster = (a >> 6) & 0xFFFFu;
		out->resource = a >> 22;
		break;
	case VMFS_ADDR_JB: /* 2.2 (VMFS6 u32, from dissect only): resource 26..31, cluster 3..15 */
		out->cluster = (a >> 3) & 0x1FFFu;
		out->resource = a >> 26;
		break;
	default:
		break;
	}
}

void vmfs_addr_decode64(uint64_t a, vmfs_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->raw = a;
	out->type = (vmfs_addr_type)(a & 7u);
	switch (out->type) {
	case VMFS_ADDR_FB: /* 2.2 SFB: resource 51..63, cluster 15..45, TBZ bitmap 7..14, COW 5 */
		out->cluster = (a >> 15) & 0x7FFFFFFFu;
		out->resource = (uint32_t)(a >> 51) & 0x1FFFu;
		out->tbz = ((a >> 7) & 0xFFu) != 0; /* any part to be zeroed: whole block zero (2.2) */
		out->cow = (a >> 5) & 1u;
		break;
	case VMFS_ADDR_LFB: /* 2.2 LFB: block 15..45 (dissect only) */
		out->block = (a >> 15) & 0x7FFFFFFFu;
		out->tbz = ((a >> 7) & 0xFFu) != 0;
		out->cow = (a >> 5) & 1u;
		break;
	case VMFS_ADDR_SB:
	case VMFS_ADDR_PB:
	case VMFS_ADDR_PB2: /* 2.2: resource 56..63, cluster 6..41 (dissect's split, see section 9) */
		out->cluster = (a >> 6) & 0xFFFFFFFFFull;
		out->resource = (uint32_t)(a >> 56);
		out->cow = (a >> 5) & 1u;
		break;
	case VMFS_ADDR_FD:
		if (a >> 32 == 0)
			vmfs_addr_decode32((uint32_t)a, false, out);
		break;
	default:
		break;
	}
}

const char *vmfs_addr_type_name(vmfs_addr_type type)
{
	static const char *const names[] = {"null", "FB", "SB", "PB", "FD", "PB2", "JB", "LFB"};
	return names[type & 7u];
}
