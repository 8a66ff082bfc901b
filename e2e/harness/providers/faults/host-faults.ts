import type { InventoryOs } from '../../../../vagrant/inventory-format.js';
import type { DiskFill, ProcessSignal, RateLimit } from '../../cluster.js';
import { fillDisk, freeDisk, type NodeRun } from '../shared/disk-fill.js';
import { type Command, type HostRunner, runAll, runCommand } from './host-runner.js';
import { type ControllerSsh, nftDisconnect, nftHeal, nftPartition, nftReconnect, nftRemoveAll } from './nft.js';
import { PF_ANCHOR, pfAnchorCalled, pfCheck, pfFlush, pfKillStates, pfLoad } from './pf.js';
import { killCommand } from './signal.js';
import { tcClear, tcHint, tcLimit } from './tc.js';

/** What the fault operations need to know about one host. */
export interface HostContext {
  readonly runner: HostRunner;
  readonly os: InventoryOs;
  readonly dataDir: string;
  /** The interface that holds the host's cluster address. */
  readonly iface: string;
  /** The controller's ssh as the host sees it: kept open by disconnect. */
  readonly controller: ControllerSsh;
}

/**
 * Fault operations on one host, done over ssh with the host's own tools: nft and tc on Linux,
 * pf on FreeBSD, kill(1) on both, fallocate/dd for a full disk. Contract: each resolves once the
 * fault is in force and is idempotent; `reset()` removes every fault this module can make (an
 * earlier run's too). Not safe to run two operations on the same host concurrently.
 */
export interface HostFaults {
  signal(pid: number, signal: ProcessSignal): Promise<void>;
  disconnect(): Promise<void>;
  reconnect(): Promise<void>;
  partition(peer: string): Promise<void>;
  heal(peer: string): Promise<void>;
  limitRate(limit: RateLimit): Promise<void>;
  clearRateLimit(): Promise<void>;
  fillDisk(): Promise<DiskFill>;
  freeDisk(): Promise<void>;
  reset(): Promise<void>;
}

export function hostFaults(ctx: HostContext): HostFaults {
  return ctx.os === 'freebsd' ? new FreebsdFaults(ctx) : new LinuxFaults(ctx);
}

abstract class CommonFaults {
  constructor(protected readonly ctx: HostContext) {}

  async signal(pid: number, signal: ProcessSignal): Promise<void> {
    await runCommand(this.ctx.runner, killCommand(pid, signal));
  }

  /** The shared disk fill (shared/disk-fill.ts) over this host's runner, with its data dir and OS. */
  fillDisk(): Promise<DiskFill> {
    return fillDisk(this.nodeRun(), { dataDir: this.ctx.dataDir, os: this.ctx.os });
  }

  async freeDisk(): Promise<void> {
    await freeDisk(this.nodeRun(), { dataDir: this.ctx.dataDir, os: this.ctx.os });
  }

  private nodeRun(): NodeRun {
    return async (argv) => {
      const r = await this.ctx.runner.run(argv, { timeoutMs: 300_000 }); // dd over a big filesystem
      return { exitCode: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
  }
}

class LinuxFaults extends CommonFaults implements HostFaults {
  async disconnect(): Promise<void> {
    await runCommand(this.ctx.runner, nftDisconnect(this.ctx.iface, this.ctx.controller));
  }

  async reconnect(): Promise<void> {
    await runCommand(this.ctx.runner, nftReconnect());
  }

  async partition(peer: string): Promise<void> {
    await runCommand(this.ctx.runner, nftPartition(peer));
  }

  async heal(peer: string): Promise<void> {
    await runCommand(this.ctx.runner, nftHeal(peer));
  }

  async limitRate(limit: RateLimit): Promise<void> {
    try {
      await runAll(this.ctx.runner, tcLimit(this.ctx.iface, limit));
    } catch (e) {
      const msg = (e as Error).message;
      await runAll(this.ctx.runner, tcClear(this.ctx.iface)).catch(() => undefined);
      throw new Error(`${msg}${tcHint(msg)}`, { cause: e });
    }
  }

  async clearRateLimit(): Promise<void> {
    await runAll(this.ctx.runner, tcClear(this.ctx.iface));
  }

  async reset(): Promise<void> {
    await runAll(this.ctx.runner, [nftRemoveAll(), ...tcClear(this.ctx.iface)]);
    await this.freeDisk();
  }
}

class FreebsdFaults extends CommonFaults implements HostFaults {
  private blocked = new Set<string>();
  private disconnected = false;

  private anchorChecked = false;

  private async load(extra: readonly Command[] = []): Promise<void> {
    if (!this.anchorChecked) {
      // Rules in an anchor the main ruleset never calls would load fine and do nothing.
      const r = await runCommand(this.ctx.runner, pfCheck());
      if (!pfAnchorCalled(r.stdout)) {
        throw new Error(`${this.ctx.runner.name}: pf does not call the anchor ${PF_ANCHOR} (pf.conf needs \`anchor "${PF_ANCHOR}"\` and pf enabled: vagrant/provision-freebsd.sh)`);
      }
      this.anchorChecked = true;
    }
    const state = {
      blocked: [...this.blocked],
      disconnected: this.disconnected ? { iface: this.ctx.iface, controller: this.ctx.controller } : undefined,
    };
    await runAll(this.ctx.runner, [pfLoad(state), ...extra]);
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
    await this.load();
  }

  async reconnect(): Promise<void> {
    this.disconnected = false;
    await this.load();
  }

  async partition(peer: string): Promise<void> {
    this.blocked.add(peer);
    await this.load(pfKillStates(peer));
  }

  async heal(peer: string): Promise<void> {
    this.blocked.delete(peer);
    await this.load();
  }

  limitRate(): Promise<void> {
    return Promise.reject(new Error(`${this.ctx.runner.name}: limitRate is not implemented on FreeBSD hosts (it would need dummynet/ipfw)`));
  }

  async clearRateLimit(): Promise<void> {
    // nothing can have been set
  }

  async reset(): Promise<void> {
    this.blocked.clear();
    this.disconnected = false;
    await runAll(this.ctx.runner, [pfFlush()]);
    await this.freeDisk();
  }
}
