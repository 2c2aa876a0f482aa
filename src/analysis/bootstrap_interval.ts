import { Purpose, Rng } from '../core/rng.js';
import { quantileSorted } from './quantiles.js';

/**
 * Percentile bootstrap interval: resample participants with replacement within each arm
 * (stratified, so arm sizes stay fixed), recompute the estimator, and take the alpha/2 and
 * 1 - alpha/2 quantiles of the replicates. Resample b draws from the keyed stream
 * (seed, Purpose.bootstrap, b), so the interval is reproducible and independent of call order.
 *
 * Efron B, Tibshirani RJ. An Introduction to the Bootstrap (1993), chapter 13.
 *
 * O(samples x cost of the estimator).
 *
 * @param groups participant indices per arm
 * @param estimator recomputes the estimate from resampled indices (one array per arm)
 */
export function bootstrapInterval(
  groups: readonly Int32Array[],
  estimator: (resampled: readonly Int32Array[]) => number,
  options: { samples: number; seed: number; alpha?: number },
): { ci: [number, number]; se: number; samples: number; failed: number } {
  const alpha = options.alpha ?? 0.05;
  if (!(options.samples >= 10)) throw new Error(`bootstrapInterval requires at least 10 samples, received ${options.samples}`);
  const values: number[] = [];
  let failed = 0;
  for (let b = 0; b < options.samples; b++) {
    const rng = new Rng(options.seed, Purpose.bootstrap, b);
    const resampled = groups.map((g) => {
      const out = new Int32Array(g.length);
      for (let i = 0; i < g.length; i++) out[i] = g[rng.int(g.length)];
      return out;
    });
    let v: number;
    try {
      v = estimator(resampled);
    } catch {
      v = NaN;
    }
    if (Number.isFinite(v)) values.push(v);
    else failed++;
  }
  values.sort((a, b) => a - b);
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return {
    ci: [quantileSorted(values, alpha / 2), quantileSorted(values, 1 - alpha / 2)],
    se: Math.sqrt(ss / (values.length - 1)),
    samples: values.length,
    failed,
  };
}
