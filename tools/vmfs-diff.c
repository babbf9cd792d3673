/* vmfs-diff: field-level comparison of two VMFS sources (devices, images or
 * vmfs-backup files), with what the differences mean for ESXi. Both sides
 * are opened O_RDONLY; the comparison itself is vmfs/compare/diff.h. */
#include "tools/common/cli.h"
#include "tools/common/live.h"
#include "tools/common/format.h"
#include "vmfs/backup/backup.h"
#include "vmfs/compare/diff.h"
#include "vmfs/discover/discover.h"
#include "vmfs/source/source.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "vmfs-diff";

struct diff_control {
	bool json, quiet;
	vmfs_disk_options disk[2];   /* per side: offset and sector size */
	size_t max_listed;
};

/* One side as opened: the source, its analysis, and for a backup file the
 * loaded record (identity and the ranges it holds). */
struct side {
	const char *path;
	vmfs_source *src;
	vmfs_discovery discovery;   /* this side's source (vmfs/discover/discover.h) */
	const vmfs_disk *disk;      /* discovery.disks[0] */
	bool have_disk;
	bool is_backup;
	vmfs_backup backup;
	vmfs_diff_range *held;
	size_t num_held;
	vmfs_error err;
	bool failed;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] A B\n"
	       "\n"
	       "Compare two VMFS sources field by field: partition table, LVM device headers\n"
	       "(diskID: LUN, vendor, model, id), volume, device-name and PE tables, file-system\n"
	       "descriptors, and the metadata bytes no decoded field explains. A and B are disks,\n"
	       "partitions, images or vmfs-backup files; both are opened read-only.\n"
	       "\n"
	       "Options:\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            no text output, only the exit status (and errors on stderr;\n"
	       "                         with --json the document is still printed)\n"
	       "  -o, --offset OFFSET    a VMFS partition starts OFFSET into both A and B (no table is\n"
	       "                         read): bytes, 0x for hex, K/KiB M/MiB G/GiB T/TiB (1024),\n"
	       "                         KB MB GB TB (1000), or sectors with s (2048s)\n"
	       "      --offset-a OFFSET  the same for A only\n"
	       "      --offset-b OFFSET  the same for B only\n"
	       "  -b, --sector-size N    logical sector size of both images: 512 or 4096 (default: detect)\n"
	       "  -m, --max N            raw ranges and extent differences listed per device (default %u,\n"
	       "                         0 = no limit); the rest are counted\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 identical; 1 different; 2 error (a side cannot be opened or read);\n"
	       "3 bad usage. --json: one document, schema in share/vmfs/vmfs-tools.schema.json.\n"
	       "See vmfs-diff(1).\n", prog, VMFS_DIFF_DEFAULT_MAX_LISTED);
}

static bool open_side(const struct diff_control *ctl, int index, struct side *s)
{
	vmfs_error_clear(&s->err);
	vmfs_status st;
	if (vmfs_backup_is_backup_file(s->path)) {
		/* The record gives the identity and the ranges held; the source reads
		 * like the original device (zeros outside those ranges). */
		s->is_backup = true;
		st = vmfs_backup_load(s->path, &s->backup, &s->err);
		if (st == VMFS_OK)
			st = vmfs_diff_held_from_backup(&s->backup, &s->held, &s->num_held, &s->err);
		if (st == VMFS_OK)
			st = vmfs_backup_open_source(s->path, &s->src, &s->err);
	} else {
		st = vmfs_source_open(s->path, &s->src, &s->err);
	}
	if (st == VMFS_OK && ctl->disk[index].sector_size)
		vmfs_source_set_sector_size(s->src, ctl->disk[index].sector_size);
	if (st == VMFS_OK && (st = vmfs_discover(&s->src, 1, &ctl->disk[index], &s->discovery, &s->err)) == VMFS_OK) {
		s->have_disk = true;
		s->disk = &s->discovery.disks[0];
	}
	if (st != VMFS_OK) {
		s->failed = true;
		cli_print_error(prog, &s->err);
		return false;
	}
	return true;
}

