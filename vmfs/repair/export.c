/* Table exports (see export.h). */
#include "vmfs/repair/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vmfs_status vmfs_export_save(const char *path, const char *source_path, uint64_t source_size, uint32_t sector_size,
			     const vmfs_table_render *render, const char *tool, vmfs_error *err)
{
	if (!render || render->count == 0)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "nothing to export: the table needs no change");
	vmfs_undo export = { 0 };
	vmfs_status st = vmfs_undo_init(&export, source_path, source_size, sector_size, VMFS_UNDO_TARGET_FILE, tool,
					VMFS_EXPORT_MARK " partition table rebuild", err);
	for (size_t i = 0; st == VMFS_OK && i < render->count; i++) {
		const vmfs_byte_change *c = &render->changes[i];
		st = vmfs_undo_add(&export, c->offset, c->new_data, c->length, err);
		if (st != VMFS_OK)
			break;
		/* The bytes the rebuild replaces are those the source holds,
		 * read when the table was rendered (never a second read). */
		vmfs_undo_region *r = &export.regions[export.count - 1];
		r->old_data = malloc(c->length);
		if (!r->old_data) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
			break;
		}
		memcpy(r->old_data, c->old_data, c->length);
	}
	if (st == VMFS_OK && (st = vmfs_undo_save(path, &export, err)) != VMFS_OK && err &&
	    err->sys_errno == EEXIST)
		st = vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET,
				    "exists: refusing to overwrite it (give a new file name)");
	vmfs_undo_free(&export);
	return st;
}

bool vmfs_undo_is_export(const vmfs_undo *undo)
{
	return strncmp(undo->description, VMFS_EXPORT_MARK, strlen(VMFS_EXPORT_MARK)) == 0;
}

vmfs_status vmfs_export_load(const char *path, vmfs_undo *out, vmfs_error *err)
{
	vmfs_status st = vmfs_undo_load(path, out, err);
	if (st != VMFS_OK)
		return st;
	if (vmfs_undo_is_export(out))
		return VMFS_OK;
	char description[sizeof(out->description)];
	snprintf(description, sizeof(description), "%s", out->description);
	vmfs_undo_free(out);
	return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_DESCRIPTION,
			      "is an undo file (\"%s\"), not a table export: give it with --undo", description);
}
