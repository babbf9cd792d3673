/* vmfs-extract: copy files (directories recursively) out of a VMFS3/5/6 file
 * system, read-only, sparse where the file has holes, with the SHA-256 of
 * each file; never overwrites. */
#include "tools/common/cli.h"
#include "tools/common/live.h"
#include "tools/common/format.h"
#include "tools/common/fsopen.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/file.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "vmfs-extract";

#define CHUNK (1u << 20)

struct extract_control {
	bool json, quiet, to_stdout;
	bool no_hash;              /* --no-hash: copy only (huge thin files: hashing holes costs) */
	const char *dir;
	fs_target_options target;
};

struct run {
	const struct extract_control *ctl;
	vmfs_fs *fs;
	json_object *files, *skipped, *errors;
	size_t extracted, failures;
	uint8_t *buf;              /* CHUNK bytes */
	bool in_kernel;            /* copy_file_range still worth trying */
	char base[PATH_MAX];       /* output path of the PATH being extracted */
	size_t prefix_len;         /* length of PATH inside the volume (walk paths below it) */
	bool progress;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] SOURCE PATH...\n"
	       "  %s [options] --stdout SOURCE FILE\n"
	       "\n"
	       "Copy files (directories recursively) out of the VMFS3/5/6 file system on SOURCE (a\n"
	       "disk, partition, image or volume image), read-only: holes and to-be-zeroed blocks\n"
	       "stay holes in the copy (sparse), each file's SHA-256 is computed as it is copied,\n"
	       "times and permission bits are kept. Nothing existing is overwritten. PATH is\n"
	       "absolute inside the volume; PATH's last component is created in DIR.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output DIR       where the copies go (default: the current directory)\n"
	       "      --stdout           write the one FILE's bytes to standard output (for pipes)\n"
	       "      --no-hash          copy without computing SHA-256 (sha256 null in the manifest):\n"
	       "                         hashing reads every byte, holes too (1.3 TiB of a thin disk\n"
	       "                         is about 15 minutes at 1.5 GB/s)\n"
	       "  -j, --json             one JSON document on stdout: the manifest (files[] with\n"
	       "                         path, output, size, sha256, data and hole bytes)\n"
	       "      --volume SPEC      the file system when SOURCE holds several: label, FS UUID,\n"
	       "                         LV UUID or device offset\n"
	       "  -m, --member SOURCE    another device of a spanned volume (repeat for each)\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -q, --quiet            no manifest, only diagnostics and the exit status\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 every file copied; 1 no VMFS file system found; 2 error (a file that\n"
	       "could not be read or written, an existing output: the others are still copied);\n"
	       "3 bad usage. Sources are opened read-only and never written. See vmfs-extract(1).\n",
	       prog, prog);
}

static void add_error(struct run *r, const vmfs_error *err, const char *path)
{
	cli_print_error(prog, err);
	json_object_array_add(r->errors, cli_error_item(err, path));
	r->failures++;
}

static void add_errno(struct run *r, const char *path, const char *what)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_error_set(&err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "%s: %s", what, strerror(errno));
	add_error(r, &err, path);
}

static void show_progress(struct run *r, const char *path, uint64_t done, uint64_t total)
{
	if (!r->progress || total < (64u << 20))
		return;
	fprintf(stderr, "\r%s: %s: %3d%% (%" PRIu64 " MiB of %" PRIu64 " MiB)%s", prog, path,
		(int)(total ? done * 100 / total : 100), done >> 20, total >> 20, done >= total ? "\n" : "");
}

/* At offset of a file; seekable false: in sequence (a pipe). */
static bool write_all(int fd, const uint8_t *p, size_t len, bool seekable, uint64_t offset)
{
	while (len) {
		ssize_t n = seekable ? pwrite(fd, p, len, (off_t)offset) : write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n, len -= (size_t)n, offset += (uint64_t)n;
	}
	return true;
}

/* With --no-hash into a file, data held by a raw image or a device goes
 * from the source to the copy inside the kernel (copy_file_range, as cp
 * does): true when all len bytes went; false to copy them through the
 * buffer (a container, a file system that cannot, an error: the buffered
 * path then reports it). */
