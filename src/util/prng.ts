/**
 * The one PRNG: mulberry32 with the state wrapped to 32 bits on every step (the widely copied
 * `a += 0x6D2B79F5` form never wraps and diverges after ~4.9M draws). mulberry32 is Tommy
 * Ettinger's public-domain generator, as collected in bryc/code `jshash/PRNGs.md`; the PyTorch
 * reference fixtures the tests compare against fill their weights with this wrapping form.
 * Returns doubles in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
