/* Directories, format reference vmfs-fs-layer.md section 5 and 8.2. */
#include "vmfs/fs/dir.h"
#include "vmfs/fs/internal.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEX "0x%" PRIx64

/* 5.1 */
#define DIRENT5_SIZE 0x8Cu
#define DIRENT5_NAME 0x0Cu
#define DIRENT5_NAME_LEN 128u
#define DIRENT5_BATCH 29u
/* 5.2 */
#define DIR6_HEADER_SIZE 0x10000u
#define DIR6_VERSION 0x00F50001u
#define DIR6_VERSION_DEBUG 0x00FDC001u
#define DIR6_OFF_NUM_ENTRIES 0x004u
#define DIR6_OFF_NUM_MAP_BLOCKS 0x00Cu
#define DIR6_OFF_MAP_BLOCKS 0x010u
#define DIR6_MAX_MAP_BLOCKS 128u
#define DIR6_OFF_SELF 0x3B8u
#define DIR6_OFF_PARENT 0x4D8u
#define DIR6_HEADER_READ 0x5F8u
#define DIRENT6_SIZE 0x120u
#define DIRENT6_OFF_OFFSET 0x10u
#define DIRENT6_NAME 0x18u
#define DIRENT6_NAME_LEN 256u
#define DIR6_BLOCK_HEADER 0x40u
#define DIR6_BLOCK_DIRENT 1u
#define DIR6_BLOCK_MAP 3u

struct vmfs_dir {
	vmfs_file *file;
	vmfs_fs *fs;
	bool v6;
	uint64_t expected;
	/* VMFS3/5 */
	uint64_t index, count, buf_first, buf_count;
	uint8_t buf5[DIRENT5_SIZE * DIRENT5_BATCH];
	/* VMFS6 */
	uint32_t mda, num_maps, maps[DIR6_MAX_MAP_BLOCKS];
	uint64_t nblocks;
	int phase;                /* 0 self, 1 parent, 2 blocks, 3 count check, 4 done */
	uint64_t found;           /* entries met, for the count check (5.2 step 3) */
	uint8_t header[DIR6_HEADER_READ];
	uint32_t map_i, nibble;   /* position in the allocation maps */
	bool map_loaded, block_loaded;
	uint64_t block_no;
	uint32_t slot, slots;
	uint8_t *map, *block;     /* MDA bytes each */
};

/* Source offset of directory content offset off, for errors. */
static uint64_t content_where(vmfs_dir *d, uint64_t off)
{
	vmfs_segment seg;
	vmfs_error e;
	if (off < d->file->fd.length && vmfs_file_segment(d->file, off, 1, &seg, &e) == VMFS_OK &&
	    seg.kind == VMFS_SEGMENT_DATA)
		return seg.source_offset;
	return VMFS_NO_OFFSET;
}

