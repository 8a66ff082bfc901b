import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { poll } from '../../poll.js';
import { STATE_DIR } from '../shared/layout.js';
import { isLive, killRef, procRef, type ProcRef, waitGone } from '../shared/proc.js';
import { PODMAN_SOCKET } from './layout.js';

/**
 * The container engine the provider talks to through testcontainers: a Docker-compatible API
 * socket. In order: DOCKER_HOST if set, Docker's socket if it answers, else podman's API served
 * by the provider itself (`podman system service` on PODMAN_SOCKET, recorded by pid and start
 * time in ENGINE_FILE, stopped by pid in down()/cleanup(); never by name).
 *
 * Contract: `ensureEngine` resolves once the socket answers `/_ping` and DOCKER_HOST and
 * TESTCONTAINERS_RYUK_DISABLED are set in this process (before testcontainers makes its client);
 * `stopEngine` stops only a service this provider started, and is a no-op otherwise.
 */

export const ENGINE_FILE = path.join(STATE_DIR, 'podman-service.json');
const SERVICE_LOG = path.join(STATE_DIR, 'podman-service.log');
const START_MS = 20_000;

export interface Engine {
  /** `unix:///...` or `tcp://...`, as DOCKER_HOST. */
  readonly host: string;
  /** The CLI that reaches the same engine (the interactive shell, image import). */
  readonly cli: 'podman' | 'docker';
  /** The podman service this provider started, if it did. */
  readonly service: ProcRef | undefined;
}

interface EngineFile {
  readonly socket: string;
  readonly service: ProcRef;
}

/** Resolves whether the engine at a `unix://` DOCKER_HOST answers `GET /_ping` within `ms`. */
export function ping(host: string, ms = 2000): Promise<boolean> {
  if (!host.startsWith('unix://')) return Promise.resolve(true); // tcp: testcontainers will say
  const socketPath = host.slice('unix://'.length);
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: ms }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function readEngineFile(): EngineFile | undefined {
  try {
    return JSON.parse(readFileSync(ENGINE_FILE, 'utf8')) as EngineFile;
  } catch {
    return undefined;
  }
}

function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/usr/bin']).some((d) => existsSync(path.join(d, cmd)));
}

function useHost(host: string): void {
  process.env['DOCKER_HOST'] = host;
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
}

/** The engine to use, starting podman's API service when there is none. */
export async function ensureEngine(log: (line: string) => void = () => undefined): Promise<Engine> {
  const own = `unix://${PODMAN_SOCKET}`;
  const given = process.env['DOCKER_HOST'];
  const recorded = readEngineFile();
  if (given && given !== own) {
    useHost(given);
    return { host: given, cli: onPath('docker') ? 'docker' : 'podman', service: undefined };
  }
  if (!given && (await ping('unix:///var/run/docker.sock'))) {
    useHost('unix:///var/run/docker.sock');
    return { host: 'unix:///var/run/docker.sock', cli: 'docker', service: undefined };
  }
  if (recorded && isLive(recorded.service) && (await ping(own))) {
    useHost(own);
    return { host: own, cli: 'podman', service: recorded.service };
  }
  if (recorded) await stopEngine();
  if (!onPath('podman')) {
    throw new Error('containers: no container engine: set DOCKER_HOST, start Docker, or install podman (bash ci/setup.sh --tests as root)');
  }
  if (process.getuid?.() !== 0) throw new Error('containers: the provider runs podman rootful (networks with fixed addresses, NET_ADMIN): run as root');
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  rmSync(PODMAN_SOCKET, { force: true });
  const out = openSync(SERVICE_LOG, 'a');
  const t0 = performance.now();
  // Detached, own process group: it outlives this process (cluster-cli up) and a terminal's Ctrl-C.
  const child = spawn('podman', ['system', 'service', '--time=0', own], { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new Error('containers: could not start podman system service');
  writeFileSync(ENGINE_FILE, JSON.stringify({ socket: PODMAN_SOCKET, service: ref } satisfies EngineFile), { mode: 0o600 });
  child.unref();
  const r = await poll(async () => ({ done: (await ping(own, 500)) || !isLive(ref), value: undefined }), {
    deadlineMs: START_MS,
    initialIntervalMs: 20,
    maxIntervalMs: 200,
  });
  if (!r.ok || !isLive(ref)) {
    const tail = readFileSync(SERVICE_LOG, 'utf8').trim().split('\n').slice(-10).join('\n');
    await stopEngine();
    throw new Error(`containers: podman system service did not answer on ${PODMAN_SOCKET} within ${START_MS} ms:\n${tail}`);
  }
  log(`containers: started podman system service (pid ${ref.pid}) in ${(performance.now() - t0).toFixed(0)} ms`);
  useHost(own);
  return { host: own, cli: 'podman', service: ref };
}

/** Stops the podman service this provider started (by pid + start time), removes its socket and record. */
export async function stopEngine(): Promise<void> {
  const recorded = readEngineFile();
  if (recorded && isLive(recorded.service)) {
    process.kill(recorded.service.pid, 'SIGTERM');
    if (!(await waitGone([recorded.service], 5000))) {
      killRef(recorded.service);
      if (!(await waitGone([recorded.service], 3000))) throw new Error(`containers: podman service pid ${recorded.service.pid} did not stop`);
    }
  }
  rmSync(ENGINE_FILE, { force: true });
  rmSync(PODMAN_SOCKET, { force: true });
  rmSync(SERVICE_LOG, { force: true });
}
