import { normalQuantile, twoSidedZP } from './distributions.js';
import type { Estimate } from './estimate.js';

/**
 * A ratio estimate with its Wald interval and z test on the log scale: exp(log ratio +/- z se).
 * Shared by the risk ratio and the odds ratio, which differ only in how the log ratio and its
 * standard error come from the 2x2 table.
 *
 * O(1).
 *
 * @example
 * logScaleWald(Math.log(1.5), 0.25, 0.05, 'risk ratio').estimate; // => 1.5
 */
export function logScaleWald(logEstimate: number, se: number, alpha: number, method: string): Estimate {
  const z = normalQuantile(1 - alpha / 2);
  const statistic = logEstimate / se;
  return {
    estimate: Math.exp(logEstimate),
    se,
    ci: [Math.exp(logEstimate - z * se), Math.exp(logEstimate + z * se)],
    p: twoSidedZP(statistic),
    df: Infinity,
    statistic,
    method,
  };
}
