/* Live hosts (issue 12): what a LUN presents (vmfs/source/lun.h), ESXi names
 * resolved to local devices (vmfs/source/resolve.h), the snapshot check of a
 * header's diskID against the LUN (vmfs/discover/snapshot.h), and the tools'
 * --all, names as PATHs and --vml resolution.
 *
 * The SAN is replaced by a tree laid out like /sys (block/NAME links into
 * devices/.../H:C:T:L/block/NAME, dev/block/MAJ:MIN, class/block, device/
 * attributes, vpd_pg83 as binary files) and one like /dev (nodes that are
 * links to fixture images, disk/by-id links), given to the tools with
 * --sysfs-root and --dev-root. VPD pages are built here from the SPC-3
 * layout; the stored identities by the fixture generator; expected verdicts
 * follow from the difference between the two inputs. */
#include "tests/support/support.h"
#include "vmfs/discover/discover.h"
#include "vmfs/discover/snapshot.h"
#include "vmfs/source/lun.h"
#include "vmfs/source/resolve.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAA_A "600144f07ed404000000496ff8cd0003"
#define NAA_B "60a98000486e2f34576f2f51715a5a36"
#define EUI_C "0123456789abcdef"

/* ---------------------------------------------------------------- fake tree */

/* snprintf into an array, failing the test when the text does not fit. */
#define JOIN(buf, ...) cr_assert(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf), "path too long")

