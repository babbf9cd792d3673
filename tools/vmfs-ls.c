/* vmfs-ls: list the files of a VMFS3/5/6 file system, read-only, from a disk,
 * partition or volume image (its table may be gone: the volume is found by
 * the discovery layer), with every FD field and the owner of each lock. */
#include "tools/common/cli.h"
#include "tools/common/live.h"
#include "tools/common/format.h"
#include "tools/common/fsopen.h"
#include "tools/common/lock.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/heartbeat.h"
#include "vmfs/format/vmware_uuid.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *prog = "vmfs-ls";

enum output { OUT_TEXT, OUT_JSON, OUT_BODYFILE };

struct ls_control {
	bool long_format, recursive, quiet;
	enum output output;
	fs_target_options target;
};

/* What a listing run gathers. */
struct listing {
	const struct ls_control *ctl;
	vmfs_fs *fs;
	json_object *entries;     /* --json */
	json_object *errors;
	size_t count, failures;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] SOURCE [PATH]\n"
	       "\n"
	       "List the files of the VMFS3/5/6 file system on SOURCE (a disk, partition, image or\n"
	       "volume image), read-only: names, types, sizes, times, FD addresses and lock owners.\n"
	       "The volume is found by the discovery layer every tool uses, so a disk whose partition\n"
	       "table is gone is listed as it is. PATH is absolute inside the volume (default /).\n"
	       "\n"
	       "Options:\n"
	       "  -l, --long             mode, links, uid, gid, size, mtime, FD address, lock\n"
	       "  -R, --recursive        every entry below PATH, with its absolute path\n"
	       "  -j, --json             one JSON document on stdout (entries[], volume{})\n"
	       "      --bodyfile         The Sleuth Kit's body format (for mactime timelines)\n"
	       "      --volume SPEC      the file system to read when SOURCE holds several: its label,\n"
	       "                         FS UUID, LV UUID or device offset (bytes, 0x, K/M/G, Ns)\n"
	       "  -m, --member SOURCE    another device of a spanned volume (repeat for each)\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -q, --quiet            no listing, only diagnostics and the exit status\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 listed; 1 no VMFS file system found; 2 error (also when some entries\n"
	       "could not be read: the others are listed); 3 bad usage. Sources are opened\n"
	       "read-only and never written. See vmfs-ls(1).\n", prog);
}

/* The type word of the listing: directories (also system-file directories)
 * are "dir", the rest as the FD type says (format reference 4.2, 4.4). */
static const char *type_word(const vmfs_fd *fd)
{
	return vmfs_fd_is_dir(fd) ? "dir" : vmfs_fd_type_name(fd->type);
}

static void mode_string(uint32_t mode, char out[11])
{
	out[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISREG(mode) ? '-' : S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b' : '?';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = 0;
}

static void iso_time(uint32_t seconds, char *out, size_t len)
{
	fmt_time_s(seconds, out, len);
}

static void add_error(struct listing *l, const vmfs_error *err, const char *path)
{
	cli_print_error(prog, err);
	json_object_array_add(l->errors, cli_error_item(err, path));
	l->failures++;
}

/* Body format 3 (The Sleuth Kit): MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime.
 * The inode is the FD address in decimal: mactime takes digits there and
 * drops a line whose inode is written in hex. A '|' or a control character in a name is written as \xNN so that every
 * line keeps its eleven fields. */
static void body_line(const char *path, const vmfs_fd *fd, uint32_t address)
{
	char mode[11];
	mode_string(vmfs_fd_st_mode(fd), mode);
	printf("0|");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '|' || *p < 0x20 || *p == 0x7f || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	printf("|%" PRIu32 "|%s|%" PRIu32 "|%" PRIu32 "|%" PRIu64 "|%" PRIu32 "|%" PRIu32 "|%" PRIu32 "|0\n", address,
	       mode, fd->uid, fd->gid, fd->length, fd->atime, fd->mtime, fd->ctime);
}

static void show(struct listing *l, const char *path, const char *name, vmfs_file *file)
{
	const vmfs_fd *fd = vmfs_file_fd(file);
	uint32_t address = vmfs_file_address(file);
	l->count++;
	if (l->ctl->quiet)
		return;
	if (l->ctl->output == OUT_BODYFILE) {
		body_line(path, fd, address);
		return;
	}
	if (l->ctl->output == OUT_JSON) {
		char when[48];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "type", json_object_new_string(type_word(fd)));
		json_object_object_add(o, "size", json_object_new_uint64(fd->length));
		json_object_object_add(o, "mode", json_object_new_uint64(vmfs_fd_st_mode(fd)));
		json_object_object_add(o, "uid", json_object_new_uint64(fd->uid));
		json_object_object_add(o, "gid", json_object_new_uint64(fd->gid));
		iso_time(fd->mtime, when, sizeof(when));
		json_object_object_add(o, "mtime", json_object_new_string(when));
		iso_time(fd->ctime, when, sizeof(when));
		json_object_object_add(o, "ctime", json_object_new_string(when));
		iso_time(fd->atime, when, sizeof(when));
		json_object_object_add(o, "atime", json_object_new_string(when));
		json_object_object_add(o, "fd_address", json_object_new_uint64(address));
		json_object_object_add(o, "links", json_object_new_uint64(fd->link_count));
		json_object_object_add(o, "block_size", json_object_new_uint64(fd->block_size));
		json_object_object_add(o, "blocks", json_object_new_uint64(fd->num_blocks));
		const char *zla = vmfs_zla_name(fd->zla);
		json_object_object_add(o, "zla", zla ? json_object_new_string(zla) : NULL);
		lock_view view;
		lock_view_of(l->fs, fd, &view);
		json_object_object_add(o, "lock", view.held ? lock_json(fd, &view) : NULL);
		json_object_array_add(l->entries, o);
		return;
	}
	char safe[4200];
	const char *shown = fmt_safe_text(l->ctl->recursive ? path : name, safe, sizeof(safe));
	if (!l->ctl->long_format) {
		printf("%s\n", shown);
		return;
	}
	char mode[11], when[48], lock[200] = "", held[180];
	mode_string(vmfs_fd_st_mode(fd), mode);
	iso_time(fd->mtime, when, sizeof(when));
	lock_view view;
	lock_view_of(l->fs, fd, &view);
	if (view.held)
		snprintf(lock, sizeof(lock), "  [lock %s]", lock_text(fd, &view, held, sizeof(held)));
	printf("%s %3" PRIu32 " %5" PRIu32 " %5" PRIu32 " %14" PRIu64 " %s 0x%08" PRIx32 " %-7s %s%s\n", mode, fd->link_count,
	       fd->uid, fd->gid, fd->length, when, address, type_word(fd), shown, lock);
}

