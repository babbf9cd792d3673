/* See holders.h. Identity is compared by device and inode (st_dev/st_ino of a
 * file, st_rdev of a block device), never by name: a loop device's
 * backing_file and a mount source may name the same file by another path. */
#include "vmfs/source/holders.h"

#include "vmfs/source/sysfs.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			*out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = 0;
}

static bool same_file(const char *path, const struct stat *target)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	if (S_ISBLK(target->st_mode))
		return S_ISBLK(st.st_mode) && st.st_rdev == target->st_rdev;
	return S_ISREG(st.st_mode) && st.st_dev == target->st_dev && st.st_ino == target->st_ino;
}

/* A regular file behind a loop device: /sys/block/loopN/loop/backing_file. */
static bool loop_attached(const struct stat *target, char *why, size_t len)
{
	DIR *d = opendir(VMFS_SYSFS_ROOT "/block");
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		char p[PATH_MAX], backing[PATH_MAX];
		snprintf(p, sizeof(p), VMFS_SYSFS_ROOT "/block/%s/loop/backing_file", e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(backing, sizeof(backing), f)) {
			backing[strcspn(backing, "\n")] = 0;
			if (same_file(backing, target)) {
				found = true;
				snprintf(why, len, "attached to /dev/%s", e->d_name);
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static bool sysfs_dir(dev_t dev, char *out, size_t len)
{
	return vmfs_sysfs_device_dir(VMFS_SYSFS_ROOT, major(dev), minor(dev), out, len);
}

/* dev is the disk itself or one of its partitions: its name in *name. */
static bool of_disk(dev_t dev, const char *disk_dir, const char **name, char *buf, size_t len)
{
	if (!sysfs_dir(dev, buf, len))
		return false;
	size_t n = strlen(disk_dir);
	if (strncmp(buf, disk_dir, n) != 0 || (buf[n] != 0 && buf[n] != '/'))
		return false;
	const char *slash = strrchr(buf, '/');
	*name = slash ? slash + 1 : buf;
	return true;
}

static bool mounted(const struct stat *target, char *why, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	char disk_dir[PATH_MAX] = "";
	bool block = S_ISBLK(target->st_mode);
	if (block && !sysfs_dir(target->st_rdev, disk_dir, sizeof(disk_dir)))
		disk_dir[0] = 0;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint options ... - fstype source superopts */
		unsigned maj, min;
		char mountpoint[PATH_MAX];
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mountpoint) != 3)
			continue;
		unescape(mountpoint);
		const char *sep = strstr(line, " - ");
		char fstype[64], source[PATH_MAX];
		if (!sep || sscanf(sep + 3, "%63s %4095s", fstype, source) != 2)
			continue;
		unescape(source);
		if (source[0] == '/' && same_file(source, target)) {
			found = true;
			snprintf(why, len, "mounted on %s", mountpoint);
			break;
		}
		const char *name;
		char buf[PATH_MAX];
		if (block && disk_dir[0] && of_disk(makedev(maj, min), disk_dir, &name, buf, sizeof(buf))) {
			found = true;
			if (makedev(maj, min) == target->st_rdev)
				snprintf(why, len, "mounted on %s", mountpoint);
			else
				snprintf(why, len, "partition %s mounted on %s", name, mountpoint);
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* The first entry of a holders/ directory, said in *why. */
static bool first_holder(const char *dir, const char *disk_name, const char *part, char *why, size_t len)
{
	DIR *h = opendir(dir);
	if (!h)
		return false;
	bool found = false;
	struct dirent *x;
	while (!found && (x = readdir(h)) != NULL) {
		if (x->d_name[0] == '.')
			continue;
		found = true;
		if (part)
			snprintf(why, len, "partition %s held by %s", part, x->d_name);
		else
			snprintf(why, len, "%s held by %s", disk_name, x->d_name);
	}
	closedir(h);
	return found;
}

/* holders/ of the disk and of each of its partitions (device-mapper, md). */
static bool held(const struct stat *target, char *why, size_t len)
{
	char disk_dir[PATH_MAX];
	if (!sysfs_dir(target->st_rdev, disk_dir, sizeof(disk_dir)))
		return false;
	const char *disk_name = strrchr(disk_dir, '/') ? strrchr(disk_dir, '/') + 1 : disk_dir;
	/* The disk's own holders, then each partition subdirectory's. */
	char dir[PATH_MAX * 2 + 16];
	snprintf(dir, sizeof(dir), "%s/holders", disk_dir);
	if (first_holder(dir, disk_name, NULL, why, len))
		return true;
	DIR *d = opendir(disk_dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		char probe[PATH_MAX * 2 + 16];
		snprintf(probe, sizeof(probe), "%s/%s/partition", disk_dir, e->d_name);
		if (e->d_name[0] == '.' || access(probe, F_OK) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/holders", disk_dir, e->d_name);
		found = first_holder(dir, disk_name, e->d_name, why, len);
	}
	closedir(d);
	return found;
}

bool vmfs_target_in_use(const char *path, const struct stat *st, char *why, size_t why_len)
{
	(void)path;
	if (S_ISREG(st->st_mode)) {
		/* root's open() ignores the mode bits: a file nobody may write (an
		 * evidence image made read-only) is refused on its mode. */
		if ((st->st_mode & 0222) == 0 || (geteuid() != 0 && access(path, W_OK) != 0)) {
			snprintf(why, why_len, "has no write permission (mode %04o)", (unsigned)(st->st_mode & 07777));
			return true;
		}
		return loop_attached(st, why, why_len) || mounted(st, why, why_len);
	}
	if (S_ISBLK(st->st_mode))
		return mounted(st, why, why_len) || held(st, why, why_len);
	return false;
}