static void mkdirs(const char *path)
{
	char dir[4096];
	JOIN(dir, "%s/", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
}

static void put(const char *dir, const char *name, const void *bytes, size_t len)
{
	char path[4096];
	JOIN(path, "%s/%s", dir, name);
	write_whole_file(path, bytes, len);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	put(dir, name, text, strlen(text));
}

static void link_to(const char *target, const char *link)
{
	cr_assert_eq(symlink(target, link), 0, "symlink %s -> %s: %s", link, target, strerror(errno));
}

static void hex_bytes(const char *hex, uint8_t *out, size_t *len)
{
	*len = strlen(hex) / 2;
	for (size_t i = 0; i < *len; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* A VPD page 0x83 (SPC-3 7.6.3): header 00 83 LEN(BE16), then descriptors
 * (code set, PIV/association/type, reserved, length, designator). */
typedef struct vpd {
	uint8_t bytes[512];
	size_t len;
} vpd;

static void vpd_start(vpd *p)
{
	memset(p, 0, sizeof(*p));
	p->bytes[1] = 0x83;
	p->len = 4;
}

static void vpd_add(vpd *p, uint8_t code_set, uint8_t association, uint8_t type, const uint8_t *d, size_t n)
{
	uint8_t *q = p->bytes + p->len;
	q[0] = code_set;
	q[1] = (uint8_t)(association << 4 | type);
	q[3] = (uint8_t)n;
	memcpy(q + 4, d, n);
	p->len += 4 + n;
	p->bytes[2] = (uint8_t)((p->len - 4) >> 8);
	p->bytes[3] = (uint8_t)(p->len - 4);
}

static void vpd_add_hex(vpd *p, uint8_t type, const char *hex)
{
	uint8_t d[64];
	size_t n;
	hex_bytes(hex, d, &n);
	vpd_add(p, 1, 0, type, d, n);
}

typedef struct fake_disk {
	const char *name, *dev, *hctl;     /* hctl NULL: not a SCSI device */
	const char *image;                 /* the node links to it; NULL: no node */
	const vpd *page;                   /* NULL: no vpd_pg83 */
	const char *wwid;
	const char *vendor, *model, *rev;  /* as the kernel shows them, padded */
	const char *type, *scsi_level, *state, *size;
	int partition;                     /* > 0: a partition NAME<partition> ... */
	const char *partition_image;       /* ... whose node links to this image */
} fake_disk;

typedef struct tree {
	char sys[2048], dev[2048];
} tree;

static tree new_tree(const char *name)
{
	tree t;
	snprintf(t.sys, sizeof(t.sys), "%s/sys", tmp_path(name));
	snprintf(t.dev, sizeof(t.dev), "%s/dev", tmp_path(name));
	char d[4200];
	JOIN(d, "%s/block", t.sys);
	mkdirs(d);
	JOIN(d, "%s/dev/block", t.sys);
	mkdirs(d);
	JOIN(d, "%s/class/block", t.sys);
	mkdirs(d);
	JOIN(d, "%s/disk/by-id", t.dev);
	mkdirs(d);
	return t;
}

static void fake_add(const tree *t, const fake_disk *f)
{
	char hdir[4200], bdir[4400], link[4400], target[4400];
	JOIN(hdir, "%s/devices/pci0000:00/host0/target0/%s", t->sys, f->hctl ? f->hctl : "virtual");
	JOIN(bdir, "%s/block/%s", hdir, f->name);
	mkdirs(bdir);
	put_text(bdir, "dev", f->dev);
	put_text(bdir, "size", f->size ? f->size : "2097152\n");
	put_text(bdir, "removable", "0\n");
	if (f->hctl) {
		JOIN(link, "%s/device", bdir);
		JOIN(target, "../../../%s", f->hctl);
		link_to(target, link);
		put_text(hdir, "vendor", f->vendor ? f->vendor : "SUN     \n");
		put_text(hdir, "model", f->model ? f->model : "COMSTAR         \n");
		put_text(hdir, "rev", f->rev ? f->rev : "1.0 \n");
		put_text(hdir, "type", f->type ? f->type : "0\n");
		put_text(hdir, "scsi_level", f->scsi_level ? f->scsi_level : "6\n");
		put_text(hdir, "state", f->state ? f->state : "running\n");
		if (f->wwid)
			put_text(hdir, "wwid", f->wwid);
		if (f->page)
			put(hdir, "vpd_pg83", f->page->bytes, f->page->len);
	}
	const char *rel = strstr(bdir, "/devices/");
	JOIN(link, "%s/block/%s", t->sys, f->name);
	JOIN(target, "..%s", rel);
	link_to(target, link);
	JOIN(link, "%s/class/block/%s", t->sys, f->name);
	JOIN(target, "../..%s", rel);
	link_to(target, link);
	JOIN(link, "%s/dev/block/%s", t->sys, f->dev);
	link_to(target, link);
	if (f->image) {
		JOIN(link, "%s/%s", t->dev, f->name);
		link_to(f->image, link);
	}
	if (f->partition > 0) {
		char pdir[4600], num[16];
		JOIN(pdir, "%s/%s%d", bdir, f->name, f->partition);
		mkdirs(pdir);
		JOIN(num, "%d\n", f->partition);
		put_text(pdir, "partition", num);
		put_text(pdir, "size", "2093056\n");
		if (f->partition_image) {
			JOIN(link, "%s/%s%d", t->dev, f->name, f->partition);
			link_to(f->partition_image, link);
		}
	}
}

static void by_id(const tree *t, const char *name, const char *disk)
{
	char link[4300], target[128];
	JOIN(link, "%s/disk/by-id/%s", t->dev, name);
	JOIN(target, "../../%s", disk);
	link_to(target, link);
}

/* A GPT disk with one VMFS6 volume at LBA 2048 whose diskID the generator
 * writes: an NAA id (designator + "COMSTA") or the default path id. */
static const char *fixture_disk(const char *name, const char *naa, const char *lun, const char *label)
{
	const char *path = tmp_path(name);
	char spec[512];
	if (naa)
		JOIN(spec, "lvm=6,start=2048,label=%s,naa=%s,lun=%s,vendor=SUN,model=COMSTAR,revision=1.0,"
			 "scsi-level=6", label, naa, lun);
	else
		JOIN(spec, "lvm=6,start=2048,label=%s,lun=%s", label, lun);
	/* Each disk its own seed: its own UUIDs, not copies of one device. */
	static int seed;
	char seed_text[16];
	JOIN(seed_text, "%d", ++seed);
	mkfixture("disk", "--seed", seed_text, "--table", "gpt", "--disk-size", "1G", "--vol", spec, path, NULL);
	return path;
}

static const char *empty_disk(const char *name)
{
	const char *path = tmp_path(name);
	mkfixture("disk", "--table", "gpt", "--disk-size", "64M", path, NULL);
	return path;
}

static vpd naa_page(const char *naa)
{
	vpd p;
	vpd_start(&p);
	vpd_add_hex(&p, 3, naa);
	/* A relative target port designator (association 1): not the LU's. */
	uint8_t port[4] = { 0, 0, 0, 1 };
	vpd_add(&p, 1, 1, 4, port, sizeof(port));
	return p;
}

/* ---------------------------------------------------------------- lun */

Test(lun, vpd83_decodes_designators)
{
	vpd p;
	vpd_start(&p);
	uint8_t port[4] = { 0, 0, 0, 2 };
	vpd_add(&p, 1, 1, 3, (const uint8_t *)"\x50\x01\x43\x80\x00\x00\x00\x01", 8); /* a port's NAA */
	vpd_add_hex(&p, 3, NAA_A);
	vpd_add_hex(&p, 2, EUI_C);
	vpd_add(&p, 2, 0, 1, (const uint8_t *)"ATA     WDC WD10EFRX-68  WD-1234", 32);
	vpd_add(&p, 1, 1, 4, port, sizeof(port));
	vmfs_vpd83 page;
	vmfs_error err;
	cr_assert_eq(vmfs_vpd83_parse(p.bytes, p.len, "pg83", &page, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(page.count, 5);
	cr_assert_eq(page.items[1].offset, 4 + 12);
	const vmfs_designator *naa = vmfs_vpd83_find(&page, VMFS_DESIG_NAA);
	cr_assert_not_null(naa);
	cr_assert_eq(naa->association, 0, "the port's NAA (association 1) is not the LU's");
	char name[600];
	vmfs_designator_name(naa, name, sizeof(name));
	cr_assert_str_eq(name, "naa." NAA_A);
	vmfs_designator_name(vmfs_vpd83_find(&page, VMFS_DESIG_EUI64), name, sizeof(name));
	cr_assert_str_eq(name, "eui." EUI_C);
	vmfs_designator_name(vmfs_vpd83_find(&page, VMFS_DESIG_T10), name, sizeof(name));
	cr_assert_str_eq(name, "t10.ATA_____WDC_WD10EFRX-68__WD-1234");
}

Test(lun, vpd83_rejects_bad_pages)
{
	vpd p = naa_page(NAA_A);
	vmfs_vpd83 page;
	vmfs_error err;
	cr_assert_eq(vmfs_vpd83_parse(p.bytes, 3, "pg83", &page, &err), VMFS_ERR_TRUNCATED);
	cr_assert_eq(vmfs_vpd83_parse(p.bytes, p.len - 1, "pg83", &page, &err), VMFS_ERR_TRUNCATED);
	cr_assert_eq(err.offset, 2, "the page length field");
	p.bytes[1] = 0x80;
	cr_assert_eq(vmfs_vpd83_parse(p.bytes, p.len, "pg83", &page, &err), VMFS_ERR_FORMAT);
	cr_assert_str_eq(err.path, "pg83");
	p.bytes[1] = 0x83;
	p.bytes[7] = 200; /* the first designator says 200 bytes */
	cr_assert_eq(vmfs_vpd83_parse(p.bytes, p.len, "pg83", &page, &err), VMFS_ERR_TRUNCATED);
	cr_assert_eq(err.offset, 7);
}

Test(lun, reads_what_the_lun_presents)
{
	tree t = new_tree("t1");
	vpd p = naa_page(NAA_A);
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = "2:0:0:5", .page = &p,
				   .wwid = "naa." NAA_A "\n", .scsi_level = "7\n" });
	vmfs_lun lun;
	vmfs_error err;
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "sdb", &lun, &err), VMFS_OK, "%s", err.reason);
	cr_assert(lun.has_hctl && lun.scsi);
	cr_assert_eq(lun.host, 2);
	cr_assert_eq(lun.target, 0);
	cr_assert_eq(lun.lun, 5);
	cr_assert_eq(lun.size, 2097152ull * 512);
	cr_assert_eq(lun.major, 8);
	cr_assert_eq(lun.minor, 16);
	cr_assert_str_eq(lun.vendor, "SUN");
	cr_assert_str_eq(lun.vendor_padded, "SUN     ");
	cr_assert_str_eq(lun.model, "COMSTAR");
	cr_assert_str_eq(lun.model_padded, "COMSTAR         ");
	cr_assert_str_eq(lun.revision, "1.0");
	cr_assert_eq(lun.scsi_level, 7);
	cr_assert_str_eq(lun.state, "running");
	cr_assert_str_eq(lun.wwid, "naa." NAA_A);
	cr_assert(lun.has_vpd83);
	cr_assert_eq(lun.vpd83.count, 2);
	char node[4200];
	JOIN(node, "%s/sdb", t.dev);
	cr_assert_str_eq(lun.node, node);
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "sdz", &lun, &err), VMFS_ERR_NOT_FOUND);
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "../etc", &lun, &err), VMFS_ERR_INVALID_ARG);
}