static bool copy_in_kernel(struct run *r, const vmfs_segment *seg, uint64_t at, size_t len, int out_fd)
{
	if (!r->in_kernel)
		return false;
	vmfs_source_kind kind = vmfs_source_kind_of(seg->source);
	if (kind != VMFS_SOURCE_FILE && kind != VMFS_SOURCE_BLOCK)
		return false;
	loff_t in = (loff_t)(seg->source_offset + (at - seg->start)), out = (loff_t)at;
	size_t done = 0;
	while (done < len) {
		ssize_t n = copy_file_range(vmfs_source_fd(seg->source), &in, out_fd, &out, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Nothing went: not here, the buffered path for the rest.
			 * Part went: the buffered path rewrites the whole piece. */
			if (done == 0)
				r->in_kernel = false;
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

/* Copies file to out_fd (seekable: holes are skipped; else every byte is
 * written), hashing every byte of the file. */
static vmfs_status copy_data(struct run *r, vmfs_file *file, int out_fd, bool seekable, const char *path,
			     uint8_t digest[SHA256_DIGEST_SIZE], uint64_t *data_bytes, uint64_t *hole_bytes,
			     vmfs_error *err)
{
	const uint64_t size = vmfs_file_fd(file)->length;
	struct sha256_ctx sha;
	sha256_init(&sha);
	*data_bytes = *hole_bytes = 0;
	uint64_t at = 0;
	while (at < size) {
		vmfs_segment seg;
		vmfs_status st = vmfs_file_segment(file, at, 0, &seg, err);
		if (st != VMFS_OK)
			return st;
		uint64_t end = seg.start + seg.length > size ? size : seg.start + seg.length;
		if (end <= at)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
					      "the block map gives no progress at file offset %" PRIu64, at);
		bool hole = seg.kind != VMFS_SEGMENT_DATA;
		while (at < end) {
			size_t len = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
			if (hole && r->ctl->no_hash && seekable) {
				/* Nothing to hash or write: the whole run stays a hole. */
				*hole_bytes += end - at;
				at = end;
				show_progress(r, path, at, size);
				continue;
			}
			if (!hole && r->ctl->no_hash && seekable && copy_in_kernel(r, &seg, at, len, out_fd)) {
				*data_bytes += len;
				at += len;
				show_progress(r, path, at, size);
				continue;
			}
			if (hole) {
				/* Zeros, for the hash and for a copy that cannot seek. */
				if (!r->ctl->no_hash || !seekable)
					memset(r->buf, 0, len);
			} else {
				size_t got = 0;
				st = vmfs_file_read(file, at, r->buf, len, &got, err);
				if (st != VMFS_OK)
					return st;
				if (got != len)
					return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, VMFS_NO_OFFSET,
							      "read %zu of %zu bytes at file offset %" PRIu64, got, len, at);
			}
			if (!r->ctl->no_hash)
				sha256_update(&sha, len, r->buf);
			if ((!hole || !seekable) && !write_all(out_fd, r->buf, len, seekable, at))
				return vmfs_error_set(err, VMFS_ERR_IO, path, VMFS_NO_OFFSET, "writing the copy: %s",
						      strerror(errno));
			*(hole ? hole_bytes : data_bytes) += len;
			at += len;
			show_progress(r, path, at, size);
		}
	}
	sha256_digest(&sha, SHA256_DIGEST_SIZE, digest);
	return VMFS_OK;
}

static void keep_times(const char *out, const vmfs_fd *fd, bool link)
{
	struct timespec times[2] = { { .tv_sec = fd->atime }, { .tv_sec = fd->mtime } };
	(void)utimensat(AT_FDCWD, out, times, link ? AT_SYMLINK_NOFOLLOW : 0);
}

static void note_skipped(struct run *r, const char *path, const char *why)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_array_add(r->skipped, o);
	fprintf(stderr, "%s: %s: not copied: %s\n", prog, path, why);
}

