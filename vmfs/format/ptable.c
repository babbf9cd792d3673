/* Partition tables through libfdisk, read-only. The library is given our own
 * O_RDONLY descriptor so it can never write, and an ask callback that keeps its
 * warnings (e.g. "primary GPT corrupt, using backup") as messages. */
#include "vmfs/format/ptable.h"

#include "vmfs/core/le.h"

#include <inttypes.h>
#include <libfdisk/libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

static bool gpt_header_at(vmfs_source *src, uint64_t offset)
{
	char sig[8];
	if (vmfs_source_read(src, offset, sig, sizeof(sig), NULL) != VMFS_OK)
		return false;
	return memcmp(sig, "EFI PART", 8) == 0;
}

unsigned vmfs_ptable_detect_sector_size(vmfs_source *src)
{
	if (vmfs_source_kind_of(src) == VMFS_SOURCE_BLOCK)
		return vmfs_source_sector_size(src);
	if (!gpt_header_at(src, 512) && gpt_header_at(src, 4096))
		return 4096;
	/* A lost primary GPT: the backup header sits in the last sector. */
	uint64_t size = vmfs_source_size(src);
	if (size >= 8192 && size % 4096 == 0 && !gpt_header_at(src, size - 512) &&
	    gpt_header_at(src, size - 4096))
		return 4096;
	return 512;
}

/* libfdisk allocates and reads the whole entry array a GPT header announces
 * (NumberOfPartitionEntries x SizeOfPartitionEntry, up to 2^64 bytes) as soon
 * as the header's CRC is right, before any other check (util-linux 2.38). The
 * headers it would read are therefore checked here first: at LBA 1, at the
 * backup LBA that one names, and at the last LBA. 1 MiB is 8192 entries of
 * 128 bytes; ESXi writes 128 (format reference 2.2). */
#define GPT_MAX_ARRAY_BYTES (1u << 20)

static bool gpt_array_too_large(vmfs_source *src, uint64_t lba, unsigned sector_size, bool writing,
				uint64_t *alternate, char *why, size_t why_len)
{
	vmfs_gpt_copy h;
	*alternate = 0;
	/* libfdisk rejects a header without signature, of a wrong size or with
	 * a wrong CRC before it reads the entries: nothing unsafe then. */
	if (!vmfs_gpt_header_at(src, sector_size, lba, &h))
		return false;
	*alternate = h.alternate_lba;
	uint32_t count = h.entry_count, entry_size = h.entry_size;
	uint64_t bytes = (uint64_t)count * entry_size;
	/* libfdisk 2.38 writes the array in whole sectors from a buffer of the
	 * announced size: a partial last sector is read past that buffer (heap
	 * bytes would reach the disk). Reading such a table is fine. */
	if (writing && bytes <= GPT_MAX_ARRAY_BYTES && bytes % sector_size != 0) {
		snprintf(why, why_len, "GPT header at LBA %" PRIu64 " announces %" PRIu32 " entries of %" PRIu32
			 " bytes (%" PRIu64 " bytes), not a whole number of %u-byte sectors: libfdisk cannot write "
			 "such a table safely", lba, count, entry_size, bytes, sector_size);
		return true;
	}
	if (bytes <= GPT_MAX_ARRAY_BYTES)
		return false;
	snprintf(why, why_len, "GPT header at LBA %" PRIu64 " announces %" PRIu32 " entries of %" PRIu32
		 " bytes (%" PRIu64 " bytes, more than %u): the table is not read", lba, count, entry_size, bytes,
		 GPT_MAX_ARRAY_BYTES);
	return true;
}

static bool gpt_headers_unsafe(vmfs_source *src, unsigned sector_size, bool writing, char *why, size_t why_len)
{
	if (vmfs_source_size(src) < 2ull * sector_size)
		return false;
	uint64_t last = vmfs_source_size(src) / sector_size - 1, alternate = 0, ignored;
	return gpt_array_too_large(src, 1, sector_size, writing, &alternate, why, why_len) ||
	       (alternate && gpt_array_too_large(src, alternate, sector_size, writing, &ignored, why, why_len)) ||
	       gpt_array_too_large(src, last, sector_size, writing, &ignored, why, why_len);
}

