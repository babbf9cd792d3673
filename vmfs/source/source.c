#include "vmfs/source/source.h"

#include "vmfs/core/fileio.h"
#include "vmfs/source/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct vmfs_source {
	/* The file or device; for a container, the label copy (see
	 * label_copy) that libfdisk reads through vmfs_source_fd. */
	int fd;
	vmfs_source_kind kind;
	const vmfs_source_backend *ops; /* NULL: reads go to fd */
	void *impl;
	uint64_t size;
	unsigned sector_size;
	char path[1024];
};

static vmfs_status source_new(const char *path, int fd, vmfs_source_kind kind, uint64_t size,
			      vmfs_source **out, vmfs_error *err)
{
	vmfs_source *src = calloc(1, sizeof(*src));
	if (!src) {
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	src->fd = fd;
	src->kind = kind;
	src->size = size;
	src->sector_size = 512;
	snprintf(src->path, sizeof(src->path), "%s", path);
	*out = src;
	return VMFS_OK;
}

/* ---------------- evidence containers ---------------- */

/* Signatures (the first bytes of the file):
 *  EWF version 1 (E01, S01): "EVF" 09 0d 0a ff 00; EWF version 2 (Ex01):
 *  "EVF2" 0d 0a 81 00 (libewf's own check reads the same bytes);
 *  VMDK: a sparse extent header "KDMV" (hosted sparse, monolithicSparse and
 *  the 2GbMaxExtentSparse extents), an ESX sparse header "COWD", or a
 *  descriptor file starting "# Disk DescriptorFile".
 * None of these can start a raw disk: sector 0 of a disk is boot code or
 * zeros. */
vmfs_source_kind vmfs_source_sniff(const uint8_t *head, size_t len)
{
	static const uint8_t ewf1[8] = { 'E', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00 };
	static const uint8_t ewf2[8] = { 'E', 'V', 'F', '2', 0x0d, 0x0a, 0x81, 0x00 };
	static const char descriptor[] = "# Disk DescriptorFile";
	if (len >= 8 && (memcmp(head, ewf1, 8) == 0 || memcmp(head, ewf2, 8) == 0))
		return VMFS_SOURCE_EWF;
	if (len >= 4 && (memcmp(head, "KDMV", 4) == 0 || memcmp(head, "COWD", 4) == 0))
		return VMFS_SOURCE_VMDK;
	if (len >= sizeof(descriptor) - 1 && memcmp(head, descriptor, sizeof(descriptor) - 1) == 0)
		return VMFS_SOURCE_VMDK;
	return VMFS_SOURCE_FILE;
}

/* What a regular file is: a container by its first bytes, else the first
 * segment of a split raw set (split.c: names and sizes), else a raw file.
 * A later segment given alone is refused with the first one's name. */
static vmfs_status file_kind(const char *path, int fd, vmfs_source_kind *kind, vmfs_error *err)
{
	uint8_t head[64];
	ssize_t n;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vmfs_errno_fail(err, errno, path, 0, "cannot read");
	*kind = vmfs_source_sniff(head, (size_t)n);
	if (*kind != VMFS_SOURCE_FILE)
		return VMFS_OK;
	char first[PATH_MAX];
	if (vmfs_split_later_segment(path, first, sizeof(first)))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "is a later segment of a split raw image: give its first segment, %s", first);
	if (vmfs_split_is_first(path, NULL))
		*kind = VMFS_SOURCE_SPLIT_RAW;
	return VMFS_OK;
}

vmfs_status vmfs_source_container_kind(const char *path, vmfs_source_kind *kind, vmfs_error *err)
{
	*kind = VMFS_SOURCE_FILE;
	struct stat st;
	if (stat(path, &st) != 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot stat");
	if (S_ISBLK(st.st_mode)) {
		*kind = VMFS_SOURCE_BLOCK;
		return VMFS_OK;
	}
	if (!S_ISREG(st.st_mode))
		return VMFS_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot open");
	vmfs_status status = file_kind(path, fd, kind, err);
	close(fd);
	return status;
}

bool vmfs_source_kind_is_container(vmfs_source_kind kind)
{
	return kind == VMFS_SOURCE_EWF || kind == VMFS_SOURCE_SPLIT_RAW || kind == VMFS_SOURCE_VMDK;
}

const char *vmfs_source_kind_description(vmfs_source_kind kind)
{
	switch (kind) {
	case VMFS_SOURCE_EWF: return "an EWF (E01) evidence image";
	case VMFS_SOURCE_SPLIT_RAW: return "a split raw image (segment files)";
	case VMFS_SOURCE_VMDK: return "a VMDK virtual disk";
	default: return "a raw image";
	}
}

/* How much of each end of a container's virtual disk the label copy holds:
 * the partition table areas libfdisk reads (format reference 3.1: the MBR,
 * the primary GPT header and entries at LBA 1..33, the backup entries and
 * header in the last 33 sectors, x8 with 4096-byte sectors) with room for
 * larger entry arrays. An MBR logical partition's EBR outside these areas
 * is not in the copy. */
#define LABEL_COPY_BYTES (1024u * 1024u)

/* libfdisk reads through a file descriptor, not through this layer: a
 * container hands it a sparse in-memory file of the virtual disk's size
 * holding only the label areas, read through the backend. */
static vmfs_status label_copy(vmfs_source *src, vmfs_error *err)
{
	int fd = memfd_create("vmfs-label", MFD_CLOEXEC);
	if (fd < 0)
		return vmfs_errno_fail(err, errno, src->path, VMFS_NO_OFFSET, "memfd_create");
	if (src->size > (uint64_t)INT64_MAX || ftruncate(fd, (off_t)src->size) != 0) {
		int e = errno;
		close(fd);
		return vmfs_errno_fail(err, e, src->path, VMFS_NO_OFFSET, "cannot size the label copy");
	}
	src->fd = fd;
	size_t head = src->size < LABEL_COPY_BYTES ? (size_t)src->size : LABEL_COPY_BYTES;
	uint8_t *buf = malloc(head);
	if (!buf)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, src->path, VMFS_NO_OFFSET, "out of memory");
	uint64_t at[2] = { 0, src->size - head };
	vmfs_status st = VMFS_OK;
	for (int i = 0; i < 2 && st == VMFS_OK; i++) {
		if (i == 1 && at[1] < head)
			break; /* a small disk: the first copy holds it whole */
		st = vmfs_source_read(src, at[i], buf, head, err);
		if (st == VMFS_OK)
			st = vmfs_source_fill(src, at[i], buf, head, err);
	}
	free(buf);
	return st;
}

