/* Container framing shared by backup and undo files (container.h): the
 * checks both formats make on a header, a text field, a region list, the
 * file length and the trailer, and the exclusive, durable creation of a
 * file. Messages are built from the format's names so that a backup and an
 * undo file report the same damage with the same words. */
#include "vmfs/core/container.h"

#include "vmfs/core/fileio.h"
#include "vmfs/core/le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

uint32_t vmfs_container_crc32(uint32_t crc, const void *p, uint64_t len)
{
	const uint8_t *b = p;
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = (uint32_t)crc32(crc, b, n);
		b += n;
		len -= n;
	}
	return crc;
}

/* ---------------- text fields ---------------- */

bool vmfs_container_is_control(unsigned char c) { return (c > 0 && c < 0x20) || c == 0x7f; }

bool vmfs_container_sector_size_ok(uint32_t s)
{
	return s >= VMFS_CONTAINER_MIN_SECTOR_SIZE && s <= VMFS_CONTAINER_MAX_SECTOR_SIZE && (s & (s - 1)) == 0;
}

/* UTF-8 text (RFC 3629 forms only) without control characters but \n and \t. */
static long utf8_bad_at(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return (long)i;
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07, min = 0x10000;
		else
			return (long)i;
		if (len > n - i)
			return (long)i;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond Unicode, and the C1 controls. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return (long)i;
		i += len;
	}
	return -1;
}

long vmfs_container_text_bad_at(const uint8_t *s, size_t n, vmfs_container_text_rule rule)
{
	if (rule == VMFS_CONTAINER_TEXT_UTF8)
		return utf8_bad_at(s, n);
	for (size_t i = 0; i < n; i++)
		if (vmfs_container_is_control(s[i]))
			return (long)i;
	return -1;
}

void vmfs_container_put_text(uint8_t *field, size_t width, const char *s, vmfs_container_text_rule rule)
{
	memset(field, 0, width);
	size_t n = strnlen(s, width);
	for (size_t i = 0; i < n; i++)
		field[i] = rule == VMFS_CONTAINER_TEXT_PLAIN && vmfs_container_is_control((unsigned char)s[i])
				   ? '?' : (uint8_t)s[i];
}

long vmfs_container_get_text(const uint8_t *field, size_t width, vmfs_container_text_rule rule, char *out)
{
	size_t n = strnlen((const char *)field, width);
	long bad = vmfs_container_text_bad_at(field, n, rule);
	for (size_t k = n; bad < 0 && k < width; k++)
		if (field[k] != 0)
			bad = (long)k;
	if (bad >= 0)
		return bad;
	memcpy(out, field, n);
	out[n] = 0;
	return -1;
}

/* ---------------- the header ---------------- */

vmfs_status vmfs_container_check_preamble(const vmfs_container_format *fmt, const char *path, const uint8_t *h,
					  size_t have, uint64_t file_size, vmfs_error *err)
{
	if (have >= VMFS_CONTAINER_MAGIC_LEN && memcmp(h, fmt->magic, VMFS_CONTAINER_MAGIC_LEN) != 0) {
		char hex[32] = "";
		for (size_t i = 0, used = 0; i < VMFS_CONTAINER_MAGIC_LEN; i++)
			used += (size_t)snprintf(hex + used, sizeof(hex) - used, i ? " %02x" : "%02x", h[i]);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_CONTAINER_OFF_MAGIC,
				      "not %s: magic bytes %s, expected \"%.8s\"", fmt->a_name, hex, fmt->magic);
	}
	if (have < fmt->header_size || file_size < fmt->header_size)
		return vmfs_container_incomplete(fmt, path, file_size, fmt->header_size, "the header alone", err);
	uint32_t version = vmfs_le32(h + VMFS_CONTAINER_OFF_VERSION);
	if (version != fmt->version)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_CONTAINER_OFF_VERSION,
				      "unsupported %s version %u (this library reads version %u)", fmt->version_name,
				      version, fmt->version);
	uint32_t hsize = vmfs_le32(h + VMFS_CONTAINER_OFF_HEADER_SIZE);
	if (hsize != fmt->header_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_CONTAINER_OFF_HEADER_SIZE,
				      "header size is %u, version %u has %u", hsize, fmt->version, fmt->header_size);
	return VMFS_OK;
}

