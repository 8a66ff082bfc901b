/**
 * Checks that the containers provider left nothing on this machine (leftovers.ts: labelled
 * containers and networks, its files, the podman service, exec monitors). NEEDS ROOT.
 *
 *   npx tsx e2e/harness/providers/containers/check-leftovers.ts [SUMMARY.json]
 *
 * Prints what is left; exits 1 if anything is. With a path, also writes one e2e-style summary
 * result there (ci/containers.sh: it counts in CI's closing line).
 */
import { writeFileSync } from 'node:fs';
import { findContainerLeftovers } from './leftovers.js';

const summary = process.argv[2];
const left = await findContainerLeftovers();
for (const l of left) console.error(`containers: left behind: ${l}`);
if (left.length === 0) console.log('containers: nothing left behind');
if (summary) {
  const result = { name: 'containers: nothing left behind', passed: left.length === 0, durationMs: 0, figures: {}, checks: [], ...(left.length ? { error: left.join('; ') } : {}) };
  writeFileSync(summary, `${JSON.stringify({ passed: left.length === 0 ? 1 : 0, failed: left.length === 0 ? 0 : 1, results: [result] })}\n`);
}
process.exit(left.length === 0 ? 0 : 1);
