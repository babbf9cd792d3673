/* File descriptors and file data, format reference vmfs-fs-layer.md
 * sections 4 and 6, with the limits of 8.2. */
#include "vmfs/fs/internal.h"
#include "vmfs/fs/addr.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEX "0x%" PRIx64
/* Data runs merged into one segment stop here, so that a caller's read loop
 * keeps a bounded step. */
#define SEGMENT_DATA_CAP (1ull << 30)

typedef struct blk {
	vmfs_segment_kind kind;
	uint64_t lv;   /* DATA */
	uint64_t len;  /* bytes from the offset to the end of the block */
} blk;

__attribute__((format(printf, 5, 6)))
static vmfs_status ferr(const vmfs_file *f, vmfs_error *err, vmfs_status st, uint64_t lv_where, const char *fmt, ...)
{
	char reason[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	uint64_t where = vmfs_fs_source_offset(f->fs, lv_where == VMFS_NO_OFFSET ? f->fd_lv : lv_where);
	return vmfs_error_set(err, st, f->path, where, "FD 0x%08" PRIx32 " (LV " HEX "): %s", f->address, f->fd_lv,
			      reason);
}

/* Wraps an error from a deeper level: keeps its source offset (the bytes
 * found wrong), names this file's path and FD, and prefixes the reason. */
__attribute__((format(printf, 5, 6)))
static vmfs_status fwrap(const vmfs_file *f, vmfs_error *err, vmfs_status st, uint64_t lv_where, const char *fmt, ...)
{
	if (!err)
		return st;
	char prefix[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	uint64_t where = err->offset != VMFS_NO_OFFSET
				 ? err->offset
				 : vmfs_fs_source_offset(f->fs, lv_where == VMFS_NO_OFFSET ? f->fd_lv : lv_where);
	return vmfs_fs_wrap(err, st, f->path, where, "FD 0x%08" PRIx32 ": %s", f->address, prefix);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t ptr_at(const vmfs_file *f, uint64_t i)
{
	const vmfs_fs_geometry *g = &f->fs->geo;
	const uint8_t *p = f->raw + g->ptr_off + i * g->ptr_width;
	return g->ptr_width == 8 ? vmfs_le64(p) : vmfs_le32(p);
}

static void decode_addr(const vmfs_fs *fs, uint64_t a, vmfs_addr *out)
{
	if (fs->geo.v6)
		vmfs_addr_decode64(a, out);
	else
		vmfs_addr_decode32((uint32_t)a, fs->geo.dense_sbpc, out);
}

/* 8.2 FD checks and the capacity of the ZLA (6.6). */
static vmfs_status check_fd(vmfs_file *f, vmfs_error *err)
{
	const vmfs_fs_geometry *g = &f->fs->geo;
	const vmfs_fd *fd = &f->fd;
	uint64_t meta = f->fd_lv + g->meta_off;
	if (fd->lock.magic != VMFS_LOCK_MAGIC_FD)
		return ferr(f, err, VMFS_ERR_FORMAT, f->fd_lv,
			    "lock magic 0x%08" PRIx32 " is not 0x10C00001: not a file descriptor", fd->lock.magic);
	if (fd->desc_addr != f->address)
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_DESC_ADDR,
			    "descAddr 0x%08" PRIx32 " is not the FD's address: a free or stale slot", fd->desc_addr);
	if (fd->lock.addr != 0 && fd->lock.addr != f->fd_lv)
		return ferr(f, err, VMFS_ERR_FORMAT, f->fd_lv + VMFS_LOCK_OFF_ADDR,
			    "lock addr " HEX " is not the FD's own LV offset", fd->lock.addr);
	if (fd->type < VMFS_FD_VOLUME || fd->type > VMFS_FD_RDM)
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_TYPE, "type %" PRIu32 " is not 1..6", fd->type);
	if (fd->length > VMFS_FS_MAX_FILE_LENGTH)
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_LENGTH,
			    "length %" PRIu64 " is over the 64 TiB maximum (6.6)", fd->length);
	if (fd->type == VMFS_FD_RDM)
		return VMFS_OK; /* 4.4: no data blocks; reads are refused */
	if (fd->zla == VMFS_ZLA_RESIDENT) {
		if (fd->length > g->resident_max)
			return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_LENGTH,
				    "resident length %" PRIu64 " is over the %" PRIu32 " bytes an FD holds (6.1)",
				    fd->length, g->resident_max);
		return VMFS_OK;
	}
	uint64_t per_ptr;
	switch (fd->zla) {
	case VMFS_ZLA_FB:
	case VMFS_ZLA_SB:
		per_ptr = 1;
		break;
	case VMFS_ZLA_PB:
	case VMFS_ZLA_PB2:
		per_ptr = g->ptrs_per_pb;
		break;
	case VMFS_ZLA_DOUBLE:
		per_ptr = (uint64_t)g->ptrs_per_pb * g->ptrs_per_pb;
		break;
	default:
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_ZLA,
			    "zero-level address type 0x%" PRIx32 " is not one of 1, 2, 3, 5, 0x10D0, 0x10D1 (4.3)",
			    fd->zla);
	}
	if (!pow2(fd->block_size) || fd->block_size < 0x200 || fd->block_size > g->lfbs)
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_BLOCK_SIZE,
			    "block size %" PRIu64 " is not a power of two in 512..%" PRIu64 " (8.2)", fd->block_size,
			    g->lfbs);
	uint64_t capacity = sat_mul(sat_mul(g->ptr_count, per_ptr), fd->block_size);
	if (fd->length > capacity)
		return ferr(f, err, VMFS_ERR_FORMAT, meta + VMFS_FD_OFF_LENGTH,
			    "length %" PRIu64 " is over the %" PRIu64 " bytes ZLA 0x%" PRIx32 " can address (6.6)",
			    fd->length, capacity, fd->zla);
	return VMFS_OK;
}

