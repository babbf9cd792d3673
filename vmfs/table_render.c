#include "vmfs/table_render.h"

#include "vmfs/ptable.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdisk/libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

/* Label areas for a disk of n sectors of size s: sector 0, LBA 1 .. 1 +
 * entry sectors (primary GPT header and 128 x 128-byte entries), and the last
 * 1 + entry sectors (backup entries and header). Section 2.2. */
static size_t label_areas(uint64_t n, unsigned s, vmfs_byte_change *areas)
{
	uint64_t entries = 16384 / s;
	size_t count = 0;
	areas[count++] = (vmfs_byte_change){ "MBR", 0, s, NULL, NULL };
	if (n > 2 * (entries + 2)) {
		areas[count++] = (vmfs_byte_change){ "primary GPT", s, (uint32_t)((1 + entries) * s), NULL, NULL };
		areas[count++] = (vmfs_byte_change){ "backup GPT", (n - 1 - entries) * s, (uint32_t)((1 + entries) * s),
						     NULL, NULL };
	}
	return count;
}

/* GPT GUIDs derived from what is being restored (libuuid's name-based SHA-1
 * GUIDs): the dry run shows exactly the bytes a later --write produces, and a
 * rerun writes the same table. VMFS references no GPT GUID (2.4). */
static void derived_guid(const char *kind, const vmfs_device *dev, uint64_t disk_bytes, char out[37])
{
	static const char namespace_text[] = "3c1d1f7e-6f0a-4b8e-9a57-766d66737273"; /* this project's namespace */
	uuid_t ns, guid;
	char name[96], device_uuid[VMFS_UUID_TEXT_LEN + 1];
	uuid_parse(namespace_text, ns);
	snprintf(name, sizeof(name), "%s:%s:%" PRIu64, kind, vmfs_uuid_format(&dev->lvm.device_uuid, device_uuid), disk_bytes);
	uuid_generate_sha1(guid, ns, name, strlen(name));
	uuid_unparse_upper(guid, out);
}

static int quiet_ask(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
	(void)cxt;
	(void)ask;
	(void)data;
	return 0;
}

static vmfs_status fdisk_error(vmfs_error *err, const char *path, const char *what, int rc)
{
	return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "libfdisk: %s failed: %s", what,
			      strerror(rc < 0 ? -rc : rc));
}

