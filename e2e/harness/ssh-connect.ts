import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import type { SshEndpoint } from './cluster.js';
import { verifyHostKey } from '../../src/replicate/ssh/known-hosts.js';
import { parseKnownHostsLine } from './known-hosts.js';
import { poll } from './poll.js';

export interface ConnectOptions {
  /** Give up after this long (ms), retrying refused or timed-out connects meanwhile. Default 10 000. */
  readonly deadlineMs?: number;
}

/** The node presented a host key that is not the one in its known_hosts line. */
export class HostKeyMismatchError extends Error {
  override readonly name = 'HostKeyMismatchError';
}

/** One connect attempt; rejects on any failure. */
function connectOnce(ep: SshEndpoint, timeoutMs: number): Promise<Client> {
  const known = [parseKnownHostsLine(ep.knownHostsLine)];
  const serverHostKey = hostKeyAlgorithms(known[0]?.keyType ?? '');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let keyRejected = false;
    const fail = (err: Error): void => {
      client.removeAllListeners('ready');
      client.end();
      reject(keyRejected ? new HostKeyMismatchError(`${ep.host}:${ep.port} presented a host key that is not in its known_hosts line`) : err);
    };
    client.once('ready', () => {
      client.removeListener('error', fail);
      // Later errors (connection lost) are seen through 'close'; keep one listener so they never throw.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host: ep.host,
      port: ep.port,
      username: ep.user,
      privateKey: ep.privateKey,
      readyTimeout: Math.max(1000, timeoutMs),
      keepaliveInterval: 2000,
      keepaliveCountMax: 3,
      // Ask for the pinned key's type: a host with several host keys may offer another one first.
      ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
      hostVerifier: (key: Buffer) => {
        const ok = verifyHostKey(known, ep.host, ep.port, key) === 'match';
        if (!ok) keyRejected = true;
        return ok;
      },
    });
  });
}

/**
 * The host key algorithms that present a key of known_hosts type `keyType` (an RSA key is
 * offered under three signature algorithms), or undefined to leave ssh2's default list.
 */
export function hostKeyAlgorithms(keyType: string): ssh2.ServerHostKeyAlgorithm[] | undefined {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const known: readonly string[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];
  return known.includes(keyType) ? [keyType as ssh2.ServerHostKeyAlgorithm] : undefined;
}

const RETRYABLE = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|Timed out while waiting for handshake|Connection lost before handshake/;

/**
 * An authenticated ssh2 connection whose host key was verified against `ep.knownHostsLine`.
 * Retries only transient failures (daemon not listening yet, no route yet) until the deadline;
 * a host key mismatch or an authentication failure rejects at once.
 */
export async function connectSsh(ep: SshEndpoint, opts: ConnectOptions = {}): Promise<Client> {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const started = performance.now();
  let lastError: Error | undefined;
  const r = await poll<Client | undefined>(
    async () => {
      const left = deadlineMs - (performance.now() - started);
      try {
        return { done: true, value: await connectOnce(ep, Math.min(5000, Math.max(1000, left))) };
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof HostKeyMismatchError || !RETRYABLE.test(`${err.message} ${(err as NodeJS.ErrnoException).code ?? ''}`)) {
          throw err;
        }
        lastError = err;
        return { done: false, value: undefined };
      }
    },
    { deadlineMs, maxAttempts: 200, initialIntervalMs: 10, maxIntervalMs: 500 },
  );
  if (r.ok && r.value) return r.value;
  throw new Error(`ssh ${ep.user}@${ep.host}:${ep.port}: no connection within ${deadlineMs} ms (${lastError?.message ?? 'no attempt'})`);
}