vmfs_status vmfs_fs_file_open_at(vmfs_fs *fs, uint32_t address, uint64_t lv, const char *path, vmfs_file **out,
				 vmfs_error *err)
{
	*out = NULL;
	const char *name = path && *path ? path : "(FD)";
	vmfs_addr a;
	vmfs_addr_decode32(address, false, &a);
	if (a.type != VMFS_ADDR_FD)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, name, VMFS_NO_OFFSET,
				      "address 0x%08" PRIx32 " is of type %s, not an FD (2.1)", address,
				      vmfs_addr_type_name(a.type));
	if (lv == UINT64_MAX) {
		vmfs_status st = vmfs_fs_item_lv(fs, VMFS_RES_FDC, a.cluster, a.resource, 0, &lv, err);
		if (st != VMFS_OK)
			return vmfs_fs_wrap(err, st, name, err ? err->offset : VMFS_NO_OFFSET, "FD 0x%08" PRIx32, address);
	}
	vmfs_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->raw = malloc(fs->geo.fd_size))) {
		free(f);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, name, VMFS_NO_OFFSET, "out of memory");
	}
	f->fs = fs;
	f->address = address;
	f->fd_lv = lv;
	snprintf(f->path, sizeof(f->path), "%s", name);
	vmfs_status st = vmfs_fs_read_lv(fs, lv, f->raw, fs->geo.fd_size, err);
	if (st != VMFS_OK) {
		st = fwrap(f, err, st, lv, "reading the FD");
		vmfs_file_close(f);
		return st;
	}
	vmfs_fd_decode(f->raw, &fs->geo, &f->fd);
	st = check_fd(f, err);
	if (st != VMFS_OK) {
		vmfs_file_close(f);
		return st;
	}
	*out = f;
	return VMFS_OK;
}

vmfs_status vmfs_file_open(vmfs_fs *fs, uint32_t fd_address, const char *path, vmfs_file **out, vmfs_error *err)
{
	return vmfs_fs_file_open_at(fs, fd_address, UINT64_MAX, path, out, err);
}

void vmfs_file_close(vmfs_file *f)
{
	if (!f)
		return;
	free(f->pb[0]);
	free(f->pb[1]);
	free(f->raw);
	free(f);
}

const vmfs_fd *vmfs_file_fd(const vmfs_file *f)
{
	return &f->fd;
}

uint32_t vmfs_file_address(const vmfs_file *f)
{
	return f->address;
}

uint64_t vmfs_file_fd_lv(const vmfs_file *f)
{
	return f->fd_lv;
}

const char *vmfs_file_path(const vmfs_file *f)
{
	return f->path;
}

