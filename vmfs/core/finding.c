#include "vmfs/core/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vmfs_findings_add(vmfs_findings *list, vmfs_severity severity, const char *code,
		       uint64_t offset, const char *fmt, ...)
{
	if (list->count >= VMFS_MAX_FINDINGS) {
		list->dropped++;
		return;
	}
	vmfs_finding *f = &list->items[list->count++];
	f->severity = severity;
	f->code = code;
	f->offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

bool vmfs_findings_has(const vmfs_findings *list, const char *code)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].code, code) == 0)
			return true;
	return false;
}

size_t vmfs_findings_count(const vmfs_findings *list, vmfs_severity severity)
{
	size_t n = 0;
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].severity == severity)
			n++;
	return n;
}

const char *vmfs_severity_name(vmfs_severity severity)
{
	switch (severity) {
	case VMFS_SEVERITY_INFO: return "info";
	case VMFS_SEVERITY_WARNING: return "warning";
	case VMFS_SEVERITY_ERROR: return "error";
	}
	return "unknown";
}