Test(lun, no_vpd_page_and_a_broken_one)
{
	tree t = new_tree("t2");
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = "1:0:0:0" });
	vpd p = naa_page(NAA_A);
	p.len -= 3; /* the page is cut */
	fake_add(&t, &(fake_disk){ .name = "sdc", .dev = "8:32\n", .hctl = "1:0:0:1", .page = &p });
	vmfs_lun lun;
	vmfs_error err;
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "sdb", &lun, &err), VMFS_OK);
	cr_assert_not(lun.has_vpd83);
	cr_assert_str_empty(lun.vpd83_problem);
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "sdc", &lun, &err), VMFS_OK);
	cr_assert_not(lun.has_vpd83);
	cr_assert_not_null(strstr(lun.vpd83_problem, "vpd_pg83"), "%s", lun.vpd83_problem);
}

Test(lun, lists_disks_in_order)
{
	tree t = new_tree("t3");
	const char *names[] = { "sdb", "sdaa", "sda", "loop10", "loop2" };
	for (size_t i = 0; i < 5; i++) {
		char dev[16];
		JOIN(dev, "7:%zu\n", i);
		fake_add(&t, &(fake_disk){ .name = names[i], .dev = dev, .hctl = NULL });
	}
	char list[8][VMFS_LUN_NAME_MAX];
	size_t count, total;
	vmfs_error err;
	cr_assert_eq(vmfs_lun_list(t.sys, list, 4, &count, &total, &err), VMFS_OK);
	cr_assert_eq(total, 5);
	cr_assert_eq(count, 4);
	cr_assert_eq(vmfs_lun_list(t.sys, list, 8, &count, &total, &err), VMFS_OK);
	const char *expect[] = { "loop2", "loop10", "sda", "sdaa", "sdb" };
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(list[i], expect[i]);
	cr_assert_eq(vmfs_lun_list("/nonexistent-sysfs", list, 8, &count, &total, &err), VMFS_ERR_IO);
}

