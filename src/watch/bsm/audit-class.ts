/**
 * Audit classes (audit_class(5), /etc/security/audit_class, OpenBSM etc/audit_class) as the bits
 * of an au_mask_t, and the mask of the classes the bsm-audit source selects.
 */
export const AUDIT_CLASSES = {
  fr: 0x00000001, // file read
  fw: 0x00000002, // file write
  fa: 0x00000004, // file attribute access
  fm: 0x00000008, // file attribute modify
  fc: 0x00000010, // file create
  fd: 0x00000020, // file delete
  cl: 0x00000040, // file close
  pc: 0x00000080, // process
} as const;

export type AuditClass = keyof typeof AUDIT_CLASSES;

/** What the source asks auditpipe for, and what audit_control's flags/naflags need for trails. */
export const SELECTED_CLASSES: readonly AuditClass[] = ['fc', 'fd', 'fw', 'fm', 'cl'];

/** The au_mask_t bits of `classes` (the union of their class masks). */
export function classMask(classes: readonly AuditClass[]): number {
  return classes.reduce((m, c) => (m | AUDIT_CLASSES[c]) >>> 0, 0);
}
