import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithms, lookupName, parseKnownHosts, patternsMatch, verifyHostKey } from './known-hosts.js';

// Two real ed25519 public keys; the hashed line was written by `ssh-keygen -H` for [127.0.0.1]:2222.
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIJcT3gORJV+7dv0L3oWNjWX021nCjrmfcQWRFDPgko6h';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAILLnX/z/JIdbZ06nzqA+UiEJYezLPaXwjGM1SghBoqi9';
const key1 = Buffer.from(K1, 'base64');
const key2 = Buffer.from(K2, 'base64');
const HASHED = `|1|2N49IZG4YQqG9NHI08UGbepkC/M=|HUROswvl5aYG3jVAf5GKFhkenwU= ssh-ed25519 ${K1}`;

describe('parseKnownHosts', () => {
  it('reads plain, hashed, marked lines and skips comments and junk', () => {
    const entries = parseKnownHosts(
      [`# comment`, '', `web1,10.0.0.1 ssh-ed25519 ${K1} root@web1`, HASHED, `@revoked * ssh-ed25519 ${K2}`, 'garbage', `h ssh-rsa not*base64`].join('\n'),
    );
    expect(entries.map((e) => [e.marker, e.patterns, e.keyType])).toEqual([
      [undefined, ['web1', '10.0.0.1'], 'ssh-ed25519'],
      [undefined, ['|1|2N49IZG4YQqG9NHI08UGbepkC/M=|HUROswvl5aYG3jVAf5GKFhkenwU='], 'ssh-ed25519'],
      ['revoked', ['*'], 'ssh-ed25519'],
    ]);
    expect(entries[0]!.key.equals(key1)).toBe(true);
  });
});

describe('lookupName', () => {
  it.each([
    ['web1', 22, 'web1'],
    ['web1', 2222, '[web1]:2222'],
    ['::1', 2222, '[::1]:2222'],
  ])('%s:%i → %s', (h, p, want) => expect(lookupName(h, p)).toBe(want));
});

describe('patternsMatch', () => {
  it.each([
    [['web1'], 'web1', true],
    [['WEB1'], 'web1', true],
    [['web2'], 'web1', false],
    [['*.example.com'], 'a.example.com', true],
    [['web?'], 'web7', true],
    [['web?'], 'web10', false],
    [['*.example.com', '!bad.example.com'], 'bad.example.com', false],
    [['[web1]:2222'], '[web1]:2222', true],
    [['web1'], '[web1]:2222', false],
    [['a.b'], 'aXb', false],
    [['|1|2N49IZG4YQqG9NHI08UGbepkC/M=|HUROswvl5aYG3jVAf5GKFhkenwU='], '[127.0.0.1]:2222', true],
    [['|1|2N49IZG4YQqG9NHI08UGbepkC/M=|HUROswvl5aYG3jVAf5GKFhkenwU='], '127.0.0.1', false],
  ])('%j vs %s → %s', (pats, name, want) => expect(patternsMatch(pats, name)).toBe(want));
});

describe('verifyHostKey', () => {
  const entries = parseKnownHosts([`web1 ssh-ed25519 ${K1}`, HASHED, `old ssh-ed25519 ${K2}`, `@revoked old ssh-ed25519 ${K2}`].join('\n'));
  it.each([
    ['plain match', 'web1', 22, key1, 'match'],
    ['plain, other key', 'web1', 22, key2, 'mismatch'],
    ['plain entry does not cover another port', 'web1', 2222, key1, 'unknown'],
    ['hashed match', '127.0.0.1', 2222, key1, 'match'],
    ['hashed, other key', '127.0.0.1', 2222, key2, 'mismatch'],
    ['unknown host', 'web9', 22, key1, 'unknown'],
    ['revoked wins over a listed key', 'old', 22, key2, 'revoked'],
  ] as const)('%s', (_n, host, port, key, want) => expect(verifyHostKey(entries, host, port, key)).toBe(want));
});

describe('hostKeyAlgorithms', () => {
  it('offers the algorithms of the known key types, in file order', () => {
    const entries = parseKnownHosts([`web1 ssh-rsa ${K1}`, `web1 ssh-ed25519 ${K1}`, `web2 ecdsa-sha2-nistp256 ${K1}`].join('\n'));
    expect(hostKeyAlgorithms(entries, 'web1', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(hostKeyAlgorithms(entries, 'web3', 22)).toEqual([]);
  });
});
