import { describe, expect, it } from 'vitest';
import { AuditAssembler, type Assembled } from './audit-assemble.js';
import { parseAuditRecord, type AuditRecord } from './audit-record.js';

const rec = (type: number, serial: number, body = ''): AuditRecord => parseAuditRecord(type, `audit(1796225752.110:${serial}): ${body}`)!;
const opts = { eventTimeoutMs: 50, gapWaitMs: 100, maxPendingGaps: 10 };
const summary = (out: Assembled[]): string[] => out.map((a) => (a.kind === 'lost' ? `lost ${a.serials}` : `event ${a.group.serial}:${a.group.records.map((r) => r.type).join(',')}`));

describe('AuditAssembler', () => {
  it('hands on an event at its EOE, without the EOE', () => {
    const a = new AuditAssembler(opts);
    const out: Assembled[] = [];
    a.push(rec(1300, 4), 0, out);
    a.push(rec(1307, 4), 0, out);
    a.push(rec(1302, 4), 0, out);
    expect(out).toEqual([]);
    a.push(rec(1320, 4), 1, out);
    expect(summary(out)).toEqual(['event 4:1300,1307,1302']);
  });

  it('hands on an event without EOE after its timeout, not before', () => {
    const a = new AuditAssembler(opts);
    const out: Assembled[] = [];
    a.push(rec(1305, 2), 0, out);
    a.expire(49, out);
    expect(out).toEqual([]);
    expect(a.nextDeadline(10)).toBe(40);
    a.expire(50, out);
    expect(summary(out)).toEqual(['event 2:1305']);
  });

  it('reports a serial gap as lost once the wait for a late record ran out', () => {
    const a = new AuditAssembler(opts);
    const out: Assembled[] = [];
    a.push(rec(1320, 10), 0, out);
    a.push(rec(1320, 13), 0, out); // 11 and 12 missing
    a.push(rec(1320, 11), 20, out); // 11 comes late (concurrent syscalls interleave)
    a.expire(99, out);
    expect(summary(out)).toEqual(['event 10:', 'event 13:', 'event 11:']);
    a.expire(100, out);
    expect(summary(out).slice(3)).toEqual(['lost 1']);
  });

  it('reports a gap bigger than it tracks at once', () => {
    const a = new AuditAssembler(opts);
    const out: Assembled[] = [];
    a.push(rec(1320, 1), 0, out);
    a.push(rec(1320, 100), 0, out);
    expect(summary(out)).toEqual(['event 1:', 'lost 98', 'event 100:']);
  });

  it('ignores records of an event already handed on', () => {
    const a = new AuditAssembler(opts);
    const out: Assembled[] = [];
    a.push(rec(1320, 5), 0, out);
    a.push(rec(1302, 5), 0, out);
    a.expire(1000, out);
    expect(summary(out)).toEqual(['event 5:']);
  });
});

describe('parseAuditRecord', () => {
  it('reads the header, quoted, bare, hex-encoded and (null) values', () => {
    const r = parseAuditRecord(1302, 'audit(1796225795.450:30): item=1 name=7375622F636166E9207370 inode=2163229 nametype=CREATE key=(null) cwd="/tmp/a b"\0')!;
    expect(r.timeMs).toBe(1796225795450);
    expect(r.serial).toBe(30);
    expect(r.fields.get('name')).toBe('sub/caf\xe9 sp');
    expect(r.fields.get('inode')).toBe('2163229');
    expect(r.fields.has('key')).toBe(false);
    expect(r.fields.get('cwd')).toBe('/tmp/a b');
    expect(parseAuditRecord(1300, 'not a record')).toBeUndefined();
  });

  it('keeps a quoted name that happens to look like hex as it is', () => {
    expect(parseAuditRecord(1302, 'audit(1.000:1): name="abcd"')!.fields.get('name')).toBe('abcd');
    expect(parseAuditRecord(1121, "audit(1.000:1): pid=1 msg='livemirror probe 12'")!.fields.get('msg')).toBe('livemirror probe 12');
  });
});
