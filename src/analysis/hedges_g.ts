import { normalQuantile } from './distributions.js';
import { sampleMoments } from './sample_moments.js';

export interface HedgesG {
  readonly g: number;
  readonly se: number;
  readonly ci: readonly [number, number];
}

/**
 * Hedges' g: the standardised mean difference (treatment minus control over the pooled SD)
 * with the small-sample correction J = 1 - 3 / (4 (n1 + n2 - 2) - 1), its large-sample
 * standard error J sqrt((n1 + n2) / (n1 n2) + d^2 / (2 (n1 + n2))) and a normal interval.
 *
 * Hedges LV. J Educ Stat 1981;6:107-28 doi:10.3102/10769986006002107;
 * Borenstein M et al. Introduction to Meta-Analysis (2009), equations 4.18-4.24.
 *
 * O(n).
 *
 * @throws if either group has fewer than two values
 * @example
 * hedgesG([2, 3, 4], [1, 2, 3]).g; // => 0.8
 */
export function hedgesG(treatment: ArrayLike<number>, control: ArrayLike<number>, alpha = 0.05): HedgesG {
  const t = sampleMoments(treatment);
  const c = sampleMoments(control);
  if (t.n < 2 || c.n < 2) throw new Error(`hedgesG requires at least two participants per arm, received ${t.n} and ${c.n}`);
  const df = t.n + c.n - 2;
  const pooledSd = Math.sqrt(((t.n - 1) * t.variance + (c.n - 1) * c.variance) / df);
  const d = (t.mean - c.mean) / pooledSd;
  const correction = 1 - 3 / (4 * df - 1);
  const g = correction * d;
  // Var(d) = (n1 + n2) / (n1 n2) + d^2 / (2 (n1 + n2)); Var(g) = J^2 Var(d) (Borenstein eq. 4.20, 4.24)
  const varianceD = (t.n + c.n) / (t.n * c.n) + (d * d) / (2 * (t.n + c.n));
  const se = correction * Math.sqrt(varianceD);
  const z = normalQuantile(1 - alpha / 2);
  return { g, se, ci: [g - z * se, g + z * se] };
}