/* ---------------------------------------------------------------- snapshot */

typedef struct checked {
	vmfs_snap_check check;
	uint64_t header;
} checked;

/* The snapshot check of the first VMFS device of image against disk sdb of
 * a tree presenting page at hctl. */
static checked check_image(const char *image, const vpd *page, const char *hctl, const char *type)
{
	static int n;
	char name[32];
	JOIN(name, "snap%d", n++);
	tree t = new_tree(name);
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = hctl, .page = page, .image = image, .type = type });
	vmfs_lun lun;
	vmfs_error err;
	cr_assert_eq(vmfs_lun_read(t.sys, t.dev, "sdb", &lun, &err), VMFS_OK, "%s", err.reason);
	vmfs_source *src;
	vmfs_discovery d;
	cr_assert_eq(vmfs_source_open(image, &src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_discover(&src, 1, NULL, &d, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(d.disks[0].num_devices, 1);
	checked c;
	vmfs_snapshot_check(&lun, d.disks[0].devices[0], &c.check);
	c.header = d.disks[0].devices[0]->header_offset;
	vmfs_discovery_free(&d);
	vmfs_source_close(src);
	return c;
}

static const vmfs_finding *finding(const vmfs_snap_check *c, const char *code, vmfs_snap_basis *basis)
{
	for (size_t i = 0; i < c->findings.count; i++)
		if (strcmp(c->findings.items[i].code, code) == 0) {
			if (basis)
				*basis = c->basis[i];
			return &c->findings.items[i];
		}
	return NULL;
}

Test(snapshot, changed_lun_number)
{
	const char *image = fixture_disk("lun3.img", NAA_A, "3", "one");
	vpd p = naa_page(NAA_A);
	checked c = check_image(image, &p, "2:0:0:5", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_SNAPSHOT, "%s", c.check.summary);
	vmfs_snap_basis basis;
	const vmfs_finding *f = finding(&c.check, "lun-number-changed", &basis);
	cr_assert_not_null(f);
	cr_assert_eq(f->offset, c.header + 0x0E, "diskID lun: header 0x0E (format reference 3.2)");
	cr_assert_eq(basis, VMFS_SNAP_CONFIRMED);
	cr_assert_null(finding(&c.check, "lun-id-changed", NULL));
	cr_assert(c.check.repoint.possible);
	cr_assert(c.check.repoint.set_lun);
	cr_assert_eq(c.check.repoint.lun, 5);
	cr_assert_str_eq(c.check.repoint.disk_id, "naa." NAA_A);
	cr_assert_str_eq(c.check.repoint.model, "COMSTAR");
	/* Section 8.1: vml = type, device type, LUN low, high, 0, id. */
	cr_assert_str_eq(c.check.stored_vml, "vml.0200030000" NAA_A "434f4d535441");
	cr_assert_str_eq(c.check.presented_vml, "vml.0200050000" NAA_A "434f4d535441");
}

Test(snapshot, changed_naa_id)
{
	const char *image = fixture_disk("naa.img", NAA_A, "3", "one");
	vpd p = naa_page(NAA_B);
	checked c = check_image(image, &p, "2:0:0:3", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_SNAPSHOT);
	const vmfs_finding *f = finding(&c.check, "lun-id-changed", NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->offset, c.header + 0x2E, "diskID id: header 0x2E");
	cr_assert_not_null(strstr(f->message, NAA_A));
	cr_assert_not_null(strstr(f->message, NAA_B));
	cr_assert_null(finding(&c.check, "lun-number-changed", NULL));
	cr_assert_str_eq(c.check.repoint.disk_id, "naa." NAA_B);
	cr_assert_str_eq(c.check.presented_name, "naa." NAA_B);
}

Test(snapshot, unchanged_is_a_match)
{
	const char *image = fixture_disk("same.img", NAA_A, "3", "one");
	vpd p = naa_page(NAA_A);
	checked c = check_image(image, &p, "2:0:0:3", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_MATCH, "%s", c.check.summary);
	cr_assert_eq(c.check.findings.count, 0);
	cr_assert_not(c.check.repoint.possible);
}

Test(snapshot, no_vpd_page_no_verdict)
{
	const char *image = fixture_disk("novpd.img", NAA_A, "3", "one");
	checked c = check_image(image, NULL, "2:0:0:5", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_UNKNOWN);
	cr_assert_eq(c.check.findings.count, 0);
	cr_assert_not_null(strstr(c.check.summary, "unknown"), "%s", c.check.summary);
	checked n = check_image(image, NULL, NULL, NULL);
	cr_assert_eq(n.check.verdict, VMFS_SNAP_UNKNOWN);
	cr_assert_not_null(strstr(n.check.summary, "not a SCSI device"), "%s", n.check.summary);
}

Test(snapshot, path_id_now_presented_with_naa)
{
	const char *image = fixture_disk("path.img", NULL, "0", "vd");
	vpd p = naa_page(NAA_B);
	checked c = check_image(image, &p, "0:0:2:0", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_SNAPSHOT);
	vmfs_snap_basis basis;
	const vmfs_finding *f = finding(&c.check, "lun-id-type-changed", &basis);
	cr_assert_not_null(f);
	cr_assert_eq(f->offset, c.header + 0x0C);
	cr_assert_eq(basis, VMFS_SNAP_INFERRED);
	cr_assert_str_eq(c.check.repoint.disk_id, "naa." NAA_B);
	/* Same path id, no NAA now either: the id is not compared, LUN equal. */
	vpd none;
	vpd_start(&none);
	vpd_add_hex(&none, 2, EUI_C);
	checked m = check_image(image, &none, "0:0:2:0", NULL);
	cr_assert_eq(m.check.verdict, VMFS_SNAP_MATCH, "%s", m.check.summary);
}

Test(snapshot, naa_header_but_only_eui_presented)
{
	const char *image = fixture_disk("eui.img", NAA_A, "3", "one");
	vpd p;
	vpd_start(&p);
	vpd_add_hex(&p, 2, EUI_C);
	checked c = check_image(image, &p, "2:0:0:3", NULL);
	cr_assert_eq(c.check.verdict, VMFS_SNAP_SNAPSHOT);
	cr_assert_not_null(finding(&c.check, "lun-id-type-changed", NULL));
	cr_assert_not(c.check.repoint.possible);
	cr_assert_not_null(strstr(c.check.repoint.why_not, "EUI-64"), "%s", c.check.repoint.why_not);
}

Test(snapshot, changed_device_type_repoints_with_a_vml)
{
	const char *image = fixture_disk("type.img", NAA_A, "3", "one");
	vpd p = naa_page(NAA_A);
	checked c = check_image(image, &p, "2:0:0:3", "14\n");
	cr_assert_eq(c.check.verdict, VMFS_SNAP_SNAPSHOT);
	cr_assert_not_null(finding(&c.check, "device-type-changed", NULL));
	cr_assert_str_eq(c.check.repoint.disk_id, "vml.020e030000" NAA_A "434f4d535441");
}

/* ---------------------------------------------------------------- resolve */

static tree resolve_tree(void)
{
	static int n;
	char name[32];
	JOIN(name, "res%d", n++);
	tree t = new_tree(name);
	vpd a = naa_page(NAA_A), e, t10;
	vpd_start(&e);
	vpd_add_hex(&e, 2, EUI_C);
	vpd_start(&t10);
	vpd_add(&t10, 2, 0, 1, (const uint8_t *)"FreeBSD iSCSI Disk      000c29", 30);
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = "3:0:0:7", .page = &a, .partition = 1 });
	fake_add(&t, &(fake_disk){ .name = "sdd", .dev = "8:48\n", .hctl = "3:0:1:0", .page = &e });
	fake_add(&t, &(fake_disk){ .name = "sdf", .dev = "8:80\n", .hctl = "3:0:2:0", .page = &t10, .partition = 3 });
	/* A second path to the first LUN. */
	fake_add(&t, &(fake_disk){ .name = "sdh", .dev = "8:112\n", .hctl = "4:0:0:7", .page = &a });
	/* A device-mapper map: no VPD page, found through its by-id link. */
	fake_add(&t, &(fake_disk){ .name = "dm-0", .dev = "253:0\n", .hctl = NULL, .image = "/dev/null" });
	by_id(&t, "wwn-0x" NAA_B, "dm-0");
	return t;
}

