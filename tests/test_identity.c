/* vmfs/identity: the identity of a source (size, sector size, SCSI identity
 * from sysfs) and the check that a target is the source a backup was taken
 * from. SAN hardware is replaced by fake sysfs trees in the test's temporary
 * folder; block devices by loop devices where this machine allows them. */
#include "tests/support/support.h"
#include "vmfs/backup/backup.h"
#include "vmfs/source/identity.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* mkdir -p of the directory part of path. */
static void make_parents(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
}

/* Writes dir/rel (creating folders) with exactly n bytes. */
static void put(const char *dir, const char *rel, const void *bytes, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	make_parents(path);
	write_whole_file(path, bytes, n);
}

static void put_text(const char *dir, const char *rel, const char *text)
{
	put(dir, rel, text, strlen(text));
}

/* A copy of a tmp_path (its ring of names is short). */
static char *tmp_dir(const char *name)
{
	char *dir = strdup(tmp_path(name));
	cr_assert_not_null(dir);
	return dir;
}

/* An identity with junk in every text field, to see them cleared. */
static vmfs_identity dirty_identity(void)
{
	vmfs_identity id;
	memset(&id, 0, sizeof(id));
	snprintf(id.wwid, sizeof(id.wwid), "stale");
	snprintf(id.serial, sizeof(id.serial), "stale");
	snprintf(id.vendor, sizeof(id.vendor), "stale");
	snprintf(id.model, sizeof(id.model), "stale");
	return id;
}

Test(identity, regular_file)
{
	const char *path = tmp_path("image.bin");
	uint8_t bytes[12345];
	fill_pattern(bytes, sizeof(bytes), 7);
	write_whole_file(path, bytes, sizeof(bytes));
	vmfs_identity id = dirty_identity();
	vmfs_error err;
	cr_assert_eq(vmfs_identity_read(path, NULL, &id, &err), VMFS_OK, "%s", err.reason);
	cr_assert_str_eq(id.path, path);
	cr_assert_eq(id.size, sizeof(bytes));
	cr_assert_eq(id.sector_size, 512);
	cr_assert_not(id.block);
	cr_assert_str_empty(id.wwid);
	cr_assert_str_empty(id.serial);
	cr_assert_str_empty(id.vendor);
	cr_assert_str_empty(id.model);
	/* A fake sysfs root changes nothing for a file: only devices have one. */
	cr_assert_eq(vmfs_identity_read(path, tmp_path("no-such-sysfs"), &id, NULL), VMFS_OK);
	cr_assert_str_empty(id.wwid);
}

Test(identity, errors_are_values)
{
	vmfs_identity id = dirty_identity();
	vmfs_error err;
	const char *missing = tmp_path("missing.img");
	cr_assert_eq(vmfs_identity_read(missing, NULL, &id, &err), VMFS_ERR_IO);
	cr_assert_eq(err.sys_errno, ENOENT);
	cr_assert_str_eq(err.path, missing);
	cr_assert_eq(err.offset, VMFS_NO_OFFSET);
	cr_assert_str_empty(id.wwid, "left empty on failure");
	cr_assert_eq(id.size, 0);

	char *dir = tmp_dir("a-directory");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(vmfs_identity_read(dir, NULL, &id, &err), VMFS_ERR_UNSUPPORTED);
	cr_assert_not_null(strstr(err.reason, "directory"), "%s", err.reason);
	/* A FIFO is refused before it is opened: opening it would block. */
	const char *fifo = tmp_path("a-fifo");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(vmfs_identity_read(fifo, NULL, &id, &err), VMFS_ERR_UNSUPPORTED);
	cr_assert_str_eq(err.path, fifo);
	cr_assert_eq(vmfs_identity_read("/dev/null", NULL, &id, NULL), VMFS_ERR_UNSUPPORTED, "character device");
	cr_assert_eq(vmfs_identity_read(NULL, NULL, &id, &err), VMFS_ERR_INVALID_ARG);
	free(dir);
}

