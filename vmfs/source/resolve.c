/* See resolve.h. */
#include "vmfs/source/resolve.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool vmfs_resolve_is_name(const char *text)
{
	vmfs_ident id;
	if (vmfs_ident_parse(text, &id, NULL) != VMFS_OK)
		return false;
	return id.kind == VMFS_IDENT_VML || id.kind == VMFS_IDENT_NAA || id.kind == VMFS_IDENT_EUI ||
	       id.kind == VMFS_IDENT_T10;
}

/* What is looked for: a designator of a type, or a t10 text. */
typedef struct wanted {
	uint8_t type;             /* VMFS_DESIG_NAA, _EUI64 or _T10 */
	uint8_t bytes[32];
	size_t len;
	char name[VMFS_IDENT_MAX_TEXT]; /* naa./eui./t10. name, compared with designator names and wwid */
} wanted;

/* t10 names compare without the '_' padding at their end. */
static void trim_underscores(char *s)
{
	size_t n = strlen(s);
	while (n > 4 + 8 && s[n - 1] == '_')
		s[--n] = 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

static vmfs_status wanted_of(const vmfs_ident *id, wanted *w, vmfs_error *err)
{
	memset(w, 0, sizeof(*w));
	const char *text = id->canonical;
	switch (id->kind) {
	case VMFS_IDENT_VML:
		if (id->id_type != 2 || id->designator_len == 0)
			return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, text[0] ? text : "vml", VMFS_NO_OFFSET,
					      "a vml name of id type %u (%s) names no VPD designator: only type 2 (naa) "
					      "can be matched to a local device", id->id_type,
					      vmfs_disk_id_type_name(id->id_type));
		/* A type-2 vml carries the NAA designator. */
		/* fall through */
	case VMFS_IDENT_NAA:
	case VMFS_IDENT_EUI:
		if (id->designator_len == 0 || id->designator_len > sizeof(w->bytes))
			return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, text, VMFS_NO_OFFSET, "no designator in the name");
		w->type = id->kind == VMFS_IDENT_EUI ? VMFS_DESIG_EUI64 : VMFS_DESIG_NAA;
		memcpy(w->bytes, id->designator, id->designator_len);
		w->len = id->designator_len;
		memcpy(w->name, w->type == VMFS_DESIG_NAA ? "naa." : "eui.", 4);
		hex(w->bytes, w->len, w->name + 4);
		return VMFS_OK;
	case VMFS_IDENT_T10:
		w->type = VMFS_DESIG_T10;
		snprintf(w->name, sizeof(w->name), "%s", id->canonical);
		trim_underscores(w->name);
		return VMFS_OK;
	case VMFS_IDENT_VMHBA:
	case VMFS_IDENT_MPX:
		break;
	}
	return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, text[0] ? text : "vmhba", VMFS_NO_OFFSET,
			      "an ESXi adapter path (mpx / vmhba) names no LUN identity, and ESXi's adapter numbers "
			      "mean nothing on this host: give the naa., eui., t10. or vml. name of the device");
}

/* The wwid attribute in the form of a name: "naa.<hex>" lowercase; a t10
 * wwid with its spaces as '_'. */
