/* See lun.h. What a LUN presents, from sysfs: attributes of SYSFS/block/NAME
 * and of its device/ directory, and VPD page 0x83 decoded per SPC-3 7.6.3. */
#include "vmfs/source/lun.h"

#include "vmfs/source/sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A sysfs attribute (vpd_pg83 included) is at most one page. */
#define ATTR_MAX VMFS_SYSFS_ATTR_MAX

/* VPD page 0x83 layout (SPC-3 7.6.3.1): a 4-byte page header, then
 * designation descriptors of a 4-byte header + designator. */
enum {
	VPD_PAGE_CODE = 1,
	VPD_PAGE_LENGTH = 2,   /* 2 bytes, big-endian */
	VPD_HEADER = 4,
	DESC_CODE_SET = 0,     /* protocol id 7..4, code set 3..0 */
	DESC_TYPE = 1,         /* PIV 7, association 5..4, designator type 3..0 */
	DESC_LENGTH = 3,
	DESC_HEADER = 4,
};

/* A text attribute without its trailing newline; printable ASCII only
 * (false, out "", when another byte is in it). */
static bool read_text(const char *dir, const char *rel, char *out, size_t cap, bool *printable)
{
	uint8_t buf[ATTR_MAX];
	size_t n;
	out[0] = 0;
	if (printable)
		*printable = true;
	if (!vmfs_sysfs_read_attr(dir, rel, buf, sizeof(buf), &n))
		return false;
	n = strnlen((const char *)buf, n);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			if (printable)
				*printable = false;
			return false;
		}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, buf, n);
	out[n] = 0;
	return true;
}

static bool read_number(const char *dir, const char *rel, uint64_t *value)
{
	char text[64], *end = NULL;
	if (!read_text(dir, rel, text, sizeof(text), NULL) || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (errno || !end || *end)
		return false;
	*value = v;
	return true;
}

/* ---------------------------------------------------------------- VPD 0x83 */

vmfs_status vmfs_vpd83_parse(const uint8_t *page, size_t len, const char *path, vmfs_vpd83 *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (len < VPD_HEADER)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, 0,
				      "VPD page 0x83: %zu bytes, shorter than its 4-byte header", len);
	if (page[VPD_PAGE_CODE] != 0x83)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VPD_PAGE_CODE,
				      "page code 0x%02x, expected 0x83 (device identification)", page[VPD_PAGE_CODE]);
	/* SCSI fields are big-endian (SPC-3 3.5). */
	size_t page_len = (size_t)page[VPD_PAGE_LENGTH] << 8 | page[VPD_PAGE_LENGTH + 1];
	if (VPD_HEADER + page_len > len)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, VPD_PAGE_LENGTH,
				      "VPD page 0x83 says %zu bytes of descriptors, %zu are there", page_len,
				      len - VPD_HEADER);
	out->qualifier = page[0] >> 5;
	out->device_type = page[0] & 0x1f;
	size_t end = VPD_HEADER + page_len;
	for (size_t pos = VPD_HEADER; pos < end;) {
		if (end - pos < DESC_HEADER)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, pos,
					      "designation descriptor header cut by the end of the page");
		size_t dlen = page[pos + DESC_LENGTH];
		if (dlen > end - pos - DESC_HEADER)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, pos + DESC_LENGTH,
					      "designator of %zu bytes runs past the end of the page", dlen);
		if (out->count < VMFS_VPD83_MAX_ITEMS) {
			vmfs_designator *d = &out->items[out->count++];
			d->offset = (uint32_t)pos;
			d->protocol = page[pos + DESC_CODE_SET] >> 4;
			d->code_set = page[pos + DESC_CODE_SET] & 0x0f;
			d->piv = (page[pos + DESC_TYPE] & 0x80) != 0;
			d->association = (page[pos + DESC_TYPE] >> 4) & 0x03;
			d->type = page[pos + DESC_TYPE] & 0x0f;
			d->len = (uint8_t)dlen;
			memcpy(d->bytes, page + pos + DESC_HEADER, dlen);
		} else {
			out->dropped++;
		}
		pos += DESC_HEADER + dlen;
	}
	return VMFS_OK;
}

