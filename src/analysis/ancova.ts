import { studentTQuantile, twoSidedTP } from './distributions.js';
import type { Estimate } from './estimate.js';
import { leastSquares, type LeastSquaresFit } from './least_squares.js';

export interface AncovaOptions {
  readonly alpha?: number;
}

/**
 * Analysis of covariance: the treatment effect as the coefficient of a 0/1 treatment
 * indicator in the linear model outcome ~ 1 + treatment + baseline + other covariates,
 * with a t-based interval on the residual degrees of freedom. Equivalent to R's
 * `lm(y ~ treat + base + ...)`. For change-from-baseline endpoints it is the
 * recommended primary analysis (EMA Guideline on adjustment for baseline covariates,
 * EMA/CHMP/295050/2013; Vickers AJ, Altman DG. BMJ 2001;323:1123-4 doi:10.1136/bmj.323.7321.1123).
 *
 * Rows with any missing value (NaN) are dropped (complete-case).
 *
 * O(n p^2) time.
 *
 * @param y outcome per participant
 * @param treated 1 for treatment, 0 for control, per participant
 * @param covariates named covariate columns (baseline first by convention)
 * @throws if fewer than two complete cases remain in either group, or the design is singular
 * @example
 * ancova([1, 2, 3, 5, 6, 8], [0, 0, 0, 1, 1, 1], { base: [0, 1, 2, 1, 2, 3] }).estimate;
 */
export function ancova(
  y: ArrayLike<number>,
  treated: ArrayLike<number>,
  covariates: Readonly<Record<string, ArrayLike<number>>>,
  options: AncovaOptions = {},
): Estimate & { readonly nTreatment: number; readonly nControl: number; readonly fit: LeastSquaresFit; readonly terms: readonly string[] } {
  const alpha = options.alpha ?? 0.05;
  const names = Object.keys(covariates);
  const keep: number[] = [];
  let nTreatment = 0;
  let nControl = 0;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) continue;
    let ok = true;
    for (const name of names) if (!Number.isFinite(covariates[name][i])) ok = false;
    if (!ok) continue;
    keep.push(i);
    if (treated[i] === 1) nTreatment++;
    else nControl++;
  }
  if (nTreatment < 2 || nControl < 2) {
    throw new Error(`ancova requires at least two complete cases per group, received ${nTreatment} and ${nControl}`);
  }
  const n = keep.length;
  const ones = new Float64Array(n).fill(1);
  const treatColumn = new Float64Array(n);
  const response = new Float64Array(n);
  const covColumns = names.map(() => new Float64Array(n));
  keep.forEach((row, i) => {
    treatColumn[i] = treated[row] === 1 ? 1 : 0;
    response[i] = y[row];
    names.forEach((name, j) => (covColumns[j][i] = covariates[name][row]));
  });
  const fit = leastSquares([ones, treatColumn, ...covColumns], response);
  const estimate = fit.coefficients[1];
  const se = Math.sqrt(fit.covariance[1 * fit.p + 1]);
  const statistic = estimate / se;
  const q = studentTQuantile(1 - alpha / 2, fit.df);
  return {
    estimate,
    se,
    ci: [estimate - q * se, estimate + q * se],
    p: twoSidedTP(statistic, fit.df),
    df: fit.df,
    statistic,
    method: names.length ? `ANCOVA (OLS) adjusted for ${names.join(', ')}` : 'OLS (unadjusted)',
    nTreatment,
    nControl,
    fit,
    terms: ['(intercept)', 'treatment', ...names],
  };
}
