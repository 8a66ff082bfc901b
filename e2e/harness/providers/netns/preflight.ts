import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Debian packages that provide what the netns provider runs (for the error message). */
const TOOLS: Readonly<Record<string, string>> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  ip: 'iproute2',
  tc: 'iproute2',
  nft: 'nftables',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  rsync: 'rsync',
  fallocate: 'util-linux',
  setsid: 'util-linux',
  timeout: 'coreutils',
  hostname: 'hostname',
  bash: 'bash',
};

function onPath(cmd: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Throws a message that says what to do unless this process can run the netns provider. */
export function preflight(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the netns cluster provider needs root (network, mount and pid namespaces, veths, tmpfs): run as root');
  }
  if (process.platform !== 'linux') throw new Error('the netns cluster provider runs on Linux only');
  const missing = Object.keys(TOOLS).filter((t) => !onPath(t));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => TOOLS[m]))].join(' ');
    throw new Error(`missing tools: ${missing.join(', ')} (apt-get install ${pkgs})`);
  }
}
