import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

/**
 * The ssh inventory: hosts that already exist (Vagrant VMs, a lab, cloud machines), described
 * for the test harness's ssh provider (`npm run e2e -- --provider ssh --inventory FILE`,
 * e2e/harness/providers/ssh.ts). The format is documented in vagrant/README.md; this module is
 * its one definition: the schema, a reader and a writer, pure (text in, text out).
 *
 * A node of an inventory is prepared the way the netns nodes are (e2e/harness/README.md): the
 * login user is root (or can become it), the node reaches the others as `ssh NAME` with
 * /root/.ssh/{id_ed25519,known_hosts,config}, and runs an rsync daemon whose module
 * `rsyncModule` is `dataDir`, read/write for `rsyncUser` with the password in `rsyncPasswordFile`.
 */

export const INVENTORY_VERSION = 1;
export const INVENTORY_OS = ['linux', 'freebsd'] as const;
export type InventoryOs = (typeof INVENTORY_OS)[number];

/** A node name: a hostname label, as the harness's topologies use (e2e/harness/topologies.ts). */
export const INVENTORY_NODE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

const absPath = z.string().regex(/^\//, 'expected an absolute path');
const ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'expected an IPv4 address');

export const inventoryNodeSchema = z.strictObject({
  /** Hostname; every node resolves it to `address`. */
  name: z.string().regex(INVENTORY_NODE_NAME, `expected a name matching ${INVENTORY_NODE_NAME.source}`),
  /** Decides the tools the provider uses for faults: nft and systemctl, or pf and service(8). */
  os: z.enum(INVENTORY_OS),
  /** The node's address on the cluster network: where the OTHER nodes reach it. */
  address: ipv4,
  /** Where the controller reaches the node's sshd, when not at `address` (a forwarded port). */
  sshHost: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** The controller's private key for `user` (a path on the controller). */
  identityFile: absPath,
  /** known_hosts on the controller pinning this node's host key as `sshHost`/`port` reaches it. */
  knownHostsFile: absPath.optional(),
  /** The replicated tree: the same path on every node, ideally on its own small filesystem. */
  dataDir: absPath,
  /** Where the built project is on the node (`node <projectDir>/dist/cli/main.js`). */
  projectDir: absPath.default('/opt/livemirror'),
  rsyncModule: z.string().regex(/^[A-Za-z0-9._-]+$/).default('data'),
  rsyncUser: z.string().min(1).default('livemirror'),
  rsyncPort: z.number().int().min(1).max(65535).default(873),
  /** The rsync daemon's client password file, on the node. */
  rsyncPasswordFile: absPath.default('/root/.rsync.password'),
  /** Free-form, for humans (e.g. which Vagrant box). */
  comment: z.string().optional(),
});

export const inventorySchema = z
  .strictObject({
    version: z.literal(INVENTORY_VERSION),
    nodes: z.array(inventoryNodeSchema).min(1),
  })
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    for (const [i, n] of inv.nodes.entries()) {
      if (seen.has(n.name)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node name '${n.name}'` });
      seen.add(n.name);
    }
  });

export type InventoryNode = z.output<typeof inventoryNodeSchema>;
export type Inventory = z.output<typeof inventorySchema>;
/** What a writer may leave out (the fields with defaults). */
export type InventoryInput = z.input<typeof inventorySchema>;

/** Reads an inventory (YAML, or JSON, which is YAML); throws with every problem, by path. */
export function parseInventory(text: string, source = 'inventory'): Inventory {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`${source}: not YAML: ${(e as Error).message}`);
  }
  const r = inventorySchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Error(`${source}: not a livemirror inventory:\n${problems.join('\n')}`);
  }
  return r.data;
}

/** Writes an inventory as YAML, after the header comment lines (without `# `). */
export function formatInventory(inv: InventoryInput, header: readonly string[] = []): string {
  const checked = inventorySchema.parse(inv);
  const head = header.map((l) => `# ${l}`.trimEnd()).join('\n');
  return (head ? head + '\n' : '') + stringifyYaml(checked, { lineWidth: 0 });
}
