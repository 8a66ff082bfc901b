/**
 * A small deterministic PRNG (sfc32, seeded through cyrb128) so that a printed seed replays the
 * exact same churn. Pure: no clock, no global state.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [0, n); n ≥ 1. */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** An element chosen with the given non-negative weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** An independent generator derived from this one's seed and a label (stable across calls). */
  fork(label: string): Rng;
}

/** cyrb128: four 32-bit words from a string. */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export function createRng(seed: string): Rng {
  let [a, b, c, d] = cyrb128(seed);
  const uint32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes its state over the first dozen rounds.
  for (let i = 0; i < 15; i++) uint32();
  const next = (): number => uint32() / 4294967296;
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`int(${n}): want an integer ≥ 1`);
    return Math.floor(next() * n);
  };
  const rng: Rng = {
    next,
    uint32,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as (typeof items)[number];
    },
    weighted: (items) => {
      const total = items.reduce((s, [, w]) => s + Math.max(0, w), 0);
      if (!(total > 0)) throw new Error('weighted pick with no positive weight');
      let x = next() * total;
      for (const [item, w] of items) {
        x -= Math.max(0, w);
        if (x < 0 && w > 0) return item;
      }
      // Floating-point leftovers: the last positive weight.
      const last = [...items].reverse().find(([, w]) => w > 0);
      return (last as (typeof items)[number])[0];
    },
    fork: (label) => createRng(`${seed}/${label}`),
  };
  return rng;
}

/**
 * The seed to use: `SEED` from the environment when set (replay), else a fresh one from
 * `fresh()`. The caller prints it.
 */
export function chooseSeed(env: Readonly<Record<string, string | undefined>>, fresh: () => string): string {
  const s = env['SEED']?.trim();
  return s !== undefined && s !== '' ? s : fresh();
}
