import type { NodeSession } from './node.js';

/**
 * True when `from` can open a TCP connection to host:port within `timeoutSec` (bash /dev/tcp,
 * so no extra tools on the node). The script is fixed text; host and port are positional args.
 */
export async function canConnect(from: NodeSession, host: string, port: number, timeoutSec = 1): Promise<boolean> {
  const r = await from.exec(
    ['timeout', String(timeoutSec), 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'probe', host, String(port)],
    { timeoutMs: timeoutSec * 1000 + 10_000 },
  );
  return r.code === 0;
}
