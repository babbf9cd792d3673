/* Streaming hashes of a source (see hash.h), through nettle. */
#include "vmfs/source/hash.h"

#include <fcntl.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BUFFER (4u << 20)

typedef struct hash_state {
	struct sha256_ctx sha256;
	struct md5_ctx md5;
	struct sha1_ctx sha1;
	bool sha1_on;
} hash_state;

static void feed(hash_state *h, const uint8_t *data, size_t len)
{
	sha256_update(&h->sha256, len, data);
	md5_update(&h->md5, len, data);
	if (h->sha1_on)
		sha1_update(&h->sha1, len, data);
}

vmfs_status vmfs_source_hash(vmfs_source *src, bool sha1, void (*progress)(void *context, uint64_t done, uint64_t total),
			     void *context, vmfs_hashes *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	const uint64_t size = vmfs_source_size(src);
	/* Page-aligned, as the deep scan's buffer: large sequential reads. */
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, 4096, HASH_BUFFER) != 0)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	hash_state h;
	sha256_init(&h.sha256);
	md5_init(&h.md5);
	sha1_init(&h.sha1);
	h.sha1_on = sha1;
	vmfs_source_advise(src, 0, size, POSIX_FADV_SEQUENTIAL);
	vmfs_status st = VMFS_OK;
	uint64_t offset = 0;
	bool zeros_ready = false;
	while (offset < size && st == VMFS_OK) {
		uint64_t start = size, end = size;
		if (!vmfs_source_next_data(src, offset, &start, &end))
			start = end = size;
		if (start > offset) {
			/* A hole: zeros, hashed without a read. */
			if (!zeros_ready) {
				memset(buf, 0, HASH_BUFFER);
				zeros_ready = true;
			}
			uint64_t n = start - offset < HASH_BUFFER ? start - offset : HASH_BUFFER;
			feed(&h, buf, (size_t)n);
			offset += n;
		} else {
			uint64_t stop = end < size ? end : size;
			uint64_t n = stop - offset < HASH_BUFFER ? stop - offset : HASH_BUFFER;
			st = vmfs_source_read(src, offset, buf, (size_t)n, err);
			zeros_ready = false;
			if (st != VMFS_OK)
				break;
			feed(&h, buf, (size_t)n);
			offset += n;
			out->bytes_read += n;
		}
		if (progress)
			progress(context, offset, size);
	}
	free(buf);
	if (st != VMFS_OK)
		return st;
	out->bytes = size;
	sha256_digest(&h.sha256, sizeof(out->sha256), out->sha256);
	md5_digest(&h.md5, sizeof(out->md5), out->md5);
	if (sha1) {
		sha1_digest(&h.sha1, sizeof(out->sha1), out->sha1);
		out->has_sha1 = true;
	}
	return VMFS_OK;
}
