/* File I/O shared by the undo and backup formats: whole reads and writes
 * that survive EINTR and short transfers, fsync of a file and of the
 * directory that holds it, and errors that keep errno. */
#include "vmfs/core/fileio.h"

/* Test builds only (the Makefile's fault variant, -DVMFS_FAULT_INJECTION):
 * every write and fsync goes through the seam of fault.h. Installed builds
 * call pwrite and fsync directly and do not read VMFS_TEST_FAULT. */
#ifdef VMFS_FAULT_INJECTION
#include "vmfs/core/fault.h"
#define fileio_pwrite vmfs_fault_pwrite
#define fileio_fsync  vmfs_fault_fsync
#else
#define fileio_pwrite(fd, buf, len, offset, path) ((void)(path), pwrite(fd, buf, len, offset))
#define fileio_fsync(fd, path)                    ((void)(path), fsync(fd))
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

/* VMFS_ERR_IO with errno e kept and its text appended. */
vmfs_status vmfs_errno_fail(vmfs_error *err, int e, const char *path, uint64_t offset, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	vmfs_error_set(err, VMFS_ERR_IO, path, offset, "%s: %s", what, strerror(e));
	if (err)
		err->sys_errno = e;
	return VMFS_ERR_IO;
}


vmfs_status vmfs_read_exact(int fd, const char *path, uint64_t offset, void *buf, size_t len,
			    const char *eof_what, vmfs_error *err)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmfs_errno_fail(err, errno, path, offset + done, "read of %zu bytes at 0x%llx failed",
					len - done, ull(offset + done));
		if (n == 0)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, offset + done,
					      "%s at 0x%llx (needed %zu bytes at 0x%llx)",
					      eof_what, ull(offset + done), len, ull(offset));
		done += (size_t)n;
	}
	return VMFS_OK;
}

vmfs_status vmfs_write_exact(int fd, const char *path, uint64_t offset, const void *buf, size_t len,
			       vmfs_error *err)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = fileio_pwrite(fd, p + done, len - done, (off_t)(offset + done), path);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmfs_errno_fail(err, n < 0 ? errno : ENOSPC, path, offset + done,
					"write of %zu bytes at 0x%llx failed", len - done, ull(offset + done));
		done += (size_t)n;
	}
	return VMFS_OK;
}

vmfs_status vmfs_sync_fd(int fd, const char *path, vmfs_error *err)
{
	int rc;
	do
		rc = fileio_fsync(fd, path);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "fsync failed");
	return VMFS_OK;
}

/* Makes the directory entry of path durable. A file system that cannot sync
 * a directory (EINVAL, ENOTSUP) is accepted: there is nothing more to do. */
vmfs_status vmfs_sync_parent(const char *path, vmfs_error *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = !slash ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!dir)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		vmfs_status st = vmfs_errno_fail(err, e, dir, VMFS_NO_OFFSET, "cannot open the directory of %s", path);
		free(dir);
		return st;
	}
	int rc;
	do
		rc = fsync(dfd);
	while (rc < 0 && errno == EINTR);
	int e = errno;
	close(dfd);
	vmfs_status st = VMFS_OK;
	if (rc < 0 && e != EINVAL && e != ENOTSUP)
		st = vmfs_errno_fail(err, e, dir, VMFS_NO_OFFSET, "fsync of the directory of %s failed", path);
	free(dir);
	return st;
}

vmfs_status vmfs_open_regular(const char *path, const char *what, int *fd, uint64_t *size, vmfs_error *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot open the %s", what);
	struct stat sb;
	vmfs_status st = VMFS_OK;
	if (fstat(*fd, &sb) != 0)
		st = vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "cannot stat the %s", what);
	else if (!S_ISREG(sb.st_mode))
		st = vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				    "not a regular file: the %s must be a regular file", what);
	if (st != VMFS_OK) {
		close(*fd);
		*fd = -1;
		return st;
	}
	*size = (uint64_t)sb.st_size;
	return VMFS_OK;
}

static int span_cmp(const void *x, const void *y)
{
	const vmfs_span *p = x, *q = y;
	return p->start < q->start ? -1 : p->start > q->start;
}

int vmfs_find_overlap(vmfs_span *spans, size_t count, size_t *a, size_t *b)
{
	qsort(spans, count, sizeof(*spans), span_cmp);
	for (size_t i = 1; i < count; i++)
		if (spans[i].start < spans[i - 1].end) {
			*a = spans[i - 1].index;
			*b = spans[i].index;
			return 1;
		}
	return 0;
}