/* The NAA format nibble fixes the length: 2, 3 and 5 are 8 bytes, 6 is 16
 * (SPC-3 7.6.3.6; format reference 8.3). */
static bool naa_length_ok(const vmfs_designator *d)
{
	if (d->len < 1)
		return false;
	switch (d->bytes[0] >> 4) {
	case 2: case 3: case 5: return d->len == 8;
	case 6: return d->len == 16;
	default: return false;
	}
}

const vmfs_designator *vmfs_vpd83_find(const vmfs_vpd83 *page, uint8_t type)
{
	for (size_t i = 0; i < page->count; i++) {
		const vmfs_designator *d = &page->items[i];
		if (d->association != VMFS_DESIG_ASSOC_LU || d->type != type)
			continue;
		if (type == VMFS_DESIG_NAA && !naa_length_ok(d))
			continue;
		if (type == VMFS_DESIG_EUI64 && d->len != 8 && d->len != 12 && d->len != 16)
			continue;
		if (type == VMFS_DESIG_T10 && d->len < 9)
			continue;
		return d;
	}
	return NULL;
}

void vmfs_designator_name(const vmfs_designator *d, char *out, size_t len)
{
	if (len)
		out[0] = 0;
	if (!len)
		return;
	size_t pos = 0;
	if (d->type == VMFS_DESIG_NAA || d->type == VMFS_DESIG_EUI64) {
		if (4 + 2u * d->len + 1 > len)
			return;
		pos = (size_t)snprintf(out, len, "%s", d->type == VMFS_DESIG_NAA ? "naa." : "eui.");
		for (size_t i = 0; i < d->len; i++)
			pos += (size_t)snprintf(out + pos, len - pos, "%02x", d->bytes[i]);
		return;
	}
	if (d->type != VMFS_DESIG_T10 || 4 + (size_t)d->len + 1 > len)
		return;
	memcpy(out, "t10.", 4);
	pos = 4;
	for (size_t i = 0; i < d->len; i++) {
		uint8_t c = d->bytes[i];
		if (c < 0x20 || c > 0x7e) {
			out[0] = 0;
			return;
		}
		out[pos++] = c == ' ' ? '_' : (char)c;
	}
	/* The vendor-specific part is padded with spaces by some devices. */
	while (pos > 4 + 8 && out[pos - 1] == '_')
		pos--;
	out[pos] = 0;
}

/* ---------------------------------------------------------------- devices */

static bool name_ok(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < VMFS_LUN_NAME_MAX;
}

static int name_order(const void *a, const void *b)
{
	return strverscmp((const char *)a, (const char *)b);
}

vmfs_status vmfs_lun_list(const char *sysfs_root, char (*names)[VMFS_LUN_NAME_MAX], size_t max, size_t *count,
			  size_t *total, vmfs_error *err)
{
	char dir[PATH_MAX];
	*count = *total = 0;
	snprintf(dir, sizeof(dir), "%s/block", sysfs_root);
	DIR *d = opendir(dir);
	if (!d)
		return vmfs_error_set(err, VMFS_ERR_IO, dir, VMFS_NO_OFFSET, "cannot list the block devices: %s",
				      strerror(errno));
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!name_ok(e->d_name))
			continue;
		(*total)++;
		if (*count < max)
			memcpy(names[(*count)++], e->d_name, strlen(e->d_name) + 1); /* name_ok: it fits */
	}
	closedir(d);
	qsort(names, *count, VMFS_LUN_NAME_MAX, name_order);
	return VMFS_OK;
}

/* DEVROOT/name, the kernel's '!' standing for '/' (cciss!c0d0). */
static void node_of(const char *dev_root, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", dev_root, name);
	if (n < 0 || (size_t)n >= len)
		return;
	for (char *p = out + strlen(dev_root) + 1; *p; p++)
		if (*p == '!')
			*p = '/';
}

