import type { ProcessSignal } from '../../cluster.js';
import type { Command } from './host-runner.js';

const SIGNALS: readonly ProcessSignal[] = ['TERM', 'KILL', 'INT', 'HUP', 'STOP', 'CONT', 'USR1', 'USR2'];

/** `kill -SIG PID` (the same on Linux and FreeBSD). */
export function killCommand(pid: number, signal: ProcessSignal): Command {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  if (!SIGNALS.includes(signal)) throw new Error(`invalid signal ${String(signal)}`);
  return { argv: ['kill', `-${signal}`, String(pid)] };
}
