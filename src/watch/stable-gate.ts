import { lstatSync } from 'node:fs';
import type { Change } from '../core/change.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { joinBytes, type RelPath } from '../core/path.js';

/** A file's size and times as one comparable string; undefined when it is gone. */
export type StatFn = (abs: Buffer) => string | undefined;

export const statSnapshot: StatFn = (abs) => {
  const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  return st && `${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
};

export interface StableGateOptions {
  root: string;
  /** ms a file must stay unchanged before it first leaves. */
  quietMs: number;
  /** ms it must stay unchanged before the gate stops watching it (a later change leaves again). */
  stableForMs: number;
  /** ms between looks at the held files. */
  checkEveryMs: number;
  /** ms after which a file that never stops changing leaves anyway (and is still watched). */
  maxHoldMs: number;
  clock: Clock;
  release: (changes: Change[]) => void;
  stat?: StatFn;
}

interface Held {
  change: Change;
  snap: string | undefined;
  /** When `snap` was first seen. */
  since: number;
  /** When it last left (undefined: not yet). */
  sent?: string | undefined;
  heldSince: number;
}

/**
 * Size stability for files whose writer's close the source cannot see (linux-audit and bsm-audit
 * see the open, not the writes; poll sees a change once per pass): the settle stage marks them
 * `closeUnknown`, and this gate holds each such file until its size and times stayed the same
 * for `quietMs`, then lets it go, and keeps looking until they stayed the same for `stableForMs`:
 * a file that changes after it left (an upload that paused longer than quietMs) leaves again, so
 * the last version always reaches the replicas even when no event follows the open. Everything
 * else passes at once. Effects: lstat of held files, one timer on `clock` while any is held.
 */
export class StableGate {
  readonly #held = new Map<RelPath, Held>();
  readonly #stat: StatFn;
  #timer: TimerHandle | undefined;

  constructor(private readonly o: StableGateOptions) {
    this.#stat = o.stat ?? statSnapshot;
  }

  /** Files held or still watched. */
  get size(): number {
    return this.#held.size;
  }

  add(changes: readonly Change[]): void {
    const now = this.o.clock.now();
    const pass: Change[] = [];
    for (const c of changes) {
      if (!c.closeUnknown || c.deleted || c.isDir || c.recursive) {
        pass.push(c);
        continue;
      }
      const snap = this.#look(c.path);
      const h = this.#held.get(c.path);
      if (h) {
        h.change = { ...c, first: Math.min(h.change.first, c.first) };
        if (snap !== h.snap) Object.assign(h, { snap, since: now });
      } else {
        this.#held.set(c.path, { change: c, snap, since: now, heldSince: now });
      }
    }
    if (pass.length) this.o.release(pass);
    this.#arm();
  }

  /** Lets everything held go now (shutdown). */
  flush(): void {
    if (this.#timer !== undefined) this.o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const out = [...this.#held.values()].filter((h) => h.sent !== h.snap || h.sent === undefined).map((h) => h.change);
    this.#held.clear();
    if (out.length) this.o.release(out);
  }

  #look(path: RelPath): string | undefined {
    try {
      return this.#stat(joinBytes(this.o.root, path));
    } catch {
      return undefined;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#held.size === 0) return;
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#check();
      this.#arm();
    }, this.o.checkEveryMs);
  }

  #check(): void {
    const now = this.o.clock.now();
    const out: Change[] = [];
    for (const [path, h] of this.#held) {
      const snap = this.#look(path);
      if (snap === undefined) {
        // Gone: rsync deletes it on the replicas (--delete-missing-args); its delete event follows too.
        this.#held.delete(path);
        out.push(h.change);
        continue;
      }
      if (snap !== h.snap) Object.assign(h, { snap, since: now });
      const quiet = now - h.since;
      const due = (quiet >= this.o.quietMs && h.sent !== snap) || (now - h.heldSince >= this.o.maxHoldMs && h.sent !== snap);
      if (due) {
        out.push({ ...h.change, first: now, last: now });
        h.sent = snap;
        h.heldSince = now;
      }
      if (quiet >= this.o.stableForMs && h.sent === snap) this.#held.delete(path);
    }
    if (out.length) this.o.release(out);
  }
}
