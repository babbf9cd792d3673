/* Fault injection on writes (vmfs/fault, VMFS_TEST_FAULT): for each writing
 * operation (partition-table rebuild, restore from backup, resignature) and
 * each fault (a short write, EIO, ENOSPC, a failed fsync, a crash after N
 * bytes) on the target or on the undo file, the target ends either
 * unchanged, or changed and put back byte for byte by --undo. A crash while
 * the undo file is written leaves the target untouched and an undo file that
 * --undo refuses. Backups: a failed save leaves no file, a crashed one a file
 * that --verify rejects. */
#include "tests/support/support.h"
#include "vmfs/core/fault.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct operation {
	const char *name;
	const char *tool;
	void (*prepare)(const char *target);   /* builds the damaged or original target */
	const char *args[6];                    /* before --undo-file U TARGET */
} operation;

static char backup_file[4096];

static void prepare_rebuild(const char *target)
{
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,label=lost", target, NULL);
	wipe_gpt(target, 1ull << 30);
}

static void prepare_from_backup(const char *target)
{
	mkfixture("volume", "--lvm", "5", target, NULL);
	snprintf(backup_file, sizeof(backup_file), "%s", tmp_path("before.bkp"));
	unlink(backup_file);
	tool_result r = run_tool("vmfs-backup", "-q", target, "-O", backup_file, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	/* The header and the descriptor gone (the damage). */
	static uint8_t zero[64 << 10];
	patch_file(target, 0x100000, zero, sizeof(zero));
	patch_file(target, 0x1300000, zero, 4096);
}

static void prepare_resignature(const char *target)
{
	mkfixture("volume", "--lvm", "6", target, NULL);
}

static const operation operations[] = {
	{ "partition table rebuild", "vmfs-restore", prepare_rebuild, { "--write", NULL } },
	{ "restore from backup", "vmfs-restore", prepare_from_backup, { "--from-backup", "@BACKUP", "--write", NULL } },
	{ "resignature", "vmfs-resignature", prepare_resignature, { "--new-identity", "--write", NULL } },
};

typedef struct fault_case {
	const char *kind;
	unsigned long long after;
	bool on_undo_file;   /* else on the target */
} fault_case;

static const fault_case faults[] = {
	{ "short", 0, false },  { "eio", 0, false },    { "eio", 100, false },  { "enospc", 700, false },
	{ "fsync", 0, false },  { "crash", 0, false },  { "crash", 1, false },  { "crash", 300, false },
	{ "crash", 5000, false }, { "crash", 0, true }, { "crash", 600, true }, { "eio", 512, true },
	{ "enospc", 100, true }, { "fsync", 0, true },  { "short", 3, true },
};

/* The tool of the fault-injection test build. */
static const char *fault_tool(const char *tool, char *buf, size_t size)
{
	const char *dir = getenv("VMFS_TEST_FAULT_BIN");
	cr_assert(dir, "VMFS_TEST_FAULT_BIN is not set (run through tests/run-tests.sh)");
	snprintf(buf, size, "%s/%s", dir, tool);
	return buf;
}

static tool_result run_with_fault(const operation *op, const char *target, const char *undo, const char *fault)
{
	const char *argv[16];
	size_t n = 0;
	char tool[4200];
	argv[n++] = fault_tool(op->tool, tool, sizeof(tool));
	for (size_t i = 0; op->args[i]; i++)
		argv[n++] = strcmp(op->args[i], "@BACKUP") == 0 ? backup_file : op->args[i];
	argv[n++] = "--undo-file";
	argv[n++] = undo;
	argv[n++] = "-q";
	argv[n++] = target;
	argv[n] = NULL;
	if (fault)
		setenv(VMFS_FAULT_ENV, fault, 1);
	tool_result r = run_argv(argv);
	unsetenv(VMFS_FAULT_ENV);
	return r;
}

static void undo_restores(const operation *op, const char *undo, const char *target, const char *before,
			  const char *what)
{
	tool_result r = run_tool(op->tool, "--undo", undo, target, NULL);
	cr_assert_eq(r.status, 0, "%s: --undo failed: %s", what, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(target, before), "%s: --undo did not restore the target byte for byte", what);
}

static void run_matrix(const operation *op)
{
	/* tmp_path() hands out a small ring of buffers: keep our own copies. */
	char base[4096], target[4096], before[4096], undo[4096];
	snprintf(base, sizeof(base), "%s", tmp_path("base.img"));
	snprintf(target, sizeof(target), "%s", tmp_path("target.img"));
	snprintf(before, sizeof(before), "%s", tmp_path("before.img"));
	snprintf(undo, sizeof(undo), "%s", tmp_path("op.undo"));
	op->prepare(base);
	size_t outcomes[3] = { 0 }; /* success, crash, error */
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		const fault_case *f = &faults[i];
		unlink(target);
		unlink(before);
		unlink(undo);
		dd_copy(base, target, "1M", "count=100000");
		dd_copy(base, before, "1M", "count=100000");
		char spec[4400], what[256];
		snprintf(spec, sizeof(spec), "%s:%llu:%s", f->kind, f->after, f->on_undo_file ? undo : target);
		snprintf(what, sizeof(what), "%s, %s after %llu bytes of the %s", op->name, f->kind, f->after,
			 f->on_undo_file ? "undo file" : "target");
		tool_result r = run_with_fault(op, target, undo, spec);
		int status = r.status;
		outcomes[status == 0 ? 0 : status == VMFS_FAULT_CRASH_STATUS ? 1 : 2]++;
		if (status == 0) {
			/* A short write is only slower; a fault past the end never fired. */
			cr_assert(strcmp(f->kind, "short") == 0 || f->after > 0, "%s: succeeded: %s", what, r.out);
			undo_restores(op, undo, target, before, what);
		} else if (status == VMFS_FAULT_CRASH_STATUS) {
			cr_assert_str_eq(f->kind, "crash", "%s", what);
			if (f->on_undo_file) {
				/* The target is written only after the undo file is complete. */
				cr_assert(files_equal(target, before), "%s: the target changed before the undo file was saved",
					  what);
				tool_result u = run_tool(op->tool, "--undo", undo, target, NULL);
				cr_assert_eq(u.status, 2, "%s: an incomplete undo file was accepted", what);
				tool_result_free(&u);
			} else {
				undo_restores(op, undo, target, before, what);
			}
		} else {
			cr_assert_eq(status, 2, "%s: exit %d: %s", what, status, r.err);
			cr_assert(files_equal(target, before), "%s: the target was left changed: %s", what, r.err);
			bool explained = strstr(r.err, "nothing was written") || strstr(r.err, "rolled back");
			cr_assert(explained, "%s: stderr does not say what happened: %s", what, r.err);
			if (f->on_undo_file)
				cr_assert_eq(access(undo, F_OK), -1, "%s: a partial undo file was left", what);
		}
		tool_result_free(&r);
	}
	/* The matrix exercised every outcome: the faults did fire. */
	cr_assert(outcomes[0] && outcomes[1] >= 3 && outcomes[2] >= 5, "%s: %zu successes, %zu crashes, %zu errors",
		  op->name, outcomes[0], outcomes[1], outcomes[2]);
}