static vmfs_status open_container(const char *path, vmfs_source_kind kind, vmfs_source **out, vmfs_error *err)
{
	vmfs_source_opened o;
	vmfs_status st = kind == VMFS_SOURCE_EWF  ? vmfs_ewf_open(path, &o, err)
			 : kind == VMFS_SOURCE_VMDK ? vmfs_vmdk_open(path, &o, err)
						    : vmfs_split_open(path, &o, err);
	if (st != VMFS_OK)
		return st;
	vmfs_source *src = calloc(1, sizeof(*src));
	if (!src) {
		o.ops->close(o.impl);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	src->fd = -1;
	src->kind = o.kind;
	src->ops = o.ops;
	src->impl = o.impl;
	src->size = o.size;
	src->sector_size = 512;
	snprintf(src->path, sizeof(src->path), "%s", path);
	st = label_copy(src, err);
	if (st != VMFS_OK) {
		vmfs_source_close(src);
		return st;
	}
	*out = src;
	return VMFS_OK;
}

vmfs_status vmfs_source_open(const char *path, vmfs_source **out, vmfs_error *err)
{
	struct stat st;
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		vmfs_status st_err = vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET,
						    "cannot open: %s", strerror(errno));
		if (err)
			err->sys_errno = errno;
		return st_err;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "cannot stat: %s", strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "is a directory, expected a disk, partition or image file");
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t size = 0;
		int logical = 512;
		if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
			int e = errno;
			close(fd);
			return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET,
					      "cannot read block device size: %s", strerror(e));
		}
		if (ioctl(fd, BLKSSZGET, &logical) != 0 || logical < 512)
			logical = 512;
		vmfs_status status = source_new(path, fd, VMFS_SOURCE_BLOCK, size, out, err);
		if (status == VMFS_OK)
			(*out)->sector_size = (unsigned)logical;
		if (status == VMFS_OK && size == 0) {
			vmfs_source_close(*out);
			*out = NULL;
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, 0, "block device has size 0");
		}
		return status;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "not a regular file or block device");
	}
	if (st.st_size == 0) {
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, 0, "empty file (0 bytes)");
	}
	vmfs_source_kind kind = VMFS_SOURCE_FILE;
	vmfs_status status = file_kind(path, fd, &kind, err);
	if (status != VMFS_OK || kind == VMFS_SOURCE_FILE) {
		if (status != VMFS_OK) {
			close(fd);
			return status;
		}
		return source_new(path, fd, VMFS_SOURCE_FILE, (uint64_t)st.st_size, out, err);
	}
	close(fd); /* the backend opens what it needs itself */
	return open_container(path, kind, out, err);
}

vmfs_status vmfs_source_open_memory(const char *name, const void *data, size_t len,
				    vmfs_source **out, vmfs_error *err)
{
	*out = NULL;
	if (len == 0)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, name, 0, "empty buffer (0 bytes)");
	int fd = memfd_create("vmfs-source", MFD_CLOEXEC);
	if (fd < 0)
		return vmfs_error_set(err, VMFS_ERR_IO, name, VMFS_NO_OFFSET, "memfd_create: %s", strerror(errno));
	const uint8_t *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			return vmfs_error_set(err, VMFS_ERR_IO, name, done, "memfd write: %s", strerror(e));
		}
		done += (size_t)n;
	}
	return source_new(name, fd, VMFS_SOURCE_MEMORY, len, out, err);
}

