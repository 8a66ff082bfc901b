/**
 * Bytes through a network interface, from /proc/net/dev: the bigfile workload's "bytes on the
 * wire". On loopback every packet is received once (and sent once) by `lo`, so the received
 * bytes of `lo` over a span count the ssh traffic of both directions — data, rsync's checksums,
 * acknowledgements and framing — once each. Anything else on the machine that talks over
 * loopback during the span counts too.
 */
import { readFileSync } from 'node:fs';

/**
 * The received bytes of `iface` in the text of /proc/net/dev (pure): the first number after
 * `iface:` (the line may have no space after the colon when the counter is wide). Throws when
 * the interface is not there.
 */
export function rxBytesOf(netDev: string, iface: string): number {
  for (const line of netDev.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== iface) continue;
    const rx = Number(line.slice(colon + 1).trim().split(/\s+/)[0]);
    if (!Number.isSafeInteger(rx) || rx < 0) throw new Error(`/proc/net/dev: no byte count for ${iface} in ${JSON.stringify(line)}`);
    return rx;
  }
  throw new Error(`/proc/net/dev: no interface ${iface}`);
}

/** The loopback interface's received bytes now. */
export const loRxBytes = (): number => rxBytesOf(readFileSync('/proc/net/dev', 'utf8'), 'lo');
