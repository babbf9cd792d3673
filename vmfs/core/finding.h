/* Findings: what a consistency check noticed, with a stable code, a severity,
 * the absolute byte offset and a message. Findings are data, not output. */
#ifndef VMFS_FINDING_H
#define VMFS_FINDING_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_severity {
	VMFS_SEVERITY_INFO,
	VMFS_SEVERITY_WARNING,
	VMFS_SEVERITY_ERROR,   /* the structure cannot be trusted or used as it is */
} vmfs_severity;

#define VMFS_MAX_FINDINGS 64u

typedef struct vmfs_finding {
	vmfs_severity severity;
	const char *code;      /* stable identifier, e.g. "truncated" */
	uint64_t offset;       /* absolute offset in the source, VMFS_NO_OFFSET if none */
	char message[320];
} vmfs_finding;

typedef struct vmfs_findings {
	vmfs_finding items[VMFS_MAX_FINDINGS];
	size_t count;
	size_t dropped;        /* findings beyond VMFS_MAX_FINDINGS */
} vmfs_findings;

void vmfs_findings_add(vmfs_findings *list, vmfs_severity severity, const char *code,
		       uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool vmfs_findings_has(const vmfs_findings *list, const char *code);
size_t vmfs_findings_count(const vmfs_findings *list, vmfs_severity severity);
const char *vmfs_severity_name(vmfs_severity severity);

#endif
