import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createInotifySource } from './inotify.js';
import { WatchError } from './source.js';
import type { InotifyFfi } from './sys/inotify-ffi.js';
import { IN_MASK_ADD } from './sys/inotify-event.js';

/** An FFI whose calls fail with the given errno: no kernel involved. */
function failingFfi(errno: number): InotifyFfi {
  const fail = (): number => -errno;
  return {
    inotifyInit1: fail,
    inotifyAddWatch: fail,
    inotifyRmWatch: fail,
    read: fail,
    write: fail,
    eventfd: fail,
    close: () => 0,
    pollAsync: () => Promise.resolve(0),
  };
}

describe('createInotifySource (no kernel)', () => {
  it('turns EMFILE from inotify_init1 into a WatchError naming max_user_instances', async () => {
    const source = createInotifySource({ root: '/nonexistent', isExcluded: () => false, ffi: failingFfi(constants.errno.EMFILE) });
    const err = await source.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchError);
    expect((err as WatchError).code).toBe('EMFILE');
    expect((err as WatchError).message).toMatch(/fs\.inotify\.max_user_instances.*sysctl/);
    await source.close();
    await source.close();
  });

  it('rejects start() with a WatchError when the root cannot be watched', async () => {
    let closed = 0;
    const ffi: InotifyFfi = {
      ...failingFfi(constants.errno.ENOENT),
      inotifyInit1: () => 10,
      eventfd: () => 11,
      close: () => {
        closed++;
        return 0;
      },
    };
    const source = createInotifySource({ root: '/gone', isExcluded: () => false, ffi });
    const err = await source.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchError);
    expect((err as WatchError).message).toContain('/gone');
    expect((err as WatchError).code).toBe('ENOENT');
    expect(closed).toBe(2); // both fds released on failure
    expect(source.stats()).toEqual({ watches: 0, overflows: 0 });
  });

  it('start() may be called once', async () => {
    const source = createInotifySource({ root: '/x', isExcluded: () => false, ffi: failingFfi(constants.errno.EMFILE) });
    await source.start().catch(() => undefined);
    await expect(source.start()).rejects.toThrow(/once/);
  });
});

describe('inotify_add_watch masks', () => {
  it('always carry IN_MASK_ADD, so re-adding a watch never opens a window with an empty mask', async () => {
    const masks: number[] = [];
    let wd = 0;
    const ffi: InotifyFfi = {
      ...failingFfi(constants.errno.ENOENT),
      inotifyInit1: () => 10,
      eventfd: () => 11,
      inotifyAddWatch: (_fd, _path, mask) => {
        masks.push(mask);
        return ++wd;
      },
      // An empty root: no subdirectories to walk.
    };
    const fs = await import('node:fs');
    const root = fs.mkdtempSync(`${(await import('node:os')).tmpdir()}/lm-mask-`);
    try {
      const source = createInotifySource({ root, isExcluded: () => false, ffi });
      await source.start();
      await source.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    expect(masks.length).toBeGreaterThan(0);
    for (const m of masks) expect(m & IN_MASK_ADD).toBe(IN_MASK_ADD);
  });
});