/* The attributes of a SCSI disk as the kernel shows them: INQUIRY strings
 * padded with spaces, every value ending with a newline. */
Test(identity, sysfs_whole_disk)
{
	char *sda = tmp_dir("sys/block/sda");
	put_text(sda, "device/wwid", "naa.600508b1001c4d3b5a3e4f2a1b2c3d4e\n");
	put_text(sda, "device/serial", "  PDNLH0BRH9F1E3 \n");
	put_text(sda, "device/vendor", "HP      \n");
	put_text(sda, "device/model", "LOGICAL VOLUME  \n");
	vmfs_identity id = dirty_identity();
	id.size = 42;
	vmfs_identity_read_sysfs(sda, &id);
	cr_assert_str_eq(id.wwid, "naa.600508b1001c4d3b5a3e4f2a1b2c3d4e");
	cr_assert_str_eq(id.serial, "  PDNLH0BRH9F1E3", "leading spaces are part of the value");
	cr_assert_str_eq(id.vendor, "HP");
	cr_assert_str_eq(id.model, "LOGICAL VOLUME");
	cr_assert_eq(id.size, 42, "only the text fields are touched");
	free(sda);
}

/* A partition has no device/ of its own: its disk's identity is used, also
 * when MAJ:MIN is a symbolic link as in /sys/dev/block. */
Test(identity, sysfs_partition_uses_its_disk)
{
	char *root = tmp_dir("sys");
	put_text(root, "devices/sdb/device/wwid", "eui.0025385b71b0a2c4\n");
	put_text(root, "devices/sdb/device/vendor", "SAMSUNG \n");
	put_text(root, "devices/sdb/sdb1/partition", "1\n");
	put_text(root, "devices/sdb/sdb1/device/wwid", "naa.decoy\n");
	cr_assert_eq(mkdir(tmp_path("sys/dev"), 0700), 0);
	cr_assert_eq(mkdir(tmp_path("sys/dev/block"), 0700), 0);
	cr_assert_eq(symlink("../../devices/sdb/sdb1", tmp_path("sys/dev/block/8:17")), 0);
	cr_assert_eq(symlink("../../devices/sdb", tmp_path("sys/dev/block/8:16")), 0);

	vmfs_identity part = dirty_identity(), disk = dirty_identity(), direct = dirty_identity();
	vmfs_identity_read_sysfs(tmp_path("sys/dev/block/8:17"), &part);
	vmfs_identity_read_sysfs(tmp_path("sys/dev/block/8:16"), &disk);
	vmfs_identity_read_sysfs(tmp_path("sys/devices/sdb/sdb1"), &direct);
	cr_assert_str_eq(part.wwid, "eui.0025385b71b0a2c4");
	cr_assert_str_eq(part.vendor, "SAMSUNG");
	cr_assert_str_empty(part.serial);
	cr_assert_str_eq(disk.wwid, part.wwid);
	cr_assert_str_eq(direct.wwid, part.wwid);
	free(root);
}

/* sysfs text is untrusted: control characters, invalid UTF-8 and C1
 * controls become \xNN; valid UTF-8 stays; a NUL ends the value. */
Test(identity, sysfs_control_characters)
{
	char *dev = tmp_dir("sys/block/sdc");
	put_text(dev, "device/wwid", "t10.\x1b[31mRED\x07\n");
	put_text(dev, "device/serial", "caf\xc3\xa9 \xff\xfe tab\there\r\n\t \n");
	put_text(dev, "device/vendor", "\xc2\x85" "C1\x7f");
	put(dev, "device/model", "MODEL\0hidden", 12);
	vmfs_identity id = dirty_identity();
	vmfs_identity_read_sysfs(dev, &id);
	cr_assert_str_eq(id.wwid, "t10.\\x1b[31mRED\\x07");
	cr_assert_str_eq(id.serial, "caf\xc3\xa9 \\xff\\xfe tab\\x09here\\x0d", "%s", id.serial);
	cr_assert_str_eq(id.vendor, "\\xc2\\x85C1\\x7f");
	cr_assert_str_eq(id.model, "MODEL");
	/* What comes out is what a backup accepts. */
	vmfs_backup b;
	vmfs_error err;
	vmfs_backup_source src = { .path = "/dev/sdc", .size = 1 << 20, .sector_size = 512,
				   .kind = VMFS_BACKUP_SOURCE_BLOCK, .wwid = id.wwid, .serial = id.serial,
				   .vendor = id.vendor, .model = id.model };
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	vmfs_backup_free(&b);
	free(dev);
}

