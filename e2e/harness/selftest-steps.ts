/**
 * A tiny step runner for self-test scripts: each step is timed and reported; the first failure
 * stops the remaining steps (they depend on each other) but never the cleanup.
 */
export interface StepRunner {
  /** Runs `fn` unless an earlier step failed; resolves its value (undefined when skipped or failed). */
  step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
  readonly failed: boolean;
  /** Prints every step with its time and a closing `N passed, N failed` line. */
  summary(): string;
}

export function stepRunner(log: (line: string) => void = console.log): StepRunner {
  const results: { name: string; ok: boolean; ms: number; error?: string }[] = [];
  let failed = false;
  return {
    get failed() {
      return failed;
    },
    async step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
      if (failed) {
        results.push({ name, ok: false, ms: 0, error: 'skipped' });
        return undefined;
      }
      const t0 = performance.now();
      try {
        const v = await fn();
        const ms = performance.now() - t0;
        results.push({ name, ok: true, ms });
        log(`  ok   ${name} (${ms.toFixed(0)} ms)`);
        return v;
      } catch (e) {
        const ms = performance.now() - t0;
        failed = true;
        const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
        results.push({ name, ok: false, ms, error });
        log(`  FAIL ${name} (${ms.toFixed(0)} ms)\n${error}`);
        return undefined;
      }
    },
    summary() {
      const lines = results.map((r) => `${r.ok ? 'ok  ' : r.error === 'skipped' ? 'skip' : 'FAIL'} ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`);
      const passed = results.filter((r) => r.ok).length;
      lines.push(`${passed} passed, ${results.length - passed} failed`);
      return lines.join('\n');
    },
  };
}

/** Throws `message` unless `cond`. */
export function check(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}
