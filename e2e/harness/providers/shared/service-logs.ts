import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The nodes' service logs (sshd, rsyncd), written by the services into the node's directory on
 * the machine (NODE_RUN_DIR inside the node), whatever the provider.
 */
export const SERVICE_LOGS = ['sshd.log', 'rsyncd.log'] as const;

/** Copies every node's service logs into `dir`/<node>/; resolves the files written. */
export async function copyServiceLogs(names: readonly string[], nodeDir: (name: string) => string, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const name of names) {
    await mkdir(path.join(dir, name), { recursive: true });
    for (const f of SERVICE_LOGS) {
      const to = path.join(dir, name, f);
      try {
        await copyFile(path.join(nodeDir(name), f), to);
        written.push(to);
      } catch {
        // a service that never logged
      }
    }
  }
  return written;
}

/** The last `count` lines of every node's service logs, for a failed bring-up's message ('' when none). */
export async function serviceLogTails(names: readonly string[], nodeDir: (name: string) => string, count = 10): Promise<string> {
  const parts: string[] = [];
  for (const name of names) {
    for (const f of SERVICE_LOGS) {
      const text = await readFile(path.join(nodeDir(name), f), 'utf8').catch(() => '');
      if (text.trim()) parts.push(`--- ${name} ${f}\n${text.trim().split('\n').slice(-count).join('\n')}`);
    }
  }
  return parts.length ? `\n${parts.join('\n')}` : '';
}
