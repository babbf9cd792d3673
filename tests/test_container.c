/* The container framing shared by backup and undo files: text fields, the
 * header preamble, counts and lengths that lie, regions past a limit or the
 * end of the space, overlaps, exclusive durable creation and exact reads.
 * A small test format stands in for the two real ones (their own suites
 * check them end to end through this module). */
#include "tests/support/support.h"
#include "vmfs/core/container.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER 64u

static const vmfs_container_format fmt = {
	.name = "test file",
	.a_name = "a test file",
	.version_name = "test format",
	.record_name = "test record",
	.region_name = "test region",
	.space = "target",
	.magic = "TESTMAGC",
	.end_magic = "TESTEND!",
	.version = 3,
	.header_size = HEADER,
	.max_regions = 4,
	.max_region_bytes = 2u << 20,
	.max_total_bytes = 3u << 20,
};

static void good_header(uint8_t *h)
{
	memset(h, 0, HEADER);
	memcpy(h, "TESTMAGC", 8);
	vmfs_put_le32(h + VMFS_CONTAINER_OFF_VERSION, 3);
	vmfs_put_le32(h + VMFS_CONTAINER_OFF_HEADER_SIZE, HEADER);
}

Test(container, text_fields_follow_their_rule)
{
	char out[17];
	const uint8_t plain[16] = "datastore1";
	cr_assert_eq(vmfs_container_get_text(plain, 16, VMFS_CONTAINER_TEXT_PLAIN, out), -1);
	cr_assert_str_eq(out, "datastore1");
	uint8_t full[16];
	memset(full, 'x', 16); /* a field may fill its width unterminated */
	cr_assert_eq(vmfs_container_get_text(full, 16, VMFS_CONTAINER_TEXT_PLAIN, out), -1);
	cr_assert_eq(strlen(out), 16);

	uint8_t f[16] = "ab\ncd";
	cr_assert_eq(vmfs_container_get_text(f, 16, VMFS_CONTAINER_TEXT_PLAIN, out), 2, "newline in plain text");
	cr_assert_eq(vmfs_container_get_text(f, 16, VMFS_CONTAINER_TEXT_UTF8, out), -1, "newline in UTF-8 text");
	uint8_t after[16] = "abc";
	after[9] = 'z';
	cr_assert_eq(vmfs_container_get_text(after, 16, VMFS_CONTAINER_TEXT_PLAIN, out), 9, "byte after the NUL");
	uint8_t del[16] = "a\x7f";
	cr_assert_eq(vmfs_container_get_text(del, 16, VMFS_CONTAINER_TEXT_PLAIN, out), 1);

	const struct {
		const char *s;
		long bad;
	} utf8[] = {
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe", -1 }, /* é € 💾 */
		{ "a\xc0\x80", 1 },                                  /* overlong NUL */
		{ "ab\xe0\x80\xaf", 2 },                             /* overlong '/' */
		{ "\xed\xa0\x80", 0 },                               /* surrogate */
		{ "x\xf4\x90\x80\x80", 1 },                          /* above U+10FFFF */
		{ "x\xc2\x85", 1 },                                  /* C1 control NEL */
		{ "x\xe2\x82", 1 },                                  /* cut short */
		{ "\xff", 0 },
		{ "tab\there", -1 },
		{ "esc\x1b", 3 },
	};
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		cr_assert_eq(vmfs_container_text_bad_at((const uint8_t *)utf8[i].s, strlen(utf8[i].s),
							 VMFS_CONTAINER_TEXT_UTF8),
			     utf8[i].bad, "case %zu", i);

	uint8_t field[8];
	memset(field, 0xee, sizeof(field));
	vmfs_container_put_text(field, 8, "a\tb", VMFS_CONTAINER_TEXT_PLAIN);
	cr_assert_eq(memcmp(field, "a?b\0\0\0\0\0", 8), 0, "masked and NUL padded");
	vmfs_container_put_text(field, 8, "a\tb", VMFS_CONTAINER_TEXT_UTF8);
	cr_assert_eq(memcmp(field, "a\tb\0\0\0\0\0", 8), 0, "validated text is kept");
	vmfs_container_put_text(field, 8, "0123456789", VMFS_CONTAINER_TEXT_PLAIN);
	cr_assert_eq(memcmp(field, "01234567", 8), 0, "cut to the field");

	cr_assert(vmfs_container_sector_size_ok(512) && vmfs_container_sector_size_ok(4096) &&
		  vmfs_container_sector_size_ok(65536));
	cr_assert(!vmfs_container_sector_size_ok(0) && !vmfs_container_sector_size_ok(256) &&
		  !vmfs_container_sector_size_ok(520) && !vmfs_container_sector_size_ok(131072));
}

