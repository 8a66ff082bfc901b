import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { formatKnownHostsLine, hostKeyMatches, hostPattern, parseKnownHostsLine } from './known-hosts.js';

const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'test' });
const other = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'other' });
const blob = (pub: string): Buffer => Buffer.from(pub.split(' ')[1] ?? '', 'base64');

describe('known_hosts', () => {
  it('formats and parses a line', () => {
    const line = formatKnownHostsLine(['web1', '10.0.0.11'], pair.public);
    expect(line.endsWith(' test')).toBe(false);
    const e = parseKnownHostsLine(line);
    expect(e.hosts).toEqual(['web1', '10.0.0.11']);
    expect(e.keyType).toBe('ssh-ed25519');
    expect(e.key.equals(blob(pair.public))).toBe(true);
  });

  it('matches only the named host, port and exact key', () => {
    const e = parseKnownHostsLine(formatKnownHostsLine(['web1', '10.0.0.11'], pair.public));
    expect(hostKeyMatches(e, '10.0.0.11', 22, blob(pair.public))).toBe(true);
    expect(hostKeyMatches(e, 'web1', 22, blob(pair.public))).toBe(true);
    expect(hostKeyMatches(e, '10.0.0.12', 22, blob(pair.public))).toBe(false);
    expect(hostKeyMatches(e, '10.0.0.11', 2222, blob(pair.public))).toBe(false);
    expect(hostKeyMatches(e, '10.0.0.11', 22, blob(other.public))).toBe(false);
  });

  it('writes non-standard ports in brackets', () => {
    expect(hostPattern('h', 22)).toBe('h');
    expect(hostPattern('h', 2222)).toBe('[h]:2222');
    const e = parseKnownHostsLine(formatKnownHostsLine([hostPattern('127.0.0.1', 2222)], pair.public));
    expect(hostKeyMatches(e, '127.0.0.1', 2222, blob(pair.public))).toBe(true);
  });

  it('rejects hashed hosts, markers, junk and type mismatches', () => {
    const b64 = pair.public.split(' ')[1] ?? '';
    expect(() => parseKnownHostsLine(`|1|abc|def ssh-ed25519 ${b64}`)).toThrow(/hashed/);
    expect(() => parseKnownHostsLine(`@cert-authority * ssh-ed25519 ${b64}`)).toThrow(/marker/);
    expect(() => parseKnownHostsLine('web1 ssh-ed25519')).toThrow(/malformed/);
    expect(() => parseKnownHostsLine(`web1 ssh-rsa ${b64}`)).toThrow(/mismatch/);
  });
});
