/**
 * Builds the containers provider's node image (or finds it, when warm) and prints its tag and
 * how long that took; stops the podman service it started. NEEDS ROOT with podman.
 *
 *   npx tsx e2e/harness/providers/containers/build-image.ts
 *
 * `up()` does the same on its own; ci/containers.sh calls this first to time the build apart.
 */
import { ensureEngine, stopEngine } from './engine.js';
import { ensureImage } from './image.js';

const log = (line: string): void => console.log(line);

async function main(): Promise<void> {
  const t0 = performance.now();
  const engine = await ensureEngine(log);
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const tag = await ensureImage(await getContainerRuntimeClient(), engine, log);
    log(`containers: node image ${tag} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (engine ${engine.host})`);
  } finally {
    if (engine.service) await stopEngine();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
