#include "tools/common/wholedisk.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* /sys/dev/block/MAJ:MIN links to the device's folder; a partition's folder
 * holds a "partition" file (its number) and sits inside its disk's folder
 * (Documentation/ABI/stable/sysfs-block). */
bool wholedisk_partition_of(const char *sysfs_root, unsigned major, unsigned minor, char *disk, size_t len,
			    unsigned *number)
{
	char link[PATH_MAX], real[PATH_MAX], file[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs_root, major, minor);
	if (!realpath(link, real))
		return false;
	snprintf(file, sizeof(file), "%s/partition", real);
	FILE *f = fopen(file, "r");
	if (!f)
		return false;
	unsigned n = 0;
	bool ok = fscanf(f, "%u", &n) == 1;
	fclose(f);
	char *slash = strrchr(real, '/');
	if (!ok || !slash || slash == real)
		return false;
	*slash = 0;
	const char *parent = strrchr(real, '/');
	if (!parent || !parent[1])
		return false;
	snprintf(disk, len, "%s", parent + 1);
	*number = n;
	return true;
}

vmfs_status wholedisk_check(const char *path, vmfs_error *err)
{
	struct stat st;
	char disk[256];
	unsigned number;
	if (stat(path, &st) != 0 || !S_ISBLK(st.st_mode))
		return VMFS_OK;
	if (!wholedisk_partition_of("/sys", major(st.st_rdev), minor(st.st_rdev), disk, sizeof(disk), &number))
		return VMFS_OK;
	return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
			      "is partition %u of /dev/%s, and the partition table is on the disk: give the whole disk "
			      "(/dev/%s)", number, disk, disk);
}
