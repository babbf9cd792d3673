#include "tests/support/support.h"

#include <blkid/blkid.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	char *grown = realloc(*buf, *len + n + 1);
	cr_assert_not_null(grown);
	memcpy(grown + *len, data, n);
	*len += n;
	grown[*len] = 0;
	*buf = grown;
}

tool_result run_argv(const char *const argv[])
{
	int out_pipe[2], err_pipe[2];
	cr_assert_eq(pipe2(out_pipe, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err_pipe, O_CLOEXEC), 0);
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
	close(out_pipe[1]);
	close(err_pipe[1]);

	tool_result r = { 0 };
	size_t out_len = 0, err_len = 0;
	append(&r.out, &out_len, "", 0);
	append(&r.err, &err_len, "", 0);
	struct pollfd fds[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
	int open_fds = 2;
	char chunk[65536];
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			cr_assert_eq(errno, EINTR);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				if (i == 0)
					append(&r.out, &out_len, chunk, (size_t)n);
				else
					append(&r.err, &err_len, chunk, (size_t)n);
			} else {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	int wstatus;
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return r;
}

void tool_result_free(tool_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static const char *env_dir(const char *name)
{
	const char *v = getenv(name);
	cr_assert_not_null(v, "%s is not set: run the tests through 'make check'", name);
	return v;
}

#define MAX_ARGS 64

static tool_result run_program_va(const char *program, const char *first, va_list ap)
{
	const char *argv[MAX_ARGS + 2];
	size_t n = 0;
	argv[n++] = program;
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		cr_assert_lt(n, MAX_ARGS);
		argv[n++] = a;
	}
	argv[n] = NULL;
	return run_argv(argv);
}

tool_result run_tool(const char *tool, ...)
{
	static char program[4096];
	snprintf(program, sizeof(program), "%s/%s", env_dir("VMFS_TEST_BIN"), tool);
	va_list ap;
	va_start(ap, tool);
	const char *first = va_arg(ap, const char *);
	tool_result r = run_program_va(program, first, ap);
	va_end(ap);
	return r;
}

void mkfixture(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	tool_result r = run_program_va(env_dir("VMFS_TEST_MKFIXTURE"), first, ap);
	va_end(ap);
	static char message[4096];
	int status = r.status;
	snprintf(message, sizeof(message), "%s", r.err);
	tool_result_free(&r);
	cr_assert_eq(status, 0, "mkfixture %s failed (%d): %s", first, status, message);
}

const char *tmp_path(const char *name)
{
	static char dir[2048];
	static char path[8][4096];
	static unsigned next;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/test.XXXXXX", env_dir("VMFS_TEST_TMP"));
		cr_assert_not_null(mkdtemp(dir));
	}
	char *p = path[next++ % 8];
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

const char *corpus_image(const char *name)
{
	static char path[8][4096];
	static unsigned next;
	const char *dir = getenv("VMFS_TEST_CORPUS");
	cr_assert_lt(strlen(name), 256);
	if (!dir) {
		cr_skip_test("real-image corpus not available (../shared/corpus absent): skipping %s", name);
		return NULL;
	}
	char *p = path[next++ % 8];
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	cr_assert_eq(access(p, R_OK), 0, "corpus image %s missing", p);
	return p;
}

void dd_copy(const char *in, const char *out, const char *bs, const char *operand)
{
	char if_arg[4200], of_arg[4200], bs_arg[64];
	snprintf(if_arg, sizeof(if_arg), "if=%s", in);
	snprintf(of_arg, sizeof(of_arg), "of=%s", out);
	snprintf(bs_arg, sizeof(bs_arg), "bs=%s", bs);
	const char *argv[] = { "/bin/dd", "status=none", "conv=sparse,notrunc", bs_arg, operand, if_arg, of_arg, NULL };
	tool_result r = run_argv(argv);
	int status = r.status;
	tool_result_free(&r);
	cr_assert_eq(status, 0, "dd %s %s -> %s failed", operand, in, out);
}

void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

uint64_t file_size(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

void read_file_at(const char *path, uint64_t offset, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
	close(fd);
}

uint8_t *read_whole_file(const char *path, size_t *len)
{
	*len = (size_t)file_size(path);
	uint8_t *buf = malloc(*len + 1);
	cr_assert_not_null(buf);
	read_file_at(path, 0, buf, *len);
	return buf;
}

void write_whole_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

void patch_file(const char *path, uint64_t offset, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(pwrite(fd, bytes, len, (off_t)offset), (ssize_t)len);
	close(fd);
}

void wipe_gpt(const char *path, uint64_t disk_bytes)
{
	static const uint8_t zero[34 * 512];
	patch_file(path, 0, zero, sizeof(zero));
	patch_file(path, disk_bytes - 33 * 512, zero, 33 * 512);
}

void write_linux_mbr(const char *path)
{
	uint8_t mbr[512] = { 0 };
	mbr[0x1BE + 4] = 0x83;                               /* type: Linux */
	mbr[0x1BE + 9] = 0x08;                               /* start LBA 2048 */
	mbr[0x1BE + 13] = 0x20;
	mbr[0x1BE + 14] = 0x03;                              /* 204800 sectors */
	mbr[0x1B8] = 0x78, mbr[0x1B9] = 0x56, mbr[0x1BA] = 0x34, mbr[0x1BB] = 0x12; /* disk signature */
	mbr[0x1FE] = 0x55;
	mbr[0x1FF] = 0xAA;
	patch_file(path, 0, mbr, sizeof(mbr));
}

void patch_le32(const char *path, uint64_t offset, uint32_t value)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	patch_file(path, offset, b, sizeof(b));
}

void patch_le64(const char *path, uint64_t offset, uint64_t value)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	patch_file(path, offset, b, sizeof(b));
}

