/* libFuzzer harness: the metadata backup file reader (vmfs/backup/backup.h).
 *
 * The input is a backup file. It is written to this process's scratch memfd
 * and loaded through its /proc/self/fd path, exactly as vmfs-restore
 * --from-backup and vmfs-inspect load a file: vmfs_backup_is_backup_file,
 * vmfs_backup_load.
 *
 * Every byte of a valid file is covered by a SHA-256 and most by a CRC32 too,
 * so mutated files rarely pass those checks. A second copy therefore has its
 * checksums recomputed from its own bytes (the header SHA-256, each region's
 * CRC32 and SHA-256 where its stored bytes are in the file, inflating zlib
 * streams, and the trailer's magic and SHA-256) and is loaded too; when it
 * loads, its regions are looked up with vmfs_backup_find, it is opened as a
 * source with vmfs_backup_open_source and that source is analysed with
 * vmfs_disk_analyse, as vmfs-inspect does with a backup. */
#include "fuzz/common.h"

#include "vmfs/backup/backup.h"
#include "vmfs/discover/disk.h"
#include "vmfs/core/le.h"

#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void sha256_of(const uint8_t *p, size_t len, uint8_t out[32])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, len, p);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

/* The bytes region data inflates to, if exactly `length`; malloc'd or NULL. */
static uint8_t *inflate_region(const uint8_t *in, uint64_t in_len, uint64_t length)
{
	if (length == 0 || length > VMFS_BACKUP_MAX_REGION_BYTES)
		return NULL;
	uint8_t *out = malloc((size_t)length);
	if (!out)
		return NULL;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)in_len;
	zs.next_out = out;
	zs.avail_out = (uInt)length;
	int zr = inflate(&zs, Z_FINISH);
	bool exact = zr == Z_STREAM_END && zs.total_out == length;
	inflateEnd(&zs);
	if (!exact) {
		free(out);
		return NULL;
	}
	return out;
}

/* Recomputes every checksum of a backup file image in place. */
static void fix_checksums(uint8_t *f, size_t size)
{
	const size_t header = VMFS_BACKUP_HEADER_SIZE, trailer = VMFS_BACKUP_TRAILER_SIZE;
	if (size < header + trailer)
		return;
	uint64_t count = vmfs_le32(f + VMFS_BACKUP_OFF_COUNT);
	uint64_t room = (size - header - trailer) / VMFS_BACKUP_ENTRY_SIZE;
	if (count > room)
		count = room;
	uint64_t pos = header + count * VMFS_BACKUP_ENTRY_SIZE;
	for (uint64_t i = 0; i < count; i++) {
		uint8_t *e = f + header + i * VMFS_BACKUP_ENTRY_SIZE;
		uint64_t length = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_LENGTH);
		uint64_t stored = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_STORED);
		bool packed = vmfs_le32(e + VMFS_BACKUP_ENT_OFF_FLAGS) & VMFS_BACKUP_REGION_ZLIB;
		if (stored > size - trailer - pos)
			break;
		const uint8_t *bytes = f + pos;
		uint8_t *inflated = NULL;
		if (packed)
			bytes = inflated = inflate_region(f + pos, stored, length);
		else if (stored != length)
			bytes = NULL;
		if (bytes) {
			vmfs_put_le32(e + VMFS_BACKUP_ENT_OFF_CRC32, (uint32_t)crc32(0, bytes, (uInt)length));
			sha256_of(bytes, (size_t)length, e + VMFS_BACKUP_ENT_OFF_SHA256);
		}
		free(inflated);
		pos += stored;
	}
	memset(f + VMFS_BACKUP_OFF_HEADER_SHA, 0, 32);
	sha256_of(f, header, f + VMFS_BACKUP_OFF_HEADER_SHA);
	memcpy(f + size - trailer, VMFS_BACKUP_END_MAGIC, 8);
	sha256_of(f, size - trailer, f + size - trailer + 8);
}

static void use_backup(const char *path)
{
	vmfs_backup b;
	vmfs_error err;
	if (vmfs_backup_load(path, &b, &err) != VMFS_OK)
		return;
	for (size_t i = 0; i < b.count; i++) {
		(void)vmfs_backup_find(&b, b.regions[i].offset, b.regions[i].length);
		(void)vmfs_backup_find(&b, b.regions[i].offset + b.regions[i].length - 1, 0);
	}
	(void)vmfs_backup_find(&b, 0, 0);
	vmfs_backup_free(&b);

	vmfs_source *src = NULL;
	if (vmfs_backup_open_source(path, &src, &err) != VMFS_OK)
		return;
	vmfs_disk *disk = malloc(sizeof(*disk));
	if (disk && vmfs_disk_analyse(src, NULL, disk, &err) == VMFS_OK)
		vmfs_disk_free(disk);
	free(disk);
	vmfs_source_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch_file(data, size);
	if (!path)
		return 0;
	(void)vmfs_backup_is_backup_file(path);
	vmfs_backup b;
	vmfs_error err;
	if (vmfs_backup_load(path, &b, &err) == VMFS_OK)
		vmfs_backup_free(&b);

	uint8_t *fixed = fuzz_padded_copy(data, size, 0);
	if (!fixed)
		return 0;
	fix_checksums(fixed, size);
	path = fuzz_scratch_file(fixed, size);
	free(fixed);
	if (path)
		use_backup(path);
	return 0;
}
