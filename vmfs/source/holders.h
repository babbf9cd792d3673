/* Who else is using a write target (style practice 8, issue 9 "Never make
 * things worse"): a regular file attached to a loop device or mounted, a block
 * device mounted, or whose partitions are mounted or held by device-mapper /
 * md, and a file without write permission (root's open() succeeds on a 0444
 * file). Read from sysfs and /proc/self/mountinfo; nothing is changed. */
#ifndef VMFS_HOLDERS_H
#define VMFS_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* True, with the holder named in why (e.g. "attached to /dev/loop3",
 * "partition sdb1 mounted on /mnt/x", "held by dm-0", "has no write
 * permission (mode 0444)"), when path (already stat'ed into st) must not be
 * written without --force. */
bool vmfs_target_in_use(const char *path, const struct stat *st, char *why, size_t why_len);

#endif
