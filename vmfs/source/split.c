/* Split raw images: one raw disk cut into segment files of equal size (the
 * last may be shorter), as `split -b`, `split -d` and acquisition tools
 * write them. No content tells a segment from a raw image, so the set is
 * recognised by its names and sizes together:
 *  - the file given ends in a numeric suffix of 2 to 4 digits whose value is
 *    0, or 1 when no sibling numbered 0 exists (disk.000, disk.001, x00,
 *    disk.01), or in the two-letter suffix "aa" (xaa, disk.img.aa);
 *  - the next name (suffix + 1, same width; "ab" after "aa") exists: the
 *    segments are every consecutive name from the first to the first
 *    missing one;
 *  - every segment is a non-empty regular file and all but the last have the
 *    same size, the last at most that size.
 * A later segment given on its own (disk.002 beside disk.001) is refused
 * with the first segment's name: read alone it is not the disk. A lone
 * disk.001 without siblings is a plain raw file (the same bytes either way).
 * Segments are opened read-only one at a time, as reads reach them. */
#include "vmfs/source/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct suffix {
	size_t at;       /* where the suffix starts in the path */
	unsigned width;
	bool alpha;
	unsigned value;  /* numeric value, or 26 * first letter + second */
	unsigned limit;  /* number of names the width allows */
} suffix;

static bool parse_suffix(const char *path, suffix *s)
{
	size_t len = strlen(path);
	const char *base = strrchr(path, '/');
	size_t base_at = base ? (size_t)(base - path) + 1 : 0;
	size_t digits = 0;
	while (digits < len - base_at && path[len - 1 - digits] >= '0' && path[len - 1 - digits] <= '9')
		digits++;
	if (digits >= 2 && digits <= 4 && len - base_at > digits) {
		s->at = len - digits;
		s->width = (unsigned)digits;
		s->alpha = false;
		s->value = 0;
		s->limit = 1;
		for (size_t i = 0; i < digits; i++) {
			s->value = s->value * 10 + (unsigned)(path[s->at + i] - '0');
			s->limit *= 10;
		}
		return true;
	}
	if (digits == 0 && len - base_at > 2 && path[len - 1] >= 'a' && path[len - 1] <= 'z' && path[len - 2] >= 'a' &&
	    path[len - 2] <= 'z') {
		s->at = len - 2;
		s->width = 2;
		s->alpha = true;
		s->value = (unsigned)(path[len - 2] - 'a') * 26 + (unsigned)(path[len - 1] - 'a');
		s->limit = 26 * 26;
		return true;
	}
	return false;
}

/* path with its suffix replaced by value; false when value is out of range. */
static bool sibling(const char *path, const suffix *s, unsigned value, char *out, size_t len)
{
	if (value >= s->limit || strlen(path) >= len)
		return false;
	memcpy(out, path, s->at);
	if (s->alpha)
		snprintf(out + s->at, len - s->at, "%c%c", 'a' + value / 26, 'a' + value % 26);
	else
		snprintf(out + s->at, len - s->at, "%0*u", (int)s->width, value);
	return true;
}

static bool is_file(const char *path, uint64_t *size)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (size)
		*size = (uint64_t)st.st_size;
	return true;
}

/* The value of the first segment of the set path would start, or false. */
static bool first_value(const char *path, suffix *s, unsigned *first)
{
	if (!parse_suffix(path, s))
		return false;
	char name[PATH_MAX];
	if (s->alpha) {
		*first = 0;
		return s->value == 0;
	}
	if (s->value == 0 || (s->value == 1 && !(sibling(path, s, 0, name, sizeof(name)) && is_file(name, NULL)))) {
		*first = s->value;
		return true;
	}
	return false;
}

static size_t count_segments(const char *path, const suffix *s, unsigned first)
{
	char name[PATH_MAX];
	size_t n = 0;
	while (sibling(path, s, first + (unsigned)n, name, sizeof(name)) && is_file(name, NULL))
		n++;
	return n;
}

bool vmfs_split_is_first(const char *path, size_t *count)
{
	suffix s;
	unsigned first;
	if (!first_value(path, &s, &first))
		return false;
	size_t n = count_segments(path, &s, first);
	if (count)
		*count = n;
	return n >= 2;
}

bool vmfs_split_later_segment(const char *path, char *first_name, size_t len)
{
	suffix s;
	if (!parse_suffix(path, &s) || s.value == 0)
		return false;
	char prev[PATH_MAX];
	if (!sibling(path, &s, s.value - 1, prev, sizeof(prev)) || !is_file(prev, NULL))
		return false;
	/* Walk back to the first segment of the run. */
	unsigned v = s.value - 1;
	while (v > 0 && sibling(path, &s, v - 1, prev, sizeof(prev)) && is_file(prev, NULL))
		v--;
	sibling(path, &s, v, first_name, len);
	return true;
}

typedef struct split_set {
	char **names;
	uint64_t *sizes;
	size_t count;
	uint64_t segment;  /* size of every segment but the last */
	int fd;            /* the segment last read, or -1 */
	size_t fd_index;
} split_set;

static void split_close(void *impl)
{
	split_set *set = impl;
	if (!set)
		return;
	if (set->fd >= 0)
		close(set->fd);
	for (size_t i = 0; i < set->count; i++)
		free(set->names[i]);
	free(set->names);
	free(set->sizes);
	free(set);
}

