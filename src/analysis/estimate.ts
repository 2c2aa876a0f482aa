/**
 * The shape every estimator returns: a point estimate with its standard error, a 95%
 * (or 1 - alpha) interval, a two-sided p-value, and what the number means.
 */
export interface Estimate {
  /** Point estimate (treatment minus control, or a ratio for ratio measures). */
  readonly estimate: number;
  /** Standard error (on the log scale for ratio measures). */
  readonly se: number;
  /** Confidence interval [low, high] at level 1 - alpha. */
  readonly ci: readonly [number, number];
  /** Two-sided p-value against no effect (0 for differences, 1 for ratios). */
  readonly p: number;
  /** Degrees of freedom of the reference t distribution; Infinity for normal-based methods. */
  readonly df: number;
  /** Test statistic (t, z or chi-square as the method says). */
  readonly statistic: number;
  /** Human-readable method label, e.g. "Welch two-sample t". */
  readonly method: string;
}