__attribute__((format(printf, 4, 5)))
static vmfs_status derr(vmfs_dir *d, vmfs_error *err, uint64_t off, const char *fmt, ...)
{
	char reason[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return vmfs_error_set(err, VMFS_ERR_FORMAT, d->file->path, off == VMFS_NO_OFFSET ? off : content_where(d, off),
			      "directory FD 0x%08" PRIx32 ", content offset " HEX ": %s", d->file->address,
			      off == VMFS_NO_OFFSET ? 0 : off, reason);
}

/* 8.2: no '/' inside; "." and ".." only where the format puts them. */
static vmfs_status check_name(vmfs_dir *d, vmfs_dirent *ent, bool dots_allowed, vmfs_error *err)
{
	if (!ent->name[0])
		return derr(d, err, ent->offset, "entry for FD 0x%08" PRIx32 " has an empty name", ent->address);
	if (strchr(ent->name, '/'))
		return derr(d, err, ent->offset, "name \"%s\" contains '/'", ent->name);
	if (!dots_allowed && (!strcmp(ent->name, ".") || !strcmp(ent->name, "..")))
		return derr(d, err, ent->offset, "a second \"%s\" entry", ent->name);
	return VMFS_OK;
}

static void parse_common(const uint8_t *p, vmfs_dirent *ent)
{
	ent->type = vmfs_le32(p);
	ent->address = vmfs_le32(p + 4);
	ent->generation = vmfs_le32(p + 8);
}

vmfs_status vmfs_dir_open(vmfs_file *file, vmfs_dir **out, vmfs_error *err)
{
	*out = NULL;
	vmfs_fs *fs = file->fs;
	const vmfs_fd *fd = &file->fd;
	if (!vmfs_fd_is_dir(fd))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, file->path, vmfs_fs_source_offset(fs, file->fd_lv),
				      "FD 0x%08" PRIx32 " is a %s, not a directory", file->address,
				      vmfs_fd_type_name(fd->type));
	if (fd->length > VMFS_DIR_MAX_LENGTH)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, file->path, vmfs_fs_source_offset(fs, file->fd_lv),
				      "FD 0x%08" PRIx32 ": directory of %" PRIu64 " bytes, over the %llu-byte cap (8.2)",
				      file->address, fd->length, VMFS_DIR_MAX_LENGTH);
	vmfs_dir *d = calloc(1, sizeof(*d));
	if (!d)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, file->path, VMFS_NO_OFFSET, "out of memory");
	d->file = file;
	d->fs = fs;
	d->v6 = fs->geo.v6;
	vmfs_status st = VMFS_OK;
	/* A length that does not fit the format is named at the FD's length field. */
	uint64_t length_at = vmfs_fs_source_offset(fs, file->fd_lv + fs->geo.meta_off + VMFS_FD_OFF_LENGTH);
	if (!d->v6) {
		if (fd->length % DIRENT5_SIZE)
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, file->path, length_at,
					    "directory FD 0x%08" PRIx32 ": length %" PRIu64 " is not a multiple of 0x8C (5.1)",
					    file->address, fd->length);
		d->count = d->expected = fd->length / DIRENT5_SIZE;
	} else {
		d->mda = fs->geo.mda;
		if (fd->length < DIR6_HEADER_SIZE) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, file->path, length_at,
					    "directory FD 0x%08" PRIx32 ": length %" PRIu64
					    " is shorter than the 64 KiB header (5.2)", file->address, fd->length);
		} else {
			d->nblocks = (fd->length - DIR6_HEADER_SIZE) / d->mda;
			st = vmfs_fs_file_read_exact(file, 0, d->header, sizeof(d->header), 0, err);
		}
		if (st == VMFS_OK) {
			uint32_t version = vmfs_le32(d->header);
			d->expected = vmfs_le32(d->header + DIR6_OFF_NUM_ENTRIES);
			d->num_maps = vmfs_le32(d->header + DIR6_OFF_NUM_MAP_BLOCKS);
			if (version != DIR6_VERSION && version != DIR6_VERSION_DEBUG)
				st = derr(d, err, 0, "version 0x%08" PRIx32 " is not 0x00F50001 (5.2)", version);
			else if (d->num_maps > DIR6_MAX_MAP_BLOCKS)
				st = derr(d, err, DIR6_OFF_NUM_MAP_BLOCKS, "%" PRIu32 " allocation-map blocks, over 128",
					  d->num_maps);
		}
		for (uint32_t i = 0; st == VMFS_OK && i < d->num_maps; i++) {
			d->maps[i] = vmfs_le32(d->header + DIR6_OFF_MAP_BLOCKS + 4 * i);
			if (d->maps[i] >= d->nblocks)
				st = derr(d, err, DIR6_OFF_MAP_BLOCKS + 4 * i,
					  "allocation-map block %" PRIu32 " is past the %" PRIu64 " blocks", d->maps[i],
					  d->nblocks);
		}
		if (st == VMFS_OK && (!(d->map = malloc(d->mda)) || !(d->block = malloc(d->mda))))
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, file->path, VMFS_NO_OFFSET, "out of memory");
	}
	if (st != VMFS_OK) {
		vmfs_dir_close(d);
		return st;
	}
	*out = d;
	return VMFS_OK;
}

void vmfs_dir_close(vmfs_dir *d)
{
	if (!d)
		return;
	free(d->map);
	free(d->block);
	free(d);
}

uint64_t vmfs_dir_expected(const vmfs_dir *d)
{
	return d->expected;
}

