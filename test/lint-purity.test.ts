import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The lint rule that keeps the pure core pure (eslint.config.js): code placed in the pipeline or
 * the rsync tables that reaches for the file system, a process or the clock fails the lint.
 */
const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function messages(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (r?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the purity lint', () => {
  it.each([
    ['src/pipeline/x.ts', "import { readFileSync } from 'node:fs';\nexport const f = () => readFileSync('/etc/hostname');\n", /no-restricted-imports: .*no I\/O here/],
    ['src/replicate/rsync-args.ts', "import { execa } from 'execa';\nexport const f = () => execa('rsync');\n", /no-restricted-imports: .*no I\/O here/],
    ['src/replicate/rsync-exit.ts', 'export const f = () => Date.now();\n', /no-restricted-properties: .*reads no clock/],
    ['src/pipeline/settle.ts', 'export const f = (g: () => void) => setTimeout(g, 1);\n', /no-restricted-globals: .*reads no clock/],
    ['src/pipeline/y.ts', "import { realClock } from '../core/clock.js';\nexport const f = () => realClock.now();\n", /no-restricted-imports: .*reads no clock/],
    ['src/replicate/replica.ts', 'export const f = () => performance.now();\n', /no-restricted-(globals|properties): .*reads no clock/],
  ])('%s: fails on a forbidden use', async (file, code, want) => {
    expect((await messages(file, code)).join('\n')).toMatch(want);
  });

  it.each([
    ['src/pipeline/z.ts', "import type { Clock } from '../core/clock.js';\nexport const f = (c: Clock) => c.now();\n"],
    ['src/replicate/rsync-run.ts', "import { execa } from 'execa';\nexport const f = () => execa('rsync');\n"],
    ['src/core/clock.ts', 'export const f = () => performance.now();\n'],
  ])('%s: allows what is not forbidden there', async (file, code) => {
    expect(await messages(file, code)).toEqual([]);
  });
});
