/**
 * The nft rule text of the netns and containers providers' network faults, applied inside a node
 * (nsenter, or exec as root with NET_ADMIN). Pure: tested cell by cell in nft.test.ts.
 *
 * Two tables of their own, so the faults compose: `lm_fault` drops traffic to and from the
 * addresses in its set @blocked (partition), `lm_down` drops everything but loopback (the host is
 * off the network). Each script is one transaction and idempotent.
 */

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function checkAddress(a: string): string {
  if (!IPV4.test(a) || a.split('.').some((p) => Number(p) > 255)) throw new Error(`invalid address ${a}`);
  return a;
}

/** Makes (or refreshes) the partition table and adds `peer` to @blocked. */
export function blockScript(peer: string): string {
  return (
    [
      'add table inet lm_fault',
      'add set inet lm_fault blocked { type ipv4_addr; }',
      'add chain inet lm_fault input { type filter hook input priority 0; policy accept; }',
      'add chain inet lm_fault output { type filter hook output priority 0; policy accept; }',
      'flush chain inet lm_fault input',
      'flush chain inet lm_fault output',
      'add rule inet lm_fault input ip saddr @blocked drop',
      'add rule inet lm_fault output ip daddr @blocked drop',
      `add element inet lm_fault blocked { ${checkAddress(peer)} }`,
    ].join('\n') + '\n'
  );
}

/** argv that removes `peer` from @blocked (fails harmlessly when the table or element is absent). */
export function unblockArgv(peer: string): string[] {
  return ['nft', 'delete', 'element', 'inet', 'lm_fault', 'blocked', `{ ${checkAddress(peer)} }`];
}

/** Host down: every packet in or out that is not loopback is dropped (the table is made afresh). */
export function downScript(): string {
  return (
    [
      'add table inet lm_down',
      'delete table inet lm_down',
      'add table inet lm_down',
      'add chain inet lm_down input { type filter hook input priority -10; policy drop; }',
      'add chain inet lm_down output { type filter hook output priority -10; policy drop; }',
      'add rule inet lm_down input iifname "lo" accept',
      'add rule inet lm_down output oifname "lo" accept',
    ].join('\n') + '\n'
  );
}

/** Host back: the down table goes (made first so that the delete never fails). */
export function upScript(): string {
  return ['add table inet lm_down', 'delete table inet lm_down'].join('\n') + '\n';
}

/** A heal that found nothing to remove (never partitioned) is fine; anything else is an error. */
export function isAbsentError(stderr: string): boolean {
  return /No such file or directory|does not exist/i.test(stderr);
}
