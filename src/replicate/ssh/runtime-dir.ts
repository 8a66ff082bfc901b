import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { errorText } from '../../core/errors.js';
import { controlPathOption, MAX_SOCKET_PATH_BYTES, socketPathFits } from './ssh-args.js';

/** The socket's name inside a runtime directory. */
export const SOCKET_NAME = 'master.sock';
const PREFIX = 'livemirror-';
/** `livemirror-<pid>-<6 chars of mkdtemp>`. */
const DIR_NAME = /^livemirror-(\d+)-[A-Za-z0-9]{6}$/;

export interface RuntimeDir {
  dir: string;
  socket: string;
}

export interface RuntimeEnv {
  /** Where to look, best first (default: `runtimeBases` of this process). */
  bases?: readonly string[];
  /** This process (default process.pid). */
  pid?: number;
}

/** Where runtime directories may go, best first: $XDG_RUNTIME_DIR (per user, memory-backed,
 *  cleared at logout or boot), the temp dir, then /tmp (short, for the socket path limit). */
export function runtimeBases(env: NodeJS.ProcessEnv, tmpdir: string): string[] {
  const all = [env['XDG_RUNTIME_DIR'], tmpdir, '/tmp'].filter((b): b is string => b !== undefined && b !== '' && path.isAbsolute(b));
  return [...new Set(all.map((b) => path.resolve(b)))];
}

function defaultBases(): string[] {
  return runtimeBases(process.env, os.tmpdir());
}

/**
 * Makes a private directory (mode 0700, named `livemirror-<pid>-<random>`) for one ssh control
 * socket, in the first base where the socket's path stays short enough (ssh-args.ts
 * `socketPathFits`) and the directory can be made. Throws with every base's reason otherwise.
 */
export function makeRuntimeDir(e: RuntimeEnv = {}): RuntimeDir {
  const pid = e.pid ?? process.pid;
  const why: string[] = [];
  for (const base of e.bases ?? defaultBases()) {
    const probe = path.join(base, `${PREFIX}${pid}-XXXXXX`, SOCKET_NAME);
    if (!socketPathFits(probe)) {
      why.push(`${base}: the socket path would exceed ${MAX_SOCKET_PATH_BYTES} bytes`);
      continue;
    }
    try {
      const dir = mkdtempSync(path.join(base, `${PREFIX}${pid}-`));
      chmodSync(dir, 0o700); // mkdtemp makes it 0700 already; say so
      return { dir, socket: path.join(dir, SOCKET_NAME) };
    } catch (err) {
      why.push(`${base}: ${errorText(err)}`);
    }
  }
  throw new Error(`no directory for the ssh control socket (${why.join('; ')})`);
}

/** Removes a runtime directory and what is in it (the socket; idempotent). */
export function removeRuntimeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Cleans up after livemirror processes that died without stopping (kill -9, OOM): for each
 * runtime directory of ours (owned by this user, named for a pid that no longer runs), asks its
 * master, which outlives the daemon and keeps its connection up through keepalives, to exit
 * through its own socket (`ssh -O exit`), then removes the directory. Directories of live
 * processes, of other users, or whose pid now belongs to another process are left alone.
 * Never throws; returns the directories removed.
 */
export async function sweepOrphans(e: RuntimeEnv = {}): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const base of e.bases ?? defaultBases()) {
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = DIR_NAME.exec(name);
      if (!m || Number(m[1]) === (e.pid ?? process.pid) || isRunning(Number(m[1]))) continue;
      const dir = path.join(base, name);
      try {
        const st = lstatSync(dir);
        if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
        const socket = path.join(dir, SOCKET_NAME);
        if (existsSync(socket)) await execa('ssh', ['-o', controlPathOption(socket), '-O', 'exit', 'livemirror'], { reject: false, stdin: 'ignore' });
        removeRuntimeDir(dir);
        removed.push(dir);
      } catch {
        // Raced with another sweeper, or not ours to remove: leave it.
      }
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
