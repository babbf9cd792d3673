/* EWF (Expert Witness Format, the E01 family) images through libewf: the
 * segment files of one image (x.E01, x.E02, ...) are found by libewf_glob
 * from the first one, opened read-only, and the media data is read at any
 * offset. A chunk whose stored checksum does not match its data is an error
 * here, not silently returned bytes: libewf counts such chunks and, unless
 * told otherwise, hands back the damaged data. */
#include "vmfs/source/backend.h"

#include <libewf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ewf_image {
	libewf_handle_t *handle;
	uint32_t checksum_errors; /* libewf's count after the last good read */
} ewf_image;

/* libewf's error chain as one line (its messages are newline separated,
 * the innermost first): the last one says what failed at the top. */
static void ewf_reason(libewf_error_t *e, char *out, size_t len)
{
	out[0] = '\0';
	if (!e)
		return;
	char all[2048];
	if (libewf_error_sprint(e, all, sizeof(all)) > 0) {
		size_t n = strlen(all);
		while (n > 0 && (all[n - 1] == '\n' || all[n - 1] == '\r'))
			all[--n] = '\0';
		const char *last = strrchr(all, '\n');
		snprintf(out, len, "%s", last ? last + 1 : all);
	}
	libewf_error_free(&e);
}

static vmfs_status ewf_read(void *impl, const char *path, uint64_t offset, void *buf, size_t len, vmfs_error *err)
{
	ewf_image *img = impl;
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		libewf_error_t *e = NULL;
		ssize_t n = libewf_handle_read_random(img->handle, p + done, len - done, (off64_t)(offset + done), &e);
		if (n <= 0) {
			char why[512];
			ewf_reason(e, why, sizeof(why));
			return vmfs_error_set(err, n == 0 ? VMFS_ERR_TRUNCATED : VMFS_ERR_IO, path, offset + done,
					      "EWF image: cannot read the media data%s%s", why[0] ? ": " : "", why);
		}
		done += (size_t)n;
	}
	uint32_t errors = 0;
	libewf_error_t *e = NULL;
	if (libewf_handle_get_number_of_checksum_errors(img->handle, &errors, &e) != 1) {
		libewf_error_free(&e);
		errors = img->checksum_errors;
	}
	if (errors != img->checksum_errors) {
		img->checksum_errors = errors;
		return vmfs_error_set(err, VMFS_ERR_IO, path, offset,
				      "EWF image: a chunk holding bytes 0x%llx..0x%llx fails its stored checksum "
				      "(the image is damaged; its data there cannot be trusted)",
				      (unsigned long long)offset, (unsigned long long)(offset + len - 1));
	}
	return VMFS_OK;
}

static void ewf_close(void *impl)
{
	ewf_image *img = impl;
	if (!img)
		return;
	libewf_handle_close(img->handle, NULL);
	libewf_handle_free(&img->handle, NULL);
	free(img);
}

/* libewf returns 1 when the image holds the hash, 0 when it does not. */
static bool ewf_stored_hashes(void *impl, vmfs_stored_hashes *out)
{
	ewf_image *img = impl;
	libewf_error_t *e = NULL;
	out->has_md5 = libewf_handle_get_md5_hash(img->handle, out->md5, sizeof(out->md5), &e) == 1;
	libewf_error_free(&e);
	e = NULL;
	out->has_sha1 = libewf_handle_get_sha1_hash(img->handle, out->sha1, sizeof(out->sha1), &e) == 1;
	libewf_error_free(&e);
	return out->has_md5 || out->has_sha1;
}

static const vmfs_source_backend ewf_backend = {
	.read = ewf_read,
	.next_data = NULL, /* chunks hold compressed runs of zeros, not holes: one extent */
	.advise = NULL,
	.stored_hashes = ewf_stored_hashes,
	.close = ewf_close,
};

vmfs_status vmfs_ewf_open(const char *path, vmfs_source_opened *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	char why[512];
	libewf_error_t *e = NULL;
	char **names = NULL;
	int count = 0;
	/* The glob reads the naming schema from the extension (.E01, .e01,
	 * .s01, .Ex01): an image renamed to anything else is opened as the one
	 * segment given. */
	char *single[1] = { (char *)path };
	if (libewf_glob(path, strlen(path), LIBEWF_FORMAT_UNKNOWN, &names, &count, &e) != 1 || count < 1) {
		libewf_error_free(&e);
		names = NULL;
		count = 0;
	}
	ewf_image *img = calloc(1, sizeof(*img));
	if (!img) {
		if (names)
			libewf_glob_free(names, count, NULL);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	vmfs_status st = VMFS_OK;
	if (libewf_handle_initialize(&img->handle, &e) != 1) {
		ewf_reason(e, why, sizeof(why));
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "libewf: %s", why);
	} else if (libewf_handle_open(img->handle, names ? names : single, names ? count : 1, LIBEWF_OPEN_READ, &e) !=
		   1) {
		ewf_reason(e, why, sizeof(why));
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				    "EWF image: cannot open it (%d segment file%s)%s%s", names ? count : 1,
				    (names ? count : 1) == 1 ? "" : "s", why[0] ? ": " : "", why);
		libewf_handle_free(&img->handle, NULL);
	}
	if (names)
		libewf_glob_free(names, count, NULL);
	if (st != VMFS_OK) {
		free(img);
		return st;
	}
	size64_t size = 0;
	if (libewf_handle_get_media_size(img->handle, &size, &e) != 1 || size == 0) {
		ewf_reason(e, why, sizeof(why));
		ewf_close(img);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET, "EWF image: no media size%s%s",
				      why[0] ? ": " : "", why);
	}
	if (libewf_handle_get_number_of_checksum_errors(img->handle, &img->checksum_errors, &e) != 1)
		libewf_error_free(&e);
	out->ops = &ewf_backend;
	out->impl = img;
	out->size = (uint64_t)size;
	out->kind = VMFS_SOURCE_EWF;
	return VMFS_OK;
}