Test(container, preamble_refuses_magic_version_size_and_short_files)
{
	uint8_t h[HEADER];
	vmfs_error e;
	good_header(h);
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, HEADER, 1000, &e), VMFS_OK);

	h[3] ^= 1;
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, HEADER, 1000, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "not a test file: magic bytes 54 45 53 55"), "%s", e.reason);
	cr_assert_eq(e.offset, 0);
	cr_assert_str_eq(e.path, "f");
	/* A short file with the wrong magic is not ours; with the right one, incomplete. */
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, 20, 20, &e), VMFS_ERR_FORMAT);
	good_header(h);
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, 20, 20, &e), VMFS_ERR_TRUNCATED);
	cr_assert(strstr(e.reason, "incomplete test file: 20 bytes"), "%s", e.reason);
	cr_assert_eq(e.offset, 20);
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, 5, 5, &e), VMFS_ERR_TRUNCATED);

	vmfs_put_le32(h + VMFS_CONTAINER_OFF_VERSION, 4);
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, HEADER, 1000, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "unsupported test format version 4"), "%s", e.reason);
	cr_assert_eq(e.offset, VMFS_CONTAINER_OFF_VERSION);
	good_header(h);
	vmfs_put_le32(h + VMFS_CONTAINER_OFF_HEADER_SIZE, 0xffffffffu);
	cr_assert_eq(vmfs_container_check_preamble(&fmt, "f", h, HEADER, 1000, &e), VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, VMFS_CONTAINER_OFF_HEADER_SIZE);
	cr_assert(strstr(e.reason, "header size is 4294967295"), "%s", e.reason);

	good_header(h);
	h[40] = 7;
	cr_assert_eq(vmfs_container_check_zero("f", h, 16, HEADER, 0, "reserved header byte", &e), VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, 40);
	cr_assert(strstr(e.reason, "reserved header byte is 0x07"), "%s", e.reason);
	cr_assert_eq(vmfs_container_check_zero("f", h, 16, HEADER, 4096, "x", &e), VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, 4096 + 40, "offset of a record in the file");
	cr_assert_eq(vmfs_container_check_zero("f", h, 16, 40, 0, "x", &e), VMFS_OK);
}

Test(container, counts_and_lengths_that_lie)
{
	vmfs_error e;
	cr_assert_eq(vmfs_container_check_count(&fmt, "f", 4, 24, &e), VMFS_OK);
	cr_assert_eq(vmfs_container_check_count(&fmt, "f", 0, 24, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "holds no regions"), "%s", e.reason);
	cr_assert_eq(e.offset, 24);
	cr_assert_eq(vmfs_container_check_count(&fmt, "f", 5, 24, &e), VMFS_ERR_FORMAT);
	cr_assert_eq(vmfs_container_check_count(&fmt, "f", UINT32_MAX, 24, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "region count 4294967295 exceeds the maximum 4"), "%s", e.reason);

	cr_assert_eq(vmfs_container_check_length(&fmt, "f", 500, 500, "the file", &e), VMFS_OK);
	cr_assert_eq(vmfs_container_check_length(&fmt, "f", 499, 500, "the file", &e), VMFS_ERR_TRUNCATED);
	cr_assert(strstr(e.reason, "incomplete test file: 499 bytes, but the file takes 500"), "%s", e.reason);
	cr_assert_eq(e.offset, 499);
	cr_assert_eq(vmfs_container_check_length(&fmt, "f", 503, 500, "the file", &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "3 unexpected bytes after the trailer"), "%s", e.reason);
	cr_assert_eq(e.offset, 500);

	uint8_t t[12] = "TESTEND!";
	cr_assert_eq(vmfs_container_check_end_magic(&fmt, "f", t, 900, &e), VMFS_OK);
	t[7] = 0;
	cr_assert_eq(vmfs_container_check_end_magic(&fmt, "f", t, 900, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "no trailer") && strstr(e.reason, "0x384"), "%s", e.reason);
	cr_assert_eq(e.offset, 900);
}

