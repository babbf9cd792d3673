/* Lost-volume scan (format reference 2.4). Candidates are gathered first and
 * decoded afterwards, so a deep scan stays a purely sequential read. */
#include "vmfs/discover/scan.h"

#include "vmfs/core/le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1ull << 20)

bool vmfs_scan_header_plausible(const uint8_t *h, size_t len)
{
	if (len < VMFS_LVM_HEADER_DEFINED || vmfs_le32(h + VMFS_LVM_OFF_MAGIC) != VMFS_LVM_MAGIC)
		return false;
	uint32_t major = vmfs_le32(h + VMFS_LVM_OFF_MAJOR);
	uint32_t block = vmfs_le32(h + VMFS_LVM_OFF_DISK_BLOCK_SIZE);
	uint64_t total = vmfs_le64(h + VMFS_LVM_OFF_TOTAL_BYTES);
	uint64_t data = vmfs_le64(h + VMFS_LVM_OFF_DATA_OFFSET);
	return major >= 3 && major <= 6 && (block == 512 || block == 4096) && total > VMFS_LVM_HEADER_OFFSET &&
	       total % block == 0 && data > VMFS_LVM_HEADER_OFFSET && data < total;
}

/* The next [*start, *end) holding data at or after `from`; false at the end
 * (source.h: holes of raw files and split segments are skipped, a container
 * is one extent). */
static bool next_data(vmfs_source *src, uint64_t from, uint64_t *start, uint64_t *end)
{
	return vmfs_source_next_data(src, from, start, end);
}

typedef struct candidates {
	uint64_t offsets[VMFS_SCAN_MAX_HITS];
	size_t count;
	bool dropped;
} candidates;

/* Header offsets are remembered once, whichever pass met them first (the
 * windows and the 1 MiB boundaries overlap). The list is bounded. */
