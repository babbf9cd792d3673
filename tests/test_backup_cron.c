/* vmfs-backup from cron: --dir names built from the source's identity,
 * --keep rotation per source, --if-changed, exit status 1 for a source
 * without a volume, --verify of several files, the JSON document; and the
 * crontab line of vmfs-backup(1), run as written. */
#include "tests/support/support.h"
#include "vmfs/backup/backup.h"
#include "vmfs/backup/backup_set.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 64

/* The files of a folder, sorted by name. */
struct listing {
	char names[MAX_FILES][512];
	size_t count;
};

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static struct listing list_dir(const char *dir)
{
	struct listing l;
	memset(&l, 0, sizeof(l));
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		cr_assert_lt(l.count, MAX_FILES);
		snprintf(l.names[l.count++], sizeof(l.names[0]), "%s", e->d_name);
	}
	closedir(d);
	qsort(l.names, l.count, sizeof(l.names[0]), by_name);
	return l;
}

/* The backups in dir whose header records `source` (a canonical path),
 * oldest first: what a source owns, found without the naming code. */
static struct listing backups_of(const char *dir, const char *source)
{
	struct listing all = list_dir(dir), mine;
	memset(&mine, 0, sizeof(mine));
	for (size_t i = 0; i < all.count; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, all.names[i]);
		vmfs_backup b;
		vmfs_error err;
		if (vmfs_backup_load(path, &b, &err) != VMFS_OK)
			continue;
		if (strcmp(b.source_path, source) == 0)
			snprintf(mine.names[mine.count++], sizeof(mine.names[0]), "%s", all.names[i]);
		vmfs_backup_free(&b);
	}
	return mine;
}

