// Integration tests of the linux-audit source on real temp dirs and the real kernel audit
// subsystem. They need root (CAP_AUDIT_CONTROL/READ/WRITE) and the initial network namespace,
// where the audit multicast group is delivered; CI runs as root there. Nothing is skipped:
// elsewhere they fail. Every rule a test adds is deleted and audit's status restored in
// afterEach, whether the test passed or not.
import { execa, execaNode } from 'execa';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { createLinuxAuditSource, KEY_PATTERN, type LinuxAuditOptions, type LinuxAuditSource } from './linux-audit.js';
import { UNSUPPORTED, WatchError } from './source.js';
import { AuditControl } from './sys/audit-control.js';
import { loadAuditFfi } from './sys/audit-ffi.js';
import { AUDIT_STATUS_BACKLOG_LIMIT, AUDIT_STATUS_ENABLED, ruleKey, treeRule, type AuditStatus } from './sys/audit-netlink.js';

let control: AuditControl;
let before: AuditStatus;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  control = AuditControl.open(loadAuditFfi());
  before = await control.getStatus();
  return async () => {
    control.close();
  };
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // Whatever happened: no rule of this process is left, and audit is as it was.
  for (const r of await control.listRules()) if (ruleKey(r)?.startsWith(`livemirror-${process.pid}`)) await control.deleteRule(r);
  const now = await control.getStatus();
  if (now.enabled !== before.enabled || now.backlogLimit !== before.backlogLimit) {
    await control.setStatus({ mask: AUDIT_STATUS_ENABLED | AUDIT_STATUS_BACKLOG_LIMIT, enabled: before.enabled, backlogLimit: before.backlogLimit });
  }
});

