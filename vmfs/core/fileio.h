/* File I/O shared by the on-disk formats this project writes (undo files,
 * backups). Every function returns a status and fills err with the path and
 * offset; errno is kept in err->sys_errno. */
#ifndef VMFS_FILEIO_H
#define VMFS_FILEIO_H

#include "vmfs/core/error.h"

#include <stddef.h>
#include <stdint.h>

/* VMFS_ERR_IO with errno e kept and its text appended to the message. */
vmfs_status vmfs_errno_fail(vmfs_error *err, int e, const char *path, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Reads exactly len bytes; a premature end is VMFS_ERR_TRUNCATED, worded
 * "<eof_what> at 0x..". */
vmfs_status vmfs_read_exact(int fd, const char *path, uint64_t offset, void *buf, size_t len,
			    const char *eof_what, vmfs_error *err);
vmfs_status vmfs_write_exact(int fd, const char *path, uint64_t offset, const void *buf, size_t len,
			     vmfs_error *err);
vmfs_status vmfs_sync_fd(int fd, const char *path, vmfs_error *err);
/* fsync of the directory holding path (tolerates file systems that refuse it). */
vmfs_status vmfs_sync_parent(const char *path, vmfs_error *err);

/* Opens path read-only and checks it is a regular file; what names it in
 * errors ("backup file"). On VMFS_OK *fd is open and *size is its length. */
vmfs_status vmfs_open_regular(const char *path, const char *what, int *fd, uint64_t *size, vmfs_error *err);

typedef struct vmfs_span {
	uint64_t start, end;
	size_t index;
} vmfs_span;
/* Sorts spans by start; returns 1 with the indexes of the first overlapping
 * pair (*a before *b), else 0. */
int vmfs_find_overlap(vmfs_span *spans, size_t count, size_t *a, size_t *b);

#endif
