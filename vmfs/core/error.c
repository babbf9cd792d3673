#include "vmfs/core/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

vmfs_status vmfs_error_setv(vmfs_error *err, vmfs_status status, const char *path,
			    uint64_t offset, const char *fmt, va_list ap)
{
	if (!err)
		return status;
	err->status = status;
	err->offset = offset;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	return status;
}

vmfs_status vmfs_error_set(vmfs_error *err, vmfs_status status, const char *path,
			   uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmfs_error_setv(err, status, path, offset, fmt, ap);
	va_end(ap);
	return status;
}

void vmfs_error_clear(vmfs_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->offset = VMFS_NO_OFFSET;
}

const char *vmfs_status_name(vmfs_status status)
{
	switch (status) {
	case VMFS_OK: return "ok";
	case VMFS_ERR_IO: return "io";
	case VMFS_ERR_TRUNCATED: return "truncated";
	case VMFS_ERR_FORMAT: return "format";
	case VMFS_ERR_NOT_FOUND: return "not-found";
	case VMFS_ERR_INVALID_ARG: return "invalid-argument";
	case VMFS_ERR_NO_MEMORY: return "no-memory";
	case VMFS_ERR_UNSUPPORTED: return "unsupported";
	}
	return "unknown";
}

char *vmfs_error_format(const vmfs_error *err, char *buf, size_t len)
{
	if (err->offset == VMFS_NO_OFFSET)
		snprintf(buf, len, "%s: %s", err->path[0] ? err->path : "(no path)", err->reason);
	else
		snprintf(buf, len, "%s: offset 0x%" PRIx64 " (%" PRIu64 "): %s",
			 err->path[0] ? err->path : "(no path)", err->offset, err->offset, err->reason);
	return buf;
}
