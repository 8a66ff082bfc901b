/**
 * The ssh inventory of the qemu-tcg VMs (vagrant/qemu-tcg.sh inventory). The same inventory as
 * vagrant/inventory.ts makes for a VirtualBox cluster (makeInventory: nodes.tsv, the cluster key,
 * the pinned host keys), with the endpoints qemu-tcg.sh forwards instead of `vagrant ssh-config`:
 * node i (nodes.tsv order) at 127.0.0.1:(port base + i).
 *
 *   npx tsx vagrant/qemu-inventory.ts --secrets DIR --port-base N [-o FILE|-]
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatInventory } from './inventory-format.js';
import { makeInventory, parseNodesTsv } from './make-inventory.js';

async function main(argv: readonly string[]): Promise<void> {
  let secretsDir: string | undefined;
  let portBase: number | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--secrets') secretsDir = path.resolve(v);
    else if (a === '--port-base') portBase = Number.parseInt(v, 10);
    else if (a === '-o' || a === '--out') out = v;
    else throw new Error(`unknown argument '${a}'`);
  }
  if (!secretsDir || portBase === undefined || !Number.isInteger(portBase)) throw new Error('usage: --secrets DIR --port-base N [-o FILE]');
  const secret = (f: string): string => path.join(secretsDir, f);
  const nodes = parseNodesTsv(await readFile(secret('nodes.tsv'), 'utf8'));
  const hostKeys = new Map<string, string>();
  for (const n of nodes) hostKeys.set(n.name, (await readFile(secret(`hosts/${n.name}/ssh_host_ed25519_key.pub`), 'utf8')).trim());
  const knownHostsFile = secret('known_hosts.controller');
  const made = makeInventory({
    nodes,
    sshHosts: nodes.map((n, i) => ({ name: n.name, hostName: '127.0.0.1', port: portBase + i, user: 'root', identityFiles: [] })),
    identityFile: secret('id_ed25519'),
    knownHostsFile,
    hostKeys,
  });
  const inventory = { ...made.inventory, nodes: made.inventory.nodes.map((n) => ({ ...n, comment: 'qemu-tcg debian node (vagrant/qemu-tcg.sh)' })) };
  const text = formatInventory(inventory, [
    'livemirror ssh inventory (format: vagrant/README.md), made by vagrant/qemu-inventory.ts',
    'for the VMs of vagrant/qemu-tcg.sh. Paths are on this machine.',
  ]);
  await writeFile(knownHostsFile, made.knownHosts, { mode: 0o600 });
  if (out === undefined || out === '-') process.stdout.write(text);
  else {
    await writeFile(out, text, { mode: 0o600 });
    process.stderr.write(`inventory: ${inventory.nodes.length} node(s) → ${out}\n`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`qemu-inventory: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
