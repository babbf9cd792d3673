/* Shared helpers of the libFuzzer harnesses: chunk-form disks, the scratch
 * file for loaders that take a path, padded copies. */
#include "fuzz/common.h"

#include "vmfs/le.h"

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

/* An acceptable GPT header at `lba` whose entry array passes 1 MiB? *alternate
 * receives the backup LBA it names (0 if none). */
static bool gpt_array_too_large(vmfs_source *src, uint64_t lba, unsigned sector, uint64_t *alternate)
{
	uint8_t hdr[4096];
	*alternate = 0;
	if (lba > UINT64_MAX / sector || vmfs_source_read(src, lba * sector, hdr, sector, NULL) != VMFS_OK ||
	    memcmp(hdr, "EFI PART", 8) != 0)
		return false;
	uint32_t header_size = vmfs_le32(hdr + 0x0C), stored = vmfs_le32(hdr + 0x10);
	if (header_size < 92 || header_size > sector)
		return false;
	vmfs_put_le32(hdr + 0x10, 0);
	if ((uint32_t)crc32(0, hdr, header_size) != stored)
		return false;
	*alternate = vmfs_le64(hdr + 0x20);
	return (uint64_t)vmfs_le32(hdr + 0x50) * vmfs_le32(hdr + 0x54) > (1u << 20);
}

/* F1: see common.h. */
static bool gpt_known_issue(vmfs_source *src)
{
	static const unsigned sectors[] = { 512, 4096 };
	uint64_t size = vmfs_source_size(src);
	for (size_t i = 0; i < 2; i++) {
		unsigned s = sectors[i];
		uint64_t alternate = 0, ignored;
		if (size < 2ull * s)
			continue;
		if (gpt_array_too_large(src, 1, s, &alternate) ||
		    (alternate && gpt_array_too_large(src, alternate, s, &ignored)) ||
		    gpt_array_too_large(src, size / s - 1, s, &ignored))
			return true;
	}
	return false;
}

/* F3: see common.h. Looks only where the source holds data. */
static bool pe_known_issue(vmfs_source *src)
{
	static uint8_t block[1u << 16];
	const int fd = vmfs_source_fd(src);
	const uint64_t size = vmfs_source_size(src);
	uint64_t pos = 0;
	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		if (data < 0)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		uint64_t end = hole < 0 || (uint64_t)hole > size ? size : (uint64_t)hole;
		for (uint64_t at = (uint64_t)data / 128 * 128; at < end; at += sizeof(block)) {
			size_t len = end - at < sizeof(block) ? (size_t)(end - at) : sizeof(block);
			if (vmfs_source_read(src, at, block, len, NULL) != VMFS_OK)
				return false;
			for (size_t k = 0; k + 0x21 <= len; k += 128) {
				uint64_t sum;
				if (!__builtin_add_overflow(vmfs_le64(block + k + 0x11), vmfs_le64(block + k + 0x19), &sum) &&
				    sum == UINT64_MAX)
					return true;
			}
		}
		pos = end;
	}
	return false;
}

bool fuzz_known_issue(vmfs_source *src)
{
	static int unguarded = -1;
	if (unguarded < 0) {
		const char *env = getenv("FUZZ_UNGUARDED");
		unguarded = env && strcmp(env, "1") == 0;
	}
	return !unguarded && (gpt_known_issue(src) || pe_known_issue(src));
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
