/* The read-only command that exposes one VMFS device of a source to other
 * tools (debugvmfs, vmfs-fuse, a forensic suite) as a block device of its
 * own: a loop device over the partition's bytes, through whatever presents
 * the container's disk as a file or device first. Nothing here runs a
 * command; vmfs-inspect prints them (report.h). */
#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "tools/common/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The device's bytes: from the partition start (or the image start) for the
 * LVM header's total bytes, cut at the end of the source (a short copy). */
static void device_extent(vmfs_source *src, const vmfs_device *dev, uint64_t *offset, uint64_t *size)
{
	uint64_t end = vmfs_source_size(src);
	*offset = dev->has_lvm ? dev->offset : 0;
	*size = *offset < end ? end - *offset : 0;
	if (dev->has_lvm && dev->lvm.total_bytes && dev->lvm.total_bytes < *size)
		*size = dev->lvm.total_bytes;
}

bool report_expose_command(vmfs_source *src, const vmfs_device *dev, char *out, size_t len, char *note,
			   size_t note_len)
{
	uint64_t offset, size;
	device_extent(src, dev, &offset, &size);
	char off_text[32], size_text[32];
	snprintf(off_text, sizeof(off_text), "%" PRIu64, offset);
	snprintf(size_text, sizeof(size_text), "%" PRIu64, size);
	char first[5000], second[5000];
	const char *path = vmfs_source_path(src);
	out[0] = note[0] = '\0';
	switch (vmfs_source_kind_of(src)) {
	case VMFS_SOURCE_FILE:
	case VMFS_SOURCE_BLOCK: {
		const char *words[] = { "losetup", "--read-only", "--find", "--show", "--offset", off_text, "--sizelimit",
					size_text, path, NULL };
		snprintf(out, len, "%s", cli_command_line(first, sizeof(first), words));
		return true;
	}
	case VMFS_SOURCE_EWF: {
		/* ewfmount (ewf-tools) presents the acquired disk as MOUNTPOINT/ewf1. */
		const char *mount[] = { "ewfmount", path, "/mnt/ewf", NULL };
		const char *mkdir_words[] = { "mkdir", "-p", "/mnt/ewf", NULL };
		char made[64];
		const char *loop[] = { "losetup", "--read-only", "--find", "--show", "--offset", off_text,
				       "--sizelimit", size_text, "/mnt/ewf/ewf1", NULL };
		snprintf(out, len, "%s && %s && %s", cli_command_line(made, sizeof(made), mkdir_words),
			 cli_command_line(first, sizeof(first), mount),
			 cli_command_line(second, sizeof(second), loop));
		return true;
	}
	case VMFS_SOURCE_VMDK: {
		/* qemu-nbd (qemu-utils) presents the virtual disk as /dev/nbd0
		 * (modprobe nbd first). */
		const char *nbd[] = { "qemu-nbd", "--read-only", "--connect", "/dev/nbd0", path, NULL };
		const char *loop[] = { "losetup", "--read-only", "--find", "--show", "--offset", off_text,
				       "--sizelimit", size_text, "/dev/nbd0", NULL };
		snprintf(out, len, "%s && %s", cli_command_line(first, sizeof(first), nbd),
			 cli_command_line(second, sizeof(second), loop));
		return true;
	}
	case VMFS_SOURCE_SPLIT_RAW:
		snprintf(note, note_len, "a split raw set is several files, which no loop device spans; vmfs-ls and "
			 "vmfs-extract read the volume from the set as it is, or join the segments into one image first");
		return false;
	default:
		snprintf(note, note_len, "not a disk (a backup file or a memory image): nothing to expose");
		return false;
	}
}
