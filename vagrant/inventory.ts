/**
 * The Vagrant cluster as an ssh inventory for the test harness (format: vagrant/README.md).
 *
 *   npx tsx vagrant/inventory.ts                      asks `vagrant ssh-config`, writes
 *                                                     vagrant/.secrets/inventory.yaml and
 *                                                     vagrant/.secrets/known_hosts.controller
 *   npx tsx vagrant/inventory.ts -o FILE              the inventory to FILE ('-' = stdout)
 *   npx tsx vagrant/inventory.ts --ssh-config FILE    reads saved `vagrant ssh-config` output
 *                                                     ('-' = stdin) instead of running Vagrant
 *   --partial                                         leaves out machines that are not up
 *   --secrets DIR                                     another secrets directory (tests)
 *
 * TypeScript rather than shell: the format has one definition (inventory-format.ts, with the
 * schema the ssh provider can read it with), YAML is written by a library, and the tests are
 * vitest tests like the rest of the harness's.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatInventory } from './inventory-format.js';
import { makeInventory, parseNodesTsv } from './make-inventory.js';
import { parseVagrantSshConfig } from './ssh-config.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface CliOptions {
  secretsDir: string;
  out: string | undefined;
  sshConfig: string | undefined;
  partial: boolean;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { secretsDir: path.join(HERE, '.secrets'), out: undefined, sshConfig: undefined, partial: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-o' || a === '--out') o.out = value();
    else if (a === '--ssh-config') o.sshConfig = value();
    else if (a === '--secrets') o.secretsDir = path.resolve(value());
    else if (a === '--partial') o.partial = true;
    else throw new Error(`unknown argument '${a}' (see the comment at the top of vagrant/inventory.ts)`);
  }
  return o;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `vagrant ssh-config NAME...` in the repository, for the machines of the last `vagrant up`. */
async function askVagrant(names: readonly string[], selector: string): Promise<string> {
  const [key, value] = selector.split('=', 2);
  const env: NodeJS.ProcessEnv = { ...process.env, LM_SHAPE: '', LM_NODES: '' };
  if ((key === 'LM_SHAPE' || key === 'LM_NODES') && value) env[key] = value;
  try {
    const { stdout } = await promisify(execFile)('vagrant', ['ssh-config', ...names], {
      cwd: path.dirname(HERE),
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    return stdout;
  } catch (e) {
    // Machines that are not up make Vagrant fail; what it printed for the others still counts.
    const err = e as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof err.stdout === 'string' && err.stdout.includes('Host ')) return err.stdout;
    throw new Error(`vagrant ssh-config failed (${String(err.code)}): ${err.stderr ?? String(e)}`);
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const o = parseArgs(argv);
  const secret = (f: string): string => path.join(o.secretsDir, f);
  const nodes = parseNodesTsv(await readFile(secret('nodes.tsv'), 'utf8').catch(() => {
    throw new Error(`${secret('nodes.tsv')} is missing: 'vagrant up' makes it (vagrant/secrets.sh)`);
  }));
  const sshText =
    o.sshConfig === '-'
      ? await readStdin()
      : o.sshConfig !== undefined
        ? await readFile(o.sshConfig, 'utf8')
        : await askVagrant(nodes.map((n) => n.name), (await readFile(secret('selector'), 'utf8')).trim());
  const hostKeys = new Map<string, string>();
  for (const n of nodes) hostKeys.set(n.name, (await readFile(secret(`hosts/${n.name}/ssh_host_ed25519_key.pub`), 'utf8')).trim());

  const knownHostsFile = secret('known_hosts.controller');
  const made = makeInventory({
    nodes,
    sshHosts: parseVagrantSshConfig(sshText),
    identityFile: secret('id_ed25519'),
    knownHostsFile,
    hostKeys,
    partial: o.partial,
  });
  const text = formatInventory(made.inventory, [
    'livemirror ssh inventory (format: vagrant/README.md), made by vagrant/inventory.ts',
    'from `vagrant ssh-config` and vagrant/.secrets/. Paths are on this machine.',
  ]);
  await writeFile(knownHostsFile, made.knownHosts, { mode: 0o600 });
  if (made.missing.length > 0) process.stderr.write(`inventory: left out (not up): ${made.missing.join(', ')}\n`);
  if (o.out === '-') {
    process.stdout.write(text);
    return;
  }
  const out = o.out ?? secret('inventory.yaml');
  await writeFile(out, text, { mode: 0o600 });
  process.stderr.write(`inventory: ${made.inventory.nodes.length} node(s) → ${out}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`inventory: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
