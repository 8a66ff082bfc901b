/**
 * The most a live replica's lag may reach while another replica is down or failing, for the
 * integration tests and the e2e scenarios alike. A live replica blocked behind a dead one shows a
 * lag as long as the outage (60 s in farm-1to4, 30 s in faults and daemon.itest.ts), so 10 s
 * tells "blocked" from "working" with a wide margin either way: a working daemon stays well under
 * it even on a busy 2-core machine (seen: 0.4-1.7 s at worst), a blocked one passes it long
 * before the outage ends. The one-second lag is a product goal, measured by `npm run bench` and
 * reported by the scenarios as figures (p50, p99, max), not a CI gate.
 */
export const LIVE_LAG_BOUND_MS = 10_000;