vmfs_status vmfs_source_new_sparse(const char *name, uint64_t size, vmfs_source_kind kind, vmfs_source **out,
				   vmfs_error *err)
{
	*out = NULL;
	if (size == 0 || size > (uint64_t)INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, name, VMFS_NO_OFFSET, "sparse source size %llu is out of range",
				      (unsigned long long)size);
	int fd = memfd_create("vmfs-sparse", MFD_CLOEXEC);
	if (fd < 0)
		return vmfs_error_set(err, VMFS_ERR_IO, name, VMFS_NO_OFFSET, "memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size) != 0) {
		int e = errno;
		close(fd);
		return vmfs_error_set(err, VMFS_ERR_IO, name, VMFS_NO_OFFSET, "cannot size a %llu-byte sparse source: %s",
				      (unsigned long long)size, strerror(e));
	}
	return source_new(name, fd, kind, size, out, err);
}

vmfs_status vmfs_source_fill(vmfs_source *src, uint64_t offset, const void *data, size_t len, vmfs_error *err)
{
	if (!vmfs_source_contains(src, offset, len))
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, src->path, offset, "%zu bytes do not fit the source", len);
	const uint8_t *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(src->fd, p + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmfs_error_set(err, VMFS_ERR_IO, src->path, offset + done, "memfd write: %s", strerror(errno));
		done += (size_t)n;
	}
	return VMFS_OK;
}

void vmfs_source_close(vmfs_source *src)
{
	if (!src)
		return;
	if (src->fd >= 0)
		close(src->fd);
	if (src->ops)
		src->ops->close(src->impl);
	free(src);
}

const char *vmfs_source_path(const vmfs_source *src) { return src->path; }
vmfs_source_kind vmfs_source_kind_of(const vmfs_source *src) { return src->kind; }
uint64_t vmfs_source_size(const vmfs_source *src) { return src->size; }
int vmfs_source_fd(const vmfs_source *src) { return src->fd; }
unsigned vmfs_source_sector_size(const vmfs_source *src) { return src->sector_size; }
void vmfs_source_set_sector_size(vmfs_source *src, unsigned sector_size) { src->sector_size = sector_size; }

const char *vmfs_source_kind_name(vmfs_source_kind kind)
{
	switch (kind) {
	case VMFS_SOURCE_FILE: return "file";
	case VMFS_SOURCE_BLOCK: return "block";
	case VMFS_SOURCE_MEMORY: return "memory";
	case VMFS_SOURCE_BACKUP: return "backup";
	case VMFS_SOURCE_EWF: return "ewf";
	case VMFS_SOURCE_SPLIT_RAW: return "split-raw";
	case VMFS_SOURCE_VMDK: return "vmdk";
	}
	return "unknown";
}

int vmfs_source_contains(const vmfs_source *src, uint64_t offset, uint64_t len)
{
	return offset <= src->size && len <= src->size - offset;
}

vmfs_status vmfs_source_read(vmfs_source *src, uint64_t offset, void *buf, size_t len,
			     vmfs_error *err)
{
	if (!vmfs_source_contains(src, offset, len)) {
		uint64_t first_missing = offset > src->size ? offset : src->size;
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, src->path, first_missing,
				      "needed %zu bytes at offset 0x%llx, but the source ends at 0x%llx",
				      len, (unsigned long long)offset, (unsigned long long)src->size);
	}
	if (src->ops)
		return src->ops->read(src->impl, src->path, offset, buf, len, err);
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(src->fd, p + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			vmfs_error_set(err, VMFS_ERR_IO, src->path, offset + done, "read failed: %s", strerror(e));
			if (err)
				err->sys_errno = e;
			return VMFS_ERR_IO;
		}
		if (n == 0)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, src->path, offset + done,
					      "unexpected end of data (the source shrank while being read)");
		done += (size_t)n;
	}
	return VMFS_OK;
}

bool vmfs_source_stored_hashes(vmfs_source *src, vmfs_stored_hashes *out)
{
	memset(out, 0, sizeof(*out));
	if (!src->ops || !src->ops->stored_hashes)
		return false;
	return src->ops->stored_hashes(src->impl, out);
}

bool vmfs_source_next_data(vmfs_source *src, uint64_t from, uint64_t *start, uint64_t *end)
{
	uint64_t size = src->size;
	if (from >= size)
		return false;
	if (src->ops) {
		if (src->ops->next_data)
			return src->ops->next_data(src->impl, size, from, start, end);
		*start = from;
		*end = size;
		return true;
	}
	off_t data = lseek(src->fd, (off_t)from, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO)
			return false; /* only a hole remains */
		*start = from;
		*end = size;
		return true;
	}
	off_t hole = lseek(src->fd, data, SEEK_HOLE);
	*start = (uint64_t)data;
	*end = hole < 0 || (uint64_t)hole > size ? size : (uint64_t)hole;
	return *start < *end;
}

void vmfs_source_advise(vmfs_source *src, uint64_t offset, uint64_t len, int advice)
{
	if (src->ops) {
		if (src->ops->advise)
			src->ops->advise(src->impl, offset, len, advice);
		return;
	}
	(void)posix_fadvise(src->fd, (off_t)offset, (off_t)len, advice);
}
