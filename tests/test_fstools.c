/* vmfs-ls and vmfs-extract on the real VMFS5 and VMFS6 volumes of the corpus:
 * listings and contents agree with the independent reference reader
 * (../shared/tools/vmfs_files.py, itself checked against debugvmfs and
 * debugvmfs6); a disk whose table is gone is read through the discovery
 * layer; several volumes need --volume; extraction is sparse, hashed and
 * never overwrites. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIB (1ull << 30)

/* SHA-256 of the files, from `vmfs_files.py IMG cat PATH | sha256sum`
 * (run once by hand on the unpacked corpus images, 2026-12-02). */
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_FILE4 "434728a410a78f56fc1b5899c3593436e61ab0c731e9072d95e96db290205e53"
#define SHA_FILE5 "227c62ef44ec9d9d4dbda23feaf622078a496368e919980afcd786acd9f455c4"
#define SHA_FBB5 "06c135e64033f819dd8c8f37c722aac7fc0bfbb1323d8fc9ca7c63c089eae991"
#define SHA_FBB6 "566403bff26cfb506cc5ea328aa3735db9e80a8ba6a8971cf38daca936ad1acf"

static json_object *json_of(int expect, tool_result *r)
{
	cr_assert_eq(r->status, expect, "exit %d, expected %d\n%s%s", r->status, expect, r->out, r->err);
	json_object *doc = parse_json(r->out);
	tool_result_free(r);
	return doc;
}

static json_object *entry_named(json_object *doc, const char *path)
{
	json_object *entries = jpath(doc, "entries");
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		if (strcmp(jstr_at(e, "path"), path) == 0)
			return e;
	}
	cr_assert_fail("no entry %s", path);
	return NULL;
}

/* The /directory listing of both real volumes, as the reference gives it:
 * names, types, sizes, FD addresses. */
