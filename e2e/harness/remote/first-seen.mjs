// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only), usually in the background: sampling on the node
// costs no ssh round trip per sample and goes on while the node is off the network.
//
// Every `everyMs` it lists each watched directory and records when each name starting with its
// `prefix` was first seen — with `sizes`, each (name, size) pair instead, so a file seen at a
// size other than its final one shows up — until `stopFile` exists or `maxMs` passed.
//
// Request:  { watch: [{ dir, prefix, sizes }], stopFile, maxMs, everyMs }
// Response: { samples, seen: [{ "<name>" or "<name>\t<size>": firstSeenMs }] }  (one map per watch)
//   Times are the node's clock (ms since the epoch).
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const list = (dir) => {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
};

/** Samples until told to stop; resolves what it saw. */
export async function main(req) {
  const seen = req.watch.map(() => ({}));
  let samples = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < req.maxMs && !fs.existsSync(req.stopFile)) {
    req.watch.forEach((w, i) => {
      const into = seen[i];
      for (const name of list(w.dir)) {
        if (!name.startsWith(w.prefix)) continue;
        let key = name;
        if (w.sizes) {
          try {
            key = `${name}\t${fs.statSync(`${w.dir}/${name}`).size}`;
          } catch {
            continue; // gone meanwhile
          }
        }
        if (!(key in into)) into[key] = Date.now();
      }
    });
    samples++;
    await delay(req.everyMs);
  }
  return { samples, seen };
}