/* 6.2: resolve data address a for file offset off. where: LV of the pointer. */
static vmfs_status data_block(vmfs_file *f, uint64_t a, uint64_t where, uint64_t off, int depth, blk *b,
			      vmfs_error *err)
{
	vmfs_fs *fs = f->fs;
	const vmfs_fs_geometry *g = &fs->geo;
	uint64_t bs = f->fd.block_size, o = off % bs, size, lv;
	vmfs_addr d;
	decode_addr(fs, a, &d);
	memset(b, 0, sizeof(*b));
	switch (d.type) {
	case VMFS_ADDR_NULL:
		b->kind = VMFS_SEGMENT_HOLE;
		b->len = bs - o;
		return VMFS_OK;
	case VMFS_ADDR_FB:
		size = g->fbs;
		if (g->v6) {
			/* 2.2: SFB block = cluster x R + resource. */
			if (d.resource >= fs->sfb_per_cluster)
				return ferr(f, err, VMFS_ERR_FORMAT, where,
					    "SFB address " HEX " has resource %" PRIu32 ", not below R = %" PRIu32, a,
					    d.resource, fs->sfb_per_cluster);
			d.block = d.cluster * fs->sfb_per_cluster + d.resource;
		}
		break;
	case VMFS_ADDR_LFB:
		if (!g->v6)
			goto bad_type;
		size = g->lfbs; /* 2.2: from dissect only, not seen on an image */
		break;
	case VMFS_ADDR_SB:
		size = g->sbs;
		break;
	default:
	bad_type:
		return ferr(f, err, VMFS_ERR_FORMAT, where,
			    "data address " HEX " at file offset " HEX " has type %s; a data block must be FB, SB%s or "
			    "a hole (8.2)", a, off, vmfs_addr_type_name(d.type), g->v6 ? ", LFB" : "");
	}
	/* 6.2 takes the in-block offset modulo the size of the block type; the
	 * reference leaves open how a file whose blockSize differs from it is
	 * laid out, so such a file is refused rather than guessed. */
	if (size != bs)
		return ferr(f, err, VMFS_ERR_UNSUPPORTED, where,
			    "data address " HEX " is a %" PRIu64 "-byte %s but the file's block size is %" PRIu64
			    " (6.2 does not define this)", a, size, vmfs_addr_type_name(d.type), bs);
	if (d.tbz) {
		b->kind = VMFS_SEGMENT_TBZ; /* 6.5: never read a to-be-zeroed block */
		b->len = bs - o;
		return VMFS_OK;
	}
	if (d.type == VMFS_ADDR_SB) {
		vmfs_status st = vmfs_fs_item_lv(fs, VMFS_RES_SBC, d.cluster, d.resource, depth, &lv, err);
		if (st != VMFS_OK)
			return fwrap(f, err, st, where, "sub-block " HEX " at file offset " HEX, a, off);
	} else {
		uint64_t end;
		if (__builtin_mul_overflow(d.block, size, &lv) || __builtin_add_overflow(lv, size, &end) ||
		    end > fs->lv_size)
			return ferr(f, err, VMFS_ERR_FORMAT, where,
				    "data address " HEX " (block %" PRIu64 ") at file offset " HEX
				    " lies outside the %" PRIu64 "-byte volume (8.2)", a, d.block, off, fs->lv_size);
	}
	b->kind = VMFS_SEGMENT_DATA;
	b->lv = lv + o;
	b->len = bs - o;
	return VMFS_OK;
}

/* 6.3: entry idx of the pointer block at pb (of the resource its own type
 * names), cached per level. */
