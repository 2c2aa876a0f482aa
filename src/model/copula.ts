/**
 * Within-visit dependence for rollouts: a Gaussian copula over the variables of one visit.
 *
 * The transformer predicts every variable of the next visit given the history, each with its
 * own mixture; sampling them independently loses the correlation of their deviations (weight,
 * BMI and waist move together; so do total and LDL cholesterol). Fed back as history,
 * independent deviations look like noise rather than change, and long rollouts become too
 * narrow. The copula restores the dependence: the normal draw behind each variable's mixture
 * component is z = L eps with L the Cholesky factor of the correlation of one-step-ahead
 * normal scores (Phi^-1 of the PIT) of co-measured variables on held-out participants. Each
 * marginal stays exactly the model's mixture.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { paddedWindows, type EncodedSet } from './tokenizer.js';
import { mixtureCdf, type TwinModel } from './twin-model.js';

export interface Copula {
  /** Variable ids, in the tokeniser's order. */
  readonly variables: readonly string[];
  /** Row-major V x V correlation matrix (positive definite after shrinkage). */
  readonly correlation: readonly number[];
  /** Shrinkage toward the identity applied to reach positive definiteness (0 = none). */
  readonly shrinkage: number;
  /** Pairs of co-measured values behind the estimate. */
  readonly pairs: number;
  /** Minimum co-measured count for a pair's correlation to be used (else 0). */
  readonly minPairs: number;
}

/** Cholesky factor (lower, row-major) of a symmetric matrix, or undefined if not positive definite. */
export function cholesky(a: readonly number[], n: number): Float64Array | undefined {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 1e-10)) return undefined;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  return L;
}

/** Estimate the copula from one-step-ahead predictions on an encoded (held-out) set. */
export function fitCopula(model: TwinModel, set: EncodedSet, minPairs = 30, batchSize = 256): Copula {
  const V = set.V;
  const n = new Float64Array(V * V), sx = new Float64Array(V * V), sy = new Float64Array(V * V);
  const sxx = new Float64Array(V * V), syy = new Float64Array(V * V), sxy = new Float64Array(V * V);
  const z = new Float64Array(V);
  const obs: number[] = [];
  let pairs = 0;
  for (let s0 = 0; s0 < set.n; s0 += batchSize) {
    const B = Math.min(batchSize, set.n - s0);
    const batch = paddedWindows(set, Array.from({ length: B }, (_, i) => s0 + i));
    const mix = model.predict(batch.x, B, set.T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < set.T; t++) {
        const base = (b * set.T + t) * V;
        obs.length = 0;
        for (let v = 0; v < V; v++) {
          if (!batch.m[base + v]) continue;
          const pit = mixtureCdf(mix, (base + v) * mix.K, batch.y[base + v]!);
          z[v] = normalQuantile(Math.min(Math.max(pit, 1e-6), 1 - 1e-6), 0, 1);
          obs.push(v);
        }
        for (const i of obs) for (const j of obs) {
          if (j <= i) continue;
          const k = i * V + j;
          n[k]!++; sx[k] += z[i]!; sy[k] += z[j]!; sxx[k] += z[i]! * z[i]!; syy[k] += z[j]! * z[j]!; sxy[k] += z[i]! * z[j]!;
          pairs++;
        }
      }
    }
  }
  const R = new Array<number>(V * V).fill(0);
  for (let i = 0; i < V; i++) {
    R[i * V + i] = 1;
    for (let j = i + 1; j < V; j++) {
      const k = i * V + j;
      const c = n[k]!;
      if (c < minPairs) continue;
      const cov = sxy[k]! / c - (sx[k]! / c) * (sy[k]! / c);
      const vi = sxx[k]! / c - (sx[k]! / c) ** 2, vj = syy[k]! / c - (sy[k]! / c) ** 2;
      const r = vi > 0 && vj > 0 ? cov / Math.sqrt(vi * vj) : 0;
      R[i * V + j] = R[j * V + i] = Math.max(-0.99, Math.min(0.99, r));
    }
  }
  // pairwise estimates need not form a positive-definite matrix: shrink toward I until they do
  let lambda = 0;
  let C = R;
  while (!cholesky(C, V)) {
    lambda = Math.min(1, lambda + 0.02);
    C = R.map((r, k) => (k % (V + 1) === 0 ? 1 : (1 - lambda) * r));
  }
  return { variables: model.tokenizer.measured.map((m) => m.id), correlation: C, shrinkage: lambda, pairs, minPairs };
}
