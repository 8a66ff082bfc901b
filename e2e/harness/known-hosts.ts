/**
 * known_hosts lines as the harness writes them. Parsing, matching and verifying are the daemon's
 * own (src/replicate/ssh/known-hosts.ts): the harness pins every node's host key with the same
 * code that livemirror trusts. What is here is what the daemon never needs: writing a line, and
 * refusing a line the harness did not write (a marker, a hashed host, a key of another type).
 */
import { parseKnownHosts, type KnownHost } from '../../src/replicate/ssh/known-hosts.js';

/** `hosts type key` from an OpenSSH public key line (`type base64 [comment]`). */
export function formatKnownHostsLine(hosts: readonly string[], publicKeyLine: string): string {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  if (type === undefined || b64 === undefined) throw new Error(`malformed public key: ${publicKeyLine}`);
  return `${hosts.join(',')} ${type} ${b64}`;
}

/**
 * One line as formatKnownHostsLine writes it, parsed by the daemon's parser; throws for anything
 * else: junk, a marker (@cert-authority, @revoked), a hashed host, or a key blob whose own type
 * name differs from the type field.
 */
export function parseKnownHostsLine(line: string): KnownHost {
  const trimmed = line.trim();
  if (/^[@|]/.test(trimmed)) throw new Error(`unsupported known_hosts entry (marker or hashed host): ${JSON.stringify(line)}`);
  const entries = parseKnownHosts(trimmed);
  const entry = entries[0];
  if (entries.length !== 1 || entry === undefined || trimmed.includes('\n')) throw new Error(`malformed known_hosts line: ${JSON.stringify(line)}`);
  // The blob starts with its own type name (uint32 length + bytes); it must agree with the field.
  const typeLen = entry.key.length >= 4 ? entry.key.readUInt32BE(0) : -1;
  if (typeLen < 0 || entry.key.subarray(4, 4 + typeLen).toString() !== entry.keyType) {
    throw new Error(`key type mismatch in known_hosts line: ${JSON.stringify(line)}`);
  }
  return entry;
}
