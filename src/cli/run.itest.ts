/**
 * `livemirror run` as a process, the way systemd runs it: ready, status over the socket,
 * SIGHUP reload, SIGTERM graceful stop with exit 0.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchStatus } from '../observe/status-client.js';
import { awaitConverged, waitFor } from '../../test/support/tree.js';

const main = path.resolve(import.meta.dirname, 'main.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('livemirror run (a real process)', () => {
  it('gets ready, answers status, reloads on SIGHUP, stops on SIGTERM with exit 0', async () => {
    const source = path.join(dir, 'source');
    const [r1, r2] = [path.join(dir, 'r1'), path.join(dir, 'r2')];
    for (const d of [source, r1, r2]) mkdirSync(d);
    writeFileSync(path.join(source, 'a.txt'), 'a\n');
    const socket = path.join(dir, 'status.sock');
    const config = path.join(dir, 'livemirror.yaml');
    writeFileSync(config, `source: ${source}\nreplicas:\n  - target: ${r1}\nstatusSocket: ${socket}\nlogFormat: json\n`);
    const proc = execa('node', ['--import', 'tsx', main, 'run', '--config', config], { reject: false, all: true });
    try {
      await waitFor(async () => (await fetchStatus(socket).catch(() => undefined))?.ready === true, 'ready', 30_000, 50);
      const st = await fetchStatus(socket);
      expect(st.replicas.map((r) => [r.name, r.state])).toEqual([['r1', 'idle']]);
      expect(st.watches).toBe(1);
      await awaitConverged(source, [r1], 10_000);

      // Reload: add a replica; it gets an initial sync, the running one keeps going.
      writeFileSync(config, `source: ${source}\nreplicas:\n  - target: ${r1}\n  - target: ${r2}\nstatusSocket: ${socket}\nlogFormat: json\n`);
      process.kill(proc.pid!, 'SIGHUP');
      await waitFor(async () => (await fetchStatus(socket)).replicas.length === 2, 'second replica after reload', 10_000);
      writeFileSync(path.join(source, 'b.txt'), 'b\n');
      await awaitConverged(source, [r1, r2], 10_000);

      // A broken config on reload is refused; the daemon keeps running on the old one.
      writeFileSync(config, 'source: [broken');
      process.kill(proc.pid!, 'SIGHUP');
      writeFileSync(path.join(source, 'c.txt'), 'c\n');
      await awaitConverged(source, [r1, r2], 10_000);
      expect((await fetchStatus(socket)).replicas.length).toBe(2);

      process.kill(proc.pid!, 'SIGTERM');
      const r = await proc;
      expect(r.exitCode).toBe(0);
      const lines = (r.all ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; msg?: string });
      expect(lines.some((l) => l.event === 'ready')).toBe(true);
      expect(lines.some((l) => l.event === 'reloaded')).toBe(true);
      expect(lines.some((l) => l.event === 'reload-failed' && /not valid YAML/.test(l.msg ?? ''))).toBe(true);
      expect(lines.at(-1)?.event).toBe('stopped');
      expect(existsSync(socket)).toBe(false);
      expect(readFileSync(path.join(r2, 'a.txt'), 'utf8')).toBe('a\n');
    } finally {
      if (proc.exitCode === null && proc.pid) process.kill(proc.pid, 'SIGKILL');
      await proc;
    }
  });
});
