/**
 * The provider interface: what a scenario may know about a cluster and do to it.
 *
 * Everything above this file (node.ts, tree.ts, churn.ts, scenarios) sees nodes only as hosts
 * with an address, an ssh endpoint and a data directory; how they are made (network
 * namespaces, containers, VMs) stays inside `providers/`.
 */

/** The shape of a cluster to bring up. */
export interface Topology {
  /** A name for logs and the state file (e.g. 'master-slave'). */
  readonly name: string;
  /** Host names, unique, `[a-z][a-z0-9-]*` (they become hostnames and resolve on every node). */
  readonly nodes: readonly NodeSpec[];
  /** Size of each node's data filesystem in MiB (the thing `fillDisk` fills). Default 256. */
  readonly dataSizeMiB?: number;
}

export interface NodeSpec {
  readonly name: string;
  /** Free-form role for scenarios and logs ('master', 'replica', 'ftp', ...). */
  readonly role?: string;
}

/** How the harness (the controller) reaches a node's sshd. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The controller's private key (OpenSSH format text). */
  readonly privateKey: string;
  /** The same key as a file on the controller, for a manual `ssh -i`. */
  readonly privateKeyPath: string;
  /** This node's host key as a known_hosts line: `host[,alias...] type base64`. */
  readonly knownHostsLine: string;
  /** A known_hosts file on the controller listing every node of the cluster. */
  readonly knownHostsPath: string;
}

/**
 * What a node needs to reach the other nodes, as paths valid ON that node. Every node trusts
 * every other node's client key and knows every node's host key; every node runs an rsync
 * daemon with the same module, user and password.
 */
export interface PeerAccess {
  /** Login user for ssh between nodes. */
  readonly sshUser: string;
  /** This node's ssh client key (private; `.pub` beside it). */
  readonly identityFile: string;
  /** known_hosts listing every node by name and address. */
  readonly knownHostsFile: string;
  /** An ssh_config that makes a plain `ssh NAME` / `rsync -e ssh` work with the two above. */
  readonly sshConfigFile: string;
  /** rsync daemon: user, module (→ the data dir, read/write), port and the client password file. */
  readonly rsyncUser: string;
  readonly rsyncModule: string;
  readonly rsyncPort: number;
  readonly rsyncPasswordFile: string;
}

export interface NodeInfo {
  /** Hostname; resolves to `address` on every node. */
  readonly name: string;
  readonly role: string | undefined;
  /** IPv4 address on the cluster network. */
  readonly address: string;
  readonly ssh: SshEndpoint;
  /** The replicated tree: the same path on every node, on its own small filesystem. */
  readonly dataDir: string;
  /** Where this repository is visible on the node (for `node <projectDir>/dist/cli/main.js`). */
  readonly projectDir: string;
  readonly peer: PeerAccess;
}

/** Signals the harness sends to processes on a node. */
export type ProcessSignal = 'TERM' | 'KILL' | 'INT' | 'HUP' | 'STOP' | 'CONT' | 'USR1' | 'USR2';

export interface RateLimit {
  /** Link rate in kbit/s, applied in both directions of the node's link. */
  readonly kbit: number;
  /** Longest a packet may wait in the shaper before it is dropped (ms). Default 200. */
  readonly latencyMs?: number;
}

export interface DiskFill {
  /** Bytes still free on the node's data filesystem after the fill (0 when full). */
  readonly freeBytes: number;
  /** Bytes the fill occupies. */
  readonly filledBytes: number;
}

/**
 * A running cluster.
 *
 * Contract: `nodes` is fixed for the cluster's life. Fault operations act out of band (like a
 * console or the switch, never through the node's own network), so they work while the node is
 * off the network; each resolves once the fault is in force, is idempotent, and may run
 * concurrently with operations on other nodes (not with another fault op on the same node).
 * They throw for an unknown node name. `down()` is idempotent, does not throw for resources
 * already gone, and leaves nothing behind on the machine.
 */
export interface Cluster {
  readonly topology: Topology;
  readonly nodes: readonly NodeInfo[];
  node(name: string): NodeInfo;
  down(): Promise<void>;

  /** Send a signal to a process on a node (`pid` as seen on that node). */
  signal(node: string, pid: number, signal: ProcessSignal): Promise<void>;
  /** Take the node off the network (host down: nobody reaches it, it reaches nobody). */
  disconnect(node: string): Promise<void>;
  reconnect(node: string): Promise<void>;
  /** Drop all traffic between two nodes (both directions); others are unaffected. */
  partition(a: string, b: string): Promise<void>;
  heal(a: string, b: string): Promise<void>;
  /** Shape the node's link (tbf) in both directions. */
  limitRate(node: string, limit: RateLimit): Promise<void>;
  clearRateLimit(node: string): Promise<void>;
  /** Fill the filesystem holding the node's data dir (outside the data dir) until writes fail. */
  fillDisk(node: string): Promise<DiskFill>;
  freeDisk(node: string): Promise<void>;

  /** argv that opens an interactive root shell on the node (for the cluster CLI). */
  shellArgv(node: string): string[];

  /** Copies the nodes' service logs (sshd, rsyncd) into `dir`/<node>/; resolves the files written. */
  saveServiceLogs(dir: string): Promise<string[]>;
}

export interface UpOptions {
  /** Progress lines (timings, what is being cleaned up). Default: silent. */
  readonly log?: (line: string) => void;
}

/**
 * Makes clusters. Contract: one cluster per provider instance and machine at a time; `up()`
 * first removes whatever an earlier (possibly crashed) run left behind, then resolves once every
 * node's sshd and rsync daemon accept connections; on failure it removes what it made and
 * rejects. `attach()` returns the running cluster recorded by an earlier `up()` (possibly in
 * another process), or undefined. `cleanup()` removes a recorded or half-made cluster and is
 * safe to call when there is none.
 */
export interface ClusterProvider {
  readonly name: string;
  up(topology: Topology, options?: UpOptions): Promise<Cluster>;
  attach(): Promise<Cluster | undefined>;
  cleanup(options?: UpOptions): Promise<void>;
}

/** The node named `name`, or a thrown error that lists the known names. */
export function findNode(nodes: readonly NodeInfo[], name: string): NodeInfo {
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node '${name}' (nodes: ${nodes.map((n) => n.name).join(', ')})`);
  return node;
}