bool vmfs_ptable_gpt_unsafe(vmfs_source *src, unsigned sector_size, char *why, size_t why_len)
{
	return gpt_headers_unsafe(src, sector_size, false, why, why_len);
}

bool vmfs_ptable_gpt_unwritable(vmfs_source *src, unsigned sector_size, char *why, size_t why_len)
{
	return gpt_headers_unsafe(src, sector_size, true, why, why_len);
}

/* Each copy on its own (format reference 2.1, 2.2): which one libfdisk
 * used, and what is wrong with the other, is what a repair needs. */
static void check_health(vmfs_source *src, unsigned sector_size, vmfs_ptable *out)
{
	vmfs_mbr_check(src, sector_size, &out->mbr);
	vmfs_gpt_check(src, sector_size, &out->gpt);
	/* A backup header that names another place (MyLBA) without a primary or
	 * a protective MBR is not this source's table: a partition image cut
	 * up to its disk's end (disk.c, trailing-backup-gpt). */
	out->has_gpt = out->mbr.protective || out->gpt.primary.state != VMFS_COPY_MISSING ||
		       out->gpt.backup.state == VMFS_COPY_OK;
}

static int ask_callback(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
	(void)cxt;
	vmfs_ptable *table = data;
	int type = fdisk_ask_get_type(ask);
	if (type != FDISK_ASKTYPE_WARN && type != FDISK_ASKTYPE_WARNX && type != FDISK_ASKTYPE_INFO)
		return 0;
	const char *msg = fdisk_ask_print_get_mesg(ask);
	if (msg && table->message_count < VMFS_PTABLE_MAX_MESSAGES)
		snprintf(table->messages[table->message_count++], sizeof(table->messages[0]), "%s", msg);
	return 0;
}

static void fill_partition(struct fdisk_context *cxt, struct fdisk_partition *pa, bool gpt,
			   uint64_t source_sectors, vmfs_partition *out)
{
	memset(out, 0, sizeof(*out));
	out->number = fdisk_partition_get_partno(pa) + 1;
	out->start = fdisk_partition_has_start(pa) ? fdisk_partition_get_start(pa) : 0;
	out->size = fdisk_partition_has_size(pa) ? fdisk_partition_get_size(pa) : 0;
	out->past_end = out->start > source_sectors || out->size > source_sectors - out->start;
	struct fdisk_parttype *type = fdisk_partition_get_type(pa);
	if (type) {
		const char *name = fdisk_parttype_get_name(type);
		if (gpt) {
			const char *guid = fdisk_parttype_get_string(type);
			snprintf(out->type, sizeof(out->type), "%s", guid ? guid : "");
			out->vmfs = guid && strcasecmp(guid, VMFS_GPT_TYPE_VMFS) == 0;
		} else {
			unsigned code = fdisk_parttype_get_code(type);
			snprintf(out->type, sizeof(out->type), "%x", code);
			out->vmfs = code == VMFS_MBR_TYPE_VMFS;
		}
		snprintf(out->type_name, sizeof(out->type_name), "%s", name && *name ? name : "unknown");
	}
	if (gpt) {
		const char *uuid = fdisk_partition_get_uuid(pa);
		const char *name = fdisk_partition_get_name(pa);
		snprintf(out->uuid, sizeof(out->uuid), "%s", uuid ? uuid : "");
		snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	}
	(void)cxt;
}