static bool same_listing(const struct listing *a, const struct listing *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

static bool listed(const struct listing *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* A copy of tmp_path's result (it reuses eight buffers). */
static void tmp_copy(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s", tmp_path(name));
}

static void mkdir_or_fail(const char *dir)
{
	cr_assert_eq(mkdir(dir, 0700), 0, "mkdir %s", dir);
}

/* Replaces a bare LVM5 volume image by one with another label: the same
 * size (the same identity), other metadata. */
static void relabel(const char *image, int lvm, const char *label)
{
	char version[8];
	snprintf(version, sizeof(version), "%d", lvm);
	cr_assert_eq(unlink(image), 0);
	mkfixture("volume", "--lvm", version, "--label", label, image, NULL);
}

/* ---- The crontab line of vmfs-backup(1). ---- */

/* Replaces the one occurrence of from in text by to. */
static void substitute(char *text, size_t len, const char *from, const char *to)
{
	char *at = strstr(text, from);
	cr_assert_not_null(at, "the example has no %s: %s", from, text);
	cr_assert_null(strstr(at + 1, from), "the example names %s twice", from);
	char rest[8192];
	snprintf(rest, sizeof(rest), "%s", at + strlen(from));
	snprintf(at, len - (size_t)(at - text), "%s%s", to, rest);
}

/* The command of the crontab line in the EXAMPLES of vmfs-backup(1): the
 * line that starts with a digit and runs vmfs-backup, its five time fields
 * dropped, roff's \- turned into -. */
static void cron_command(char *out, size_t len)
{
	FILE *f = fopen("man/vmfs-backup.1", "r");
	cr_assert_not_null(f, "man/vmfs-backup.1 (the tests run from the project root)");
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (line[0] < '0' || line[0] > '9' || !strstr(line, "vmfs\\-backup"))
			continue;
		found = true;
	}
	fclose(f);
	cr_assert(found, "no crontab line in vmfs-backup(1)");
	line[strcspn(line, "\n")] = '\0';
	const char *p = line;
	for (int field = 0; field < 5; field++) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	size_t n = 0;
	for (; *p && n + 1 < len; p++) {
		if (p[0] == '\\' && p[1] == '-')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	cr_assert_not_null(strstr(out, "vmfs-backup "), "%s", out);
}

struct cron_world {
	char dir[4096], src[3][8192], canonical[3][PATH_MAX], command[8192];
};

static tool_result run_cron(const struct cron_world *w)
{
	const char *argv[] = { "/bin/sh", "-c", w->command, NULL };
	return run_argv(argv);
}

/* The example's exit status handling: silent on an ordinary night. */
static void cron_run_silent(const struct cron_world *w, const char *when)
{
	tool_result r = run_cron(w);
	cr_assert_eq(r.status, 0, "%s: %s%s", when, r.out, r.err);
	cr_assert_str_empty(r.out, "%s: cron would mail: %s", when, r.out);
	cr_assert_str_empty(r.err, "%s: cron would mail: %s", when, r.err);
	tool_result_free(&r);
}

Test(backup_cron, the_crontab_line_of_the_manual_rotates_per_source, .timeout = 300)
{
	struct cron_world w;
	cron_command(w.command, sizeof(w.command));
	/* Three sources, two of them with one base name. */
	char folder[3][2048];
	tmp_copy(folder[0], sizeof(folder[0]), "lun-a");
	tmp_copy(folder[1], sizeof(folder[1]), "lun-b");
	tmp_copy(folder[2], sizeof(folder[2]), "lun-c");
	tmp_copy(w.dir, sizeof(w.dir), "backups");
	mkdir_or_fail(w.dir);
	for (int i = 0; i < 3; i++) {
		mkdir_or_fail(folder[i]);
		snprintf(w.src[i], sizeof(w.src[i]), "%s/%s", folder[i], i < 2 ? "disk.img" : "lun.img");
	}
	mkfixture("volume", "--lvm", "5", "--label", "a-1", w.src[0], NULL);
	mkfixture("volume", "--lvm", "6", "--label", "b-1", w.src[1], NULL);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=c-1", w.src[2], NULL);
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(realpath(w.src[i], w.canonical[i]));
	substitute(w.command, sizeof(w.command), "/var/backups/vmfs", w.dir);
	substitute(w.command, sizeof(w.command), "/dev/sdb", w.src[0]);
	substitute(w.command, sizeof(w.command), "/dev/sdc", w.src[1]);
	substitute(w.command, sizeof(w.command), "/dev/sdd", w.src[2]);
	char path[8192];
	snprintf(path, sizeof(path), "%s:%s", getenv("VMFS_TEST_BIN"), getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	cr_assert_eq(setenv("PATH", path, 1), 0);

	/* Night 1: one backup per source. */
	cron_run_silent(&w, "night 1");
	struct listing a1 = backups_of(w.dir, w.canonical[0]), b1 = backups_of(w.dir, w.canonical[1]),
		       c1 = backups_of(w.dir, w.canonical[2]);
	cr_assert_eq(a1.count, 1);
	cr_assert_eq(b1.count, 1);
	cr_assert_eq(c1.count, 1);
	cr_assert_eq(list_dir(w.dir).count, 3, "nothing but the three backups");
	cr_assert_str_neq(a1.names[0], b1.names[0]);
	cr_assert(strncmp(a1.names[0], "disk.img-path-", 14) == 0, "%s", a1.names[0]);
	cr_assert(strncmp(b1.names[0], "disk.img-path-", 14) == 0, "%s", b1.names[0]);
	cr_assert(strncmp(c1.names[0], "lun.img-path-", 13) == 0, "%s", c1.names[0]);

	/* Night 2: nothing changed, --if-changed writes nothing. */
	cron_run_silent(&w, "night 2");
	struct listing all2 = list_dir(w.dir);
	cr_assert_eq(all2.count, 3, "a file was written for an unchanged source");

	/* Night 3: source A changed. */
	relabel(w.src[0], 5, "a-3");
	cron_run_silent(&w, "night 3");
	struct listing a3 = backups_of(w.dir, w.canonical[0]);
	cr_assert_eq(a3.count, 2);
	cr_assert(listed(&a3, a1.names[0]));
	struct listing b3 = backups_of(w.dir, w.canonical[1]), c3 = backups_of(w.dir, w.canonical[2]);
	cr_assert(same_listing(&b3, &b1), "B unchanged: no new file");
	cr_assert(same_listing(&c3, &c1), "C unchanged: no new file");

	/* Night 4: A and B changed. */
	relabel(w.src[0], 5, "a-4");
	relabel(w.src[1], 6, "b-4");
	cron_run_silent(&w, "night 4");
	struct listing a4 = backups_of(w.dir, w.canonical[0]), b4 = backups_of(w.dir, w.canonical[1]);
	cr_assert_eq(a4.count, 3);
	cr_assert_eq(b4.count, 2);
	cr_assert(listed(&b4, b1.names[0]));
	struct listing c4 = backups_of(w.dir, w.canonical[2]);
	cr_assert(same_listing(&c4, &c1));

	/* Night 5: A changed a third time: --keep 3 removes A's oldest, and
	 * only it (B's oldest is older still and stays). */
	relabel(w.src[0], 5, "a-5");
	cron_run_silent(&w, "night 5");
	struct listing a5 = backups_of(w.dir, w.canonical[0]), b5 = backups_of(w.dir, w.canonical[1]),
		       c5 = backups_of(w.dir, w.canonical[2]);
	cr_assert_eq(a5.count, 3);
	cr_assert_not(listed(&a5, a1.names[0]), "A's oldest backup was not removed");
	for (size_t i = 1; i < a4.count; i++)
		cr_assert(listed(&a5, a4.names[i]), "A's newer backup %s was removed", a4.names[i]);
	cr_assert(same_listing(&b5, &b4), "B's backups were touched by A's rotation");
	cr_assert(same_listing(&c5, &c1), "C's backup was touched by A's rotation");
	cr_assert_eq(list_dir(w.dir).count, 6);
	/* The newest of A holds the last label. */
	char newest[8192];
	snprintf(newest, sizeof(newest), "%s/%s", w.dir, a5.names[2]);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_load(newest, &b, &err), VMFS_OK, "%s", err.reason);
	cr_assert_not_null(strstr(b.manifest, "\"a-5\""), "%s", b.manifest);
	vmfs_backup_free(&b);

	/* Night 6: C lost its volume (zeroed): no backup of it, its old one
	 * kept, A and B still handled, and the echo of the example says the
	 * exit status (what cron mails). */
	cr_assert_eq(unlink(w.src[2]), 0);
	FILE *f = fopen(w.src[2], "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(truncate(w.src[2], 1ll << 30), 0);
	relabel(w.src[1], 6, "b-6");
	tool_result r = run_cron(&w);
	cr_assert_eq(r.status, 0, "the || echo of the example: %s", r.err);
	cr_assert_str_eq(r.out, "vmfs-backup: exit status 1\n");
	cr_assert_not_null(strstr(r.err, "no VMFS volume: nothing backed up"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, w.src[2]), "%s", r.err);
	tool_result_free(&r);
	struct listing b6 = backups_of(w.dir, w.canonical[1]), c6 = backups_of(w.dir, w.canonical[2]);
	cr_assert_eq(b6.count, 3, "B was backed up in the same run");
	cr_assert(same_listing(&c6, &c1), "C's last backup is kept when C has no volume");
}

/* ---- Names. ---- */

Test(backup_cron, sources_with_one_base_name_never_collide)
{
	char a[8192], b[8192], dir[4096], da[4096], db[4096];
	tmp_copy(da, sizeof(da), "a");
	tmp_copy(db, sizeof(db), "b");
	tmp_copy(dir, sizeof(dir), "backups");
	mkdir_or_fail(da);
	mkdir_or_fail(db);
	mkdir_or_fail(dir);
	snprintf(a, sizeof(a), "%s/disk.img", da);
	snprintf(b, sizeof(b), "%s/disk.img", db);
	/* Byte-identical sources: only their paths tell them apart. */
	mkfixture("volume", "--lvm", "5", a, NULL);
	mkfixture("volume", "--lvm", "5", b, NULL);
	tool_result r = run_tool("vmfs-backup", "--json", "--dir", dir, "--keep", "1", "--if-changed", a, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	char out_a[4096], out_b[4096];
	snprintf(out_a, sizeof(out_a), "%s", jstr_at(doc, "sources[0].output"));
	snprintf(out_b, sizeof(out_b), "%s", jstr_at(doc, "sources[1].output"));
	json_object_put(doc);
	tool_result_free(&r);
	cr_assert_str_neq(out_a, out_b);
	cr_assert_eq(list_dir(dir).count, 2);
	/* --if-changed compares each with its own newest: both unchanged;
	 * --keep 1 for one never removes the other's. */
	r = run_tool("vmfs-backup", "--json", "--dir", dir, "--keep", "1", "--if-changed", a, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "sources[0].unchanged_since"), out_a);
	cr_assert_str_eq(jstr_at(doc, "sources[1].unchanged_since"), out_b);
	cr_assert_not(json_object_get_boolean(jpath(doc, "written")));
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-backup", "-q", "--dir", dir, "--keep", "1", a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	struct listing l = list_dir(dir);
	cr_assert_eq(l.count, 2, "a's new backup replaced a's old one, b's stays");
	const char *slash = strrchr(out_b, '/');
	cr_assert(listed(&l, slash + 1), "b's backup was removed by a's rotation");
	cr_assert_eq(access(out_a, F_OK), -1, "a's old backup was kept");
	/* Run twice within one second: names still differ (microseconds). */
	r = run_tool("vmfs-backup", "-q", "--dir", dir, a, a, a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert_eq(list_dir(dir).count, 5);
}

Test(backup_cron, names_are_safe_and_recognised_exactly)
{
	char key[VMFS_BACKUP_SET_KEY_MAX + 1], prefix[VMFS_BACKUP_SET_PREFIX_MAX + 1];
	vmfs_backup_set_key("t10.ATA     WDC/WD10 \\x01", "S1", "/dev/sdb", key);
	cr_assert_str_eq(key, "wwid-t10.ATA_____WDC_WD10__x01");
	vmfs_backup_set_key("", "A1 B2", "/dev/sdb", key);
	cr_assert_str_eq(key, "serial-A1_B2");
	/* Without WWID and serial: "path-" and 12 hex digits of the path's
	 * SHA-256, different for two paths with one base name. */
	char other[VMFS_BACKUP_SET_KEY_MAX + 1];
	vmfs_backup_set_key(NULL, NULL, "/a/disk.img", key);
	vmfs_backup_set_key(NULL, NULL, "/b/disk.img", other);
	cr_assert_eq(strlen(key), 17, "%s", key);
	cr_assert(strncmp(key, "path-", 5) == 0);
	cr_assert_str_neq(key, other);
	char longwwid[400];
	memset(longwwid, 'x', sizeof(longwwid) - 1);
	longwwid[sizeof(longwwid) - 1] = '\0';
	vmfs_backup_set_prefix("/dev/disk/by-id/a very long name with spaces and more than sixty-four bytes in it!",
			       longwwid, NULL, prefix);
	cr_assert_lt(strlen(prefix), (size_t)VMFS_BACKUP_SET_PREFIX_MAX + 1);
	cr_assert_eq(strspn(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"), strlen(prefix),
		     "%s", prefix);
	char name[VMFS_BACKUP_SET_NAME_MAX + 1];
	struct timespec when = { .tv_sec = 1796220000, .tv_nsec = 123456789 };
	vmfs_backup_set_prefix("/x/sdb", "naa.600508b1001c3a6b", NULL, prefix);
	vmfs_backup_set_name(prefix, &when, name);
	cr_assert_str_eq(name, "sdb-wwid-naa.600508b1001c3a6b-20261202T140000.123456Z.vmfsbak");
	cr_assert_lt(strlen(name), 256);
	cr_assert(vmfs_backup_set_name_matches(name, prefix));
	static const char *const not_ours[] = {
		"sdb-wwid-naa.600508b1001c3a6b-20261202T060000.123456Z.vmfsbak~",
		"sdb-wwid-naa.600508b1001c3a6b-20261202T060000.12345Z.vmfsbak",
		"sdb-wwid-naa.600508b1001c3a6b-20261202T060000Z.vmfsbak",
		"sdb-wwid-naa.600508b1001c3a6b-x-20261202T060000.123456Z.vmfsbak",
		"sdb-wwid-naa.600508b1001c3a6b-20261202T060000.123456Z.undo",
		"xsdb-wwid-naa.600508b1001c3a6b-20261202T060000.123456Z.vmfsbak",
		"sdb-wwid-naa.600508b1001c3a6b-2026120aT060000.123456Z.vmfsbak",
	};
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		cr_assert_not(vmfs_backup_set_name_matches(not_ours[i], prefix), "%s", not_ours[i]);
}

/* ---- --keep deletes only what it can prove is the source's. ---- */

Test(backup_cron, keep_never_removes_what_is_not_the_sources)
{
	char a[4096], b[4096], dir[4096];
	tmp_copy(a, sizeof(a), "a.img");
	tmp_copy(b, sizeof(b), "b.img");
	tmp_copy(dir, sizeof(dir), "backups");
	mkdir_or_fail(dir);
	mkfixture("volume", "--lvm", "5", a, NULL);
	mkfixture("volume", "--lvm", "6", b, NULL);
	tool_result r = run_tool("vmfs-backup", "--json", "--dir", dir, a, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	char first_a[4096], first_b[4096];
	snprintf(first_a, sizeof(first_a), "%s", jstr_at(doc, "sources[0].output"));
	snprintf(first_b, sizeof(first_b), "%s", jstr_at(doc, "sources[1].output"));
	json_object_put(doc);
	tool_result_free(&r);
	/* The name of a's first backup, one microsecond earlier: older than
	 * every real one, so --keep would remove it first if it counted. */
	const char *base_a = strrchr(first_a, '/') + 1;
	size_t stamp_at = strlen(base_a) - strlen("123456Z.vmfsbak");
	char forged[3][16384];
	const char *kinds[3] = { "000000Z.vmfsbak", "000001Z.vmfsbak", "000002Z.vmfsbak" };
	for (int i = 0; i < 3; i++)
		snprintf(forged[i], sizeof(forged[i]), "%s/%.*s%s", dir, (int)(stamp_at & 0xfff), base_a, kinds[i]);
	/* 1: b's backup under a's name (its header names b); 2: garbage; 3: a
	 * folder. */
	char command[90000];
	snprintf(command, sizeof(command), "cp '%s' '%s' && printf junk > '%s' && mkdir '%s' && printf keep > '%s/notes.txt'",
		 first_b, forged[0], forged[1], forged[2], dir);
	const char *argv[] = { "/bin/sh", "-c", command, NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);

	for (int run = 0; run < 2; run++) {
		r = run_tool("vmfs-backup", "--json", "--dir", dir, "--keep", "1", a, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		for (int i = 0; i < 3; i++)
			cr_assert_not_null(strstr(r.err, strrchr(forged[i], '/') + 1), "not said: %s", r.err);
		cr_assert_not_null(strstr(r.err, "not counted and kept"), "%s", r.err);
		cr_assert_not_null(strstr(r.err, "another source"), "%s", r.err);
		doc = parse_json(r.out);
		cr_assert_eq(json_object_array_length(jpath(doc, "sources[0].removed")), 1);
		if (run == 0)
			cr_assert_str_eq(jstr_at(doc, "sources[0].removed[0]"), first_a);
		json_object_put(doc);
		tool_result_free(&r);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_eq(access(forged[i], F_OK), 0, "%s was removed", forged[i]);
	char notes[8192];
	snprintf(notes, sizeof(notes), "%s/notes.txt", dir);
	cr_assert_eq(access(notes, F_OK), 0);
	cr_assert_eq(access(first_b, F_OK), 0, "b's backup was removed");
	/* a's one kept backup, b's, the three forged entries, notes.txt. */
	cr_assert_eq(list_dir(dir).count, 6);
}

/* ---- --if-changed: a changed size is a change. ---- */

Test(backup_cron, if_changed_sees_a_grown_source)
{
	char a[4096], dir[4096];
	tmp_copy(a, sizeof(a), "grow.img");
	tmp_copy(dir, sizeof(dir), "backups");
	mkdir_or_fail(dir);
	mkfixture("volume", "--lvm", "5", a, NULL);
	tool_result r = run_tool("vmfs-backup", "--dir", dir, "--if-changed", a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-backup", "--dir", dir, "--if-changed", a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "unchanged since "), "%s", r.out);
	tool_result_free(&r);
	cr_assert_eq(list_dir(dir).count, 1);
	cr_assert_eq(truncate(a, (off_t)file_size(a) + (1 << 20)), 0);
	r = run_tool("vmfs-backup", "--dir", dir, "--if-changed", a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "unchanged"), "%s", r.out);
	tool_result_free(&r);
	cr_assert_eq(list_dir(dir).count, 2);
	/* One byte of the LVM metadata: a change. */
	uint8_t byte = 0x5a;
	patch_file(a, 0x100000 + 0x200, &byte, 1);
	r = run_tool("vmfs-backup", "--dir", dir, "--if-changed", a, NULL);
	cr_assert_null(strstr(r.out, "unchanged"), "%s", r.out);
	tool_result_free(&r);
	cr_assert_eq(list_dir(dir).count, 3);
}

/* ---- Exit status 1 and the JSON document. ---- */

static void assert_envelope(json_object *doc, int status)
{
	static const char *const keys[] = { "tool", "version", "exit_status", "errors", "written", "sources", "verified" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert(json_object_object_get_ex(doc, keys[i], NULL), "no key %s", keys[i]);
	cr_assert_str_eq(jstr_at(doc, "tool"), "vmfs-backup");
	cr_assert_eq(json_object_get_int(jpath(doc, "exit_status")), status);
	json_object *errors = jpath(doc, "errors");
	if (status == 0)
		cr_assert_eq(json_object_array_length(errors), 0, "errors[] with exit status 0");
	else
		cr_assert_gt(json_object_array_length(errors), 0, "exit status %d and no errors[]", status);
	for (size_t i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		static const char *const ekeys[] = { "path", "offset", "code", "message" };
		for (size_t k = 0; k < 4; k++)
			cr_assert(json_object_object_get_ex(e, ekeys[k], NULL), "errors[%zu] has no %s", i, ekeys[k]);
		const char *code = json_object_get_string(json_object_object_get(e, "code"));
		cr_assert_eq(strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(code), "code %s", code);
	}
	json_object *sources = jpath(doc, "sources");
	for (size_t i = 0; i < json_object_array_length(sources); i++) {
		json_object *s = json_object_array_get_idx(sources, i);
		static const char *const skeys[] = { "path", "identity", "output", "unchanged_since", "removed",
						     "volumes", "damage", "regions", "bytes", "sha256" };
		for (size_t k = 0; k < sizeof(skeys) / sizeof(skeys[0]); k++)
			cr_assert(json_object_object_get_ex(s, skeys[k], NULL), "sources[%zu] has no %s", i, skeys[k]);
		static const char *const ikeys[] = { "size", "sector_size", "wwid", "serial", "vendor", "model" };
		for (size_t k = 0; k < 6; k++)
			cr_assert(json_object_object_get_ex(json_object_object_get(s, "identity"), ikeys[k], NULL),
				  "sources[%zu].identity has no %s", i, ikeys[k]);
	}
}

Test(backup_cron, a_source_without_a_volume_is_status_1)
{
	char a[4096], empty[4096], missing[4096], dir[4096], out[4096];
	tmp_copy(a, sizeof(a), "a.img");
	tmp_copy(empty, sizeof(empty), "empty.img");
	tmp_copy(missing, sizeof(missing), "missing.img");
	tmp_copy(dir, sizeof(dir), "backups");
	tmp_copy(out, sizeof(out), "empty.vmfsbak");
	mkdir_or_fail(dir);
	mkfixture("volume", "--lvm", "5", "--label", "one", a, NULL);
	FILE *f = fopen(empty, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(truncate(empty, 64 << 20), 0);

	tool_result r = run_tool("vmfs-backup", "--json", "--dir", dir, "--keep", "2", empty, a, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	json_object *doc = parse_json(r.out);
	assert_envelope(doc, 1);
	cr_assert(json_object_get_boolean(jpath(doc, "written")), "a was backed up");
	cr_assert_null(jpath(doc, "sources[0].output"));
	cr_assert_eq(json_object_array_length(jpath(doc, "sources[0].volumes")), 0);
	cr_assert_eq(ju64_at(doc, "sources[0].identity.size"), 64 << 20);
	cr_assert_str_eq(jstr_at(doc, "errors[0].code"), "nothing-found");
	cr_assert_str_eq(jstr_at(doc, "errors[0].path"), empty);
	cr_assert_not_null(jpath(doc, "sources[1].output"));
	cr_assert_eq(json_object_get_boolean(jpath(doc, "sources[1].volumes[0].in_partition_table")), false);
	cr_assert_str_eq(jstr_at(doc, "sources[1].volumes[0].label"), "one");
	cr_assert_eq(ju64_at(doc, "sources[1].regions"), 5);
	cr_assert_eq(strlen(jstr_at(doc, "sources[1].sha256")), 64);
	json_object_put(doc);
	tool_result_free(&r);
	cr_assert_eq(list_dir(dir).count, 1, "no file for the empty source");

	/* -O: status 1, no file. */
	r = run_tool("vmfs-backup", empty, "-O", out, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "no VMFS volume"), "%s", r.err);
	tool_result_free(&r);
	cr_assert_eq(access(out, F_OK), -1);

	/* The worst status wins: an unreadable source makes it 2; the JSON
	 * says which. */
	r = run_tool("vmfs-backup", "--json", "--dir", dir, a, missing, empty, NULL);
	cr_assert_eq(r.status, 2);
	doc = parse_json(r.out);
	assert_envelope(doc, 2);
	cr_assert_str_eq(jstr_at(doc, "errors[0].path"), missing);
	cr_assert_str_eq(jstr_at(doc, "errors[0].code"), "io");
	cr_assert_null(jpath(doc, "errors[0].offset"));
	cr_assert_null(jpath(doc, "sources[1].identity.size"));
	json_object_put(doc);
	tool_result_free(&r);
}

/* ---- --verify A B C. ---- */

Test(backup_cron, verify_takes_several_files)
{
	char a[4096], dir[4096];
	tmp_copy(a, sizeof(a), "a.img");
	tmp_copy(dir, sizeof(dir), "backups");
	mkdir_or_fail(dir);
	mkfixture("volume", "--lvm", "5", a, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", "--dir", dir, a, a, a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	struct listing l = list_dir(dir);
	cr_assert_eq(l.count, 3);
	char files[3][8192];
	for (int i = 0; i < 3; i++)
		snprintf(files[i], sizeof(files[i]), "%s/%s", dir, l.names[i]);
	r = run_tool("vmfs-backup", "--verify", files[0], files[1], files[2], NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(strstr(r.out, files[i]), "%s", r.out);
	tool_result_free(&r);

	uint8_t flip = 0xFF;
	patch_file(files[1], file_size(files[1]) / 2, &flip, 1);
	r = run_tool("vmfs-backup", "--json", "--verify", files[0], files[1], files[2], NULL);
	cr_assert_eq(r.status, 2);
	json_object *doc = parse_json(r.out);
	assert_envelope(doc, 2);
	cr_assert_eq(json_object_array_length(jpath(doc, "verified")), 3);
	cr_assert(json_object_get_boolean(jpath(doc, "verified[0].ok")));
	cr_assert_not(json_object_get_boolean(jpath(doc, "verified[1].ok")));
	cr_assert(json_object_get_boolean(jpath(doc, "verified[2].ok")), "the file after the damaged one was checked");
	cr_assert_str_eq(jstr_at(doc, "verified[1].path"), files[1]);
	cr_assert_str_eq(jstr_at(doc, "errors[0].path"), files[1]);
	cr_assert_eq(json_object_array_length(jpath(doc, "errors")), 1);
	cr_assert_not(json_object_get_boolean(jpath(doc, "written")));
	cr_assert_eq(json_object_array_length(jpath(doc, "sources")), 0);
	json_object_put(doc);
	tool_result_free(&r);
}

Test(backup_cron, usage)
{
	char a[4096], dir[4096];
	tmp_copy(a, sizeof(a), "a.img");
	tmp_copy(dir, sizeof(dir), "backups");
	mkdir_or_fail(dir);
	static const char *const bad[][8] = {
		{ "-o", "x.vmfsbak", "A" },             /* -o is an offset in every tool; none here */
		{ "--verify" },                          /* no file */
		{ "--verify", "--dir", "D", "A" },
		{ "--keep", "2", "A", "-O", "x.vmfsbak" }, /* --keep needs --dir */
		{ "--if-changed", "A", "-O", "x.vmfsbak" },
		{ "--keep", "0", "--dir", "D", "A" },
		{ "--keep", "2x", "--dir", "D", "A" },
		{ "--keep", "-1", "--dir", "D", "A" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[12];
		char program[4096];
		snprintf(program, sizeof(program), "%s/vmfs-backup", getenv("VMFS_TEST_BIN"));
		size_t n = 0;
		argv[n++] = program;
		for (size_t k = 0; k < 8 && bad[i][k]; k++)
			argv[n++] = strcmp(bad[i][k], "A") == 0 ? a : strcmp(bad[i][k], "D") == 0 ? dir : bad[i][k];
		argv[n] = NULL;
		tool_result r = run_argv(argv);
		cr_assert_eq(r.status, 3, "case %zu: %s", i, r.err);
		tool_result_free(&r);
	}
	cr_assert_eq(list_dir(dir).count, 0);
}