static vmfs_status pb_entry(vmfs_file *f, int level, uint64_t pb, uint64_t where, uint64_t idx, int depth,
			    uint64_t *entry, uint64_t *entry_where, vmfs_error *err)
{
	vmfs_fs *fs = f->fs;
	const vmfs_fs_geometry *g = &fs->geo;
	vmfs_addr d;
	decode_addr(fs, pb, &d);
	vmfs_fs_resource which;
	switch (d.type) {
	case VMFS_ADDR_PB:
		which = VMFS_RES_PBC;
		break;
	case VMFS_ADDR_PB2:
		which = VMFS_RES_PB2;
		break;
	case VMFS_ADDR_SB:
		which = VMFS_RES_SBC;
		break;
	default:
		return ferr(f, err, VMFS_ERR_FORMAT, where,
			    "pointer-block address " HEX " has type %s; only PB, PB2 or SB can hold pointers (8.2)", pb,
			    vmfs_addr_type_name(d.type));
	}
	size_t bytes = (size_t)g->ptrs_per_pb * g->ptr_width;
	if (fs->has_res[which] && fs->hdr[which].resource_size < bytes)
		return ferr(f, err, VMFS_ERR_FORMAT, where,
			    "pointer block " HEX ": its resource holds %" PRIu32 " bytes, fewer than %u pointers", pb,
			    fs->hdr[which].resource_size, g->ptrs_per_pb);
	uint64_t lv;
	vmfs_status st = vmfs_fs_item_lv(fs, which, d.cluster, d.resource, depth, &lv, err);
	if (st != VMFS_OK)
		return fwrap(f, err, st, where, "pointer block " HEX, pb);
	if (f->pb_key[level] != pb + 1 || !f->pb[level]) {
		if (!f->pb[level] && !(f->pb[level] = malloc(bytes)))
			return ferr(f, err, VMFS_ERR_NO_MEMORY, where, "out of memory");
		f->pb_key[level] = 0;
		st = vmfs_fs_read_lv(fs, lv, f->pb[level], bytes, err);
		if (st != VMFS_OK)
			return fwrap(f, err, st, lv, "pointer block " HEX, pb);
		f->pb_key[level] = pb + 1;
	}
	const uint8_t *p = f->pb[level] + idx * g->ptr_width;
	*entry = g->ptr_width == 8 ? vmfs_le64(p) : vmfs_le32(p);
	*entry_where = lv + idx * g->ptr_width;
	return VMFS_OK;
}

/* The block holding file offset off (< length), sections 6.1-6.4. */
static vmfs_status map_block(vmfs_file *f, uint64_t off, int depth, blk *b, vmfs_error *err)
{
	vmfs_fs *fs = f->fs;
	const vmfs_fs_geometry *g = &fs->geo;
	const vmfs_fd *fd = &f->fd;
	if (depth > VMFS_FS_MAX_DEPTH)
		return ferr(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET,
			    "addresses lead through more than %d resource files: a cycle (2.3, 8.2)", VMFS_FS_MAX_DEPTH);
	if (fd->type == VMFS_FD_RDM)
		return ferr(f, err, VMFS_ERR_UNSUPPORTED, VMFS_NO_OFFSET,
			    "a raw device mapping has no data on the volume (4.4)");
	if (fd->zla == VMFS_ZLA_RESIDENT) {
		b->kind = VMFS_SEGMENT_DATA;
		b->lv = f->fd_lv + g->resident_off + off;
		b->len = fd->length - off;
		return VMFS_OK;
	}
	uint64_t bs = fd->block_size, i = off / bs, o = off % bs, P = g->ptrs_per_pb, a, where;
	uint64_t base_where = f->fd_lv + g->ptr_off;
	vmfs_status st;
	switch (fd->zla) {
	case VMFS_ZLA_FB:
	case VMFS_ZLA_SB:
		if (i >= g->ptr_count)
			return ferr(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET,
				    "block %" PRIu64 " is past the %" PRIu32 " pointers (8.2)", i, g->ptr_count);
		a = ptr_at(f, i);
		where = base_where + i * g->ptr_width;
		break;
	case VMFS_ZLA_PB:
	case VMFS_ZLA_PB2: {
		uint64_t pi = i / P;
		if (pi >= g->ptr_count)
			return ferr(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET,
				    "pointer block %" PRIu64 " is past the %" PRIu32 " pointers (8.2)", pi, g->ptr_count);
		uint64_t pb = ptr_at(f, pi);
		if (pb == 0) {
			b->kind = VMFS_SEGMENT_HOLE;
			b->len = (P - i % P) * bs - o;
			return VMFS_OK;
		}
		st = pb_entry(f, 0, pb, base_where + pi * g->ptr_width, i % P, depth, &a, &where, err);
		if (st != VMFS_OK)
			return st;
		break;
	}
	case VMFS_ZLA_DOUBLE: {
		/* 6.4 (from dissect, not on an image): ptr[i / P^2] -> PB -> PB -> data. */
		uint64_t i1 = i / (P * P), i2 = (i / P) % P, pb1, pb2, w1;
		if (i1 >= g->ptr_count)
			return ferr(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET,
				    "pointer block %" PRIu64 " is past the %" PRIu32 " pointers (8.2)", i1, g->ptr_count);
		pb1 = ptr_at(f, i1);
		if (pb1 == 0) {
			b->kind = VMFS_SEGMENT_HOLE;
			b->len = (P * P - i % (P * P)) * bs - o;
			return VMFS_OK;
		}
		st = pb_entry(f, 0, pb1, base_where + i1 * g->ptr_width, i2, depth, &pb2, &w1, err);
		if (st != VMFS_OK)
			return st;
		if (pb2 == 0) {
			b->kind = VMFS_SEGMENT_HOLE;
			b->len = (P - i % P) * bs - o;
			return VMFS_OK;
		}
		st = pb_entry(f, 1, pb2, w1, i % P, depth, &a, &where, err);
		if (st != VMFS_OK)
			return st;
		break;
	}
	default:
		return ferr(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET, "unknown ZLA 0x%" PRIx32, fd->zla);
	}
	return data_block(f, a, where, off, depth, b, err);
}

