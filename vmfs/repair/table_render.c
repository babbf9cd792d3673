#include "vmfs/repair/table_render.h"

#include "vmfs/format/gpt.h"
#include "vmfs/format/ptable.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdisk/libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uuid/uuid.h>

/* Label areas for a disk of n sectors of size s: sector 0, LBA 1 .. 1 +
 * entry sectors (primary GPT header and its entry array), and the last 1 +
 * entry sectors (backup entries and header). Section 2.2: ESXi's array is
 * 128 x 128 bytes; a kept table's may be larger (entry_sectors). */
static size_t label_areas(uint64_t n, unsigned s, uint64_t entries, vmfs_byte_change *areas)
{
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

/* The table libfdisk reads back from the in-memory copy, in sfdisk dump form:
 * what the disk will hold, read by the same reader as every later run. */
static vmfs_status dump_table(int fd, const char *path, unsigned sector_size, char **script, vmfs_error *err)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_script *dump = NULL;
	vmfs_status st = VMFS_OK;
	int rc;
	if (!cxt)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	fdisk_set_ask(cxt, quiet_ask, NULL);
	if ((rc = fdisk_save_user_sector_size(cxt, sector_size, sector_size)) ||
	    (rc = fdisk_assign_device_by_fd(cxt, fd, path, 1))) {
		st = fdisk_error(err, path, "reading the in-memory copy", rc);
	} else {
		size_t len = 0;
		FILE *mem = open_memstream(script, &len);
		dump = fdisk_new_script(cxt);
		if (!mem || !dump || fdisk_script_read_context(dump, NULL) || fdisk_script_write_file(dump, mem))
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "cannot dump the new table");
		if (mem)
			fclose(mem);
		fdisk_deassign_device(cxt, 1);
	}
	fdisk_unref_script(dump);
	fdisk_unref_context(cxt);
	return st;
}

/* An existing entry fixed in place (RETYPE: the type; RESIZE: the size):
 * libfdisk changes that field only, so the entry keeps its GUID, name and
 * attributes. Read back: start and size must be the planned ones. */
static vmfs_status fix_in_place(struct fdisk_context *cxt, const char *path, const vmfs_plan *plan,
				const vmfs_plan_entry *e, struct fdisk_parttype *type, vmfs_error *err)
{
	int rc;
	if (e->state == VMFS_PLAN_RETYPE) {
		if ((rc = fdisk_set_partition_type(cxt, e->number - 1, type)))
			return fdisk_error(err, path, "setting the partition type", rc);
	} else {
		struct fdisk_partition *pa = fdisk_new_partition();
		if (!pa)
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		rc = fdisk_partition_set_size(pa, e->size);
		if (!rc)
			rc = fdisk_partition_size_explicit(pa, 1);
		if (!rc)
			rc = fdisk_set_partition(cxt, e->number - 1, pa);
		fdisk_unref_partition(pa);
		if (rc)
			return fdisk_error(err, path, "resizing the partition", rc);
	}
	struct fdisk_partition *check = NULL;
	vmfs_status st = VMFS_OK;
	if (fdisk_get_partition(cxt, e->number - 1, &check) || !check || fdisk_partition_get_start(check) != e->start ||
	    fdisk_partition_get_size(check) != e->size)
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, e->start * plan->sector_size,
				    "libfdisk did not leave partition %zu at sectors %" PRIu64 "+%" PRIu64, e->number, e->start,
				    e->size);
	fdisk_unref_partition(check);
	return st;
}