static vmfs_status next5(vmfs_dir *d, vmfs_dirent *ent, bool *end, vmfs_error *err)
{
	while (d->index < d->count) {
		uint64_t i = d->index++;
		if (i < d->buf_first || i >= d->buf_first + d->buf_count) {
			uint64_t n = d->count - i < DIRENT5_BATCH ? d->count - i : DIRENT5_BATCH;
			d->buf_count = 0;
			vmfs_status st = vmfs_fs_file_read_exact(d->file, i * DIRENT5_SIZE, d->buf5,
								 (size_t)(n * DIRENT5_SIZE), 0, err);
			if (st != VMFS_OK) {
				d->index = d->count; /* the rest cannot be read in order */
				return st;
			}
			d->buf_first = i;
			d->buf_count = n;
		}
		const uint8_t *p = d->buf5 + (i - d->buf_first) * DIRENT5_SIZE;
		memset(ent, 0, sizeof(*ent));
		parse_common(p, ent);
		if (ent->address == 0)
			continue; /* 5.1: unused slot */
		ent->offset = i * DIRENT5_SIZE;
		/* 5.1: 128 bytes, NUL padded, not necessarily terminated. */
		memcpy(ent->name, p + DIRENT5_NAME, DIRENT5_NAME_LEN);
		ent->name[DIRENT5_NAME_LEN] = 0;
		*end = false;
		return check_name(d, ent, i < 2, err);
	}
	*end = true;
	return VMFS_OK;
}

static vmfs_status parse6(vmfs_dir *d, const uint8_t *p, uint64_t off, bool dots, vmfs_dirent *ent,
			  vmfs_error *err)
{
	memset(ent, 0, sizeof(*ent));
	parse_common(p, ent);
	ent->offset = off;
	const uint8_t *name = p + DIRENT6_NAME;
	const uint8_t *nul = memchr(name, 0, DIRENT6_NAME_LEN);
	if (!nul)
		return derr(d, err, off, "name is not NUL-terminated in its 256 bytes (5.2)");
	memcpy(ent->name, name, (size_t)(nul - name) + 1);
	return check_name(d, ent, dots, err);
}

static vmfs_status next6(vmfs_dir *d, vmfs_dirent *ent, bool *end, vmfs_error *err)
{
	uint32_t per_map = 2 * (d->mda - DIR6_BLOCK_HEADER);
	uint32_t max_slots = (d->mda - DIR6_BLOCK_HEADER) / DIRENT6_SIZE;
	while (d->phase < 2) {
		uint32_t off = d->phase == 0 ? DIR6_OFF_SELF : DIR6_OFF_PARENT;
		d->phase++;
		if (vmfs_le32(d->header + off + 4) == 0)
			continue;
		*end = false;
		d->found++;
		return parse6(d, d->header + off, off, true, ent, err);
	}
	while (d->phase == 2) {
		if (d->block_loaded) {
			while (d->slot < d->slots) {
				uint32_t s = d->slot++;
				if (d->block[8 + s / 8] >> (s % 8) & 1)
					continue; /* 5.2: bit set = free slot */
				const uint8_t *p = d->block + DIR6_BLOCK_HEADER + s * DIRENT6_SIZE;
				if (vmfs_le32(p + 4) == 0)
					continue;
				uint64_t off = DIR6_HEADER_SIZE + d->block_no * d->mda + DIR6_BLOCK_HEADER + s * DIRENT6_SIZE;
				*end = false;
				d->found++;
				return parse6(d, p, off, false, ent, err);
			}
			d->block_loaded = false;
		}
		if (d->map_i >= d->num_maps) {
			d->phase = 3;
			break;
		}
		vmfs_status st;
		uint64_t map_off = DIR6_HEADER_SIZE + (uint64_t)d->maps[d->map_i] * d->mda;
		if (!d->map_loaded) {
			st = vmfs_fs_file_read_exact(d->file, map_off, d->map, d->mda, 0, err);
			if (st == VMFS_OK && vmfs_le16(d->map + 2) != DIR6_BLOCK_MAP)
				st = derr(d, err, map_off, "allocation-map block has block type %u, not 3 (5.2)",
					  vmfs_le16(d->map + 2));
			if (st != VMFS_OK) {
				d->map_i++;
				return st;
			}
			d->map_loaded = true;
			d->nibble = 0;
		}
		uint64_t b = (uint64_t)d->map_i * per_map + d->nibble;
		if (d->nibble >= per_map || b >= d->nblocks) {
			d->map_i++;
			d->map_loaded = false;
			continue;
		}
		uint8_t byte = d->map[DIR6_BLOCK_HEADER + d->nibble / 2];
		uint8_t nib = d->nibble % 2 == 0 ? byte >> 4 : byte & 0xF; /* high nibble first */
		d->nibble++;
		if ((nib & 3u) != DIR6_BLOCK_DIRENT)
			continue;
		uint64_t boff = DIR6_HEADER_SIZE + b * d->mda;
		st = vmfs_fs_file_read_exact(d->file, boff, d->block, d->mda, 0, err);
		if (st != VMFS_OK)
			return st;
		if (vmfs_le16(d->block + 2) != DIR6_BLOCK_DIRENT)
			return derr(d, err, boff, "block %" PRIu64 " is type %u in its header, DIRENT in the map (8.2)", b,
				    vmfs_le16(d->block + 2));
		d->slots = vmfs_le16(d->block + 4);
		if (d->slots > max_slots) {
			uint32_t n = d->slots;
			d->slots = 0;
			return derr(d, err, boff, "block %" PRIu64 " claims %" PRIu32 " slots, over %" PRIu32 " (8.2)", b, n,
				    max_slots);
		}
		d->block_no = b;
		d->slot = 0;
		d->block_loaded = true;
	}
	if (d->phase == 3) {
		/* 5.2 step 3: what the blocks hold against the header's numEntries;
		 * reported once, as an error of the directory, after its entries. */
		d->phase = 4;
		if (d->found != d->expected) {
			*end = false;
			return derr(d, err, DIR6_OFF_NUM_ENTRIES,
				    "%" PRIu64 " entries found, numEntries says %" PRIu64 " (5.2)", d->found, d->expected);
		}
	}
	*end = true;
	return VMFS_OK;
}