static void extract_file(struct run *r, const char *path, vmfs_file *file, const char *out)
{
	const vmfs_fd *fd = vmfs_file_fd(file);
	vmfs_error err;
	vmfs_error_clear(&err);
	uint8_t digest[SHA256_DIGEST_SIZE] = { 0 }; /* set by the copy; a symlink has none */
	uint64_t data = 0, holes = 0;
	if (fd->type == VMFS_FD_RDM) {
		note_skipped(r, path, "a raw device mapping: its data is on another LUN, not in this volume");
		return;
	}
	if (fd->type == VMFS_FD_SYMLINK) {
		/* The target is the file's content (format reference 4.4). */
		char target[PATH_MAX];
		size_t got = 0;
		size_t len = fd->length < sizeof(target) - 1 ? (size_t)fd->length : sizeof(target) - 1;
		if (vmfs_file_read(file, 0, target, len, &got, &err) != VMFS_OK) {
			add_error(r, &err, path);
			return;
		}
		target[got] = 0;
		if (symlink(target, out) != 0) {
			add_errno(r, out, errno == EEXIST ? "exists: not overwritten" : "symlink");
			return;
		}
		keep_times(out, fd, true);
	} else {
		int o = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (o < 0) {
			add_errno(r, out, errno == EEXIST ? "exists: not overwritten" : "cannot create");
			return;
		}
		vmfs_status st = copy_data(r, file, o, true, path, digest, &data, &holes, &err);
		if (st == VMFS_OK && ftruncate(o, (off_t)fd->length) != 0)
			st = vmfs_error_set(&err, VMFS_ERR_IO, out, VMFS_NO_OFFSET, "setting the size: %s", strerror(errno));
		if (st == VMFS_OK && fchmod(o, vmfs_fd_st_mode(fd) & 0777) != 0)
			st = vmfs_error_set(&err, VMFS_ERR_IO, out, VMFS_NO_OFFSET, "chmod: %s", strerror(errno));
		if (close(o) != 0 && st == VMFS_OK)
			st = vmfs_error_set(&err, VMFS_ERR_IO, out, VMFS_NO_OFFSET, "close: %s", strerror(errno));
		if (st != VMFS_OK) {
			/* A partial copy is not left looking like a whole one. */
			unlink(out);
			add_error(r, &err, path);
			return;
		}
		keep_times(out, fd, false);
	}
	r->extracted++;
	char sha[SHA256_DIGEST_SIZE * 2 + 1];
	fmt_hex(digest, sizeof(digest), sha, sizeof(sha));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "output", json_object_new_string(out));
	json_object_object_add(o, "type", json_object_new_string(vmfs_fd_type_name(fd->type)));
	json_object_object_add(o, "size", json_object_new_uint64(fd->length));
	json_object_object_add(o, "fd_address", json_object_new_uint64(vmfs_file_address(file)));
	bool link = fd->type == VMFS_FD_SYMLINK;
	json_object_object_add(o, "sha256", link || r->ctl->no_hash ? NULL : json_object_new_string(sha));
	json_object_object_add(o, "data_bytes", json_object_new_uint64(data));
	json_object_object_add(o, "hole_bytes", json_object_new_uint64(holes));
	json_object_array_add(r->files, o);
	if (!r->ctl->json && !r->ctl->quiet) {
		char safe[4200], safe_out[4200];
		if (link)
			printf("%s -> %s (symlink)\n", fmt_safe_text(path, safe, sizeof(safe)),
			       fmt_safe_text(out, safe_out, sizeof(safe_out)));
		else
			printf("%s  %s -> %s (%" PRIu64 " bytes, %" PRIu64 " in holes)\n",
			       r->ctl->no_hash ? "(not hashed: --no-hash)" : sha, fmt_safe_text(path, safe, sizeof(safe)),
			       fmt_safe_text(out, safe_out, sizeof(safe_out)), fd->length, holes);
	}
}

/* The output path of volume path `path` (below the PATH being extracted). */
static void output_of(const struct run *r, const char *path, char *out, size_t len)
{
	snprintf(out, len, "%s%s", r->base, path + r->prefix_len);
}

static int on_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *file)
{
	struct run *r = ctx;
	(void)ent;
	char out[PATH_MAX + VMFS_PATH_MAX];
	output_of(r, path, out, sizeof(out));
	if (vmfs_fd_is_dir(vmfs_file_fd(file))) {
		if (mkdir(out, 0755) != 0)
			add_errno(r, out, errno == EEXIST ? "exists: not overwritten" : "mkdir");
		return 0;
	}
	extract_file(r, path, file, out);
	return 0;
}

static int on_error(void *ctx, const vmfs_error *err)
{
	add_error(ctx, err, NULL);
	return 0;
}

static void extract_path(struct run *r, const char *path)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_file *top;
	if (vmfs_fs_open_path(r->fs, path, &top, &err) != VMFS_OK) {
		add_error(r, &err, path);
		return;
	}
	/* PATH's last component, "/" as the volume's label-less name "root". */
	const char *slash = strrchr(path, '/');
	const char *name = slash && slash[1] ? slash + 1 : "root";
	snprintf(r->base, sizeof(r->base), "%s/%s", r->ctl->dir, name);
	r->prefix_len = strlen(path);
	while (r->prefix_len > 1 && path[r->prefix_len - 1] == '/')
		r->prefix_len--;
	if (strcmp(path, "/") == 0)
		r->prefix_len = 0;
	if (!vmfs_fd_is_dir(vmfs_file_fd(top))) {
		extract_file(r, path, top, r->base);
	} else if (mkdir(r->base, 0755) != 0) {
		add_errno(r, r->base, errno == EEXIST ? "exists: not overwritten" : "mkdir");
	} else {
		vmfs_walk_ops ops = { on_entry, on_error, r };
		if (vmfs_fs_walk(r->fs, path, &ops, &err) != VMFS_OK)
			add_error(r, &err, path);
	}
	vmfs_file_close(top);
}

