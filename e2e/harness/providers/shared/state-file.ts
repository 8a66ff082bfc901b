import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A provider's state file (netns, containers, ssh: each its own). Written synchronously (write a
 * temporary file, rename it over), so that a pid is on disk before the next await after it was
 * spawned: a crash can never leave an unrecorded process behind, nor a half-written record.
 */
export function writeStateFile(file: string, state: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The file's text, or undefined when there is none (or it cannot be read). */
export function readStateFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file and any temporary left by a crash mid-write. */
export function removeStateFile(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}
