// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only). Waits until a wall-clock instant, then applies a few
// operations at once: started on several nodes of one host (netns nodes share the kernel's
// clock) with the same instant, their operations land within a millisecond of each other — far
// inside the settle time, so no node can have seen another's change: truly concurrent edits.
//
// Request:  { root, at (epoch ms), ops: [op] }; op paths and contents are base64 of raw bytes:
//   { op: 'write', path, content, mtimeS? }   (mtimeS: set the file's mtime, whole seconds)
//   { op: 'unlink', path } | { op: 'rename', from, to }
// Response: { startedLateMs, doneAt } (how late after `at` the first op ran; when the last ended)
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Applies `req.ops` under `req.root` at `req.at`; resolves the result (see the header). */
export async function main(req) {
  const root = Buffer.from(req.root, 'utf8');
  const abs = (b64) => Buffer.concat([root, Buffer.from('/'), Buffer.from(b64, 'base64')]);
  const wait = req.at - Date.now();
  if (wait > 60_000) throw new Error(`race: start ${wait} ms away (more than a minute)`);
  if (wait > 0) await delay(wait);
  const startedLateMs = Date.now() - req.at;
  for (const op of req.ops) {
    switch (op.op) {
      case 'write': {
        const p = abs(op.path);
        fs.writeFileSync(p, Buffer.from(op.content, 'base64'));
        if (op.mtimeS !== undefined) fs.utimesSync(p, op.mtimeS, op.mtimeS);
        break;
      }
      case 'unlink':
        fs.unlinkSync(abs(op.path));
        break;
      case 'rename':
        fs.renameSync(abs(op.from), abs(op.to));
        break;
      default:
        throw new Error(`race: unknown op ${op.op}`);
    }
  }
  return { startedLateMs, doneAt: Date.now() };
}