static void remember(candidates *c, uint64_t offset)
{
	for (size_t i = 0; i < c->count; i++)
		if (c->offsets[i] == offset)
			return;
	if (c->count < VMFS_SCAN_MAX_HITS)
		c->offsets[c->count++] = offset;
	else
		c->dropped = true;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* The deep scan reads the whole source once, front to back, so it tells the
 * kernel: libblkid, which libfdisk hands our descriptor to when the table is
 * read (ptable.c), sets POSIX_FADV_RANDOM on it and so turns readahead off
 * for every later read through the same open file. SEQUENTIAL undoes that
 * (and doubles the readahead window); NORMAL is put back afterwards for the
 * small reads that decode what was found. Advice only: a failure (a memfd, a
 * pipe-like device) changes nothing but speed. */
static void advise(vmfs_source *src, uint64_t offset, uint64_t len, int advice)
{
	vmfs_source_advise(src, offset, len, advice);
}

/* A page-aligned block buffer: the kernel copies whole pages into it, and
 * the 512-byte stride of the scan never straddles a page it did not start in. */
static uint8_t *block_buffer(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = NULL;
	if (posix_memalign(&p, page > 0 ? (size_t)page : 4096, VMFS_SCAN_BLOCK) != 0)
		return NULL;
	return p;
}

/* Examines block[0, len), read from offset at, for plausible headers. */
static vmfs_status examine_block(vmfs_source *src, const uint8_t *block, uint64_t at, size_t len,
				 unsigned alignment, vmfs_scan_result *out, candidates *found, vmfs_error *err)
{
	for (size_t off = 0; off + 4 <= len; off += alignment) {
		if (vmfs_le32(block + off) != VMFS_LVM_MAGIC || at + off < VMFS_LVM_HEADER_OFFSET)
			continue;
		out->candidates++;
		uint8_t header[VMFS_LVM_HEADER_DEFINED];
		const uint8_t *h = block + off;
		if (off + sizeof(header) > len) {
			/* The header straddles two blocks: read it on its own. */
			if (!vmfs_source_contains(src, at + off, sizeof(header)))
				continue;
			vmfs_status st = vmfs_source_read(src, at + off, header, sizeof(header), err);
			if (st != VMFS_OK)
				return st;
			h = header;
		}
		if (vmfs_scan_header_plausible(h, sizeof(header)))
			remember(found, at + off);
		else
			out->rejected++;
	}
	return VMFS_OK;
}

/* Probe windows (format reference 2.4): partition starts at every
 * sector-aligned offset of the first 64 MiB (older tools and arrays used
 * starts such as sector 63 or 64) and of the 64 MiB after the end of each
 * volume found (a neighbour placed right behind it). Their headers lie 1 MiB
 * further on. */
#define PROBE_WINDOW (64 * MIB)
#define PROBE_MAX_WINDOWS (VMFS_SCAN_MAX_HITS + 1u)

typedef struct probe_state {
	vmfs_source *src;
	vmfs_scan_result *out;
	candidates *found;
	uint8_t *block;               /* VMFS_SCAN_BLOCK bytes */
	uint64_t done_start[PROBE_MAX_WINDOWS], done_end[PROBE_MAX_WINDOWS];
	size_t windows;
} probe_state;

/* Looks at every 512-byte-aligned header offset in [from, to) where the
 * source holds data, reading it in large sequential blocks. */
static vmfs_status probe_window(probe_state *p, uint64_t from, uint64_t to, vmfs_error *err)
{
	uint64_t size = vmfs_source_size(p->src);
	if (to > size)
		to = size;
	for (size_t i = 0; i < p->windows; i++) {
		/* Trim what an earlier window covered already (windows are added in
		 * increasing order of their start). */
		if (from >= p->done_start[i] && from < p->done_end[i])
			from = p->done_end[i];
	}
	if (from >= to)
		return VMFS_OK;
	if (p->windows < PROBE_MAX_WINDOWS) {
		p->done_start[p->windows] = from;
		p->done_end[p->windows++] = to;
	}
	uint64_t start, end, pos = from;
	while (pos < to && next_data(p->src, pos, &start, &end)) {
		if (start >= to)
			break;
		if (end > to)
			end = to;
		uint64_t at = start / 512 * 512;
		while (at < end) {
			size_t len = end - at < VMFS_SCAN_BLOCK ? (size_t)(end - at) : VMFS_SCAN_BLOCK;
			vmfs_status st = vmfs_source_read(p->src, at, p->block, len, err);
			if (st != VMFS_OK)
				return st;
			p->out->bytes_read += len;
			st = examine_block(p->src, p->block, at, len, 512, p->out, p->found, err);
			if (st != VMFS_OK)
				return st;
			at += len;
		}
		pos = end;
	}
	return VMFS_OK;
}

/* The device end a header announces: its partition start + totalBytes. */
static uint64_t announced_end(vmfs_source *src, uint64_t header_offset)
{
	uint8_t h[VMFS_LVM_HEADER_DEFINED];
	if (vmfs_source_read(src, header_offset, h, sizeof(h), NULL) != VMFS_OK)
		return UINT64_MAX;
	uint64_t total = vmfs_le64(h + VMFS_LVM_OFF_TOTAL_BYTES), start = header_offset - VMFS_LVM_HEADER_OFFSET;
	return total > UINT64_MAX - start ? UINT64_MAX : start + total;
}

/* Probe mode: the windows above, then a header at 1 MiB past every 1 MiB
 * boundary and past sector 128 (ESX 3.x MBR start), where data exists, then
 * the window behind each volume found (repeated for the volumes those
 * windows find). */
static vmfs_status probe(vmfs_source *src, vmfs_scan_result *out, candidates *found, vmfs_error *err)
{
	probe_state *p = calloc(1, sizeof(*p));
	uint8_t *block = block_buffer();
	if (!p || !block) {
		free(p);
		free(block);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	}
	p->src = src, p->out = out, p->found = found, p->block = block;
	vmfs_status st = probe_window(p, VMFS_LVM_HEADER_OFFSET, VMFS_LVM_HEADER_OFFSET + PROBE_WINDOW, err);

	uint64_t start, end, pos = 0;
	uint8_t header[VMFS_LVM_HEADER_DEFINED];
	while (st == VMFS_OK && next_data(src, pos, &start, &end)) {
		out->data_bytes += end - start;
		uint64_t h = start <= MIB ? MIB : (start + MIB - 1) / MIB * MIB;
		for (; st == VMFS_OK && h < end; h += MIB) {
			if (h < VMFS_LVM_HEADER_OFFSET + PROBE_WINDOW)
				continue; /* inside the first window, looked at already */
			out->candidates++;
			if (!vmfs_source_contains(src, h, sizeof(header)))
				continue;
			st = vmfs_source_read(src, h, header, sizeof(header), err);
			if (st != VMFS_OK)
				break;
			out->bytes_read += sizeof(header);
			if (vmfs_scan_header_plausible(header, sizeof(header)))
				remember(found, h);
			else if (vmfs_le32(header) == VMFS_LVM_MAGIC)
				out->rejected++;
		}
		pos = end;
	}
	/* Behind each volume, in order of discovery: a hit in one window can
	 * open the next. Bounded by the hit list. */
	for (size_t i = 0; st == VMFS_OK && i < found->count; i++) {
		uint64_t vol_end = announced_end(src, found->offsets[i]);
		if (vol_end >= UINT64_MAX - PROBE_WINDOW - VMFS_LVM_HEADER_OFFSET)
			continue;
		st = probe_window(p, vol_end + VMFS_LVM_HEADER_OFFSET, vol_end + VMFS_LVM_HEADER_OFFSET + PROBE_WINDOW, err);
	}
	free(block);
	free(p);
	return st;
}

/* Deep mode: sequential reads over the data, every aligned offset compared
 * with the magic. The blocks are small enough (VMFS_SCAN_BLOCK, 1 MiB) for
 * the kernel's copy to land in the CPU cache that the comparison then reads,
 * which costs less CPU than `dd bs=4M`; the device is kept busy by asking
 * for the next VMFS_SCAN_AHEAD bytes (POSIX_FADV_WILLNEED) half a window at a
 * time, so that on a cold source the next reads are already queued while
 * one block is examined. */
static vmfs_status deep(vmfs_source *src, const vmfs_scan_options *options, unsigned alignment,
			vmfs_scan_result *out, candidates *found, vmfs_error *err)
{
	uint8_t *block = block_buffer();
	if (!block)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	advise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint64_t start, end, pos = 0, size = vmfs_source_size(src);
	vmfs_status st = VMFS_OK;
	while (st == VMFS_OK && next_data(src, pos, &start, &end)) {
		out->data_bytes += end - start;
		uint64_t at = start / alignment * alignment, ahead = at;
		while (st == VMFS_OK && at < end) {
			size_t len = end - at < VMFS_SCAN_BLOCK ? (size_t)(end - at) : VMFS_SCAN_BLOCK;
			if (ahead < end && ahead - at < VMFS_SCAN_AHEAD / 2) {
				uint64_t until = end - at > VMFS_SCAN_AHEAD ? at + VMFS_SCAN_AHEAD : end;
				advise(src, ahead, until - ahead, POSIX_FADV_WILLNEED);
				ahead = until;
			}
			st = vmfs_source_read(src, at, block, len, err);
			if (st != VMFS_OK)
				break;
			out->bytes_read += len;
			st = examine_block(src, block, at, len, alignment, out, found, err);
			at += len;
			if (options->progress)
				options->progress(options->progress_context, at, size);
		}
		pos = end;
	}
	advise(src, 0, 0, POSIX_FADV_NORMAL);
	free(block);
	return st;
}

vmfs_status vmfs_scan(vmfs_source *src, const vmfs_scan_options *options, vmfs_scan_result *out,
		      vmfs_error *err)
{
	static const vmfs_scan_options defaults = { 0 };
	if (!options)
		options = &defaults;
	memset(out, 0, sizeof(*out));
	unsigned alignment = options->alignment ? options->alignment : vmfs_source_sector_size(src);
	if (alignment < 512 || (alignment & (alignment - 1)))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, vmfs_source_path(src), VMFS_NO_OFFSET,
				      "scan alignment %u is not a power of two of at least 512", alignment);
	candidates *found = calloc(1, sizeof(*found));
	if (!found)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	vmfs_status st = options->deep ? deep(src, options, alignment, out, found, err) : probe(src, out, found, err);
	qsort(found->offsets, found->count, sizeof(found->offsets[0]), cmp_u64);
	for (size_t i = 0; st == VMFS_OK && i < found->count; i++) {
		vmfs_scan_hit *hit = &out->hits[out->count];
		hit->header_offset = found->offsets[i];
		hit->partition_offset = found->offsets[i] - VMFS_LVM_HEADER_OFFSET;
		vmfs_error probe_err;
		st = vmfs_device_read(src, hit->partition_offset, 0, &hit->device, &probe_err);
		if (st == VMFS_OK)
			out->count++;
		else if (st == VMFS_ERR_NOT_FOUND)
			st = VMFS_OK;
		else if (err)
			*err = probe_err;
	}
	out->hits_dropped = found->dropped;
	free(found);
	if (st != VMFS_OK)
		vmfs_scan_result_free(out);
	return st;
}

void vmfs_scan_result_free(vmfs_scan_result *result)
{
	for (size_t i = 0; i < result->count; i++)
		vmfs_device_free(result->hits[i].device);
	result->count = 0;
}