/* "H:C:T:L", the name of a SCSI device's directory. */
static bool parse_hctl(const char *text, vmfs_lun *out)
{
	unsigned h, c, t;
	unsigned long long l;
	int used = 0;
	if (sscanf(text, "%u:%u:%u:%llu%n", &h, &c, &t, &l, &used) != 4 || text[used] != 0 || !isdigit((unsigned char)text[0]))
		return false;
	out->host = h;
	out->channel = c;
	out->target = t;
	out->lun = l;
	return true;
}

/* An INQUIRY string attribute: the kernel shows the field with its space
 * padding; kept padded to width and trimmed. */
static void read_inquiry(const char *dir, const char *rel, size_t width, char *padded, char *trimmed, vmfs_lun *out)
{
	char text[ATTR_MAX];
	bool printable = true;
	padded[0] = trimmed[0] = 0;
	if (!read_text(dir, rel, text, sizeof(text), &printable)) {
		if (!printable) {
			out->has_inquiry = true;
			out->inquiry_printable = false;
		}
		return;
	}
	out->has_inquiry = true;
	size_t n = strlen(text);
	if (n > width)
		n = width;
	memcpy(padded, text, n);
	memset(padded + n, ' ', width - n);
	padded[width] = 0;
	while (n && text[n - 1] == ' ')
		n--;
	memcpy(trimmed, text, n);
	trimmed[n] = 0;
}

vmfs_status vmfs_lun_read(const char *sysfs_root, const char *dev_root, const char *name, vmfs_lun *out,
			  vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!name_ok(name) || strstr(name, ".."))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, name, VMFS_NO_OFFSET, "not a block device name");
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/block/%s", sysfs_root, name);
	char *real = realpath(link, NULL);
	if (!real)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, link, VMFS_NO_OFFSET, "no such block device in sysfs: %s",
				      strerror(errno));
	snprintf(out->sysfs_dir, sizeof(out->sysfs_dir), "%s", real);
	free(real);
	snprintf(out->name, sizeof(out->name), "%s", name);
	node_of(dev_root, name, out->node, sizeof(out->node));
	out->inquiry_printable = true;
	const char *dir = out->sysfs_dir;

	char text[VMFS_LUN_TEXT_MAX];
	if (read_text(dir, "dev", text, sizeof(text), NULL) && sscanf(text, "%u:%u", &out->major, &out->minor) == 2)
		out->has_dev = true;
	uint64_t v;
	if (read_number(dir, "size", &v) && v <= UINT64_MAX / 512) {
		out->size = v * 512; /* always 512-byte units (sysfs-block "size") */
		out->has_size = true;
	}
	out->removable = read_number(dir, "removable", &v) && v == 1;

	/* The SCSI device: device/ is a link to the directory named H:C:T:L. */
	char devlink[VMFS_LUN_PATH_MAX + 16];
	snprintf(devlink, sizeof(devlink), "%s/device", dir);
	char *devdir = realpath(devlink, NULL);
	if (!devdir)
		return VMFS_OK;
	const char *base = strrchr(devdir, '/');
	out->has_hctl = parse_hctl(base ? base + 1 : devdir, out);
	out->scsi = true;
	read_text(devdir, "state", out->state, sizeof(out->state), NULL);
	read_inquiry(devdir, "vendor", 8, out->vendor_padded, out->vendor, out);
	read_inquiry(devdir, "model", 16, out->model_padded, out->model, out);
	read_inquiry(devdir, "rev", 4, out->revision_padded, out->revision, out);
	if (read_number(devdir, "type", &v) && v <= 0x1f) {
		out->has_type = true;
		out->device_type = (uint8_t)v;
	}
	if (read_number(devdir, "scsi_level", &v) && v <= 0xff) {
		out->has_scsi_level = true;
		out->scsi_level = (uint8_t)v;
	}
	if (!read_text(devdir, "wwid", out->wwid, sizeof(out->wwid), NULL))
		read_text(dir, "wwid", out->wwid, sizeof(out->wwid), NULL); /* NVMe: on the disk */
	/* trailing spaces of a t10 wwid are padding */
	for (size_t n = strlen(out->wwid); n && out->wwid[n - 1] == ' '; n--)
		out->wwid[n - 1] = 0;

	uint8_t page[ATTR_MAX];
	size_t n;
	if (vmfs_sysfs_read_attr(devdir, "vpd_pg83", page, sizeof(page), &n)) {
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/vpd_pg83", devdir);
		vmfs_error e;
		vmfs_error_clear(&e);
		if (n == 0)
			snprintf(out->vpd83_problem, sizeof(out->vpd83_problem), "vpd_pg83 is empty (the device returned no page)");
		else if (vmfs_vpd83_parse(page, n, path, &out->vpd83, &e) != VMFS_OK)
			vmfs_error_format(&e, out->vpd83_problem, sizeof(out->vpd83_problem));
		else
			out->has_vpd83 = true;
	}
	free(devdir);
	return VMFS_OK;
}

