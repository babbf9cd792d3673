/* Shared helpers of the libFuzzer harnesses: chunk-form disks, the scratch
 * file for loaders that take a path, padded copies. */
#include "fuzz/common.h"

#include "vmfs/core/le.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

vmfs_source *fuzz_disk_open(const uint8_t *data, size_t size, uint16_t *control)
{
	if (size < FUZZ_DISK_HEADER)
		return NULL;
	uint64_t sectors = vmfs_le32(data);
	if (sectors == 0)
		sectors = 1;
	uint64_t disk = sectors * 512 - vmfs_le16(data + 4) % 512;
	*control = vmfs_le16(data + 6);

	vmfs_source *src = NULL;
	if (vmfs_source_new_sparse("fuzz-disk", disk, VMFS_SOURCE_MEMORY, &src, NULL) != VMFS_OK)
		return NULL;
	size_t pos = FUZZ_DISK_HEADER;
	while (size - pos >= FUZZ_CHUNK_HEADER) {
		uint64_t at = (uint64_t)vmfs_le32(data + pos) * 512;
		size_t len = vmfs_le16(data + pos + 4);
		pos += FUZZ_CHUNK_HEADER;
		if (len > size - pos)
			len = size - pos;
		size_t keep = at >= disk ? 0 : disk - at < len ? (size_t)(disk - at) : len;
		if (keep && vmfs_source_fill(src, at, data + pos, keep, NULL) != VMFS_OK) {
			vmfs_source_close(src);
			return NULL;
		}
		pos += len;
	}
	return src;
}

/* Recomputes the CRCs of the GPT header in the sector at byte `at`; returns
 * the backup header's LBA it names (0 if none). */
static uint64_t fix_gpt_header(vmfs_source *src, uint64_t at, unsigned sector)
{
	uint8_t hdr[4096];
	if (vmfs_source_read(src, at, hdr, sector, NULL) != VMFS_OK || memcmp(hdr, "EFI PART", 8) != 0)
		return 0;
	uint32_t header_size = vmfs_le32(hdr + 0x0C);
	uint64_t alternate = vmfs_le64(hdr + 0x20), entries_lba = vmfs_le64(hdr + 0x48);
	uint64_t entries = (uint64_t)vmfs_le32(hdr + 0x50) * vmfs_le32(hdr + 0x54);
	if (header_size < 92 || header_size > sector)
		header_size = 92;
	if (entries > (1u << 20))
		entries = 1u << 20;
	uint32_t crc = (uint32_t)crc32(0, NULL, 0);
	uint8_t *array = malloc(entries ? (size_t)entries : 1);
	if (array && entries_lba <= UINT64_MAX / sector &&
	    vmfs_source_read(src, entries_lba * sector, array, (size_t)entries, NULL) == VMFS_OK)
		crc = (uint32_t)crc32(crc, array, (uInt)entries);
	free(array);
	vmfs_put_le32(hdr + 0x58, crc);
	vmfs_put_le32(hdr + 0x10, 0);
	vmfs_put_le32(hdr + 0x10, (uint32_t)crc32(0, hdr, header_size));
	(void)vmfs_source_fill(src, at, hdr, sector, NULL);
	return alternate;
}

void fuzz_fix_gpt(vmfs_source *src)
{
	static const unsigned sectors[] = { 512, 4096 };
	uint64_t size = vmfs_source_size(src);
	for (size_t i = 0; i < 2; i++) {
		unsigned s = sectors[i];
		if (size < 3ull * s)
			continue;
		uint64_t backup = fix_gpt_header(src, s, s);
		if (backup == 0 || backup == 1 || backup > size / s - 1)
			backup = size / s - 1;
		(void)fix_gpt_header(src, backup * s, s);
	}
}

const char *fuzz_scratch_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-scratch", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0)
		return NULL;
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		done += (size_t)n;
	}
	return path;
}

uint8_t *fuzz_padded_copy(const uint8_t *data, size_t size, size_t want)
{
	size_t len = size > want ? size : want;
	uint8_t *copy = calloc(1, len ? len : 1);
	if (copy && size)
		memcpy(copy, data, size);
	return copy;
}
