/**
 * The hand-written HTTP/1.0 client against the real node:http server of the status socket, and
 * against sockets that misbehave.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../core/status.js';
import { fetchStatus } from './status-client.js';
import { serveStatus } from './status.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-status-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const status: DaemonStatus = {
  pid: 42,
  source: '/srv/www/é',
  ready: true,
  startedAt: 1000,
  watches: 3,
  overflows: 0,
  settling: 1,
  // Large enough to arrive in several chunks.
  replicas: Array.from({ length: 2000 }, (_, i) => ({ name: `r${i}`, target: `/r/${i}`, state: 'idle' as const, queued: 0, lagMs: 0, inFlight: 0, attempts: 0, fullSyncs: 1, batches: i })),
};

/** A raw server that does `onConnection` with each connection. */
async function rawServer(name: string, onConnection: (s: net.Socket) => void): Promise<{ socket: string; close: () => void }> {
  const socket = path.join(dir, name);
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, close: () => server.close() };
}

describe('fetchStatus (node:net, HTTP/1.0)', () => {
  it('reads what serveStatus serves, whole', async () => {
    const socket = path.join(dir, 'real.sock');
    const server = await serveStatus(socket, { status: () => status, release: () => [] });
    try {
      expect(await fetchStatus(socket)).toEqual(status);
    } finally {
      await server.close();
    }
  });

  it('names the socket when nothing listens there', async () => {
    const socket = path.join(dir, 'none.sock');
    await expect(fetchStatus(socket)).rejects.toThrow(`no livemirror daemon is listening on ${socket} (is it running? is statusSocket set differently?)`);
  });

  it('gives up after the timeout when the socket never answers', async () => {
    const held: net.Socket[] = [];
    const s = await rawServer('mute.sock', (c) => held.push(c));
    try {
      await expect(fetchStatus(s.socket, 200)).rejects.toThrow(`no answer from ${s.socket} within 200 ms`);
    } finally {
      for (const c of held) c.destroy();
      s.close();
    }
  });

  it('refuses an answer that is not a 200', async () => {
    const s = await rawServer('404.sock', (c) => c.once('data', () => c.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')));
    try {
      await expect(fetchStatus(s.socket)).rejects.toThrow(`bad answer from ${s.socket}: status 404`);
    } finally {
      s.close();
    }
  });
});