/* Applies the plan to the scratch device through libfdisk; fills *script. */
static vmfs_status apply_plan(int fd, const char *path, const vmfs_plan *plan, char **script, vmfs_error *err)
{
	const bool gpt = strcmp(plan->label, "gpt") == 0;
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_script *header_script = NULL, *dump = NULL;
	struct fdisk_parttype *type = NULL;
	vmfs_status st = VMFS_OK;
	int rc;
	if (!cxt)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	fdisk_set_ask(cxt, quiet_ask, NULL);
	if ((rc = fdisk_save_user_sector_size(cxt, plan->sector_size, plan->sector_size)) ||
	    (rc = fdisk_assign_device_by_fd(cxt, fd, path, 0))) {
		st = fdisk_error(err, path, "opening the scratch copy", rc);
		goto out;
	}
	if (plan->new_label) {
		if (gpt) {
			/* ESXi's GPT: first usable LBA right after the 128-entry array (2.2). */
			char first[32];
			snprintf(first, sizeof(first), "%u", 2 + 16384 / plan->sector_size);
			header_script = fdisk_new_script(cxt);
			if (!header_script || (rc = fdisk_script_set_header(header_script, "first-lba", first)) ||
			    (rc = fdisk_set_script(cxt, header_script))) {
				st = fdisk_error(err, path, "setting the first usable LBA", header_script ? rc : -ENOMEM);
				goto out;
			}
		}
		if ((rc = fdisk_create_disklabel(cxt, plan->label))) {
			st = fdisk_error(err, path, "creating the label", rc);
			goto out;
		}
		const vmfs_device *first = NULL;
		for (size_t i = 0; i < plan->count && !first; i++)
			if (plan->entries[i].state == VMFS_PLAN_ADD || plan->entries[i].state == VMFS_PLAN_REPLACE)
				first = plan->entries[i].device;
		char id[40];
		if (gpt && first) {
			derived_guid("disk", first, plan->disk_sectors * plan->sector_size, id);
		} else if (first) {
			/* MBR disk signature: 32 bits of the same derivation. */
			char guid[37];
			derived_guid("mbr", first, plan->disk_sectors * plan->sector_size, guid);
			snprintf(id, sizeof(id), "0x%.8s", guid);
		}
		if (first && (rc = fdisk_set_disklabel_id_from_string(cxt, id))) {
			st = fdisk_error(err, path, "setting the disk identifier", rc);
			goto out;
		}
	}
	if (!gpt)
		fdisk_set_first_lba(cxt, 1); /* ESX 3.x partitions start at sector 128, in a new or a kept table */
	struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
	type = gpt ? fdisk_label_get_parttype_from_string(lb, VMFS_GPT_TYPE_VMFS)
		   : fdisk_label_get_parttype_from_code(lb, VMFS_MBR_TYPE_VMFS);
	if (type)
		fdisk_ref_parttype(type);
	else
		type = gpt ? fdisk_new_unknown_parttype(0, VMFS_GPT_TYPE_VMFS) : fdisk_new_unknown_parttype(VMFS_MBR_TYPE_VMFS, NULL);
	for (size_t i = 0; i < plan->count && st == VMFS_OK; i++) {
		const vmfs_plan_entry *e = &plan->entries[i];
		if (e->state != VMFS_PLAN_ADD && e->state != VMFS_PLAN_REPLACE)
			continue;
		if (e->state == VMFS_PLAN_REPLACE && (rc = fdisk_delete_partition(cxt, e->other - 1))) {
			st = fdisk_error(err, path, "removing the conflicting partition", rc);
			break;
		}
		struct fdisk_partition *pa = fdisk_new_partition();
		if (!pa) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
			break;
		}
		fdisk_partition_start_follow_default(pa, 0);
		fdisk_partition_end_follow_default(pa, 0);
		fdisk_partition_partno_follow_default(pa, 0);
		/* Explicit start, size and number: libfdisk otherwise rounds sizes to its
		 * grain or rejects the entry silently. */
		if ((rc = fdisk_partition_set_start(pa, e->start)) || (rc = fdisk_partition_set_size(pa, e->size)) ||
		    (rc = fdisk_partition_size_explicit(pa, 1)) || (rc = fdisk_partition_set_partno(pa, e->number - 1)) ||
		    (rc = fdisk_partition_set_type(pa, type)))
			st = fdisk_error(err, path, "describing the partition", rc);
		if (st == VMFS_OK && gpt) {
			char guid[37];
			derived_guid("partition", e->device, plan->disk_sectors * plan->sector_size, guid);
			if ((rc = fdisk_partition_set_uuid(pa, guid)))
				st = fdisk_error(err, path, "setting the partition GUID", rc);
		}
		if (st == VMFS_OK && (rc = fdisk_add_partition(cxt, pa, NULL)))
			st = fdisk_error(err, path, "adding the partition", rc);
		fdisk_unref_partition(pa);
		/* Read it back: libfdisk must not have moved or resized it. */
		struct fdisk_partition *check = NULL;
		if (st == VMFS_OK && (fdisk_get_partition(cxt, e->number - 1, &check) || !check ||
				      fdisk_partition_get_start(check) != e->start || fdisk_partition_get_size(check) != e->size))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, e->start * plan->sector_size,
					    "libfdisk did not place partition %zu at sectors %" PRIu64 "+%" PRIu64, e->number,
					    e->start, e->size);
		fdisk_unref_partition(check);
	}
	if (st == VMFS_OK && (rc = fdisk_write_disklabel(cxt)))
		st = fdisk_error(err, path, "writing the label to the scratch copy", rc);
	if (st == VMFS_OK) {
		size_t len = 0;
		FILE *mem = open_memstream(script, &len);
		dump = fdisk_new_script(cxt);
		if (!mem || !dump || fdisk_script_read_context(dump, NULL) || fdisk_script_write_file(dump, mem))
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "cannot dump the new table");
		if (mem)
			fclose(mem);
	}
