import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The pure core (DESIGN.md, style rule 1): the pipeline, rsync's argument, exit-code and stderr
 * tables, backoff and the shared vocabulary do no I/O and never read the time themselves. Time
 * comes in as an argument or a Clock parameter (core/clock.ts, the one place that may read it).
 */
const PURE = [
  'src/pipeline/**/*.ts',
  'src/core/**/*.ts',
  'src/replicate/rsync-args.ts',
  'src/replicate/rsync-exit.ts',
  'src/replicate/rsync-stderr.ts',
  'src/replicate/rsync-stats.ts',
  'src/replicate/backoff.ts',
  'src/replicate/report-format.ts',
  'src/observe/status-format.ts',
  'src/replicate/ssh/ssh-args.ts',
];
const IO_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'dgram', 'worker_threads', 'timers', 'timers/promises'];
const pureMessage = 'pure code: no I/O here (DESIGN.md rule 1); take a collaborator as a parameter instead';
const clockMessage = 'src/ reads no clock of its own: take the time as an argument or a Clock parameter (core/clock.ts, the only place that reads it)';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'demo/source/', 'demo/replicas/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='shell'][value.value=true]", message: 'Never run a shell: pass an argument array.' },
      ],
    },
  },
  {
    // Time (DESIGN.md rule 2): so that the whole daemon can run on a fake clock.
    files: ['src/**/*.ts'],
    ignores: ['src/core/clock.ts', '**/*.test.ts', '**/*.itest.ts'],
    rules: {
      'no-restricted-globals': ['error', ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'performance'].map((name) => ({ name, message: clockMessage }))],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: clockMessage },
        { object: 'performance', property: 'now', message: clockMessage },
        { object: 'process', property: 'hrtime', message: clockMessage },
      ],
    },
  },
  {
    files: PURE,
    ignores: ['src/core/clock.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: pureMessage })),
            { name: 'execa', message: pureMessage },
            { name: 'ssh2', message: pureMessage },
          ],
          patterns: [{ group: ['**/core/clock.js', './clock.js'], allowTypeImports: true, message: clockMessage }],
        },
      ],
    },
  },
);