static void wwid_as_name(const char *wwid, char *out, size_t len)
{
	snprintf(out, len, "%s", wwid);
	for (char *p = out; *p; p++) {
		if (*p == ' ')
			*p = '_';
		else if (strncmp(out, "t10.", 4) != 0 && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	if (strncmp(out, "t10.", 4) == 0)
		trim_underscores(out);
}

/* Does disk lun present w? how says by what. */
static bool presents(const vmfs_lun *lun, const wanted *w, char *how, size_t len)
{
	if (lun->has_vpd83) {
		const vmfs_designator *d = vmfs_vpd83_find(&lun->vpd83, w->type);
		if (d && w->type != VMFS_DESIG_T10 && d->len == w->len && memcmp(d->bytes, w->bytes, w->len) == 0) {
			snprintf(how, len, "VPD page 0x83 %s designator", w->type == VMFS_DESIG_NAA ? "NAA" : "EUI-64");
			return true;
		}
		char name[VMFS_IDENT_MAX_TEXT];
		if (d && w->type == VMFS_DESIG_T10) {
			vmfs_designator_name(d, name, sizeof(name));
			if (strcmp(name, w->name) == 0) {
				snprintf(how, len, "VPD page 0x83 T10 vendor id designator");
				return true;
			}
		}
	}
	if (lun->wwid[0]) {
		char name[VMFS_LUN_TEXT_MAX];
		wwid_as_name(lun->wwid, name, sizeof(name));
		if (strcmp(name, w->name) == 0) {
			snprintf(how, len, "wwid");
			return true;
		}
	}
	return false;
}

static bool add(vmfs_resolution *out, const char *sysfs_root, const char *dev_root, const vmfs_lun *lun,
		const char *how)
{
	for (size_t i = 0; i < out->count; i++)
		if (strcmp(out->items[i].disk, lun->name) == 0)
			return true;
	if (out->count >= VMFS_RESOLVE_MAX) {
		out->dropped++;
		return true;
	}
	vmfs_resolved *r = &out->items[out->count];
	memset(r, 0, sizeof(*r));
	snprintf(r->disk, sizeof(r->disk), "%s", lun->name);
	snprintf(r->how, sizeof(r->how), "%s", how);
	r->has_hctl = lun->has_hctl;
	r->lun = lun->lun;
	if (out->has_partition) {
		char part[VMFS_LUN_NAME_MAX];
		if (!vmfs_lun_partition(sysfs_root, dev_root, lun->name, out->partition, part, sizeof(part), r->node,
					sizeof(r->node)))
			return false;
	} else {
		snprintf(r->node, sizeof(r->node), "%s", lun->node);
	}
	out->count++;
	return true;
}

/* The by-id link names udev gives this designator (60-persistent-storage
 * rules: ID_WWN as wwn-0x..., scsi_id's page 0x83 id as scsi-<type digit>...). */
static size_t link_names(const wanted *w, char names[3][VMFS_IDENT_MAX_TEXT + 16])
{
	char h[80];
	if (w->type == VMFS_DESIG_T10)
		return 0;
	hex(w->bytes, w->len, h);
	if (w->type == VMFS_DESIG_NAA) {
		snprintf(names[0], sizeof(names[0]), "wwn-0x%s", h);
		snprintf(names[1], sizeof(names[1]), "scsi-3%s", h);
		return 2;
	}
	snprintf(names[0], sizeof(names[0]), "scsi-2%s", h);
	snprintf(names[1], sizeof(names[1]), "nvme-eui.%s", h);
	snprintf(names[2], sizeof(names[2]), "wwn-0x%s", h);
	return 3;
}

vmfs_status vmfs_resolve_ident(const char *sysfs_root, const char *dev_root, const vmfs_ident *id,
			       vmfs_resolution *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	wanted w;
	if (wanted_of(id, &w, err) != VMFS_OK)
		return err ? err->status : VMFS_ERR_UNSUPPORTED;
	snprintf(out->designator_name, sizeof(out->designator_name), "%s", w.name);
	out->has_partition = id->has_partition;
	out->partition = id->partition;
	bool missing_partition = false;

	char (*names)[VMFS_LUN_NAME_MAX] = malloc(VMFS_LUN_MAX_DEVICES * sizeof(*names));
	if (!names)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, sysfs_root, VMFS_NO_OFFSET, "out of memory");
	size_t count = 0, total = 0;
	vmfs_status st = vmfs_lun_list(sysfs_root, names, VMFS_LUN_MAX_DEVICES, &count, &total, err);
	vmfs_lun *lun = malloc(sizeof(*lun));
	if (st == VMFS_OK && !lun)
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, sysfs_root, VMFS_NO_OFFSET, "out of memory");
	/* Every disk that presents the designator: each path to the LUN. */
	for (size_t i = 0; st == VMFS_OK && i < count; i++) {
		char how[VMFS_RESOLVE_HOW_MAX];
		if (vmfs_lun_read(sysfs_root, dev_root, names[i], lun, NULL) != VMFS_OK || !presents(lun, &w, how, sizeof(how)))
			continue;
		if (!add(out, sysfs_root, dev_root, lun, how))
			missing_partition = true;
	}
	/* The by-id links: a device sysfs did not show it on (e.g. a
	 * device-mapper multipath map, which has no VPD page of its own). */
	char links[3][VMFS_IDENT_MAX_TEXT + 16];
	size_t nlinks = st == VMFS_OK ? link_names(&w, links) : 0;
	for (size_t k = 0; k < nlinks; k++) {
		char link[PATH_MAX];
		if (snprintf(link, sizeof(link), "%s/disk/by-id/%s", dev_root, links[k]) >= (int)sizeof(link))
			continue;
		char *real = realpath(link, NULL);
		if (!real)
			continue;
		char disk[VMFS_LUN_NAME_MAX];
		unsigned part = 0;
		/* The link must lead to a disk this sysfs knows. */
		if (vmfs_lun_of_path(sysfs_root, dev_root, real, disk, sizeof(disk), &part) && part == 0 &&
		    vmfs_lun_read(sysfs_root, dev_root, disk, lun, NULL) == VMFS_OK) {
			char how[VMFS_RESOLVE_HOW_MAX];
			snprintf(how, sizeof(how), "by-id link %.600s", links[k]);
			if (!add(out, sysfs_root, dev_root, lun, how))
				missing_partition = true;
		}
		free(real);
	}
	free(lun);
	free(names);
	if (st != VMFS_OK)
		return st;
	if (out->count == 0 && missing_partition)
		snprintf(out->problem, sizeof(out->problem), "a disk presents %s, but it has no partition %u", w.name,
			 out->partition);
	else if (out->count == 0)
		snprintf(out->problem, sizeof(out->problem),
			 "no block device of this host presents %s (%zu disk(s) in %s/block, links in %s/disk/by-id)",
			 w.name, total, sysfs_root, dev_root);
	return VMFS_OK;
}