out:
	fdisk_unref_parttype(type);
	fdisk_unref_script(dump);
	fdisk_set_script(cxt, NULL);
	fdisk_unref_script(header_script);
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	return st;
}

vmfs_status vmfs_table_render_plan(vmfs_source *src, const vmfs_plan *plan, vmfs_table_render *out,
				   vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *path = vmfs_source_path(src);
	if (plan->blocked || plan->changes == 0)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      plan->blocked ? "the plan is blocked by a conflict" : "the plan changes nothing");
	char why[256];
	if (vmfs_ptable_gpt_unwritable(src, plan->sector_size, why, sizeof(why)))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "%s; libfdisk cannot be given this disk (wipe that header first)", why);
	vmfs_byte_change areas[VMFS_RENDER_MAX_AREAS];
	size_t count = label_areas(plan->disk_sectors, plan->sector_size, areas);
	const char *tmpdir = getenv("TMPDIR");
	char scratch_path[4096];
	snprintf(scratch_path, sizeof(scratch_path), "%s/vmfs-render.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(scratch_path);
	if (fd < 0)
		return vmfs_error_set(err, VMFS_ERR_IO, scratch_path, VMFS_NO_OFFSET, "cannot create a scratch file: %s",
				      strerror(errno));
	unlink(scratch_path); /* gone when closed, whatever happens */
	vmfs_status st = VMFS_OK;
	if (ftruncate(fd, (off_t)(plan->disk_sectors * plan->sector_size)) != 0)
		st = vmfs_error_set(err, VMFS_ERR_IO, scratch_path, VMFS_NO_OFFSET, "cannot size the scratch file: %s",
				    strerror(errno));
	for (size_t i = 0; st == VMFS_OK && i < count; i++) {
		areas[i].old_data = malloc(areas[i].length);
		areas[i].new_data = malloc(areas[i].length);
		if (!areas[i].old_data || !areas[i].new_data) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
			break;
		}
		st = vmfs_source_read(src, areas[i].offset, areas[i].old_data, areas[i].length, err);
		if (st == VMFS_OK && pwrite(fd, areas[i].old_data, areas[i].length, (off_t)areas[i].offset) != (ssize_t)areas[i].length)
			st = vmfs_error_set(err, VMFS_ERR_IO, scratch_path, areas[i].offset, "scratch write failed");
	}
	if (st == VMFS_OK)
		st = apply_plan(fd, path, plan, &out->script, err);
	for (size_t i = 0; st == VMFS_OK && i < count; i++)
		if (pread(fd, areas[i].new_data, areas[i].length, (off_t)areas[i].offset) != (ssize_t)areas[i].length)
			st = vmfs_error_set(err, VMFS_ERR_IO, scratch_path, areas[i].offset, "scratch read failed");
	close(fd);
	for (size_t i = 0; i < count; i++) {
		if (st == VMFS_OK && memcmp(areas[i].old_data, areas[i].new_data, areas[i].length) != 0) {
			out->changes[out->count++] = areas[i];
		} else {
			free(areas[i].old_data);
			free(areas[i].new_data);
		}
	}
	if (st != VMFS_OK)
		vmfs_table_render_free(out);
	return st;
}

void vmfs_table_render_free(vmfs_table_render *render)
{
	for (size_t i = 0; i < render->count; i++) {
		free(render->changes[i].old_data);
		free(render->changes[i].new_data);
	}
	render->count = 0;
	free(render->script);
	render->script = NULL;
}
