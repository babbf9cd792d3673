/* See live.h. */
#include "tools/common/live.h"

#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "vmfs/discover/snapshot.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/resolve.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* In a tree of image files (another host's, or a test's), a node is a link
 * to an image: the image is what is read, by its own name (a link named
 * sdc beside sdb would otherwise pass for a split image's second segment). */
static void image_behind(char *node, size_t len)
{
	struct stat l, st;
	if (lstat(node, &l) != 0 || !S_ISLNK(l.st_mode) || stat(node, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	char *real = realpath(node, NULL);
	if (real && strlen(real) < len)
		snprintf(node, len, "%s", real);
	free(real);
}

vmfs_status live_operand(const char *prog, const live_roots *roots, const char *arg, char *out, size_t len,
			 vmfs_error *err)
{
	struct stat st;
	snprintf(out, len, "%s", arg);
	if (stat(arg, &st) == 0 || !vmfs_resolve_is_name(arg))
		return VMFS_OK;
	vmfs_ident id;
	vmfs_ident_parse(arg, &id, NULL);
	vmfs_resolution *r = malloc(sizeof(*r));
	if (!r)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, arg, VMFS_NO_OFFSET, "out of memory");
	vmfs_status status = vmfs_resolve_ident(roots->sysfs, roots->dev, &id, r, err);
	if (status == VMFS_OK && r->count == 0)
		status = vmfs_error_set(err, VMFS_ERR_NOT_FOUND, arg, VMFS_NO_OFFSET, "names no device of this host: %s",
					r->problem);
	if (status == VMFS_OK) {
		snprintf(out, len, "%s", r->items[0].node);
		image_behind(out, len);
		if (r->count > 1)
			fprintf(stderr, "%s: %s: %zu paths present this LUN (multipathing?); reading %s\n", prog, arg,
				r->count + r->dropped, r->items[0].node);
	}
	free(r);
	return status;
}

void live_resolve_operands(const char *prog, char **argv, int from, int to)
{
	static const live_roots host = { VMFS_SYSFS_ROOT, VMFS_DEV_ROOT };
	for (int i = from; i < to; i++) {
		char node[VMFS_LUN_PATH_MAX];
		vmfs_error err;
		vmfs_error_clear(&err);
		if (live_operand(prog, &host, argv[i], node, sizeof(node), &err) != VMFS_OK) {
			cli_print_error(prog, &err);
			continue;
		}
		if (strcmp(node, argv[i]) == 0)
			continue;
		/* Kept for the life of the process, as argv is. */
		char *copy = strdup(node);
		if (copy)
			argv[i] = copy;
	}
}

vmfs_status live_all_devices(const live_roots *roots, live_device **list, size_t *count, vmfs_error *err)
{
	*list = NULL;
	*count = 0;
	char (*names)[VMFS_LUN_NAME_MAX] = malloc(VMFS_LUN_MAX_DEVICES * sizeof(*names));
	vmfs_lun *lun = malloc(sizeof(*lun));
	live_device *devices = calloc(VMFS_LUN_MAX_DEVICES, sizeof(*devices));
	size_t n = 0, total = 0;
	vmfs_status st = names && lun && devices ? VMFS_OK
						 : vmfs_error_set(err, VMFS_ERR_NO_MEMORY, roots->sysfs, VMFS_NO_OFFSET, "out of memory");
	if (st == VMFS_OK)
		st = vmfs_lun_list(roots->sysfs, names, VMFS_LUN_MAX_DEVICES, &n, &total, err);
	for (size_t i = 0; st == VMFS_OK && i < n; i++) {
		live_device *d = &devices[i];
		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		if (vmfs_lun_read(roots->sysfs, roots->dev, names[i], lun, NULL) != VMFS_OK) {
			d->skip = true;
			snprintf(d->skip_reason, sizeof(d->skip_reason), "its sysfs entry cannot be read");
			continue;
		}
		snprintf(d->node, sizeof(d->node), "%s", lun->node);
		image_behind(d->node, sizeof(d->node));
		struct stat s;
		if (lun->has_size && lun->size == 0) {
			d->skip = true;
			snprintf(d->skip_reason, sizeof(d->skip_reason), "size 0 (no medium, or nothing attached)");
		} else if (lun->state[0] && strcmp(lun->state, "running") != 0) {
			d->skip = true;
			snprintf(d->skip_reason, sizeof(d->skip_reason), "SCSI state \"%.64s\", not running: not read", lun->state);
		} else if (stat(d->node, &s) != 0) {
			d->skip = true;
			snprintf(d->skip_reason, sizeof(d->skip_reason), "no device node");
		}
	}
	free(names);
	free(lun);
	if (st != VMFS_OK) {
		free(devices);
		return st;
	}
	if (total > n)
		fprintf(stderr, "only the first %zu of %zu block devices are examined\n", n, total);
	*list = devices;
	*count = n;
	return VMFS_OK;
}

/* ---------------------------------------------------------------- one LUN */

static const char *designator_type_name(uint8_t type)
{
	switch (type) {
	case VMFS_DESIG_VENDOR: return "vendor-specific";
	case VMFS_DESIG_T10: return "t10";
	case VMFS_DESIG_EUI64: return "eui-64";
	case VMFS_DESIG_NAA: return "naa";
	case VMFS_DESIG_REL_PORT: return "relative-target-port";
	case VMFS_DESIG_PORT_GROUP: return "target-port-group";
	case VMFS_DESIG_LU_GROUP: return "logical-unit-group";
	case VMFS_DESIG_MD5: return "md5";
	case VMFS_DESIG_SCSI_NAME: return "scsi-name";
	default: return "reserved";
	}
}

static const char *association_name(uint8_t a)
{
	return a == 0 ? "logical-unit" : a == 1 ? "target-port" : a == 2 ? "target-device" : "reserved";
}

/* What to print for one VMFS device: the verdict and the commands. */
typedef struct device_view {
	vmfs_snap_check check;
	char repoint[8192];      /* "" when none */
	char esxi_list[64], esxi_mount[1200], esxi_mount_uuid[200];
} device_view;

static void view_of(const vmfs_lun *lun, const char *path, const vmfs_disk *disk, size_t k, device_view *v)
{
	const vmfs_device *dev = disk->devices[k];
	vmfs_snapshot_check(lun, dev, &v->check);
	v->repoint[0] = v->esxi_list[0] = v->esxi_mount[0] = v->esxi_mount_uuid[0] = 0;
	if (v->check.verdict != VMFS_SNAP_SNAPSHOT)
		return;
	const vmfs_snap_repoint *r = &v->check.repoint;
	if (r->possible) {
		const char *words[20];
		char offset[32], lunno[16];
		size_t w = 0;
		words[w++] = "vmfs-resignature";
		if (disk->num_devices > 1) {
			snprintf(offset, sizeof(offset), "%" PRIu64, r->offset);
			words[w++] = "--offset";
			words[w++] = offset;
		}
		if (r->set_lun) {
			snprintf(lunno, sizeof(lunno), "%" PRIu32, r->lun);
			words[w++] = "--lun";
			words[w++] = lunno;
		}
		if (r->disk_id[0]) {
			words[w++] = "--disk-id";
			words[w++] = r->disk_id;
		}
		const char *opt[3] = { "--vendor", "--model", "--revision" };
		const char *val[3] = { r->vendor, r->model, r->revision };
		for (size_t i = 0; i < 3; i++)
			if (val[i][0]) {
				words[w++] = opt[i];
				words[w++] = val[i];
			}
		words[w++] = path;
		words[w] = NULL;
		cli_command_line(v->repoint, sizeof(v->repoint), words);
	}
	snprintf(v->esxi_list, sizeof(v->esxi_list), "esxcli storage vmfs snapshot list");
	if (dev->has_fs) {
		char uuid[VMFS_UUID_TEXT_LEN + 1];
		const char *words[] = { "esxcli", "storage", "vmfs", "snapshot", "mount", "-l", dev->fs.label, NULL };
		if (dev->fs.label[0])
			cli_command_line(v->esxi_mount, sizeof(v->esxi_mount), words);
		snprintf(v->esxi_mount_uuid, sizeof(v->esxi_mount_uuid), "esxcli storage vmfs snapshot mount -u %s",
			 vmfs_uuid_format(&dev->fs.uuid, uuid));
	}
}

static json_object *str_or_null(const char *s)
{
	char safe[2400];
	return s && s[0] ? json_object_new_string(fmt_safe_text(s, safe, sizeof(safe))) : NULL;
}

/* The LUN under path and a view to fill (both on the heap: they are large;
 * the caller frees both), or false with nothing held when path is no block
 * device sysfs knows. */
static bool lun_of(const live_roots *roots, const char *path, vmfs_lun **lun, device_view **v, unsigned *partition)
{
	char disk[VMFS_LUN_NAME_MAX];
	*partition = 0;
	*lun = malloc(sizeof(**lun));
	*v = malloc(sizeof(**v));
	if (*lun && *v && vmfs_lun_of_path(roots->sysfs, roots->dev, path, disk, sizeof(disk), partition) &&
	    vmfs_lun_read(roots->sysfs, roots->dev, disk, *lun, NULL) == VMFS_OK)
		return true;
	free(*lun);
	free(*v);
	*lun = NULL;
	*v = NULL;
	return false;
}

json_object *live_lun_json(const live_roots *roots, const char *path, const vmfs_disk *disk, size_t *snapshots)
{
	vmfs_lun *lun;
	device_view *v;
	unsigned partition;
	if (!lun_of(roots, path, &lun, &v, &partition))
		return NULL;
	json_object *o = json_object_new_object();
	char hctl[96], hex[2 * VMFS_VPD83_ITEM_MAX + 1];
	snprintf(hctl, sizeof(hctl), "%u:%u:%u:%" PRIu64, lun->host, lun->channel, lun->target, lun->lun);
	json_object_object_add(o, "device", json_object_new_string(lun->name));
	json_object_object_add(o, "node", str_or_null(lun->node));
	json_object_object_add(o, "partition", partition ? json_object_new_uint64(partition) : NULL);
	json_object_object_add(o, "size", lun->has_size ? json_object_new_uint64(lun->size) : NULL);
	json_object_object_add(o, "hctl", lun->has_hctl ? json_object_new_string(hctl) : NULL);
	json_object_object_add(o, "lun", lun->has_hctl ? json_object_new_uint64(lun->lun) : NULL);
	json_object_object_add(o, "vendor", lun->inquiry_printable ? str_or_null(lun->vendor) : NULL);
	json_object_object_add(o, "model", lun->inquiry_printable ? str_or_null(lun->model) : NULL);
	json_object_object_add(o, "revision", lun->inquiry_printable ? str_or_null(lun->revision) : NULL);
	json_object_object_add(o, "device_type", lun->has_type ? json_object_new_uint64(lun->device_type) : NULL);
	json_object_object_add(o, "scsi_level", lun->has_scsi_level ? json_object_new_uint64(lun->scsi_level) : NULL);
	json_object_object_add(o, "state", str_or_null(lun->state));
	json_object_object_add(o, "wwid", str_or_null(lun->wwid));
	json_object_object_add(o, "vpd_pg83", json_object_new_boolean(lun->has_vpd83));
	json_object_object_add(o, "vpd_pg83_problem", str_or_null(lun->vpd83_problem));
	json_object *designators = json_object_new_array();
	for (size_t i = 0; lun->has_vpd83 && i < lun->vpd83.count; i++) {
		const vmfs_designator *d = &lun->vpd83.items[i];
		char name[VMFS_IDENT_MAX_TEXT];
		vmfs_designator_name(d, name, sizeof(name));
		json_object *e = json_object_new_object();
		json_object_object_add(e, "offset", json_object_new_uint64(d->offset));
		json_object_object_add(e, "type", json_object_new_string(designator_type_name(d->type)));
		json_object_object_add(e, "association", json_object_new_string(association_name(d->association)));
		json_object_object_add(e, "code_set", json_object_new_uint64(d->code_set));
		json_object_object_add(e, "hex", json_object_new_string(fmt_hex(d->bytes, d->len, hex, sizeof(hex))));
		json_object_object_add(e, "name", d->association == VMFS_DESIG_ASSOC_LU ? str_or_null(name) : NULL);
		json_object_array_add(designators, e);
	}
	json_object_object_add(o, "designators", designators);
	json_object *volumes = json_object_new_array();
	char *presented_name = NULL, *presented_vml = NULL;
	for (size_t k = 0; k < disk->num_devices; k++) {
		if (!disk->devices[k]->has_lvm)
			continue;
		view_of(lun, path, disk, k, v);
		const vmfs_snap_check *c = &v->check;
		if (!presented_name && c->presented_name[0])
			presented_name = strdup(c->presented_name);
		if (!presented_vml && c->presented_vml[0])
			presented_vml = strdup(c->presented_vml);
		*snapshots += c->verdict == VMFS_SNAP_SNAPSHOT;
		json_object *e = json_object_new_object();
		json_object_object_add(e, "offset", json_object_new_uint64(disk->devices[k]->offset));
		json_object_object_add(e, "verdict", json_object_new_string(vmfs_snap_verdict_name(c->verdict)));
		json_object_object_add(e, "summary", str_or_null(c->summary));
		json_object_object_add(e, "stored_vml", str_or_null(c->stored_vml));
		json_object_object_add(e, "stored_name", str_or_null(c->stored_name));
		json_object *findings = json_object_new_array();
		for (size_t i = 0; i < c->findings.count; i++) {
			const vmfs_finding *f = &c->findings.items[i];
			json_object *fo = json_object_new_object();
			json_object_object_add(fo, "severity", json_object_new_string(vmfs_severity_name(f->severity)));
			json_object_object_add(fo, "code", json_object_new_string(f->code));
			json_object_object_add(fo, "offset", f->offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(f->offset));
			json_object_object_add(fo, "message", str_or_null(f->message));
			json_object_object_add(fo, "basis", json_object_new_string(vmfs_snap_basis_name(c->basis[i])));
			json_object_array_add(findings, fo);
		}
		json_object_object_add(e, "findings", findings);
		json_object *rp = NULL;
		if (c->verdict == VMFS_SNAP_SNAPSHOT) {
			rp = json_object_new_object();
			json_object_object_add(rp, "possible", json_object_new_boolean(c->repoint.possible));
			json_object_object_add(rp, "command", str_or_null(v->repoint));
			json_object_object_add(rp, "why_not", str_or_null(c->repoint.why_not));
			json_object_object_add(rp, "note", str_or_null(c->repoint.note));
		}
		json_object_object_add(e, "repoint", rp);
		json_object *esxi = NULL;
		if (c->verdict == VMFS_SNAP_SNAPSHOT) {
			esxi = json_object_new_object();
			json_object_object_add(esxi, "list", str_or_null(v->esxi_list));
			json_object_object_add(esxi, "mount_by_label", str_or_null(v->esxi_mount));
			json_object_object_add(esxi, "mount_by_uuid", str_or_null(v->esxi_mount_uuid));
		}
		json_object_object_add(e, "esxi", esxi);
		json_object_array_add(volumes, e);
	}
	json_object_object_add(o, "presented_name", str_or_null(presented_name));
	json_object_object_add(o, "presented_vml", str_or_null(presented_vml));
	json_object_object_add(o, "volumes", volumes);
	free(presented_name);
	free(presented_vml);
	free(lun);
	free(v);
	return o;
}

void live_lun_text(FILE *out, const live_roots *roots, const char *path, const vmfs_disk *disk, size_t *snapshots)
{
	vmfs_lun *lun;
	device_view *v;
	unsigned partition;
	if (!lun_of(roots, path, &lun, &v, &partition))
		return;
	char safe[3][1200];
	fprintf(out, "\nWhat the LUN presents (%s", lun->name);
	if (partition)
		fprintf(out, ", partition %u", partition);
	fprintf(out, "):\n");
	if (lun->has_hctl)
		fprintf(out, "  SCSI address %u:%u:%u:%" PRIu64 ": LUN %" PRIu64 "\n", lun->host, lun->channel, lun->target,
			lun->lun, lun->lun);
	else
		fprintf(out, "  SCSI address: unknown%s\n", lun->scsi ? "" : " (not a SCSI device)");
	if (lun->has_inquiry)
		fprintf(out, "  vendor \"%s\", model \"%s\", revision \"%s\"\n",
			lun->inquiry_printable ? fmt_safe_text(lun->vendor, safe[0], sizeof(safe[0])) : "?",
			lun->inquiry_printable ? fmt_safe_text(lun->model, safe[1], sizeof(safe[1])) : "?",
			lun->inquiry_printable ? fmt_safe_text(lun->revision, safe[2], sizeof(safe[2])) : "?");
	if (lun->has_type || lun->has_scsi_level) {
		fprintf(out, "  device type ");
		lun->has_type ? fprintf(out, "%u", lun->device_type) : fprintf(out, "unknown");
		fprintf(out, ", SCSI level ");
		lun->has_scsi_level ? fprintf(out, "%u\n", lun->scsi_level) : fprintf(out, "unknown\n");
	}
	if (lun->wwid[0])
		fprintf(out, "  wwid %s\n", fmt_safe_text(lun->wwid, safe[0], sizeof(safe[0])));
	if (!lun->has_vpd83)
		fprintf(out, "  VPD page 0x83: %s\n",
			lun->vpd83_problem[0] ? fmt_safe_text(lun->vpd83_problem, safe[0], sizeof(safe[0])) : "none");
	for (size_t i = 0; lun->has_vpd83 && i < lun->vpd83.count; i++) {
		const vmfs_designator *d = &lun->vpd83.items[i];
		char name[VMFS_IDENT_MAX_TEXT], hex[2 * VMFS_VPD83_ITEM_MAX + 1];
		vmfs_designator_name(d, name, sizeof(name));
		fprintf(out, "  VPD page 0x83 designator: %s, %s: %s\n", designator_type_name(d->type),
			association_name(d->association),
			d->association == VMFS_DESIG_ASSOC_LU && name[0] ? name : fmt_hex(d->bytes, d->len, hex, sizeof(hex)));
	}
	for (size_t k = 0; k < disk->num_devices; k++) {
		if (!disk->devices[k]->has_lvm)
			continue;
		view_of(lun, path, disk, k, v);
		const vmfs_snap_check *c = &v->check;
		*snapshots += c->verdict == VMFS_SNAP_SNAPSHOT;
		fprintf(out, "  VMFS device at 0x%" PRIx64 ": %s: %s\n", disk->devices[k]->offset,
			vmfs_snap_verdict_name(c->verdict), c->summary);
		if (c->stored_vml[0])
			fprintf(out, "    the header records %s%s%s%s\n", c->stored_vml, c->stored_name[0] ? " (" : "",
				c->stored_name, c->stored_name[0] ? ")" : "");
		if (c->presented_vml[0] || c->presented_name[0])
			fprintf(out, "    ESXi would name the LUN now %s%s%s%s\n", c->presented_vml[0] ? c->presented_vml : "",
				c->presented_vml[0] && c->presented_name[0] ? " (" : "", c->presented_name,
				c->presented_vml[0] && c->presented_name[0] ? ")" : "");
		for (size_t i = 0; i < c->findings.count; i++) {
			const vmfs_finding *f = &c->findings.items[i];
			fprintf(out, "    %s %s at 0x%" PRIx64 " [%s]: %s\n", vmfs_severity_name(f->severity), f->code, f->offset,
				vmfs_snap_basis_name(c->basis[i]), fmt_safe_text(f->message, safe[0], sizeof(safe[0])));
		}
		if (c->verdict != VMFS_SNAP_SNAPSHOT)
			continue;
		if (v->repoint[0]) {
			fprintf(out, "    re-point the header at the LUN as it is now (keeps every UUID; only when this is the\n"
				     "    original volume and its old LUN is gone; a dry run: check the plan, then add --write):\n"
				     "      %s\n", v->repoint);
			if (c->repoint.note[0])
				fprintf(out, "      note: %s\n", c->repoint.note);
		} else {
			fprintf(out, "    no re-point command: %s\n", c->repoint.why_not);
		}
		fprintf(out, "    or on the ESXi host: %s, then mount it keeping its signature:\n", v->esxi_list);
		if (v->esxi_mount[0])
			fprintf(out, "      %s\n", fmt_safe_text(v->esxi_mount, safe[0], sizeof(safe[0])));
		if (v->esxi_mount_uuid[0])
			fprintf(out, "      %s\n", v->esxi_mount_uuid);
		if (!v->esxi_mount[0] && !v->esxi_mount_uuid[0])
			fprintf(out, "      esxcli storage vmfs snapshot mount -l LABEL (the label the list shows)\n");
		fprintf(out, "    confirmed (VMware, format reference 9.1): a stored LUN id or LUN number that differs makes\n"
			     "    the volume a snapshot; inference (9.1-9.3): which diskID fields are compared, and that a\n"
			     "    re-point makes ESXi accept it\n");
	}
	free(lun);
	free(v);
}
