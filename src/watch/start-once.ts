/**
 * A source's `start()` bookkeeping (source.ts): the first call runs the start, every later one
 * rejects with "start() may be called once"; `settled` resolves once that first start has
 * resolved or rejected (never rejects), so that close() can wait for a start in progress.
 */
export class StartOnce {
  #started = false;
  #settled: Promise<unknown> = Promise.resolve();

  run(start: () => Promise<void>): Promise<void> {
    if (this.#started) return Promise.reject(new Error('start() may be called once'));
    this.#started = true;
    const p = start();
    this.#settled = p.catch(() => undefined);
    return p;
  }

  /** The first start's end, whatever its outcome; resolved at once when none ran. */
  get settled(): Promise<unknown> {
    return this.#settled;
  }
}