static void close_side(struct side *s)
{
	if (s->have_disk)
		vmfs_discovery_free(&s->discovery);
	vmfs_source_close(s->src);
	vmfs_backup_free(&s->backup);
	free(s->held);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static json_object *jtext(const char *text)
{
	char safe[2048];
	return json_object_new_string(fmt_safe_text(text, safe, sizeof(safe)));
}

static json_object *joffset(uint64_t offset)
{
	return offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(offset);
}

static json_object *jindex(uint32_t value)
{
	return value == VMFS_DIFF_NONE ? NULL : json_object_new_uint64(value);
}

static json_object *side_json(const struct side *s)
{
	if (s->failed || !s->src)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", jtext(s->path));
	json_object_object_add(o, "kind", json_object_new_string(vmfs_source_kind_name(vmfs_source_kind_of(s->src))));
	json_object_object_add(o, "size", json_object_new_uint64(vmfs_source_size(s->src)));
	json_object_object_add(o, "sector_size", json_object_new_uint64(s->disk->table.sector_size));
	json_object_object_add(o, "partition_table", json_object_new_string(s->disk->table.label));
	json_object_object_add(o, "devices", json_object_new_uint64(s->disk->num_devices));
	if (s->is_backup) {
		char when[48];
		json_object_object_add(o, "backup_of", jtext(s->backup.source_path));
		json_object_object_add(o, "backup_created",
				       json_object_new_string(fmt_time_s(s->backup.created, when, sizeof(when))));
		json_object_object_add(o, "backup_regions", json_object_new_uint64(s->backup.count));
	}
	return o;
}

static json_object *pair_side_json(const vmfs_device *dev, uint64_t offset, uint32_t partition)
{
	if (offset == VMFS_NO_OFFSET)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "offset", json_object_new_uint64(offset));
	json_object_object_add(o, "partition", partition ? json_object_new_uint64(partition) : NULL);
	json_object_object_add(o, "decoded", json_object_new_boolean(dev != NULL));
	json_object_object_add(o, "header_offset", dev && dev->has_lvm ? json_object_new_uint64(dev->header_offset) : NULL);
	json_object_object_add(o, "fs_offset", dev && dev->fs_located ? json_object_new_uint64(dev->fs_offset) : NULL);
	return o;
}

static json_object *difference_json(const vmfs_difference *d)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "scope", json_object_new_string(vmfs_diff_scope_name(d->scope)));
	json_object_object_add(o, "field", json_object_new_string(d->field));
	json_object_object_add(o, "format_name", d->format_name ? json_object_new_string(d->format_name) : NULL);
	json_object_object_add(o, "device", jindex(d->device));
	json_object_object_add(o, "partition", d->partition ? json_object_new_uint64(d->partition) : NULL);
	json_object_object_add(o, "map", jindex(d->map));
	json_object_object_add(o, "index", jindex(d->index));
	json_object_object_add(o, "change", json_object_new_string(vmfs_diff_change_name(d->change)));
	json_object_object_add(o, "offset_a", joffset(d->offset_a));
	json_object_object_add(o, "offset_b", joffset(d->offset_b));
	json_object_object_add(o, "size", json_object_new_uint64(d->size));
	json_object_object_add(o, "a", d->has_a ? jtext(d->a) : NULL);
	json_object_object_add(o, "b", d->has_b ? jtext(d->b) : NULL);
	if (d->scope == VMFS_DIFF_SCOPE_RAW) {
		json_object_object_add(o, "area", json_object_new_string(d->area));
		json_object_object_add(o, "length", json_object_new_uint64(d->size));
		json_object_object_add(o, "differing_bytes", json_object_new_uint64(d->differing_bytes));
	}
	return o;
}

/* The one document of --json; diff is NULL when no comparison was made,
 * compare_err set when the comparison itself failed. */