bool files_equal(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	cr_assert(fa && fb);
	bool same = true;
	static char ba[1 << 16], bb[1 << 16];
	for (;;) {
		size_t na = fread(ba, 1, sizeof(ba), fa), nb = fread(bb, 1, sizeof(bb), fb);
		if (na != nb || memcmp(ba, bb, na) != 0) {
			same = false;
			break;
		}
		if (na == 0)
			break;
	}
	fclose(fa);
	fclose(fb);
	return same;
}

bool blkid_value(const char *path, uint64_t offset, const char *tag, char *out, size_t len)
{
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	blkid_probe pr = blkid_new_probe();
	cr_assert_not_null(pr);
	uint64_t size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode))
		cr_assert_eq(ioctl(fd, BLKGETSIZE64, &size), 0);
	cr_assert_eq(blkid_probe_set_device(pr, fd, (blkid_loff_t)offset, (blkid_loff_t)(size - offset)), 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE |
					      BLKID_SUBLKS_VERSION);
	blkid_probe_enable_partitions(pr, 0);
	bool found = false;
	if (blkid_do_safeprobe(pr) == 0) {
		const char *value = NULL;
		size_t value_len = 0;
		if (blkid_probe_lookup_value(pr, tag, &value, &value_len) == 0 && value) {
			snprintf(out, len, "%s", value);
			found = true;
		}
	}
	blkid_free_probe(pr);
	close(fd);
	return found;
}

json_object *parse_json(const char *text)
{
	enum json_tokener_error jerr;
	json_object *doc = json_tokener_parse_verbose(text, &jerr);
	cr_assert_not_null(doc, "output is not JSON (%s): %.400s", json_tokener_error_desc(jerr), text);
	return doc;
}

json_object *jpath(json_object *root, const char *path)
{
	char key[128];
	json_object *cur = root;
	const char *p = path;
	while (*p && cur) {
		size_t n = strcspn(p, ".[");
		if (n) {
			cr_assert_lt(n, sizeof(key));
			memcpy(key, p, n);
			key[n] = 0;
			if (!json_object_object_get_ex(cur, key, &cur))
				return NULL;
			p += n;
		}
		if (*p == '[') {
			char *end;
			long idx = strtol(p + 1, &end, 10);
			cr_assert_eq(*end, ']', "bad json path %s", path);
			if (!json_object_is_type(cur, json_type_array) || idx < 0 ||
			    (size_t)idx >= json_object_array_length(cur))
				return NULL;
			cur = json_object_array_get_idx(cur, (size_t)idx);
			p = end + 1;
		}
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *jstr_at(json_object *root, const char *path)
{
	json_object *v = jpath(root, path);
	cr_assert_not_null(v, "JSON has no value at %s", path);
	cr_assert(json_object_is_type(v, json_type_string), "JSON %s is not a string", path);
	return json_object_get_string(v);
}

uint64_t ju64_at(json_object *root, const char *path)
{
	json_object *v = jpath(root, path);
	cr_assert_not_null(v, "JSON has no value at %s", path);
	cr_assert(json_object_is_type(v, json_type_int), "JSON %s is not an integer", path);
	return json_object_get_uint64(v);
}

bool find_program(const char *name, char *out, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin", env ? env : "");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}