vmfs_status vmfs_container_check_zero(const char *path, const uint8_t *p, uint32_t from, uint32_t to,
				      uint64_t base, const char *what, vmfs_error *err)
{
	for (uint32_t i = from; i < to; i++)
		if (p[i])
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, base + i, "%s is 0x%02x, expected 0", what, p[i]);
	return VMFS_OK;
}

vmfs_status vmfs_container_check_count(const vmfs_container_format *fmt, const char *path, uint64_t count,
				       uint64_t at, vmfs_error *err)
{
	if (count == 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at, "the %s holds no regions", fmt->name);
	if (count > fmt->max_regions)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at, "region count %llu exceeds the maximum %u",
				      ull(count), fmt->max_regions);
	return VMFS_OK;
}

/* ---------------- the file length and the trailer ---------------- */

vmfs_status vmfs_container_incomplete(const vmfs_container_format *fmt, const char *path, uint64_t file_size,
				      uint64_t expected, const char *what, vmfs_error *err)
{
	return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, file_size,
			      "incomplete %s: %llu bytes, but %s takes %llu bytes (the tool that wrote it did not "
			      "finish)", fmt->name, ull(file_size), what, ull(expected));
}

vmfs_status vmfs_container_check_length(const vmfs_container_format *fmt, const char *path, uint64_t file_size,
					uint64_t expected, const char *what, vmfs_error *err)
{
	if (file_size < expected)
		return vmfs_container_incomplete(fmt, path, file_size, expected, what, err);
	if (file_size > expected)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, expected,
				      "%llu unexpected bytes after the trailer (the file should be %llu bytes)",
				      ull(file_size - expected), ull(expected));
	return VMFS_OK;
}

vmfs_status vmfs_container_check_end_magic(const vmfs_container_format *fmt, const char *path,
					   const uint8_t *trailer, uint64_t at, vmfs_error *err)
{
	if (memcmp(trailer, fmt->end_magic, VMFS_CONTAINER_MAGIC_LEN) == 0)
		return VMFS_OK;
	char hex[32] = "";
	for (size_t i = 0, used = 0; i < VMFS_CONTAINER_MAGIC_LEN; i++)
		used += (size_t)snprintf(hex + used, sizeof(hex) - used, i ? " %02x" : "%02x", trailer[i]);
	return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at,
			      "no trailer: magic bytes %s at 0x%llx, expected \"%.8s\" (the file is incomplete or "
			      "damaged)", hex, ull(at), fmt->end_magic);
}

/* ---------------- regions ---------------- */

/* "region 3" for a file (the table says where), "backup region 3" for a record. */
static const char *label(const vmfs_container_format *fmt, const vmfs_container_region *r)
{
	return r->at == VMFS_NO_OFFSET ? fmt->region_name : "region";
}

static uint64_t where(const vmfs_container_region *r, uint32_t field)
{
	return r->at == VMFS_NO_OFFSET ? r->offset : r->at + field;
}

vmfs_status vmfs_container_check_region(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					uint64_t space_size, size_t index, const vmfs_container_region *r,
					uint32_t off_field, uint32_t len_field, vmfs_error *err)
{
	if (r->length == 0 || r->length > fmt->max_region_bytes)
		return vmfs_error_set(err, status, path, where(r, len_field),
				      "%s %zu: length %llu is not in 1..%llu (the maximum is %llu MiB)", label(fmt, r),
				      index, ull(r->length), ull(fmt->max_region_bytes), ull(fmt->max_region_bytes >> 20));
	if (r->offset > space_size || r->length > space_size - r->offset)
		return vmfs_error_set(err, status, path, where(r, off_field),
				      "%s %zu [0x%llx, +%llu) passes the end of the %s (%llu bytes)", label(fmt, r),
				      index, ull(r->offset), ull(r->length), fmt->space, ull(space_size));
	return VMFS_OK;
}