Test(container, regions_past_a_limit_or_the_end_or_overlapping)
{
	vmfs_error e;
	const uint64_t space = 16u << 20;
	/* From a file: the error points at the field in the region's record. */
	vmfs_container_region r = { 0, 0, 1000 };
	cr_assert_eq(vmfs_container_check_region(&fmt, "f", VMFS_ERR_FORMAT, space, 2, &r, 0, 8, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "region 2: length 0 is not in 1..2097152 (the maximum is 2 MiB)"), "%s", e.reason);
	cr_assert_eq(e.offset, 1008);
	r.length = (2u << 20) + 1;
	cr_assert_eq(vmfs_container_check_region(&fmt, "f", VMFS_ERR_FORMAT, space, 2, &r, 0, 8, &e), VMFS_ERR_FORMAT);
	r.length = 512;
	r.offset = space - 511;
	cr_assert_eq(vmfs_container_check_region(&fmt, "f", VMFS_ERR_FORMAT, space, 2, &r, 0, 8, &e), VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "passes the end of the target (16777216 bytes)"), "%s", e.reason);
	cr_assert_eq(e.offset, 1000);
	r.offset = UINT64_MAX - 10; /* offset + length wraps around */
	cr_assert_eq(vmfs_container_check_region(&fmt, "f", VMFS_ERR_FORMAT, space, 2, &r, 0, 8, &e), VMFS_ERR_FORMAT);
	r.offset = space - 512;
	cr_assert_eq(vmfs_container_check_region(&fmt, "f", VMFS_ERR_FORMAT, space, 2, &r, 0, 8, &e), VMFS_OK);

	/* A record in memory: named by the region name, the offset is the region's. */
	vmfs_container_region set[5] = {
		{ 0, 1u << 20, VMFS_NO_OFFSET },
		{ 4u << 20, 1u << 20, VMFS_NO_OFFSET },
		{ 8u << 20, 1u << 20, VMFS_NO_OFFSET },
		{ 12u << 20, 1u << 20, VMFS_NO_OFFSET },
		{ 14u << 20, 1u << 20, VMFS_NO_OFFSET },
	};
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, set, 3, 0, 0, &e), VMFS_OK);
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, set, 4, 0, 0, &e),
		     VMFS_ERR_INVALID_ARG, "4 MiB is past the 3 MiB total");
	cr_assert(strstr(e.reason, "test region 3 brings the regions to 4194304 bytes"), "%s", e.reason);
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, set, 5, 0, 0, &e),
		     VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(e.reason, "5 regions, more than the maximum 4"), "%s", e.reason);
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, NULL, 5, 0, 0, &e),
		     VMFS_ERR_INVALID_ARG, "a count above the limit is refused before the regions are read");
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, set, 0, 0, 0, &e),
		     VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(e.reason, "test record holds no regions"), "%s", e.reason);

	set[2].offset = (4u << 20) + 4096; /* inside region 1 */
	cr_assert_eq(vmfs_container_check_regions(&fmt, "t", VMFS_ERR_INVALID_ARG, space, set, 3, 0, 0, &e),
		     VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(e.reason, "test region 2 [0x401000, +1048576) overlaps region 1"), "%s", e.reason);
	cr_assert_eq(e.offset, (4u << 20) + 4096);
	set[2].offset = (5u << 20); /* touching is not overlapping */
	cr_assert_eq(vmfs_container_check_overlap(&fmt, "t", VMFS_ERR_INVALID_ARG, set, 3, &e), VMFS_OK);
	set[2].at = 777;
	set[2].offset = (4u << 20) + 4096;
	cr_assert_eq(vmfs_container_check_overlap(&fmt, "f", VMFS_ERR_FORMAT, set, 3, &e), VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, 777, "a region from a file is named by its record");
}

typedef struct job {
	const uint8_t *bytes;
	size_t len;
	bool fail;
} job;

static vmfs_status write_job(int fd, const char *path, void *context, vmfs_error *err)
{
	job *j = context;
	if (pwrite(fd, j->bytes, j->len, 0) != (ssize_t)j->len)
		return vmfs_error_set(err, VMFS_ERR_IO, path, 0, "short write");
	uint8_t back[8];
	if (pread(fd, back, sizeof(back), 0) != (ssize_t)sizeof(back) || memcmp(back, j->bytes, 8) != 0)
		return vmfs_error_set(err, VMFS_ERR_IO, path, 0, "the writer cannot read back");
	return j->fail ? vmfs_error_set(err, VMFS_ERR_IO, path, 3, "writer says no") : VMFS_OK;
}

