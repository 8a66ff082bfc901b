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
export {
  awaitDirsConverged as awaitConverged,
  diffDirs as diffTrees,
  digestDir as digestTree,
  type LocalDigest as TreeDigest,
} from '../../e2e/harness/local-tree.js';
export { waitUntil as waitFor } from '../../e2e/harness/poll.js';
