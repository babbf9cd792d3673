#include "vmfs/source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct vmfs_source {
	int fd;
	vmfs_source_kind kind;
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
	return source_new(path, fd, VMFS_SOURCE_FILE, (uint64_t)st.st_size, out, err);
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
	close(src->fd);
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
