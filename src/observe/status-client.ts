import net from 'node:net';
import type { DaemonStatus } from '../core/status.js';

/*
 * The client side of the status socket for `livemirror status` (and the bench): one HTTP/1.0 GET
 * written by hand on node:net. node:http alone costs 15-20 ms to load, a fifth of the status
 * command's budget (issue #8). The server (observe/status.ts, node:http) answers an HTTP/1.0
 * request with `Connection: close` and the body up to EOF, so the answer is: read to EOF, split
 * the head from the body at the first blank line, require status 200, parse the body.
 * POST /release stays on node:http (requestRelease, status.ts): it is rare and not timed.
 */

const REQUEST = 'GET /status HTTP/1.0\r\nHost: livemirror\r\n\r\n';

/**
 * Asks a running daemon for its status. Rejects with a message naming the socket: nothing
 * listening, unreachable, no answer within `timeoutMs` of silence, or an answer that is not a
 * 200 with a JSON body. Holds one connection, closed on every outcome.
 */
export function fetchStatus(socketPath: string, timeoutMs = 5000): Promise<DaemonStatus> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(socketPath);
    const fail = (message: string) => {
      reject(new Error(message));
      sock.destroy();
    };
    // The socket's idle timer, as http.get's `timeout` option (no clock of our own).
    sock.setTimeout(timeoutMs, () => fail(`no answer from ${socketPath} within ${timeoutMs} ms`));
    sock.once('connect', () => sock.write(REQUEST));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('end', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (e) {
        reject(new Error(`bad answer from ${socketPath}: ${(e as Error).message}`));
      }
      sock.destroy();
    });
    sock.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? `no livemirror daemon is listening on ${socketPath} (is it running? is statusSocket set differently?)`
          : `cannot reach ${socketPath}: ${e.message}`,
      ),
    );
  });
}

/** The status in a whole HTTP answer; throws naming what is wrong. */
export function parseAnswer(answer: Buffer): DaemonStatus {
  const end = answer.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(answer.length === 0 ? 'empty answer' : 'no end of HTTP head');
  const statusLine = answer.toString('latin1', 0, answer.indexOf('\r\n'));
  const code = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const body = answer.toString('utf8', end + 4);
  if (code !== '200') throw new Error(code === undefined ? `not HTTP: ${JSON.stringify(statusLine.slice(0, 80))}` : body || `status ${code}`);
  return JSON.parse(body) as DaemonStatus;
}
