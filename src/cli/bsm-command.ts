import { readFileSync } from 'node:fs';
import { displayPath } from '../core/path.js';
import { decodeBsm } from '../watch/bsm/bsm-decode.js';
import { eventName } from '../watch/bsm/bsm-events.js';
import type { BsmItem } from '../watch/bsm/bsm-tokens.js';
import { EXIT, type Io } from './io.js';

/** One decoded item as the JSON line `livemirror bsm` prints (like `praudit -l`, one record a line). */
export function bsmLine(item: BsmItem): string {
  if (item.type === 'file') return JSON.stringify({ offset: item.offset, file: displayPath(item.name), time: new Date(item.time).toISOString() });
  const s = item.subject;
  const exec = item.tokens.flatMap((t) => (t.kind === 'exec-args' || t.kind === 'exec-env' ? [[t.kind === 'exec-args' ? 'execArgs' : 'execEnv', t.strings.map(displayPath)] as const] : []));
  return JSON.stringify({
    offset: item.offset,
    event: item.event,
    name: eventName(item.event) ?? null,
    time: new Date(item.time).toISOString(),
    ...(item.modifier !== 0 ? { modifier: item.modifier } : {}),
    subject: s ? { auid: s.auid, euid: s.euid, egid: s.egid, ruid: s.ruid, rgid: s.rgid, pid: s.pid, sid: s.sid } : null,
    paths: item.paths.map(displayPath),
    attributes: item.attrs.map((a) => ({ mode: a.mode.toString(8).padStart(4, '0'), uid: a.uid, gid: a.gid, fsid: a.fsid, nodeid: a.nodeid.toString(), dev: a.dev.toString() })),
    arguments: item.args.map((a) => ({ n: a.n, text: displayPath(a.text), value: a.value })),
    return: item.ret ?? null,
    texts: item.texts.map(displayPath),
    ...Object.fromEntries(exec),
  });
}

/**
 * `livemirror bsm FILE...`: decode BSM audit trails (auditd's /var/audit/*, or bytes saved from
 * /dev/auditpipe) and print one JSON line per record. Decoding errors go to stderr, naming the
 * file and byte offset; the records around them are still printed. Exit 0, or 1 when a file could
 * not be read or had an error.
 */
export function bsmCommand(files: string[], io: Io, read: (file: string) => Buffer = (f) => readFileSync(f)): number {
  let code: number = EXIT.ok;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = read(file);
    } catch (e) {
      io.err(`livemirror: ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      code = EXIT.failure;
      continue;
    }
    const r = decodeBsm(bytes);
    for (const item of r.items) io.out(bsmLine(item) + '\n');
    for (const e of r.errors) io.err(`livemirror: ${file}: offset ${e.offset}: ${e.message}\n`);
    if (r.errors.length > 0) code = EXIT.failure;
  }
  return code;
}
