import { checkIface, checkIpv4, checkPort, type Command } from './host-runner.js';
import type { ControllerSsh } from './nft.js';

/**
 * FreeBSD network faults as pf rule text (pure). The host's pf.conf has `anchor "livemirror-e2e"`
 * (vagrant/provision-freebsd.sh puts it there and enables pf); every fault is a ruleset loaded
 * into that anchor with `pfctl -a livemirror-e2e -f -`, regenerated whole from the host's fault
 * state on each change, so the host's own rules are never touched and flushing the anchor undoes
 * every fault. Rules are `quick` and stateless blocks; states of the affected peers are killed so
 * that established connections stop too.
 */

export const PF_ANCHOR = 'livemirror-e2e';

export interface PfFaultState {
  /** Addresses partitioned from this host. */
  readonly blocked: readonly string[];
  /** Set while the host is disconnected: its cluster interface and the controller's ssh. */
  readonly disconnected?: { readonly iface: string; readonly controller: ControllerSsh } | undefined;
}

/** The anchor's ruleset for `state` ('' when there is no fault). */
export function pfRules(state: PfFaultState): string {
  const lines: string[] = [];
  if (state.disconnected) {
    const i = checkIface(state.disconnected.iface);
    const c = checkIpv4(state.disconnected.controller.address);
    const p = checkPort(state.disconnected.controller.port);
    lines.push(
      `pass quick on ${i} proto tcp from ${c} to any port ${p} no state`,
      `pass quick on ${i} proto tcp from any port ${p} to ${c} no state`,
      `block drop quick on ${i} all`,
    );
  }
  for (const peer of [...new Set(state.blocked)].sort()) {
    const a = checkIpv4(peer);
    lines.push(`block drop quick from ${a} to any`, `block drop quick from any to ${a}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Loads `state` into the anchor (an empty state flushes it). */
export function pfLoad(state: PfFaultState): Command {
  const rules = pfRules(state);
  return rules ? { argv: ['pfctl', '-q', '-a', PF_ANCHOR, '-f', '-'], stdin: rules } : pfFlush();
}

/** Every rule of the anchor gone (fine when it is empty). */
export function pfFlush(): Command {
  return { argv: ['pfctl', '-q', '-a', PF_ANCHOR, '-F', 'rules'], okIf: /./ };
}

/** Kills the states to and from `address` (so a block also stops established connections). */
export function pfKillStates(address: string): Command[] {
  const a = checkIpv4(address);
  return [
    { argv: ['pfctl', '-q', '-k', a], okIf: /./ },
    { argv: ['pfctl', '-q', '-k', '0.0.0.0/0', '-k', a], okIf: /./ },
  ];
}

/** Lists the anchors of the loaded ruleset (pfAnchorCalled reads the answer). */
export function pfCheck(): Command {
  return { argv: ['pfctl', '-s', 'Anchors'] };
}

/** True when `pfctl -s Anchors` output lists our anchor. */
export function pfAnchorCalled(text: string): boolean {
  return text.split('\n').some((l) => l.trim() === PF_ANCHOR);
}
