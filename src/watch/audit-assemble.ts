import { AUDIT_EOE } from './sys/audit-netlink.js';
import type { AuditRecord } from './audit-record.js';

/** The records of one audit event (one serial), in arrival order, EOE excluded. */
export interface AuditGroup {
  serial: number;
  records: AuditRecord[];
}

/** What the assembler hands on: a complete event, or serials that never came (lost records). */
export type Assembled = { kind: 'event'; group: AuditGroup } | { kind: 'lost'; serials: number };

export interface AssemblerOptions {
  /** ms an event without EOE waits for more records before it is handed on as it is. */
  eventTimeoutMs: number;
  /** ms a missing serial may arrive late (records of concurrent syscalls interleave) before it counts as lost. */
  gapWaitMs: number;
  /** Missing serials tracked at most; a bigger gap counts as lost at once. */
  maxPendingGaps: number;
}

/**
 * Groups audit records into events by serial (pure; time is an argument), after go-libaudit's
 * reassembler: an event is complete at its EOE record, or `eventTimeoutMs` after its last record
 * for events without one (single-record events). Serials are consecutive in the kernel: one that
 * is skipped and has not come within `gapWaitMs` was lost (dropped for the backlog, the rate limit
 * or a full socket) and is reported as `lost`. Records older than the first serial seen, or of an
 * event already handed on, are dropped (the kernel does not send them).
 */
export class AuditAssembler {
  readonly #open = new Map<number, { records: AuditRecord[]; last: number }>();
  /** serial → time by which it must have come. */
  readonly #missing = new Map<number, number>();
  #max = -1;

  constructor(private readonly o: AssemblerOptions) {}

  push(r: AuditRecord, now: number, out: Assembled[]): void {
    if (this.#max < 0) this.#max = r.serial - 1;
    if (r.serial > this.#max) {
      const skipped = r.serial - this.#max - 1;
      if (skipped > 0) {
        if (this.#missing.size + skipped > this.o.maxPendingGaps) out.push({ kind: 'lost', serials: skipped });
        else for (let s = this.#max + 1; s < r.serial; s++) this.#missing.set(s, now + this.o.gapWaitMs);
      }
      this.#max = r.serial;
    } else if (this.#missing.delete(r.serial)) {
      // a late serial: it was not lost after all
    } else if (!this.#open.has(r.serial)) {
      return; // already handed on
    }
    if (r.type === AUDIT_EOE) {
      const ev = this.#open.get(r.serial);
      this.#open.delete(r.serial);
      out.push({ kind: 'event', group: { serial: r.serial, records: ev?.records ?? [] } });
      return;
    }
    const ev = this.#open.get(r.serial);
    if (ev) {
      ev.records.push(r);
      ev.last = now;
    } else {
      this.#open.set(r.serial, { records: [r], last: now });
    }
  }

  /** Hands on events whose wait ran out and reports serials that never came. */
  expire(now: number, out: Assembled[]): void {
    for (const [serial, ev] of this.#open) {
      if (now - ev.last >= this.o.eventTimeoutMs) {
        this.#open.delete(serial);
        out.push({ kind: 'event', group: { serial, records: ev.records } });
      }
    }
    let lost = 0;
    for (const [serial, deadline] of this.#missing) {
      if (now >= deadline) {
        this.#missing.delete(serial);
        lost++;
      }
    }
    if (lost > 0) out.push({ kind: 'lost', serials: lost });
  }

  /** ms until the next expire() has work, or undefined when nothing waits. */
  nextDeadline(now: number): number | undefined {
    let next: number | undefined;
    for (const ev of this.#open.values()) next = Math.min(next ?? Infinity, ev.last + this.o.eventTimeoutMs - now);
    for (const d of this.#missing.values()) next = Math.min(next ?? Infinity, d - now);
    return next === undefined ? undefined : Math.max(0, next);
  }
}
