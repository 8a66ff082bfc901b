// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only). `mkdir -p dir` and one file written at once, so the
// new directories and the file appear together, as an unpacked archive would make them.
//
// Request:  { dir, file, content }
// Response: { writtenAt }  (the node's clock, ms, once the file is closed)
import fs from 'node:fs';

export function main(req) {
  fs.mkdirSync(req.dir, { recursive: true });
  fs.writeFileSync(`${req.dir}/${req.file}`, req.content);
  return { writtenAt: Date.now() };
}
