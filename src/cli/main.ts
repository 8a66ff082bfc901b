#!/usr/bin/env node
import './threadpool.js';
import { defaultIo } from './io.js';
import { plainStatusArgs, showStatus } from './status-command.js';

// `livemirror --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });

// The fast path (issue #8: status answers in ≤ 100 ms): the plain forms of `status` print
// without loading commander (~20 ms) or node:http (~15-20 ms); every other form, -c/--config and
// --help included, goes to commander as before. hyperfine against a running daemon, 2 cores, no
// NODE_EXTRA_CA_CERTS: 146 ± 6 → 101 ± 5 ms, `node -e 0` being 67 ± 3 ms (README, "status").
const plainStatus = plainStatusArgs(process.argv.slice(2));
process.exitCode = plainStatus ? await showStatus(plainStatus, defaultIo) : await (await import('./program.js')).runCli(process.argv);