Test(fstools, ls_corpus_volumes_match_the_reference)
{
	static const struct {
		const char *image;
		unsigned fd[5];  /* file1 file2 file3 file4 file5 */
		unsigned symlink_fd;
	} cases[] = {
		{ "vmfs5-dissect.bin", { 0x02400004, 0x02800004, 0x02c00004, 0x03000004, 0x03400004 }, 0x03800004 },
		{ "vmfs6-dissect.bin", { 0x02800004, 0x02c00004, 0x03000004, 0x03400004, 0x03c00004 }, 0x03800004 },
	};
	static const uint64_t sizes[5] = { 0, 0, 0, 8, 8193 };
	for (size_t c = 0; c < 2; c++) {
		const char *image = corpus_image(cases[c].image);
		tool_result r = run_tool("vmfs-ls", "--json", "-R", image, "/", NULL);
		json_object *doc = json_of(0, &r);
		cr_assert_str_eq(jstr_at(doc, "volume.label"), c ? "VMFS6 Test" : "VMFS5 Test");
		for (int i = 0; i < 5; i++) {
			char path[64];
			snprintf(path, sizeof(path), "/directory/file%d", i + 1);
			json_object *e = entry_named(doc, path);
			cr_assert_str_eq(jstr_at(e, "type"), "file");
			cr_assert_eq(ju64_at(e, "size"), sizes[i], "%s %s", cases[c].image, path);
			cr_assert_eq(ju64_at(e, "fd_address"), cases[c].fd[i], "%s %s", cases[c].image, path);
		}
		json_object *link = entry_named(doc, "/directory/symlink");
		cr_assert_str_eq(jstr_at(link, "type"), "symlink");
		cr_assert_eq(ju64_at(link, "fd_address"), cases[c].symlink_fd);
		cr_assert_str_eq(jstr_at(entry_named(doc, "/directory"), "type"), "dir");
		cr_assert_str_eq(jstr_at(entry_named(doc, "/.fdc.sf"), "type"), "sysfile");
		json_object_put(doc);

		/* The body file has one eleven-field line per entry. */
		r = run_tool("vmfs-ls", "-R", "--bodyfile", image, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_not_null(strstr(r.out, "0|/directory/file5|"), "%s", r.out);
		size_t lines = 0;
		for (char *line = r.out; *line; lines++) {
			char *end = strchr(line, '\n');
			cr_assert_not_null(end);
			size_t bars = 0;
			for (char *p = line; p < end; p++)
				bars += *p == '|';
			cr_assert_eq(bars, 10, "%.*s", (int)(end - line), line);
			line = end + 1;
		}
		cr_assert_geq(lines, 14, "%s: %zu lines", cases[c].image, lines);
		tool_result_free(&r);
	}
}

/* The body file is what mactime (The Sleuth Kit) reads: every entry of the
 * listing comes back in its timeline, with the FD address as the inode and
 * the FD's mtime, atime and ctime as the timeline's times (file5 of the
 * VMFS6 volume: FD 0x03c00004, all three 2021-08-10 22:44:36 UTC; .sbc.sf:
 * ctime one second after its mtime, vmfs_files.py stat /.sbc.sf). */
Test(fstools, bodyfile_accepted_by_mactime)
{
	char mactime[4096];
	if (!find_program("mactime", mactime, sizeof(mactime)))
		cr_skip_test("mactime not installed (make deps installs sleuthkit)");
	const char *image = corpus_image("vmfs6-dissect.bin");
	tool_result r = run_tool("vmfs-ls", "-R", "--json", image, NULL);
	json_object *doc = json_of(0, &r);
	r = run_tool("vmfs-ls", "-R", "--bodyfile", image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *body = tmp_path("vmfs6.body");
	write_whole_file(body, (const uint8_t *)r.out, strlen(r.out));
	tool_result_free(&r);
	const char *argv[] = { mactime, "-b", body, "-z", "UTC", "-d", NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "mactime: %s", r.err);
	json_object *entries = jpath(doc, "entries");
	size_t n = json_object_array_length(entries);
	cr_assert_geq(n, 15);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		char needle[512];
		snprintf(needle, sizeof(needle), ",%" PRIu64 ",\"%s\"\n", ju64_at(e, "fd_address"), jstr_at(e, "path"));
		cr_assert_not_null(strstr(r.out, needle), "mactime's timeline lacks %s (FD %" PRIu64 "):\n%s",
				   jstr_at(e, "path"), ju64_at(e, "fd_address"), r.out);
	}
	cr_assert_not_null(strstr(r.out, "Tue Aug 10 2021 22:44:36,8193,mac.,-rw-r--r--,0,0,62914564,\"/directory/file5\""),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Tue Aug 10 2021 22:39:26,387973120,ma..,-r--------,0,0,16777220,\"/.sbc.sf\""),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Tue Aug 10 2021 22:39:27,387973120,..c.,-r--------,0,0,16777220,\"/.sbc.sf\""),
			   "%s", r.out);
	tool_result_free(&r);
	json_object_put(doc);
}

