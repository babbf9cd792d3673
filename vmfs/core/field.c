#include "vmfs/core/field.h"

#include "vmfs/core/le.h"

uint64_t vmfs_field_uint(const vmfs_field *field, const uint8_t *structure)
{
	const uint8_t *p = structure + field->offset;
	switch (field->size) {
	case 1: return p[0];
	case 2: return vmfs_le16(p);
	case 4: return vmfs_le32(p);
	case 8: return vmfs_le64(p);
	default: return 0;
	}
}