/* The table as libfdisk reads it from fd (the source, or the view below). */
static vmfs_status read_with_fdisk(vmfs_source *src, int fd, unsigned sector_size, vmfs_ptable *out, vmfs_error *err)
{
	struct fdisk_context *cxt = fdisk_new_context();
	if (!cxt)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET,
				      "cannot create a libfdisk context");
	fdisk_set_ask(cxt, ask_callback, out);
	vmfs_status status = VMFS_OK;
	if (fdisk_save_user_sector_size(cxt, sector_size, sector_size) != 0 ||
	    fdisk_assign_device_by_fd(cxt, fd, vmfs_source_path(src), 1) != 0) {
		/* libfdisk could not read the device: report "no table", not an error. */
		fdisk_unref_context(cxt);
		return VMFS_OK;
	}
	if (fdisk_has_label(cxt)) {
		bool gpt = fdisk_is_label(cxt, GPT);
		struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
		snprintf(out->label, sizeof(out->label), "%s", lb ? fdisk_label_get_name(lb) : "?");
		char *id = NULL;
		if (fdisk_get_disklabel_id(cxt, &id) == 0 && id)
			snprintf(out->id, sizeof(out->id), "%s", id);
		free(id);
		out->first_lba = fdisk_get_first_lba(cxt);
		out->last_lba = fdisk_get_last_lba(cxt);

		struct fdisk_table *tb = NULL;
		if (fdisk_get_partitions(cxt, &tb) == 0 && tb) {
			struct fdisk_iter *itr = fdisk_new_iter(FDISK_ITER_FORWARD);
			struct fdisk_partition *pa = NULL;
			uint64_t sectors = vmfs_source_size(src) / sector_size;
			out->parts = calloc(VMFS_PTABLE_MAX_PARTS, sizeof(*out->parts));
			if (!itr || !out->parts) {
				status = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src),
							VMFS_NO_OFFSET, "out of memory");
			} else {
				while (out->count < VMFS_PTABLE_MAX_PARTS &&
				       fdisk_table_next_partition(tb, itr, &pa) == 0) {
					if (!fdisk_partition_is_used(pa) || fdisk_partition_is_container(pa))
						continue;
					fill_partition(cxt, pa, gpt, sectors, &out->parts[out->count++]);
				}
			}
			fdisk_free_iter(itr);
			fdisk_unref_table(tb);
		}
	}
	fdisk_deassign_device(cxt, 1); /* nosync: we never wrote */
	fdisk_unref_context(cxt);
	return status;
}

/* libfdisk looks for a GPT only behind a protective MBR. When sector 0 was
 * wiped with the primary GPT (the usual damage), an intact backup copy would
 * go unseen and a rebuild would invent new GUIDs. The table is then read from
 * an in-memory view of the label areas with a protective MBR in sector 0
 * (sparse memfd the size of the source; nothing is written to the source). */
static vmfs_status read_behind_missing_mbr(vmfs_source *src, unsigned ss, vmfs_ptable *out, vmfs_error *err)
{
	const vmfs_gpt_copy *copies[2] = { &out->gpt.primary, &out->gpt.backup };
	int fd = memfd_create("vmfs-gpt-view", MFD_CLOEXEC);
	if (fd < 0)
		return VMFS_OK; /* no view: the table stays "none" */
	uint64_t size = vmfs_source_size(src);
	uint8_t mbr[512];
	vmfs_gpt_protective_mbr(size / ss, mbr);
	bool ok = ftruncate(fd, (off_t)size) == 0 && pwrite(fd, mbr, sizeof(mbr), 0) == (ssize_t)sizeof(mbr);
	for (size_t i = 0; ok && i < 2; i++) {
		const vmfs_gpt_copy *c = copies[i];
		if (c->state != VMFS_COPY_OK)
			continue;
		/* Header and entry array, both checked to lie inside the source. */
		uint32_t bytes = c->entry_count * c->entry_size;
		uint8_t *buf = malloc(bytes > ss ? bytes : ss);
		ok = buf && vmfs_source_read(src, c->header_lba * ss, buf, ss, NULL) == VMFS_OK &&
		     pwrite(fd, buf, ss, (off_t)(c->header_lba * ss)) == (ssize_t)ss &&
		     vmfs_source_read(src, c->entries_lba * ss, buf, bytes, NULL) == VMFS_OK &&
		     pwrite(fd, buf, bytes, (off_t)(c->entries_lba * ss)) == (ssize_t)bytes;
		free(buf);
	}
	vmfs_status st = VMFS_OK;
	if (ok) {
		st = read_with_fdisk(src, fd, ss, out, err);
		if (st == VMFS_OK && strcmp(out->label, "gpt") == 0 && out->message_count < VMFS_PTABLE_MAX_MESSAGES)
			snprintf(out->messages[out->message_count++], sizeof(out->messages[0]),
				 "no protective MBR in sector 0: the GPT was read from its intact %s copy",
				 out->gpt.primary.state == VMFS_COPY_OK ? "primary" : "backup");
	}
	close(fd);
	return st;
}

