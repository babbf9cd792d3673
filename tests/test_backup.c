/* Metadata backup files: regions of a generated volume survive save and load
 * byte for byte in a small file; every kind of damage to the file is refused
 * with an error naming the place, and limits are enforced before anything is
 * allocated from the file. */
#include "tests/support/support.h"
#include "vmfs/backup/backup.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SMALL_SIZE (1u << 20)
#define HEAD_END 0x1800000u

static void sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, len, p);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

/* Recomputes the header SHA-256 and the trailer SHA-256 of a backup image. */
static void fix_sums(uint8_t *f, size_t len)
{
	memset(f + VMFS_BACKUP_OFF_HEADER_SHA, 0, 32);
	uint8_t d[32];
	sha256(f, VMFS_BACKUP_HEADER_SIZE, d);
	memcpy(f + VMFS_BACKUP_OFF_HEADER_SHA, d, 32);
	sha256(f, len - VMFS_BACKUP_TRAILER_SIZE, f + len - 32);
}

static vmfs_backup_source source_of(const char *path, uint64_t size)
{
	return (vmfs_backup_source){
		.path = path, .size = size, .sector_size = 512, .kind = VMFS_BACKUP_SOURCE_FILE,
		.host = "forensics-1", .tool = "vmfs-backup 0.1.0", .wwid = "naa.600508b1001c3a6b",
		.serial = "SN 0042", .vendor = "VMware", .model = "Virtual disk",
		.manifest = "{\n\t\"volume\": \"datastore1 \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xbe\"\n}\n",
	};
}

/* Two regions over a 1 MiB source: 512 random bytes at 0 (stored raw) and
 * 16896 mostly zero bytes at 4096 (stored compressed). */
