import { studentTQuantile, twoSidedTP } from './distributions.js';
import type { Estimate } from './estimate.js';
import { sampleMoments } from './sample_moments.js';

export interface MeanDifferenceOptions {
  /** 'welch' (unequal variances, Welch-Satterthwaite df; R's t.test default) or 'pooled' (Student). */
  readonly variance?: 'welch' | 'pooled';
  /** Two-sided significance level; the interval has level 1 - alpha. */
  readonly alpha?: number;
}

/**
 * Difference in means between two independent groups (treatment minus control) with a
 * t-based confidence interval and two-sided p-value. The Welch form does not assume equal
 * variances; its degrees of freedom come from the Welch-Satterthwaite equation
 * (Welch BL. Biometrika 1947;34:28-35 doi:10.1093/biomet/34.1-2.28). The pooled form is the
 * classical Student two-sample t. Matches R's `t.test(x, y, var.equal = FALSE / TRUE)`.
 *
 * Used for difference in mean value at a visit, difference in mean change, and difference in
 * mean percent change: the per-twin measure is computed first, then compared here.
 *
 * O(n) time.
 *
 * @param treatment finite outcome values in the treatment arm
 * @param control finite outcome values in the control arm
 * @throws if either group has fewer than two values
 * @example
 * meanDifference([5, 6, 7], [1, 2, 3]).estimate; // => 4
 */
export function meanDifference(
  treatment: ArrayLike<number>,
  control: ArrayLike<number>,
  options: MeanDifferenceOptions = {},
): Estimate & { readonly meanTreatment: number; readonly meanControl: number; readonly sdTreatment: number; readonly sdControl: number } {
  const variance = options.variance ?? 'welch';
  const alpha = options.alpha ?? 0.05;
  const t = sampleMoments(treatment);
  const c = sampleMoments(control);
  if (t.n < 2 || c.n < 2) {
    throw new Error(`meanDifference requires at least two values per group, received ${t.n} and ${c.n}`);
  }
  const estimate = t.mean - c.mean;
  let se: number;
  let df: number;
  if (variance === 'pooled') {
    df = t.n + c.n - 2;
    const pooledVariance = ((t.n - 1) * t.variance + (c.n - 1) * c.variance) / df;
    se = Math.sqrt(pooledVariance * (1 / t.n + 1 / c.n));
  } else {
    const vt = t.variance / t.n;
    const vc = c.variance / c.n;
    se = Math.sqrt(vt + vc);
    // Welch-Satterthwaite degrees of freedom
    df = (vt + vc) ** 2 / ((vt * vt) / (t.n - 1) + (vc * vc) / (c.n - 1));
  }
  const statistic = estimate / se;
  const q = studentTQuantile(1 - alpha / 2, df);
  return {
    estimate,
    se,
    ci: [estimate - q * se, estimate + q * se],
    p: twoSidedTP(statistic, df),
    df,
    statistic,
    method: variance === 'pooled' ? 'Student two-sample t (pooled variance)' : 'Welch two-sample t',
    meanTreatment: t.mean,
    meanControl: c.mean,
    sdTreatment: Math.sqrt(t.variance),
    sdControl: Math.sqrt(c.variance),
  };
}
