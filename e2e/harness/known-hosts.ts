/**
 * known_hosts lines: the harness writes them and verifies every host key it is shown against
 * them (never "accept any key").
 */

export interface KnownHostsEntry {
  /** Host patterns as written: `name`, `10.0.0.1`, `[name]:2222`. No wildcards, no hashes. */
  readonly hosts: readonly string[];
  readonly keyType: string;
  /** The raw public key blob (the base64 field decoded). */
  readonly key: Buffer;
}

/** `host` as known_hosts writes it for `port` (bare for 22, `[host]:port` otherwise). */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** One line: `hosts type base64 [comment]`. Throws on markers (@cert-authority), hashes or junk. */
export function parseKnownHostsLine(line: string): KnownHostsEntry {
  const fields = line.trim().split(/\s+/);
  const [hosts, keyType, b64] = fields;
  if (hosts === undefined || keyType === undefined || b64 === undefined) {
    throw new Error(`malformed known_hosts line: ${JSON.stringify(line)}`);
  }
  if (hosts.startsWith('@') || hosts.startsWith('|')) {
    throw new Error(`unsupported known_hosts entry (marker or hashed host): ${JSON.stringify(line)}`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error(`bad key in known_hosts line: ${JSON.stringify(line)}`);
  const key = Buffer.from(b64, 'base64');
  // The blob starts with its own type name (uint32 length + bytes); it must agree with the field.
  const typeLen = key.length >= 4 ? key.readUInt32BE(0) : -1;
  if (typeLen < 0 || key.subarray(4, 4 + typeLen).toString() !== keyType) {
    throw new Error(`key type mismatch in known_hosts line: ${JSON.stringify(line)}`);
  }
  return { hosts: hosts.split(','), keyType, key };
}

/** `hosts type key` from an OpenSSH public key line (`type base64 [comment]`). */
export function formatKnownHostsLine(hosts: readonly string[], publicKeyLine: string): string {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  if (type === undefined || b64 === undefined) throw new Error(`malformed public key: ${publicKeyLine}`);
  return `${hosts.join(',')} ${type} ${b64}`;
}

/** True when `entry` names `host`:`port` and its key is exactly `presented`. */
export function hostKeyMatches(entry: KnownHostsEntry, host: string, port: number, presented: Buffer): boolean {
  return entry.hosts.includes(hostPattern(host, port)) && entry.key.equals(presented);
}