function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(join(tmpdir(), `livemirror-audit-${tag}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(root: string, extra: Partial<LinuxAuditOptions> = {}): Promise<{ source: LinuxAuditSource; events: FsEvent[]; until: (what: string, pred: (e: FsEvent) => boolean) => Promise<FsEvent> }> {
  const source = createLinuxAuditSource({ root, isExcluded: () => false, ...extra });
  cleanups.push(() => source.close());
  await source.start();
  const events: FsEvent[] = [];
  let error: unknown;
  void (async () => {
    try {
      for await (const b of source.events()) events.push(...b);
    } catch (e) {
      error = e;
    }
  })();
  const until = async (what: string, pred: (e: FsEvent) => boolean): Promise<FsEvent> => {
    const deadline = performance.now() + 5000;
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (error) throw error as Error;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; events:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { source, events, until };
}

const ours = async (): Promise<string[]> => (await control.listRules()).map((r) => ruleKey(r) ?? '').filter((k) => k.startsWith(`livemirror-${process.pid}`));

describe('linux-audit source', () => {
  it('reports pid, uid and exe of another process, never its own, and no closed flag', async () => {
    const root = tempDir('writer');
    const { until, events } = await open(root);
    fs.writeFileSync(join(root, 'own'), 'x');
    const child = execa('touch', [join(root, 'theirs')]);
    await child;
    const e = await until('theirs', (x) => x.path === 'theirs');
    expect(e).toMatchObject({ kind: 'create', isDir: false, pid: child.pid, uid: 0, exe: '/usr/bin/touch' });
    expect(e.closed).toBeUndefined();
    expect(events.filter((x) => x.path === 'own')).toEqual([]);
  });

  it('keeps ignoreWriters.exes out in the kernel rule (exe!=) and here', async () => {
    const root = tempDir('exe');
    const { until, events, source } = await open(root, { ignoreWriters: { exes: ['/usr/bin/touch'] } });
    const rule = (await control.listRules()).find((r) => ruleKey(r) === source.key);
    expect(rule?.fields.some((f) => f.value === '/usr/bin/touch')).toBe(true);
    await execa('touch', [join(root, 'ignored')]);
    await execa('mkdir', [join(root, 'marker')]);
    await until('marker', (x) => x.path === 'marker');
    expect(events.filter((x) => x.path === 'ignored')).toEqual([]);
  });

  it('deletes only its own rule on close and restores enabled and backlog_limit exactly', async () => {
    const root = tempDir('close');
    const other = treeRule(Buffer.from(root).toString('latin1'), 'someone-else');
    await control.addRule(other);
    cleanups.push(() => control.deleteRule(other).catch(() => undefined));
    const { source } = await open(root);
    const running = await control.getStatus();
    expect(running.enabled).toBe(1);
    expect(running.backlogLimit).toBeGreaterThanOrEqual(Math.min(8192, Math.max(before.backlogLimit, 8192)));
    expect(await ours()).toEqual([source.key]);
    await source.close();
    await source.close(); // idempotent
    expect(await ours()).toEqual([]);
    expect((await control.listRules()).some((r) => ruleKey(r) === 'someone-else')).toBe(true);
    const after = await control.getStatus();
    expect({ enabled: after.enabled, backlogLimit: after.backlogLimit }).toEqual({ enabled: before.enabled, backlogLimit: before.backlogLimit });
  });

  it('removes the rule a crashed run left (dead pid) at start, and keeps a live one', async () => {
    const root = tempDir('leftover');
    const dead = execa('true');
    await dead;
    const deadKey = `livemirror-${dead.pid}-1`;
    const liveKey = `livemirror-1-1`; // pid 1 is alive
    expect(KEY_PATTERN.test(deadKey)).toBe(true);
    const leftover = treeRule(Buffer.from(root).toString('latin1'), deadKey);
    const live = treeRule(Buffer.from(root).toString('latin1'), liveKey);
    await control.addRule(leftover);
    await control.addRule(live);
    cleanups.push(() => control.deleteRule(live).catch(() => undefined));
    cleanups.push(() => control.deleteRule(leftover).catch(() => undefined));
    await open(root);
    const keys = (await control.listRules()).map((r) => ruleKey(r));
    expect(keys).not.toContain(deadKey);
    expect(keys).toContain(liveKey);
  });

  it('a killed daemon leaves its rule, the next start removes it', async () => {
    const root = tempDir('killed');
    const script = join(tempDir('script'), 'run.mts');
    fs.writeFileSync(
      script,
      `import { createLinuxAuditSource } from ${JSON.stringify(join(import.meta.dirname, 'linux-audit.ts'))};\n` +
        `const s = createLinuxAuditSource({ root: ${JSON.stringify(root)}, isExcluded: () => false });\n` +
        `await s.start(); process.stdout.write(s.key + '\\n'); setInterval(() => {}, 1000);\n`,
    );
    const child = execaNode(script, [], { nodeOptions: ['--import', 'tsx'], buffer: false });
    const key = await new Promise<string>((resolve, reject) => {
      child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', () => reject(new Error('the child exited before it started')));
    });
    const leftover = (await control.listRules()).find((r) => ruleKey(r) === key);
    expect(leftover).toBeDefined();
    cleanups.push(() => control.deleteRule(leftover!).catch(() => undefined));
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    expect((await control.listRules()).some((r) => ruleKey(r) === key)).toBe(true);
    await open(root);
    expect((await control.listRules()).some((r) => ruleKey(r) === key)).toBe(false);
  });

  it('fails with UNSUPPORTED and a clear reason outside the initial network namespace, leaving nothing behind', async () => {
    const root = tempDir('netns');
    const script = join(tempDir('script'), 'run.mts');
    fs.writeFileSync(
      script,
      `import { createLinuxAuditSource } from ${JSON.stringify(join(import.meta.dirname, 'linux-audit.ts'))};\n` +
        `const s = createLinuxAuditSource({ root: ${JSON.stringify(root)}, isExcluded: () => false, probeTimeoutMs: 300 });\n` +
        `try { await s.start(); console.log('started'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); } finally { await s.close(); }\n`,
    );
    const r = await execa('unshare', ['-n', process.execPath, '--import', 'tsx', script]);
    const out = JSON.parse(r.stdout) as { code: string; message: string };
    expect(out.code).toBe(UNSUPPORTED);
    expect(out.message).toMatch(/initial network namespace/);
    expect((await control.listRules()).filter((x) => KEY_PATTERN.test(ruleKey(x) ?? '') && !fs.existsSync(`/proc/${KEY_PATTERN.exec(ruleKey(x)!)![1]}`))).toEqual([]);
    const after = await control.getStatus();
    expect(after.enabled).toBe(before.enabled);
  });

  it('records lost while the reader stalls (ENOBUFS on a small socket buffer) become an overflow of the root', async () => {
    const root = tempDir('loss');
    const source = createLinuxAuditSource({ root, isExcluded: () => false, receiveBufferBytes: 16 * 1024, maxQueuedBatches: 1, maxBatchRecords: 16 });
    cleanups.push(() => source.close());
    await source.start();
    // Nobody reads events() yet: the loop stops at the full channel and the socket fills.
    await execa(process.execPath, ['-e', `const fs=require('fs');for(let i=0;i<3000;i++)fs.writeFileSync(${JSON.stringify(root)}+'/f'+i,'x')`]);
    const seen: FsEvent[] = [];
    for await (const batch of source.events()) {
      seen.push(...batch);
      if (seen.some((e) => e.kind === 'overflow')) break;
    }
    expect(seen.find((e) => e.kind === 'overflow')).toMatchObject({ path: '', isDir: true });
    expect(source.stats().overflows).toBeGreaterThan(0);
  });

  it('starts with a tiny socket buffer and channel (records dropped before anyone reads), and a flood gives a few overflows, not one per loss', async () => {
    const root = tempDir('tiny');
    const source = createLinuxAuditSource({ root, isExcluded: () => false, receiveBufferBytes: 4096, maxQueuedBatches: 1, maxBatchRecords: 16 });
    cleanups.push(() => source.close());
    await source.start(); // before: the probe was lost to ENOBUFS or stuck behind a full channel
    const seen: FsEvent[] = [];
    const reading = (async () => {
      for await (const b of source.events()) seen.push(...b);
    })();
    const t0 = performance.now();
    await execa(process.execPath, ['-e', `const fs=require('fs');for(let i=0;i<5000;i++)fs.writeFileSync(${JSON.stringify(root)}+'/f'+i,'x')`]);
    await new Promise((r) => setTimeout(r, 600));
    const windows = Math.ceil((performance.now() - t0) / 250) + 1;
    const overflows = seen.filter((e) => e.kind === 'overflow').length;
    expect(overflows).toBeGreaterThan(0);
    expect(overflows).toBeLessThanOrEqual(windows);
    await source.close();
    await reading;
  });

  it('rejects start() with a WatchError for a root that does not exist, and leaves audit as it was', async () => {
    const source = createLinuxAuditSource({ root: join(tmpdir(), 'livemirror-no-such-dir-xyz'), isExcluded: () => false });
    cleanups.push(() => source.close());
    await expect(source.start()).rejects.toBeInstanceOf(WatchError);
    expect(await ours()).toEqual([]);
    expect((await control.getStatus()).enabled).toBe(before.enabled);
  });
});
