import type { InventoryNode } from '../../../../vagrant/inventory-format.js';
import type { NodeInfo } from '../../cluster.js';
import { NodeSession, SPAWNED_FILE } from '../../node.js';
import type { Arg } from '../../shell-quote.js';
import { hostFaults, type HostFaults } from '../faults/host-faults.js';
import type { HostResult, HostRunner } from '../faults/host-runner.js';
import type { ControllerSsh } from '../faults/nft.js';
import { BLOCK_BEGIN, BLOCK_END, CHECK_HOST, EMPTY_DIR, REPLACE_BLOCK, STOP_SPAWNED } from './host-scripts.js';
import { addressListArgv, interfaceOf, parseSshConnection } from './parse.js';

/** What up() learns about a host, kept in the state file (attach() needs it without asking again). */
export interface HostFacts {
  /** The interface holding the host's cluster address. */
  readonly iface: string;
  /** The controller's ssh as the host sees it (undefined when not IPv4: disconnect then refuses). */
  readonly controller: ControllerSsh | undefined;
}

/**
 * One inventory host playing one node: a controller-side ssh session (its own, apart from the
 * scenario's), the fault operations over it, and the housekeeping up()/down() do there.
 */
export class SshHost {
  private sessionP: Promise<NodeSession> | undefined;
  private faultsCache: HostFaults | undefined;

  constructor(
    readonly info: NodeInfo,
    readonly inv: InventoryNode,
    public facts: HostFacts | undefined,
  ) {
    this.runner = {
      name: info.name,
      run: async (argv: readonly Arg[], opts = {}): Promise<HostResult> => {
        const s = await this.session();
        const r = await s.exec(argv, { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }) });
        return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
      },
    };
  }

  get name(): string {
    return this.info.name;
  }

  session(): Promise<NodeSession> {
    this.sessionP ??= NodeSession.connect(this.info, { deadlineMs: 15_000 });
    this.sessionP.catch(() => {
      this.sessionP = undefined;
    });
    return this.sessionP;
  }

  /** A HostRunner over this host's session. */
  readonly runner: HostRunner;

  private async sh(script: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<HostResult> {
    return this.runner.run(['sh', '-c', script, 'sh', ...args], opts);
  }

  /** Throws with every problem found (project, node, data dir, rsync daemon, root), else learns the facts. */
  async check(): Promise<HostFacts> {
    const rsyncUrl = `rsync://${this.inv.rsyncUser}@${this.inv.address}:${this.inv.rsyncPort}/${this.inv.rsyncModule}/`;
    const [check, conn, addrs] = await Promise.all([
      this.sh(CHECK_HOST, [this.inv.projectDir, this.inv.dataDir, rsyncUrl, this.inv.rsyncPasswordFile]),
      this.runner.run(['printenv', 'SSH_CONNECTION']),
      this.runner.run(addressListArgv(this.inv.os)),
    ]);
    const problems = check.code === 0 ? [] : check.stderr.trim().split('\n').filter((l) => l !== '');
    if (check.code !== 0 && problems.length === 0) problems.push(`the check script failed (exit ${check.code})`);
    const iface = interfaceOf(this.inv.os, addrs.stdout, this.inv.address);
    if (!iface) problems.push(`no interface has the inventory address ${this.inv.address} (${addressListArgv(this.inv.os).join(' ')}: exit ${addrs.code})`);
    if (problems.length) throw new Error(`${this.name} (${this.inv.name}): ${problems.join('; ')}`);
    this.facts = { iface: iface as string, controller: parseSshConnection(conn.stdout) };
    return this.facts;
  }

  faults(): HostFaults {
    if (!this.facts) throw new Error(`${this.name}: host not checked yet`);
    const controller = this.facts.controller;
    this.faultsCache ??= hostFaults({
      runner: this.runner,
      os: this.inv.os,
      dataDir: this.inv.dataDir,
      iface: this.facts.iface,
      controller: controller ?? { address: '0.0.0.0', port: 0 },
    });
    return this.faultsCache;
  }

  /** The controller's ssh as the host sees it; disconnect must keep it open. */
  requireController(): void {
    if (!this.facts?.controller) throw new Error(`${this.name}: the controller does not reach this host over IPv4 ($SSH_CONNECTION): disconnect cannot keep its ssh open`);
  }

  /** Stops every process the harness started on this host (recorded by spawnBackground). */
  async stopSpawned(): Promise<string> {
    const r = await this.sh(STOP_SPAWNED, [SPAWNED_FILE, '50'], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`${this.name}: stopping the harness's processes failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout.trim().replace(/^stopped:/, '').trim();
  }

  async emptyDataDir(): Promise<void> {
    const r = await this.sh(EMPTY_DIR, [this.inv.dataDir], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`${this.name}: emptying ${this.inv.dataDir} failed: ${r.stderr.trim()}`);
  }

  /** Replaces (or, with no lines, removes) our alias block in `file` on the host. */
  async setBlock(file: string, lines: readonly string[]): Promise<void> {
    const r = await this.sh(REPLACE_BLOCK, [file, BLOCK_BEGIN, BLOCK_END], { stdin: lines.length ? lines.join('\n') + '\n' : '' });
    if (r.code !== 0) throw new Error(`${this.name}: editing ${file} failed: ${r.stderr.trim()}`);
  }

  async close(): Promise<void> {
    const s = this.sessionP;
    this.sessionP = undefined;
    if (s) await (await s.catch(() => undefined))?.close();
  }
}
