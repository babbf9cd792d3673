/* libFuzzer harness: the read-only file-system layer (vmfs-fs-layer.md), the
 * path of vmfs-ls, vmfs-extract and vmfs-inspect --heartbeats.
 *
 * The input is a chunk-form disk (fuzz/common.h) holding one or more VMFS
 * volumes, in a table or not: the discovery layer finds them as the tools do,
 * and for each volume found (at most 4) the file system is opened
 * (bootstrap, resource-file headers: 3.2, 3.3), walked from `/` (directories
 * flat and hashed, FDs, symlinks: 4, 5) and every file's data mapped and
 * read (6: resident, SB, FB, PB, PB2, double indirect, holes, TBZ), with the
 * lock record of each FD and the heartbeat slots (7). Control bit 0 asks
 * discovery for the deep scan.
 *
 * Every step is bounded here as a tool bounds it by output, so that one run
 * stays short whatever the input claims: at most 256 entries per walk, 16
 * segments and 3 reads per file (its first bytes, the middle, its last
 * byte), 64 heartbeat slots. The limits the library itself must enforce
 * (8.2: loops, cycles, addresses outside the volume, lying sizes) are what
 * this harness is for. */
#include "fuzz/common.h"

#include "vmfs/discover/discover.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"
#include "vmfs/fs/heartbeat.h"

#include <string.h>

#define MAX_VOLUMES 4u
#define MAX_ENTRIES 256u
#define MAX_SEGMENTS 16u
#define READ_LEN 4096u

typedef struct walk_state {
	vmfs_fs *fs;
	unsigned entries;
} walk_state;

static void read_file(vmfs_file *file)
{
	static uint8_t buf[READ_LEN];
	vmfs_error err;
	const vmfs_fd *fd = vmfs_file_fd(file);
	uint64_t offset = 0;
	for (unsigned i = 0; i < MAX_SEGMENTS && offset < fd->length; i++) {
		vmfs_segment seg;
		if (vmfs_file_segment(file, offset, 0, &seg, &err) != VMFS_OK || seg.length == 0)
			break;
		offset = seg.start + seg.length;
	}
	const uint64_t at[3] = { 0, fd->length / 2, fd->length ? fd->length - 1 : 0 };
	for (unsigned i = 0; i < 3; i++) {
		size_t got = 0;
		(void)vmfs_file_read(file, at[i], buf, sizeof(buf), &got, &err);
	}
}

static int on_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *file)
{
	walk_state *w = ctx;
	(void)path;
	(void)ent;
	const vmfs_fd *fd = vmfs_file_fd(file);
	(void)vmfs_fd_st_mode(fd);
	(void)vmfs_fd_type_name(fd->type);
	(void)vmfs_zla_name(fd->zla);
	vmfs_lock_status lock;
	vmfs_error err;
	if (vmfs_lock_record_held(&fd->lock) && vmfs_fs_lock_status(w->fs, &fd->lock, &lock, &err) == VMFS_OK)
		(void)vmfs_lock_state_name(lock.state);
	if (!vmfs_fd_is_dir(fd))
		read_file(file);
	return ++w->entries >= MAX_ENTRIES;
}

/* Errors of single entries do not stop the walk, as in vmfs-ls. */
static int on_error(void *ctx, const vmfs_error *err)
{
	walk_state *w = ctx;
	(void)err;
	return ++w->entries >= MAX_ENTRIES;
}

static void read_volume(const vmfs_discovery *d, size_t volume)
{
	vmfs_fs *fs = NULL;
	vmfs_error err;
	if (vmfs_fs_open_discovered(d, volume, &fs, &err) != VMFS_OK)
		return;
	walk_state w = { .fs = fs };
	vmfs_walk_ops ops = { .entry = on_entry, .error = on_error, .ctx = &w };
	(void)vmfs_fs_walk(fs, "/", &ops, &err);
	vmfs_file *file = NULL;
	if (vmfs_fs_open_path(fs, "/directory/file", &file, &err) == VMFS_OK)
		vmfs_file_close(file);
	uint32_t slots = vmfs_fs_heartbeat_slots(fs);
	for (uint32_t i = 0; i < slots && i < 64; i++) {
		vmfs_heartbeat hb;
		(void)vmfs_fs_heartbeat(fs, i, &hb, &err);
	}
	vmfs_fs_close(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t control = 0;
	vmfs_source *src = fuzz_disk_open(data, size, &control);
	if (!src)
		return 0;
	vmfs_discover_options options;
	memset(&options, 0, sizeof(options));
	options.deep = control & 1;
	vmfs_discovery d;
	vmfs_error err;
	if (vmfs_discover(&src, 1, &options, &d, &err) == VMFS_OK) {
		for (size_t v = 0; v < d.num_volumes && v < MAX_VOLUMES; v++)
			read_volume(&d, v);
		vmfs_discovery_free(&d);
	}
	vmfs_source_close(src);
	return 0;
}
