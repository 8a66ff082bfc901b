import type { RelPath } from './path.js';

/**
 * A mesh node's own directory at the top of its tree: never replicated, never content.
 *   node.json   this node's name and id (peers read it to catch two nodes with one name)
 *   state/      the per-path version database (mesh/state-db.ts)
 *   inbox/      manifests peers delivered, applied in order (mesh/inbox.ts)
 *   stage/<id>/ the data of a peer's batch, until its manifest is applied
 *   scratch/    what an apply replaces, kept until checked
 */
export const MESH_DIR = '.livemirror';

export const meshRel = {
  nodeFile: `${MESH_DIR}/node.json`,
  state: `${MESH_DIR}/state`,
  inbox: `${MESH_DIR}/inbox`,
  stage: `${MESH_DIR}/stage`,
  scratch: `${MESH_DIR}/scratch`,
} as const;

/** True for the mesh directory and everything below it. */
export function isMeshPath(p: RelPath): boolean {
  return p === MESH_DIR || p.startsWith(`${MESH_DIR}/`);
}