static const char *small_backup_file(const char *name, size_t *len)
{
	const char *path = tmp_path(name);
	vmfs_backup_source src = source_of("/dev/sdx", SMALL_SIZE);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	static uint8_t mbr[512], gpt[16896];
	fill_pattern(mbr, sizeof(mbr), 1);
	memset(gpt, 0, sizeof(gpt));
	fill_pattern(gpt, 92, 2);
	cr_assert_eq(vmfs_backup_add(&b, "mbr", VMFS_BACKUP_NO_DEVICE, 0, mbr, sizeof(mbr), &err), VMFS_OK, "%s",
		     err.reason);
	cr_assert_eq(vmfs_backup_add(&b, "gpt-primary", 0, 4096, gpt, sizeof(gpt), &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(b.regions[0].flags, 0, "random bytes are stored raw");
	cr_assert_eq(b.regions[0].stored_length, 512);
	cr_assert_eq(b.regions[1].flags, VMFS_BACKUP_REGION_ZLIB, "zeros are stored compressed");
	cr_assert_lt(b.regions[1].stored_length, 1024);
	*len = (size_t)file_size(path);
	cr_assert_eq(*len, 4096 + 2 * 128 + 512 + b.regions[1].stored_length + 40);
	vmfs_backup_free(&b);
	return path;
}

/* Loads a backup file that must be refused; returns the error. */
static vmfs_error load_fails(const char *path, vmfs_status expected)
{
	vmfs_backup b;
	vmfs_error err;
	vmfs_status st = vmfs_backup_load(path, &b, &err);
	cr_assert_neq(st, VMFS_OK, "a damaged backup file was accepted");
	if (expected != VMFS_OK)
		cr_assert_eq(st, expected, "status %s, expected %s: %s", vmfs_status_name(st),
			     vmfs_status_name(expected), err.reason);
	cr_assert_eq(err.status, st);
	cr_assert_str_eq(err.path, path);
	cr_assert_neq(err.reason[0], 0);
	cr_assert_eq(b.count, 0);
	cr_assert_null(b.regions);
	return err;
}

Test(backup, round_trip_on_generated_volume)
{
	const char *img = tmp_path("v5.img");
	const char *file = tmp_path("v5.vmfsbackup");
	mkfixture("volume", "--lvm", "5", img, NULL);
	uint64_t size = file_size(img);
	cr_assert_gt(size, HEAD_END + 16896);
	const struct {
		const char *kind;
		uint32_t device;
		uint64_t offset, length;
	} spec[] = {
		{ "mbr", VMFS_BACKUP_NO_DEVICE, 0, 512 },
		{ "lvm-metadata", 0, 512, HEAD_END - 512 },
		{ "gpt-backup", VMFS_BACKUP_NO_DEVICE, size - 16896, 16896 },
	};
	vmfs_backup_source src = source_of(img, size);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	uint8_t *buf = malloc(HEAD_END);
	cr_assert_not_null(buf);
	for (size_t i = 0; i < 3; i++) {
		read_file_at(img, spec[i].offset, buf, (size_t)spec[i].length);
		cr_assert_eq(vmfs_backup_add(&b, spec[i].kind, spec[i].device, spec[i].offset, buf, spec[i].length, &err),
			     VMFS_OK, "%s", err.reason);
		cr_assert_eq(b.regions[i].crc32, (uint32_t)crc32(0, buf, (uInt)spec[i].length));
	}
	cr_assert_eq(vmfs_backup_save(file, &b, &err), VMFS_OK, "%s", err.reason);
	uint64_t saved = file_size(file);
	cr_assert_lt(saved, 64 * 1024, "24 MiB of metadata compress to %llu bytes", (unsigned long long)saved);

	vmfs_backup l;
	cr_assert_eq(vmfs_backup_load(file, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(l.created, b.created);
	cr_assert_gt(l.created, 1600000000u);
	cr_assert_eq(l.source_size, size);
	cr_assert_eq(l.sector_size, 512);
	cr_assert_eq(l.source_kind, VMFS_BACKUP_SOURCE_FILE);
	cr_assert_str_eq(l.source_path, img);
	cr_assert_str_eq(l.host, "forensics-1");
	cr_assert_str_eq(l.tool, "vmfs-backup 0.1.0");
	cr_assert_str_eq(l.wwid, "naa.600508b1001c3a6b");
	cr_assert_str_eq(l.serial, "SN 0042");
	cr_assert_str_eq(l.vendor, "VMware");
	cr_assert_str_eq(l.model, "Virtual disk");
	cr_assert_str_eq(l.manifest, src.manifest);
	cr_assert_eq(memcmp(l.file_sha256, b.file_sha256, 32), 0);
	cr_assert_eq(l.count, 3);
	for (size_t i = 0; i < 3; i++) {
		const vmfs_backup_region *r = &l.regions[i];
		cr_assert_str_eq(r->kind, spec[i].kind);
		cr_assert_eq(r->device, spec[i].device);
		cr_assert_eq(r->offset, spec[i].offset);
		cr_assert_eq(r->length, spec[i].length);
		read_file_at(img, spec[i].offset, buf, (size_t)spec[i].length);
		cr_assert_eq(memcmp(r->data, buf, (size_t)spec[i].length), 0, "bytes of region %zu", i);
		cr_assert_eq(r->crc32, (uint32_t)crc32(0, buf, (uInt)spec[i].length));
		uint8_t d[32];
		sha256(buf, (size_t)spec[i].length, d);
		cr_assert_eq(memcmp(r->sha256, d, 32), 0, "SHA-256 of region %zu", i);
		cr_assert_eq(memcmp(r->sha256, b.regions[i].sha256, 32), 0);
	}
	/* The trailer holds the SHA-256 of everything before it. */
	size_t len;
	uint8_t *f = read_whole_file(file, &len);
	uint8_t d[32];
	sha256(f, len - 40, d);
	cr_assert_eq(memcmp(f + len - 40, "VMFSBEND", 8), 0);
	cr_assert_eq(memcmp(f + len - 32, d, 32), 0);
	cr_assert_eq(memcmp(l.file_sha256, d, 32), 0);
	free(f);

	cr_assert_eq(vmfs_backup_find(&l, 0, 512), &l.regions[0]);
	cr_assert_eq(vmfs_backup_find(&l, 0x100000, 512), &l.regions[1], "contained in the head");
	cr_assert_eq(vmfs_backup_find(&l, HEAD_END - 1, 0), &l.regions[1]);
	cr_assert_null(vmfs_backup_find(&l, HEAD_END - 1, 2), "spans past the head");
	cr_assert_null(vmfs_backup_find(&l, 256, 512), "spans two regions");
	cr_assert_null(vmfs_backup_find(&l, HEAD_END, 512));
	cr_assert_eq(vmfs_backup_find(&l, size - 512, 512), &l.regions[2]);
	cr_assert_null(vmfs_backup_find(&l, UINT64_MAX, 2));
	free(buf);
	vmfs_backup_free(&b);
	vmfs_backup_free(&l);
	cr_assert_eq(l.count, 0);
	vmfs_backup_free(&l);
}

Test(backup, saved_file_is_private_and_laid_out_as_documented)
{
	size_t len;
	const char *file = small_backup_file("small.vmfsbackup", &len);
	struct stat st;
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the backup holds disk contents: mode %o", st.st_mode & 0777);
	uint8_t *f = read_whole_file(file, &len);
	cr_assert_eq(memcmp(f, "VMFSBKUP", 8), 0);
	cr_assert_eq(vmfs_le32(f + 8), 1);
	cr_assert_eq(vmfs_le32(f + 12), 4096);
	cr_assert_eq(vmfs_le32(f + 24), 2);
	cr_assert_eq(vmfs_le32(f + 28), 0);
	cr_assert_eq(vmfs_le64(f + 32), SMALL_SIZE);
	cr_assert_eq(vmfs_le32(f + 40), 512);
	cr_assert_eq(vmfs_le32(f + 44), 0);
	cr_assert_str_eq((const char *)f + 48, "/dev/sdx");
	cr_assert_str_eq((const char *)f + 1328, "vmfs-backup 0.1.0");
	cr_assert_str_eq((const char *)f + 1840, "Virtual disk");
	cr_assert_eq(memcmp(f + 1904, "{\n\t\"volume\"", 11), 0);
	uint8_t stored[32], d[32];
	memcpy(stored, f + 4064, 32);
	memset(f + 4064, 0, 32);
	sha256(f, 4096, d);
	cr_assert_eq(memcmp(stored, d, 32), 0, "header SHA-256 over the header with the field zeroed");
	memcpy(f + 4064, stored, 32);
	const uint8_t *e1 = f + 4096 + 128;
	cr_assert_str_eq((const char *)e1, "gpt-primary");
	cr_assert_eq(vmfs_le32(e1 + 32), 0);
	cr_assert_eq(vmfs_le32(e1 + 36), 1);
	cr_assert_eq(vmfs_le64(e1 + 40), 4096);
	cr_assert_eq(vmfs_le64(e1 + 48), 16896);
	cr_assert_eq(vmfs_le64(e1 + 64), 4096 + 256 + 512, "data follow the table and region 0's data");
	cr_assert_eq(vmfs_le32(f + 4096 + 32), VMFS_BACKUP_NO_DEVICE);
	cr_assert_eq(vmfs_le64(f + 4096 + 64), 4096 + 256);
	/* The compressed bytes are a zlib stream of the region. */
	uint8_t out[16896];
	uLongf outlen = sizeof(out);
	cr_assert_eq(uncompress(out, &outlen, f + 4096 + 256 + 512, (uLong)vmfs_le64(e1 + 56)), Z_OK);
	cr_assert_eq(outlen, 16896);
	cr_assert_eq(vmfs_le32(e1 + 72), (uint32_t)crc32(0, out, 16896));
	free(f);
}

Test(backup, save_refuses_an_existing_path)
{
	size_t len;
	const char *path = small_backup_file("taken.vmfsbackup", &len);
	uint8_t *before = read_whole_file(path, &len);
	vmfs_backup_source src = source_of("/dev/sdx", SMALL_SIZE);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	uint8_t data[512] = { 1 };
	cr_assert_eq(vmfs_backup_add(&b, "mbr", VMFS_BACKUP_NO_DEVICE, 0, data, 512, &err), VMFS_OK);
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, EEXIST);
	cr_assert_str_eq(err.path, path);
	cr_assert(strstr(err.reason, "existing"), "%s", err.reason);
	size_t now_len;
	uint8_t *now = read_whole_file(path, &now_len);
	cr_assert_eq(now_len, len);
	cr_assert_eq(memcmp(now, before, len), 0, "the existing file is untouched");
	free(now);
	free(before);
	vmfs_backup_free(&b);
}

/* A write that fails half way (file size limit) leaves no partial file. */
Test(backup, save_removes_its_partial_file_on_failure)
{
	const char *path = tmp_path("partial.vmfsbackup");
	vmfs_backup_source src = source_of("/dev/sdx", SMALL_SIZE);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	static uint8_t data[65536];
	fill_pattern(data, sizeof(data), 3);
	cr_assert_eq(vmfs_backup_add(&b, "lvm-metadata", 0, 0x100000 - sizeof(data), data, sizeof(data), &err), VMFS_OK);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 8192;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	vmfs_status st = vmfs_backup_save(path, &b, &err);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(st, VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, EFBIG, "%s", err.reason);
	cr_assert_eq(access(path, F_OK), -1, "the partial backup was removed");
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_OK, "%s", err.reason);
	vmfs_backup_free(&b);
}

/* Every byte of the file is covered: a flipped bit anywhere is refused. */
Test(backup, load_refuses_every_single_bit_flip)
{
	size_t len;
	const char *file = small_backup_file("good.vmfsbackup", &len);
	const char *bad = tmp_path("flipped.vmfsbackup");
	uint8_t *f = read_whole_file(file, &len);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_load(file, &b, &err), VMFS_OK, "%s", err.reason);
	vmfs_backup_free(&b);
	for (size_t i = 0; i < len; i++) {
		uint8_t mask = (uint8_t)(1u << (i % 8));
		f[i] ^= mask;
		write_whole_file(bad, f, len);
		f[i] ^= mask;
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(e.offset < len, "byte %zu: offset %llu (%s)", i, (unsigned long long)e.offset, e.reason);
	}
	const size_t data0 = 4096 + 256, data1 = data0 + 512, trailer = len - 40;
	const struct {
		size_t at;
		const char *says;
		uint64_t offset;
	} cases[] = {
		{ 0, "not a backup file", 0 },
		{ VMFS_BACKUP_OFF_VERSION, "version", VMFS_BACKUP_OFF_VERSION },
		{ VMFS_BACKUP_OFF_COUNT, "header SHA-256 mismatch", VMFS_BACKUP_OFF_HEADER_SHA },
		{ VMFS_BACKUP_OFF_MANIFEST + 3, "header SHA-256 mismatch", VMFS_BACKUP_OFF_HEADER_SHA },
		{ VMFS_BACKUP_OFF_HEADER_SHA + 31, "header SHA-256 mismatch", VMFS_BACKUP_OFF_HEADER_SHA },
		{ 4096 + 128 + VMFS_BACKUP_ENT_OFF_FILE_OFFSET, "expected 0x", 4096 + 128 + VMFS_BACKUP_ENT_OFF_FILE_OFFSET },
		{ 4096 + VMFS_BACKUP_ENT_OFF_STORED, "stored length", 4096 + VMFS_BACKUP_ENT_OFF_STORED },
		{ 4096 + VMFS_BACKUP_ENT_OFF_CRC32, "CRC32 of the data", data0 },
		{ 4096 + 128 + VMFS_BACKUP_ENT_OFF_SHA256 + 5, "SHA-256 of the data", data1 },
		{ 4096 + VMFS_BACKUP_ENT_OFF_DEVICE, "file SHA-256 mismatch", trailer + 8 },
		{ data0 + 100, "CRC32 of the data", data0 },
		{ trailer, "no trailer", trailer },
		{ trailer + 20, "file SHA-256 mismatch", trailer + 8 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t at = cases[c].at;
		f[at] ^= 0x10;
		write_whole_file(bad, f, len);
		f[at] ^= 0x10;
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(strstr(e.reason, cases[c].says), "byte %zu: \"%s\", expected \"%s\"", at, e.reason,
			  cases[c].says);
		cr_assert_eq(e.offset, cases[c].offset, "byte %zu: offset %llu, expected %llu (%s)", at,
			     (unsigned long long)e.offset, (unsigned long long)cases[c].offset, e.reason);
	}
	/* Damage inside the zlib stream is found by zlib or by the checksums. */
	for (size_t at = data1; at < trailer; at++) {
		f[at] ^= 0x01;
		write_whole_file(bad, f, len);
		f[at] ^= 0x01;
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(strstr(e.reason, "region 1"), "byte %zu: %s", at, e.reason);
		cr_assert(e.offset >= data1 && e.offset <= trailer, "byte %zu: offset %llu", at,
			  (unsigned long long)e.offset);
	}
	free(f);
}

Test(backup, load_refuses_incomplete_files)
{
	size_t len;
	const char *file = small_backup_file("good.vmfsbackup", &len);
	const char *bad = tmp_path("short.vmfsbackup");
	uint8_t *f = read_whole_file(file, &len);
	const size_t cuts[] = { 0, 1, 7, 8, 100, 4095, 4096, 4097, 4096 + 128, 4096 + 256, 4096 + 256 + 39,
				4096 + 256 + 40, 4096 + 256 + 511, len - 41, len - 40, len - 8, len - 1 };
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		write_whole_file(bad, f, cuts[c]);
		vmfs_error e = load_fails(bad, VMFS_ERR_TRUNCATED);
		cr_assert(strstr(e.reason, "incomplete"), "cut at %zu: %s", cuts[c], e.reason);
		cr_assert_eq(e.offset, cuts[c], "the error names the end of the file");
	}
	f[len] = 0;
	write_whole_file(bad, f, len + 1);
	vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "after the trailer"), "%s", e.reason);
	free(f);
}

