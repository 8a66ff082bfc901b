import { existsSync } from 'node:fs';
import type { ClusterProvider } from '../cluster.js';

/**
 * The cluster providers, by the name `npm run e2e -- --provider NAME` takes. Each is loaded only
 * when chosen (a provider may need packages or tools the others do not).
 *
 * How a scenario process learns its provider: `E2E_PROVIDER` (default `netns`) and, for the
 * providers that read one, `E2E_INVENTORY` (a path). e2e/run.ts sets both from its flags.
 */
export interface ProviderOptions {
  /** An inventory file of existing hosts (the ssh provider). */
  readonly inventory?: string;
}

export const PROVIDERS: Record<string, (o: ProviderOptions) => Promise<ClusterProvider>> = {
  netns: async () => new (await import('./netns.js')).NetnsProvider(),
  ssh: async (o) => new (await import('./ssh.js')).SshProvider(o.inventory),
  containers: async () => new (await import('./containers.js')).ContainersProvider(),
};

/** Providers that cannot run without an inventory file. */
export const NEEDS_INVENTORY: readonly string[] = ['ssh'];

export const DEFAULT_PROVIDER = 'netns';

/** Why provider `name` cannot run with `o`, or undefined: an unknown name (the known ones
 *  listed), an inventory missing where one is needed, or named but absent. */
export function providerProblem(name: string, o: ProviderOptions = {}): string | undefined {
  if (!Object.hasOwn(PROVIDERS, name)) return `unknown provider '${name}' (known: ${Object.keys(PROVIDERS).join(', ')})`;
  if (o.inventory === undefined && NEEDS_INVENTORY.includes(name)) return `the ${name} provider needs an inventory: --inventory FILE (or E2E_INVENTORY=FILE); format: vagrant/README.md`;
  if (o.inventory !== undefined && !existsSync(o.inventory)) return `--inventory ${o.inventory}: no such file`;
  return undefined;
}

/** The provider named `name`; throws what providerProblem says. */
export async function providerByName(name: string, o: ProviderOptions = {}): Promise<ClusterProvider> {
  const problem = providerProblem(name, o);
  const make = PROVIDERS[name];
  if (problem !== undefined || !make) throw new Error(problem);
  return await make(o);
}

/** The provider this process was started for (E2E_PROVIDER, E2E_INVENTORY). */
export async function providerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ClusterProvider> {
  return await providerByName(env.E2E_PROVIDER || DEFAULT_PROVIDER, env.E2E_INVENTORY ? { inventory: env.E2E_INVENTORY } : {});
}
