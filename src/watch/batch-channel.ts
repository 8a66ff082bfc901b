/**
 * A bounded single-consumer queue between a producer loop and one `for await` reader.
 *
 * Contract: `push` resolves once the item is queued and there is room for the next one (so a
 * producer that awaits it is held back by a slow reader, and the kernel queue, not memory,
 * absorbs the backlog); it resolves at once after `end`/`fail`, dropping the item. `fail(err)`
 * and `end()` let the reader drain what is queued, then throw `err` / finish. One reader only.
 */
export class BatchChannel<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #done = false;
  #error: Error | undefined;
  #wakeReader: (() => void) | undefined;
  #wakeWriters: Array<() => void> = [];
  #iterated = false;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  get closed(): boolean {
    return this.#done;
  }

  async push(item: T): Promise<void> {
    if (this.#done) return;
    this.#items.push(item);
    this.#wake();
    while (!this.#done && this.#items.length >= this.#capacity) {
      await new Promise<void>((resolve) => this.#wakeWriters.push(resolve));
    }
  }

  fail(err: Error): void {
    if (this.#done) return;
    this.#error = err;
    this.end();
  }

  end(): void {
    this.#done = true;
    this.#wake();
    const writers = this.#wakeWriters;
    this.#wakeWriters = [];
    for (const w of writers) w();
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        const writers = this.#wakeWriters;
        this.#wakeWriters = [];
        for (const w of writers) w();
        return { value: item, done: false };
      }
      if (this.#done) {
        const err = this.#error;
        this.#error = undefined;
        if (err) throw err;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.#wakeReader = resolve));
    }
  }

  /** The reader's view; may be taken once. */
  iterable(): AsyncIterable<T> {
    if (this.#iterated) throw new Error('this event stream has one reader, and it is taken');
    this.#iterated = true;
    return { [Symbol.asyncIterator]: () => ({ next: () => this.next() }) };
  }

  #wake(): void {
    const w = this.#wakeReader;
    this.#wakeReader = undefined;
    w?.();
  }
}
