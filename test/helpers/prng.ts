/**
 * The one seeded PRNG of the tests (mulberry32): a failing fuzz, soak or split
 * can be replayed exactly from the seed it printed.
 */

/** A function returning numbers in [0, 1), the same sequence for the same seed. */
export type Rand = () => number;

export function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
