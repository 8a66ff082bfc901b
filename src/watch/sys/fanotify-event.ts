/**
 * fanotify's wire format in FID reporting mode (linux/fanotify.h), parsed into plain records.
 * Pure: bytes in, records out; the host's byte order (the kernel writes native integers).
 */

// fanotify_init flags
export const FAN_CLOEXEC = 0x1;
export const FAN_NONBLOCK = 0x2;
export const FAN_CLASS_NOTIF = 0x0;
export const FAN_UNLIMITED_QUEUE = 0x10;
export const FAN_REPORT_FID = 0x200;
export const FAN_REPORT_DIR_FID = 0x400;
export const FAN_REPORT_NAME = 0x800;
export const FAN_REPORT_DFID_NAME = FAN_REPORT_DIR_FID | FAN_REPORT_NAME;
// fanotify_mark flags
export const FAN_MARK_ADD = 0x1;
export const FAN_MARK_REMOVE = 0x2;
export const FAN_MARK_FILESYSTEM = 0x100;
// event mask bits
export const FAN_MODIFY = 0x2;
export const FAN_ATTRIB = 0x4;
export const FAN_CLOSE_WRITE = 0x8;
export const FAN_MOVED_FROM = 0x40;
export const FAN_MOVED_TO = 0x80;
export const FAN_CREATE = 0x100;
export const FAN_DELETE = 0x200;
export const FAN_DELETE_SELF = 0x400;
export const FAN_MOVE_SELF = 0x800;
export const FAN_Q_OVERFLOW = 0x4000;
export const FAN_RENAME = 0x10000000;
export const FAN_ONDIR = 0x40000000;
// info record types
export const FAN_EVENT_INFO_TYPE_FID = 1;
export const FAN_EVENT_INFO_TYPE_DFID_NAME = 2;
export const FAN_EVENT_INFO_TYPE_DFID = 3;
export const FAN_EVENT_INFO_TYPE_OLD_DFID_NAME = 10;
export const FAN_EVENT_INFO_TYPE_NEW_DFID_NAME = 12;

export const FANOTIFY_METADATA_VERSION = 3;
/** sizeof(struct fanotify_event_metadata). */
export const METADATA_BYTES = 24;
/** open(2) flags used with open_by_handle_at and for the mount fd. */
export const O_PATH = 0o10000000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
export const O_RDONLY = 0;

/** A directory as fanotify names it: its filesystem id and file handle. */
export interface DirHandle {
  /** fsid + handle type + handle bytes as one string: the cache key. */
  key: string;
  /** A struct file_handle ready for open_by_handle_at. */
  handle: Buffer;
}

/** One entry name in a directory (`name` latin1 bytes; '.' or '' means the directory itself). */
export interface DirEntryRef {
  dir: DirHandle;
  name: string;
}

export interface FanotifyRecord {
  mask: number;
  pid: number;
  /** DFID_NAME (or DFID): the directory and the entry the event is about. */
  entry?: DirEntryRef;
  /** FAN_RENAME: where it was and where it went. */
  from?: DirEntryRef;
  to?: DirEntryRef;
}

/** Parses `n` bytes of fanotify_event_metadata records (with their info records). */
export function parseFanotifyEvents(buf: Buffer, n: number, le: boolean): FanotifyRecord[] {
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const i32 = (o: number) => (le ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const u64lo = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o + 4));
  const out: FanotifyRecord[] = [];
  let off = 0;
  while (off + METADATA_BYTES <= n) {
    const len = u32(off);
    if (len < METADATA_BYTES || off + len > n) throw new Error(`fanotify: bad event length ${len} at offset ${off} of ${n}`);
    const vers = buf[off + 4];
    if (vers !== FANOTIFY_METADATA_VERSION) throw new Error(`fanotify: metadata version ${vers}, expected ${FANOTIFY_METADATA_VERSION}`);
    const metaLen = u16(off + 6);
    const rec: FanotifyRecord = { mask: u64lo(off + 8), pid: i32(off + 20) };
    let info = off + metaLen;
    while (info + 4 <= off + len) {
      const type = buf[info] as number;
      const infoLen = u16(info + 2);
      if (infoLen < 4 || info + infoLen > off + len) throw new Error(`fanotify: bad info record length ${infoLen}`);
      if (type === FAN_EVENT_INFO_TYPE_DFID_NAME || type === FAN_EVENT_INFO_TYPE_DFID || type === FAN_EVENT_INFO_TYPE_OLD_DFID_NAME || type === FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
        const ref = parseFid(buf, info, infoLen, type !== FAN_EVENT_INFO_TYPE_DFID, u32);
        if (type === FAN_EVENT_INFO_TYPE_OLD_DFID_NAME) rec.from = ref;
        else if (type === FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) rec.to = ref;
        else rec.entry = ref;
      }
      info += infoLen;
    }
    out.push(rec);
    off += len;
  }
  return out;
}

/** struct fanotify_event_info_fid: header (4), fsid (8), file_handle (8 + handle_bytes), [name\0]. */
function parseFid(buf: Buffer, at: number, len: number, withName: boolean, u32: (o: number) => number): DirEntryRef {
  const fsid = buf.subarray(at + 4, at + 12);
  const handleBytes = u32(at + 12);
  const handle = Buffer.from(buf.subarray(at + 12, at + 20 + handleBytes));
  let name = '';
  if (withName) {
    const start = at + 20 + handleBytes;
    const end = buf.indexOf(0, start);
    name = buf.toString('latin1', start, end < 0 || end > at + len ? at + len : end);
  }
  return { dir: { key: fsid.toString('latin1') + handle.toString('latin1'), handle }, name };
}
