import { describe, expect, it } from 'vitest';
import { InboxDrain } from './inbox-drain.js';

/** An inbox of names; applying one takes it out and notes it; `during` runs inside an apply. */
function inbox(names: string[], during: (name: string, drain: InboxDrain) => void = () => {}) {
  const files = new Set(names);
  const applied: string[] = [];
  let stop = false;
  const drain: InboxDrain = new InboxDrain(
    () => Promise.resolve([...files].reverse()),
    async (name) => {
      await Promise.resolve();
      during(name, drain);
      files.delete(name);
      applied.push(name);
    },
    () => stop,
  );
  return { files, applied, drain, stopNow: () => (stop = true) };
}

describe('InboxDrain', () => {
  it('applies what is there by name: per sender, by sequence', async () => {
    const b = inbox(['n2-000000000002-a', 'n1-000000000010-b', 'n2-000000000001-a', 'n1-000000000009-b']);
    await b.drain.request();
    expect(b.applied).toEqual(['n1-000000000009-b', 'n1-000000000010-b', 'n2-000000000001-a', 'n2-000000000002-a']);
  });

  it('a manifest that arrives (and is seen by the watch) during a pass goes after the earlier ones still listed', async () => {
    // The restart of mesh-4way: the listing at start had n4's 1..3; n4's 4 arrived while 1 was applied.
    const b = inbox(['n4-000000000001-x', 'n4-000000000002-x', 'n4-000000000003-x'], (name, drain) => {
      if (name === 'n4-000000000001-x') {
        b.files.add('n4-000000000004-x');
        void drain.request(); // the watch
      }
    });
    await b.drain.request();
    expect(b.applied).toEqual(['n4-000000000001-x', 'n4-000000000002-x', 'n4-000000000003-x', 'n4-000000000004-x']);
  });

  it('a request while a pass runs settles when the extra pass is done; none after a stop', async () => {
    const b = inbox(['a-1'], (name, drain) => {
      if (name === 'a-1') {
        b.files.add('a-2');
        void drain.request().then(() => expect(b.applied).toContain('a-2'));
      }
      if (name === 'a-2') {
        b.files.add('a-3');
        b.stopNow();
        void drain.request();
      }
    });
    await b.drain.request();
    expect(b.applied).toEqual(['a-1', 'a-2']);
    expect([...b.files]).toEqual(['a-3']);
  });
});
