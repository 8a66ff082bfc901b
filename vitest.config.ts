import { defineConfig } from 'vitest/config';

// Two tiers (DESIGN.md, style rule 10): pure unit tests beside the code, and integration tests
// that run real rsync and real inotify on temp dirs, named *.itest.ts. test/support/ holds the
// fixtures both share (fake clock, rsync daemon, tree oracle), with tests of their own.
// Every inotify source holds one libuv pool thread in poll(2) (src/cli/threadpool.ts); the
// mesh tests run four daemons with two sources each in one process. Test files run in forked
// processes, which inherit this.
process.env['UV_THREADPOOL_SIZE'] ??= '16';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts', 'vagrant/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.itest.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Integration tests share the CPU with rsync and the daemon; run files one at a time so
          // their latency figures and the inotify limits they change do not collide.
          fileParallelism: false,
        },
      },
    ],
  },
});