vmfs_status vmfs_dir_next(vmfs_dir *d, vmfs_dirent *ent, bool *end, vmfs_error *err)
{
	*end = false;
	return d->v6 ? next6(d, ent, end, err) : next5(d, ent, end, err);
}

vmfs_status vmfs_dir_lookup(vmfs_file *dir, const char *name, vmfs_dirent *ent, vmfs_error *err)
{
	vmfs_dir *d;
	vmfs_status st = vmfs_dir_open(dir, &d, err), first = VMFS_OK;
	if (st != VMFS_OK)
		return st;
	vmfs_error first_err;
	for (;;) {
		bool end = false;
		vmfs_error e;
		st = vmfs_dir_next(d, ent, &end, &e);
		if (st != VMFS_OK) {
			/* A damaged entry is skipped; reported if the name is not found. */
			if (first == VMFS_OK) {
				first = st;
				first_err = e;
			}
			continue;
		}
		if (end) {
			if (first != VMFS_OK) {
				st = first;
				if (err)
					*err = first_err;
			} else {
				st = vmfs_error_set(err, VMFS_ERR_NOT_FOUND, dir->path, VMFS_NO_OFFSET,
						    "no entry \"%s\" in directory FD 0x%08" PRIx32, name, dir->address);
			}
			break;
		}
		if (!strcmp(ent->name, name))
			break;
	}
	vmfs_dir_close(d);
	return st;
}

vmfs_status vmfs_fs_open_entry(vmfs_fs *fs, const vmfs_dirent *ent, const char *path, vmfs_file **out,
			       vmfs_error *err)
{
	vmfs_file *f;
	vmfs_status st = vmfs_file_open(fs, ent->address, path, &f, err);
	if (st != VMFS_OK)
		return st;
	/* 8.1 step 8: the FD must be the one the entry was written for. */
	if (f->fd.generation != ent->generation || f->fd.type != ent->type) {
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, f->path, vmfs_fs_source_offset(fs, f->fd_lv),
				    "FD 0x%08" PRIx32 ": generation %" PRIu32 " and type %" PRIu32
				    " differ from the directory entry's %" PRIu32 " and %" PRIu32 ": a stale entry",
				    f->address, f->fd.generation, f->fd.type, ent->generation, ent->type);
		vmfs_file_close(f);
		return st;
	}
	*out = f;
	return VMFS_OK;
}

#define SYMLINK_HOPS 8u /* 8.2 */

/* 4.4: the target of a symlink met inside a path, as a path on this volume:
 * relative targets are taken from the link's directory (parent); absolute
 * ones only when they name this volume (/vmfs/volumes/<label or UUID>/...). */
