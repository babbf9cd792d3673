/* Evidence containers (source.h): an E01 made by ewfacquire, a split raw set
 * made by split, and VMDK copies made by qemu-img (monolithicSparse,
 * monolithicFlat, twoGbMaxExtentSparse) of a generated disk, of the same
 * disk with its table wiped, and of a corpus volume embedded in a disk. Every
 * reading tool's JSON on a container equals its JSON on the raw image but
 * for the keys that must differ (the path, the source type, the scan's work
 * counters: a raw image's holes are skipped, a container is read as one
 * extent); writing tools refuse every container with exit 2 and leave its
 * bytes as they were. Hostile containers (a truncated E01 segment, a VMDK
 * whose extent is missing, a split set with a short middle segment) fail
 * with a clear error naming the path. Skipped with a message when ewfacquire
 * or qemu-img is missing. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DISK_BYTES (600ull << 20)

static bool have(const char *program)
{
	const char *dirs[] = { "/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin" };
	char p[256];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], program);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* out = a followed by b (test paths are far below the buffer size). */
static void cat(char *out, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	cr_assert_lt(la + lb, len, "path too long: %s%s", a, b);
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
}

static void need(const char *program, const char *package)
{
	if (!have(program))
		cr_skip_test("%s (Debian package %s) is not installed: container test skipped", program, package);
}

static void run_ok(const char *const argv[])
{
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s failed (%d): %s", argv[0], r.status, r.err);
	tool_result_free(&r);
}

/* ewfacquire, unattended, into BASE.E01 (BASE.E02 ... with small segments). */
static void make_e01(const char *raw, const char *base, const char *segment_size)
{
	const char *argv[] = { "/usr/bin/ewfacquire", "-u", "-q", "-t", base, "-c", "deflate:fast", "-S", segment_size,
			       "-C", "case", "-D", "container test", "-E", "1", "-e", "tester", "-N", "none", raw, NULL };
	run_ok(argv);
}

static void make_vmdk(const char *raw, const char *out, const char *subformat)
{
	char opt[64];
	snprintf(opt, sizeof(opt), "subformat=%s", subformat);
	const char *argv[] = { "/usr/bin/qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", opt, raw, out, NULL };
	run_ok(argv);
}

/* split -b SIZE -d -a 3 --numeric-suffixes=1: PREFIX001, PREFIX002, ... */
static void make_split(const char *raw, const char *prefix, const char *size)
{
	const char *argv[] = { "/usr/bin/split", "-b", size, "-d", "-a", "3", "--numeric-suffixes=1", raw, prefix, NULL };
	run_ok(argv);
}

/* s with every `from` replaced by `to`, and `to` + "p" + digit (the name
 * libfdisk gives a partition of a device whose name ends in a digit) by `to`
 * + digit: the partition names of the sfdisk script follow the path. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	char *out = malloc(strlen(s) + n * (tl + 1) + 1);
	cr_assert_not_null(out);
	char *o = out;
	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			memcpy(o, to, tl);
			o += tl;
			s += fl;
			if (s[0] == 'p' && s[1] >= '0' && s[1] <= '9')
				s++;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* Keys whose values must differ between a container and its raw image. */