static vmfs_resolution resolve(const tree *t, const char *name, vmfs_status expect)
{
	vmfs_ident id;
	vmfs_error err;
	cr_assert_eq(vmfs_ident_parse(name, &id, &err), VMFS_OK, "%s: %s", name, err.reason);
	vmfs_resolution r;
	cr_assert_eq(vmfs_resolve_ident(t->sys, t->dev, &id, &r, &err), expect, "%s: %s", name, err.reason);
	return r;
}

static void assert_node(const tree *t, const vmfs_resolved *r, const char *node)
{
	char expect[4200];
	JOIN(expect, "%s/%s", t->dev, node);
	cr_assert_str_eq(r->node, expect);
}

Test(resolve, naa_and_vml_names)
{
	tree t = resolve_tree();
	vmfs_resolution r = resolve(&t, "naa." NAA_A, VMFS_OK);
	cr_assert_eq(r.count, 2, "both paths to the LUN");
	assert_node(&t, &r.items[0], "sdb");
	assert_node(&t, &r.items[1], "sdh");
	cr_assert_eq(r.items[0].lun, 7);
	cr_assert_not_null(strstr(r.items[0].how, "VPD page 0x83"));
	r = resolve(&t, "naa." NAA_A ":1", VMFS_OK);
	cr_assert_eq(r.count, 1, "only sdb has partition 1");
	assert_node(&t, &r.items[0], "sdb1");
	/* The vml name of that LUN (8.1): type 2, LUN 7, designator + "COMSTA". */
	r = resolve(&t, "vml.0200070000" NAA_A "434f4d535441", VMFS_OK);
	cr_assert_eq(r.count, 2);
	assert_node(&t, &r.items[0], "sdb");
	r = resolve(&t, "vml.0200070000" NAA_A "434f4d535441:1", VMFS_OK);
	assert_node(&t, &r.items[0], "sdb1");
	r = resolve(&t, "naa." NAA_A ":2", VMFS_OK);
	cr_assert_eq(r.count, 0);
	cr_assert_not_null(strstr(r.problem, "no partition 2"), "%s", r.problem);
}