static vmfs_status link_target(vmfs_fs *fs, vmfs_file *link, const char *parent, const char *rest, char *out,
			       size_t outlen, vmfs_error *err)
{
	char target[VMFS_PATH_MAX];
	size_t got;
	if (link->fd.length >= sizeof(target))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, link->path, vmfs_fs_source_offset(fs, link->fd_lv),
				      "FD 0x%08" PRIx32 ": symbolic link target of %" PRIu64 " bytes", link->address,
				      link->fd.length);
	vmfs_status st = vmfs_file_read(link, 0, target, sizeof(target) - 1, &got, err);
	if (st != VMFS_OK)
		return st;
	target[got] = 0;
	if (strlen(target) != got || got == 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, link->path, vmfs_fs_source_offset(fs, link->fd_lv),
				      "FD 0x%08" PRIx32 ": symbolic link target is empty or holds a NUL byte",
				      link->address);
	const char *inside = NULL;
	if (target[0] != '/') {
		int n = snprintf(out, outlen, "%s/%s%s", parent, target, rest);
		if (n < 0 || (size_t)n >= outlen)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, link->path, VMFS_NO_OFFSET,
					      "path through the symbolic link is longer than %u bytes", VMFS_PATH_MAX);
		return VMFS_OK;
	}
	static const char prefix[] = "/vmfs/volumes/";
	if (!strncmp(target, prefix, sizeof(prefix) - 1)) {
		const char *vol = target + sizeof(prefix) - 1;
		size_t n = strcspn(vol, "/");
		char uuid[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_format(&fs->desc.uuid, uuid);
		if ((n == strlen(fs->desc.label) && !strncmp(vol, fs->desc.label, n) && n) ||
		    (n == strlen(uuid) && !strncasecmp(vol, uuid, n)))
			inside = vol + n;
	}
	if (!inside)
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, link->path, vmfs_fs_source_offset(fs, link->fd_lv),
				      "FD 0x%08" PRIx32 ": symbolic link to \"%s\" leaves this volume", link->address,
				      target);
	int n = snprintf(out, outlen, "/%s%s", inside, rest);
	if (n < 0 || (size_t)n >= outlen)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, link->path, VMFS_NO_OFFSET,
				      "path through the symbolic link is longer than %u bytes", VMFS_PATH_MAX);
	return VMFS_OK;
}

vmfs_status vmfs_fs_open_path(vmfs_fs *fs, const char *path, vmfs_file **out, vmfs_error *err)
{
	*out = NULL;
	if (!path || path[0] != '/' || strlen(path) >= VMFS_PATH_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path ? path : "", VMFS_NO_OFFSET,
				      "a path inside the volume is absolute and shorter than %u bytes", VMFS_PATH_MAX);
	char work[VMFS_PATH_MAX];
	snprintf(work, sizeof(work), "%s", path);
	unsigned hops = 0;
restart:;
	char sofar[VMFS_PATH_MAX] = "";
	vmfs_file *cur;
	vmfs_status st = vmfs_file_open(fs, VMFS_ROOT_FD_ADDR, "/", &cur, err);
	if (st != VMFS_OK)
		return st;
	if (!vmfs_fd_is_dir(&cur->fd)) {
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, "/", vmfs_fs_source_offset(fs, cur->fd_lv),
				    "the root FD 0x00000004 is a %s, not a directory", vmfs_fd_type_name(cur->fd.type));
		vmfs_file_close(cur);
		return st;
	}
	const char *p = work;
	unsigned depth = 0;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		char name[VMFS_NAME_MAX + 1];
		if (n > VMFS_NAME_MAX || ++depth > VMFS_PATH_MAX_DEPTH) {
			vmfs_file_close(cur);
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
					      n > VMFS_NAME_MAX ? "a component is longer than 256 bytes"
								: "more than 64 components (8.2)");
		}
		memcpy(name, p, n);
		name[n] = 0;
		p += n;
		if (!strcmp(name, "."))
			continue;
		vmfs_dirent ent;
		char parent[VMFS_PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", sofar);
		st = vmfs_dir_lookup(cur, name, &ent, err);
		if (st == VMFS_OK) {
			size_t len = strlen(sofar);
			snprintf(sofar + len, sizeof(sofar) - len, "/%s", name);
		}
		vmfs_file *next = NULL;
		if (st == VMFS_OK)
			st = vmfs_fs_open_entry(fs, &ent, sofar, &next, err);
		vmfs_file_close(cur);
		if (st != VMFS_OK)
			return st;
		cur = next;
		if (!*p)
			break;
		if (cur->fd.type == VMFS_FD_SYMLINK) {
			/* 5.3: a symlink inside the path is followed, at most 8 times. */
			char followed[VMFS_PATH_MAX];
			if (++hops > SYMLINK_HOPS)
				st = vmfs_error_set(err, VMFS_ERR_FORMAT, cur->path, vmfs_fs_source_offset(fs, cur->fd_lv),
						    "more than %u symbolic links in \"%s\": a loop (8.2)", SYMLINK_HOPS, path);
			else
				st = link_target(fs, cur, parent, p, followed, sizeof(followed), err);
			vmfs_file_close(cur);
			if (st != VMFS_OK)
				return st;
			snprintf(work, sizeof(work), "%s", followed);
			goto restart;
		}
		if (!vmfs_fd_is_dir(&cur->fd)) {
			st = vmfs_error_set(err, VMFS_ERR_NOT_FOUND, cur->path, vmfs_fs_source_offset(fs, cur->fd_lv),
					    "FD 0x%08" PRIx32 " is a %s, not a directory", cur->address,
					    vmfs_fd_type_name(cur->fd.type));
			vmfs_file_close(cur);
			return st;
		}
	}
	snprintf(cur->path, sizeof(cur->path), "%s", sofar[0] ? sofar : "/");
	*out = cur;
	return VMFS_OK;
}

