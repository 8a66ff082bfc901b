import type { InventoryOs } from '../../../../vagrant/inventory-format.js';
import type { ControllerSsh } from '../faults/nft.js';

/** What a host says about the controller's session: `$SSH_CONNECTION` = "client port server port". */
export function parseSshConnection(text: string): ControllerSsh | undefined {
  const [client, , , serverPort] = text.trim().split(/\s+/);
  if (!client || !/^\d{1,3}(\.\d{1,3}){3}$/.test(client)) return undefined;
  const port = Number(serverPort);
  return Number.isInteger(port) && port > 0 ? { address: client, port } : undefined;
}

/**
 * The interface holding `address`: from `ip -o -4 addr show` (Linux) or `ifconfig` (FreeBSD).
 * Undefined when no interface has it.
 */
export function interfaceOf(os: InventoryOs, text: string, address: string): string | undefined {
  if (os === 'linux') {
    for (const line of text.split('\n')) {
      // "2: eth0    inet 10.213.7.11/24 brd 10.213.7.255 scope global eth0\       valid_lft forever ..."
      const m = /^\d+:\s+([^\s@:]+)(?:@\S+)?\s+inet\s+([\d.]+)\//.exec(line);
      if (m && m[2] === address) return m[1];
    }
    return undefined;
  }
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^([A-Za-z0-9_.-]+): flags=/.exec(line);
    if (head) {
      current = head[1];
      continue;
    }
    const m = /^\s+inet\s+([\d.]+)\s/.exec(line);
    if (m && m[1] === address && current) return current;
  }
  return undefined;
}

/** argv that lists the host's IPv4 addresses by interface. */
export function addressListArgv(os: InventoryOs): string[] {
  return os === 'linux' ? ['ip', '-o', '-4', 'addr', 'show'] : ['ifconfig', '-a', 'inet'];
}
