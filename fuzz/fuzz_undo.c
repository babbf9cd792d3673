/* libFuzzer harness: the undo file reader (vmfs/repair/undo.h), the file that
 * `--undo FILE` replays.
 *
 * The input is an undo file, written to this process's scratch memfd and
 * loaded through its /proc/self/fd path with vmfs_undo_load. A second copy
 * has its CRCs recomputed from its own bytes (header CRC, each region's old
 * and new CRC where its bytes are in the file, the trailer's magic and CRC)
 * so that mutations reach the checks behind them; when it loads, the record
 * is checked against a sparse in-memory target of the recorded size with
 * vmfs_undo_check_target, unforced and forced, as `vmfs-restore --undo` does
 * before it writes anything (nothing is written here). The target holds each
 * region's new bytes, except that every second region has its first byte
 * changed, so that the "new", "old", "mix" and "other" verdicts all occur. */
#include "fuzz/common.h"

#include "vmfs/core/le.h"
#include "vmfs/repair/undo.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Recomputes every CRC of an undo file image in place. */
static void fix_crcs(uint8_t *f, size_t size)
{
	const size_t header = VMFS_UNDO_HEADER_SIZE, head = VMFS_UNDO_REGION_HEAD_SIZE, trailer = VMFS_UNDO_TRAILER_SIZE;
	if (size < header + trailer)
		return;
	uint32_t count = vmfs_le32(f + VMFS_UNDO_OFF_COUNT);
	size_t pos = header;
	for (uint32_t i = 0; i < count && pos <= size - trailer; i++) {
		if (size - trailer - pos < head)
			break;
		uint8_t *rec = f + pos;
		uint64_t length = vmfs_le32(rec + VMFS_UNDO_REG_OFF_LENGTH);
		if (2 * length > size - trailer - pos - head)
			break;
		const uint8_t *old_bytes = rec + head, *new_bytes = old_bytes + length;
		vmfs_put_le32(rec + VMFS_UNDO_REG_OFF_OLD_CRC, (uint32_t)crc32(0, old_bytes, (uInt)length));
		vmfs_put_le32(rec + VMFS_UNDO_REG_OFF_NEW_CRC, (uint32_t)crc32(0, new_bytes, (uInt)length));
		pos += head + 2 * length;
	}
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, 0);
	vmfs_put_le32(f + VMFS_UNDO_OFF_HEADER_CRC, (uint32_t)crc32(0, f, header));
	memcpy(f + size - trailer, VMFS_UNDO_END_MAGIC, 8);
	vmfs_put_le32(f + size - 4, (uint32_t)crc32(0, f, (uInt)(size - trailer)));
}

static void check_target(const vmfs_undo *u)
{
	vmfs_source *target = NULL;
	if (vmfs_source_new_sparse("fuzz-target", u->target_size, VMFS_SOURCE_MEMORY, &target, NULL) != VMFS_OK)
		return;
	for (size_t i = 0; i < u->count; i++) {
		const vmfs_undo_region *r = &u->regions[i];
		if (vmfs_source_fill(target, r->offset, r->new_data, r->length, NULL) != VMFS_OK)
			break;
		uint8_t other = (uint8_t)~r->new_data[0];
		if (i % 2 && vmfs_source_fill(target, r->offset, &other, 1, NULL) != VMFS_OK)
			break;
	}
	vmfs_undo_state *states = calloc(u->count ? u->count : 1, sizeof(*states));
	if (states) {
		vmfs_error err;
		int fd = vmfs_source_fd(target);
		(void)vmfs_undo_check_target(fd, "fuzz-target", u->target_size, u->sector_size, u, false, states, &err);
		(void)vmfs_undo_check_target(fd, "fuzz-target", u->target_size, 512, u, true, states, &err);
		for (size_t i = 0; i < u->count; i++)
			(void)vmfs_undo_state_name(states[i]);
		free(states);
	}
	vmfs_source_close(target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch_file(data, size);
	if (!path)
		return 0;
	vmfs_undo u;
	vmfs_error err;
	if (vmfs_undo_load(path, &u, &err) == VMFS_OK)
		vmfs_undo_free(&u);

	uint8_t *fixed = fuzz_padded_copy(data, size, 0);
	if (!fixed)
		return 0;
	fix_crcs(fixed, size);
	path = fuzz_scratch_file(fixed, size);
	free(fixed);
	if (path && vmfs_undo_load(path, &u, &err) == VMFS_OK) {
		check_target(&u);
		vmfs_undo_free(&u);
	}
	return 0;
}
