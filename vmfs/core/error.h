/* Errors are values: every fallible library call returns a vmfs_status and,
 * on failure, fills a vmfs_error naming the source path, the byte offset the
 * problem was found at, and what was wrong. The library never prints. */
#ifndef VMFS_ERROR_H
#define VMFS_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_status {
	VMFS_OK = 0,
	VMFS_ERR_IO,          /* the operating system refused a read (errno kept) */
	VMFS_ERR_TRUNCATED,   /* a structure extends past the end of the source */
	VMFS_ERR_FORMAT,      /* wrong magic, impossible value, bad count */
	VMFS_ERR_NOT_FOUND,   /* nothing of the requested kind at that place */
	VMFS_ERR_INVALID_ARG, /* caller error: bad identifier text, bad option value */
	VMFS_ERR_NO_MEMORY,
	VMFS_ERR_UNSUPPORTED, /* e.g. a directory or character device as a source */
} vmfs_status;

#define VMFS_NO_OFFSET UINT64_MAX

typedef struct vmfs_error {
	vmfs_status status;
	int sys_errno;        /* errno of the failed call, 0 if none */
	uint64_t offset;      /* byte offset in the source, VMFS_NO_OFFSET if none */
	char path[1024];
	char reason[512];
} vmfs_error;

/* Fill err (which may be NULL) and return status. */
vmfs_status vmfs_error_set(vmfs_error *err, vmfs_status status, const char *path,
			   uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
vmfs_status vmfs_error_setv(vmfs_error *err, vmfs_status status, const char *path,
			    uint64_t offset, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
void vmfs_error_clear(vmfs_error *err);

/* Short stable name of a status, e.g. "truncated". */
const char *vmfs_status_name(vmfs_status status);

/* One line: "PATH: offset 0x1234 (4660): REASON". Returns buf. */
char *vmfs_error_format(const vmfs_error *err, char *buf, size_t len);

#endif
