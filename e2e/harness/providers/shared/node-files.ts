import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import { formatKnownHostsLine } from '../../known-hosts.js';
import { NODE_DATA_DIR, NODE_RUN_DIR, RSYNC_MODULE, RSYNC_PORT, RSYNC_USER } from './layout.js';

/**
 * The files that make a node a host, whatever provider made it: its sshd (own host key,
 * key-only login), its rsync daemon (module `data`, password auth), its client credentials for
 * the other nodes, /etc/hosts. Rendering is pure; `writeFiles` writes them. The node sees its
 * directory of them as NODE_RUN_DIR (home/ as NODE_HOME).
 */

/** The cluster network as the node files name it. */
export interface NetPlan {
  /** The nodes' network, e.g. `10.213.7.0/24` (the rsync daemon admits it and 127.0.0.1). */
  readonly subnet: string;
  /** The controller's address on that network (listed in /etc/hosts as `harness`). */
  readonly harnessAddress: string;
}

export interface KeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export interface ClusterSecrets {
  /** The controller's client key. */
  readonly harness: KeyPair;
  readonly hostKeys: ReadonlyMap<string, KeyPair>;
  /** Each node's client key for reaching the others. */
  readonly clientKeys: ReadonlyMap<string, KeyPair>;
  readonly rsyncPassword: string;
}

export interface NodeAddr {
  readonly name: string;
  readonly address: string;
}