bool vmfs_lun_partition(const char *sysfs_root, const char *dev_root, const char *name, unsigned number,
			char *part_name, size_t name_len, char *node, size_t node_len)
{
	char dir[PATH_MAX];
	if (!name_ok(name))
		return false;
	snprintf(dir, sizeof(dir), "%s/block/%s", sysfs_root, name);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		if (!name_ok(e->d_name))
			continue;
		char sub[PATH_MAX];
		uint64_t v;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
			continue;
		if (read_number(sub, "partition", &v) && v == number) {
			snprintf(part_name, name_len, "%s", e->d_name);
			node_of(dev_root, e->d_name, node, node_len);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;
	return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

bool vmfs_lun_of_path(const char *sysfs_root, const char *dev_root, const char *path, char *disk, size_t len,
		      unsigned *partition)
{
	struct stat st;
	*partition = 0;
	if (stat(path, &st) != 0)
		return false;
	if (S_ISBLK(st.st_mode)) {
		char link[PATH_MAX], probe[PATH_MAX + 16];
		snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs_root, major(st.st_rdev), minor(st.st_rdev));
		char *real = realpath(link, NULL);
		if (!real)
			return false;
		uint64_t v;
		snprintf(probe, sizeof(probe), "%s", real);
		if (read_number(real, "partition", &v) && v <= UINT32_MAX) {
			*partition = (unsigned)v;
			char *slash = strrchr(probe, '/');
			if (slash)
				*slash = 0;
		}
		free(real);
		const char *base = strrchr(probe, '/');
		if (!base || !name_ok(base + 1))
			return false;
		snprintf(disk, len, "%s", base + 1);
		return true;
	}
	/* A tree of image files: the node that is this very file. */
	char (*names)[VMFS_LUN_NAME_MAX] = malloc(VMFS_LUN_MAX_DEVICES * sizeof(*names));
	size_t count = 0, total = 0;
	bool found = false;
	if (!names || vmfs_lun_list(sysfs_root, names, VMFS_LUN_MAX_DEVICES, &count, &total, NULL) != VMFS_OK)
		count = 0;
	for (size_t i = 0; !found && i < count; i++) {
		char node[PATH_MAX];
		node_of(dev_root, names[i], node, sizeof(node));
		if (same_file(&st, node)) {
			snprintf(disk, len, "%s", names[i]);
			found = true;
			break;
		}
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/block/%s", sysfs_root, names[i]);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && !found && (e = readdir(d)) != NULL) {
			char sub[PATH_MAX];
			uint64_t v;
			if (!name_ok(e->d_name) || snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
				continue;
			if (!read_number(sub, "partition", &v) || v > UINT32_MAX)
				continue;
			node_of(dev_root, e->d_name, node, sizeof(node));
			if (same_file(&st, node)) {
				snprintf(disk, len, "%s", names[i]);
				*partition = (unsigned)v;
				found = true;
			}
		}
		if (d)
			closedir(d);
	}
	free(names);
	return found;
}
