/* The read-only guarantee: every command that does not write (inspect, diff,
 * backup, the scans and every dry run) runs on every fixture made read-only,
 * as an unprivileged user when the tests run as root (root ignores file
 * modes), and the SHA-256 of every fixture is the same afterwards. A tool
 * that opened a source for writing would fail with "Permission denied". */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY "65534"

/* SHA-256 of a sparse file's contents: the size, then each data segment's
 * offset, length and bytes (holes read as zeros and are not hashed, so a
 * GiB fixture costs only its few MiB of metadata; a write anywhere changes
 * either the bytes or the segment map). */
static void sha256_file(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "cannot open %s", path);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	uint64_t size = (uint64_t)st.st_size;
	sha256_update(&ctx, sizeof(size), (const uint8_t *)&size);
	static uint8_t buf[1 << 20];
	off_t at = 0;
	while (at < st.st_size) {
		off_t data = lseek(fd, at, SEEK_DATA);
		if (data < 0)
			break; /* only a hole remains */
		off_t hole = lseek(fd, data, SEEK_HOLE);
		cr_assert_geq(hole, data);
		uint64_t seg[2] = { (uint64_t)data, (uint64_t)(hole - data) };
		sha256_update(&ctx, sizeof(seg), (const uint8_t *)seg);
		for (off_t p = data; p < hole;) {
			size_t want = (size_t)(hole - p) < sizeof(buf) ? (size_t)(hole - p) : sizeof(buf);
			ssize_t n = pread(fd, buf, want, p);
			cr_assert_gt(n, 0);
			sha256_update(&ctx, (size_t)n, buf);
			p += n;
		}
		at = hole;
	}
	close(fd);
	uint8_t digest[SHA256_DIGEST_SIZE];
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* Runs a tool, dropping to uid/gid 65534 through setpriv(1) when root. */
static tool_result run_unprivileged(const char *const args[])
{
	const char *argv[32];
	size_t n = 0;
	static char tool[4200];
	if (geteuid() == 0) {
		argv[n++] = "/usr/bin/setpriv";
		argv[n++] = "--reuid=" NOBODY;
		argv[n++] = "--regid=" NOBODY;
		argv[n++] = "--clear-groups";
	}
	snprintf(tool, sizeof(tool), "%s/%s", getenv("VMFS_TEST_BIN"), args[0]);
	argv[n++] = tool;
	for (size_t i = 1; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run_argv(argv);
}

typedef struct fixture {
	char path[4096];
	char sha[65];
	const char *what;
} fixture;

Test(readonly, every_non_writing_command_on_every_fixture)
{
	if (geteuid() == 0 && access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("running as root without setpriv(1): cannot make a fixture read-only for the tools");
	/* A folder every user can enter: the test's own temporary folder is 0700. */
	char dir[] = "/tmp/vmfs-readonly.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	char out_dir[4200];
	snprintf(out_dir, sizeof(out_dir), "%s/out", dir);
	cr_assert_eq(mkdir(out_dir, 0777), 0);
	cr_assert_eq(chmod(out_dir, 0777), 0);

	fixture fx[7];
	size_t count = 0;
#define FIXTURE(name, description) \
	(snprintf(fx[count].path, sizeof(fx[count].path), "%s/%s", dir, name), fx[count].what = description, \
	 fx[count++].path)
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", FIXTURE("v3-mbr.img", "VMFS3 in MBR"), NULL);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5", FIXTURE("v5-gpt.img", "VMFS5 in GPT"), NULL);
	mkfixture("volume", "--lvm", "6", FIXTURE("v6.img", "bare VMFS6 volume"), NULL);
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,size=600M", "--vol", "lvm=6,size=600M",
		  FIXTURE("two.img", "two volumes"), NULL);
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol", "lvm=6",
		  FIXTURE("v6-4k.img", "4096-byte sectors"), NULL);
	const char *wiped = FIXTURE("wiped.img", "GPT wiped");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6", wiped, NULL);
	wipe_gpt(wiped, 1ull << 30);
	const char *backup = FIXTURE("v5.bkp", "backup file");
	tool_result r = run_tool("vmfs-backup", "-q", fx[1].path, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
#undef FIXTURE
	for (size_t i = 0; i < count; i++) {
		cr_assert_eq(chmod(fx[i].path, 0444), 0);
		sha256_file(fx[i].path, fx[i].sha);
	}

	size_t runs = 0;
	for (size_t i = 0; i < count; i++) {
		const char *f = fx[i].path, *other = fx[(i + 1) % count].path;
		char out[4300];
		snprintf(out, sizeof(out), "%s/%zu.bkp", out_dir, i);
		const char *const commands[][8] = {
			{ "vmfs-inspect", f, NULL },
			{ "vmfs-inspect", "--json", f, NULL },
			{ "vmfs-inspect", "--hex", f, NULL },
			{ "vmfs-restore", f, NULL },
			{ "vmfs-restore", "--deep", "--json", f, NULL },
			{ "vmfs-restore", "--from-backup", backup, f, NULL },
			{ "vmfs-backup", "-q", f, "-O", out, NULL },
			{ "vmfs-backup", "--verify", f, NULL },
			{ "vmfs-diff", f, other, NULL },
			{ "vmfs-diff", "--json", other, f, NULL },
			{ "vmfs-resignature", "--new-identity", f, NULL },
			{ "vmfs-resignature", "--lun", "5", f, NULL },
		};
		for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
			char tool_path[4200];
			snprintf(tool_path, sizeof(tool_path), "%s/%s", getenv("VMFS_TEST_BIN"), commands[k][0]);
			if (access(tool_path, X_OK) != 0)
				continue; /* a tool not built in this tree */
			r = run_unprivileged(commands[k]);
			runs++;
			cr_assert_lt(r.status, 4, "%s %s on %s: exit %d: %s", commands[k][0], commands[k][1], fx[i].what,
				     r.status, r.err);
			cr_assert_null(strstr(r.err, "Permission denied"), "%s %s on %s tried to write: %s", commands[k][0],
				       commands[k][1], fx[i].what, r.err);
			cr_assert_null(strstr(r.err, "Read-only"), "%s %s on %s tried to write: %s", commands[k][0],
				       commands[k][1], fx[i].what, r.err);
			tool_result_free(&r);
			unlink(out);
			for (size_t j = 0; j < count; j++) {
				char now[65];
				sha256_file(fx[j].path, now);
				cr_assert_str_eq(now, fx[j].sha, "%s %s on %s changed %s", commands[k][0], commands[k][1],
						 fx[i].what, fx[j].what);
			}
		}
	}
	cr_log_info("read-only: %zu runs on %zu fixtures, every SHA-256 unchanged", runs, count);
	cr_assert_geq(runs, count * 10);
	for (size_t i = 0; i < count; i++)
		unlink(fx[i].path);
	rmdir(out_dir);
	rmdir(dir);
}