Test(resolve, eui_t10_and_by_id_names)
{
	tree t = resolve_tree();
	vmfs_resolution r = resolve(&t, "eui." EUI_C, VMFS_OK);
	cr_assert_eq(r.count, 1);
	assert_node(&t, &r.items[0], "sdd");
	r = resolve(&t, "eui." EUI_C ":1", VMFS_OK);
	cr_assert_eq(r.count, 0);
	r = resolve(&t, "t10.FreeBSD_iSCSI_Disk______000c29", VMFS_OK);
	cr_assert_eq(r.count, 1);
	assert_node(&t, &r.items[0], "sdf");
	r = resolve(&t, "t10.FreeBSD_iSCSI_Disk______000c29:3", VMFS_OK);
	cr_assert_eq(r.count, 1);
	assert_node(&t, &r.items[0], "sdf3");
	r = resolve(&t, "naa." NAA_B, VMFS_OK);
	cr_assert_eq(r.count, 1);
	assert_node(&t, &r.items[0], "dm-0");
	cr_assert_not_null(strstr(r.items[0].how, "wwn-0x" NAA_B));
}

Test(resolve, names_that_match_nothing)
{
	tree t = resolve_tree();
	vmfs_resolution r = resolve(&t, "naa.600a0b80001111550000000000000001", VMFS_OK);
	cr_assert_eq(r.count, 0);
	cr_assert_not_null(strstr(r.problem, "600a0b80001111550000000000000001"));
	r = resolve(&t, "t10.ATA_____NOSUCHDISK", VMFS_OK);
	cr_assert_eq(r.count, 0);
	resolve(&t, "mpx.vmhba0:C0:T2:L0", VMFS_ERR_UNSUPPORTED);
	resolve(&t, "vml.0000000000766d686261303a323a30", VMFS_ERR_UNSUPPORTED);
}

/* ---------------------------------------------------------------- tools */

/* A host: sdb and sdd hold VMFS (sdb's LUN renumbered 3 -> 5, sdd
 * unchanged), sdf a disk without VMFS, sdh no medium. */
static tree host_tree(const char *name, const char **sdb_image)
{
	tree t = new_tree(name);
	static vpd a, b;
	a = naa_page(NAA_A);
	b = naa_page(NAA_B);
	char n1[64], n2[64], n3[64];
	JOIN(n1, "%s-b.img", name);
	JOIN(n2, "%s-d.img", name);
	JOIN(n3, "%s-f.img", name);
	const char *b_img = fixture_disk(n1, NAA_A, "3", "one");
	const char *d_img = fixture_disk(n2, NAA_B, "0", "two");
	const char *f_img = empty_disk(n3);
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = "2:0:0:5", .page = &a, .image = b_img,
				   .wwid = "naa." NAA_A "\n" });
	fake_add(&t, &(fake_disk){ .name = "sdd", .dev = "8:48\n", .hctl = "2:0:1:0", .page = &b, .image = d_img });
	fake_add(&t, &(fake_disk){ .name = "sdf", .dev = "8:80\n", .hctl = "2:0:2:0", .image = f_img });
	fake_add(&t, &(fake_disk){ .name = "sdh", .dev = "8:112\n", .hctl = "2:0:3:0", .size = "0\n", .image = f_img });
	by_id(&t, "wwn-0x" NAA_A, "sdb");
	if (sdb_image)
		*sdb_image = b_img;
	return t;
}