Test(identity, sysfs_missing_attributes)
{
	char *dev = tmp_dir("sys/block/vda");
	put_text(dev, "device/model", "QEMU HARDDISK\n");
	cr_assert_eq(mkdir(tmp_path("sys/block/vda/device/wwid"), 0700), 0, "a directory is not an attribute");
	vmfs_identity id = dirty_identity();
	vmfs_identity_read_sysfs(dev, &id);
	cr_assert_str_empty(id.wwid);
	cr_assert_str_empty(id.serial);
	cr_assert_str_empty(id.vendor);
	cr_assert_str_eq(id.model, "QEMU HARDDISK");

	id = dirty_identity();
	vmfs_identity_read_sysfs(tmp_path("sys/block/nothing-here"), &id);
	cr_assert_str_empty(id.wwid);
	cr_assert_str_empty(id.model);
	/* An attribute holding only padding is no value at all. */
	put_text(dev, "device/serial", "        \n");
	vmfs_identity_read_sysfs(dev, &id);
	cr_assert_str_empty(id.serial);
	free(dev);
}

/* Over-long values are cut to the backup's field widths, never inside an
 * escape or a UTF-8 sequence. */
Test(identity, sysfs_overlong_values)
{
	char *dev = tmp_dir("sys/block/sdd");
	static char big[6000];
	memset(big, 'w', sizeof(big));
	put(dev, "device/wwid", big, sizeof(big));
	char text[200];
	memset(text, 's', sizeof(text));
	put(dev, "device/serial", text, sizeof(text));
	memset(text, 'v', 62);
	memcpy(text + 62, "\x01", 1);
	put(dev, "device/vendor", text, 63);
	memset(text, 'm', 63);
	memcpy(text + 63, "\xc3\xa9", 2);
	put(dev, "device/model", text, 65);
	vmfs_identity id = dirty_identity();
	vmfs_identity_read_sysfs(dev, &id);
	cr_assert_eq(strlen(id.wwid), VMFS_BACKUP_LEN_WWID);
	cr_assert_eq(strspn(id.wwid, "w"), VMFS_BACKUP_LEN_WWID);
	cr_assert_eq(strlen(id.serial), VMFS_BACKUP_LEN_SERIAL);
	cr_assert_eq(strlen(id.vendor), 62, "\\x01 needs 4 bytes, 2 are left: %s", id.vendor);
	cr_assert_eq(strlen(id.model), 63, "the 2-byte sequence does not fit: %s", id.model);
	free(dev);
}

/* A loop device: a block device whose size and logical sector size the
 * kernel reports; its SCSI identity comes from a fake sysfs root. */