typedef struct seen {
	uint64_t size;
	uint8_t first[HEADER];
} seen;

static vmfs_status parse_job(int fd, const char *path, uint64_t size, void *context, vmfs_error *err)
{
	seen *s = context;
	s->size = size;
	return vmfs_container_read(&fmt, fd, path, 0, s->first, HEADER, err);
}

Test(container, created_exclusively_durably_and_removed_on_failure)
{
	uint8_t h[HEADER + 8];
	good_header(h);
	memcpy(h + HEADER, "TESTEND!", 8);
	job j = { h, sizeof(h), false };
	vmfs_error e;
	const char *path = tmp_path("container.bin");
	unlink(path);
	cr_assert_eq(vmfs_container_create(&fmt, path, write_job, &j, &e), VMFS_OK, "%s", e.reason);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "it holds disk contents: private");
	cr_assert_eq((size_t)sb.st_size, sizeof(h));
	cr_assert(vmfs_container_has_magic(&fmt, path));

	seen s;
	cr_assert_eq(vmfs_container_open(&fmt, path, parse_job, &s, &e), VMFS_OK, "%s", e.reason);
	cr_assert_eq(s.size, sizeof(h));
	cr_assert_eq(memcmp(s.first, h, HEADER), 0);

	/* An existing file is never touched. */
	uint8_t other[HEADER + 8];
	memset(other, 'o', sizeof(other));
	job j2 = { other, sizeof(other), false };
	cr_assert_eq(vmfs_container_create(&fmt, path, write_job, &j2, &e), VMFS_ERR_IO);
	cr_assert_eq(e.sys_errno, EEXIST);
	cr_assert(strstr(e.reason, "refusing to overwrite an existing file with a test file"), "%s", e.reason);
	size_t len = 0;
	uint8_t *now = read_whole_file(path, &len);
	cr_assert(len == sizeof(h) && memcmp(now, h, len) == 0);
	free(now);

	/* A writer that fails leaves nothing behind. */
	const char *failed = tmp_path("container-failed.bin");
	unlink(failed);
	j.fail = true;
	cr_assert_eq(vmfs_container_create(&fmt, failed, write_job, &j, &e), VMFS_ERR_IO);
	cr_assert(strstr(e.reason, "writer says no"), "%s", e.reason);
	cr_assert_eq(access(failed, F_OK), -1, "the failed file is removed");
	cr_assert(!vmfs_container_has_magic(&fmt, failed));

	/* Exact reads: a truncated file is incomplete, named with the offset it ends at. */
	write_whole_file(failed, h, 40);
	cr_assert_eq(vmfs_container_open(&fmt, failed, parse_job, &s, &e), VMFS_ERR_TRUNCATED);
	cr_assert(strstr(e.reason, "incomplete test file: it ends at 0x28"), "%s", e.reason);
	cr_assert_eq(e.offset, 40);
	cr_assert(vmfs_container_has_magic(&fmt, failed));
	write_whole_file(failed, h, 5);
	cr_assert(!vmfs_container_has_magic(&fmt, failed), "shorter than the magic");
	unlink(failed);

	/* Only regular files. */
	cr_assert_eq(vmfs_container_open(&fmt, "/", parse_job, &s, &e), VMFS_ERR_UNSUPPORTED);
	cr_assert(strstr(e.reason, "test file must be a regular file"), "%s", e.reason);
	cr_assert_eq(vmfs_container_open(&fmt, tmp_path("no-such-container"), parse_job, &s, &e), VMFS_ERR_IO);
	cr_assert_eq(e.sys_errno, ENOENT);
	unlink(path);
}

Test(container, crc32_of_any_length)
{
	cr_assert_eq(vmfs_container_crc32(0, "123456789", 9), 0xcbf43926u, "the CRC-32 check value");
	cr_assert_eq(vmfs_container_crc32(0, "", 0), 0);
	uint32_t part = vmfs_container_crc32(0, "1234", 4);
	cr_assert_eq(vmfs_container_crc32(part, "56789", 5), 0xcbf43926u, "continued over pieces");
}
