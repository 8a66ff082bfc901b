/**
 * Applies a mesh node's inbox in order. One pass at a time lists every manifest there and
 * applies them by name — per sender, by sequence (manifest.ts manifestId) — so a manifest never
 * goes before an earlier one of its sender, whichever trigger saw it first: the listing at start
 * and the inbox watch both only request a pass. A request while a pass runs makes one more pass
 * after it (what arrived meanwhile, in order); the promise of a request settles when the passes
 * it asked for are done.
 */
export class InboxDrain {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    /** The manifest names now in the inbox (any order). */
    private readonly list: () => Promise<string[]>,
    /** Applies one manifest and takes it out of the inbox; never rejects. */
    private readonly apply: (name: string) => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = this.passes().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      for (const name of (await this.list()).sort()) {
        if (this.stopped()) return;
        await this.apply(name);
      }
    } while (this.again && !this.stopped());
  }
}
