// Integration tests of the poll source on real temp dirs, with a short interval. Every wait is
// a deadline on an event (no fixed sleeps); "nothing else" is checked against a later marker:
// a pass reports everything it found in one diff, so events of a change come before the marker's.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { isWithin, type RelPath } from '../core/path.js';
import { createPollSource, type PollSourceOptions } from './poll.js';
import { WatchError, type EventSource } from './source.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(join(tmpdir(), `livemirror-poll-${tag}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

class Collector {
  readonly events: FsEvent[] = [];
  /** Index after the last event of each batch (one pass's diff may take several batches). */
  readonly batchEnds: number[] = [];
  error: unknown;
  ended = false;
  #marks = 0;

  constructor(source: EventSource) {
    void (async () => {
      try {
        for await (const batch of source.events()) {
          this.events.push(...batch);
          this.batchEnds.push(this.events.length);
        }
      } catch (err) {
        this.error = err;
      }
      this.ended = true;
    })();
  }

  async until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (this.error) throw this.error;
      if (performance.now() > deadline || this.ended) throw new Error(`timed out waiting for ${what}; events:\n${this.events.map(show).join('\n')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  find(match: Partial<FsEvent>, from = 0): number {
    return this.events.findIndex((e, i) => i >= from && Object.entries(match).every(([k, v]) => e[k as keyof FsEvent] === v));
  }

  async event(match: Partial<FsEvent>, from = 0): Promise<number> {
    await this.until(JSON.stringify(match), () => this.find(match, from) >= 0);
    return this.find(match, from);
  }

  /**
   * Runs `change`, then writes a marker once it is done and returns the events up to the end
   * of the marker's batch: what the source reported for the change (the marker comes in the
   * same pass or a later one; these diffs fit in one batch).
   */
  async around(root: string, change: () => void): Promise<string[]> {
    const from = this.events.length;
    change();
    const marker = `.mark-${++this.#marks}`;
    fs.writeFileSync(join(root, marker), '');
    const at = await this.event({ kind: 'create', path: marker }, from);
    const end = this.batchEnds.find((e) => e > at) as number;
    return this.events.slice(from, end).filter((e) => e.path !== marker).map(show);
  }
}

function show(e: FsEvent): string {
  return `${e.kind} ${e.from !== undefined ? `${e.from}>` : ''}${e.path}${e.isDir ? '/' : ''}`;
}

async function open(root: string, extra: Partial<PollSourceOptions> = {}): Promise<{ source: EventSource; c: Collector }> {
  const source = createPollSource({ root, isExcluded: () => false, intervalMs: 20, ...extra });
  cleanups.push(() => source.close());
  await source.start();
  return { source, c: new Collector(source) };
}

describe('poll source: files', () => {
  it('create, write, append, truncate, chmod, delete — one event each, no closed', async () => {
    const root = tempDir('files');
    const { c } = await open(root);
    const f = join(root, 'a.txt');
    expect(await c.around(root, () => fs.writeFileSync(f, 'hello'))).toEqual(['create a.txt']);
    expect(await c.around(root, () => fs.writeFileSync(f, 'other content'))).toEqual(['modify a.txt']);
    expect(await c.around(root, () => fs.appendFileSync(f, ' more'))).toEqual(['modify a.txt']);
    expect(await c.around(root, () => fs.truncateSync(f, 2))).toEqual(['modify a.txt']);
    expect(await c.around(root, () => fs.chmodSync(f, 0o600))).toEqual(['attrib a.txt']);
    expect(await c.around(root, () => fs.rmSync(f))).toEqual(['delete a.txt']);
    expect(c.events.every((e) => e.closed === undefined && !e.isDir)).toBe(true);
  });

  it('a rewrite at the same size within the same second is seen (ns mtime)', async () => {
    const root = tempDir('ns');
    fs.writeFileSync(join(root, 'a'), 'xxxx');
    const { c } = await open(root);
    const before = fs.statSync(join(root, 'a'), { bigint: true }).mtimeNs;
    expect(
      await c.around(root, () => {
        fs.writeFileSync(join(root, 'a'), 'yyyy');
        fs.utimesSync(join(root, 'a'), new Date(Number(before / 1_000_000n)), new Date(Number(before / 1_000_000n) + 1));
      }),
    ).toEqual(['modify a']);
  });

  it('a hard link: create of the new name, attrib of the old (its ctime)', async () => {
    const root = tempDir('link');
    fs.writeFileSync(join(root, 'a'), 'x');
    const { c } = await open(root);
    expect(await c.around(root, () => fs.linkSync(join(root, 'a'), join(root, 'b')))).toEqual(['create b', 'attrib a']);
  });

  it('a symlink is an entry of its own, never followed', async () => {
    const root = tempDir('symlink');
    const elsewhere = tempDir('elsewhere');
    const { c } = await open(root);
    expect(await c.around(root, () => fs.symlinkSync(elsewhere, join(root, 'l')))).toEqual(['create l']);
    expect(await c.around(root, () => fs.writeFileSync(join(elsewhere, 'x'), '1'))).toEqual([]);
  });

  it('a non-UTF-8 name stays byte-exact', async () => {
    const root = tempDir('bytes');
    const { c } = await open(root);
    const name = Buffer.from([0xff, 0xfe, 0x20, 0x41]);
    expect(await c.around(root, () => fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/`), name]), 'x'))).toEqual([`create ${name.toString('latin1')}`]);
  });
});

describe('poll source: renames', () => {
  it('a file, a directory, across directories, over an existing file: one move each', async () => {
    const root = tempDir('moves');
    fs.mkdirSync(join(root, 'a'));
    fs.mkdirSync(join(root, 'b'));
    fs.writeFileSync(join(root, 'a/x'), '1');
    fs.writeFileSync(join(root, 'old'), 'old');
    fs.mkdirSync(join(root, 'd/e'), { recursive: true });
    fs.writeFileSync(join(root, 'd/e/f'), 'f');
    const { c } = await open(root);
    expect(await c.around(root, () => fs.renameSync(join(root, 'a/x'), join(root, 'a/y')))).toEqual(['move a/x>a/y']);
    expect(await c.around(root, () => fs.renameSync(join(root, 'a/y'), join(root, 'b/z')))).toEqual(['move a/y>b/z']);
    expect(await c.around(root, () => fs.renameSync(join(root, 'b/z'), join(root, 'old')))).toEqual(['move b/z>old']);
    expect(
      await c.around(root, () => {
        fs.renameSync(join(root, 'd'), join(root, 'D'));
        fs.writeFileSync(join(root, 'D/e/after'), '2');
      }),
    ).toEqual(['move d>D/']);
  });

  it('a tree moved in from outside is one create, moved out one delete', async () => {
    const root = tempDir('inout');
    const outside = tempDir('outside');
    fs.mkdirSync(join(outside, 't/u'), { recursive: true });
    fs.writeFileSync(join(outside, 't/u/x'), '1');
    const { c } = await open(root);
    expect(await c.around(root, () => fs.renameSync(join(outside, 't'), join(root, 'in')))).toEqual(['create in/']);
    expect(await c.around(root, () => fs.renameSync(join(root, 'in'), join(outside, 'back')))).toEqual(['delete in/']);
  });

  it('mkdir -p and a deep write: the top directory only; a deleted tree: its top only', async () => {
    const root = tempDir('deep');
    const { c } = await open(root);
    expect(
      await c.around(root, () => {
        fs.mkdirSync(join(root, 'p/q/r/s'), { recursive: true });
        fs.writeFileSync(join(root, 'p/q/r/s/deep.txt'), 'deep');
      }),
    ).toEqual(['create p/']);
    expect(await c.around(root, () => fs.rmSync(join(root, 'p'), { recursive: true }))).toEqual(['delete p/']);
  });

  it('a type change at a path is delete + create', async () => {
    const root = tempDir('type');
    fs.writeFileSync(join(root, 'a'), 'x');
    const { c } = await open(root);
    expect(
      await c.around(root, () => {
        fs.rmSync(join(root, 'a'));
        fs.mkdirSync(join(root, 'a'));
      }),
    ).toEqual(['delete a', 'create a/']);
  });
});

describe('poll source: scope and lifecycle', () => {
  it('never reports excluded paths, nor walks below an excluded directory', async () => {
    const root = tempDir('excl');
    fs.mkdirSync(join(root, 'cache'));
    const asked: RelPath[] = [];
    const isExcluded = (p: RelPath) => {
      asked.push(p);
      return isWithin(p, 'cache') || p.endsWith('.tmp');
    };
    const { c } = await open(root, { isExcluded });
    expect(
      await c.around(root, () => {
        fs.writeFileSync(join(root, 'cache/x'), '1');
        fs.mkdirSync(join(root, 'cache/deep/er'), { recursive: true });
        fs.writeFileSync(join(root, 'a.tmp'), '1');
        fs.writeFileSync(join(root, 'kept'), '1');
      }),
    ).toEqual(['create kept']);
    expect(asked.filter((p) => p.startsWith('cache/'))).toEqual([]);
  });

  it('start() rejects when the root does not exist', async () => {
    const source = createPollSource({ root: join(tempDir('none'), 'missing'), isExcluded: () => false });
    cleanups.push(() => source.close());
    await expect(source.start()).rejects.toMatchObject({ name: 'WatchError', code: 'ROOT_GONE' });
  });

  it('the root removed → the iterator throws ROOT_GONE; the root replaced → the same', async () => {
    for (const replace of [false, true]) {
      const root = tempDir('rootgone');
      fs.writeFileSync(join(root, 'f'), '1');
      const { c } = await open(root);
      fs.rmSync(root, { recursive: true });
      if (replace) fs.mkdirSync(root);
      await c.until('the end of the iterator', () => c.ended);
      expect(c.error).toBeInstanceOf(WatchError);
      expect((c.error as WatchError).code).toBe('ROOT_GONE');
      expect((c.error as Error).message).toContain(root);
    }
  });

  it('close() ends the iterator and is idempotent; no event after it', async () => {
    const root = tempDir('close');
    const { source, c } = await open(root);
    fs.writeFileSync(join(root, 'a'), '1');
    await c.event({ kind: 'create', path: 'a' });
    await Promise.all([source.close(), source.close()]);
    await c.until('the end of the iterator', () => c.ended);
    expect(c.error).toBeUndefined();
    const n = c.events.length;
    fs.writeFileSync(join(root, 'b'), '1');
    await new Promise((r) => setTimeout(r, 100)); // five intervals: a pass would have reported b
    expect(c.events.length).toBe(n);
    await source.close();
  });

  it('stats() counts the directories walked', async () => {
    const root = tempDir('stats');
    fs.mkdirSync(join(root, 'a/b'), { recursive: true });
    const { source } = await open(root);
    expect(source.stats()).toEqual({ watches: 3, overflows: 0 });
  });
});
