import { describe, expect, it } from 'vitest';
import { classMask, SELECTED_CLASSES } from './audit-class.js';

describe('classMask', () => {
  it('fc,fd,fw,fm,cl is 0x10|0x20|0x02|0x08|0x40 (audit_class(5))', () => {
    expect(classMask(SELECTED_CLASSES)).toBe(0x7a);
  });
  it('no class is 0; a class twice counts once', () => {
    expect(classMask([])).toBe(0);
    expect(classMask(['fw', 'fw', 'fr'])).toBe(0x3);
  });
});