static char *sha_of_file(const char *path)
{
	const char *argv[] = { "/usr/bin/sha256sum", path, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *sha = strndup(r.out, 64);
	tool_result_free(&r);
	return sha;
}

/* Extraction of /directory and a system file from both volumes: the
 * manifest's SHA-256 and the copies' own equal the reference reader's; a
 * second run overwrites nothing; --stdout gives the same bytes. */
Test(fstools, extract_corpus_files_hashed_and_never_overwritten)
{
	const char *images[2] = { "vmfs5-dissect.bin", "vmfs6-dissect.bin" };
	const char *fbb[2] = { SHA_FBB5, SHA_FBB6 };
	for (size_t c = 0; c < 2; c++) {
		const char *image = corpus_image(images[c]);
		char dir[600];
		snprintf(dir, sizeof(dir), "%s", tmp_path(c ? "out6" : "out5"));
		cr_assert_eq(mkdir(dir, 0755), 0);
		tool_result r = run_tool("vmfs-extract", "--json", "-o", dir, image, "/directory", "/.fbb.sf", NULL);
		json_object *doc = json_of(0, &r);
		json_object *files = jpath(doc, "files");
		cr_assert_eq(json_object_array_length(files), 7, "six entries of /directory and .fbb.sf");
		for (size_t i = 0; i < json_object_array_length(files); i++) {
			json_object *f = json_object_array_get_idx(files, i);
			const char *path = jstr_at(f, "path");
			const char *want = strcmp(path, "/directory/file4") == 0   ? SHA_FILE4
					   : strcmp(path, "/directory/file5") == 0 ? SHA_FILE5
					   : strcmp(path, "/.fbb.sf") == 0          ? fbb[c]
					   : strcmp(path, "/directory/symlink") == 0 ? NULL
										      : SHA_EMPTY;
			if (!want) {
				cr_assert_null(jpath(f, "sha256"));
				continue;
			}
			cr_assert_str_eq(jstr_at(f, "sha256"), want, "%s %s", images[c], path);
			char *own = sha_of_file(jstr_at(f, "output"));
			cr_assert_str_eq(own, want, "the copy of %s", path);
			free(own);
		}
		json_object_put(doc);
		char link[700], target[64] = "";
		snprintf(link, sizeof(link), "%s/directory/symlink", dir);
		cr_assert_gt(readlink(link, target, sizeof(target) - 1), 0);
		cr_assert_str_eq(target, "file4");

		/* Again: everything exists, nothing is overwritten. */
		char file5[700];
		snprintf(file5, sizeof(file5), "%s/directory/file5", dir);
		patch_file(file5, 0, "X", 1);
		char subdir[700];
		snprintf(subdir, sizeof(subdir), "%s/directory", dir);
		r = run_tool("vmfs-extract", "-o", subdir, image, "/directory/file5", NULL);
		cr_assert_eq(r.status, 2, "%s", r.err);
		cr_assert_not_null(strstr(r.err, "exists: not overwritten"), "%s", r.err);
		tool_result_free(&r);
		uint8_t first;
		read_file_at(file5, 0, &first, 1);
		cr_assert_eq(first, 'X', "an existing file was overwritten");

	}
}

/* The real VMFS6 volume in a disk whose GPT copies are both wiped: the file
 * tools read it through the volume the scan finds. */
Test(fstools, table_gone_volume_still_listed_and_extracted)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	const char *disk = tmp_path("wiped.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "2G", "--image", image, disk, NULL);
	wipe_gpt(disk, 2 * GIB);
	tool_result r = run_tool("vmfs-ls", "--json", disk, "/directory", NULL);
	json_object *doc = json_of(0, &r);
	cr_assert_eq(ju64_at(entry_named(doc, "/directory/file5"), "size"), 8193);
	cr_assert_eq(ju64_at(doc, "volume.members[0].offset"), 1ull << 20);
	json_object_put(doc);
	/* --stdout through a pipe: the bytes the reference reader gives. */
	char script[1400];
	snprintf(script, sizeof(script), "set -o pipefail; \"$VMFS_TEST_BIN/vmfs-extract\" --stdout '%s' /directory/file5 | sha256sum",
		 disk);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, SHA_FILE5, 64), 0, "%s", r.out);
	tool_result_free(&r);
}

/* Two file systems on one disk: without --volume the tools name both and
 * exit 2; --volume by label or offset chooses. */
Test(fstools, two_volumes_need_volume)
{
	const char *v6 = corpus_image("vmfs6-dissect.bin");
	const char *v5 = corpus_image("vmfs5-dissect.bin");
	const char *disk = tmp_path("two-fs.img");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "2G", "--image", v6, disk, NULL);
	char in[600], of[600];
	snprintf(in, sizeof(in), "if=%s", v5);
	snprintf(of, sizeof(of), "of=%s", disk);
	const char *dd[] = { "/bin/dd", in, of, "bs=1M", "seek=1024", "count=510", "conv=sparse,notrunc", "status=none",
			     NULL };
	tool_result r = run_argv(dd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);

	r = run_tool("vmfs-ls", disk, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.err, "\"VMFS6 Test\""), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "\"VMFS5 Test\""), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-ls", "--json", "--volume", "VMFS5 Test", disk, NULL);
	json_object *doc = json_of(0, &r);
	cr_assert_str_eq(jstr_at(doc, "volume.label"), "VMFS5 Test");
	json_object_put(doc);
	r = run_tool("vmfs-ls", "--json", "--volume", "1G", disk, NULL);
	doc = json_of(0, &r);
	cr_assert_str_eq(jstr_at(doc, "volume.label"), "VMFS5 Test");
	json_object_put(doc);
	r = run_tool("vmfs-ls", "--volume", "nothing-called-so", disk, NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	tool_result_free(&r);
}

/* No VMFS at all: exit 1 and a JSON document that says so; a path that does
 * not exist: exit 2 naming it. */
