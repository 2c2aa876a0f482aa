/**
 * Sample moments: the mean and the unbiased (n - 1) variance of a sample, computed in one
 * pass with Welford's update, which stays accurate when the mean is large relative to the
 * spread (blood pressure in mmHg, cholesterol in mg/dL).
 *
 * Welford BP. Technometrics 1962;4:419-20 doi:10.1080/00401706.1962.10490022
 *
 * O(n) time, O(1) memory.
 *
 * @example
 * sampleMoments([1, 2, 3, 4, 5]); // => { n: 5, mean: 3, variance: 2.5 }
 */
export interface SampleMoments {
  readonly n: number;
  readonly mean: number;
  /** Unbiased sample variance (divisor n - 1); NaN when n < 2. */
  readonly variance: number;
}

export function sampleMoments(x: ArrayLike<number>): SampleMoments {
  let n = 0;
  let mean = 0;
  let sumSquaredDeviations = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    n++;
    const delta = v - mean;
    mean += delta / n;
    sumSquaredDeviations += delta * (v - mean);
  }
  const besselsCorrection = n - 1;
  return { n, mean: n > 0 ? mean : NaN, variance: n > 1 ? sumSquaredDeviations / besselsCorrection : NaN };
}

/** The finite values of x (complete cases), as a new Float64Array. */
export function finiteValues(x: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) count++;
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) out[j++] = x[i];
  return out;
}
