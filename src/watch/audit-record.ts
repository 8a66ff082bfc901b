/**
 * Linux audit text records (pure): `audit(1733150000.123:4567): key=value key="value" ...`, as
 * the kernel sends them on the netlink multicast group, one record per message with its type
 * (SYSCALL 1300, PATH 1302, CWD 1307, EOE 1320, ...) in the netlink header.
 *
 * Values keep their bytes: the text is read as latin1 (one char per byte), quoted values lose
 * their quotes, and the untrusted strings the kernel hex-encodes when they hold a space, a quote
 * or a byte outside 0x21..0x7e (name, cwd, exe, comm, key, ...) are decoded back to their bytes.
 * `(null)` becomes absent.
 */
export interface AuditRecord {
  type: number;
  /** ms since the epoch, as the kernel stamped the event. */
  timeMs: number;
  /** The event's serial: every record of one event shares it. */
  serial: number;
  fields: Map<string, string>;
}

/** Fields the kernel writes with audit_log_untrustedstring (quoted, or hex when unusual). */
const UNTRUSTED = new Set(['name', 'cwd', 'exe', 'comm', 'key', 'path', 'old-name', 'new-name']);
const HEADER = /^audit\((\d+)\.(\d{3}):(\d+)\):\s?/;
const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** Parses one record's text (latin1); undefined when it does not start with the audit header. */
export function parseAuditRecord(type: number, text: string): AuditRecord | undefined {
  const m = HEADER.exec(text);
  if (!m) return undefined;
  const fields = new Map<string, string>();
  const body = text.slice(m[0].length).replace(/\0+$/, '');
  let i = 0;
  const n = body.length;
  while (i < n) {
    while (i < n && body[i] === ' ') i++;
    const eq = body.indexOf('=', i);
    if (eq < 0) break;
    const key = body.slice(i, eq);
    i = eq + 1;
    let value: string;
    let quoted = false;
    const q = body[i];
    if (q === '"' || q === "'") {
      const end = body.indexOf(q, i + 1);
      const stop = end < 0 ? n : end;
      value = body.slice(i + 1, stop);
      i = stop + 1;
      quoted = true;
    } else {
      const sp = body.indexOf(' ', i);
      const stop = sp < 0 ? n : sp;
      value = body.slice(i, stop);
      i = stop;
    }
    if (!quoted && value === '(null)') continue;
    if (!quoted && UNTRUSTED.has(key) && HEX.test(value)) value = Buffer.from(value, 'hex').toString('latin1');
    if (key !== '' && !fields.has(key)) fields.set(key, value);
  }
  return { type, timeMs: Number(m[1]) * 1000 + Number(m[2]), serial: Number(m[3]), fields };
}