typedef struct walk_state {
	vmfs_fs *fs;
	const vmfs_walk_ops *ops;
	uint32_t ancestors[VMFS_PATH_MAX_DEPTH + 1];
	unsigned depth;
	bool stopped;
} walk_state;

/* Returns VMFS_OK to go on; an error when the walk must stop. */
static vmfs_status report(walk_state *w, vmfs_status st, vmfs_error *err)
{
	if (st == VMFS_OK)
		return VMFS_OK;
	if (w->ops->error && !w->ops->error(w->ops->ctx, err))
		return VMFS_OK;
	w->stopped = true;
	return st;
}

static vmfs_status walk_dir(walk_state *w, vmfs_file *dir, vmfs_error *err)
{
	vmfs_dir *d;
	vmfs_status st = vmfs_dir_open(dir, &d, err);
	if (st != VMFS_OK)
		return report(w, st, err);
	w->ancestors[w->depth++] = dir->address;
	while (!w->stopped) {
		vmfs_dirent ent;
		bool end = false;
		st = vmfs_dir_next(d, &ent, &end, err);
		if (st != VMFS_OK) {
			if ((st = report(w, st, err)) != VMFS_OK)
				break;
			continue;
		}
		if (end)
			break;
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		char path[VMFS_PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/%s", strcmp(dir->path, "/") ? dir->path : "", ent.name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, dir->path, VMFS_NO_OFFSET,
					    "path of entry \"%s\" is longer than %u bytes", ent.name, VMFS_PATH_MAX);
			if ((st = report(w, st, err)) != VMFS_OK)
				break;
			continue;
		}
		vmfs_file *f;
		st = vmfs_fs_open_entry(w->fs, &ent, path, &f, err);
		if (st != VMFS_OK) {
			if ((st = report(w, st, err)) != VMFS_OK)
				break;
			continue;
		}
		bool is_dir = vmfs_fd_is_dir(&f->fd), loop = false;
		for (unsigned i = 0; i < w->depth && is_dir; i++)
			loop |= w->ancestors[i] == f->address;
		if (loop || (is_dir && w->depth >= VMFS_PATH_MAX_DEPTH)) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, vmfs_fs_source_offset(w->fs, f->fd_lv),
					    loop ? "directory FD 0x%08" PRIx32 " is one of its own ancestors: a directory loop (8.2)"
						 : "directory FD 0x%08" PRIx32 " is deeper than 64 levels (8.2)",
					    f->address);
			vmfs_file_close(f);
			if ((st = report(w, st, err)) != VMFS_OK)
				break;
			continue;
		}
		if (w->ops->entry && w->ops->entry(w->ops->ctx, path, &ent, f)) {
			w->stopped = true;
			vmfs_file_close(f);
			st = VMFS_OK;
			break;
		}
		st = is_dir ? walk_dir(w, f, err) : VMFS_OK;
		vmfs_file_close(f);
		if (st != VMFS_OK)
			break;
	}
	w->depth--;
	vmfs_dir_close(d);
	return st;
}

vmfs_status vmfs_fs_walk(vmfs_fs *fs, const char *path, const vmfs_walk_ops *ops, vmfs_error *err)
{
	vmfs_file *top;
	vmfs_status st = vmfs_fs_open_path(fs, path, &top, err);
	if (st != VMFS_OK)
		return st;
	walk_state w = {.fs = fs, .ops = ops};
	st = walk_dir(&w, top, err);
	vmfs_file_close(top);
	return st;
}
