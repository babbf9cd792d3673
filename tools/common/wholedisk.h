/* A partition given where the whole disk is needed (a partition-table
 * rebuild): found through sysfs, as lsblk does, so the message can name the
 * disk to give instead. */
#ifndef TOOLS_WHOLEDISK_H
#define TOOLS_WHOLEDISK_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Under sysfs_root (normally "/sys"): is block device MAJOR:MINOR a
 * partition? Then true, *number its partition number and disk the name of the
 * disk holding it (e.g. "sdb", "loop3"). False for a whole disk, or when
 * sysfs does not tell. */
bool wholedisk_partition_of(const char *sysfs_root, unsigned major, unsigned minor, char *disk, size_t len,
			    unsigned *number);

/* VMFS_OK unless path is a block device that is a partition; then an
 * invalid-argument error: "is partition N of /dev/DISK ...: give the whole
 * disk (/dev/DISK)". */
vmfs_status wholedisk_check(const char *path, vmfs_error *err);

#endif