vmfs_status vmfs_container_check_overlap(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					 const vmfs_container_region *regions, size_t count, vmfs_error *err)
{
	if (count < 2)
		return VMFS_OK;
	/* Sorting a copy finds any overlap in O(n log n) (up to 4096 regions). */
	vmfs_span *s = malloc(count * sizeof(*s));
	if (!s)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < count; i++)
		s[i] = (vmfs_span){ regions[i].offset, regions[i].offset + regions[i].length, i };
	size_t a = 0, b = 0;
	int found = vmfs_find_overlap(s, count, &a, &b);
	free(s);
	if (!found)
		return VMFS_OK;
	const vmfs_container_region *x = &regions[a], *y = &regions[b];
	return vmfs_error_set(err, status, path, y->at == VMFS_NO_OFFSET ? y->offset : y->at,
			      "%s %zu [0x%llx, +%llu) overlaps region %zu [0x%llx, +%llu)", label(fmt, y), b,
			      ull(y->offset), ull(y->length), a, ull(x->offset), ull(x->length));
}

vmfs_status vmfs_container_check_regions(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					 uint64_t space_size, const vmfs_container_region *regions, size_t count,
					 uint32_t off_field, uint32_t len_field, vmfs_error *err)
{
	if (count > fmt->max_regions)
		return vmfs_error_set(err, status, path, VMFS_NO_OFFSET, "%s holds %zu regions, more than the maximum %u",
				      fmt->record_name, count, fmt->max_regions);
	if (count == 0 || !regions)
		return vmfs_error_set(err, status, path, VMFS_NO_OFFSET, "%s holds no regions", fmt->record_name);
	uint64_t total = 0;
	for (size_t i = 0; i < count; i++) {
		vmfs_status st = vmfs_container_check_region(fmt, path, status, space_size, i, &regions[i], off_field,
							     len_field, err);
		if (st != VMFS_OK)
			return st;
		total += regions[i].length; /* at most 4096 x 64 MiB: no overflow */
		if (total > fmt->max_total_bytes)
			return vmfs_error_set(err, status, path, where(&regions[i], len_field),
					      "%s %zu brings the regions to %llu bytes, more than the maximum %llu (%llu MiB)",
					      label(fmt, &regions[i]), i, ull(total), ull(fmt->max_total_bytes),
					      ull(fmt->max_total_bytes >> 20));
	}
	return vmfs_container_check_overlap(fmt, path, status, regions, count, err);
}

/* ---------------- creating and reading ---------------- */

vmfs_status vmfs_container_create(const vmfs_container_format *fmt, const char *path, vmfs_container_writer write,
				  void *context, vmfs_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		return e == EEXIST ? vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET,
						     "refusing to overwrite an existing file with %s", fmt->a_name)
				   : vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET, "cannot create the %s", fmt->name);
	}
	vmfs_status st = write(fd, path, context, err);
	if (st == VMFS_OK)
		st = vmfs_sync_fd(fd, path, err);
	if (close(fd) != 0 && st == VMFS_OK)
		st = vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "close failed");
	if (st == VMFS_OK)
		st = vmfs_sync_parent(path, err);
	if (st != VMFS_OK)
		unlink(path); /* ours: created exclusively above */
	return st;
}

vmfs_status vmfs_container_open(const vmfs_container_format *fmt, const char *path, vmfs_container_parser parse,
				void *context, vmfs_error *err)
{
	int fd;
	uint64_t size;
	vmfs_status st = vmfs_open_regular(path, fmt->name, &fd, &size, err);
	if (st != VMFS_OK)
		return st;
	st = parse(fd, path, size, context, err);
	close(fd);
	return st;
}

vmfs_status vmfs_container_read(const vmfs_container_format *fmt, int fd, const char *path, uint64_t offset,
				void *buf, size_t len, vmfs_error *err)
{
	char what[64];
	snprintf(what, sizeof(what), "incomplete %s: it ends", fmt->name);
	return vmfs_read_exact(fd, path, offset, buf, len, what, err);
}

bool vmfs_container_has_magic(const vmfs_container_format *fmt, const char *path)
{
	char magic[VMFS_CONTAINER_MAGIC_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return false;
	bool yes = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
		   memcmp(magic, fmt->magic, sizeof(magic)) == 0;
	close(fd);
	return yes;
}
