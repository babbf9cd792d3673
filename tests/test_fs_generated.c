/* The file-system layer and the file tools on VMFS3, VMFS5 and VMFS6 file
 * systems written by the independent generator (mkfixture --fs tree): every
 * addressing mode of the format reference (resident, sub-blocks, FB/SFB with
 * holes and to-be-zeroed blocks, LFB, PB, PB2, double indirect past 2^38;
 * VMFS3: sub-blocks in a second cluster group, single indirect to 256 GiB),
 * a directory of 10,000 files, a disk whose partition table is gone, and the
 * generator's hostile variants.
 *
 * Expected values come from the generator's manifest (--fs-manifest: the FD
 * fields it wrote and the extents holding fixtures/fspattern.h bytes, zeros
 * elsewhere) and from the format reference (FD field offsets, 4.1/4.2). */
#include "tests/support/support.h"
#include "fixtures/fspattern.h"
#include "vmfs/discover/disk.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXT 8

typedef struct mfile {
	char path[300];
	uint32_t type, fd, gen, nlink, mode, uid, gid, mtime, ctime, atime, zla;
	uint64_t size, block_size, fd_lv, npb, pb_lv;
	size_t next;
	uint64_t eo[MAX_EXT], el[MAX_EXT];
	char target[64];
} mfile;

typedef struct manifest {
	mfile *f;
	size_t n;
	unsigned version;
	uint64_t lv0;
} manifest;

static void parse_manifest(const char *path, manifest *m)
{
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	memset(m, 0, sizeof(*m));
	size_t cap = 0;
	char line[4096];
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#') {
			unsigned long long lv0;
			if (sscanf(line, "# mkfixture fs manifest 1: vmfs %u, LV 0 at image offset %llu", &m->version,
				   &lv0) == 2)
				m->lv0 = lv0;
			continue;
		}
		if (m->n == cap) {
			cap = cap ? 2 * cap : 256;
			m->f = realloc(m->f, cap * sizeof(*m->f));
			cr_assert_not_null(m->f);
		}
		mfile *f = &m->f[m->n++];
		memset(f, 0, sizeof(*f));
		char *save = NULL, *tok[19];
		int nt = 0;
		line[strcspn(line, "\n")] = 0;
		for (char *t = strtok_r(line, "\t", &save); t && nt < 19; t = strtok_r(NULL, "\t", &save))
			tok[nt++] = t;
		cr_assert_eq(nt, 19, "manifest line with %d fields", nt);
		snprintf(f->path, sizeof(f->path), "%s", tok[0]);
		f->type = (uint32_t)strtoul(tok[1], NULL, 0);
		f->fd = (uint32_t)strtoul(tok[2], NULL, 16);
		f->gen = (uint32_t)strtoul(tok[3], NULL, 0);
		f->nlink = (uint32_t)strtoul(tok[4], NULL, 0);
		f->mode = (uint32_t)strtoul(tok[5], NULL, 8);
		f->uid = (uint32_t)strtoul(tok[6], NULL, 0);
		f->gid = (uint32_t)strtoul(tok[7], NULL, 0);
		f->size = strtoull(tok[8], NULL, 0);
		f->mtime = (uint32_t)strtoul(tok[9], NULL, 0);
		f->ctime = (uint32_t)strtoul(tok[10], NULL, 0);
		f->atime = (uint32_t)strtoul(tok[11], NULL, 0);
		f->zla = (uint32_t)strtoul(tok[12], NULL, 16);
		f->block_size = strtoull(tok[13], NULL, 0);
		f->fd_lv = strtoull(tok[14], NULL, 0);
		f->npb = strtoull(tok[15], NULL, 0);
		if (strcmp(tok[16], "-")) {
			char *s2 = NULL;
			for (char *e = strtok_r(tok[16], ",", &s2); e; e = strtok_r(NULL, ",", &s2)) {
				cr_assert_lt(f->next, MAX_EXT);
				cr_assert_eq(sscanf(e, "%" SCNu64 "+%" SCNu64, &f->eo[f->next], &f->el[f->next]), 2);
				f->next++;
			}
		}
		if (strcmp(tok[17], "-"))
			snprintf(f->target, sizeof(f->target), "%s", tok[17]);
		f->pb_lv = strcmp(tok[18], "-") ? strtoull(tok[18], NULL, 0) : 0;
	}
	fclose(fp);
	cr_assert(m->version == 3 || m->version == 5 || m->version == 6, "manifest header");
	cr_assert_gt(m->n, 10);
}

