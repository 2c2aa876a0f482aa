/**
 * Ordinary least squares by Householder QR decomposition: solves min ||y - X b||^2 without
 * forming X'X, which keeps accuracy when covariates are on large scales (cholesterol in
 * mg/dL next to sex coded 0/1). Returns the coefficients, their covariance matrix
 * sigma^2 (R'R)^-1, and the residual variance on n - p degrees of freedom, as R's `lm` does.
 *
 * Golub GH, Van Loan CF. Matrix Computations, 4th ed., section 5.3 (Householder QR least squares).
 *
 * O(n p^2) time, O(n p) memory.
 *
 * @param columns the design matrix as columns (include a column of ones for an intercept)
 * @param y the response
 * @throws if the design is rank deficient or has fewer rows than columns + 1
 * @example
 * leastSquares([[1, 1, 1], [1, 2, 3]], [2, 4, 6]).coefficients; // => [0, 2]
 */
export interface LeastSquaresFit {
  readonly coefficients: Float64Array;
  /** Covariance matrix of the coefficients, row-major p x p. */
  readonly covariance: Float64Array;
  readonly residualVariance: number;
  readonly df: number;
  readonly n: number;
  readonly p: number;
  /** Residual sum of squares. */
  readonly rss: number;
}

export function leastSquares(columns: readonly ArrayLike<number>[], y: ArrayLike<number>): LeastSquaresFit {
  const p = columns.length;
  const n = y.length;
  if (n < p + 1) throw new Error(`leastSquares requires more rows than columns, received ${n} rows and ${p} columns`);
  // copy into column-major working storage
  const a: Float64Array[] = columns.map((c) => {
    if (c.length !== n) throw new Error(`leastSquares requires columns of length ${n}, received ${c.length}`);
    return Float64Array.from(c);
  });
  const b = Float64Array.from(y);
  const diagonal = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const col = a[k];
    let norm = 0;
    for (let i = k; i < n; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm);
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(col[i]));
    if (norm <= 1e-12 * Math.max(scale, 1e-300)) {
      throw new Error(`leastSquares requires a full-rank design: column ${k} is a linear combination of the others`);
    }
    const alpha = col[k] > 0 ? -norm : norm;
    // Householder vector v = x - alpha e1, stored in col[k..n)
    col[k] -= alpha;
    let vNorm2 = 0;
    for (let i = k; i < n; i++) vNorm2 += col[i] * col[i];
    // apply H = I - 2 v v' / (v'v) to the remaining columns and to b
    for (let j = k + 1; j < p; j++) {
      const cj = a[j];
      let dot = 0;
      for (let i = k; i < n; i++) dot += col[i] * cj[i];
      const f = (2 * dot) / vNorm2;
      for (let i = k; i < n; i++) cj[i] -= f * col[i];
    }
    let dotB = 0;
    for (let i = k; i < n; i++) dotB += col[i] * b[i];
    const fB = (2 * dotB) / vNorm2;
    for (let i = k; i < n; i++) b[i] -= fB * col[i];
    diagonal[k] = alpha;
  }
  // R: diagonal[k] on the diagonal, a[j][k] (k < j) above it
  const r = (row: number, col: number): number => (row === col ? diagonal[row] : a[col][row]);
  const coefficients = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let s = b[k];
    for (let j = k + 1; j < p; j++) s -= r(k, j) * coefficients[j];
    coefficients[k] = s / r(k, k);
  }
  let rss = 0;
  for (let i = p; i < n; i++) rss += b[i] * b[i];
  const df = n - p;
  const residualVariance = rss / df;
  // R^-1 (upper triangular) by back substitution, then (R'R)^-1 = R^-1 R^-T
  const rInv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    rInv[j * p + j] = 1 / r(j, j);
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r(i, k) * rInv[k * p + j];
      rInv[i * p + j] = -s / r(i, i);
    }
  }
  const covariance = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < p; k++) s += rInv[i * p + k] * rInv[j * p + k];
      covariance[i * p + j] = s * residualVariance;
      covariance[j * p + i] = s * residualVariance;
    }
  }
  return { coefficients, covariance, residualVariance, df, n, p, rss };
}
