/* libFuzzer harness: device identifiers (format reference 8) and the names a
 * diskID block (3.2) corresponds to.
 *
 * The input is the identifier text: a NUL-terminated copy of exactly the
 * input goes to vmfs_ident_parse (an embedded NUL ends the text early, as it
 * would on a command line). The same bytes, zero-padded to 78, are decoded as
 * a diskID block, and vmfs_vml_from_disk_id / vmfs_canonical_from_disk_id
 * run with a full buffer, then with one of exactly the needed size and one a
 * byte short (which must fail cleanly), each malloc'd to its exact size so a
 * write past it is caught.
 *
 * Two properties are checked (abort() on violation): the canonical name of a
 * parsed identifier parses again and is its own canonical name; the canonical
 * name of a diskID block parses. */
#include "fuzz/common.h"

#include "vmfs/format/ident.h"
#include "vmfs/format/lvm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_canonical(const char *canonical, const char *from)
{
	vmfs_ident again;
	vmfs_error err;
	if (vmfs_ident_parse(canonical, &again, &err) != VMFS_OK) {
		fprintf(stderr, "fuzz_ident: canonical name \"%s\" of %s does not parse: %s\n", canonical, from,
			err.reason);
		abort();
	}
	if (strcmp(again.canonical, canonical) != 0) {
		fprintf(stderr, "fuzz_ident: canonical name \"%s\" of %s has the canonical name \"%s\"\n", canonical,
			from, again.canonical);
		abort();
	}
}

typedef vmfs_status (*name_fn)(const vmfs_disk_id *id, char *out, size_t outlen, vmfs_error *err);

/* Runs fn with a large buffer, then with exactly the needed size and one byte
 * less; returns the name (static) or NULL. */
static const char *name_of(name_fn fn, const vmfs_disk_id *id)
{
	static char full[VMFS_IDENT_MAX_TEXT];
	vmfs_error err;
	if (fn(id, full, sizeof(full), &err) != VMFS_OK)
		return NULL;
	size_t need = strlen(full) + 1;
	char *exact = malloc(need);
	if (exact) {
		if (fn(id, exact, need, &err) != VMFS_OK || strcmp(exact, full) != 0) {
			fprintf(stderr, "fuzz_ident: \"%s\" not reproduced in a %zu-byte buffer\n", full, need);
			abort();
		}
		free(exact);
	}
	char *shorter = malloc(need - 1 ? need - 1 : 1);
	if (shorter) {
		if (fn(id, shorter, need - 1, &err) != VMFS_ERR_INVALID_ARG) {
			fprintf(stderr, "fuzz_ident: \"%s\" accepted a %zu-byte buffer\n", full, need - 1);
			abort();
		}
		free(shorter);
	}
	return full;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	vmfs_ident id;
	vmfs_error err;
	if (vmfs_ident_parse(text, &id, &err) == VMFS_OK) {
		(void)vmfs_ident_kind_name(id.kind);
		if (id.canonical[0])
			check_canonical(id.canonical, text);
	}
	free(text);

	uint8_t *block = fuzz_padded_copy(data, size, VMFS_DISK_ID_SIZE);
	if (!block)
		return 0;
	vmfs_disk_id disk_id;
	vmfs_disk_id_decode(block, &disk_id);
	free(block);
	(void)vmfs_disk_id_type_name(disk_id.type);
	(void)name_of(vmfs_vml_from_disk_id, &disk_id);
	const char *canonical = name_of(vmfs_canonical_from_disk_id, &disk_id);
	if (canonical)
		check_canonical(canonical, "a diskID block");
	return 0;
}