Test(identity, loop_device)
{
	const char *backing = tmp_path("loop-backing.img");
	uint8_t block[4096] = { 0 };
	write_whole_file(backing, block, sizeof(block));
	cr_assert_eq(truncate(backing, 8 << 20), 0);
	const char *attach[] = { "/usr/sbin/losetup", "-f", "--show", "-r", "-b", "4096", backing, NULL };
	tool_result r = run_argv(attach);
	if (r.status != 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", r.err);
		tool_result_free(&r);
		cr_skip_test("loop devices not available here (%s): block-device identity not tested", why);
	}
	char loop[64];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);

	vmfs_identity real, fake;
	vmfs_error err_real, err_fake;
	vmfs_status st_real = vmfs_identity_read(loop, NULL, &real, &err_real);
	struct stat st;
	int stat_rc = stat(loop, &st);
	char *root = tmp_dir("fakesys");
	char rel[128];
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/device/wwid", major(st.st_rdev), minor(st.st_rdev));
	put_text(root, rel, "naa.60000000000000000000000000000001\n");
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/device/serial", major(st.st_rdev), minor(st.st_rdev));
	put_text(root, rel, "LOOPSERIAL\n");
	vmfs_status st_fake = vmfs_identity_read(loop, root, &fake, &err_fake);
	const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	r = run_argv(detach);
	tool_result_free(&r);

	cr_assert_eq(stat_rc, 0);
	cr_assert_eq(st_real, VMFS_OK, "%s", err_real.reason);
	cr_assert(real.block);
	cr_assert_eq(real.size, 8 << 20);
	cr_assert_eq(real.sector_size, 4096);
	cr_assert_str_eq(real.path, loop);
	cr_assert_str_empty(real.wwid, "a loop device has no SCSI identity: %s", real.wwid);
	cr_assert_eq(st_fake, VMFS_OK, "%s", err_fake.reason);
	cr_assert(fake.block);
	cr_assert_eq(fake.sector_size, 4096);
	cr_assert_str_eq(fake.wwid, "naa.60000000000000000000000000000001");
	cr_assert_str_eq(fake.serial, "LOOPSERIAL");
	cr_assert_str_empty(fake.vendor);
	free(root);
}

/* A backup record of a block device with a full SCSI identity. */
static void backup_of(vmfs_backup *b, uint64_t size, uint32_t sector_size)
{
	vmfs_backup_source src = { .path = "/dev/sdb", .size = size, .sector_size = sector_size,
				   .kind = VMFS_BACKUP_SOURCE_BLOCK,
				   .wwid = "naa.60000000000000000000000000000001", .serial = "SER-1",
				   .vendor = "VENDOR", .model = "MODEL" };
	vmfs_error err;
	cr_assert_eq(vmfs_backup_init(b, &src, &err), VMFS_OK, "%s", err.reason);
}

static vmfs_identity identity_of(const char *path, uint64_t size, uint32_t sector_size, bool block)
{
	vmfs_identity id;
	memset(&id, 0, sizeof(id));
	snprintf(id.path, sizeof(id.path), "%s", path);
	id.size = size;
	id.sector_size = sector_size;
	id.block = block;
	snprintf(id.wwid, sizeof(id.wwid), "naa.60000000000000000000000000000001");
	snprintf(id.serial, sizeof(id.serial), "SER-1");
	snprintf(id.vendor, sizeof(id.vendor), "VENDOR");
	snprintf(id.model, sizeof(id.model), "MODEL");
	return id;
}

/* Fails unless check_backup refuses with a reason holding every needle. */
static void expect_refused(const vmfs_backup *b, const vmfs_identity *now, const char *n1, const char *n2,
			   const char *n3)
{
	vmfs_error err;
	cr_assert_eq(vmfs_identity_check_backup(b, now, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.status, VMFS_ERR_FORMAT);
	cr_assert_str_eq(err.path, now->path);
	cr_assert_eq(err.offset, VMFS_NO_OFFSET);
	const char *needles[] = { n1, n2, n3 };
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(strstr(err.reason, needles[i]), "\"%s\" not in: %s", needles[i], err.reason);
}

Test(identity, check_backup_equal)
{
	vmfs_backup b;
	backup_of(&b, 1ull << 30, 512);
	vmfs_identity now = identity_of("/dev/sdc", 1ull << 30, 512, true);
	vmfs_error err;
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, NULL), VMFS_OK);
	vmfs_backup_free(&b);
}

