import { chiSquareUpperP, studentTQuantile, twoSidedTP } from './distributions.js';
import { leastSquares } from './least_squares.js';

export interface SubgroupInteraction {
  /** Wald chi-square of the treatment-by-subgroup interaction terms (levels - 1 df). */
  readonly statistic: number;
  readonly df: number;
  readonly p: number;
}

/**
 * Test of treatment-by-subgroup interaction on observed (randomised) data: the linear model
 * y ~ treat * subgroup (subgroup as indicator columns for levels 2..k), with a Wald
 * chi-square test that the k - 1 interaction coefficients are zero. This is the test a trial
 * statistician runs for a pre-specified subgroup (Wang R et al. N Engl J Med 2007;357:2189-94
 * doi:10.1056/NEJMsr077003). Rows with any missing value are dropped.
 *
 * O(n k^2).
 *
 * @param level subgroup level per participant (0..k-1; negative or NaN = unknown)
 */
export function subgroupInteraction(y: ArrayLike<number>, treated: ArrayLike<number>, level: ArrayLike<number>, levels: number): SubgroupInteraction {
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i]) && level[i] >= 0 && level[i] < levels) rows.push(i);
  const n = rows.length;
  const cols: Float64Array[] = [new Float64Array(n).fill(1), Float64Array.from(rows, (i) => (treated[i] === 1 ? 1 : 0))];
  for (let l = 1; l < levels; l++) cols.push(Float64Array.from(rows, (i) => (level[i] === l ? 1 : 0)));
  for (let l = 1; l < levels; l++) cols.push(Float64Array.from(rows, (i) => (level[i] === l && treated[i] === 1 ? 1 : 0)));
  const fit = leastSquares(cols, Float64Array.from(rows, (i) => y[i]));
  const k = levels - 1;
  const first = 2 + k;
  // W = b' V^-1 b over the interaction block, V inverted by Gauss-Jordan (k is small)
  const v: number[][] = [];
  for (let a = 0; a < k; a++) {
    v.push([]);
    for (let b = 0; b < k; b++) v[a].push(fit.covariance[(first + a) * fit.p + first + b]);
  }
  const b = Array.from({ length: k }, (_, j) => fit.coefficients[first + j]);
  const solved = solveSmall(v, b);
  const statistic = b.reduce((s, bj, j) => s + bj * solved[j], 0);
  return { statistic, df: k, p: chiSquareUpperP(statistic, k) };
}

function solveSmall(a: number[][], b: number[]): number[] {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= k; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row, i) => row[k] / row[i]);
}

/** One-sample t interval of a mean (used for mean individual effects within a subgroup). */
export function meanInterval(x: ArrayLike<number>, alpha = 0.05): { mean: number; ci: [number, number]; p: number; n: number } {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  if (n < 2) return { mean: n ? mean : NaN, ci: [NaN, NaN], p: NaN, n };
  const se = Math.sqrt(m2 / (n - 1) / n);
  const q = studentTQuantile(1 - alpha / 2, n - 1);
  return { mean, ci: [mean - q * se, mean + q * se], p: se > 0 ? twoSidedTP(mean / se, n - 1) : mean === 0 ? 1 : 0, n };
}
