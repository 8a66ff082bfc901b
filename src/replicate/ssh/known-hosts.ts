import { createHmac } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHost {
  marker?: 'revoked' | 'cert-authority';
  /** The comma-separated host patterns, as written (plain, `[host]:port`, `|1|salt|hash`, wildcards, `!neg`). */
  patterns: string[];
  keyType: string;
  /** The public key blob (ssh wire format), base64-decoded. */
  key: Buffer;
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked';

/** Parses known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Pure; bad lines are skipped. */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHost['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() === '@revoked' ? 'revoked' : 'cert-authority';
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    const entry: KnownHost = { patterns: hosts.split(','), keyType, key: Buffer.from(b64, 'base64') };
    if (marker) entry.marker = marker;
    out.push(entry);
  }
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** True when the line's patterns select `name` (a negated pattern that matches vetoes the line). */
export function patternsMatch(patterns: readonly string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    const neg = p.startsWith('!');
    const pat = neg ? p.slice(1) : p;
    if (!matchOne(pat, name)) continue;
    if (neg) return false;
    hit = true;
  }
  return hit;
}

function matchOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/**
 * Verifies the key a server presented, like OpenSSH with StrictHostKeyChecking=yes: accepted
 * only on `match` (a non-marker line for this host holds exactly this key). A revoked key is
 * for this host is refused even if listed; `@cert-authority` lines are not supported (treated as absent).
 */
export function verifyHostKey(entries: readonly KnownHost[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = lookupName(host, port);
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key) && patternsMatch(e.patterns, name))) return 'revoked';
  const lines = entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, name));
  if (lines.some((e) => e.key.equals(key))) return 'match';
  return lines.length > 0 ? 'mismatch' : 'unknown';
}

/** The host key algorithms to offer, in the order of the key types known for the host (as OpenSSH). */
export function hostKeyAlgorithms(entries: readonly KnownHost[], host: string, port: number): string[] {
  const name = lookupName(host, port);
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== undefined || !patternsMatch(e.patterns, name)) continue;
    for (const alg of ALGORITHMS_FOR_KEY[e.keyType] ?? []) if (!out.includes(alg)) out.push(alg);
  }
  return out;
}

const ALGORITHMS_FOR_KEY: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