Test(fault, partition_table_rebuild)
{
	run_matrix(&operations[0]);
}

Test(fault, restore_from_backup)
{
	run_matrix(&operations[1]);
}

Test(fault, resignature)
{
	run_matrix(&operations[2]);
}

/* vmfs-backup: a failed save leaves nothing; a crashed one leaves an
 * incomplete file that --verify and the restore refuse. */
Test(fault, backup_save)
{
	char image[4096], out[4096];
	snprintf(image, sizeof(image), "%s", tmp_path("v5.img"));
	snprintf(out, sizeof(out), "%s", tmp_path("out.bkp"));
	mkfixture("volume", "--lvm", "5", image, NULL);
	const char *kinds[] = { "eio:0", "eio:5000", "enospc:100", "fsync:0", "crash:0", "crash:4096", "crash:9000",
				"short:10" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		unlink(out);
		char spec[4400];
		snprintf(spec, sizeof(spec), "%s:%s", kinds[i], out);
		setenv(VMFS_FAULT_ENV, spec, 1);
		char tool[4200];
		const char *argv[] = { fault_tool("vmfs-backup", tool, sizeof(tool)), "-q", image, "-O", out, NULL };
		tool_result r = run_argv(argv);
		unsetenv(VMFS_FAULT_ENV);
		tool_result v = run_tool("vmfs-backup", "--verify", out, NULL);
		if (r.status == 0) {
			cr_assert_eq(v.status, 0, "%s: a backup that reported success does not verify: %s", kinds[i], v.err);
		} else if (r.status == VMFS_FAULT_CRASH_STATUS) {
			cr_assert_eq(v.status, 2, "%s: a crashed backup verifies", kinds[i]);
		} else {
			cr_assert_eq(r.status, 2, "%s: exit %d", kinds[i], r.status);
			cr_assert_eq(access(out, F_OK), -1, "%s: a failed backup left a file", kinds[i]);
		}
		tool_result_free(&v);
		tool_result_free(&r);
	}
}

/* The installed tools do not carry the seam: with a crash armed on the
 * target, the normal vmfs-restore writes and succeeds, while the test build
 * of the same tool crashes as told (so the fault spec is a valid one). */
Test(fault, normal_tools_ignore_the_seam)
{
	char base[4096], target[4096], undo[4096], spec[4400], tool[4200];
	snprintf(base, sizeof(base), "%s", tmp_path("seam-base.img"));
	snprintf(target, sizeof(target), "%s", tmp_path("seam-target.img"));
	snprintf(undo, sizeof(undo), "%s", tmp_path("seam.undo"));
	prepare_rebuild(base);
	snprintf(spec, sizeof(spec), "crash:0:%s", target);
	setenv(VMFS_FAULT_ENV, spec, 1);
	dd_copy(base, target, "1M", "count=100000");
	const char *faulty[] = { fault_tool("vmfs-restore", tool, sizeof(tool)), "--write", "--undo-file", undo, "-q",
				 target, NULL };
	tool_result r = run_argv(faulty);
	cr_assert_eq(r.status, VMFS_FAULT_CRASH_STATUS, "the test build did not crash as told: %s", r.err);
	tool_result_free(&r);
	unlink(undo);
	dd_copy(base, target, "1M", "count=100000");
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, "-q", target, NULL);
	unsetenv(VMFS_FAULT_ENV);
	cr_assert_eq(r.status, 0, "the normal vmfs-restore obeyed VMFS_TEST_FAULT (exit %d): %s", r.status, r.err);
	cr_assert(!files_equal(target, base), "the normal vmfs-restore wrote nothing");
	tool_result_free(&r);
}
