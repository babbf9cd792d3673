/* Fault injection in the write path, for tests (hardening issue): every byte
 * this library writes to a target or to an undo or backup file goes through
 * vmfs_fault_pwrite() and every fsync through vmfs_fault_fsync() (vmfs/fileio),
 * so a test can make one file's writes fail the way disks and file systems
 * do, and check that the tools leave the target unchanged or recoverable
 * with --undo.
 *
 * A fault is armed in-process with vmfs_fault_arm(), or for a whole tool run
 * through the environment:
 *
 *   VMFS_TEST_FAULT=KIND:AFTER:PATH
 *
 * KIND    short     every write to PATH past AFTER bytes transfers only half
 *                   of what was asked (at least 1 byte): callers must loop
 *         eio       the write that passes AFTER bytes writes up to AFTER, then
 *                   fails with EIO; once (a transient error: later writes work)
 *         enospc    the same with ENOSPC
 *         crash     the write that passes AFTER bytes writes up to AFTER, then
 *                   the process ends at once (_exit(VMFS_FAULT_CRASH_STATUS)),
 *                   without fsync or cleanup: a power cut or a kill -9
 *         fsync     the first fsync of PATH after AFTER bytes fails with EIO
 * AFTER   bytes written to PATH by this process before the fault
 * PATH    the path exactly as the tool was given it (compared as a string)
 *
 * Unset, nothing changes: the seam costs one comparison per write.
 *
 * Only test builds have the seam: the Makefile compiles fault.c and fileio.c
 * with -DVMFS_FAULT_INJECTION into a variant of the library and tools under
 * $(BUILD)/fault/ (tests/test_fault.c runs those). The installed library,
 * tools and headers do not carry it (tests/install-check.sh checks). */
#ifndef VMFS_FAULT_H
#define VMFS_FAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMFS_FAULT_ENV          "VMFS_TEST_FAULT"
#define VMFS_FAULT_CRASH_STATUS 86

typedef enum vmfs_fault_kind {
	VMFS_FAULT_NONE,
	VMFS_FAULT_SHORT,
	VMFS_FAULT_EIO,
	VMFS_FAULT_ENOSPC,
	VMFS_FAULT_CRASH,
	VMFS_FAULT_FSYNC,
} vmfs_fault_kind;

/* Arms a fault for path (copied; at most 1023 bytes) in this process;
 * VMFS_FAULT_NONE disarms. Overrides the environment. */
void vmfs_fault_arm(vmfs_fault_kind kind, uint64_t after, const char *path);

/* pwrite() through the seam; path names the file fd is open on. */
ssize_t vmfs_fault_pwrite(int fd, const void *buf, size_t len, off_t offset, const char *path);
/* fsync() through the seam. */
int vmfs_fault_fsync(int fd, const char *path);

#endif
