import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { lookupName, verifyHostKey } from '../../src/replicate/ssh/known-hosts.js';
import { formatKnownHostsLine, parseKnownHostsLine } from './known-hosts.js';

const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'test' });
const other = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'other' });
const blob = (pub: string): Buffer => Buffer.from(pub.split(' ')[1] ?? '', 'base64');
/** What ssh-connect.ts asks: does the line pin exactly this key for host:port? */
const matches = (line: string, host: string, port: number, key: Buffer): boolean => verifyHostKey([parseKnownHostsLine(line)], host, port, key) === 'match';

describe('known_hosts', () => {
  it('formats and parses a line', () => {
    const line = formatKnownHostsLine(['web1', '10.0.0.11'], pair.public);
    expect(line.endsWith(' test')).toBe(false);
    const e = parseKnownHostsLine(line);
    expect(e.patterns).toEqual(['web1', '10.0.0.11']);
    expect(e.keyType).toBe('ssh-ed25519');
    expect(e.key.equals(blob(pair.public))).toBe(true);
  });

  it('matches only the named host, port and exact key', () => {
    const line = formatKnownHostsLine(['web1', '10.0.0.11'], pair.public);
    expect(matches(line, '10.0.0.11', 22, blob(pair.public))).toBe(true);
    expect(matches(line, 'web1', 22, blob(pair.public))).toBe(true);
    expect(matches(line, '10.0.0.12', 22, blob(pair.public))).toBe(false);
    expect(matches(line, '10.0.0.11', 2222, blob(pair.public))).toBe(false);
    expect(matches(line, '10.0.0.11', 22, blob(other.public))).toBe(false);
  });

  it('writes non-standard ports in brackets', () => {
    expect(lookupName('h', 22)).toBe('h');
    expect(lookupName('h', 2222)).toBe('[h]:2222');
    const line = formatKnownHostsLine([lookupName('127.0.0.1', 2222)], pair.public);
    expect(matches(line, '127.0.0.1', 2222, blob(pair.public))).toBe(true);
  });

  it('rejects hashed hosts, markers, junk and type mismatches', () => {
    const b64 = pair.public.split(' ')[1] ?? '';
    expect(() => parseKnownHostsLine(`|1|abc|def ssh-ed25519 ${b64}`)).toThrow(/hashed/);
    expect(() => parseKnownHostsLine(`@cert-authority * ssh-ed25519 ${b64}`)).toThrow(/marker/);
    expect(() => parseKnownHostsLine('web1 ssh-ed25519')).toThrow(/malformed/);
    expect(() => parseKnownHostsLine(`web1 ssh-rsa ${b64}`)).toThrow(/mismatch/);
  });
});