/* Applies the plan's entries to the in-memory copy through libfdisk. */
static vmfs_status apply_plan(int fd, const char *path, const vmfs_plan *plan, vmfs_error *err)
{
	const bool gpt = strcmp(plan->label, "gpt") == 0;
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_script *header_script = NULL;
	struct fdisk_parttype *type = NULL;
	vmfs_status st = VMFS_OK;
	int rc;
	if (!cxt)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	fdisk_set_ask(cxt, quiet_ask, NULL);
	if ((rc = fdisk_save_user_sector_size(cxt, plan->sector_size, plan->sector_size)) ||
	    (rc = fdisk_assign_device_by_fd(cxt, fd, path, 0))) {
		st = fdisk_error(err, path, "opening the in-memory copy", rc);
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
			if (vmfs_plan_state_writes(plan->entries[i].state))
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
		if (!vmfs_plan_state_writes(e->state))
			continue;
		if (e->state == VMFS_PLAN_RETYPE || e->state == VMFS_PLAN_RESIZE) {
			st = fix_in_place(cxt, path, plan, e, type, err);
			continue;
		}
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
		st = fdisk_error(err, path, "writing the label to the in-memory copy", rc);
out:
	fdisk_unref_parttype(type);
	fdisk_set_script(cxt, NULL);
	fdisk_unref_script(header_script);
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	return st;
}

/* The GPT copy rebuild (plan->gpt_rebuild) is the one change not encoded by
 * libfdisk: a byte copy of the intact copy's header sector and entry array,
 * with only MyLBA, AlternateLBA, PartitionEntryLBA and the header CRC
 * recomputed (vmfs/format/gpt.c), so that every entry, GUID, name and attribute is
 * kept byte for byte. libfdisk would regenerate the lost copy from its own
 * idea of the header (header size, reserved bytes) instead. */
static vmfs_status rebuild_gpt_copy(vmfs_source *src, int fd, const vmfs_plan *plan, vmfs_error *err)
{
	vmfs_gpt_health health;
	vmfs_gpt_copy_bytes bytes;
	const char *path = vmfs_source_path(src);
	vmfs_gpt_check(src, plan->sector_size, &health);
	vmfs_status st = vmfs_gpt_rebuild_copy(src, plan->sector_size, &health, &bytes, err);
	if (st != VMFS_OK)
		return st;
	if (bytes.to_primary != plan->gpt_rebuild_primary)
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, bytes.header_offset,
				    "the GPT copies changed since the plan was made");
	if (st == VMFS_OK && (pwrite(fd, bytes.entries, bytes.entries_length, (off_t)bytes.entries_offset) !=
				      (ssize_t)bytes.entries_length ||
			      pwrite(fd, bytes.header, plan->sector_size, (off_t)bytes.header_offset) !=
				      (ssize_t)plan->sector_size))
		st = vmfs_error_set(err, VMFS_ERR_IO, path, bytes.header_offset, "in-memory copy write failed");
	vmfs_gpt_copy_bytes_free(&bytes);
	if (st == VMFS_OK && plan->mbr_rebuild) {
		uint8_t mbr[512];
		vmfs_gpt_protective_mbr(plan->disk_sectors, mbr);
		if (pwrite(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
			st = vmfs_error_set(err, VMFS_ERR_IO, path, 0, "in-memory copy write failed");
	}
	return st;
}

/* Entry-array sectors of the label areas: ESXi's 16 KiB, or more when the
 * disk's intact GPT copy announces a larger array. */
static uint64_t entry_sectors(vmfs_source *src, const vmfs_plan *plan)
{
	uint64_t sectors = 16384 / plan->sector_size;
	if (!plan->gpt_rebuild)
		return sectors;
	vmfs_gpt_health h;
	vmfs_gpt_check(src, plan->sector_size, &h);
	const vmfs_gpt_copy *good = plan->gpt_rebuild_primary ? &h.backup : &h.primary;
	if (good->state == VMFS_COPY_OK) {
		uint64_t bytes = (uint64_t)good->entry_count * good->entry_size;
		uint64_t n = (bytes + plan->sector_size - 1) / plan->sector_size;
		if (n > sectors)
			sectors = n;
	}
	return sectors;
}

/* A new MBR label over a GPT disk: libfdisk writes sector 0 only, and both
 * GPT headers would stay valid behind a non-protective MBR, a disk every
 * reader sees differently. Their header sectors are zeroed (format reference
 * 2.2: the signature and CRC make a header; the entry arrays without one are
 * inert), in the label areas, so the dry run shows it and the undo file keeps
 * them. */
static vmfs_status retire_gpt_headers(int fd, const char *path, const vmfs_plan *plan, vmfs_error *err)
{
	const unsigned ss = plan->sector_size;
	const uint64_t lbas[2] = { 1, plan->disk_sectors - 1 };
	uint8_t sector[4096];
	if (ss > sizeof(sector))
		return VMFS_OK;
	for (size_t i = 0; i < 2; i++) {
		if (pread(fd, sector, ss, (off_t)(lbas[i] * ss)) != (ssize_t)ss)
			return vmfs_error_set(err, VMFS_ERR_IO, path, lbas[i] * ss, "in-memory copy read failed");
		if (memcmp(sector, "EFI PART", 8) != 0)
			continue;
		memset(sector, 0, ss);
		if (pwrite(fd, sector, ss, (off_t)(lbas[i] * ss)) != (ssize_t)ss)
			return vmfs_error_set(err, VMFS_ERR_IO, path, lbas[i] * ss, "in-memory copy write failed");
	}
	return VMFS_OK;
}

vmfs_status vmfs_table_render_plan(vmfs_source *src, const vmfs_plan *plan, vmfs_table_render *out,
				   vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *path = vmfs_source_path(src);
	if (plan->blocked || plan->changes == 0)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      plan->blocked ? "the plan is blocked by a conflict" : "the plan changes nothing");
	size_t entry_changes = 0;
	for (size_t i = 0; i < plan->count; i++)
		entry_changes += vmfs_plan_state_writes(plan->entries[i].state);
	char why[256];
	if (entry_changes && !plan->gpt_rebuild && vmfs_ptable_gpt_unwritable(src, plan->sector_size, why, sizeof(why)))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "%s; libfdisk cannot be given this disk (wipe that header first)", why);
	vmfs_byte_change areas[VMFS_RENDER_MAX_AREAS];
	size_t count = label_areas(plan->disk_sectors, plan->sector_size, entry_sectors(src, plan), areas);
	/* The label areas are laid out in a sparse in-memory file the size of the
	 * disk (memfd, tmpfs: files up to 8 EiB, only written pages use memory), so
	 * that a 64 TiB LUN needs no scratch file on a disk file system. */
	int fd = memfd_create("vmfs-render", MFD_CLOEXEC);
	if (fd < 0)
		return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "memfd_create: %s", strerror(errno));
	vmfs_status st = VMFS_OK;
	if (ftruncate(fd, (off_t)(plan->disk_sectors * plan->sector_size)) != 0)
		st = vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET,
				    "cannot size the %" PRIu64 "-byte in-memory copy of the label areas: %s",
				    plan->disk_sectors * plan->sector_size, strerror(errno));
	for (size_t i = 0; st == VMFS_OK && i < count; i++) {
		areas[i].old_data = malloc(areas[i].length);
		areas[i].new_data = malloc(areas[i].length);
		if (!areas[i].old_data || !areas[i].new_data) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
			break;
		}
		st = vmfs_source_read(src, areas[i].offset, areas[i].old_data, areas[i].length, err);
		if (st == VMFS_OK && pwrite(fd, areas[i].old_data, areas[i].length, (off_t)areas[i].offset) != (ssize_t)areas[i].length)
			st = vmfs_error_set(err, VMFS_ERR_IO, path, areas[i].offset, "in-memory copy write failed");
	}
	if (st == VMFS_OK && plan->gpt_rebuild)
		st = rebuild_gpt_copy(src, fd, plan, err);
	if (st == VMFS_OK && entry_changes)
		st = apply_plan(fd, path, plan, err);
	if (st == VMFS_OK && plan->new_label && strcmp(plan->label, "dos") == 0)
		st = retire_gpt_headers(fd, path, plan, err);
	if (st == VMFS_OK)
		st = dump_table(fd, path, plan->sector_size, &out->script, err);
	for (size_t i = 0; st == VMFS_OK && i < count; i++)
		if (pread(fd, areas[i].new_data, areas[i].length, (off_t)areas[i].offset) != (ssize_t)areas[i].length)
			st = vmfs_error_set(err, VMFS_ERR_IO, path, areas[i].offset, "in-memory copy read failed");
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