export interface FileSpec {
  /** Relative to the directory it is written under. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/**
 * An ed25519 key pair in OpenSSH format. ssh2 (1.17) serializes a public key whose first byte
 * is 0 as a 31-byte number (1 key in 256), which OpenSSH rejects ("error in libcrypto"): such
 * keys are drawn again.
 */
function keyPair(comment: string): KeyPair {
  for (let i = 0; i < 32; i++) {
    const k = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const blob = Buffer.from(k.public.split(' ')[1] ?? '', 'base64');
    // string "ssh-ed25519" (4 + 11) + string key (4 + 32)
    if (blob.length === 51 && blob.readUInt32BE(15) === 32) return { privateKey: k.private, publicKey: k.public };
  }
  throw new Error('could not generate a well-formed ed25519 key in 32 tries');
}

export function makeSecrets(names: readonly string[]): ClusterSecrets {
  return {
    harness: keyPair('livemirror-e2e-harness'),
    hostKeys: new Map(names.map((n) => [n, keyPair(`host ${n}`)])),
    clientKeys: new Map(names.map((n) => [n, keyPair(`root@${n}`)])),
    rsyncPassword: randomBytes(18).toString('hex'),
  };
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
}

/** One known_hosts line per node, naming it by hostname and address. */
export function knownHostsLines(nodes: readonly NodeAddr[], secrets: ClusterSecrets): Map<string, string> {
  return new Map(
    nodes.map((n) => [n.name, formatKnownHostsLine([n.name, n.address], must(secrets.hostKeys.get(n.name), `host key of ${n.name}`).publicKey)]),
  );
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

function sshdConfig(): string {
  return lines(
    '# livemirror e2e node sshd: key-only root login, sftp, no PAM/DNS (fast logins).',
    'Port 22',
    'AddressFamily inet',
    'ListenAddress 0.0.0.0',
    `HostKey ${NODE_RUN_DIR}/ssh_host_ed25519_key`,
    `PidFile ${NODE_RUN_DIR}/sshd.pid`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthenticationMethods publickey',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxSessions 64',
    'MaxStartups 64:30:256',
    'LogLevel INFO',
    'Subsystem sftp internal-sftp',
  );
}

function rsyncdConfig(net: NetPlan): string {
  return lines(
    '# livemirror e2e node rsync daemon: one read/write module over the data dir.',
    `pid file = ${NODE_RUN_DIR}/rsyncd.pid`,
    `log file = ${NODE_RUN_DIR}/rsyncd.log`,
    `port = ${RSYNC_PORT}`,
    'use chroot = yes',
    'uid = root',
    'gid = root',
    'numeric ids = yes',
    'reverse lookup = no',
    'max connections = 0',
    '',
    `[${RSYNC_MODULE}]`,
    `  path = ${NODE_DATA_DIR}`,
    '  read only = no',
    '  list = yes',
    `  auth users = ${RSYNC_USER}`,
    `  secrets file = ${NODE_RUN_DIR}/rsyncd.secrets`,
    '  strict modes = yes',
    `  hosts allow = ${net.subnet} 127.0.0.1`,
  );
}

export function hostsFile(nodes: readonly NodeAddr[], net: NetPlan): string {
  return lines(
    '127.0.0.1 localhost',
    `${net.harnessAddress} harness`,
    ...nodes.map((n) => `${n.address} ${n.name}`),
  );
}

function sshClientConfig(): string {
  return lines(
    '# Reach the other nodes with this node\'s key; host keys are pinned in known_hosts.',
    'Host *',
    '  User root',
    '  IdentityFile ~/.ssh/id_ed25519',
    '  IdentitiesOnly yes',
    '  UserKnownHostsFile ~/.ssh/known_hosts',
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  ConnectTimeout 5',
    '  ServerAliveInterval 5',
    '  ServerAliveCountMax 3',
  );
}

/** What a node's init bind-mounts as a file before the rest is written: /etc/hosts (home/ is a directory). */
export function renderMountedFiles(nodes: readonly NodeAddr[], net: NetPlan): FileSpec[] {
  return [{ path: 'hosts', content: hostsFile(nodes, net), mode: 0o644 }];
}

/** Everything under one node's directory (visible in the node as NODE_RUN_DIR; home/ is /root). */
export function renderNodeFiles(node: NodeAddr, nodes: readonly NodeAddr[], secrets: ClusterSecrets, net: NetPlan): FileSpec[] {
  const host = must(secrets.hostKeys.get(node.name), `host key of ${node.name}`);
  const client = must(secrets.clientKeys.get(node.name), `client key of ${node.name}`);
  const authorized = [secrets.harness.publicKey, ...nodes.map((n) => must(secrets.clientKeys.get(n.name), 'client key').publicKey)];
  const known = [...knownHostsLines(nodes, secrets).values()];
  return [
    { path: 'sshd_config', content: sshdConfig(), mode: 0o644 },
    { path: 'ssh_host_ed25519_key', content: host.privateKey, mode: 0o600 },
    { path: 'ssh_host_ed25519_key.pub', content: host.publicKey + '\n', mode: 0o644 },
    { path: 'rsyncd.conf', content: rsyncdConfig(net), mode: 0o644 },
    { path: 'rsyncd.secrets', content: `${RSYNC_USER}:${secrets.rsyncPassword}\n`, mode: 0o600 },
    { path: 'hosts', content: hostsFile(nodes, net), mode: 0o644 },
    { path: 'home/.ssh/id_ed25519', content: client.privateKey, mode: 0o600 },
    { path: 'home/.ssh/id_ed25519.pub', content: client.publicKey + '\n', mode: 0o644 },
    { path: 'home/.ssh/authorized_keys', content: lines(...authorized), mode: 0o600 },
    { path: 'home/.ssh/known_hosts', content: lines(...known), mode: 0o644 },
    { path: 'home/.ssh/config', content: sshClientConfig(), mode: 0o600 },
    { path: 'home/.rsync.password', content: `${secrets.rsyncPassword}\n`, mode: 0o600 },
  ];
}

/** The controller's key and a known_hosts covering every node. */
export function renderHarnessFiles(nodes: readonly NodeAddr[], secrets: ClusterSecrets): FileSpec[] {
  return [
    { path: 'id_ed25519', content: secrets.harness.privateKey, mode: 0o600 },
    { path: 'id_ed25519.pub', content: secrets.harness.publicKey + '\n', mode: 0o644 },
    { path: 'known_hosts', content: lines(...knownHostsLines(nodes, secrets).values()), mode: 0o644 },
  ];
}

/** Writes `files` under `dir` (directories 0700), exact modes. */
export async function writeFiles(dir: string, files: readonly FileSpec[]): Promise<void> {
  const dirs = new Set(files.map((f) => path.dirname(path.join(dir, f.path))));
  for (const d of [...dirs].sort()) await mkdir(d, { recursive: true, mode: 0o700 });
  await Promise.all(files.map((f) => writeFile(path.join(dir, f.path), f.content, { mode: f.mode })));
}
