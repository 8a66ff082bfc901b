import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { type ContainerRuntimeClient, ImageName } from 'testcontainers';
import type { Engine } from './engine.js';
import { BASE, baseTag, buildContext, imageTag } from './image-spec.js';
import { LABEL } from './layout.js';

/**
 * The node image, built here (no registry is reachable): a Debian root from debootstrap,
 * imported as the base image, then the Dockerfile of image-spec.ts built on it through the
 * engine's API. Both are tagged by a hash of their inputs and kept in the engine's store: a warm
 * run only looks them up. Nothing else is cached; a failed build leaves no temporary directory.
 */

const DEBOOTSTRAP_MS = 10 * 60_000;
const BUILD_MS = 10 * 60_000;

async function exists(client: ContainerRuntimeClient, tag: string): Promise<boolean> {
  return client.image.exists(ImageName.fromString(tag));
}

/** debootstrap → tar → `<cli> import`: the base image `tag`. */
async function buildBase(engine: Engine, tag: string, log: (line: string) => void): Promise<void> {
  const dir = await mkdtemp('/var/tmp/livemirror-e2e-base-');
  try {
    const root = path.join(dir, 'root');
    const t0 = performance.now();
    await execa('debootstrap', [`--variant=${BASE.variant}`, `--include=${BASE.include.join(',')}`, BASE.suite, root, BASE.mirror], {
      timeout: DEBOOTSTRAP_MS,
      all: true,
    }).catch((e: unknown) => {
      const out = String((e as { all?: string }).all ?? '').trim().split('\n').slice(-15).join('\n');
      throw new Error(`containers: debootstrap ${BASE.suite} failed: ${(e as Error).message.split('\n')[0]}\n${out}`, { cause: e });
    });
    const t1 = performance.now();
    const tar = path.join(dir, 'root.tar');
    await execa('tar', ['-C', root, '--numeric-owner', '-cf', tar, '.'], { timeout: DEBOOTSTRAP_MS });
    await execa(engine.cli, ['import', '--change', `LABEL ${LABEL}=image`, tar, tag], { timeout: BUILD_MS, env: { DOCKER_HOST: engine.host } });
    log(`containers: base image ${tag}: debootstrap ${((t1 - t0) / 1000).toFixed(1)} s, import ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The host's `rsync --version` first line: the nodes' rsync must be the same (it is hashed into the tag). */
async function hostRsync(): Promise<string> {
  return String((await execa('rsync', ['--version'], { timeout: 10_000 })).stdout).split('\n')[0] ?? '';
}

/** Resolves the node image's tag, building the base and the image first when they are not there. */
export async function ensureImage(client: ContainerRuntimeClient, engine: Engine, log: (line: string) => void): Promise<string> {
  const base = baseTag();
  const context = buildContext(base);
  const tag = imageTag(context, await hostRsync());
  if (await exists(client, tag)) return tag;
  if (!(await exists(client, base))) await buildBase(engine, base, log);
  const dir = await mkdtemp('/var/tmp/livemirror-e2e-image-');
  try {
    for (const [name, text] of Object.entries(context)) await writeFile(path.join(dir, name), text);
    const t0 = performance.now();
    // Host network for the build's apt-get: it needs no bridge or NAT of the engine's.
    await withTimeout(client.image.build(dir, { t: tag, dockerfile: 'Dockerfile', networkmode: 'host', labels: { [LABEL]: 'image' } }), BUILD_MS, 'image build');
    if (!(await exists(client, tag))) throw new Error(`containers: building ${tag} reported success but the image is not there`);
    log(`containers: node image ${tag} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`containers: ${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
