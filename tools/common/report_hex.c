/* Annotated hex dump: each field of a structure with its absolute offset,
 * offset in the structure, raw bytes and decoded value, in the style of the
 * annotated dumps in the field notes. Bytes between fields are shown too. */
#include "tools/common/report.h"

#include "tools/common/format.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BYTES_PER_LINE 16u

static void value_text(const vmfs_field *field, const uint8_t *s, char *out, size_t len)
{
	const uint8_t *p = s + field->offset;
	char tmp[320];
	switch (field->kind) {
	case VMFS_FIELD_UINT:
		snprintf(out, len, "%" PRIu64, vmfs_field_uint(field, s));
		break;
	case VMFS_FIELD_HEX:
		snprintf(out, len, "0x%" PRIx64, vmfs_field_uint(field, s));
		break;
	case VMFS_FIELD_UUID: {
		vmfs_uuid uuid;
		char text[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_from_bytes(&uuid, p);
		snprintf(out, len, "%s", vmfs_uuid_is_zero(&uuid) ? "(zero)" : vmfs_uuid_format(&uuid, text));
		break;
	}
	case VMFS_FIELD_TEXT: {
		char raw[257];
		size_t n = field->size < sizeof(raw) - 1 ? field->size : sizeof(raw) - 1;
		size_t used = 0;
		while (used < n && p[used])
			used++;
		memcpy(raw, p, used);
		raw[used] = 0;
		snprintf(out, len, "\"%s\"%s", fmt_safe_text(raw, tmp, sizeof(tmp)), used == n ? " (no NUL)" : "");
		break;
	}
	case VMFS_FIELD_TIME_US:
		snprintf(out, len, "%s", vmfs_le64(p) ? fmt_time_us(vmfs_le64(p), tmp, sizeof(tmp)) : "0 (unset)");
		break;
	case VMFS_FIELD_TIME_S:
		snprintf(out, len, "%s", vmfs_le32(p) ? fmt_time_s(vmfs_le32(p), tmp, sizeof(tmp)) : "0 (unset)");
		break;
	case VMFS_FIELD_BYTES:
	default: {
		bool zero = true;
		for (uint32_t i = 0; i < field->size; i++)
			zero &= p[i] == 0;
		snprintf(out, len, "%s", zero ? "(all zero)" : "(bytes)");
		break;
	}
	}
}

/* Prints bytes [from, to) of the structure as hex lines; all-zero runs longer
 * than one line are folded into a single line. */
static void dump_bytes(FILE *out, const uint8_t *s, uint64_t base, uint32_t from, uint32_t to, const char *label,
		       const char *value)
{
	bool first = true;
	for (uint32_t pos = from; pos < to;) {
		uint32_t n = to - pos < BYTES_PER_LINE ? to - pos : BYTES_PER_LINE;
		uint32_t zero_run = 0;
		while (pos + zero_run < to && s[pos + zero_run] == 0)
			zero_run++;
		char hex[3 * BYTES_PER_LINE + 1] = "";
		if (!first && zero_run >= 2 * BYTES_PER_LINE) {
			fprintf(out, "  0x%010" PRIx64 " +0x%03x  %-47s\n", base + pos, pos,
				"(zero bytes follow)");
			char note[64];
			snprintf(note, sizeof(note), "... %u zero bytes", zero_run);
			fprintf(out, "  %-12s %-6s  %-47s\n", "", "", note);
			pos += zero_run;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, "%02x ", s[pos + i]);
		if (first)
			fprintf(out, "  0x%010" PRIx64 " +0x%03x  %-48s %s = %s\n", base + pos, pos, hex, label, value);
		else
			fprintf(out, "  0x%010" PRIx64 " +0x%03x  %s\n", base + pos, pos, hex);
		first = false;
		pos += n;
	}
}

void report_hex_structure(FILE *out, vmfs_source *src, uint64_t offset, const vmfs_field_map *map)
{
	uint8_t *s = calloc(1, map->size);
	if (!s)
		return;
	fprintf(out, "\n  %s at 0x%" PRIx64 " (format reference %s), %u bytes defined\n", map->structure, offset,
		map->doc_section, map->size);
	if (vmfs_source_read(src, offset, s, map->size, NULL) != VMFS_OK) {
		fprintf(out, "  (not readable: past the end of the source)\n");
		free(s);
		return;
	}
	uint32_t pos = 0;
	char value[400];
	for (size_t i = 0; i < map->count; i++) {
		const vmfs_field *f = &map->fields[i];
		if (f->offset > pos)
			dump_bytes(out, s, offset, pos, f->offset, "(undefined)", "");
		value_text(f, s, value, sizeof(value));
		dump_bytes(out, s, offset, f->offset, f->offset + f->size, f->name, value);
		pos = f->offset + f->size;
	}
	free(s);
}
