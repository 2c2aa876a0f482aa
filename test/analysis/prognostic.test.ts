import { describe, expect, it } from 'vitest';
import { procova } from '../../src/analysis/prognostic.js';
import { Rng, hashString } from '../../src/core/rng.js';

describe('procova', () => {
  // outcome = prognostic signal + noise + effect; the score sees the signal, the baseline part of it
  const n = 400;
  const base = new Float64Array(n);
  const signal = new Float64Array(n);
  const y = new Float64Array(n);
  const treated = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Rng(3, i, hashString('procova-test'));
    base[i] = 140 + 10 * r.normal();
    signal[i] = 0.5 * (base[i] - 140) + 6 * r.normal(); // prognostic information beyond baseline
    treated[i] = i % 2;
    y[i] = signal[i] + 4 * r.normal() - 5 * treated[i];
  }

  it('reduces residual variance and reports the equivalent sample size, with an unbiased estimate', () => {
    const res = procova(y, treated, { baseline: base }, signal);
    expect(res.varianceReduction).toBeGreaterThan(0.5);
    expect(res.prognostic.se).toBeLessThan(res.standard.se);
    expect(res.equivalentSampleSize).toBeCloseTo(n / (1 - res.varianceReduction), 9);
    expect(res.sampleSizeGain).toBeGreaterThan(n);
    expect(res.prognostic.ci[0]).toBeLessThan(-5);
    expect(res.prognostic.ci[1]).toBeGreaterThan(-5);
    expect(res.controlCorrelation).toBeGreaterThan(0.7);
  });

  it('gains nothing from a score that is pure noise', () => {
    const noise = Float64Array.from({ length: n }, (_, i) => new Rng(9, i, hashString('noise')).normal());
    const res = procova(y, treated, { baseline: base }, noise);
    expect(Math.abs(res.varianceReduction)).toBeLessThan(0.03);
  });
});