Test(live_cli, inspect_all_finds_the_vmfs_devices)
{
	tree t = host_tree("h1", NULL);
	tool_result r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--all", "--json", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "reports")), 2);
	cr_assert_str_eq(jstr_at(doc, "reports[0].lun_identity.device"), "sdb");
	cr_assert_eq(ju64_at(doc, "reports[0].lun_identity.lun"), 5);
	cr_assert_str_eq(jstr_at(doc, "reports[0].lun_identity.volumes[0].verdict"), "snapshot");
	cr_assert_str_eq(jstr_at(doc, "reports[0].lun_identity.volumes[0].findings[0].code"), "lun-number-changed");
	cr_assert_str_eq(jstr_at(doc, "reports[0].lun_identity.volumes[0].findings[0].basis"), "confirmed");
	cr_assert_not_null(strstr(jstr_at(doc, "reports[0].lun_identity.volumes[0].repoint.command"),
				  "vmfs-resignature --lun 5 --disk-id naa." NAA_A));
	cr_assert_str_eq(jstr_at(doc, "reports[0].lun_identity.volumes[0].esxi.mount_by_label"),
			 "esxcli storage vmfs snapshot mount -l one");
	cr_assert_str_eq(jstr_at(doc, "reports[1].lun_identity.device"), "sdd");
	cr_assert_str_eq(jstr_at(doc, "reports[1].lun_identity.volumes[0].verdict"), "match");
	cr_assert_eq(json_object_array_length(jpath(doc, "skipped")), 2);
	cr_assert_str_eq(jstr_at(doc, "skipped[0].device"), "sdf");
	cr_assert_not_null(strstr(jstr_at(doc, "skipped[0].reason"), "no VMFS"));
	cr_assert_str_eq(jstr_at(doc, "skipped[1].device"), "sdh");
	cr_assert_not_null(strstr(jstr_at(doc, "skipped[1].reason"), "size 0"));
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--all", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "skipped sdf"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "SCSI address 2:0:0:5: LUN 5"));
	cr_assert_not_null(strstr(r.out, "esxcli storage vmfs snapshot list"));
	cr_assert_not_null(strstr(r.err, "1 VMFS device(s) that ESXi would see as a snapshot"));
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--all", "--strict", "-q", NULL);
	cr_assert_eq(r.status, 2, "--strict counts a snapshot verdict");
	tool_result_free(&r);
}

/* The re-point command given, run with --write, makes the header match. */
Test(live_cli, repoint_command_makes_the_header_match)
{
	const char *image;
	tree t = host_tree("h2", &image);
	tool_result r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--json", "naa." NAA_A, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	char command[8192];
	JOIN(command, "PATH='%s':\"$PATH\" %s --write -u '%s' -q", getenv("VMFS_TEST_BIN"),
		 jstr_at(doc, "lun_identity.volumes[0].repoint.command"), tmp_path("undo"));
	json_object_put(doc);
	tool_result_free(&r);
	const char *sh[] = { "/bin/sh", "-c", command, NULL };
	r = run_argv(sh);
	cr_assert_eq(r.status, 0, "%s: %s", command, r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--json", image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "lun_identity.volumes[0].verdict"), "match");
	cr_assert_str_eq(jstr_at(doc, "lun_identity.volumes[0].stored_vml"), "vml.0200050000" NAA_A "434f4d535441");
	json_object_put(doc);
	tool_result_free(&r);
}

Test(live_cli, vml_says_which_local_device)
{
	tree t = host_tree("h3", NULL);
	tool_result r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--vml", "--json",
				 "naa." NAA_B, "vml.0200050000" NAA_A "434f4d535441", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "identifiers[0].devices[0].device"), "sdd");
	cr_assert_str_eq(jstr_at(doc, "identifiers[1].devices[0].device"), "sdb");
	cr_assert_eq(ju64_at(doc, "identifiers[1].devices[0].lun"), 5);
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--vml", "naa." NAA_B,
		     "naa.600a0b80001111550000000000000001", NULL);
	cr_assert_eq(r.status, 1, "a name that matches nothing");
	cr_assert_not_null(strstr(r.out, "local device:     none"), "%s", r.out);
	cr_assert_not_null(strstr(r.err, "naa.600a0b80001111550000000000000001"));
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "naa.600a0b80001111550000000000000001", NULL);
	cr_assert_eq(r.status, 2, "as a PATH it is an error");
	cr_assert_not_null(strstr(r.err, "names no device of this host"), "%s", r.err);
	tool_result_free(&r);
}

