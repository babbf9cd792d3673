/* mkseed: makes the seed inputs of the libFuzzer harnesses from generated
 * fixtures (fuzz/seeds.sh runs it; the real-image corpus is never used).
 *
 *   mkseed chunks [--control N] [--range START:END]... IMAGE OUT
 *       The chunk form the disk harnesses read (fuzz/common.h): the image
 *       size, the control bits, and every 512-byte sector that holds a
 *       non-zero byte, consecutive sectors merged into chunks of at most
 *       32 KiB, so a fixture of hundreds of MiB becomes a seed of a few KiB.
 *       --range keeps only the sectors inside [START, END) (bytes, decimal
 *       or 0x hex); up to 16 ranges.
 *   mkseed backup IMAGE OUT KIND:OFFSET:LENGTH...
 *       A backup file (vmfs_backup_save) of the given byte ranges of IMAGE:
 *       the format vmfs-backup writes, but with regions of a few KiB so that
 *       the backup harness runs fast.
 *
 * Exit status 0, or 2 with a message on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmfs/backup/backup.h"

#define SECTOR 512u
#define MAX_CHUNK (64u * SECTOR)
#define MAX_RANGES 16

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "mkseed: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(2);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("bad number", s);
	return v;
}

typedef struct range {
	uint64_t start, end;
} range;

static int in_ranges(const range *r, size_t n, uint64_t at)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (at >= r[i].start && at < r[i].end)
			return 1;
	return 0;
}

static void emit(FILE *out, uint64_t sector, const uint8_t *bytes, size_t len)
{
	uint8_t head[6];
	if (sector > UINT32_MAX)
		die("image too large for the chunk form (2 TiB)", NULL);
	put_le(head, sector, 4);
	put_le(head + 4, len, 2);
	if (fwrite(head, 1, sizeof(head), out) != sizeof(head) || fwrite(bytes, 1, len, out) != len)
		die("write failed", strerror(errno));
}

static int chunks(int argc, char **argv)
{
	range ranges[MAX_RANGES];
	size_t nranges = 0;
	uint64_t control = 0;
	int i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) {
			control = number(argv[++i]);
		} else if (strcmp(argv[i], "--range") == 0 && i + 1 < argc && nranges < MAX_RANGES) {
			char *spec = argv[++i], *colon = strchr(spec, ':');
			if (!colon)
				die("--range needs START:END", spec);
			*colon = 0;
			ranges[nranges].start = number(spec);
			ranges[nranges++].end = number(colon + 1);
		} else {
			die("usage: mkseed chunks [--control N] [--range START:END]... IMAGE OUT", NULL);
		}
	}
	if (argc - i != 2)
		die("usage: mkseed chunks [--control N] [--range START:END]... IMAGE OUT", NULL);
	int fd = open(argv[i], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die("cannot open", argv[i]);
	FILE *out = fopen(argv[i + 1], "wb");
	if (!out)
		die("cannot create", argv[i + 1]);

	uint64_t size = (uint64_t)st.st_size, sectors = (size + SECTOR - 1) / SECTOR;
	uint8_t head[8];
	put_le(head, sectors, 4);
	put_le(head + 4, sectors * SECTOR - size, 2);
	put_le(head + 6, control, 2);
	if (sectors > UINT32_MAX || fwrite(head, 1, sizeof(head), out) != sizeof(head))
		die("image too large for the chunk form (2 TiB)", NULL);

	static uint8_t chunk[MAX_CHUNK];
	uint8_t sector[SECTOR];
	size_t have = 0;
	uint64_t chunk_start = 0, pos = 0;
	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		if (data < 0)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		uint64_t end = hole < 0 ? size : (uint64_t)hole;
		for (uint64_t at = (uint64_t)data / SECTOR * SECTOR; at < end; at += SECTOR) {
			memset(sector, 0, sizeof(sector));
			ssize_t n = pread(fd, sector, SECTOR, (off_t)at);
			if (n < 0)
				die("read failed", strerror(errno));
			int nonzero = 0;
			for (ssize_t k = 0; k < n && !nonzero; k++)
				nonzero = sector[k] != 0;
			nonzero = nonzero && in_ranges(ranges, nranges, at);
			if (have && (!nonzero || at != chunk_start + have || have == MAX_CHUNK)) {
				emit(out, chunk_start / SECTOR, chunk, have);
				have = 0;
			}
			if (nonzero) {
				if (!have)
					chunk_start = at;
				size_t len = at + SECTOR > size ? (size_t)(size - at) : SECTOR;
				memcpy(chunk + have, sector, len);
				have += len;
			}
		}
		pos = end;
	}
	if (have)
		emit(out, chunk_start / SECTOR, chunk, have);
	if (fclose(out) != 0)
		die("write failed", strerror(errno));
	close(fd);
	return 0;
}

static int backup(int argc, char **argv)
{
	if (argc < 3)
		die("usage: mkseed backup IMAGE OUT KIND:OFFSET:LENGTH...", NULL);
	int fd = open(argv[0], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die("cannot open", argv[0]);
	vmfs_backup b;
	vmfs_error err;
	vmfs_backup_source source = {
		.path = argv[0], .size = (uint64_t)st.st_size, .sector_size = 512, .kind = VMFS_BACKUP_SOURCE_FILE,
		.host = "fuzz-seed", .tool = "mkseed", .manifest = "{\"seed\": true}\n",
	};
	if (vmfs_backup_init(&b, &source, &err) != VMFS_OK)
		die("vmfs_backup_init", err.reason);
	for (int i = 2; i < argc; i++) {
		char *kind = argv[i], *off = strchr(kind, ':'), *len = off ? strchr(off + 1, ':') : NULL;
		if (!len)
			die("a region is KIND:OFFSET:LENGTH", argv[i]);
		*off++ = 0;
		*len++ = 0;
		uint64_t offset = number(off), length = number(len);
		uint8_t *data = calloc(1, length ? length : 1);
		if (!data || pread(fd, data, length, (off_t)offset) < 0)
			die("cannot read the region", kind);
		if (vmfs_backup_add(&b, kind, VMFS_BACKUP_NO_DEVICE, offset, data, length, &err) != VMFS_OK)
			die("vmfs_backup_add", err.reason);
		free(data);
	}
	if (vmfs_backup_save(argv[1], &b, &err) != VMFS_OK)
		die("vmfs_backup_save", err.reason);
	vmfs_backup_free(&b);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "chunks") == 0)
		return chunks(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "backup") == 0)
		return backup(argc - 2, argv + 2);
	die("usage: mkseed chunks|backup ... (see fuzz/mkseed.c)", NULL);
}
