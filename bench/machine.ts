/** Facts about the machine a run measured: CPUs and their model, kernel, Node, rsync, lsyncd, load, commit. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { MachineFacts } from './results.js';

async function firstLine(cmd: string, args: string[]): Promise<string | undefined> {
  const r = await execa(cmd, args, { reject: false, timeout: 10_000 });
  if (r.failed && r.exitCode === undefined) return undefined;
  return `${r.stdout}\n${r.stderr}`.trim().split('\n')[0]?.trim();
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

/** Looks lsyncd up without installing it (contestants install it when they run). */
export async function lsyncdVersion(): Promise<string> {
  const line = await firstLine('lsyncd', ['-version']);
  return line === undefined ? 'not installed' : (/(\d+\.\d+\.\d+)/.exec(line)?.[1] ?? line);
}

export async function machineFacts(): Promise<MachineFacts> {
  const root = path.resolve(import.meta.dirname, '..');
  const rsync = (await firstLine('rsync', ['--version']))?.replace(/\s+/g, ' ').replace(/ protocol version.*/, '') ?? 'rsync not found';
  const commit = (await execa('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { reject: false })).stdout.trim() || 'unknown';
  const dirty = (await execa('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { reject: false })).stdout.trim() !== '';
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    kernel: os.release(),
    node: process.version,
    rsync,
    lsyncd: await lsyncdVersion(),
    loadavgStart: os.loadavg(),
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
  };
}
