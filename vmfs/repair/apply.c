/* Executing a change through an undo file: see apply.h. The undo module
 * does the byte work (capture, save, write, read back); this module owns the
 * target: how it is opened, what is checked before the first write, and the
 * order of the steps. */
#include "vmfs/repair/apply.h"

#include "vmfs/repair/export.h"

#include "vmfs/core/fileio.h"
#include "vmfs/source/holders.h"
#include "vmfs/source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static vmfs_status open_target(const char *path, bool force, int *fd_out, bool *block, uint64_t *size,
			       uint32_t *sector_size, vmfs_error *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot stat");
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "is neither a regular file nor a block device: refusing to write");
	/* An evidence container is never written, --force or not: its bytes
	 * are not the disk's bytes at the same offsets (compressed chunks,
	 * grains, segments), and evidence stays as it was acquired. */
	vmfs_source_kind kind = VMFS_SOURCE_FILE;
	vmfs_status kst = vmfs_source_container_kind(path, &kind, err);
	if (kst != VMFS_OK)
		return kst;
	if (vmfs_source_kind_is_container(kind))
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "is %s (%s), read-only evidence: refusing to write into it. Files need no table "
				      "to be recovered: the file tools read the volume through it as it is; to repair, "
				      "write to a raw working copy (e.g. ewfexport, qemu-img convert -O raw, or cat the "
				      "segments) and run this command on the copy; vmfs-restore --export-table FILE saves a "
				      "table rebuild from the evidence for such a copy",
				      vmfs_source_kind_description(kind), vmfs_source_kind_name(kind));
	/* A file behind a loop device or mounted, a disk whose partitions are
	 * mounted or held, a read-only evidence file: writing under another user
	 * of the bytes, or against the owner's intent, makes things worse. */
	char why[PATH_MAX + 64];
	if (!force && vmfs_target_in_use(path, &st, why, sizeof(why)))
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "%s: refusing to write (--force overrides)", why);
	*block = S_ISBLK(st.st_mode);
	/* O_EXCL on a block device makes the kernel refuse while a partition of
	 * it is mounted or held by another exclusive opener (style practice 8). */
	int fd = open(path, O_RDWR | O_CLOEXEC | (*block ? O_EXCL : 0));
	if (fd < 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot open for writing%s",
				       errno == EBUSY ? " (the device or one of its partitions is in use)" : "");
	if (!*block && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "another process holds a lock on it");
	}
	*size = 0;
	unsigned logical = 512;
	if (*block) {
		int ssz = 0;
		if (ioctl(fd, BLKGETSIZE64, size) != 0 || ioctl(fd, BLKSSZGET, &ssz) != 0 || ssz <= 0) {
			int e = errno;
			close(fd);
			return vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET, "cannot read the device size");
		}
		logical = (unsigned)ssz;
	} else {
		if (fstat(fd, &st) != 0) {
			int e = errno;
			close(fd);
			return vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET, "cannot stat");
		}
		*size = (uint64_t)st.st_size;
	}
	if (*sector_size == 0)
		*sector_size = logical;
	*fd_out = fd;
	return VMFS_OK;
}

vmfs_status vmfs_apply_open(vmfs_apply *a, const char *path, uint64_t expected_size, uint32_t sector_size, bool force,
			    const char *tool, const char *description, vmfs_error *err)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->sector_size = sector_size;
	vmfs_status st = open_target(path, force, &a->fd, &a->block, &a->size, &a->sector_size, err);
	if (st != VMFS_OK) {
		a->fd = -1;
		return st;
	}
	if (expected_size != 0 && a->size != expected_size)
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				    "is %" PRIu64 " bytes now, %" PRIu64 " when it was read: refusing to write", a->size,
				    expected_size);
	if (st == VMFS_OK)
		st = vmfs_undo_init(&a->undo, path, a->size, a->sector_size,
				    a->block ? VMFS_UNDO_TARGET_BLOCK : VMFS_UNDO_TARGET_FILE, tool, description, err);
	if (st != VMFS_OK) {
		close(a->fd);
		a->fd = -1;
	}
	a->stage = VMFS_APPLY_OPEN;
	return st;
}

vmfs_status vmfs_apply_add(vmfs_apply *a, uint64_t offset, const void *expected_old, const void *new_data,
			   uint32_t length, vmfs_error *err)
{
	if (a->fd < 0 || a->stage != VMFS_APPLY_OPEN)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, a->path, offset, "change added to a target not open for it");
	size_t index = a->undo.count;
	uint8_t **grown = realloc(a->expected_old, (index + 1) * sizeof(*grown));
	if (!grown)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, a->path, offset, "out of memory");
	a->expected_old = grown;
	a->expected_old[index] = NULL;
	if (expected_old) {
		a->expected_old[index] = malloc(length ? length : 1);
		if (!a->expected_old[index])
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, a->path, offset, "out of memory");
		memcpy(a->expected_old[index], expected_old, length);
	}
	vmfs_status st = vmfs_undo_add(&a->undo, offset, new_data, length, err);
	if (st != VMFS_OK) {
		free(a->expected_old[index]);
		a->expected_old[index] = NULL;
	}
	return st;
}

