/**
 * Bring a test cluster up by hand and poke at it (NEEDS ROOT; E2E_PROVIDER picks the provider,
 * default netns: network namespaces; E2E_INVENTORY the ssh provider's hosts).
 *
 *   npx tsx e2e/cluster-cli.ts up <topology>   leaves the cluster running
 *   npx tsx e2e/cluster-cli.ts status          lists its nodes (and how to ssh to them)
 *   npx tsx e2e/cluster-cli.ts sh <node>       interactive root shell on a node
 *   npx tsx e2e/cluster-cli.ts down            removes it (and any leftovers of a crashed run)
 *
 * Topologies: master-slave, farm-1to4, mesh-4way, large-dir, faults.
 */
import { execa } from 'execa';
import type { Cluster } from './harness/cluster.js';
import { providerFromEnv } from './harness/providers/index.js';
import { topologies, topologyByName } from './harness/topologies.js';

const USAGE = `usage: npx tsx e2e/cluster-cli.ts <command>
  up <topology>   bring a cluster up and leave it running (topologies: ${Object.keys(topologies).join(', ')})
  status          list the running cluster's nodes
  sh <node>       open an interactive root shell on a node
  down            remove the cluster (and leftovers of a crashed run)`;

function describe(cluster: Cluster): string {
  const lines = [`cluster '${cluster.topology.name}': ${cluster.nodes.length} node(s)`];
  for (const n of cluster.nodes) {
    lines.push(`  ${n.name.padEnd(6)} ${n.address.padEnd(12)} ${(n.role ?? '').padEnd(8)} data ${n.dataDir}`);
  }
  const first = cluster.nodes[0];
  if (first) {
    lines.push(
      '',
      'from this machine:',
      `  ssh -i ${first.ssh.privateKeyPath} -o UserKnownHostsFile=${first.ssh.knownHostsPath} -o StrictHostKeyChecking=yes ` +
        `${first.ssh.port === 22 ? '' : `-p ${first.ssh.port} `}${first.ssh.user}@${first.ssh.host}`,
      `  npx tsx e2e/cluster-cli.ts sh ${first.name}`,
      'between nodes (on any node): ssh <node>, rsync -a DIR/ <node>:DIR/,',
      `  rsync -a --password-file=${first.peer.rsyncPasswordFile} DIR/ rsync://${first.peer.rsyncUser}@<node>/${first.peer.rsyncModule}/`,
    );
  }
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, arg] = argv;
  const provider = await providerFromEnv();
  const log = (line: string): void => console.log(line);
  switch (cmd) {
    case 'up': {
      if (!arg) throw new Error(`up needs a topology\n${USAGE}`);
      const cluster = await provider.up(topologyByName(arg), { log });
      console.log(`${describe(cluster)}\n\nleft running; remove with: npx tsx e2e/cluster-cli.ts down`);
      return 0;
    }
    case 'down':
      await provider.cleanup({ log });
      console.log('no cluster left');
      return 0;
    case 'status': {
      const cluster = await provider.attach();
      console.log(cluster ? describe(cluster) : 'no cluster running');
      return cluster ? 0 : 1;
    }
    case 'sh': {
      if (!arg) throw new Error(`sh needs a node name\n${USAGE}`);
      const cluster = await provider.attach();
      if (!cluster) throw new Error('no cluster running (npx tsx e2e/cluster-cli.ts up <topology>)');
      const [bin, ...args] = cluster.shellArgv(arg);
      const r = await execa(bin as string, args, { stdio: 'inherit', reject: false });
      return r.exitCode ?? 1;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new Error(`unknown command '${cmd}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
