#!/usr/bin/env node
import './threadpool.js';
import { runCli } from './program.js';

// `livemirror --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });

process.exitCode = await runCli(process.argv);