vmfs_status vmfs_ptable_read(vmfs_source *src, unsigned sector_size, vmfs_ptable *out,
			     vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->label, sizeof(out->label), "none");
	if (sector_size == 0)
		sector_size = vmfs_ptable_detect_sector_size(src);
	out->sector_size = sector_size;
	if (vmfs_source_size(src) < 2ull * sector_size)
		return VMFS_OK; /* too small to hold any table */
	check_health(src, sector_size, out);

	if (vmfs_ptable_gpt_unsafe(src, sector_size, out->messages[0], sizeof(out->messages[0]))) {
		out->message_count = 1;
		return VMFS_OK;
	}
	vmfs_status status = read_with_fdisk(src, vmfs_source_fd(src), sector_size, out, err);
	if (status == VMFS_OK && strcmp(out->label, "none") == 0 && out->mbr.state == VMFS_COPY_MISSING &&
	    (out->gpt.primary.state == VMFS_COPY_OK || out->gpt.backup.state == VMFS_COPY_OK))
		status = read_behind_missing_mbr(src, sector_size, out, err);
	if (strcmp(out->label, "gpt") == 0)
		out->has_gpt = true;
	if (status != VMFS_OK)
		vmfs_ptable_free(out);
	return status;
}

void vmfs_ptable_free(vmfs_ptable *table)
{
	free(table->parts);
	table->parts = NULL;
	table->count = 0;
}

static void copy_finding(const vmfs_gpt_copy *bad, const vmfs_gpt_copy *good, bool primary, vmfs_findings *out)
{
	vmfs_findings_add(out, VMFS_SEVERITY_ERROR, primary ? "gpt-primary-damaged" : "gpt-backup-damaged",
			  bad->problem_offset, "the %s GPT copy (header at LBA %" PRIu64 ") is %s: %s; the %s copy (LBA %"
			  PRIu64 ") is intact: vmfs-restore --write rewrites it from the %s copy",
			  primary ? "primary" : "backup", bad->header_lba, vmfs_copy_state_name(bad->state), bad->problem,
			  primary ? "backup" : "primary", good->header_lba, primary ? "backup" : "primary");
}

void vmfs_ptable_health_findings(const vmfs_ptable *table, vmfs_findings *out)
{
	if (!table->has_gpt) {
		if (table->mbr.state == VMFS_COPY_DAMAGED)
			vmfs_findings_add(out, VMFS_SEVERITY_WARNING, "mbr-damaged", table->mbr.problem_offset,
					  "MBR: %s", table->mbr.problem);
		return;
	}
	const vmfs_gpt_copy *p = &table->gpt.primary, *b = &table->gpt.backup;
	if (p->state != VMFS_COPY_OK && b->state == VMFS_COPY_OK)
		copy_finding(p, b, true, out);
	else if (p->state == VMFS_COPY_OK && b->state != VMFS_COPY_OK)
		copy_finding(b, p, false, out);
	else if (p->state != VMFS_COPY_OK && b->state != VMFS_COPY_OK)
		vmfs_findings_add(out, VMFS_SEVERITY_ERROR, "gpt-damaged", p->problem_offset,
				  "neither GPT copy is usable: primary %s (%s), backup %s (%s)", vmfs_copy_state_name(p->state),
				  p->problem, vmfs_copy_state_name(b->state), b->problem);
	if (table->gpt.differ)
		vmfs_findings_add(out, VMFS_SEVERITY_WARNING, "gpt-copies-differ", b->header_lba * table->sector_size,
				  "%s", table->gpt.differ_reason);
	if (table->mbr.state == VMFS_COPY_MISSING)
		vmfs_findings_add(out, VMFS_SEVERITY_WARNING, "mbr-missing", 0, "GPT disk without a protective MBR: %s",
				  table->mbr.problem);
	else if (table->mbr.state == VMFS_COPY_DAMAGED)
		vmfs_findings_add(out, VMFS_SEVERITY_WARNING, "mbr-damaged", table->mbr.problem_offset, "MBR: %s",
				  table->mbr.problem);
}
