/**
 * Distribution functions used by the estimators, from @stdlib (well-kept, tested against
 * Boost and R) rather than written by hand. Thin typed wrappers so every estimator imports
 * one place and the degrees-of-freedom edge cases are handled once.
 */
import tCdfImpl from '@stdlib/stats-base-dists-t-cdf';
import tQuantileImpl from '@stdlib/stats-base-dists-t-quantile';
import normalCdfImpl from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileImpl from '@stdlib/stats-base-dists-normal-quantile';
import chisqCdfImpl from '@stdlib/stats-base-dists-chisquare-cdf';
import chisqQuantileImpl from '@stdlib/stats-base-dists-chisquare-quantile';

/** Student t cumulative distribution function P(T <= x) with df degrees of freedom (df may be fractional, Welch). */
export function studentTCdf(x: number, df: number): number {
  return tCdfImpl(x, df);
}

/** Student t quantile: the x with P(T <= x) = p. */
export function studentTQuantile(p: number, df: number): number {
  return tQuantileImpl(p, df);
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** Standard normal quantile (probit). */
export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** Chi-square CDF with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  return chisqCdfImpl(x, k);
}

/** Chi-square quantile with k degrees of freedom. */
export function chiSquareQuantile(p: number, k: number): number {
  return chisqQuantileImpl(p, k);
}

/** Two-sided p-value of a t statistic: 2 P(T >= |t|). */
export function twoSidedTP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  // 2 * lower tail of -|t| keeps precision for large |t|
  return Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
}

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedZP(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? NaN : 0;
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** Upper tail P(X >= x) of a chi-square with k degrees of freedom. */
export function chiSquareUpperP(x: number, k: number): number {
  if (!(x > 0)) return x === 0 ? 1 : NaN;
  return 1 - chiSquareCdf(x, k);
}