vmfs_status vmfs_fs_file_segment_depth(vmfs_file *f, uint64_t off, uint64_t max, vmfs_segment *seg, int depth,
				       vmfs_error *err)
{
	memset(seg, 0, sizeof(*seg));
	if (off >= f->fd.length)
		return ferr(f, err, VMFS_ERR_INVALID_ARG, VMFS_NO_OFFSET,
			    "offset " HEX " is not below the file length %" PRIu64, off, f->fd.length);
	uint64_t limit = f->fd.length - off;
	if (max && max < limit)
		limit = max;
	blk b;
	vmfs_status st = map_block(f, off, depth, &b, err);
	if (st != VMFS_OK)
		return st;
	seg->start = off;
	seg->kind = b.kind;
	seg->lv = b.lv;
	uint64_t total = b.len < limit ? b.len : limit;
	/* Merge the blocks that follow while they continue the run. */
	while (total < limit && (b.kind != VMFS_SEGMENT_DATA || total < SEGMENT_DATA_CAP)) {
		st = map_block(f, off + total, depth, &b, err);
		if (st != VMFS_OK)
			return st;
		if (b.kind != seg->kind || (b.kind == VMFS_SEGMENT_DATA && b.lv != seg->lv + total))
			break;
		total += b.len < limit - total ? b.len : limit - total;
	}
	if (seg->kind == VMFS_SEGMENT_DATA) {
		uint64_t avail;
		st = vmfs_fs_map_lv(f->fs, seg->lv, &seg->source, &seg->source_offset, &avail, err);
		if (st != VMFS_OK)
			return fwrap(f, err, VMFS_ERR_FORMAT, VMFS_NO_OFFSET, "file offset " HEX, off);
		if (avail < total)
			total = avail; /* 1.1: split at the end of a physical extent */
	}
	seg->length = total;
	return VMFS_OK;
}

vmfs_status vmfs_file_segment(vmfs_file *f, uint64_t off, uint64_t max, vmfs_segment *seg, vmfs_error *err)
{
	return vmfs_fs_file_segment_depth(f, off, max, seg, 0, err);
}

static vmfs_status read_range(vmfs_file *f, uint64_t off, uint8_t *p, size_t len, int depth, vmfs_error *err)
{
	while (len) {
		vmfs_segment seg;
		vmfs_status st = vmfs_fs_file_segment_depth(f, off, len, &seg, depth, err);
		if (st != VMFS_OK)
			return st;
		size_t n = (size_t)seg.length;
		if (seg.kind == VMFS_SEGMENT_DATA) {
			st = vmfs_source_read(seg.source, seg.source_offset, p, n, err);
			if (st != VMFS_OK)
				return fwrap(f, err, st, seg.lv, "file offset " HEX, off);
		} else {
			memset(p, 0, n);
		}
		p += n;
		off += n;
		len -= n;
	}
	return VMFS_OK;
}

vmfs_status vmfs_fs_file_read_exact(vmfs_file *f, uint64_t off, void *buf, size_t len, int depth, vmfs_error *err)
{
	if (off > f->fd.length || f->fd.length - off < len)
		return ferr(f, err, VMFS_ERR_TRUNCATED, VMFS_NO_OFFSET,
			    "%zu bytes at file offset " HEX " pass the file length %" PRIu64, len, off, f->fd.length);
	return read_range(f, off, buf, len, depth, err);
}

vmfs_status vmfs_file_read(vmfs_file *f, uint64_t off, void *buf, size_t len, size_t *got, vmfs_error *err)
{
	*got = 0;
	if (off >= f->fd.length || len == 0)
		return VMFS_OK;
	if (len > f->fd.length - off)
		len = (size_t)(f->fd.length - off);
	vmfs_status st = read_range(f, off, buf, len, 0, err);
	if (st == VMFS_OK)
		*got = len;
	return st;
}
