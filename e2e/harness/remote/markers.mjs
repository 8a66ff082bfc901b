// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only), usually in the background. Writes a small marker
// file `<prefix>NNNNN` into `dir` every `everyMs` (written and closed at once) until `stopFile`
// exists, `maxMs` passed or `max` markers are written. Another node's first sight of a marker
// (first-seen.mjs) minus its write time is the end-to-end replication delay, as long as the
// nodes share a clock (namespaces and containers share the machine's).
//
// Request:  { dir, prefix, stopFile, maxMs, everyMs, max }
// Response: { "<name>": writtenMs }
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** Writes markers until told to stop; resolves when each was written. */
export async function main(req) {
  fs.mkdirSync(req.dir, { recursive: true });
  const written = {};
  const t0 = Date.now();
  for (let i = 0; i < req.max && Date.now() - t0 < req.maxMs && !fs.existsSync(req.stopFile); i++) {
    const name = req.prefix + String(i).padStart(5, '0');
    fs.writeFileSync(`${req.dir}/${name}`, `marker ${i}\n`);
    written[name] = Date.now();
    await delay(req.everyMs);
  }
  return written;
}
