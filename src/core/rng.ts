/**
 * Keyed random streams.
 *
 * Every random draw in vtrial comes from a stream keyed by (trial seed, twin id, purpose[, arm]),
 * so a result does not depend on the number of workers, shards or the batch size: a twin's
 * draws are the same whichever process simulates it. Paired counterfactuals use the same key
 * for a twin under every arm, so arms differ only by what the arm does.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, public domain,
 * passes PractRand to 2^60 bytes); keys are mixed into its 128-bit state with a 32-bit
 * murmur3-style finaliser. Both are a few lines, run on plain 32-bit integer arithmetic, and
 * need no BigInt.
 */

/** murmur3 fmix32: a bijective avalanche mix of a 32-bit integer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a purpose string to 32 bits (FNV-1a, then fmix32). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

/** Combine key parts into one 32-bit word. Order matters. */
export function mixKey(parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // split a possibly 53-bit integer into two 32-bit halves so large seeds keep all their bits
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = fmix32((h ^ lo) + 0x7f4a7c15);
    h = fmix32((h ^ hi) + 0x165667b1);
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  /** A stream keyed by the given parts (numbers; use hashString for names). */
  constructor(...key: number[]) {
    const k = mixKey(key);
    this.a = fmix32(k ^ 0xa341316c);
    this.b = fmix32(k ^ 0xc8013ea4);
    this.c = fmix32(k ^ 0xad90777d);
    this.d = 1;
    // warm up so that nearby keys decorrelate
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on the open interval (0, 1), 53-bit resolution. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  /** Standard normal (Marsaglia polar method; caches the second value). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Bernoulli draw with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Exponential with the given rate. */
  exponential(rate: number): number {
    return -Math.log(this.uniform()) / rate;
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), ACM TOMS 26:363-372 doi:10.1145/358407.358414. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) from two gammas. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }
}

/** Named purposes, hashed once. Keeps stream keys readable at call sites. */
export const Purpose = {
  baseline: hashString('baseline'),
  eligibility: hashString('eligibility'),
  randomise: hashString('randomise'),
  response: hashString('response'),
  latent: hashString('latent'),
  measurement: hashString('measurement'),
  adherence: hashString('adherence'),
  dropout: hashString('dropout'),
  model: hashString('model-sampling'),
  cohort: hashString('cohort'),
  replicate: hashString('replicate'),
  bootstrap: hashString('bootstrap'),
} as const;