static vmfs_status segment_fd(split_set *set, size_t index, const char *path, vmfs_error *err)
{
	if (set->fd >= 0 && set->fd_index == index)
		return VMFS_OK;
	if (set->fd >= 0)
		close(set->fd);
	set->fd = open(set->names[index], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (set->fd < 0) {
		int e = errno;
		vmfs_error_set(err, VMFS_ERR_IO, path, (uint64_t)index * set->segment,
			       "split raw image: cannot open segment %s: %s", set->names[index], strerror(e));
		if (err)
			err->sys_errno = e;
		return VMFS_ERR_IO;
	}
	set->fd_index = index;
	return VMFS_OK;
}

static vmfs_status split_read(void *impl, const char *path, uint64_t offset, void *buf, size_t len, vmfs_error *err)
{
	split_set *set = impl;
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		uint64_t at = offset + done;
		size_t index = (size_t)(at / set->segment);
		if (index >= set->count)
			index = set->count - 1;
		uint64_t base = (uint64_t)index * set->segment;
		uint64_t in = at - base;
		if (in >= set->sizes[index])
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, at, "split raw image: segment %s ends at 0x%llx",
					      set->names[index], (unsigned long long)set->sizes[index]);
		vmfs_status st = segment_fd(set, index, path, err);
		if (st != VMFS_OK)
			return st;
		uint64_t room = set->sizes[index] - in;
		size_t want = len - done < room ? len - done : (size_t)room;
		ssize_t n = pread(set->fd, p + done, want, (off_t)in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			vmfs_error_set(err, VMFS_ERR_IO, path, at, "split raw image: read of segment %s at 0x%llx failed: %s",
				       set->names[index], (unsigned long long)in, strerror(e));
			if (err)
				err->sys_errno = e;
			return VMFS_ERR_IO;
		}
		if (n == 0)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, at,
					      "split raw image: segment %s shrank while being read (ends before 0x%llx)",
					      set->names[index], (unsigned long long)in);
		done += (size_t)n;
	}
	return VMFS_OK;
}

/* Holes of the segment files (SEEK_DATA/SEEK_HOLE), segment by segment. */
static bool split_next_data(void *impl, uint64_t size, uint64_t from, uint64_t *start, uint64_t *end)
{
	split_set *set = impl;
	while (from < size) {
		size_t index = (size_t)(from / set->segment);
		if (index >= set->count)
			return false;
		uint64_t base = (uint64_t)index * set->segment;
		uint64_t seg_end = base + set->sizes[index];
		if (segment_fd(set, index, "", NULL) != VMFS_OK) {
			*start = from;
			*end = seg_end;
			return true;
		}
		off_t data = lseek(set->fd, (off_t)(from - base), SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO) {
				from = seg_end; /* only a hole remains in this segment */
				continue;
			}
			*start = from;
			*end = seg_end;
			return true;
		}
		off_t hole = lseek(set->fd, data, SEEK_HOLE);
		*start = base + (uint64_t)data;
		*end = hole < 0 || (uint64_t)hole > set->sizes[index] ? seg_end : base + (uint64_t)hole;
		if (*start < *end)
			return true;
		from = seg_end;
	}
	return false;
}

static const vmfs_source_backend split_backend = {
	.read = split_read,
	.next_data = split_next_data,
	.advise = NULL, /* segments are reopened as reads move: advice would not stick */
	.close = split_close,
};

vmfs_status vmfs_split_open(const char *path, vmfs_source_opened *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	suffix s;
	unsigned first;
	if (!first_value(path, &s, &first))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "not the first segment of a split raw image");
	size_t count = count_segments(path, &s, first);
	split_set *set = calloc(1, sizeof(*set));
	if (set) {
		set->fd = -1;
		set->names = calloc(count ? count : 1, sizeof(*set->names));
		set->sizes = calloc(count ? count : 1, sizeof(*set->sizes));
	}
	if (!set || !set->names || !set->sizes) {
		split_close(set);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	uint64_t total = 0;
	for (size_t i = 0; i < count; i++) {
		char name[PATH_MAX];
		sibling(path, &s, first + (unsigned)i, name, sizeof(name));
		set->names[i] = strdup(name);
		set->count = i + 1;
		if (!set->names[i]) {
			split_close(set);
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		}
		if (!is_file(name, &set->sizes[i]) || set->sizes[i] == 0) {
			split_close(set);
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, total,
					      "split raw image: segment %s is missing or empty", name);
		}
		if (i == 0)
			set->segment = set->sizes[0];
		else if (set->sizes[i - 1] != set->segment || set->sizes[i] > set->segment) {
			size_t bad = set->sizes[i - 1] != set->segment ? i - 1 : i;
			vmfs_status st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, total,
							"split raw image: segment %s is %llu bytes, the first is %llu: "
							"every segment but the last must have the first one's size "
							"(a segment is truncated, or the files are not one set)",
							set->names[bad], (unsigned long long)set->sizes[bad],
							(unsigned long long)set->segment);
			split_close(set);
			return st;
		}
		total += set->sizes[i];
	}
	out->ops = &split_backend;
	out->impl = set;
	out->size = total;
	out->kind = VMFS_SOURCE_SPLIT_RAW;
	return VMFS_OK;
}