static json_object *document(const struct side sides[2], const vmfs_diff *diff, const vmfs_error *compare_err,
			     int status)
{
	json_object *doc = cli_doc_new(prog);
	json_object_object_add(doc, "a", side_json(&sides[0]));
	json_object_object_add(doc, "b", side_json(&sides[1]));
	json_object_object_add(doc, "identical", diff ? json_object_new_boolean(vmfs_diff_identical(diff)) : NULL);
	json_object *pairs = json_object_new_array();
	json_object *differences = json_object_new_array();
	json_object *interpretations = json_object_new_array();
	json_object *errors = json_object_new_array();
	for (size_t i = 0; diff && i < diff->num_pairs; i++) {
		const vmfs_diff_pair *p = &diff->pairs[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_uint64(i));
		json_object_object_add(o, "paired_by", json_object_new_string(p->paired_by));
		json_object_object_add(o, "a", pair_side_json(p->a, p->offset_a, p->partition_a));
		json_object_object_add(o, "b", pair_side_json(p->b, p->offset_b, p->partition_b));
		json_object_array_add(pairs, o);
	}
	for (size_t i = 0; diff && i < diff->count; i++)
		json_object_array_add(differences, difference_json(&diff->differences[i]));
	for (size_t i = 0; diff && i < diff->num_interpretations; i++) {
		const vmfs_diff_interpretation *in = &diff->interpretations[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(in->code));
		json_object_object_add(o, "severity", json_object_new_string(vmfs_severity_name(in->severity)));
		json_object_object_add(o, "message", jtext(in->message));
		json_object_object_add(o, "action", in->action[0] ? jtext(in->action) : NULL);
		json_object_object_add(o, "device", jindex(in->device));
		json_object_object_add(o, "partition", in->partition ? json_object_new_uint64(in->partition) : NULL);
		json_object_array_add(interpretations, o);
	}
	for (int x = 0; x < 2; x++)
		if (sides[x].failed)
			json_object_array_add(errors, cli_error_item(&sides[x].err, sides[x].path));
	if (compare_err)
		json_object_array_add(errors, cli_error_item(compare_err, NULL));
	json_object_object_add(doc, "devices", pairs);
	json_object_object_add(doc, "differences", differences);
	json_object_object_add(doc, "interpretations", interpretations);
	json_object_object_add(doc, "truncated", json_object_new_uint64(diff ? diff->truncated : 0));
	json_object_object_add(doc, "errors", errors);
	json_object_object_add(doc, "exit_status", json_object_new_int(status));
	return doc;
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */

static void print_side(const char *name, const struct side *s)
{
	char size[32], safe[1100], when[48];
	uint64_t bytes = vmfs_source_size(s->src);
	printf("%s: %s (%s, %" PRIu64 " bytes = %s, %u-byte sectors", name, fmt_safe_text(s->path, safe, sizeof(safe)),
	       vmfs_source_kind_name(vmfs_source_kind_of(s->src)), bytes, fmt_size(bytes, size, sizeof(size)),
	       s->disk->table.sector_size);
	if (s->is_backup)
		printf("; backup of %s made %s", fmt_safe_text(s->backup.source_path, safe, sizeof(safe)),
		       fmt_time_s(s->backup.created, when, sizeof(when)));
	printf(")\n");
}

static void print_offset(const char *name, uint64_t offset)
{
	if (offset == VMFS_NO_OFFSET)
		printf("%s -", name);
	else
		printf("%s 0x%" PRIx64, name, offset);
}

static void print_value(const vmfs_difference *d, bool has, const char *value)
{
	char safe[VMFS_DIFF_VALUE_LEN * 4 + 8];
	if (!has)
		printf("(absent)");
	else if (d->kind == VMFS_FIELD_TEXT && d->format_name) /* on-disk text, not a derived name */
		printf("\"%s\"", fmt_safe_text(value, safe, sizeof(safe)));
	else
		printf("%s", fmt_safe_text(value, safe, sizeof(safe)));
}

static void print_difference(const vmfs_difference *d)
{
	char name[VMFS_DIFF_FIELD_LEN + 32];
	if (d->map != VMFS_DIFF_NONE)
		snprintf(name, sizeof(name), "%s[%" PRIu32 "/%" PRIu32 "]", d->field, d->map, d->index);
	else if (d->index != VMFS_DIFF_NONE)
		snprintf(name, sizeof(name), "%s[%" PRIu32 "]", d->field, d->index);
	else
		snprintf(name, sizeof(name), "%s", d->field);
	printf("  %-28s ", name);
	if (d->scope == VMFS_DIFF_SCOPE_RAW)
		printf("%" PRIu64 " of %" PRIu64 " bytes differ: ", d->differing_bytes, d->size);
	print_value(d, d->has_a, d->a);
	printf(" -> ");
	print_value(d, d->has_b, d->b);
	printf("  [");
	print_offset("A", d->offset_a);
	printf(", ");
	print_offset("B", d->offset_b);
	printf("]\n");
}

static void print_scoped(const vmfs_diff *diff, uint32_t device)
{
	for (int scope = VMFS_DIFF_SCOPE_TABLE; scope <= VMFS_DIFF_SCOPE_RAW; scope++)
		for (size_t i = 0; i < diff->count; i++)
			if (diff->differences[i].device == device && (int)diff->differences[i].scope == scope)
				print_difference(&diff->differences[i]);
}

static void print_pair_side(const char *name, const vmfs_device *dev, uint64_t offset, uint32_t partition)
{
	if (offset == VMFS_NO_OFFSET) {
		printf("%s -", name);
		return;
	}
	printf("%s 0x%" PRIx64, name, offset);
	if (partition)
		printf(" (partition %" PRIu32 ")", partition);
	else
		printf(" (no partition entry)");
	if (!dev)
		printf(" (no VMFS device decodes there)");
}

static void report_text(const struct side sides[2], const vmfs_diff *diff)
{
	print_side("A", &sides[0]);
	print_side("B", &sides[1]);
	bool table = false;
	for (size_t i = 0; i < diff->count && !table; i++)
		table = diff->differences[i].device == VMFS_DIFF_NONE;
	if (table) {
		printf("\nPartition table\n");
		print_scoped(diff, VMFS_DIFF_NONE);
	}
	for (size_t i = 0; i < diff->num_pairs; i++) {
		const vmfs_diff_pair *p = &diff->pairs[i];
		printf("\nDevice %zu: ", i);
		print_pair_side("A", p->a, p->offset_a, p->partition_a);
		printf(", ");
		print_pair_side("B", p->b, p->offset_b, p->partition_b);
		if (strcmp(p->paired_by, "a-only") == 0 || strcmp(p->paired_by, "b-only") == 0)
			printf("; decoded on %s only\n", p->paired_by[0] == 'a' ? "A" : "B");
		else
			printf("; paired by %s\n", strcmp(p->paired_by, "device-uuid") == 0    ? "device UUID"
						    : strcmp(p->paired_by, "other-member") == 0 ? "offset (two members of one spanned volume)"
											 : "offset");
		print_scoped(diff, (uint32_t)i);
	}
	if (diff->truncated)
		printf("  ... and %zu more differences not listed (raise --max)\n", diff->truncated);
	if (diff->num_interpretations) {
		printf("\nInterpretation:\n");
		char safe[2600];
		for (size_t i = 0; i < diff->num_interpretations; i++) {
			const vmfs_diff_interpretation *in = &diff->interpretations[i];
			printf("  %-7s %s: %s\n", vmfs_severity_name(in->severity), in->code,
			       fmt_safe_text(in->message, safe, sizeof(safe)));
			if (in->action[0])
				printf("          action: %s\n", fmt_safe_text(in->action, safe, sizeof(safe)));
		}
	}
	size_t total = diff->count + diff->truncated;
	if (vmfs_diff_identical(diff))
		printf("\nidentical\n");
	else if (diff->truncated)
		printf("\n%zu difference%s (%zu not listed)\n", total, total == 1 ? "" : "s", diff->truncated);
	else
		printf("\n%zu difference%s\n", total, total == 1 ? "" : "s");
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	enum { OPT_OFFSET_A = 1000, OPT_OFFSET_B };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "offset", required_argument, NULL, 'o' },
		{ "offset-a", required_argument, NULL, OPT_OFFSET_A },
		{ "offset-b", required_argument, NULL, OPT_OFFSET_B },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct diff_control ctl = { .max_listed = VMFS_DIFF_DEFAULT_MAX_LISTED };
	uint64_t value;
	const char *offsets[2] = { NULL, NULL };
	int c;
	cli_init(argc, argv, "jqhV");
	while ((c = getopt_long(argc, argv, "jqo:b:m:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		case 'o':
		case OPT_OFFSET_A:
		case OPT_OFFSET_B:
			/* Parsed after the loop: "2048s" needs --sector-size. */
			for (int x = 0; x < 2; x++)
				if (!((c == OPT_OFFSET_A && x == 1) || (c == OPT_OFFSET_B && x == 0)))
					offsets[x] = optarg;
			break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.disk[0].sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			ctl.disk[1].sector_size = ctl.disk[0].sector_size;
			break;
		case 'm':
			if (!parse_size(optarg, &value))
				return cli_usage_error(prog, "invalid count", optarg);
			ctl.max_listed = value == 0 || value > SIZE_MAX ? SIZE_MAX : (size_t)value;
			break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	for (int x = 0; x < 2; x++) {
		if (offsets[x] && !parse_offset(offsets[x], ctl.disk[x].sector_size, &ctl.disk[x].offset))
			return cli_usage_error(prog, "invalid offset", offsets[x]);
		ctl.disk[x].has_offset = offsets[x] != NULL;
	}
	if (argc - optind < 2)
		return cli_usage_error(prog, "missing operand after", optind < argc ? argv[optind] : prog);
	if (argc - optind > 2)
		return cli_usage_error(prog, "extra operand", argv[optind + 2]);

	live_resolve_operands(prog, argv, optind, optind + 2); /* ESXi device names */
	struct side sides[2];
	memset(sides, 0, sizeof(sides));
	sides[0].path = argv[optind];
	sides[1].path = argv[optind + 1];
	bool opened = open_side(&ctl, 0, &sides[0]);
	opened = open_side(&ctl, 1, &sides[1]) && opened;

	int status = EXIT_ERROR;
	vmfs_diff diff;
	memset(&diff, 0, sizeof(diff));
	bool compared = false, compare_failed = false;
	vmfs_error compare_err;
	vmfs_error_clear(&compare_err);
	if (opened) {
		vmfs_diff_input in[2];
		for (int x = 0; x < 2; x++)
			in[x] = (vmfs_diff_input){ &sides[x].discovery, 0, sides[x].is_backup ? sides[x].held : NULL,
						   sides[x].num_held };
		vmfs_diff_options options = { ctl.max_listed };
		vmfs_error err;
		vmfs_error_clear(&err);
		if (vmfs_diff_compare(&in[0], &in[1], &options, &diff, &err) == VMFS_OK) {
			compared = true;
			status = vmfs_diff_identical(&diff) ? EXIT_OK : EXIT_NOTHING;
		} else {
			/* The library names the source and the offset of a failed read. */
			cli_print_error(prog, &err);
			compare_err = err;
			compare_failed = true;
		}
	}
	if (ctl.json)
		cli_print_json(document(sides, compared ? &diff : NULL, compare_failed ? &compare_err : NULL, status));
	else if (compared && !ctl.quiet)
		report_text(sides, &diff);
	vmfs_diff_free(&diff);
	close_side(&sides[0]);
	close_side(&sides[1]);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