static void drop_keys(json_object *o)
{
	static const char *const keys[] = { "type", "kind", "candidates", "bytes_read", "data_bytes", "output", "sha256",
					    "expose" };
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			drop_keys(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object *source = json_object_object_get(o, "source");
	if (source && json_object_is_type(source, json_type_object))
		json_object_object_del(source, "type");
	for (size_t i = 2; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_del(o, keys[i]);
	json_object_object_foreach(o, key, value)
	{
		(void)key;
		drop_keys(value);
	}
}

static json_object *normalised(const char *text, const char *path, const char *raw)
{
	char *t = replace_all(text, path, raw);
	json_object *j = parse_json(t);
	free(t);
	drop_keys(j);
	return j;
}

/* One tool's JSON on the container equals its JSON on the raw image. */
static void same_json(const char *what, const char *raw, const char *container, const char *tool, const char *opt)
{
	tool_result a, b;
	if (strcmp(tool, "vmfs-backup") == 0) {
		char out_a[4096], out_b[4096];
		cat(out_a, sizeof(out_a), container, ".raw.vmfsbak");
		cat(out_b, sizeof(out_b), container, ".vmfsbak");
		unlink(out_a);
		unlink(out_b);
		a = run_tool(tool, "--json", raw, "-O", out_a, NULL);
		b = run_tool(tool, "--json", container, "-O", out_b, NULL);
	} else if (opt) {
		a = run_tool(tool, "--json", opt, raw, NULL);
		b = run_tool(tool, "--json", opt, container, NULL);
	} else {
		a = run_tool(tool, "--json", raw, NULL);
		b = run_tool(tool, "--json", container, NULL);
	}
	cr_assert_eq(a.status, b.status, "%s %s: exit %d on the raw image, %d on %s: %s", what, tool, a.status,
		     b.status, container, b.err);
	cr_assert(a.status == 0 || a.status == 1, "%s %s on the raw image: exit %d: %s", what, tool, a.status, a.err);
	json_object *ja = normalised(a.out, raw, raw);
	json_object *jb = normalised(b.out, container, raw);
	const char *sa = json_object_to_json_string_ext(ja, JSON_C_TO_STRING_PRETTY);
	const char *sb = json_object_to_json_string_ext(jb, JSON_C_TO_STRING_PRETTY);
	cr_assert(strstr(sa, "device_uuid") || strstr(sa, "fs_uuid"), "%s %s: the raw image's JSON names a volume: %s",
		  what, tool, sa);
	cr_assert_str_eq(sb, sa, "%s %s: the JSON on %s differs from the raw image's", what, tool, container);
	json_object_put(ja);
	json_object_put(jb);
	tool_result_free(&a);
	tool_result_free(&b);
}

/* A writing tool with --write exits 2 naming the container, and the
 * container's files hold the same bytes as before. */
static void refuses(const char *container, const char *kind_text, const char *const files[], bool restore)
{
	char copies[8][4096];
	size_t n = 0;
	for (; files[n]; n++) {
		snprintf(copies[n], sizeof(copies[n]), "%s.before", files[n]);
		const char *argv[] = { "/bin/cp", "--sparse=always", files[n], copies[n], NULL };
		run_ok(argv);
	}
	char undo[4096];
	cat(undo, sizeof(undo), container, ".undo");
	tool_result w[2];
	if (restore) {
		w[0] = run_tool("vmfs-restore", "--write", "-u", undo, container, NULL);
		w[1] = run_tool("vmfs-restore", "--write", "--force", "-u", undo, container, NULL);
	} else {
		w[0] = run_tool("vmfs-resignature", "--new-identity", "--write", "-u", undo, container, NULL);
		w[1] = run_tool("vmfs-resignature", "--lun", "7", "--write", "--force", "-u", undo, container, NULL);
	}
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		cr_assert_eq(w[i].status, 2, "writing tool %zu on %s: exit %d, expected 2: %s", i, container, w[i].status,
			     w[i].err);
		cr_assert(strstr(w[i].err, kind_text) && strstr(w[i].err, "refusing to write") &&
				  strstr(w[i].err, "raw working copy") && strstr(w[i].err, container),
			  "writing tool %zu: the refusal names the container, its kind and the alternative: %s", i,
			  w[i].err);
		tool_result_free(&w[i]);
	}
	cr_assert(access(undo, F_OK) != 0, "no undo file is made for a refused container");
	for (size_t i = 0; i < n; i++)
		cr_assert(files_equal(files[i], copies[i]), "%s changed", files[i]);
}

static void all_tools_equal(const char *what, const char *raw, const char *container)
{
	tool_result d = run_tool("vmfs-diff", raw, container, NULL);
	cr_assert_eq(d.status, 0, "%s: vmfs-diff of the raw image and %s: exit %d: %s%s", what, container, d.status,
		     d.out, d.err);
	tool_result_free(&d);
	same_json(what, raw, container, "vmfs-inspect", NULL);
	same_json(what, raw, container, "vmfs-backup", NULL);
	same_json(what, raw, container, "vmfs-restore", NULL);
}

/* The raw disk and every container of it: names in *names, NULL ended. */
typedef struct set {
	char raw[4096];
	char e01[4096], e01_base[4096];
	char split[4096], split_prefix[4096];
	char sparse[4096], flat[4096], twogb[4096];
} set;

static void build_set(set *s, const char *raw, const char *stem)
{
	snprintf(s->raw, sizeof(s->raw), "%s", raw);
	snprintf(s->e01_base, sizeof(s->e01_base), "%s", tmp_path(stem));
	cat(s->e01, sizeof(s->e01), s->e01_base, ".E01");
	cat(s->split_prefix, sizeof(s->split_prefix), tmp_path(stem), ".");
	cat(s->split, sizeof(s->split), s->split_prefix, "001");
	char name[256];
	cat(name, sizeof(name), stem, "-sparse.vmdk");
	snprintf(s->sparse, sizeof(s->sparse), "%s", tmp_path(name));
	cat(name, sizeof(name), stem, "-flat.vmdk");
	snprintf(s->flat, sizeof(s->flat), "%s", tmp_path(name));
	cat(name, sizeof(name), stem, "-2gb.vmdk");
	snprintf(s->twogb, sizeof(s->twogb), "%s", tmp_path(name));
	make_e01(raw, s->e01_base, "4MiB");
	make_split(raw, s->split_prefix, "250M");
	make_vmdk(raw, s->sparse, "monolithicSparse");
	make_vmdk(raw, s->flat, "monolithicFlat");
	make_vmdk(raw, s->twogb, "twoGbMaxExtentSparse");
}

static void check_set(const char *what, const set *s)
{
	const char *containers[] = { s->e01, s->split, s->sparse, s->flat, s->twogb };
	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
		all_tools_equal(what, s->raw, containers[i]);
}

static void need_all(void)
{
	need("ewfacquire", "ewf-tools");
	need("qemu-img", "qemu-utils");
}

Test(containers, fixture_disk_every_container_reads_as_the_raw_image, .timeout = 600)
{
	need_all();
	char raw[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("disk.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=6,label=evidence", raw, NULL);
	set s;
	build_set(&s, raw, "disk");
	check_set("fixture disk", &s);
	/* vmfs-resignature --write refuses every container. */
	char e02[4096];
	cat(e02, sizeof(e02), s.e01_base, ".E02");
	const char *e01_files[] = { s.e01, access(e02, F_OK) == 0 ? e02 : NULL, NULL };
	refuses(s.e01, "EWF", e01_files, false);
	const char *twogb_files[] = { s.twogb, NULL };
	refuses(s.twogb, "VMDK", twogb_files, false);
	char seg2[4096];
	cat(seg2, sizeof(seg2), s.split_prefix, "002");
	const char *split_files[] = { s.split, seg2, NULL };
	refuses(s.split, "split raw", split_files, false);
	/* The kinds are named in the source type. */
	const char *paths[] = { s.e01, s.split, s.sparse, s.flat, s.twogb };
	const char *types[] = { "ewf", "split-raw", "vmdk", "vmdk", "vmdk" };
	for (size_t i = 0; i < 5; i++) {
		tool_result r = run_tool("vmfs-inspect", "--json", paths[i], NULL);
		json_object *j = parse_json(r.out);
		cr_assert_str_eq(jstr_at(j, "source.type"), types[i], "%s", paths[i]);
		cr_assert_eq(ju64_at(j, "source.size"), DISK_BYTES);
		json_object_put(j);
		tool_result_free(&r);
	}
}

Test(containers, wiped_table_every_container_finds_the_volume_and_refuses_writes, .timeout = 600)
{
	need_all();
	char raw[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("wiped.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=5,label=wiped", raw, NULL);
	wipe_gpt(raw, DISK_BYTES);
	set s;
	build_set(&s, raw, "wiped");
	check_set("wiped disk", &s);
	/* The restore dry run on a container proposes the volume the raw image's does. */
	tool_result r = run_tool("vmfs-restore", "--json", s.e01, NULL);
	json_object *j = parse_json(r.out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(ju64_at(j, "volumes[0].offset"), 1ull << 20, "%s", r.out);
	json_object_put(j);
	tool_result_free(&r);

	char e02[4096];
	cat(e02, sizeof(e02), s.e01_base, ".E02");
	const char *e01_files[] = { s.e01, access(e02, F_OK) == 0 ? e02 : NULL, NULL };
	refuses(s.e01, "EWF", e01_files, true);
	char seg2[4096], seg3[4096];
	cat(seg2, sizeof(seg2), s.split_prefix, "002");
	cat(seg3, sizeof(seg3), s.split_prefix, "003");
	const char *split_files[] = { s.split, seg2, seg3, NULL };
	refuses(s.split, "split raw", split_files, true);
	const char *sparse_files[] = { s.sparse, NULL };
	refuses(s.sparse, "VMDK", sparse_files, true);
	const char *flat_files[] = { s.flat, NULL };
	refuses(s.flat, "VMDK", flat_files, true);
	/* The undo of a change into a container is refused the same way. */
	tool_result u = run_tool("vmfs-restore", "--undo", "/nonexistent.undo", s.sparse, NULL);
	cr_assert_eq(u.status, 2, "%s", u.err);
	tool_result_free(&u);
	/* The raw image itself is still writable: the refusal is by kind. */
	char copy[4096], undo[4096];
	snprintf(copy, sizeof(copy), "%s", tmp_path("wiped-copy.raw"));
	snprintf(undo, sizeof(undo), "%s", tmp_path("wiped-copy.undo"));
	dd_copy(raw, copy, "1M", "conv=sparse");
	tool_result w = run_tool("vmfs-restore", "--write", "-u", undo, copy, NULL);
	cr_assert_eq(w.status, 0, "%s", w.err);
	tool_result_free(&w);

	/* The evidence-safe repair: the table exported from the E01 and from
	 * the VMDK (sources only read), applied to a raw working copy, gives
	 * the disk a direct --write gives, byte for byte; its undo file puts
	 * the copy back byte for byte. */
	const char *sources[] = { s.e01, s.sparse };
	for (size_t i = 0; i < 2; i++) {
		char export[4096], work[4096], work_undo[4096], name[64];
		snprintf(name, sizeof(name), "table-%zu.export", i);
		snprintf(export, sizeof(export), "%s", tmp_path(name));
		snprintf(name, sizeof(name), "work-%zu.raw", i);
		snprintf(work, sizeof(work), "%s", tmp_path(name));
		snprintf(name, sizeof(name), "work-%zu.undo", i);
		snprintf(work_undo, sizeof(work_undo), "%s", tmp_path(name));
		r = run_tool("vmfs-restore", "--export-table", export, sources[i], NULL);
		cr_assert_eq(r.status, 0, "%s: %s", sources[i], r.err);
		cr_assert_not_null(strstr(r.out, "Table export saved"), "%s", r.out);
		tool_result_free(&r);
		dd_copy(raw, work, "1M", "conv=sparse");
		r = run_tool("vmfs-restore", "--apply-table", export, work, NULL); /* dry run */
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_not_null(strstr(r.out, "target holds: the replaced bytes (ready)"), "%s", r.out);
		tool_result_free(&r);
		cr_assert(files_equal(work, raw), "the dry run of --apply-table changed %s", work);
		r = run_tool("vmfs-restore", "--apply-table", export, "--write", "-u", work_undo, work, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		tool_result_free(&r);
		cr_assert(files_equal(work, copy), "%s: the applied export differs from a direct --write", sources[i]);
		/* An export is not an undo file, nor an undo file an export. */
		r = run_tool("vmfs-restore", "--undo", export, work, NULL);
		cr_assert_eq(r.status, 2, "%s", r.out);
		cr_assert_not_null(strstr(r.err, "is a table export, not an undo file"), "%s", r.err);
		tool_result_free(&r);
		r = run_tool("vmfs-restore", "--apply-table", work_undo, work, NULL);
		cr_assert_eq(r.status, 2, "%s", r.out);
		cr_assert_not_null(strstr(r.err, "is an undo file"), "%s", r.err);
		tool_result_free(&r);
		r = run_tool("vmfs-restore", "--undo", work_undo, work, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		tool_result_free(&r);
		cr_assert(files_equal(work, raw), "the undo of the applied export is not byte-exact");
		/* Never into the container itself. */
		r = run_tool("vmfs-restore", "--apply-table", export, "--write", sources[i], NULL);
		cr_assert_eq(r.status, 2, "%s", r.out);
		cr_assert_not_null(strstr(r.err, "read-only evidence"), "%s", r.err);
		tool_result_free(&r);
	}
	/* A working copy that is not a copy of the exported source. */
	char other[4096];
	snprintf(other, sizeof(other), "%s", tmp_path("other.raw"));
	mkfixture("disk", "--table", "mbr", "--disk-size", "600M", "--vol", "lvm=5,label=other", other, NULL);
	r = run_tool("vmfs-restore", "--apply-table", tmp_path("table-0.export"), "--write", other, NULL);
	cr_assert_eq(r.status, 2, "%s", r.out);
	cr_assert_not_null(strstr(r.err, "neither the exported source's nor the table's"), "%s", r.err);
	tool_result_free(&r);
}

Test(containers, corpus_volume_in_a_disk_every_container_reads_as_the_raw_image, .timeout = 600)
{
	need_all();
	const char *image = corpus_image("vmfs6-dissect.bin");
	char raw[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("corpus.raw"));
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1G", "--image", image, raw, NULL);
	set s;
	build_set(&s, raw, "corpus");
	check_set("corpus disk", &s);
	wipe_gpt(raw, 1ull << 30);
	set w;
	build_set(&w, raw, "corpus-wiped");
	all_tools_equal("corpus disk, table wiped", w.raw, w.e01);
	all_tools_equal("corpus disk, table wiped", w.raw, w.sparse);
}

/* Holes of split segments are skipped as a raw file's are: the scan reads
 * as many data bytes from a sparse split set as from the raw image. */
Test(containers, split_set_skips_the_holes_of_its_segments)
{
	char raw[4096], prefix[4096], first[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("holes.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=6", raw, NULL);
	cat(prefix, sizeof(prefix), tmp_path("holes"), ".");
	make_split(raw, prefix, "100M");
	for (int i = 1; i <= 6; i++) {
		char seg[4096];
		char num[8];
		snprintf(num, sizeof(num), "%03d", i);
		cat(seg, sizeof(seg), prefix, num);
		const char *argv[] = { "/usr/bin/fallocate", "--dig-holes", seg, NULL };
		run_ok(argv);
	}
	/* The raw image with the same holes (zeros dug out the same way, the
	 * segment size being a multiple of the block size). */
	const char *dig[] = { "/usr/bin/fallocate", "--dig-holes", raw, NULL };
	run_ok(dig);
	cat(first, sizeof(first), prefix, "001");
	tool_result a = run_tool("vmfs-inspect", "--json", raw, NULL);
	tool_result b = run_tool("vmfs-inspect", "--json", first, NULL);
	json_object *ja = parse_json(a.out), *jb = parse_json(b.out);
	json_object *da = jpath(ja, "scan.data_bytes"), *db = jpath(jb, "scan.data_bytes");
	cr_assert(da && db, "scan.data_bytes in both: %s", b.out);
	cr_assert_lt(json_object_get_uint64(db), DISK_BYTES / 4, "holes skipped: %s", json_object_to_json_string(db));
	cr_assert_eq(json_object_get_uint64(db), json_object_get_uint64(da));
	json_object_put(ja);
	json_object_put(jb);
	tool_result_free(&a);
	tool_result_free(&b);
	all_tools_equal("sparse split set", raw, first);
}

Test(containers, hostile_truncated_e01_segment)
{
	need("ewfacquire", "ewf-tools");
	char raw[4096], base[4096], e01[4096], e02[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("t.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=6", raw, NULL);
	snprintf(base, sizeof(base), "%s", tmp_path("t"));
	make_e01(raw, base, "1MiB");
	cat(e01, sizeof(e01), base, ".E01");
	cat(e02, sizeof(e02), base, ".E02");
	const char *paths[] = { e01, e02 };
	for (size_t i = 0; i < 2; i++) {
		uint64_t size = file_size(paths[i]);
		cr_assert_gt(size, 4096u);
		cr_assert_eq(truncate(paths[i], (off_t)(size / 2)), 0);
		tool_result r = run_tool("vmfs-inspect", e01, NULL);
		cr_assert_eq(r.status, 2, "truncated %s: exit %d: %s", paths[i], r.status, r.err);
		cr_assert(strstr(r.err, e01) && strstr(r.err, "EWF image"), "the error names the image: %s", r.err);
		tool_result_free(&r);
		r = run_tool("vmfs-inspect", "--json", e01, NULL);
		cr_assert_eq(r.status, 2);
		json_object *j = parse_json(r.out);
		json_object_put(j);
		tool_result_free(&r);
	}
}

Test(containers, hostile_vmdk_with_a_missing_extent)
{
	need("qemu-img", "qemu-utils");
	char raw[4096], vmdk[4096], extent[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("m.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=6", raw, NULL);
	snprintf(vmdk, sizeof(vmdk), "%s", tmp_path("m.vmdk"));
	make_vmdk(raw, vmdk, "monolithicFlat");
	snprintf(extent, sizeof(extent), "%s", tmp_path("m-flat.vmdk"));
	cr_assert_eq(unlink(extent), 0, "qemu-img names the flat extent %s", extent);
	tool_result r = run_tool("vmfs-inspect", vmdk, NULL);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, vmdk) && strstr(r.err, "extent") && strstr(r.err, "m-flat.vmdk"),
		  "the error names the descriptor and the missing extent: %s", r.err);
	tool_result_free(&r);
	/* A descriptor alone, with no extent line, is not a disk either. */
	const char text[] = "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n";
	write_whole_file(vmdk, (const uint8_t *)text, sizeof(text) - 1);
	r = run_tool("vmfs-backup", "--json", vmdk, "-O", tmp_path("m.vmfsbak"), NULL);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, vmdk) && strstr(r.err, "VMDK"), "%s", r.err);
	tool_result_free(&r);
}

Test(containers, hostile_split_sets)
{
	char raw[4096], prefix[4096], seg[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("s.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "600M", "--vol", "lvm=6", raw, NULL);
	cat(prefix, sizeof(prefix), tmp_path("s"), ".");
	make_split(raw, prefix, "200M");
	/* A later segment given alone names the first. */
	cat(seg, sizeof(seg), prefix, "002");
	tool_result r = run_tool("vmfs-inspect", seg, NULL);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "later segment") && strstr(r.err, "s.001"), "%s", r.err);
	tool_result_free(&r);
	/* A short middle segment: not one set. */
	cr_assert_eq(truncate(seg, 1 << 20), 0);
	char first[4096];
	cat(first, sizeof(first), prefix, "001");
	r = run_tool("vmfs-inspect", first, NULL);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "s.002") && strstr(r.err, "split raw image"), "%s", r.err);
	tool_result_free(&r);
}

/* 4096-byte sectors: the label copy holds the GPT areas (LBA 0..5 and the
 * last 5 sectors of 4096 bytes), and the sector size is detected from the
 * container's disk as from a raw image's. */
Test(containers, disk_with_4096_byte_sectors, .timeout = 300)
{
	need_all();
	char raw[4096], base[4096], e01[4096], vmdk[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("4k.raw"));
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "600M", "--vol", "lvm=6,label=fourk",
		  raw, NULL);
	snprintf(base, sizeof(base), "%s", tmp_path("4k"));
	make_e01(raw, base, "4MiB");
	cat(e01, sizeof(e01), base, ".E01");
	snprintf(vmdk, sizeof(vmdk), "%s", tmp_path("4k.vmdk"));
	make_vmdk(raw, vmdk, "monolithicSparse");
	all_tools_equal("4096-byte sectors", raw, e01);
	all_tools_equal("4096-byte sectors", raw, vmdk);
	tool_result r = run_tool("vmfs-inspect", "--json", vmdk, NULL);
	json_object *j = parse_json(r.out);
	cr_assert_eq(ju64_at(j, "source.sector_size"), 4096u, "%s", r.out);
	json_object_put(j);
	tool_result_free(&r);
}

/* The file tools read a container's volume as the raw image's: the real
 * VMFS5 volume in a disk, listed recursively with every entry's metadata. */
Test(containers, file_tools_list_a_corpus_volume_in_containers, .timeout = 600)
{
	need_all();
	const char *image = corpus_image("vmfs5-dissect.bin");
	char raw[4096], base[4096], e01[4096], vmdk[4096], prefix[4096], split[4096];
	snprintf(raw, sizeof(raw), "%s", tmp_path("c5.raw"));
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1G", "--image", image, raw, NULL);
	snprintf(base, sizeof(base), "%s", tmp_path("c5"));
	make_e01(raw, base, "4MiB");
	cat(e01, sizeof(e01), base, ".E01");
	snprintf(vmdk, sizeof(vmdk), "%s", tmp_path("c5.vmdk"));
	make_vmdk(raw, vmdk, "twoGbMaxExtentSparse");
	cat(prefix, sizeof(prefix), tmp_path("c5"), ".");
	make_split(raw, prefix, "300M");
	cat(split, sizeof(split), prefix, "001");
	const char *containers[] = { e01, vmdk, split };
	for (size_t i = 0; i < 3; i++) {
		same_json("corpus VMFS5 files", raw, containers[i], "vmfs-ls", "-lR");
		tool_result r = run_tool("vmfs-ls", "--json", "-R", containers[i], NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		json_object *j = parse_json(r.out);
		cr_assert_gt(json_object_array_length(jpath(j, "entries")), 2u, "%s", r.out);
		json_object_put(j);
		tool_result_free(&r);
	}
}

/* sha256sum / md5sum of a file: independent of the code under test. */
static void digest_of(const char *program, const char *path, char *out, size_t len)
{
	const char *argv[] = { program, path, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s %s: %s", program, path, r.err);
	char *space = strchr(r.out, ' ');
	cr_assert_not_null(space);
	*space = '\0';
	snprintf(out, len, "%s", r.out);
	tool_result_free(&r);
}

/* Runs the expose command of a raw image where loop devices can be made
 * (root, /dev/loop-control): the loop device must be read-only, hold the
 * volume's LVM header (blkid) and be exactly the volume's size. */
static void expose_on_a_loop_device(const char *command, const char *device_uuid, uint64_t total_bytes)
{
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) != 0) {
		cr_log_info("no loop devices here (not root, or no /dev/loop-control): the expose command was not run");
		return;
	}
	const char *sh[] = { "/bin/sh", "-c", command, NULL };
	tool_result r = run_argv(sh);
	if (r.status != 0) {
		cr_log_info("losetup failed here (%s): the expose command was not run", r.err);
		tool_result_free(&r);
		return;
	}
	char loop[64];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);
	char uuid[64];
	bool found = blkid_value(loop, 0, "UUID_SUB", uuid, sizeof(uuid));
	const char *size_argv[] = { "/sbin/blockdev", "--getsize64", loop, NULL };
	tool_result size = run_argv(size_argv);
	const char *ro_argv[] = { "/sbin/blockdev", "--getro", loop, NULL };
	tool_result ro = run_argv(ro_argv);
	const char *detach[] = { "/sbin/losetup", "-d", loop, NULL };
	tool_result d = run_argv(detach);
	tool_result_free(&d);
	cr_assert(found, "blkid finds no VMFS on %s", loop);
	cr_assert_str_eq(uuid, device_uuid, "%s", loop);
	cr_assert_eq(strtoull(size.out, NULL, 10), total_bytes, "%s: %s", loop, size.out);
	cr_assert_eq(atoi(ro.out), 1, "%s is not read-only", loop);
	tool_result_free(&size);
	tool_result_free(&ro);
}

static json_object *inspect_hash(const char *path, int expect)
{
	tool_result r = run_tool("vmfs-inspect", "--json", "--hash", path, NULL);
	cr_assert_eq(r.status, expect, "vmfs-inspect --hash %s: exit %d: %s", path, r.status, r.err);
	json_object *j = parse_json(r.out);
	tool_result_free(&r);
	return j;
}

/* vmfs-inspect --hash: SHA-256 and MD5 of the disk a source presents equal
 * sha256sum and md5sum of the raw image, through a sparse raw file (holes
 * hashed unread), an E01 (whose stored MD5 is checked and matches), a
 * split set and a VMDK; an E01 whose stored MD5 was changed (its section
 * checksum made right again, so libewf accepts it) is reported as a
 * mismatch with exit 2. */
Test(containers, hash_of_every_source_and_the_e01_stored_md5, .timeout = 300)
{
	need_all();
	char raw[4096], sha[80], md5[40];
	snprintf(raw, sizeof(raw), "%s", tmp_path("hash.raw"));
	mkfixture("disk", "--table", "gpt", "--disk-size", "300M", "--vol", "lvm=6,label=hash", raw, NULL);
	digest_of("/usr/bin/sha256sum", raw, sha, sizeof(sha));
	digest_of("/usr/bin/md5sum", raw, md5, sizeof(md5));
	char base[4096], e01[4096], split_prefix[4096], split[4096], vmdk[4096];
	snprintf(base, sizeof(base), "%s", tmp_path("hash"));
	cat(e01, sizeof(e01), base, ".E01");
	cat(split_prefix, sizeof(split_prefix), base, ".");
	cat(split, sizeof(split), split_prefix, "001");
	snprintf(vmdk, sizeof(vmdk), "%s", tmp_path("hash.vmdk"));
	make_e01(raw, base, "1GiB");
	make_split(raw, split_prefix, "100M");
	make_vmdk(raw, vmdk, "monolithicSparse");

	const char *sources[] = { raw, e01, split, vmdk };
	for (size_t i = 0; i < 4; i++) {
		json_object *j = inspect_hash(sources[i], 0);
		cr_assert_str_eq(jstr_at(j, "hash.sha256"), sha, "%s", sources[i]);
		cr_assert_str_eq(jstr_at(j, "hash.md5"), md5, "%s", sources[i]);
		cr_assert_eq(ju64_at(j, "hash.bytes"), 300ull << 20, "%s", sources[i]);
		if (i == 0)
			cr_assert_lt(ju64_at(j, "hash.bytes_read"), 300ull << 20, "the holes of the sparse image were read");
		/* The read-only command that exposes the volume to other tools. */
		static const char *const expose[] = { "losetup --read-only --find --show --offset 1048576 --sizelimit ",
						       "ewfmount ", NULL, "qemu-nbd --read-only --connect /dev/nbd0 " };
		json_object *cmd = jpath(j, "volumes[0].expose.command");
		if (expose[i]) {
			cr_assert_not_null(cmd, "%s: no expose command", sources[i]);
			cr_assert_not_null(strstr(json_object_get_string(cmd), expose[i]), "%s: %s", sources[i],
					   json_object_get_string(cmd));
		} else {
			cr_assert_null(cmd, "%s: a split set has no loop device", sources[i]);
			cr_assert_not_null(strstr(jstr_at(j, "volumes[0].expose.note"), "split raw set"));
		}
		if (i == 0)
			expose_on_a_loop_device(json_object_get_string(cmd), jstr_at(j, "volumes[0].lvm.device_uuid"),
						ju64_at(j, "volumes[0].lvm.total_bytes"));
		if (i == 1) {
			cr_assert_str_eq(jstr_at(j, "hash.stored.md5"), md5);
			cr_assert(json_object_get_boolean(jpath(j, "hash.stored.md5_matches")));
		} else {
			cr_assert_null(jpath(j, "hash.stored"), "%s has no stored hash", sources[i]);
		}
		json_object_put(j);
	}

	/* The EWF "hash" section: a 76-byte section descriptor whose type is
	 * "hash", then the MD5 (16 bytes), 16 unused bytes and the Adler-32 of
	 * those 32 bytes (libewf's documentation of the EWF format). */
	size_t len = 0;
	uint8_t *image = read_whole_file(e01, &len);
	static const char type[16] = "hash";
	uint8_t *section = memmem(image, len, type, sizeof(type));
	cr_assert_not_null(section, "no hash section in %s", e01);
	uint8_t *data = section + 76;
	cr_assert_leq(data + 36 - image, (ptrdiff_t)len);
	data[0] ^= 0xff;
	uint32_t adler = (uint32_t)adler32(adler32(0, NULL, 0), data, 32);
	for (int k = 0; k < 4; k++)
		data[32 + k] = (uint8_t)(adler >> (8 * k));
	char bad_base[4096], bad[4096];
	snprintf(bad_base, sizeof(bad_base), "%s", tmp_path("hash-bad"));
	cat(bad, sizeof(bad), bad_base, ".E01");
	write_whole_file(bad, image, len);
	free(image);
	json_object *j = inspect_hash(bad, 2);
	cr_assert_str_eq(jstr_at(j, "hash.md5"), md5, "the media data itself is intact");
	cr_assert(!json_object_get_boolean(jpath(j, "hash.stored.md5_matches")));
	cr_assert_str_eq(jstr_at(j, "errors[0].code"), "stored-hash-mismatch");
	json_object_put(j);
}