static int on_walk_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *file)
{
	show(ctx, path, ent->name, file);
	return 0;
}

static int on_walk_error(void *ctx, const vmfs_error *err)
{
	add_error(ctx, err, NULL);
	return 0; /* list what can be read */
}

/* PATH's entries (one level), or PATH itself when it is not a directory. */
static vmfs_status list_one_level(struct listing *l, const char *path, vmfs_file *top, vmfs_error *err)
{
	if (!vmfs_fd_is_dir(vmfs_file_fd(top))) {
		const char *slash = strrchr(path, '/');
		show(l, path, slash && slash[1] ? slash + 1 : path, top);
		return VMFS_OK;
	}
	vmfs_dir *dir;
	vmfs_status st = vmfs_dir_open(top, &dir, err);
	if (st != VMFS_OK)
		return st;
	for (;;) {
		vmfs_dirent ent;
		bool end = false;
		vmfs_error e;
		vmfs_error_clear(&e);
		if (vmfs_dir_next(dir, &ent, &end, &e) != VMFS_OK) {
			add_error(l, &e, path);
			continue;
		}
		if (end)
			break;
		if (strcmp(ent.name, ".") == 0 || strcmp(ent.name, "..") == 0)
			continue;
		char child[VMFS_PATH_MAX + VMFS_NAME_MAX + 2];
		snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") == 0 ? "" : "/", ent.name);
		vmfs_file *file;
		if (vmfs_fs_open_entry(l->fs, &ent, child, &file, &e) != VMFS_OK) {
			add_error(l, &e, child);
			continue;
		}
		show(l, child, ent.name, file);
		vmfs_file_close(file);
	}
	vmfs_dir_close(dir);
	return VMFS_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_BODYFILE = 1000, OPT_VOLUME };
	static const struct option longopts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "bodyfile", no_argument, NULL, OPT_BODYFILE },
		{ "volume", required_argument, NULL, OPT_VOLUME },
		{ "member", required_argument, NULL, 'm' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ls_control ctl = { .output = OUT_TEXT };
	int c;
	cli_init(argc, argv, "lRjqhV");
	while ((c = getopt_long(argc, argv, "lRjm:b:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': ctl.long_format = true; break;
		case 'R': ctl.recursive = true; break;
		case 'j': ctl.output = OUT_JSON; break;
		case 'q': ctl.quiet = true; break;
		case OPT_BODYFILE: ctl.output = OUT_BODYFILE; break;
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
	if (optind >= argc)
		return cli_usage_error(prog, "missing operand", "SOURCE");
	if (argc - optind > 2)
		return cli_usage_error(prog, "extra operand", argv[optind + 2]);
	const char *path = argc - optind == 2 ? argv[optind + 1] : "/";
	if (path[0] != '/')
		return cli_usage_error(prog, "PATH must be absolute inside the volume", path);

	live_resolve_operands(prog, argv, optind, optind + 1); /* an ESXi device name */
	const char *source = argv[optind];

	struct listing l = { .ctl = &ctl, .errors = json_object_new_array() };
	if (ctl.output == OUT_JSON)
		l.entries = json_object_new_array();
	static fs_target t;
	vmfs_error err;
	vmfs_error_clear(&err);
	int status = EXIT_OK;
	vmfs_file *top = NULL;
	vmfs_status st = fs_target_open(source, &ctl.target, &t, &err);
	if (st == VMFS_OK) {
		l.fs = t.fs;
		st = vmfs_fs_open_path(t.fs, path, &top, &err);
	}
	if (st == VMFS_OK && ctl.recursive && vmfs_fd_is_dir(vmfs_file_fd(top))) {
		vmfs_walk_ops ops = { on_walk_entry, on_walk_error, &l };
		st = vmfs_fs_walk(t.fs, path, &ops, &err);
	} else if (st == VMFS_OK) {
		st = list_one_level(&l, path, top, &err);
	}
	if (st != VMFS_OK) {
		add_error(&l, &err, source);
		status = st == VMFS_ERR_NOT_FOUND && !t.chosen ? EXIT_NOTHING : EXIT_ERROR;
	} else if (l.failures) {
		status = EXIT_ERROR;
		fprintf(stderr, "%s: %zu entr%s could not be read; %zu listed\n", prog, l.failures,
			l.failures == 1 ? "y" : "ies", l.count);
	}
	if (ctl.output == OUT_JSON) {
		json_object *doc = cli_doc_new(prog);
		json_object_object_add(doc, "path", json_object_new_string(path));
		json_object_object_add(doc, "volume", fs_target_volume_json(&t));
		json_object_object_add(doc, "entries", l.entries);
		cli_doc_finish(doc, l.errors, status);
	} else {
		json_object_put(l.errors);
	}
	vmfs_file_close(top);
	fs_target_close(&t);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
