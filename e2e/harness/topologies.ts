import type { Topology } from './cluster.js';

/** The deployments the scenarios reproduce (DESIGN.md), by name. */
export const topologies: Readonly<Record<string, Topology>> = {
  'master-slave': {
    name: 'master-slave',
    nodes: [
      { name: 'web1', role: 'master' },
      { name: 'web2', role: 'replica' },
    ],
  },
  'farm-1to4': {
    name: 'farm-1to4',
    nodes: [
      { name: 'ftp1', role: 'master' },
      { name: 'web1', role: 'replica' },
      { name: 'web2', role: 'replica' },
      { name: 'web3', role: 'replica' },
      { name: 'web4', role: 'replica' },
    ],
  },
  'mesh-4way': {
    name: 'mesh-4way',
    nodes: ['n1', 'n2', 'n3', 'n4'].map((name) => ({ name, role: 'peer' })),
  },
  'large-dir': {
    name: 'large-dir',
    dataSizeMiB: 1024,
    nodes: [
      { name: 'src1', role: 'master' },
      { name: 'dst1', role: 'replica' },
    ],
  },
  faults: {
    name: 'faults',
    dataSizeMiB: 64,
    nodes: [
      { name: 'src1', role: 'master' },
      { name: 'dst1', role: 'replica' },
      { name: 'dst2', role: 'replica' },
    ],
  },
};

/** The named topology, or a thrown error listing the known names. */
export function topologyByName(name: string): Topology {
  const t = topologies[name];
  if (!t) throw new Error(`unknown topology '${name}' (known: ${Object.keys(topologies).join(', ')})`);
  return t;
}

/** An ad-hoc topology of nodes n1..nN (self-tests, benchmarks). */
export function numberedTopology(name: string, count: number, dataSizeMiB?: number): Topology {
  const nodes = Array.from({ length: count }, (_, i) => ({ name: `n${i + 1}` }));
  return dataSizeMiB === undefined ? { name, nodes } : { name, nodes, dataSizeMiB };
}

const NODE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** Throws unless node names are valid hostnames and unique. */
export function validateTopology(t: Topology): void {
  if (t.nodes.length === 0) throw new Error(`topology '${t.name}' has no nodes`);
  if (t.nodes.length > 200) throw new Error(`topology '${t.name}' has more than 200 nodes`);
  const seen = new Set<string>();
  for (const n of t.nodes) {
    if (!NODE_NAME.test(n.name)) throw new Error(`invalid node name '${n.name}' (want ${NODE_NAME.source})`);
    if (seen.has(n.name)) throw new Error(`duplicate node name '${n.name}'`);
    seen.add(n.name);
  }
  const size = t.dataSizeMiB ?? 256;
  if (!Number.isInteger(size) || size < 1 || size > 16384) throw new Error(`invalid dataSizeMiB ${size}`);
}