Test(identity, check_backup_mismatches)
{
	vmfs_backup b;
	backup_of(&b, 536870912, 512);

	vmfs_identity now = identity_of("/dev/sdc", 1073741824, 512, true);
	expect_refused(&b, &now, "is 1073741824 bytes", "the backup's source (/dev/sdb)", "was 536870912 bytes");
	now = identity_of("/dev/sdc", 536870912, 4096, true);
	expect_refused(&b, &now, "4096-byte logical sectors", "(/dev/sdb)", "512-byte");
	now = identity_of("/dev/sdc", 536870912, 512, true);
	snprintf(now.wwid, sizeof(now.wwid), "naa.60000000000000000000000000000002");
	expect_refused(&b, &now, "WWID naa.60000000000000000000000000000002",
		       "differs from the backup's naa.60000000000000000000000000000001", "another LUN");
	now = identity_of("/dev/sdc", 536870912, 512, true);
	snprintf(now.serial, sizeof(now.serial), "SER-2");
	expect_refused(&b, &now, "serial", "SER-2", "SER-1");
	now = identity_of("/dev/sdc", 536870912, 512, true);
	snprintf(now.vendor, sizeof(now.vendor), "OTHER");
	expect_refused(&b, &now, "vendor", "OTHER", "VENDOR");
	now = identity_of("/dev/sdc", 536870912, 512, true);
	snprintf(now.model, sizeof(now.model), "MODEL 2");
	expect_refused(&b, &now, "model", "MODEL 2", "\"MODEL\"");
	/* The size is checked first: it names the field that matters most. */
	now = identity_of("/dev/sdc", 1, 4096, true);
	snprintf(now.wwid, sizeof(now.wwid), "naa.6");
	expect_refused(&b, &now, "is 1 bytes", "536870912", "(/dev/sdb)");
	vmfs_backup_free(&b);
}

/* A side that does not know a field cannot contradict it; an image file has
 * no logical sector size of its own. */
Test(identity, check_backup_unknown_fields)
{
	vmfs_backup b;
	backup_of(&b, 536870912, 4096);
	vmfs_identity now = identity_of("copy.img", 536870912, 512, false);
	now.wwid[0] = now.serial[0] = now.vendor[0] = now.model[0] = 0;
	vmfs_error err;
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_OK, "%s", err.reason);

	now = identity_of("/dev/sdc", 536870912, 4096, true);
	now.wwid[0] = 0;
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_OK, "%s", err.reason);
	vmfs_backup_free(&b);

	vmfs_backup_source src = { .path = "old.img", .size = 536870912, .sector_size = 512,
				   .kind = VMFS_BACKUP_SOURCE_FILE };
	cr_assert_eq(vmfs_backup_init(&b, &src, &err), VMFS_OK, "%s", err.reason);
	now = identity_of("/dev/sdc", 536870912, 512, true);
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_OK, "backup without WWID: %s", err.reason);
	vmfs_backup_free(&b);
}

/* The real tool and the library agree: a backup of an image file matches
 * that file (also with 4096-byte sectors in its table), not another one. */
Test(identity, check_backup_written_by_vmfs_backup)
{
	const char *disk = tmp_path("4k.img");
	const char *other = tmp_path("4k-other.img");
	const char *out = tmp_path("4k.vmfsbak");
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "1G", "--vol",
		  "lvm=6,start=256,size=600M", disk, NULL);
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol",
		  "lvm=6,start=256,size=600M", other, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", disk, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_load(out, &b, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(b.sector_size, 4096);
	cr_assert_eq(b.source_kind, VMFS_BACKUP_SOURCE_FILE);
	cr_assert_str_empty(b.wwid);
	vmfs_identity now;
	cr_assert_eq(vmfs_identity_read(disk, NULL, &now, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_identity_read(other, NULL, &now, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_identity_check_backup(&b, &now, &err), VMFS_ERR_FORMAT);
	cr_assert_not_null(strstr(err.reason, "is 2147483648 bytes"), "%s", err.reason);
	vmfs_backup_free(&b);
}
