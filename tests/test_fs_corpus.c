/* The file-system layer (vmfs/fs/) on the real VMFS5 and VMFS6 volumes of the
 * corpus: listings, FD fields, file contents, block maps, resource headers
 * and heartbeats against the reference reader.
 *
 * Every expected value below was obtained once by running the reference
 * reader on the unpacked images (never by this library):
 *   python3 ../shared/tools/vmfs_files.py IMG ls /            (and /directory)
 *   python3 ../shared/tools/vmfs_files.py IMG cat PATH | sha256sum   (and | wc -c)
 *   python3 ../shared/tools/vmfs_files.py IMG blocks PATH
 *   python3 ../shared/tools/vmfs_files.py IMG heartbeat
 * (ls times converted to Unix seconds; the sha256 values also match
 * debugvmfs / debugvmfs6 per vmfs-fs-layer.md Appendix A.2). */
#include "support/support.h"
#include "vmfs/discover/disk.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"
#include "vmfs/fs/heartbeat.h"

#include <criterion/criterion.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct image {
	vmfs_source *src;
	vmfs_disk disk;
	vmfs_fs *fs;
} image;

static void open_image(const char *name, image *im)
{
	const char *path = corpus_image(name);
	vmfs_error err;
	memset(im, 0, sizeof(*im));
	cr_assert_eq(vmfs_source_open(path, &im->src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_disk_analyse(im->src, NULL, &im->disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_geq(im->disk.num_devices, 1);
	vmfs_fs_member m = {im->src, im->disk.devices[0]};
	char text[2048];
	cr_assert_eq(vmfs_fs_open(&m, 1, &im->fs, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
}

static void close_image(image *im)
{
	vmfs_fs_close(im->fs);
	vmfs_disk_free(&im->disk);
	vmfs_source_close(im->src);
}

typedef struct listed {
	const char *name, *type, *mode;
	uint32_t nlink;
	uint64_t size;
	uint32_t ctime, mtime, fd, gen, zla;
} listed;

/* vmfs_files.py IMG ls PATH (columns: mode, nlink, size, ctime, mtime, type, fd, gen, zla, name). */
static const listed v5_root[] = {
	{".", "dir", "drwxr-xr-t", 4, 1400ull, 1628667469u, 1628667469u, 0x00000004u, 1u, 0x1u},
	{"..", "dir", "drwxr-xr-t", 4, 1400ull, 1628667469u, 1628667469u, 0x00000004u, 1u, 0x1u},
	{".fbb.sf", "sysfile", "-r--------", 1, 131072ull, 1628667349u, 1628667349u, 0x00400004u, 1u, 0x1u},
	{".fdc.sf", "sysfile", "-r--------", 1, 1048576ull, 1628667349u, 1628667349u, 0x00800004u, 1u, 0x1u},
	{".pbc.sf", "sysfile", "-r--------", 1, 135168ull, 1628667349u, 1628667349u, 0x00c00004u, 1u, 0x1u},
	{".sbc.sf", "sysfile", "-r--------", 1, 2228224ull, 1628667349u, 1628667349u, 0x01000004u, 1u, 0x1u},
	{".vh.sf", "sysfile", "-r--------", 1, 4194304ull, 1628667349u, 1628667349u, 0x01400004u, 1u, 0x1u},
	{".pb2.sf", "sysfile", "-r--------", 1, 135168ull, 1628667349u, 1628667349u, 0x01800004u, 1u, 0x1u},
	{".sdd.sf", "sysfile", "drwx------", 2, 280ull, 1628667349u, 1628667349u, 0x01c00004u, 1u, 0x1u},
	{"directory", "dir", "drwxr-xr-x", 2, 1120ull, 1628667531u, 1628667531u, 0x02000004u, 1u, 0x2u},
};
static const listed v5_dir[] = {
	{".", "dir", "drwxr-xr-x", 2, 1120ull, 1628667531u, 1628667531u, 0x02000004u, 1u, 0x2u},
	{"..", "dir", "drwxr-xr-t", 4, 1400ull, 1628667469u, 1628667469u, 0x00000004u, 1u, 0x1u},
	{"file1", "file", "-rw-r--r--", 1, 0ull, 1628667474u, 1628667474u, 0x02400004u, 2u, 0x10d1u},
	{"file2", "file", "-rw-r--r--", 1, 0ull, 1628667478u, 1628667478u, 0x02800004u, 3u, 0x10d1u},
	{"file3", "file", "-rw-r--r--", 1, 0ull, 1628667481u, 1628667481u, 0x02c00004u, 4u, 0x10d1u},
	{"file4", "file", "-rw-r--r--", 1, 8ull, 1628667498u, 1628667498u, 0x03000004u, 5u, 0x10d1u},
	{"file5", "file", "-rw-r--r--", 1, 8193ull, 1628667519u, 1628667519u, 0x03400004u, 6u, 0x1u},
	{"symlink", "symlink", "lrwxrwxrwx", 1, 5ull, 1628667531u, 1628667531u, 0x03800004u, 7u, 0x2u},
};
static const listed v6_root[] = {
	{".", "dir", "drwxr-xr-t", 4, 73728ull, 1628635414u, 1628635414u, 0x00000004u, 1u, 0x1u},
	{"..", "dir", "drwxr-xr-t", 4, 73728ull, 1628635414u, 1628635414u, 0x00000004u, 1u, 0x1u},
	{".fbb.sf", "sysfile", "-r--------", 1, 147456ull, 1628635166u, 1628635166u, 0x00400004u, 1u, 0x1u},
	{".fdc.sf", "sysfile", "-r--------", 1, 134807552ull, 1628635166u, 1628635166u, 0x00800004u, 1u, 0x1u},
	{".pbc.sf", "sysfile", "-r--------", 1, 65536ull, 1628635166u, 1628635166u, 0x00c00004u, 1u, 0x1u},
	{".sbc.sf", "sysfile", "-r--------", 1, 387973120ull, 1628635167u, 1628635166u, 0x01000004u, 1u, 0x5u},
	{".vh.sf", "sysfile", "-r--------", 1, 7340032ull, 1628635166u, 1628635166u, 0x01400004u, 1u, 0x1u},
	{".pb2.sf", "sysfile", "-r--------", 1, 196608ull, 1628635166u, 1628635166u, 0x01800004u, 1u, 0x1u},
	{".sdd.sf", "sysfile", "drwx------", 2, 69632ull, 1628635166u, 1628635166u, 0x01c00004u, 1u, 0x1u},
	{".jbc.sf", "sysfile", "-r--------", 1, 268632064ull, 1628635166u, 1628635166u, 0x02000004u, 1u, 0x1u},
	{"directory", "dir", "drwxr-xr-x", 2, 73728ull, 1628635476u, 1628635476u, 0x02400004u, 1u, 0x2u},
};
static const listed v6_dir[] = {
	{".", "dir", "drwxr-xr-x", 2, 73728ull, 1628635476u, 1628635476u, 0x02400004u, 1u, 0x2u},
	{"..", "dir", "drwxr-xr-t", 4, 73728ull, 1628635414u, 1628635414u, 0x00000004u, 1u, 0x1u},
	{"file1", "file", "-rw-r--r--", 1, 0ull, 1628635420u, 1628635420u, 0x02800004u, 2u, 0x10d1u},
	{"file2", "file", "-rw-r--r--", 1, 0ull, 1628635423u, 1628635423u, 0x02c00004u, 3u, 0x10d1u},
	{"file3", "file", "-rw-r--r--", 1, 0ull, 1628635424u, 1628635424u, 0x03000004u, 4u, 0x10d1u},
	{"file4", "file", "-rw-r--r--", 1, 8ull, 1628635429u, 1628635429u, 0x03400004u, 5u, 0x10d1u},
	{"symlink", "symlink", "lrwxrwxrwx", 1, 5ull, 1628635443u, 1628635443u, 0x03800004u, 6u, 0x10d1u},
	{"file5", "file", "-rw-r--r--", 1, 8193ull, 1628635476u, 1628635476u, 0x03c00004u, 7u, 0x2u},
};

/* ls -l style mode text, as the reference prints it. */
static void mode_text(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
	if (mode & S_ISVTX)
		out[9] = mode & 1 ? 't' : 'T';
	out[10] = 0;
}

static void check_listing(const char *image_name, const char *path, const listed *want, size_t n)
{
	image im;
	open_image(image_name, &im);
	vmfs_error err;
	char text[2048];
	vmfs_file *dir;
	cr_assert_eq(vmfs_fs_open_path(im.fs, path, &dir, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
	vmfs_dir *d;
	cr_assert_eq(vmfs_dir_open(dir, &d, &err), VMFS_OK, "%s", err.reason);
	size_t i = 0;
	for (;;) {
		vmfs_dirent ent;
		bool end;
		cr_assert_eq(vmfs_dir_next(d, &ent, &end, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
		if (end)
			break;
		cr_assert_lt(i, n, "%s %s: more entries than the reference (%s)", image_name, path, ent.name);
		const listed *w = &want[i++];
		cr_assert_str_eq(ent.name, w->name, "%s %s entry %zu", image_name, path, i - 1);
		cr_assert_eq(ent.address, w->fd, "%s: fd 0x%08x", w->name, ent.address);
		cr_assert_eq(ent.generation, w->gen, "%s: generation", w->name);
		vmfs_file *f;
		cr_assert_eq(vmfs_fs_open_entry(im.fs, &ent, w->name, &f, &err), VMFS_OK, "%s", err.reason);
		const vmfs_fd *fd = vmfs_file_fd(f);
		char mode[11];
		mode_text(vmfs_fd_st_mode(fd), mode);
		cr_assert_str_eq(vmfs_fd_type_name(fd->type), w->type, "%s: type", w->name);
		cr_assert_str_eq(mode, w->mode, "%s: mode %s", w->name, mode);
		cr_assert_eq(fd->link_count, w->nlink, "%s: nlink", w->name);
		cr_assert_eq(fd->length, w->size, "%s: size %llu", w->name, (unsigned long long)fd->length);
		cr_assert_eq(fd->ctime, w->ctime, "%s: ctime", w->name);
		cr_assert_eq(fd->mtime, w->mtime, "%s: mtime", w->name);
		cr_assert_eq(fd->zla, w->zla, "%s: zla 0x%x", w->name, fd->zla);
		cr_assert_eq(fd->uid, 0);
		cr_assert_eq(fd->gid, 0);
		cr_assert_eq(fd->desc_addr, w->fd);
		/* 7.2: every lock on the images is free, its addr the FD's own LV offset. */
		cr_assert_eq(fd->lock.magic, VMFS_LOCK_MAGIC_FD);
		cr_assert_eq(fd->lock.addr, vmfs_file_fd_lv(f));
		vmfs_lock_status ls;
		cr_assert_eq(vmfs_fs_lock_status(im.fs, &fd->lock, &ls, &err), VMFS_OK);
		cr_assert_eq(ls.state, VMFS_LOCK_FREE);
		vmfs_file_close(f);
	}
	cr_assert_eq(i, n, "%s %s: %zu entries, reference %zu", image_name, path, i, n);
	cr_assert_eq(vmfs_dir_expected(d), n, "directory's own count");
	vmfs_dir_close(d);
	vmfs_file_close(dir);
	close_image(&im);
}

Test(fs_corpus, vmfs5_list_root) { check_listing("vmfs5-dissect.bin", "/", v5_root, sizeof(v5_root) / sizeof(v5_root[0])); }
Test(fs_corpus, vmfs5_list_directory) { check_listing("vmfs5-dissect.bin", "/directory", v5_dir, sizeof(v5_dir) / sizeof(v5_dir[0])); }
Test(fs_corpus, vmfs6_list_root) { check_listing("vmfs6-dissect.bin", "/", v6_root, sizeof(v6_root) / sizeof(v6_root[0])); }
Test(fs_corpus, vmfs6_list_directory) { check_listing("vmfs6-dissect.bin", "//directory/", v6_dir, sizeof(v6_dir) / sizeof(v6_dir[0])); }

typedef struct content {
	const char *path;
	uint64_t size;
	const char *sha256;
} content;

/* vmfs_files.py IMG cat PATH | sha256sum; symlink: its 5-byte target "file4". */
static const content v5_files[] = {
	{"/.fbb.sf", 131072, "06c135e64033f819dd8c8f37c722aac7fc0bfbb1323d8fc9ca7c63c089eae991"},
	{"/.fdc.sf", 1048576, "1ea52f75c6dfe548c65916786ce6dab3ee936ab04feac921267de84acf7cbd80"},
	{"/.pbc.sf", 135168, "46819c6e8464b94f2c987979d3726a450b94e7eace523a7db145069bb69f9c93"},
	{"/.sbc.sf", 2228224, "0ae387594296f33c351cecbd79d6b2745ba916365a1eaeace2b32daccec23b0b"},
	{"/.vh.sf", 4194304, "e3928fcc3f90d882e36bc5d370e26d24dc260d6ca0ecbec1ad12864807c16a9f"},
	{"/.pb2.sf", 135168, "1069ecb966496dee877b3b052b78fd8d6762f040de0f902f5cd8ba2c81b0567a"},
	{"/directory/file1", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file2", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file3", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file4", 8, "434728a410a78f56fc1b5899c3593436e61ab0c731e9072d95e96db290205e53"},
	{"/directory/file5", 8193, "227c62ef44ec9d9d4dbda23feaf622078a496368e919980afcd786acd9f455c4"},
	{"/directory/symlink", 5, "600456c60420b0c6ddfe3b8d50cb6e63af544fb26c5715ae58a601bcca9a055d"},
};
static const content v6_files[] = {
	{"/.fbb.sf", 147456, "566403bff26cfb506cc5ea328aa3735db9e80a8ba6a8971cf38daca936ad1acf"},
	{"/.fdc.sf", 134807552, "31e7eda9548951a35b91abeac0f71a34c3b2547e3187aca3db83f73e794489f5"},
	{"/.pbc.sf", 65536, "975cecc48673934cce2d94bab96189be154776cc6f35ae8ff3da3d07c35037e0"},
	{"/.sbc.sf", 387973120, "ef7d50ab3d5e5c11331c47c95f25562536dcf6518d03cf1d721ea7f25889536b"},
	{"/.vh.sf", 7340032, "b38fa36615da3f7cd4ec837c2c0a80996106cbac03b5dd9a5d54e2cba4877234"},
	{"/.pb2.sf", 196608, "995996b33e6c19188b4b217c33668d866ffec0a91d418b2ccca9e503cf9ef67e"},
	{"/.jbc.sf", 268632064, "8eb966c1e84b8c8e4b55bd141447645999c8316b0712e7f6bd2598e061a5c6bf"},
	{"/directory/file1", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file2", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file3", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"/directory/file4", 8, "434728a410a78f56fc1b5899c3593436e61ab0c731e9072d95e96db290205e53"},
	{"/directory/file5", 8193, "227c62ef44ec9d9d4dbda23feaf622078a496368e919980afcd786acd9f455c4"},
	{"/directory/symlink", 5, "600456c60420b0c6ddfe3b8d50cb6e63af544fb26c5715ae58a601bcca9a055d"},
};

/* Reads the whole file in chunks of an odd size (so reads straddle block
 * and sub-block boundaries) and returns the sha256 in hex. */
static uint64_t hash_file(vmfs_file *f, char hex[65])
{
	static uint8_t buf[(1u << 20) + 4093];
	struct sha256_ctx h;
	sha256_init(&h);
	uint64_t off = 0;
	vmfs_error err;
	char text[2048];
	for (;;) {
		size_t got;
		cr_assert_eq(vmfs_file_read(f, off, buf, sizeof(buf), &got, &err), VMFS_OK, "%s",
			     vmfs_error_format(&err, text, sizeof(text)));
		if (!got)
			break;
		sha256_update(&h, got, buf);
		off += got;
	}
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&h, sizeof(d), d);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	return off;
}

static void check_contents(const char *image_name, const content *want, size_t n)
{
	image im;
	open_image(image_name, &im);
	for (size_t i = 0; i < n; i++) {
		vmfs_file *f;
		vmfs_error err;
		char text[2048], hex[65];
		cr_assert_eq(vmfs_fs_open_path(im.fs, want[i].path, &f, &err), VMFS_OK, "%s",
			     vmfs_error_format(&err, text, sizeof(text)));
		cr_assert_eq(vmfs_file_fd(f)->length, want[i].size, "%s: FD size", want[i].path);
		cr_assert_eq(hash_file(f, hex), want[i].size, "%s: bytes read", want[i].path);
		cr_assert_str_eq(hex, want[i].sha256, "%s: sha256", want[i].path);
		vmfs_file_close(f);
	}
	close_image(&im);
}

Test(fs_corpus, vmfs5_read_every_file) { check_contents("vmfs5-dissect.bin", v5_files, sizeof(v5_files) / sizeof(v5_files[0])); }
Test(fs_corpus, vmfs6_read_every_file, .timeout = 120) { check_contents("vmfs6-dissect.bin", v6_files, sizeof(v6_files) / sizeof(v6_files[0])); }

typedef struct run {
	uint64_t first, last, lv; /* inclusive file range, as the reference prints it */
} run;
typedef struct blockmap {
	const char *path;
	run runs[4];
	size_t n;
} blockmap;

/* vmfs_files.py IMG blocks PATH. */
static const blockmap v5_maps[] = {
	{"/.fbb.sf", {{0, 0x1ffff, 0x600000}}, 1},
	{"/.fdc.sf", {{0, 0xfffff, 0x400000}}, 1},
	{"/.pbc.sf", {{0, 0x20fff, 0x700000}}, 1},
	{"/.sbc.sf", {{0, 0x21ffff, 0x800000}}, 1},
	{"/.vh.sf", {{0, 0x3fffff, 0x0}}, 1},
	{"/.pb2.sf", {{0, 0x20fff, 0xb00000}}, 1},
	{"/directory", {{0, 0x45f, 0x920000}}, 1},
	{"/directory/file5", {{0, 0x2000, 0xe00000}}, 1},
	{"/directory/symlink", {{0, 0x4, 0x922000}}, 1},
};
static const blockmap v6_maps[] = {
	{"/.fbb.sf", {{0, 0x23fff, 0x900000}}, 1},
	{"/.fdc.sf", {{0, 0xfffff, 0x700000}, {0x100000, 0x808ffff, 0xa00000}}, 2},
	{"/.pbc.sf", {{0, 0xffff, 0x8a00000}}, 1},
	{"/.sbc.sf", {{0, 0x13ffffff, 0x8b00000}, {0x14000000, 0x171fffff, 0x2ce00000}}, 2},
	{"/.vh.sf", {{0, 0x6fffff, 0x0}}, 1},
	{"/.pb2.sf", {{0, 0x2ffff, 0x1cb00000}}, 1},
	{"/.jbc.sf", {{0, 0x1002ffff, 0x1cd00000}}, 1},
	{"/directory", {{0, 0x11fff, 0x8b20000}}, 1},
	{"/directory/file5", {{0, 0x2000, 0x8b40000}}, 1},
};

static void check_maps(const char *image_name, const blockmap *want, size_t n)
{
	image im;
	open_image(image_name, &im);
	for (size_t i = 0; i < n; i++) {
		vmfs_file *f;
		vmfs_error err;
		char text[2048];
		cr_assert_eq(vmfs_fs_open_path(im.fs, want[i].path, &f, &err), VMFS_OK, "%s", err.reason);
		uint64_t len = vmfs_file_fd(f)->length, off = 0;
		run got[8];
		size_t k = 0;
		while (off < len) {
			vmfs_segment seg;
			cr_assert_eq(vmfs_file_segment(f, off, 0, &seg, &err), VMFS_OK, "%s",
				     vmfs_error_format(&err, text, sizeof(text)));
			cr_assert_eq(seg.start, off);
			cr_assert_gt(seg.length, 0);
			cr_assert_eq(seg.kind, VMFS_SEGMENT_DATA, "%s: no holes on the images", want[i].path);
			/* The source offset is the LV offset through the one PE (LV 0 at 0x1100000). */
			cr_assert_eq(seg.source_offset, seg.lv + 0x1100000, "%s", want[i].path);
			if (k && got[k - 1].last + 1 == off && got[k - 1].lv + (off - got[k - 1].first) == seg.lv) {
				got[k - 1].last = off + seg.length - 1; /* the reference merges adjacent runs */
			} else {
				cr_assert_lt(k, 8);
				got[k++] = (run){off, off + seg.length - 1, seg.lv};
			}
			off += seg.length;
		}
		cr_assert_eq(k, want[i].n, "%s: %zu runs, reference %zu", want[i].path, k, want[i].n);
		for (size_t r = 0; r < k; r++) {
			cr_assert_eq(got[r].first, want[i].runs[r].first, "%s run %zu", want[i].path, r);
			cr_assert_eq(got[r].last, want[i].runs[r].last, "%s run %zu: last 0x%llx", want[i].path, r,
				     (unsigned long long)got[r].last);
			cr_assert_eq(got[r].lv, want[i].runs[r].lv, "%s run %zu: LV 0x%llx", want[i].path, r,
				     (unsigned long long)got[r].lv);
		}
		vmfs_file_close(f);
	}
	close_image(&im);
}

Test(fs_corpus, vmfs5_block_maps) { check_maps("vmfs5-dissect.bin", v5_maps, sizeof(v5_maps) / sizeof(v5_maps[0])); }
Test(fs_corpus, vmfs6_block_maps) { check_maps("vmfs6-dissect.bin", v6_maps, sizeof(v6_maps) / sizeof(v6_maps[0])); }

typedef struct walk_count {
	size_t entries, dirs;
	char last[VMFS_PATH_MAX];
} walk_count;

static int count_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *f)
{
	walk_count *c = ctx;
	(void)ent;
	c->entries++;
	c->dirs += vmfs_fd_is_dir(vmfs_file_fd(f));
	snprintf(c->last, sizeof(c->last), "%s", path);
	return 0;
}

/* The walk sees every entry but . and ..; .sdd.sf is a directory (4.4). */
static void check_walk(const char *image_name, size_t entries, const char *last)
{
	image im;
	open_image(image_name, &im);
	walk_count c = {0};
	vmfs_walk_ops ops = {.entry = count_entry, .ctx = &c};
	vmfs_error err;
	char text[2048];
	cr_assert_eq(vmfs_fs_walk(im.fs, "/", &ops, &err), VMFS_OK, "%s", vmfs_error_format(&err, text, sizeof(text)));
	cr_assert_eq(c.entries, entries, "%s: %zu entries", image_name, c.entries);
	cr_assert_eq(c.dirs, 2, ".sdd.sf and directory");
	cr_assert_str_eq(c.last, last);
	close_image(&im);
}

Test(fs_corpus, vmfs5_walk) { check_walk("vmfs5-dissect.bin", 8 + 6, "/directory/symlink"); }
Test(fs_corpus, vmfs6_walk) { check_walk("vmfs6-dissect.bin", 9 + 6, "/directory/file5"); }

/* Appendix B.1: resource headers. */
Test(fs_corpus, resource_headers)
{
	image im;
	open_image("vmfs6-dissect.bin", &im);
	const vmfs_res_header *h = vmfs_fs_resource_header(im.fs, VMFS_RES_FDC);
	cr_assert_not_null(h);
	cr_assert_eq(h->per_cluster, 256);
	cr_assert_eq(h->clusters_per_group, 8);
	cr_assert_eq(h->resource_size, 0x2000);
	cr_assert_eq(h->num_resources, 16384);
	cr_assert_eq(h->signature, 0x72666D64);
	h = vmfs_fs_resource_header(im.fs, VMFS_RES_SBC);
	cr_assert_not_null(h);
	cr_assert_eq(h->num_resources, 5916);
	cr_assert_eq(h->resource_size, 0x10000);
	cr_assert_null(vmfs_fs_resource_header(im.fs, VMFS_RES_PBC), "VMFS6 .pbc.sf holds no resources");
	cr_assert_not_null(vmfs_fs_resource_header(im.fs, VMFS_RES_PB2));
	cr_assert_eq(vmfs_fs_geometry_of(im.fs)->fd_size, 0x2000);
	cr_assert_eq(vmfs_fs_geometry_of(im.fs)->fdc_lv, 0x700000);
	close_image(&im);

	open_image("vmfs5-dissect.bin", &im);
	h = vmfs_fs_resource_header(im.fs, VMFS_RES_FDC);
	cr_assert_eq(h->per_cluster, 32);
	cr_assert_eq(h->clusters_per_group, 64);
	cr_assert_eq(h->num_resources, 64);
	h = vmfs_fs_resource_header(im.fs, VMFS_RES_SBC);
	cr_assert_eq(h->resource_size, 0x2000);
	cr_assert_eq(h->num_resources, 256);
	h = vmfs_fs_resource_header(im.fs, VMFS_RES_FBB);
	cr_assert_eq(h->per_cluster, 200);
	cr_assert_eq(h->resource_size, 0);
	close_image(&im);
}

/* Appendix B.4: the one heartbeat in use on vmfs5, none on vmfs6. */
Test(fs_corpus, heartbeats)
{
	image im;
	open_image("vmfs5-dissect.bin", &im);
	cr_assert_eq(vmfs_fs_heartbeat_slots(im.fs), 2048);
	size_t in_use = 0;
	for (uint32_t i = 0; i < vmfs_fs_heartbeat_slots(im.fs); i++) {
		vmfs_heartbeat hb;
		vmfs_error err;
		cr_assert_eq(vmfs_fs_heartbeat(im.fs, i, &hb, &err), VMFS_OK, "slot %u: %s", i, err.reason);
		if (hb.state != VMFS_HB_IN_USE)
			continue;
		in_use++;
		char uuid[VMFS_UUID_TEXT_LEN + 1];
		cr_assert_eq(i, 984);
		cr_assert_eq(hb.lv, 0x37b000);
		cr_assert_eq(hb.hb_gen, 9);
		cr_assert_eq(hb.stamp_us, 522912049);
		cr_assert_str_eq(vmfs_uuid_format(&hb.owner, uuid), "61137d5a-a2df8778-7ed5-000c29801686");
		cr_assert_eq(memcmp(hb.owner_mac, "\x00\x0c\x29\x80\x16\x86", 6), 0);
		cr_assert_eq(hb.journal_addr, 0x341);
		cr_assert_eq(hb.drv_major, 14);
		cr_assert_eq(hb.drv_minor, 81);
		cr_assert_eq(hb.lock_impl, 3);
		cr_assert_str_eq(hb.ip, "10.199.5.140");
		cr_assert_eq(hb.journal_lv, 0xd00000);
	}
	cr_assert_eq(in_use, 1);
	/* A lock that names slot 984 with its generation is live by one read;
	 * with another generation it is stale (7.2 (b)). */
	vmfs_lock_record lock = {.magic = VMFS_LOCK_MAGIC_FD, .hb_addr = 0x37b000, .hb_gen = 9, .mode = 1};
	vmfs_uuid_parse(&lock.owner, "61137d5a-a2df8778-7ed5-000c29801686");
	vmfs_lock_status ls;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_lock_status(im.fs, &lock, &ls, &err), VMFS_OK);
	cr_assert_eq(ls.state, VMFS_LOCK_LIVE, "%s", ls.reason);
	lock.hb_gen = 8;
	cr_assert_eq(vmfs_fs_lock_status(im.fs, &lock, &ls, &err), VMFS_OK);
	cr_assert_eq(ls.state, VMFS_LOCK_STALE);
	cr_assert(strstr(ls.reason, "generation"), "%s", ls.reason);
	lock.hb_addr = 0x300000; /* slot 0: free */
	cr_assert_eq(vmfs_fs_lock_status(im.fs, &lock, &ls, &err), VMFS_OK);
	cr_assert_eq(ls.state, VMFS_LOCK_STALE);
	cr_assert(strstr(ls.reason, "free"), "%s", ls.reason);
	close_image(&im);

	open_image("vmfs6-dissect.bin", &im);
	cr_assert_eq(vmfs_fs_heartbeat_slots(im.fs), 1024);
	for (uint32_t i = 0; i < 1024; i++) {
		vmfs_heartbeat hb;
		cr_assert_eq(vmfs_fs_heartbeat(im.fs, i, &hb, &err), VMFS_OK, "slot %u: %s", i, err.reason);
		cr_assert_eq(hb.state, VMFS_HB_FREE, "slot %u", i);
	}
	close_image(&im);
}

/* Path lookup (5.3): "..", ".", missing names, a file used as a directory. */
Test(fs_corpus, path_lookup)
{
	image im;
	open_image("vmfs6-dissect.bin", &im);
	vmfs_file *f;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/../directory/./file4", &f, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_file_address(f), 0x03400004);
	vmfs_file_close(f);
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/..", &f, &err), VMFS_OK);
	cr_assert_eq(vmfs_file_address(f), 0x00000004, "'..' of the root is the root");
	vmfs_file_close(f);
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/nothing", &f, &err), VMFS_ERR_NOT_FOUND);
	cr_assert(strstr(err.reason, "nothing"), "%s", err.reason);
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/file4/x", &f, &err), VMFS_ERR_NOT_FOUND);
	cr_assert_eq(vmfs_fs_open_path(im.fs, "directory", &f, &err), VMFS_ERR_INVALID_ARG);
	/* An intermediate symlink is followed: its target file4 is no directory. */
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/symlink/x", &f, &err), VMFS_ERR_NOT_FOUND);
	cr_assert_str_eq(err.path, "/directory/file4");
	/* Reading past the end gives nothing; a symlink's data is its target. */
	cr_assert_eq(vmfs_fs_open_path(im.fs, "/directory/symlink", &f, &err), VMFS_OK);
	char buf[16] = {0};
	size_t got;
	cr_assert_eq(vmfs_file_read(f, 0, buf, sizeof(buf), &got, &err), VMFS_OK);
	cr_assert_eq(got, 5);
	cr_assert_str_eq(buf, "file4");
	cr_assert_eq(vmfs_file_read(f, 5, buf, sizeof(buf), &got, &err), VMFS_OK);
	cr_assert_eq(got, 0);
	vmfs_file_close(f);
	close_image(&im);
}

/* The volume as the discovery layer assembles it (what the tools use). */
Test(fs_corpus, open_discovered)
{
	const char *path = corpus_image("vmfs6-dissect.bin");
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &src, &err), VMFS_OK, "%s", err.reason);
	vmfs_discovery d;
	cr_assert_eq(vmfs_discover(&src, 1, NULL, &d, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(d.num_volumes, 1);
	vmfs_fs *fs;
	cr_assert_eq(vmfs_fs_open_discovered(&d, 0, &fs, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(vmfs_fs_descriptor_of(fs)->label, "VMFS6 Test");
	vmfs_file *f;
	char hex[65];
	cr_assert_eq(vmfs_fs_open_path(fs, "/directory/file5", &f, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(hash_file(f, hex), 8193);
	cr_assert_str_eq(hex, "227c62ef44ec9d9d4dbda23feaf622078a496368e919980afcd786acd9f455c4");
	vmfs_file_close(f);
	vmfs_fs_close(fs);
	cr_assert_eq(vmfs_fs_open_discovered(&d, 1, &fs, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_null(fs);
	vmfs_discovery_free(&d);
	vmfs_source_close(src);
}

/* A bare logical-volume image (the LV cut out of the partition at its data
 * offset 0x1100000): the descriptor at 2 MiB, LV offset = file offset. */
Test(fs_corpus, vmfs5_lv_image)
{
	const char *from = corpus_image("vmfs5-dissect.bin");
	const char *path = tmp_path("vmfs5-lv.img");
	dd_copy(from, path, "1M", "skip=17");
	image im;
	memset(&im, 0, sizeof(im));
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &im.src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_disk_analyse(im.src, NULL, &im.disk, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(im.disk.num_devices, 1);
	cr_assert_not(im.disk.devices[0]->has_lvm);
	vmfs_fs_member m = {im.src, im.disk.devices[0]};
	cr_assert_eq(vmfs_fs_open(&m, 1, &im.fs, &err), VMFS_OK, "%s", err.reason);
	for (size_t i = 0; i < sizeof(v5_files) / sizeof(v5_files[0]); i++) {
		vmfs_file *f;
		char hex[65];
		cr_assert_eq(vmfs_fs_open_path(im.fs, v5_files[i].path, &f, &err), VMFS_OK, "%s", err.reason);
		cr_assert_eq(hash_file(f, hex), v5_files[i].size);
		cr_assert_str_eq(hex, v5_files[i].sha256, "%s", v5_files[i].path);
		vmfs_segment seg;
		if (v5_files[i].size) {
			cr_assert_eq(vmfs_file_segment(f, 0, 0, &seg, &err), VMFS_OK);
			cr_assert_eq(seg.source_offset, seg.lv, "LV offset = image offset");
		}
		vmfs_file_close(f);
	}
	close_image(&im);
}