/* Values beyond the limits are refused even with every checksum made to
 * match, before anything is allocated from them. */
Test(backup, load_enforces_the_limits)
{
	size_t len;
	const char *file = small_backup_file("good.vmfsbackup", &len);
	const char *bad = tmp_path("limits.vmfsbackup");
	uint8_t *good = read_whole_file(file, &len);
	uint8_t *f = malloc(len);
	cr_assert_not_null(f);
	const size_t e0 = 4096, e1 = 4096 + 128;
	const struct {
		size_t at;
		int width;
		uint64_t value;
		const char *says;
	} cases[] = {
		{ VMFS_BACKUP_OFF_COUNT, 32, 0xFFFFFFFFu, "region count 4294967295 exceeds the maximum 4096" },
		{ VMFS_BACKUP_OFF_COUNT, 32, 4097, "exceeds the maximum 4096" },
		{ VMFS_BACKUP_OFF_COUNT, 32, 0, "no regions" },
		{ VMFS_BACKUP_OFF_FLAGS, 32, 1, "header flags" },
		{ VMFS_BACKUP_OFF_SOURCE_SIZE, 64, 0, "source size" },
		{ VMFS_BACKUP_OFF_SOURCE_SIZE, 64, 4096, "passes the end of the source" },
		{ VMFS_BACKUP_OFF_SECTOR_SIZE, 32, 520, "sector size" },
		{ VMFS_BACKUP_OFF_SOURCE_KIND, 32, 2, "source kind" },
		{ VMFS_BACKUP_OFF_RESERVED + 100, 8, 1, "reserved header byte" },
		{ VMFS_BACKUP_OFF_VENDOR + 2, 8, 0x0a, "control character" },
		{ VMFS_BACKUP_OFF_MANIFEST + 1, 8, 0x1b, "not valid UTF-8" },
		{ VMFS_BACKUP_OFF_MANIFEST + 1, 8, 0xc0, "not valid UTF-8" },
		{ VMFS_BACKUP_OFF_MODEL + 63, 8, 'x', "follows the terminating NUL" },
		{ e1 + VMFS_BACKUP_ENT_OFF_LENGTH, 64, 1ull << 40, "64 MiB" },
		{ e1 + VMFS_BACKUP_ENT_OFF_LENGTH, 64, 0, "64 MiB" },
		{ e1 + VMFS_BACKUP_ENT_OFF_STORED, 64, 1ull << 40, "stored length" },
		{ e1 + VMFS_BACKUP_ENT_OFF_STORED, 64, 0, "stored length" },
		{ e0 + VMFS_BACKUP_ENT_OFF_STORED, 64, 511, "stored length 511, expected exactly 512" },
		{ e1 + VMFS_BACKUP_ENT_OFF_FILE_OFFSET, 64, 0, "expected 0x" },
		{ e1 + VMFS_BACKUP_ENT_OFF_FLAGS, 32, 2, "only bit 0" },
		{ e1 + VMFS_BACKUP_ENT_OFF_FLAGS, 32, 0, "stored length" },
		{ e0 + VMFS_BACKUP_ENT_OFF_RESERVED1, 8, 1, "reserved byte" },
		{ e0 + VMFS_BACKUP_ENT_OFF_RESERVED2 + 15, 8, 1, "reserved byte" },
		{ e0 + VMFS_BACKUP_ENT_OFF_KIND, 8, 0, "kind byte 0" },
		{ e0 + VMFS_BACKUP_ENT_OFF_KIND + 1, 8, ' ', "kind byte 1" },
		{ e1 + VMFS_BACKUP_ENT_OFF_OFFSET, 64, SMALL_SIZE - 100, "passes the end of the source" },
		{ e1 + VMFS_BACKUP_ENT_OFF_OFFSET, 64, UINT64_MAX - 10, "passes the end of the source" },
		{ e1 + VMFS_BACKUP_ENT_OFF_OFFSET, 64, 100, "overlaps region 0" },
		{ e1 + VMFS_BACKUP_ENT_OFF_LENGTH, 64, 16897, "inflates to" },
		{ e1 + VMFS_BACKUP_ENT_OFF_LENGTH, 64, 16895, "more than the expected" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memcpy(f, good, len);
		if (cases[c].width == 64)
			vmfs_put_le64(f + cases[c].at, cases[c].value);
		else if (cases[c].width == 32)
			vmfs_put_le32(f + cases[c].at, (uint32_t)cases[c].value);
		else
			f[cases[c].at] = (uint8_t)cases[c].value;
		fix_sums(f, len);
		write_whole_file(bad, f, len);
		vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
		cr_assert(strstr(e.reason, cases[c].says), "case %zu: \"%s\", expected \"%s\"", c, e.reason,
			  cases[c].says);
		cr_assert_neq(e.offset, VMFS_NO_OFFSET);
		cr_assert_leq(e.offset, len);
	}
	/* A huge count must not allocate: it is refused from the header alone,
	 * naming the field. */
	memcpy(f, good, len);
	vmfs_put_le32(f + VMFS_BACKUP_OFF_COUNT, 0xFFFFFFFFu);
	fix_sums(f, len);
	write_whole_file(bad, f, len);
	vmfs_error e = load_fails(bad, VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, VMFS_BACKUP_OFF_COUNT);
	memcpy(f, good, len);
	vmfs_put_le64(f + e1 + VMFS_BACKUP_ENT_OFF_LENGTH, 1ull << 40);
	fix_sums(f, len);
	write_whole_file(bad, f, len);
	e = load_fails(bad, VMFS_ERR_FORMAT);
	cr_assert_eq(e.offset, e1 + VMFS_BACKUP_ENT_OFF_LENGTH);
	free(f);
	free(good);
}

Test(backup, load_refuses_what_is_not_a_backup)
{
	vmfs_backup b;
	vmfs_error err;
	const char *missing = tmp_path("missing.vmfsbackup");
	cr_assert_eq(vmfs_backup_load(missing, &b, &err), VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, ENOENT);
	cr_assert_str_eq(err.path, missing);
	const char *dir = tmp_path("dir.vmfsbackup");
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(vmfs_backup_load(dir, &b, &err), VMFS_ERR_UNSUPPORTED);
	const char *junk = tmp_path("junk.bin");
	uint8_t data[8192];
	fill_pattern(data, sizeof(data), 9);
	write_whole_file(junk, data, sizeof(data));
	vmfs_error e = load_fails(junk, VMFS_ERR_FORMAT);
	cr_assert(strstr(e.reason, "not a backup file"), "%s", e.reason);
	cr_assert_eq(e.offset, 0);
}

Test(backup, manifest_and_text_rules)
{
	vmfs_backup b;
	vmfs_error err;
	vmfs_backup_source src = source_of("/dev/sdx", SMALL_SIZE);
	const char *refused[] = {
		"{\"a\": 1}\r\n",          /* carriage return */
		"bell \a",                 /* C0 control */
		"del \x7f",                /* DEL */
		"c1 \xc2\x85",             /* U+0085, a C1 control */
		"bad \xff",                /* not UTF-8 */
		"overlong \xc0\xaf",       /* overlong '/' */
		"surrogate \xed\xa0\x80",  /* U+D800 */
		"cut \xe2\x82",            /* sequence cut short */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		src.manifest = refused[i];
		cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_ERR_INVALID_ARG, "manifest %zu accepted", i);
		cr_assert(strstr(err.reason, "manifest"), "%s", err.reason);
		cr_assert_eq(b.count, 0);
	}
	static char big[1026];
	memset(big, 'x', 1025);
	src.manifest = big;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_ERR_INVALID_ARG, "a manifest longer than 1024 bytes");
	big[1024] = 0;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	src.manifest = NULL;
	src.vendor = "ATA\n";
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "vendor"), "%s", err.reason);
	src.vendor = NULL;
	src.path = "/dev/\x1b[31msdx";
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(b.source_path, "/dev/?[31msdx", "control characters of the path are masked");
	cr_assert_str_eq(b.manifest, "");

	/* save checks the record again: a manifest edited after init is refused. */
	uint8_t data[512] = { 0 };
	cr_assert_eq(vmfs_backup_add(&b, "mbr", VMFS_BACKUP_NO_DEVICE, 0, data, sizeof(data), &err), VMFS_OK);
	snprintf(b.manifest, sizeof(b.manifest), "line\x01");
	const char *path = tmp_path("manifest.vmfsbackup");
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "manifest"), "%s", err.reason);
	cr_assert_eq(access(path, F_OK), -1, "nothing created for an invalid record");
	snprintf(b.manifest, sizeof(b.manifest), "line\n\ttab \xe2\x82\xac\n");
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_OK, "%s", err.reason);
	vmfs_backup l;
	cr_assert_eq(vmfs_backup_load(path, &l, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(l.manifest, "line\n\ttab \xe2\x82\xac\n");
	vmfs_backup_free(&l);
	vmfs_backup_free(&b);
}

Test(backup, add_checks_regions)
{
	vmfs_backup b;
	vmfs_error err;
	vmfs_backup_source src = source_of("/dev/sdx", SMALL_SIZE);
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	static uint8_t data[4096];
	cr_assert_eq(vmfs_backup_add(&b, "mbr", VMFS_BACKUP_NO_DEVICE, 0, data, 512, &err), VMFS_OK);
	cr_assert_eq(vmfs_backup_add(&b, "gpt-primary", VMFS_BACKUP_NO_DEVICE, 511, data, 512, &err),
		     VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "overlaps region 0"), "%s", err.reason);
	cr_assert_eq(vmfs_backup_add(&b, "tail", 0, SMALL_SIZE - 100, data, 512, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "end of the source"), "%s", err.reason);
	cr_assert_eq(vmfs_backup_add(&b, "tail", 0, UINT64_MAX - 10, data, 512, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_backup_add(&b, "has space", 0, 4096, data, 512, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_backup_add(&b, "", 0, 4096, data, 512, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_backup_add(&b, "a-kind-name-longer-than-32-bytes!", 0, 4096, data, 512, &err),
		     VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_backup_add(&b, "zero", 0, 4096, data, 0, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_backup_add(&b, "huge", 0, 4096, data, (64ull << 20) + 1, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "64 MiB"), "%s", err.reason);
	cr_assert_eq(b.count, 1, "nothing added by refused calls");
	cr_assert_eq(vmfs_backup_add(&b, "a-kind-name-of-exactly-32-bytes!", 7, 512, data, 512, &err), VMFS_OK,
		     "%s", err.reason);
	cr_assert_eq(b.count, 2);
	/* The region count limit. */
	for (uint32_t i = 2; i < VMFS_BACKUP_MAX_REGIONS; i++)
		cr_assert_eq(vmfs_backup_add(&b, "s", i, 4096 + (uint64_t)i * 200, data, 1, &err), VMFS_OK, "%u: %s", i,
			     err.reason);
	cr_assert_eq(vmfs_backup_add(&b, "s", 0, SMALL_SIZE - 1, data, 1, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "at most 4096"), "%s", err.reason);
	vmfs_backup_free(&b);
	cr_assert_eq(b.count, 0);
	/* The record must be valid to save. */
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK);
	const char *path = tmp_path("empty.vmfsbackup");
	cr_assert_eq(vmfs_backup_save(path, &b, &err), VMFS_ERR_INVALID_ARG);
	cr_assert(strstr(err.reason, "no regions"), "%s", err.reason);
	src.sector_size = 520;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_ERR_INVALID_ARG);
	src.sector_size = 4096;
	src.size = 0;
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_ERR_INVALID_ARG);
}
