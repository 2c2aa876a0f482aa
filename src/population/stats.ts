/**
 * Small numeric helpers for the population generator and the reference world: the standard
 * normal CDF and quantile (from @stdlib), and truncated-normal draws on a keyed stream.
 */
import { createRequire } from 'node:module';
import type { Rng } from '../core/rng.js';

// @stdlib packages are CommonJS; loaded through require so their default export is the function.
const require = createRequire(import.meta.url);
const stdNormalCdf = require('@stdlib/stats-base-dists-normal-cdf') as (x: number, mu: number, sigma: number) => number;
const stdNormalQuantile = require('@stdlib/stats-base-dists-normal-quantile') as (p: number, mu: number, sigma: number) => number;

/** Standard normal CDF (@stdlib/stats-base-dists-normal-cdf). */
export function normCdf(x: number): number {
  return stdNormalCdf(x, 0, 1);
}

/** Standard normal quantile (@stdlib/stats-base-dists-normal-quantile). */
export function normQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return stdNormalQuantile(p, 0, 1);
}

/** Probability that a standard normal lies in [lo, hi]. */
export function normInterval(lo: number, hi: number): number {
  if (lo > 0) return normCdf(-lo) - normCdf(-hi);
  return normCdf(hi) - normCdf(lo);
}

/** Draw a standard normal truncated to [lo, hi] by inversion (stable in either tail). */
export function truncNormal(rng: Rng, lo: number, hi: number): number {
  const u = rng.uniform();
  if (lo > 0) {
    // upper tail: work with the mirrored lower tail for precision
    const a = normCdf(-hi);
    const b = normCdf(-lo);
    const z = -normQuantile(a + u * (b - a));
    return Math.min(Math.max(z, lo), hi);
  }
  const a = normCdf(lo);
  const b = normCdf(hi);
  const z = normQuantile(a + u * (b - a));
  return Math.min(Math.max(z, lo), hi);
}

/** Linear interpolation over anchors at ages 30, 50 and 70 (band midpoints of 20-39/40-59/60-80), flat outside. */
export function byAge(anchors: readonly [number, number, number], age: number): number {
  if (age <= 30) return anchors[0];
  if (age <= 50) return anchors[0] + ((anchors[1] - anchors[0]) * (age - 30)) / 20;
  if (age <= 70) return anchors[1] + ((anchors[2] - anchors[1]) * (age - 50)) / 20;
  return anchors[2];
}
