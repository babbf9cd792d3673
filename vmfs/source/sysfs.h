/* What the kernel says about a block device, read from sysfs
 * (Documentation/ABI/stable/sysfs-block) as lsblk reads it: the one place the
 * library looks there. Every lookup takes the sysfs root (normally
 * VMFS_SYSFS_ROOT) so that tests, and tools examining another host's tree,
 * can point it elsewhere. Reads only; "sysfs does not tell" is false, never
 * an error. */
#ifndef VMFS_SYSFS_H
#define VMFS_SYSFS_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_SYSFS_ROOT "/sys"

/* The kernel never returns more than one page for a sysfs attribute (a
 * binary one such as vpd_pg83 included). */
#define VMFS_SYSFS_ATTR_MAX 4096u

/* Reads the attribute dir/rel into buf (at most cap bytes; *n its length):
 * a regular file only, opened O_NONBLOCK so that a FIFO planted in a tree
 * given as the root cannot hang the caller. False when absent, not a
 * regular file, or unreadable. */
bool vmfs_sysfs_read_attr(const char *dir, const char *rel, uint8_t *buf, size_t cap, size_t *n);

/* The device's sysfs directory, resolved (ROOT/dev/block/MAJOR:MINOR is a
 * link to it; a partition's directory lies inside its disk's). */
bool vmfs_sysfs_device_dir(const char *root, unsigned major, unsigned minor, char *out, size_t len);

/* Is block device MAJOR:MINOR a partition? Then true, *number its partition
 * number and disk the name of the disk holding it (e.g. "sdb", "loop3"). */
bool vmfs_sysfs_partition_of(const char *root, unsigned major, unsigned minor, char *disk, size_t len,
			     unsigned *number);

/* VMFS_OK unless path is a block device that is a partition (what a
 * partition-table rebuild cannot be given); then VMFS_ERR_INVALID_ARG: "is
 * partition N of /dev/DISK ...: give the whole disk (/dev/DISK)". */
vmfs_status vmfs_sysfs_require_whole_disk(const char *root, const char *path, vmfs_error *err);

#endif
