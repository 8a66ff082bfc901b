import { z } from 'zod';
import { NODE_NAME } from '../config/schema.js';
import type { RelPath } from '../core/path.js';
import type { PathState } from './record.js';
import type { VersionVector } from './version.js';

/** One path's version in a manifest: its state (none = deleted), vector and maker. */
export interface ManifestEntry {
  p: RelPath;
  s?: PathState;
  vv: VersionVector;
  o: string;
}

/**
 * What a sender delivers to a peer's `.livemirror/inbox/` after it staged a batch's data in
 * `.livemirror/stage/<id>/`: the versions of the batch's paths. Delivered last, so its arrival
 * means the staged data is complete. `kind: 'full'` carries the sender's whole index (a full
 * sync); `info: true` marks a manifest of a mesh without protection (nothing staged: only for
 * the loop detector).
 */
export interface Manifest {
  v: 1;
  id: string;
  from: { name: string; id: string };
  seq: number;
  kind: 'batch' | 'full';
  info?: boolean;
  /** ms when the sender made it. */
  at: number;
  entries: ManifestEntry[];
}

const nodeName = z.string().regex(NODE_NAME);
const relPath = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0') && !p.startsWith('/') && !p.endsWith('/') && p.split('/').every((c) => c !== '' && c !== '.' && c !== '..'), 'not a relative path')
  .refine((p) => p !== '.livemirror' && !p.startsWith('.livemirror/'), 'inside .livemirror/');
const state = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), size: z.number().int().nonnegative(), mtimeNs: z.string().regex(/^-?\d+$/), mode: z.number().int() }),
  z.object({ type: z.literal('dir'), mode: z.number().int() }),
  z.object({ type: z.literal('symlink'), target: z.string() }),
]);
const schema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  from: z.object({ name: nodeName, id: z.string().min(1) }),
  seq: z.number().int().nonnegative(),
  kind: z.enum(['batch', 'full']),
  info: z.boolean().optional(),
  at: z.number(),
  entries: z.array(z.object({ p: relPath, s: state.optional(), vv: z.record(nodeName, z.number().int().positive()), o: nodeName })),
});

/** Manifest text (JSON; paths are latin1 byte strings, which JSON carries as \u00XX-safe text). */
export function encodeManifest(m: Manifest): string {
  return JSON.stringify(m);
}

/** Parses and validates a peer's manifest; throws with what is wrong (a bad file is never applied). */
export function decodeManifest(text: string): Manifest {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`invalid manifest: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data as Manifest;
}

/** File name of a manifest in the inbox; sorts by sender, then sequence. */
export function manifestFileName(m: Pick<Manifest, 'id'>): string {
  return `${m.id}.json`;
}

/** `<name>-<seq, 12 digits>-<id prefix>`: unique per sender and in order. */
export function manifestId(from: { name: string; id: string }, seq: number): string {
  return `${from.name}-${String(seq).padStart(12, '0')}-${from.id.slice(0, 8)}`;
}
