import { createHash } from 'node:crypto';
import { BASE_REPO, IMAGE_REPO } from './layout.js';

/**
 * What the node image is built from, as data: the debootstrap base (suite, variant, mirror) and
 * the Dockerfile on top of it. Pure; image.ts does the building. Each image's tag is a hash of
 * its inputs, so a warm run finds the image by name and skips the build, and any change to an
 * input (or to the host's rsync, which the image must match) builds a new one.
 */

export interface BaseSpec {
  readonly suite: string;
  readonly variant: string;
  readonly mirror: string;
  readonly securityMirror: string;
  /** Packages debootstrap adds to its variant. */
  readonly include: readonly string[];
}

export const BASE: BaseSpec = {
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  securityMirror: 'http://deb.debian.org/debian-security',
  include: ['ca-certificates'],
};

/** What a node runs: sshd, the rsync daemon and client, and the tools the harness's faults and scripts call. */
export const NODE_PACKAGES = [
  'openssh-server',
  'openssh-client',
  'rsync',
  'procps',
  'iproute2',
  'nftables',
  'curl',
  'util-linux',
  'coreutils',
  'findutils',
  'psmisc',
] as const;

export function hashOf(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}\n`);
  return h.digest('hex').slice(0, 16);
}

export function baseTag(spec: BaseSpec = BASE): string {
  return `${BASE_REPO}:${hashOf(['base v1', spec.suite, spec.variant, spec.mirror, ...spec.include])}`;
}

/** The apt sources of a node: the suite, its updates and security (what the host has, so rsync matches). */
export function aptSources(spec: BaseSpec = BASE): string {
  return [
    `deb ${spec.mirror} ${spec.suite} main`,
    `deb ${spec.mirror} ${spec.suite}-updates main`,
    `deb ${spec.securityMirror} ${spec.suite}-security main`,
  ].join('\n') + '\n';
}

/** The Dockerfile of the node image, FROM the imported debootstrap base. */
export function dockerfile(base: string, packages: readonly string[] = NODE_PACKAGES): string {
  return [
    `FROM ${base}`,
    'ENV DEBIAN_FRONTEND=noninteractive',
    'COPY sources.list /etc/apt/sources.list',
    'RUN apt-get update -qq \\',
    ' && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade \\',
    ` && apt-get install -y -qq --no-install-recommends ${packages.join(' ')} \\`,
    ' && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/ssh/ssh_host_* \\',
    ' && mkdir -p /run/sshd /srv /run/lm-node',
    // The node's own sshd and rsyncd configs come from the harness (NODE_RUN_DIR); nothing starts by default.
    'CMD ["/bin/bash", "/run/lm-node/init.sh"]',
    '',
  ].join('\n');
}

/** Everything in the build context, by file name. */
export function buildContext(base: string, spec: BaseSpec = BASE): Record<string, string> {
  return { Dockerfile: dockerfile(base), 'sources.list': aptSources(spec) };
}

/**
 * The node image's tag: a hash of the build context and of the host's rsync version line (the
 * nodes' rsync must speak what the host's does; a host upgrade makes a new image).
 */
export function imageTag(context: Record<string, string>, hostRsync: string): string {
  const files = Object.keys(context)
    .sort()
    .flatMap((k) => [k, context[k] ?? '']);
  return `${IMAGE_REPO}:${hashOf(['node v1', ...files, hostRsync.trim()])}`;
}
