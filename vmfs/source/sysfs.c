/* See sysfs.h. */
#include "vmfs/source/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

bool vmfs_sysfs_read_attr(const char *dir, const char *rel, uint8_t *buf, size_t cap, size_t *n)
{
	char path[PATH_MAX];
	*n = 0;
	int len = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (len < 0 || (size_t)len >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	while (ok && *n < cap) {
		ssize_t got = read(fd, buf + *n, cap - *n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			ok = false;
		if (got <= 0)
			break;
		*n += (size_t)got;
	}
	close(fd);
	return ok;
}

bool vmfs_sysfs_device_dir(const char *root, unsigned major, unsigned minor, char *out, size_t len)
{
	char link[PATH_MAX];
	if (snprintf(link, sizeof(link), "%s/dev/block/%u:%u", root, major, minor) >= (int)sizeof(link))
		return false;
	char *real = realpath(link, NULL);
	if (!real)
		return false;
	bool fits = snprintf(out, len, "%s", real) < (int)len;
	free(real);
	return fits;
}

/* A partition's directory holds a "partition" file (its number) and sits
 * inside its disk's directory. */
bool vmfs_sysfs_partition_of(const char *root, unsigned major, unsigned minor, char *disk, size_t len,
			     unsigned *number)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	if (!vmfs_sysfs_device_dir(root, major, minor, dir, sizeof(dir)))
		return false;
	snprintf(file, sizeof(file), "%s/partition", dir);
	FILE *f = fopen(file, "r");
	if (!f)
		return false;
	unsigned n = 0;
	bool ok = fscanf(f, "%u", &n) == 1;
	fclose(f);
	char *slash = strrchr(dir, '/');
	if (!ok || !slash || slash == dir)
		return false;
	*slash = 0;
	const char *parent = strrchr(dir, '/');
	if (!parent || !parent[1])
		return false;
	snprintf(disk, len, "%s", parent + 1);
	*number = n;
	return true;
}

vmfs_status vmfs_sysfs_require_whole_disk(const char *root, const char *path, vmfs_error *err)
{
	struct stat st;
	char disk[256];
	unsigned number;
	if (stat(path, &st) != 0 || !S_ISBLK(st.st_mode))
		return VMFS_OK;
	if (!vmfs_sysfs_partition_of(root, major(st.st_rdev), minor(st.st_rdev), disk, sizeof(disk), &number))
		return VMFS_OK;
	return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
			      "is partition %u of /dev/%s, and the partition table is on the disk: give the whole disk "
			      "(/dev/%s)", number, disk, disk);
}
