import { checkIface, checkIpv4, checkPort, type Command } from './host-runner.js';

/**
 * Linux network faults as nftables rule text (pure). Everything lives in one table of our own,
 * `inet livemirror_e2e`, so the host's own rules are never touched and removing the table undoes
 * every fault:
 *  - partition: the set @blocked; what comes from or goes to an address in it is dropped
 *    (chains `block_in`/`block_out`);
 *  - disconnect: chains `disc_in`/`disc_out` drop everything on the cluster interface except
 *    the controller's ssh (so the harness still drives the host, like a console would);
 *    reconnect deletes the two chains.
 * Each script is one nft transaction (`nft -f -`) and idempotent.
 */

export const NFT_TABLE = 'livemirror_e2e';

/** Where the controller's ssh reaches the host: its address as the host sees it, and sshd's port. */
export interface ControllerSsh {
  readonly address: string;
  readonly port: number;
}

const base = (): string[] => [`add table inet ${NFT_TABLE}`];

function blockBase(): string[] {
  return [
    ...base(),
    `add set inet ${NFT_TABLE} blocked { type ipv4_addr; }`,
    `add chain inet ${NFT_TABLE} block_in { type filter hook input priority 0; policy accept; }`,
    `add chain inet ${NFT_TABLE} block_out { type filter hook output priority 0; policy accept; }`,
    `flush chain inet ${NFT_TABLE} block_in`,
    `flush chain inet ${NFT_TABLE} block_out`,
    `add rule inet ${NFT_TABLE} block_in ip saddr @blocked drop`,
    `add rule inet ${NFT_TABLE} block_out ip daddr @blocked drop`,
  ];
}

/** The table and the disconnect chains (made if absent, so that a flush or delete never fails). */
const discBase = (): string[] => [
  ...base(),
  `add chain inet ${NFT_TABLE} disc_in { type filter hook input priority -10; policy accept; }`,
  `add chain inet ${NFT_TABLE} disc_out { type filter hook output priority -10; policy accept; }`,
];

const script = (lines: readonly string[]): string => lines.join('\n') + '\n';

/** Drop everything to and from `peer`. */
export function nftPartition(peer: string): Command {
  return { argv: ['nft', '-f', '-'], stdin: script([...blockBase(), `add element inet ${NFT_TABLE} blocked { ${checkIpv4(peer)} }`]) };
}

/** Undo nftPartition(peer); fine when it was never made. */
export function nftHeal(peer: string): Command {
  return {
    argv: ['nft', 'delete', 'element', 'inet', NFT_TABLE, 'blocked', `{ ${checkIpv4(peer)} }`],
    okIf: /No such file or directory|does not exist/i,
  };
}

/** Drop everything on `iface` except the controller's ssh session(s). */
export function nftDisconnect(iface: string, controller: ControllerSsh): Command {
  const i = checkIface(iface);
  const c = checkIpv4(controller.address);
  const p = checkPort(controller.port);
  return {
    argv: ['nft', '-f', '-'],
    stdin: script([
      ...discBase(),
      `flush chain inet ${NFT_TABLE} disc_in`,
      `flush chain inet ${NFT_TABLE} disc_out`,
      `add rule inet ${NFT_TABLE} disc_in iifname "${i}" ip saddr ${c} tcp dport ${p} accept`,
      `add rule inet ${NFT_TABLE} disc_in iifname "${i}" drop`,
      `add rule inet ${NFT_TABLE} disc_out oifname "${i}" ip daddr ${c} tcp sport ${p} accept`,
      `add rule inet ${NFT_TABLE} disc_out oifname "${i}" drop`,
    ]),
  };
}

/** Undo nftDisconnect (the chains are made empty first, so this holds when there were none). */
export function nftReconnect(): Command {
  return {
    argv: ['nft', '-f', '-'],
    stdin: script([
      ...discBase(),
      `delete chain inet ${NFT_TABLE} disc_in`,
      `delete chain inet ${NFT_TABLE} disc_out`,
    ]),
  };
}

/** Every network fault gone: the table removed (fine when there is none). */
export function nftRemoveAll(): Command {
  return { argv: ['nft', 'delete', 'table', 'inet', NFT_TABLE], okIf: /No such file or directory|does not exist/i };
}
