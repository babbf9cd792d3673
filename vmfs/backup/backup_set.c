/* The backups of one source in a folder (see backup_set.h). */
#include "vmfs/backup/backup_set.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Copies at most max bytes of text, every byte outside [A-Za-z0-9._-]
 * turned into '_', so that the result is one safe file-name component. */
static size_t put_safe(char *out, const char *text, size_t max)
{
	size_t n = 0;
	for (; text[n] && n < max; n++) {
		unsigned char c = (unsigned char)text[n];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '-';
		out[n] = keep ? (char)c : '_';
	}
	out[n] = '\0';
	return n;
}

void vmfs_backup_set_key(const char *wwid, const char *serial, const char *canonical_path, char *out)
{
	if (wwid && wwid[0]) {
		memcpy(out, "wwid-", 5);
		put_safe(out + 5, wwid, VMFS_BACKUP_SET_KEY_MAX - 5);
	} else if (serial && serial[0]) {
		memcpy(out, "serial-", 7);
		put_safe(out + 7, serial, VMFS_BACKUP_SET_KEY_MAX - 7);
	} else {
		struct sha256_ctx ctx;
		uint8_t digest[SHA256_DIGEST_SIZE];
		sha256_init(&ctx);
		sha256_update(&ctx, strlen(canonical_path), (const uint8_t *)canonical_path);
		sha256_digest(&ctx, sizeof(digest), digest);
		snprintf(out, VMFS_BACKUP_SET_KEY_MAX + 1, "path-%02x%02x%02x%02x%02x%02x", digest[0], digest[1],
			 digest[2], digest[3], digest[4], digest[5]);
	}
}

void vmfs_backup_set_prefix(const char *canonical_path, const char *wwid, const char *serial, char *out)
{
	const char *slash = strrchr(canonical_path, '/');
	const char *base = slash && slash[1] ? slash + 1 : canonical_path;
	size_t n = put_safe(out, base, VMFS_BACKUP_SET_BASE_MAX);
	out[n++] = '-';
	vmfs_backup_set_key(wwid, serial, canonical_path, out + n);
	n += strlen(out + n);
	out[n++] = '-';
	out[n] = '\0';
}

void vmfs_backup_set_name(const char *prefix, const struct timespec *when, char *out)
{
	struct tm tm;
	time_t seconds = when->tv_sec;
	gmtime_r(&seconds, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(out, VMFS_BACKUP_SET_NAME_MAX + 1, "%s%s.%06ldZ%s", prefix, stamp, (long)(when->tv_nsec / 1000),
		 VMFS_BACKUP_SET_SUFFIX);
}

bool vmfs_backup_set_name_matches(const char *name, const char *prefix)
{
	size_t p = strlen(prefix);
	if (strncmp(name, prefix, p) != 0)
		return false;
	const char *stamp = name + p;
	/* YYYYMMDDTHHMMSS.uuuuuuZ */
	static const char shape[] = "ddddddddTdddddd.ddddddZ";
	for (size_t i = 0; i < VMFS_BACKUP_SET_STAMP_LEN; i++) {
		char want = shape[i], c = stamp[i];
		if (want == 'd' ? !(c >= '0' && c <= '9') : c != want)
			return false;
	}
	return strcmp(stamp + VMFS_BACKUP_SET_STAMP_LEN, VMFS_BACKUP_SET_SUFFIX) == 0;
}

void vmfs_backup_set_free(vmfs_backup_set *set)
{
	if (!set)
		return;
	free(set->names);
	free(set->others);
	memset(set, 0, sizeof(*set));
}

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int other_by_name(const void *a, const void *b)
{
	return strcmp(((const vmfs_backup_set_other *)a)->name, ((const vmfs_backup_set_other *)b)->name);
}

/* Grows *array (of `size`-byte items, *cap of them) to hold one more. */
static bool grow(void **array, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : 16;
	void *bigger = realloc(*array, want * size);
	if (!bigger)
		return false;
	*array = bigger;
	*cap = want;
	return true;
}

/* Why the file at path, whose name matched, is not one of the source's
 * backups; "" when it is. */
static void check_member(const char *path, const char *key, char *why, size_t len)
{
	why[0] = '\0';
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return;
	}
	vmfs_backup b;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_backup_load(path, &b, &err) != VMFS_OK) {
		vmfs_error_format(&err, why, len);
		return;
	}
	char theirs[VMFS_BACKUP_SET_KEY_MAX + 1];
	vmfs_backup_set_key(b.wwid, b.serial, b.source_path, theirs);
	if (strcmp(theirs, key) != 0)
		snprintf(why, len, "its header names another source (%.300s, %s)", b.source_path, theirs);
	vmfs_backup_free(&b);
}

vmfs_status vmfs_backup_set_list(const char *dir, const char *prefix, const char *key, vmfs_backup_set *out,
				 vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		vmfs_status st = vmfs_error_set(err, VMFS_ERR_IO, dir, VMFS_NO_OFFSET, "cannot read the folder: %s",
						strerror(e));
		if (err)
			err->sys_errno = e;
		return st;
	}
	size_t cap = 0, cap_others = 0;
	vmfs_status st = VMFS_OK;
	struct dirent *e;
	while (st == VMFS_OK && (e = readdir(d)) != NULL) {
		if (strlen(e->d_name) > VMFS_BACKUP_SET_NAME_MAX || !vmfs_backup_set_name_matches(e->d_name, prefix))
			continue;
		char path[4096 + VMFS_BACKUP_SET_NAME_MAX + 2], why[512];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			snprintf(why, sizeof(why), "path too long");
		else
			check_member(path, key, why, sizeof(why));
		if (!why[0]) {
			if (!grow((void **)&out->names, &cap, out->count, sizeof(*out->names)))
				st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, dir, VMFS_NO_OFFSET, "out of memory");
			else
				snprintf(out->names[out->count++], sizeof(*out->names), "%s", e->d_name);
		} else {
			if (!grow((void **)&out->others, &cap_others, out->num_others, sizeof(*out->others))) {
				st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, dir, VMFS_NO_OFFSET, "out of memory");
			} else {
				vmfs_backup_set_other *o = &out->others[out->num_others++];
				snprintf(o->name, sizeof(o->name), "%s", e->d_name);
				snprintf(o->reason, sizeof(o->reason), "%s", why);
			}
		}
	}
	closedir(d);
	if (st != VMFS_OK) {
		vmfs_backup_set_free(out);
		return st;
	}
	/* Fixed-width stamps after one prefix: name order is time order. */
	if (out->count)
		qsort(out->names, out->count, sizeof(*out->names), by_name);
	if (out->num_others)
		qsort(out->others, out->num_others, sizeof(*out->others), other_by_name);
	return VMFS_OK;
}

bool vmfs_backup_same_metadata(const vmfs_backup *a, const vmfs_backup *b)
{
	if (a->source_size != b->source_size || a->sector_size != b->sector_size || strcmp(a->wwid, b->wwid) != 0 ||
	    strcmp(a->serial, b->serial) != 0 || strcmp(a->vendor, b->vendor) != 0 ||
	    strcmp(a->model, b->model) != 0 || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		const vmfs_backup_region *x = &a->regions[i], *y = &b->regions[i];
		if (strcmp(x->kind, y->kind) != 0 || x->device != y->device || x->offset != y->offset ||
		    x->length != y->length || memcmp(x->sha256, y->sha256, sizeof(x->sha256)) != 0)
			return false;
	}
	return true;
}
