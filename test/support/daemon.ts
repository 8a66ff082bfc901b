import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWriteStream } from 'node:fs';
import { resolveConfig, type Config } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/observe/log.js';

export interface TestTree {
  dir: string;
  source: string;
  replicas: string[];
  cleanup: () => void;
}

/** A temp dir with `source/` and `n` empty local replica dirs. */
export function makeTree(n: number, prefix = 'lm-it-'): TestTree {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const source = path.join(dir, 'source');
  mkdirSync(source);
  const replicas = Array.from({ length: n }, (_, i) => path.join(dir, `replica${i + 1}`));
  for (const r of replicas) mkdirSync(r);
  return { dir, source, replicas, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts a real daemon in this process on `raw` config (validated like a file), logging JSON to
 * `<dir>/daemon.log` so a failing test can show what the daemon did. The source is inotify unless
 * `raw.watcher` says otherwise: these tests write from the daemon's own process, whose writes
 * the writer-aware sources (fanotify, linux-audit) drop by design; src/daemon-sources.itest.ts
 * runs the daemon on every source with writes from other processes.
 */
export async function startDaemon(raw: Record<string, unknown>, dir: string): Promise<{ daemon: Daemon; config: Config; logFile: string }> {
  const config = resolveConfig({ statusSocket: path.join(dir, 'status.sock'), watcher: 'inotify', ...raw }, 'test', dir);
  const logFile = path.join(dir, 'daemon.log');
  const log = createLogger({ level: 'debug', format: 'json', destination: createWriteStream(logFile, { flags: 'a' }) });
  const daemon = new Daemon(config, { log, statusServer: false });
  await daemon.start();
  return { daemon, config, logFile };
}