static int to_stdout(struct run *r, const char *path)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_file *file = NULL;
	vmfs_status st = vmfs_fs_open_path(r->fs, path, &file, &err);
	if (st == VMFS_OK && vmfs_fd_is_dir(vmfs_file_fd(file)))
		st = vmfs_error_set(&err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "is a directory: --stdout copies one file");
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint64_t data, holes;
	if (st == VMFS_OK)
		st = copy_data(r, file, STDOUT_FILENO, false, path, digest, &data, &holes, &err);
	if (st == VMFS_OK)
		r->extracted++;
	else
		add_error(r, &err, path);
	if (file)
		vmfs_file_close(file);
	return st == VMFS_OK ? EXIT_OK : EXIT_ERROR;
}

int main(int argc, char **argv)
{
	enum { OPT_STDOUT = 1000, OPT_VOLUME, OPT_NO_HASH };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "stdout", no_argument, NULL, OPT_STDOUT },
		{ "no-hash", no_argument, NULL, OPT_NO_HASH },
		{ "json", no_argument, NULL, 'j' },
		{ "volume", required_argument, NULL, OPT_VOLUME },
		{ "member", required_argument, NULL, 'm' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct extract_control ctl = { .dir = "." };
	int c;
	cli_init(argc, argv, "jqhV");
	while ((c = getopt_long(argc, argv, "o:jm:b:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': ctl.dir = optarg; break;
		case OPT_STDOUT: ctl.to_stdout = true; break;
		case OPT_NO_HASH: ctl.no_hash = true; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		case OPT_VOLUME: ctl.target.volume = optarg; break;
		case 'm':
			if (!fs_target_add_member(&ctl.target, optarg))
				return cli_usage_error(prog, "too many --member sources", optarg);
			break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.target.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(prog, "missing operand", argc - optind < 1 ? "SOURCE" : "PATH");
	if (ctl.to_stdout && (argc - optind != 2 || ctl.json))
		return cli_usage_error(prog, "--stdout copies exactly one FILE, without --json", argv[optind]);
	for (int i = optind + 1; i < argc; i++)
		if (argv[i][0] != '/')
			return cli_usage_error(prog, "PATH must be absolute inside the volume", argv[i]);
	struct stat st_dir;
	if (!ctl.to_stdout && (stat(ctl.dir, &st_dir) != 0 || !S_ISDIR(st_dir.st_mode)))
		return cli_usage_error(prog, "the output folder does not exist", ctl.dir);

	live_resolve_operands(prog, argv, optind, optind + 1); /* an ESXi device name */
	const char *source = argv[optind];
	struct run r = { .ctl = &ctl, .files = json_object_new_array(), .skipped = json_object_new_array(),
			 .errors = json_object_new_array(), .buf = aligned_alloc(4096, CHUNK), .in_kernel = true,
			 .progress = !ctl.quiet && isatty(STDERR_FILENO) };
	static fs_target t;
	vmfs_error err;
	vmfs_error_clear(&err);
	int status = EXIT_OK;
	vmfs_status st = r.buf ? fs_target_open(source, &ctl.target, &t, &err)
			       : vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, source, VMFS_NO_OFFSET, "out of memory");
	if (st != VMFS_OK) {
		add_error(&r, &err, source);
		status = st == VMFS_ERR_NOT_FOUND && !t.chosen ? EXIT_NOTHING : EXIT_ERROR;
	} else if (ctl.to_stdout) {
		r.fs = t.fs;
		status = to_stdout(&r, argv[optind + 1]);
	} else {
		r.fs = t.fs;
		for (int i = optind + 1; i < argc; i++)
			extract_path(&r, argv[i]);
		status = r.failures ? EXIT_ERROR : EXIT_OK;
	}
	if (r.failures && status != EXIT_NOTHING)
		fprintf(stderr, "%s: %zu error(s); %zu file(s) copied\n", prog, r.failures, r.extracted);
	if (ctl.json) {
		json_object *doc = cli_doc_new(prog);
		json_object_object_add(doc, "volume", fs_target_volume_json(&t));
		json_object_object_add(doc, "output_dir", json_object_new_string(ctl.dir));
		json_object_object_add(doc, "files", r.files);
		json_object_object_add(doc, "skipped", r.skipped);
		cli_doc_finish(doc, r.errors, status);
	} else {
		json_object_put(r.files);
		json_object_put(r.skipped);
		json_object_put(r.errors);
	}
	free(r.buf);
	fs_target_close(&t);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
