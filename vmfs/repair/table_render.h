/* The exact bytes a partition-table rebuild would write (format reference
 * 2.2, 2.4). libfdisk alone encodes the table: it applies the plan to a
 * scratch sparse file that holds a copy of the label areas of the source
 * (sector 0, the primary GPT, the backup GPT), and the areas whose bytes
 * differ afterwards are the changes. They are shown in a dry run, saved in
 * the undo file, and written and verified byte for byte. */
#ifndef VMFS_TABLE_RENDER_H
#define VMFS_TABLE_RENDER_H

#include "vmfs/core/error.h"
#include "vmfs/repair/plan.h"
#include "vmfs/source/source.h"

#include <stddef.h>
#include <stdint.h>

#define VMFS_RENDER_MAX_AREAS 3u

typedef struct vmfs_byte_change {
	const char *area;        /* "MBR", "primary GPT", "backup GPT" */
	uint64_t offset;         /* absolute offset in the source */
	uint32_t length;
	uint8_t *old_data;
	uint8_t *new_data;
} vmfs_byte_change;

typedef struct vmfs_table_render {
	vmfs_byte_change changes[VMFS_RENDER_MAX_AREAS];
	size_t count;
	char *script;            /* the resulting table in sfdisk dump form (malloc'd) */
} vmfs_table_render;

/* Renders the plan's changes. Fails with VMFS_ERR_INVALID_ARG when the plan is
 * blocked or has nothing to change. */
vmfs_status vmfs_table_render_plan(vmfs_source *src, const vmfs_plan *plan, vmfs_table_render *out,
				   vmfs_error *err);
void vmfs_table_render_free(vmfs_table_render *render);

#endif
