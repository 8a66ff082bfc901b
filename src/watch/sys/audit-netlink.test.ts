import { describe, expect, it } from 'vitest';
import {
  AUDIT_DIR,
  AUDIT_EXE,
  AUDIT_FILTERKEY,
  AUDIT_NOT_EQUAL,
  AUDIT_PERM,
  AUDIT_SET,
  decodeRule,
  decodeStatus,
  encodeNlMessage,
  encodeRule,
  encodeStatus,
  parseNlMessages,
  ruleKey,
  treeRule,
} from './audit-netlink.js';

describe('audit netlink encoding', () => {
  it('frames a request and parses it back, in both byte orders', () => {
    for (const le of [true, false]) {
      const m = encodeNlMessage(AUDIT_SET, 5, 42, Buffer.from([1, 2, 3]), le);
      expect(m.length).toBe(20);
      const [p] = parseNlMessages(m, m.length, le);
      expect(p).toMatchObject({ type: AUDIT_SET, flags: 5, seq: 42 });
      expect([...p!.payload]).toEqual([1, 2, 3]);
    }
  });

  it('takes a record whose length does not fit the datagram as running to its end', () => {
    const m = encodeNlMessage(1300, 0, 0, Buffer.from('audit(1.000:1): x=1'), true);
    m.writeUInt32LE(9999, 0);
    expect(parseNlMessages(m, m.length, true)[0]!.payload.toString()).toContain('x=1');
  });

  it('round-trips struct audit_status', () => {
    const b = encodeStatus({ mask: 0x11, enabled: 1, backlogLimit: 8192 }, true);
    expect(b.length).toBe(44);
    expect(decodeStatus(b, true)).toMatchObject({ mask: 0x11, enabled: 1, backlogLimit: 8192, lost: 0 });
  });

  it('encodes the rule of auditctl -w DIR -p wa -k KEY -F exe!=EXE and decodes it byte-exactly', () => {
    const dir = '/tmp/caf\xe9';
    const r = treeRule(dir, 'livemirror-123', '/usr/bin/rsync');
    const b = encodeRule(r, true);
    // 3 u32 + mask[64] + fields/values/fieldflags[64] + buflen, then the strings
    expect(b.length).toBe(1040 + dir.length + '/usr/bin/rsync'.length + 'livemirror-123'.length);
    expect(b.readUInt32LE(1036)).toBe(b.length - 1040);
    expect(b.subarray(1040, 1040 + dir.length)).toEqual(Buffer.from(dir, 'latin1'));
    const back = decodeRule(b, true);
    expect(back).toEqual(r);
    expect(back.fields.map((f) => f.field)).toEqual([AUDIT_DIR, AUDIT_PERM, AUDIT_EXE, AUDIT_FILTERKEY]);
    expect(back.fields[2]!.op).toBe(AUDIT_NOT_EQUAL);
    expect(ruleKey(back)).toBe('livemirror-123');
  });
});
