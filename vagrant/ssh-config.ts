/**
 * Reads what `vagrant ssh-config` prints (an OpenSSH client config: one `Host NAME` block per
 * machine) into the fields an inventory needs. Pure. Only what Vagrant writes is understood: one
 * name per Host line, `Key value` or `Key "value with spaces"`; keys are case-insensitive.
 */

export interface VagrantSshHost {
  readonly name: string;
  readonly hostName: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: readonly string[];
  /** Set when Vagrant reaches the machine through a jump (libvirt on a remote host). */
  readonly proxyCommand?: string;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

export function parseVagrantSshConfig(text: string): VagrantSshHost[] {
  const blocks: Array<{ name: string; fields: Map<string, string[]> }> = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`ssh-config line ${i + 1}: expected 'Key value', got '${line}'`);
    const key = (m[1] ?? '').toLowerCase();
    const value = unquote(m[2] ?? '');
    if (key === 'host') {
      if (/\s|[*?!]/.test(value)) throw new Error(`ssh-config line ${i + 1}: one plain host name expected, got '${value}'`);
      blocks.push({ name: value, fields: new Map() });
      continue;
    }
    const block = blocks.at(-1);
    if (!block) throw new Error(`ssh-config line ${i + 1}: '${m[1]}' before any Host line`);
    block.fields.set(key, [...(block.fields.get(key) ?? []), value]);
  }
  return blocks.map(({ name, fields }) => {
    const one = (key: string): string | undefined => fields.get(key)?.[0];
    const hostName = one('hostname');
    const user = one('user');
    const port = Number(one('port') ?? '22');
    if (!hostName) throw new Error(`ssh-config: Host ${name} has no HostName`);
    if (!user) throw new Error(`ssh-config: Host ${name} has no User`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ssh-config: Host ${name}: bad Port '${one('port')}'`);
    const proxyCommand = one('proxycommand');
    return { name, hostName, port, user, identityFiles: fields.get('identityfile') ?? [], ...(proxyCommand ? { proxyCommand } : {}) };
  });
}