Test(fstools, nothing_found_and_missing_path)
{
	const char *plain = tmp_path("plain.img");
	uint8_t zeros[4096] = { 0 };
	write_whole_file(plain, zeros, sizeof(zeros));
	tool_result r = run_tool("vmfs-ls", "--json", plain, NULL);
	json_object *doc = json_of(1, &r);
	cr_assert_eq(json_object_array_length(jpath(doc, "errors")), 1);
	json_object_put(doc);
	r = run_tool("vmfs-extract", "-o", tmp_path(""), plain, "/x", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	tool_result_free(&r);

	const char *image = corpus_image("vmfs5-dissect.bin");
	r = run_tool("vmfs-ls", image, "/no/such/file", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "no"), "%s", r.err);
	tool_result_free(&r);
}

/* vmfs5: /directory/file5's FD (lock record first, format reference 7.2) at
 * partition offset 0x1526800, heartbeat slot 984 (in use) at LV 0x37b000,
 * i.e. partition offset 0x147b000; slot 0 (free) at LV 0x300000. These are
 * the offsets tests/test_fs_hostile.c works with. */
#define V5_FILE5_FD 0x1526800ull
#define V5_SLOT984 0x147b000ull

/* vmfs-inspect --heartbeats and vmfs-ls -l on the real VMFS5 volume: the one
 * slot in use as the reference reader gives it (Appendix B.4), then a lock
 * set on file5 whose holder's slot is free (stale) and one whose slot is in
 * use by that holder with its generation (live). */
Test(fstools, heartbeats_and_locks)
{
	const char *image = corpus_image("vmfs5-dissect.bin");
	const char *copy = tmp_path("locks.img");
	const char *cp[] = { "/bin/cp", "--sparse=always", image, copy, NULL };
	tool_result r = run_argv(cp);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);

	r = run_tool("vmfs-inspect", "--json", "--heartbeats", copy, NULL);
	json_object *doc = json_of(0, &r);
	cr_assert_eq(ju64_at(doc, "heartbeats[0].slots"), 2048);
	cr_assert_eq(json_object_array_length(jpath(doc, "heartbeats[0].in_use")), 1);
	cr_assert_eq(ju64_at(doc, "heartbeats[0].in_use[0].slot"), 984);
	cr_assert_str_eq(jstr_at(doc, "heartbeats[0].in_use[0].owner"), "61137d5a-a2df8778-7ed5-000c29801686");
	cr_assert_str_eq(jstr_at(doc, "heartbeats[0].in_use[0].ip"), "10.199.5.140");
	cr_assert_eq(json_object_array_length(jpath(doc, "heartbeats[0].locks")), 0);
	json_object_put(doc);

	/* Held by the slot's host, but the lock names free slot 0: stale. */
	uint8_t owner[16];
	read_file_at(copy, V5_SLOT984 + 0x1C, owner, sizeof(owner));
	patch_file(copy, V5_FILE5_FD + 0x28, owner, sizeof(owner));
	patch_le32(copy, V5_FILE5_FD + 0x24, 1);
	patch_le64(copy, V5_FILE5_FD + 0x0C, 0x300000);
	r = run_tool("vmfs-inspect", "--json", "--heartbeats", copy, NULL);
	doc = json_of(0, &r);
	cr_assert_eq(json_object_array_length(jpath(doc, "heartbeats[0].locks")), 1);
	cr_assert_str_eq(jstr_at(doc, "heartbeats[0].locks[0].path"), "/directory/file5");
	cr_assert_str_eq(jstr_at(doc, "heartbeats[0].locks[0].state"), "stale");
	cr_assert_eq(ju64_at(doc, "heartbeats[0].stale_locks"), 1);
	json_object_put(doc);
	r = run_tool("vmfs-ls", "-l", copy, "/directory", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "file5  [lock stale, mode 1, host 61137d5a-a2df8778-7ed5-000c29801686"), "%s", r.out);
	tool_result_free(&r);

	/* The same host's slot in use with the generation the lock names: live. */
	patch_le64(copy, V5_FILE5_FD + 0x0C, 0x37b000);
	patch_le64(copy, V5_FILE5_FD + 0x14, 9);
	r = run_tool("vmfs-ls", "--json", copy, "/directory/file5", NULL);
	doc = json_of(0, &r);
	cr_assert_str_eq(jstr_at(doc, "entries[0].lock.state"), "live");
	cr_assert_eq(ju64_at(doc, "entries[0].lock.heartbeat_slot"), 984);
	json_object_put(doc);
}
