import os from 'node:os';
import path from 'node:path';

/*
 * The little of the config that the light commands (status, release) need, without the schema
 * (zod) or the YAML parser: `livemirror status` must answer fast.
 */

/** One thing wrong with a config: the field (`replicas[2].target`, '' for the whole) and what was expected. */
export interface ConfigProblem {
  field: string;
  detail: string;
}

/**
 * A config that cannot be used. Its message has one line per problem, each naming the origin
 * (file or "command line"), the field and what was expected; `field`/`detail` are the first.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(
    readonly origin: string,
    field: string,
    detail: string,
    more: readonly ConfigProblem[] = [],
  ) {
    const problems = [{ field, detail }, ...more];
    super(problems.map((p) => `${origin}: ${p.field ? `${p.field}: ` : ''}${p.detail}`).join('\n'));
    this.problems = problems;
  }

  get field(): string {
    return this.problems[0]?.field ?? '';
  }

  get detail(): string {
    return this.problems[0]?.detail ?? '';
  }
}

/** Where `livemirror status` finds a daemon when no socket is named. */
export function defaultStatusSocket(): string {
  if (process.getuid?.() === 0) return '/run/livemirror.sock';
  const dir = process.env['XDG_RUNTIME_DIR'] ?? os.tmpdir();
  return path.join(dir, `livemirror-${process.getuid?.() ?? 'user'}.sock`);
}