static const mfile *mf(const manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->f[i].path, path))
			return &m->f[i];
	cr_assert_fail("no %s in the manifest", path);
	return NULL;
}

static uint8_t expected_byte(const mfile *f, uint64_t off)
{
	for (size_t e = 0; e < f->next; e++)
		if (off >= f->eo[e] && off - f->eo[e] < f->el[e])
			return mkf_pattern_byte(f->fd, off);
	return 0;
}

static uint64_t extent_bytes(const mfile *f)
{
	uint64_t n = 0;
	for (size_t e = 0; e < f->next; e++)
		n += f->el[e];
	return n;
}

/* Builds a bare volume image with the tree; returns the image path. */
static void build(unsigned lvm, unsigned entries, const char *damage, char *img, char *man, manifest *m)
{
	char name[64], n[16], spec[64];
	snprintf(name, sizeof(name), "v%u-%s.img", lvm, damage ? damage : "tree");
	snprintf(img, 600, "%s", tmp_path(name));
	snprintf(name, sizeof(name), "v%u-%s.manifest", lvm, damage ? damage : "tree");
	snprintf(man, 600, "%s", tmp_path(name));
	snprintf(n, sizeof(n), "%u", entries);
	snprintf(spec, sizeof(spec), "%u", lvm);
	/* VMFS6: 1200M leaves LFB 1 (LV 512 MiB .. 1 GiB) for /lfb.bin. */
	mkfixture("volume", "--lvm", spec, "--size", lvm == 6 ? "1200M" : "600M", "--fs", "tree", "--fs-entries", n,
		  "--fs-damage", damage ? damage : "", "--fs-manifest", man, img, NULL);
	parse_manifest(man, m);
}

typedef struct opened {
	vmfs_source *src;
	vmfs_disk disk;
	vmfs_fs *fs;
} opened;

