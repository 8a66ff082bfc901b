// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only). Makes many directories at once, each with a few
// small files: `count` directories named `<prefix><5 digits from start>` directly in `root`
// (perGroup 0), or spread over `g<3 digits>/` groups of `perGroup` each, with `files` small files
// `f<i>.txt` in each. The names are its own; nothing goes through a shell.
//
// Request:  { root, prefix, start, count, perGroup, files }
// Response: { dirs, files, startedAt, doneAt }  (the node's clock, ms)
import fs from 'node:fs';

const pad = (n, w) => String(n).padStart(w, '0');

/** Makes the tree; resolves how much it made and when. */
export function main(req) {
  const startedAt = Date.now();
  let dirs = 0;
  let files = 0;
  fs.mkdirSync(req.root, { recursive: true });
  for (let i = 0; i < req.count; i++) {
    const n = req.start + i;
    const group = `g${pad(Math.floor(n / req.perGroup), 3)}`;
    const rel = req.perGroup > 0 ? `${group}/${req.prefix}${pad(n % req.perGroup, 5)}` : req.prefix + pad(n, 5);
    const dir = `${req.root}/${rel}`;
    if (req.perGroup > 0 && n % req.perGroup === 0) fs.mkdirSync(`${req.root}/${group}`, { recursive: true });
    fs.mkdirSync(dir);
    dirs++;
    for (let f = 0; f < req.files; f++) {
      fs.writeFileSync(`${dir}/f${f}.txt`, `${rel} file ${f}\n`);
      files++;
    }
  }
  return { dirs, files, startedAt, doneAt: Date.now() };
}
