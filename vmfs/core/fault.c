/* Fault injection seam: see fault.h. */
#include "vmfs/core/fault.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	bool loaded;            /* environment read (or an in-process arm) */
	vmfs_fault_kind kind;
	uint64_t after;
	uint64_t written;       /* bytes written to path so far */
	bool fired;             /* one-shot faults: already happened */
	char path[1024];
} fault;

static void load_environment(void)
{
	fault.loaded = true;
	const char *spec = getenv(VMFS_FAULT_ENV);
	if (!spec || !*spec)
		return;
	static const struct {
		const char *name;
		vmfs_fault_kind kind;
	} kinds[] = { { "short", VMFS_FAULT_SHORT }, { "eio", VMFS_FAULT_EIO }, { "enospc", VMFS_FAULT_ENOSPC },
		      { "crash", VMFS_FAULT_CRASH }, { "fsync", VMFS_FAULT_FSYNC } };
	const char *colon = strchr(spec, ':');
	char *end = NULL;
	if (!colon)
		return;
	unsigned long long after = strtoull(colon + 1, &end, 10);
	if (!end || *end != ':' || end == colon + 1)
		return;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == (size_t)(colon - spec) && strncmp(spec, kinds[i].name, (size_t)(colon - spec)) == 0)
			vmfs_fault_arm(kinds[i].kind, after, end + 1);
}

void vmfs_fault_arm(vmfs_fault_kind kind, uint64_t after, const char *path)
{
	memset(&fault, 0, sizeof(fault));
	fault.loaded = true;
	fault.kind = kind;
	fault.after = after;
	snprintf(fault.path, sizeof(fault.path), "%s", path ? path : "");
}

static bool armed_for(const char *path)
{
	if (!fault.loaded)
		load_environment();
	return fault.kind != VMFS_FAULT_NONE && path && strcmp(path, fault.path) == 0;
}

ssize_t vmfs_fault_pwrite(int fd, const void *buf, size_t len, off_t offset, const char *path)
{
	if (!armed_for(path) || fault.kind == VMFS_FAULT_FSYNC || fault.fired)
		return pwrite(fd, buf, len, offset);
	uint64_t room = fault.written < fault.after ? fault.after - fault.written : 0;
	if (len <= room)
		room = len;
	else if (fault.kind == VMFS_FAULT_SHORT)
		room += (len - room + 1) / 2;
	ssize_t n = room ? pwrite(fd, buf, (size_t)room, offset) : 0;
	if (n > 0)
		fault.written += (uint64_t)n;
	if (len <= room || fault.kind == VMFS_FAULT_SHORT || n < 0)
		return n;
	/* This write reaches the fault: what fits before it is written. */
	if (fault.kind == VMFS_FAULT_CRASH)
		_exit(VMFS_FAULT_CRASH_STATUS);
	if (n > 0)
		return n; /* a short write; the caller's next call fails */
	fault.fired = true;
	errno = fault.kind == VMFS_FAULT_EIO ? EIO : ENOSPC;
	return -1;
}

int vmfs_fault_fsync(int fd, const char *path)
{
	if (armed_for(path) && fault.kind == VMFS_FAULT_FSYNC && !fault.fired && fault.written >= fault.after) {
		fault.fired = true;
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}
