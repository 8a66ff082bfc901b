import { existsSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { DaemonStatus } from '../core/status.js';

/** What the status socket serves: the status, and the one command an operator sends. */
export interface StatusHandlers {
  status: () => DaemonStatus;
  /** Releases the safety valve of the named replicas (all when none); the names released. */
  release: (names: string[]) => string[];
}

/**
 * Serves GET /status (the status as JSON) and POST /release (body: a JSON list of replica names)
 * on a unix socket. A stale socket left by a crashed daemon is replaced; a live one (another
 * daemon answers) is an error naming the path.
 */
export async function serveStatus(socketPath: string, h: StatusHandlers): Promise<{ close: () => Promise<void> }> {
  if (existsSync(socketPath)) {
    if (await answers(socketPath)) throw new Error(`status socket ${socketPath} is in use by another livemirror (set statusSocket to run a second one)`);
    unlinkSync(socketPath);
  }
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h.status()));
    } else if (req.method === 'POST' && req.url === '/release') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body = (body + d).slice(0, 65_536)));
      req.on('end', () => {
        let names: unknown;
        try {
          names = body.trim() === '' ? [] : JSON.parse(body);
        } catch {
          names = undefined;
        }
        if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
          res.writeHead(400).end('expected a JSON list of replica names');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(h.release(names)));
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Asks a running daemon to release the safety valve; resolves with the names released. */
export function requestRelease(socketPath: string, names: readonly string[], timeoutMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/release', method: 'POST', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(body || `status ${res.statusCode}`);
          resolve(JSON.parse(body) as string[]);
        } catch (e) {
          reject(new Error(`bad answer from ${socketPath}: ${(e as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `no livemirror daemon is listening on ${socketPath}` : `cannot reach ${socketPath}: ${e.message}`)));
    req.end(JSON.stringify(names));
  });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
