/**
 * The tree oracle for integration tests on local directories: a thin front end over the one
 * digest the e2e nodes run too (e2e/harness/remote/digest.mjs, called in-process by
 * e2e/harness/local-tree.ts), and the harness's bounded poll.
 *
 *  digestTree(root)                      path (latin1 byte string) → entry text
 *  diffTrees(a, b, limit = 20)           readable differences
 *  awaitConverged(source, replicas, deadlineMs = 20 000, intervalMs = 50)   → ms it took
 *  waitFor(cond, what, deadlineMs = 10 000, intervalMs = 20)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
export {
  awaitDirsConverged as awaitConverged,
  diffDirs as diffTrees,
  digestDir as digestTree,
  type LocalDigest as TreeDigest,
} from '../../e2e/harness/local-tree.js';
export { waitUntil as waitFor } from '../../e2e/harness/poll.js';

/**
 * Samples the size of `name` on every replica every 20 ms (at most 10,000 rounds) until `stop()`,
 * which resolves the sizes seen: a test of uploads checks that none was partial.
 */
export function sampleSizes(replicas: readonly string[], name: string): { stop: () => Promise<number[]> } {
  const seen: number[] = [];
  let on = true;
  const done = (async () => {
    for (let i = 0; on && i < 10_000; i++) {
      for (const r of replicas) {
        const f = path.join(r, name);
        if (existsSync(f)) seen.push(readFileSync(f).length);
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await done;
      return seen;
    },
  };
}