static void open_fs(const char *path, opened *o)
{
	vmfs_error err;
	char text[2048];
	memset(o, 0, sizeof(*o));
	cr_assert_eq(vmfs_source_open(path, &o->src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_disk_analyse(o->src, NULL, &o->disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_geq(o->disk.num_devices, 1);
	vmfs_fs_member mem = {o->src, o->disk.devices[0]};
	cr_assert_eq(vmfs_fs_open(&mem, 1, &o->fs, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
}

static void close_fs(opened *o)
{
	vmfs_fs_close(o->fs);
	vmfs_disk_free(&o->disk);
	vmfs_source_close(o->src);
}

/* Compares file bytes [off, off + len) read through the library. */
static void compare_range(vmfs_file *file, const mfile *f, uint64_t off, uint64_t len)
{
	static uint8_t buf[1 << 20];
	vmfs_error err;
	char text[2048];
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf), got;
		cr_assert_eq(vmfs_file_read(file, off, buf, n, &got, &err), VMFS_OK, "%s: %s", f->path,
			     vmfs_error_format(&err, text, sizeof(text)));
		cr_assert_eq(got, n);
		for (size_t i = 0; i < n; i++)
			if (buf[i] != expected_byte(f, off + i))
				cr_assert_fail("%s: byte at file offset 0x%" PRIx64 " is 0x%02x, expected 0x%02x", f->path,
					       off + i, buf[i], expected_byte(f, off + i));
		off += n;
		len -= n;
	}
}

/* Walks the block map: data segments hold the expected bytes (pattern in the
 * extents, zeros elsewhere: only the large file block has such zeros);
 * holes and TBZ runs meet no extent. */
static void check_content(vmfs_file *file, const mfile *f, bool lfb)
{
	vmfs_error err;
	char text[2048];
	uint64_t at = 0, data = 0;
	while (at < f->size) {
		vmfs_segment seg;
		cr_assert_eq(vmfs_file_segment(file, at, 0, &seg, &err), VMFS_OK, "%s at 0x%" PRIx64 ": %s", f->path, at,
			     vmfs_error_format(&err, text, sizeof(text)));
		cr_assert_eq(seg.start, at);
		cr_assert_gt(seg.length, 0);
		uint64_t end = at + seg.length;
		if (seg.kind == VMFS_SEGMENT_DATA) {
			data += seg.length;
			for (size_t e = 0; e < f->next; e++) {
				uint64_t lo = f->eo[e] > at ? f->eo[e] : at, hi = f->eo[e] + f->el[e] < end ? f->eo[e] + f->el[e] : end;
				if (lo < hi)
					compare_range(file, f, lo, hi - lo);
			}
			/* Samples of the parts outside the extents (zeros). */
			for (uint64_t s = at; s < end; s += 64ull << 20)
				compare_range(file, f, s, end - s < 4096 ? end - s : 4096);
			compare_range(file, f, end - 1, 1);
		} else {
			for (size_t e = 0; e < f->next; e++)
				cr_assert(f->eo[e] + f->el[e] <= at || f->eo[e] >= end,
					  "%s: file offsets 0x%" PRIx64 "..0x%" PRIx64 " are a %s but hold data", f->path, at,
					  end, seg.kind == VMFS_SEGMENT_TBZ ? "TBZ run" : "hole");
		}
		at = end;
	}
	if (!lfb)
		cr_assert_eq(data, extent_bytes(f), "%s: %" PRIu64 " data bytes, the generator wrote %" PRIu64, f->path,
			     data, extent_bytes(f));
}

static void library_reads_every_file(unsigned lvm)
{
	char img[600], man[600];
	manifest m;
	build(lvm, 300, NULL, img, man, &m);
	opened o;
	open_fs(img, &o);
	vmfs_error err;
	char text[2048];
	size_t checked = 0;
	for (size_t i = 0; i < m.n; i++) {
		const mfile *f = &m.f[i];
		vmfs_file *file;
		cr_assert_eq(vmfs_fs_open_path(o.fs, f->path, &file, &err), VMFS_OK, "%s: %s", f->path,
			     vmfs_error_format(&err, text, sizeof(text)));
		const vmfs_fd *fd = vmfs_file_fd(file);
		cr_assert_eq(vmfs_file_address(file), f->fd, "%s", f->path);
		cr_assert_eq(vmfs_file_fd_lv(file), f->fd_lv, "%s", f->path);
		cr_assert_eq(fd->type, f->type, "%s", f->path);
		cr_assert_eq(fd->generation, f->gen, "%s", f->path);
		cr_assert_eq(fd->link_count, f->nlink, "%s", f->path);
		cr_assert_eq(fd->mode, f->mode, "%s", f->path);
		cr_assert_eq(fd->uid, f->uid, "%s", f->path);
		cr_assert_eq(fd->gid, f->gid, "%s", f->path);
		cr_assert_eq(fd->length, f->size, "%s", f->path);
		cr_assert_eq(fd->mtime, f->mtime, "%s", f->path);
		cr_assert_eq(fd->ctime, f->ctime, "%s", f->path);
		cr_assert_eq(fd->atime, f->atime, "%s", f->path);
		cr_assert_eq(fd->zla, f->zla, "%s", f->path);
		cr_assert_eq(fd->block_size, f->block_size, "%s", f->path);
		if (f->type == 3) {
			check_content(file, f, !strcmp(f->path, "/lfb.bin"));
			checked++;
		} else if (f->type == 4) {
			char target[64] = "";
			size_t got;
			cr_assert_eq(vmfs_file_read(file, 0, target, sizeof(target) - 1, &got, &err), VMFS_OK);
			cr_assert_str_eq(target, f->target);
		}
		vmfs_file_close(file);
	}
	cr_assert_geq(checked, 300 + (lvm == 3 ? 6 : 7));

	/* The double-indirect file past 256 GiB (vmfs-tools issue 12): the block
	 * at exactly 2^38 and the last bytes, read across block boundaries.
	 * VMFS3 (no double indirect, 6.6): the single-indirect file of
	 * 256 GiB - 1 MiB + 4107 bytes, its block at 2^32 and its last block,
	 * entry 1023 of the PB in ptr[255]. */
	const mfile *huge = mf(&m, "/huge.vmdk");
	uint64_t probe = lvm == 3 ? 1ull << 32 : 1ull << 38;
	if (lvm == 3) {
		cr_assert_eq(huge->zla, 3);
		cr_assert_eq(huge->size, (256ull << 30) - (1ull << 20) + 4107);
	} else {
		cr_assert_gt(huge->size, 256ull << 30);
	}
	vmfs_file *file;
	cr_assert_eq(vmfs_fs_open_path(o.fs, "/huge.vmdk", &file, &err), VMFS_OK);
	vmfs_segment seg;
	cr_assert_eq(vmfs_file_segment(file, probe, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_DATA);
	cr_assert_eq(seg.length, 1ull << 20);
	compare_range(file, huge, probe - 100, 200);
	compare_range(file, huge, huge->size - (3ull << 20) - 77, (3ull << 20) + 77);
	cr_assert_eq(vmfs_file_segment(file, huge->size - (1ull << 20) - 4107, 0, &seg, &err), VMFS_OK);
	cr_assert_eq(seg.kind, VMFS_SEGMENT_TBZ, "the block before the last is to be zeroed");
	vmfs_file_close(file);
	close_fs(&o);
}

Test(fs_generated, vmfs3_library_reads_every_addressing_mode)
{
	library_reads_every_file(3);
}

Test(fs_generated, vmfs5_library_reads_every_addressing_mode)
{
	library_reads_every_file(5);
}

Test(fs_generated, vmfs6_library_reads_every_addressing_mode)
{
	library_reads_every_file(6);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const mfile *)a)->path, ((const mfile *)b)->path);
}

/* vmfs-ls -R --json on 10,000 files in /big: every file of the manifest
 * once, with its type, size, mode, owner, times, links and FD address. */
static void ls_lists_everything(unsigned lvm)
{
	char img[600], man[600];
	manifest m;
	build(lvm, 10000, NULL, img, man, &m);
	tool_result r = run_tool("vmfs-ls", "-R", "--json", img, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	json_object *entries = jpath(doc, "entries");
	size_t n = json_object_array_length(entries);
	cr_assert_eq(n, m.n - 1, "%zu entries listed, %zu files below the root", n, m.n - 1);
	qsort(m.f, m.n, sizeof(*m.f), cmp_path);
	size_t in_big = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		mfile key;
		snprintf(key.path, sizeof(key.path), "%s", jstr_at(e, "path"));
		const mfile *f = bsearch(&key, m.f, m.n, sizeof(*m.f), cmp_path);
		cr_assert_not_null(f, "listed %s is not in the manifest", key.path);
		bool dir = f->type == 2 || (f->mode & 0170000) == 040000;
		const char *type = dir ? "dir" : f->type == 3 ? "file" : f->type == 4 ? "symlink" : "sysfile";
		cr_assert_str_eq(jstr_at(e, "type"), type, "%s", f->path);
		uint32_t mode = f->mode & 0170000 ? f->mode : f->mode | (f->type == 2 ? 040000 : f->type == 4 ? 0120000 : 0100000);
		cr_assert_eq(ju64_at(e, "mode"), mode, "%s", f->path);
		cr_assert_eq(ju64_at(e, "size"), f->size, "%s", f->path);
		cr_assert_eq(ju64_at(e, "uid"), f->uid, "%s", f->path);
		cr_assert_eq(ju64_at(e, "gid"), f->gid, "%s", f->path);
		cr_assert_eq(ju64_at(e, "links"), f->nlink, "%s", f->path);
		cr_assert_eq(ju64_at(e, "fd_address"), f->fd, "%s", f->path);
		cr_assert_eq(ju64_at(e, "block_size"), f->block_size, "%s", f->path);
		char when[32];
		time_t t = f->mtime;
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		cr_assert_str_eq(jstr_at(e, "mtime"), when, "%s", f->path);
		t = f->ctime;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		cr_assert_str_eq(jstr_at(e, "ctime"), when, "%s", f->path);
		in_big += !strncmp(f->path, "/big/", 5);
	}
	cr_assert_eq(in_big, 10000);
	cr_assert_eq(json_object_array_length(jpath(doc, "errors")), 0);
	json_object_put(doc);
}

Test(fs_generated, vmfs3_ls_lists_10000_entries, .timeout = 300)
{
	ls_lists_everything(3);
}

Test(fs_generated, vmfs5_ls_lists_10000_entries, .timeout = 300)
{
	ls_lists_everything(5);
}

Test(fs_generated, vmfs6_ls_lists_10000_entries, .timeout = 300)
{
	ls_lists_everything(6);
}

static void compare_file(const char *copy, const mfile *f)
{
	size_t len;
	uint8_t *got = read_whole_file(copy, &len);
	cr_assert_eq(len, f->size, "%s: %zu bytes", copy, len);
	for (size_t i = 0; i < len; i++)
		if (got[i] != expected_byte(f, i))
			cr_assert_fail("%s: byte %zu differs", copy, i);
	free(got);
}

/* vmfs-extract of every file small enough to hash in a test (the copy and
 * its SHA-256 cover every byte; holes of 256 GiB are checked through the
 * library above): bytes equal the generator's, holes and TBZ blocks stay
 * holes in the copy, --stdout gives the same bytes. */
static void extract_byte_for_byte(unsigned lvm)
{
	char img[600], man[600], dir[600];
	manifest m;
	build(lvm, 20, NULL, img, man, &m);
	snprintf(dir, sizeof(dir), "%s", tmp_path("out"));
	cr_assert_eq(mkdir(dir, 0755), 0);
	/* VMFS3 has neither /resident.txt nor /indirect2.bin (mkfixture --help). */
	tool_result r = lvm == 5 ? run_tool("vmfs-extract", "--json", "-o", dir, img, "/direct.bin", "/subblocks.bin",
					    "/resident.txt", "/empty", "/link", "/sub", "/big", "/indirect2.bin", NULL)
			: lvm == 3 ? run_tool("vmfs-extract", "--json", "-o", dir, img, "/direct.bin", "/subblocks.bin",
					      "/empty", "/link", "/sub", "/big", NULL)
				 : run_tool("vmfs-extract", "--json", "-o", dir, img, "/direct.bin", "/subblocks.bin",
					    "/resident.txt", "/empty", "/link", "/sub", "/big", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	json_object *files = jpath(doc, "files");
	size_t n = json_object_array_length(files), regular = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(files, i);
		const mfile *f = mf(&m, jstr_at(e, "path"));
		const char *out = jstr_at(e, "output");
		cr_assert_eq(ju64_at(e, "size"), f->size, "%s", f->path);
		if (f->type == 4) {
			char target[64] = "";
			cr_assert_gt(readlink(out, target, sizeof(target) - 1), 0, "%s", out);
			cr_assert_str_eq(target, f->target);
			continue;
		}
		if (f->type != 3)
			continue;
		regular++;
		compare_file(out, f);
		cr_assert_eq(ju64_at(e, "data_bytes"), extent_bytes(f), "%s", f->path);
		cr_assert_eq(ju64_at(e, "hole_bytes"), f->size - extent_bytes(f), "%s", f->path);
		struct stat st;
		cr_assert_eq(stat(out, &st), 0);
		cr_assert_eq((uint64_t)st.st_mtime, f->mtime, "%s", f->path);
		/* Sparse: what the copy allocates is what holds data, within a
		 * 64 KiB allocation slack per extent. */
		cr_assert_leq((uint64_t)st.st_blocks * 512, extent_bytes(f) + 65536 * (f->next + 1), "%s: %llu bytes allocated",
			      f->path, (unsigned long long)st.st_blocks * 512);
	}
	cr_assert_eq(regular, 4 + 1 + 20 + (lvm == 5) - (lvm == 3), "copies checked");
	json_object_put(doc);

	/* --stdout through a pipe. */
	const mfile *direct = mf(&m, "/direct.bin");
	char copy[700], script[2000];
	snprintf(copy, sizeof(copy), "%s", tmp_path("direct-stdout.bin"));
	snprintf(script, sizeof(script), "set -o pipefail; \"$VMFS_TEST_BIN/vmfs-extract\" --stdout '%s' /direct.bin | cat > '%s'",
		 img, copy);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	compare_file(copy, direct);
}

/* vmfs-extract --no-hash of the thin files whose hashing would read every
 * hole byte (/huge.vmdk: 1.3 TiB on VMFS5, 300 GiB on VMFS6; /indirect.bin;
 * VMFS6 /lfb.bin): no SHA-256 in the manifest, the copies sparse (only their
 * extents allocated), every byte of every extent and the zero byte on each
 * side of it as the generator wrote, the apparent size exact. */
static void extract_no_hash_huge_thin_files(unsigned lvm)
{
	char img[600], man[600], dir[600];
	manifest m;
	build(lvm, 20, NULL, img, man, &m);
	snprintf(dir, sizeof(dir), "%s", tmp_path("out-nohash"));
	cr_assert_eq(mkdir(dir, 0755), 0);
	tool_result r = lvm != 6 ? run_tool("vmfs-extract", "--no-hash", "--json", "-o", dir, img, "/huge.vmdk",
					    "/indirect.bin", NULL)
				 : run_tool("vmfs-extract", "--no-hash", "--json", "-o", dir, img, "/huge.vmdk",
					    "/indirect.bin", "/lfb.bin", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	json_object *files = jpath(doc, "files");
	cr_assert_eq(json_object_array_length(files), lvm != 6 ? 2u : 3u);
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		json_object *e = json_object_array_get_idx(files, i);
		const mfile *f = mf(&m, jstr_at(e, "path"));
		const char *out = jstr_at(e, "output");
		cr_assert_null(jpath(e, "sha256"), "%s: hashed despite --no-hash", f->path);
		struct stat st;
		cr_assert_eq(stat(out, &st), 0);
		cr_assert_eq((uint64_t)st.st_size, f->size, "%s", f->path);
		/* /lfb.bin is one allocated 512 MiB block whose middle the
		 * generator leaves unwritten (zeros, but data to a reader). */
		bool one_block = strcmp(f->path, "/lfb.bin") == 0;
		cr_assert_eq(ju64_at(e, "data_bytes"), one_block ? f->size : extent_bytes(f), "%s", f->path);
		if (!one_block)
			cr_assert_leq((uint64_t)st.st_blocks * 512, extent_bytes(f) + 65536 * (f->next + 1),
				      "%s: %llu bytes allocated", f->path, (unsigned long long)st.st_blocks * 512);
		int fd = open(out, O_RDONLY);
		cr_assert_geq(fd, 0, "%s", out);
		for (size_t x = 0; x < f->next; x++) {
			uint64_t from = f->eo[x] ? f->eo[x] - 1 : 0, to = f->eo[x] + f->el[x] + 1;
			if (to > f->size)
				to = f->size;
			uint8_t *buf = malloc(to - from);
			cr_assert_not_null(buf);
			cr_assert_eq(pread(fd, buf, to - from, (off_t)from), (ssize_t)(to - from), "%s", out);
			for (uint64_t k = from; k < to; k++)
				if (buf[k - from] != expected_byte(f, k))
					cr_assert_fail("%s: byte %llu differs", f->path, (unsigned long long)k);
			free(buf);
		}
		close(fd);
	}
	json_object_put(doc);
}

Test(fs_generated, vmfs3_extract_no_hash_huge_thin_files, .timeout = 120)
{
	extract_no_hash_huge_thin_files(3);
}

Test(fs_generated, vmfs5_extract_no_hash_huge_thin_files, .timeout = 120)
{
	extract_no_hash_huge_thin_files(5);
}

Test(fs_generated, vmfs6_extract_no_hash_huge_thin_files, .timeout = 120)
{
	extract_no_hash_huge_thin_files(6);
}

Test(fs_generated, vmfs3_extract_byte_for_byte_and_sparse)
{
	extract_byte_for_byte(3);
}

Test(fs_generated, vmfs5_extract_byte_for_byte_and_sparse)
{
	extract_byte_for_byte(5);
}

Test(fs_generated, vmfs6_extract_byte_for_byte_and_sparse)
{
	extract_byte_for_byte(6);
}

/* The generated VMFS6 file system inside a GPT disk whose two table copies
 * are wiped: the scan finds the volume and the tools read it. */
Test(fs_generated, wiped_disk_found_by_discovery)
{
	char disk[600], man[600], spec[1400];
	snprintf(disk, sizeof(disk), "%s", tmp_path("disk.img"));
	snprintf(man, sizeof(man), "%s", tmp_path("disk.manifest"));
	snprintf(spec, sizeof(spec), "lvm=6,size=1200M,fs=tree,fs-entries=40,fs-manifest=%s", man);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1300M", "--vol", spec, disk, NULL);
	manifest m;
	parse_manifest(man, &m);
	cr_assert_eq(m.lv0, (1ull << 20) + 0x1100000, "partition at LBA 2048, LV 0 at its dataOffset");
	wipe_gpt(disk, 1300ull << 20);
	tool_result r = run_tool("vmfs-ls", "--json", disk, "/sub/deeper", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	cr_assert_eq(ju64_at(doc, "volume.members[0].offset"), 1ull << 20);
	cr_assert_str_eq(jstr_at(doc, "entries[0].path"), "/sub/deeper/leaf.txt");
	cr_assert_eq(ju64_at(doc, "entries[0].fd_address"), mf(&m, "/sub/deeper/leaf.txt")->fd);
	json_object_put(doc);
	r = run_tool("vmfs-ls", "-R", "--json", disk, "/big", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = parse_json(r.out);
	tool_result_free(&r);
	cr_assert_eq(json_object_array_length(jpath(doc, "entries")), 40);
	json_object_put(doc);
	char copy[700], script[2000];
	snprintf(copy, sizeof(copy), "%s", tmp_path("sub.bin"));
	snprintf(script, sizeof(script), "\"$VMFS_TEST_BIN/vmfs-extract\" --stdout '%s' /subblocks.bin > '%s'", disk, copy);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	compare_file(copy, mf(&m, "/subblocks.bin"));
}

/* ---- hostile variants: the exact error, exit status 2 ---- */

/* Format reference 4.1: file metadata at FD +0x200 / +MDA (0x1000), the
 * pointer array at +0x400 (u32) / +0x1600 (u64); 4.2: length at meta +0x14. */
static uint64_t meta_off(const manifest *m)
{
	return m->version == 6 ? 0x1000 : 0x200;
}

static uint64_t ptr_at(const manifest *m, unsigned i)
{
	return m->version == 6 ? 0x1600 + 8ull * i : 0x400 + 4ull * i;
}

static void expect_error(tool_result *r, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void expect_error(tool_result *r, const char *what, const char *fmt, ...)
{
	char want[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	cr_assert_eq(r->status, 2, "%s: exit %d\n%s", what, r->status, r->err);
	cr_assert_not_null(strstr(r->err, want), "%s: no \"%s\" in:\n%s", what, want, r->err);
	tool_result_free(r);
}

static void hostile(unsigned lvm)
{
	char img[600], man[600], text[64];
	manifest m;
	snprintf(text, sizeof(text), "vmfs%u", lvm);

	/* A directory entry naming an ancestor. */
	build(lvm, 10, "dir-loop", img, man, &m);
	tool_result r = run_tool("vmfs-ls", "-R", img, NULL);
	const mfile *sub = mf(&m, "/sub");
	expect_error(&r, text, "/sub/deeper/sub: offset 0x%" PRIx64 " ", m.lv0 + sub->fd_lv);
	r = run_tool("vmfs-ls", "-R", img, NULL);
	expect_error(&r, text, "directory FD 0x%08" PRIx32 " is one of its own ancestors", sub->fd);
	free(m.f);

	/* A length past what 256 / 320 direct pointers address (6.6). */
	build(lvm, 10, "size-lie", img, man, &m);
	const mfile *d = mf(&m, "/direct.bin");
	r = run_tool("vmfs-ls", img, "/direct.bin", NULL);
	expect_error(&r, text, "/direct.bin: offset 0x%" PRIx64 " ", m.lv0 + d->fd_lv + meta_off(&m) + 0x14);
	r = run_tool("vmfs-extract", "--stdout", img, "/direct.bin", NULL);
	expect_error(&r, text, "FD 0x%08" PRIx32 " (LV 0x%" PRIx64 "): length %" PRIu64 " is over", d->fd, d->fd_lv,
		     d->size);
	free(m.f);

	/* A block address past the end of the volume: named by the pointer's
	 * own source offset. */
	build(lvm, 10, "outside", img, man, &m);
	d = mf(&m, "/direct.bin");
	r = run_tool("vmfs-ls", img, "/direct.bin", NULL);
	cr_assert_eq(r.status, 0, "listing reads no data: %s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-extract", "--stdout", img, "/direct.bin", NULL);
	expect_error(&r, text, "/direct.bin: offset 0x%" PRIx64 " ", m.lv0 + d->fd_lv + ptr_at(&m, 3));
	r = run_tool("vmfs-extract", "--stdout", img, "/direct.bin", NULL);
	expect_error(&r, text, "at file offset 0x300000 lies outside the");
	free(m.f);

	/* A pointer block that lists itself: its entry is met where data must
	 * be, at the pointer block's first entry. */
	build(lvm, 10, "pb-cycle", img, man, &m);
	d = mf(&m, "/huge.vmdk");
	cr_assert_gt(d->pb_lv, 0);
	r = run_tool("vmfs-extract", "--stdout", img, "/huge.vmdk", NULL);
	expect_error(&r, text, "/huge.vmdk: offset 0x%" PRIx64 " (", m.lv0 + d->pb_lv);
	r = run_tool("vmfs-extract", "--stdout", img, "/huge.vmdk", NULL);
	expect_error(&r, text, "FD 0x%08" PRIx32 " (LV 0x%" PRIx64 "): data address 0x", d->fd, d->fd_lv);
	r = run_tool("vmfs-extract", "--stdout", img, "/huge.vmdk", NULL);
	expect_error(&r, text, " at file offset 0x0 has type %s; a data block must be", lvm == 6 ? "PB2" : "PB");
	free(m.f);

	/* A directory that lies about its size: VMFS6 numEntries 5 more than
	 * the blocks hold (5.2 step 3), VMFS5 a length that is not a whole
	 * number of entries (5.1), named at the FD's length field. */
	build(lvm, 10, "count-lie", img, man, &m);
	const mfile *big = mf(&m, "/big");
	if (lvm == 6) {
		r = run_tool("vmfs-ls", "-R", img, NULL);
		expect_error(&r, text, "/big: offset 0x");
		r = run_tool("vmfs-ls", "-R", img, NULL);
		expect_error(&r, text, "directory FD 0x%08" PRIx32 ", content offset 0x4: 12 entries found, numEntries says 17",
			     big->fd);
	} else {
		r = run_tool("vmfs-ls", "-R", img, NULL);
		expect_error(&r, text, "/big: offset 0x%" PRIx64 " ", m.lv0 + big->fd_lv + meta_off(&m) + 0x14);
		r = run_tool("vmfs-ls", "-R", img, NULL);
		expect_error(&r, text, "length %" PRIu64 " is not a multiple of 0x8C", big->size);
	}
	r = run_tool("vmfs-ls", "-R", "--json", img, "/sub", NULL);
	cr_assert_eq(r.status, 0, "the rest of the volume lists: %s", r.err);
	tool_result_free(&r);
	free(m.f);
}

Test(fs_generated, vmfs3_hostile_variants_exact_errors)
{
	hostile(3);
}

Test(fs_generated, vmfs5_hostile_variants_exact_errors)
{
	hostile(5);
}

Test(fs_generated, vmfs6_hostile_variants_exact_errors)
{
	hostile(6);
}

/* The independent reference reader lists the generated root as the
 * generator wrote it (names and FD addresses); skipped without python3. */
Test(fs_generated, reference_reader_agrees)
{
	const char *script = "../shared/tools/vmfs_files.py";
	if (access(script, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("python3 or %s not available", script);
	static const unsigned versions[] = { 3, 5, 6 };
	for (size_t v = 0; v < 3; v++) {
		unsigned lvm = versions[v];
		char img[600], man[600];
		manifest m;
		build(lvm, 5, NULL, img, man, &m);
		const char *argv[] = { "/usr/bin/python3", script, img, "ls", "/", NULL };
		tool_result r = run_argv(argv);
		cr_assert_eq(r.status, 0, "%s", r.err);
		for (size_t i = 1; i < m.n; i++) {
			const mfile *f = &m.f[i];
			if (strchr(f->path + 1, '/'))
				continue;
			char want[400];
			snprintf(want, sizeof(want), "fd=0x%08" PRIx32 " gen=%" PRIu32 " zla=0x%" PRIx32 "  %s\n", f->fd,
				 f->gen, f->zla, f->path + 1);
			cr_assert_not_null(strstr(r.out, want), "vmfs%u: no \"%s\" in\n%s", lvm, want, r.out);
		}
		tool_result_free(&r);
		free(m.f);
	}
}