Test(live_cli, backup_all_is_the_cron_job)
{
	tree t = host_tree("h4", NULL);
	const char *dir = tmp_path("backups");
	mkdirs(dir);
	for (int i = 0; i < 2; i++) {
		tool_result r = run_tool("vmfs-backup", "--sysfs-root", t.sys, "--dev-root", t.dev, "--all", "--dir", dir,
					 "--keep", "1", "--json", NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		json_object *doc = parse_json(r.out);
		cr_assert_eq(json_object_array_length(jpath(doc, "sources")), 2);
		cr_assert_str_eq(jstr_at(doc, "sources[0].identity.wwid"), "naa." NAA_A);
		cr_assert_eq(json_object_array_length(jpath(doc, "skipped")), 2);
		cr_assert_str_eq(jstr_at(doc, "skipped[0].device"), "sdf");
		json_object_put(doc);
		tool_result_free(&r);
		usleep(20000);
	}
	tool_result r = run_tool("vmfs-backup", "--verify", NULL);
	tool_result_free(&r);
	char command[4400];
	JOIN(command, "ls '%s' | wc -l", dir);
	const char *sh[] = { "/bin/sh", "-c", command, NULL };
	r = run_argv(sh);
	cr_assert_eq(atoi(r.out), 2, "--keep 1: one file per VMFS device: %s", r.out);
	tool_result_free(&r);
	r = run_tool("vmfs-backup", "--all", "-O", "x", NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
	/* A host without VMFS: nothing backed up, status 1. */
	tree e = new_tree("h4e");
	fake_add(&e, &(fake_disk){ .name = "sda", .dev = "8:0\n", .hctl = "0:0:0:0", .image = empty_disk("h4e.img") });
	r = run_tool("vmfs-backup", "--sysfs-root", e.sys, "--dev-root", e.dev, "--all", "--dir", dir, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--sysfs-root", e.sys, "--dev-root", e.dev, "--all", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	tool_result_free(&r);
}

/* A name with :N as PATH: the partition's node is read. */
Test(live_cli, name_with_partition_as_path)
{
	tree t = new_tree("h5");
	const char *disk = fixture_disk("h5.img", NAA_A, "5", "one");
	const char *part = tmp_path("h5-part1.img");
	dd_copy(disk, part, "1M", "skip=1");
	static vpd a;
	a = naa_page(NAA_A);
	fake_add(&t, &(fake_disk){ .name = "sdb", .dev = "8:16\n", .hctl = "2:0:0:5", .page = &a, .image = disk,
				   .partition = 1, .partition_image = part });
	tool_result r = run_tool("vmfs-inspect", "--sysfs-root", t.sys, "--dev-root", t.dev, "--json", "naa." NAA_A ":1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "source.path"), part);
	cr_assert_eq(ju64_at(doc, "lun_identity.partition"), 1);
	cr_assert_str_eq(jstr_at(doc, "lun_identity.volumes[0].verdict"), "match");
	json_object_put(doc);
	tool_result_free(&r);
}

/* A real block device: a loop device with a VMFS image, read through the
 * host's own /sys (a loop device is no SCSI device: no verdict). */
Test(live_cli, loop_device)
{
	const char *image = fixture_disk("loop.img", NAA_A, "3", "one");
	const char *attach[] = { "/usr/sbin/losetup", "-f", "--show", "-r", image, NULL };
	tool_result r = run_argv(attach);
	if (r.status != 0) {
		char why[512];
		JOIN(why, "%s", r.err);
		tool_result_free(&r);
		cr_skip_test("loop devices not available here (%s)", why);
	}
	char loop[64];
	JOIN(loop, "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);
	tool_result t = run_tool("vmfs-inspect", "--json", loop, NULL);
	const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
	r = run_argv(detach);
	tool_result_free(&r);
	cr_assert_eq(t.status, 0, "%s", t.err);
	json_object *doc = parse_json(t.out);
	cr_assert_str_eq(jstr_at(doc, "lun_identity.device"), loop + strlen("/dev/"));
	cr_assert_str_eq(jstr_at(doc, "lun_identity.volumes[0].verdict"), "unknown");
	json_object_put(doc);
	tool_result_free(&t);
}

/* Every tool takes an ESXi device name where it takes a disk: one that
 * names no device of this host is said as such (not as a missing file),
 * exit 2, whatever the tool. (The test host presents no LUN with this
 * NAA id; a resolved name is covered by name_with_partition_as_path.) */
Test(live_cli, every_tool_says_a_name_names_no_device)
{
	const char *name = "naa.600144f07ed404000000496ff8cd0bad";
	const struct {
		const char *tool;
		const char *args[4];
	} cases[] = {
		{ "vmfs-ls", { name, NULL } },
		{ "vmfs-extract", { "--stdout", name, "/x", NULL } },
		{ "vmfs-restore", { name, NULL } },
		{ "vmfs-diff", { name, name, NULL } },
		{ "vmfs-resignature", { "--new-identity", name, NULL } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = { NULL };
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", getenv("VMFS_TEST_BIN"), cases[i].tool);
		argv[0] = path;
		for (size_t k = 0; cases[i].args[k]; k++)
			argv[k + 1] = cases[i].args[k];
		tool_result r = run_argv(argv);
		cr_assert_eq(r.status, 2, "%s: exit %d\n%s", cases[i].tool, r.status, r.err);
		cr_assert_not_null(strstr(r.err, "names no device of this host"), "%s: %s", cases[i].tool, r.err);
		tool_result_free(&r);
	}
}