vmfs_status vmfs_apply_prepare(vmfs_apply *a, const char *undo_path, vmfs_error *err)
{
	if (a->fd < 0 || a->stage != VMFS_APPLY_OPEN || a->undo.count == 0)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, a->path, VMFS_NO_OFFSET, "nothing to prepare");
	vmfs_status st = vmfs_undo_capture(a->fd, a->path, &a->undo, err);
	/* The plan was made from bytes read earlier, through another descriptor:
	 * if anyone changed them since, the plan is stale. */
	for (size_t i = 0; st == VMFS_OK && i < a->undo.count; i++) {
		const vmfs_undo_region *r = &a->undo.regions[i];
		if (!a->expected_old[i] || memcmp(r->old_data, a->expected_old[i], r->length) == 0)
			continue;
		uint32_t k = 0;
		while (r->old_data[k] == a->expected_old[i][k])
			k++;
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, a->path, r->offset + k,
				    "changed since it was read (0x%02x, expected 0x%02x): refusing to write",
				    r->old_data[k], a->expected_old[i][k]);
	}
	if (st == VMFS_OK)
		st = vmfs_undo_save(undo_path, &a->undo, err);
	if (st == VMFS_OK) {
		snprintf(a->undo_path, sizeof(a->undo_path), "%s", undo_path);
		a->stage = VMFS_APPLY_PREPARED;
	}
	return st;
}

vmfs_status vmfs_apply_write(vmfs_apply *a, vmfs_error *err)
{
	if (a->fd < 0 || a->stage != VMFS_APPLY_PREPARED)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, a->path, VMFS_NO_OFFSET,
				      "refusing to write before the undo file is saved");
	/* From here on the target may hold part of the change; rollback is
	 * allowed whatever write_new returns. */
	a->stage = VMFS_APPLY_WRITTEN;
	return vmfs_undo_write_new(a->fd, a->path, &a->undo, err);
}

vmfs_status vmfs_apply_rollback(vmfs_apply *a, vmfs_error *err)
{
	if (a->fd < 0 || (a->stage != VMFS_APPLY_WRITTEN && a->stage != VMFS_APPLY_ROLLED_BACK))
		return VMFS_OK;
	vmfs_status st = vmfs_undo_apply(a->fd, a->path, &a->undo, err);
	if (st == VMFS_OK)
		a->stage = VMFS_APPLY_ROLLED_BACK;
	return st;
}

bool vmfs_apply_reread_table(vmfs_apply *a)
{
	if (a->fd < 0 || !a->block)
		return true;
	return ioctl(a->fd, BLKRRPART) == 0;
}

vmfs_status vmfs_apply_close(vmfs_apply *a, vmfs_error *err)
{
	vmfs_status st = VMFS_OK;
	if (a->expected_old) {
		for (size_t i = 0; i < a->undo.count; i++)
			free(a->expected_old[i]);
		free(a->expected_old);
		a->expected_old = NULL;
	}
	vmfs_undo_free(&a->undo);
	if (a->fd >= 0 && close(a->fd) != 0)
		st = vmfs_errno_fail(err, errno, a->path, VMFS_NO_OFFSET, "close failed");
	a->fd = -1;
	return st;
}

vmfs_status vmfs_apply_undo_file(const char *undo_path, const char *target_path, bool force,
				 vmfs_undo_report *report, vmfs_error *err)
{
	vmfs_undo undo = { 0 };
	memset(report, 0, sizeof(*report));
	vmfs_status st = vmfs_undo_load(undo_path, &undo, err);
	if (st != VMFS_OK)
		return st;
	/* An export holds a table to write, not bytes to put back: "undoing"
	 * it would write the source's old sectors over the target. */
	if (vmfs_undo_is_export(&undo)) {
		vmfs_undo_free(&undo);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, undo_path, VMFS_UNDO_OFF_DESCRIPTION,
				      "is a table export, not an undo file: apply it with vmfs-restore --apply-table");
	}
	snprintf(report->tool, sizeof(report->tool), "%s", undo.tool);
	snprintf(report->description, sizeof(report->description), "%s", undo.description);
	report->regions = undo.count;
	int fd = -1;
	bool block = false;
	uint64_t size = 0;
	uint32_t sector_size = 0;
	st = open_target(target_path, force, &fd, &block, &size, &sector_size, err);
	/* A file has no sector size of its own: the recorded one stands. */
	if (st == VMFS_OK && !block)
		sector_size = undo.sector_size;
	vmfs_undo_state *states = NULL;
	if (st == VMFS_OK) {
		states = calloc(undo.count, sizeof(*states));
		if (!states)
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, target_path, VMFS_NO_OFFSET, "out of memory");
	}
	if (st == VMFS_OK)
		st = vmfs_undo_check_target(fd, target_path, size, sector_size, &undo, force, states, err);
	if (st == VMFS_OK) {
		for (size_t i = 0; i < undo.count; i++) {
			report->already_old += states[i] == VMFS_UNDO_HOLDS_OLD;
			report->mixed += states[i] == VMFS_UNDO_HOLDS_MIX;
		}
		st = vmfs_undo_apply(fd, target_path, &undo, err);
	}
	if (st == VMFS_OK && block)
		(void)ioctl(fd, BLKRRPART);
	if (fd >= 0 && close(fd) != 0 && st == VMFS_OK)
		st = vmfs_errno_fail(err, errno, target_path, VMFS_NO_OFFSET, "close failed");
	free(states);
	vmfs_undo_free(&undo);
	return st;
}
