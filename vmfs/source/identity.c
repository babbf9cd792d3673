/* The identity of a source (see identity.h): size and sector size from the
 * kernel, the SCSI identity from sysfs, and the comparison with what a
 * backup recorded. */
#include "vmfs/source/identity.h"

#include "vmfs/core/fileio.h"
#include "vmfs/source/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

/* Length (2..4) of the valid UTF-8 sequence at s[0..n), or 0. Overlong
 * forms, surrogates, code points above U+10FFFF and the C1 controls
 * (U+0080..U+009F, which terminals obey) are not valid text here. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

/* Copies in[0..n) into out (cap bytes with the NUL): printable ASCII and
 * valid UTF-8 as they are, any other byte as "\xNN", so that the result is
 * safe to print and obeys the backup's text rules (no control characters).
 * Stops before the first piece that would not fit whole. */
static void safe_copy(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t pos = 0;
	for (size_t i = 0; i < n;) {
		char esc[5];
		const char *piece = (const char *)in + i;
		size_t width, advance;
		if (in[i] >= 0x20 && in[i] < 0x7f) {
			width = advance = 1;
		} else if ((width = utf8_len(in + i, n - i)) > 0) {
			advance = width;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", in[i]);
			piece = esc;
			width = 4;
			advance = 1;
		}
		if (width > cap - 1 - pos)
			break;
		memcpy(out + pos, piece, width);
		pos += width;
		i += advance;
	}
	out[pos] = 0;
}

/* One attribute of DIR/device/, made safe; "" when absent, not a regular
 * file or unreadable: a device without it simply has no such identity. */
static void read_attribute(const char *dir, const char *name, char *out, size_t cap)
{
	out[0] = 0;
	char rel[PATH_MAX];
	int len = snprintf(rel, sizeof(rel), "device/%s", name);
	if (len < 0 || (size_t)len >= sizeof(rel))
		return;
	uint8_t buf[VMFS_SYSFS_ATTR_MAX];
	size_t n = 0;
	if (!vmfs_sysfs_read_attr(dir, rel, buf, sizeof(buf), &n))
		return;
	/* The kernel ends attributes with a newline and pads INQUIRY vendor and
	 * model with spaces; what a device really reports ends before them. */
	n = strnlen((const char *)buf, n);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	safe_copy(buf, n, out, cap);
}

void vmfs_identity_read_sysfs(const char *device_sysfs_dir, vmfs_identity *out)
{
	out->wwid[0] = out->serial[0] = out->vendor[0] = out->model[0] = 0;
	char disk[PATH_MAX], probe[PATH_MAX];
	int len = snprintf(disk, sizeof(disk), "%s", device_sysfs_dir);
	if (len < 0 || (size_t)len >= sizeof(disk))
		return;
	/* A partition has no device/ of its own: the LUN is its parent disk's.
	 * In the real tree MAJ:MIN is a symlink, and ".." is taken after it. */
	len = snprintf(probe, sizeof(probe), "%s/partition", disk);
	if (len > 0 && (size_t)len < sizeof(probe) && access(probe, F_OK) == 0) {
		len = snprintf(disk, sizeof(disk), "%s/..", device_sysfs_dir);
		if (len < 0 || (size_t)len >= sizeof(disk))
			return;
	}
	read_attribute(disk, "wwid", out->wwid, sizeof(out->wwid));
	read_attribute(disk, "serial", out->serial, sizeof(out->serial));
	read_attribute(disk, "vendor", out->vendor, sizeof(out->vendor));
	read_attribute(disk, "model", out->model, sizeof(out->model));
}

vmfs_status vmfs_identity_read(const char *path, const char *sysfs_root, vmfs_identity *out, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(out, 0, sizeof(*out));
	if (!path)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, "", VMFS_NO_OFFSET, "no path given");
	/* stat first: a FIFO or a tape is refused without being opened. */
	struct stat st;
	if (stat(path, &st) != 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot examine");
	if (S_ISDIR(st.st_mode))
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "is a directory, expected a disk, partition or image file");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "not a regular file or block device");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot open");
	/* What was opened is what counts (the path may have changed since stat). */
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET, "cannot examine");
	}
	vmfs_status status = VMFS_OK;
	snprintf(out->path, sizeof(out->path), "%s", path);
	if (S_ISREG(st.st_mode)) {
		out->size = (uint64_t)st.st_size;
		out->sector_size = 512;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t size = 0;
		int logical = 0;
		if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
			status = vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot read the block device size");
		} else {
			out->block = true;
			out->size = size;
			/* As vmfs_source_open: a device that does not say is read as 512. */
			out->sector_size = ioctl(fd, BLKSSZGET, &logical) == 0 && logical >= 512 ? (uint32_t)logical : 512;
			char dir[PATH_MAX];
			int len = snprintf(dir, sizeof(dir), "%s/dev/block/%u:%u", sysfs_root ? sysfs_root : "/sys",
					   major(st.st_rdev), minor(st.st_rdev));
			if (len > 0 && (size_t)len < sizeof(dir))
				vmfs_identity_read_sysfs(dir, out);
		}
	} else {
		status = vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
					"not a regular file or block device");
	}
	close(fd);
	if (status != VMFS_OK)
		memset(out, 0, sizeof(*out));
	return status;
}

vmfs_status vmfs_identity_check_backup(const vmfs_backup *backup, const vmfs_identity *now, vmfs_error *err)
{
	vmfs_error_clear(err);
	const char *path = now->path;
	if (now->size != backup->source_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "is %llu bytes, the backup's source (%s) was %llu bytes", ull(now->size),
				      backup->source_path, ull(backup->source_size));
	if (now->block && now->sector_size != backup->sector_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "has %u-byte logical sectors, the backup's source (%s) had %u-byte sectors",
				      now->sector_size, backup->source_path, backup->sector_size);
	/* Equal sizes are common (LUNs are carved in round sizes); the SCSI
	 * identity is what tells two LUNs apart, where both sides know it. */
	if (now->wwid[0] && backup->wwid[0] && strcmp(now->wwid, backup->wwid) != 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "WWID %s differs from the backup's %s (another LUN?)", now->wwid, backup->wwid);
	if (now->serial[0] && backup->serial[0] && strcmp(now->serial, backup->serial) != 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "serial \"%s\" differs from the backup's \"%s\" (another disk?)", now->serial,
				      backup->serial);
	if (now->vendor[0] && backup->vendor[0] && strcmp(now->vendor, backup->vendor) != 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "vendor \"%s\" differs from the backup's \"%s\" (another array?)", now->vendor,
				      backup->vendor);
	if (now->model[0] && backup->model[0] && strcmp(now->model, backup->model) != 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "model \"%s\" differs from the backup's \"%s\" (another array?)", now->model,
				      backup->model);
	return VMFS_OK;
}
