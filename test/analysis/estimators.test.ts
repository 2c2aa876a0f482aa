import { describe, expect, it } from 'vitest';
import { hedgesG } from '../../src/analysis/hedges_g.js';
import { meanDifference } from '../../src/analysis/mean_difference.js';
import { oddsRatio } from '../../src/analysis/odds_ratio.js';
import { riskRatio } from '../../src/analysis/risk_ratio.js';
import { leastSquares } from '../../src/analysis/least_squares.js';
import { bootstrapInterval } from '../../src/analysis/bootstrap_interval.js';
import { identicalArmsSpec, renderPowerSummary } from '../../src/analysis/power.js';
import { endpoint, makeSpec } from './helpers.js';

/** A sample with exactly the given mean and SD (standardised pattern, rescaled). */
function sample(n: number, mean: number, sd: number): number[] {
  const z = Array.from({ length: n }, (_, i) => i - (n - 1) / 2);
  const s = Math.sqrt(z.reduce((a, x) => a + x * x, 0) / (n - 1));
  return z.map((x) => mean + (sd * x) / s);
}

describe('hedgesG', () => {
  it("matches Borenstein et al.'s worked example (Introduction to Meta-Analysis, 2009, section 4.5)", () => {
    // means 103 vs 100, SDs 5.5 vs 4.5, n 50 per group: d = 0.5970, J = 0.9923, g = 0.5924, Vg = 0.0411
    const res = hedgesG(sample(50, 103, 5.5), sample(50, 100, 4.5));
    expect(res.g).toBeCloseTo(0.5924, 4);
    expect(res.se ** 2).toBeCloseTo(0.0411, 4);
    expect(res.ci[0]).toBeCloseTo(0.5924 - 1.959964 * Math.sqrt(0.04114), 2);
  });
  it('requires two participants per arm', () => {
    expect(() => hedgesG([1], [1, 2])).toThrow('hedgesG requires at least two participants per arm');
  });
});

describe('estimator edge cases', () => {
  it('meanDifference names the group sizes when too small', () => {
    expect(() => meanDifference([1], [2, 3])).toThrow(/at least two values per group, received 1 and 2/);
  });
  it('ratio measures add 0.5 to every cell with a zero cell, and say so', () => {
    const rr = riskRatio(0, 20, 5, 20);
    expect(rr.method).toMatch(/0\.5 added/);
    expect(rr.estimate).toBeCloseTo(0.5 / 21 / (5.5 / 21), 12);
    expect(oddsRatio(0, 20, 5, 20).estimate).toBeCloseTo((0.5 * 15.5) / (20.5 * 5.5), 12);
  });
  it('leastSquares rejects a rank-deficient design', () => {
    expect(() => leastSquares([[1, 1, 1, 1], [2, 2, 2, 2]], [1, 2, 3, 4])).toThrow(/full-rank/);
  });
  it('bootstrapInterval is reproducible from its seed and differs across seeds', () => {
    const groups = [Int32Array.from([0, 1, 2, 3, 4, 5]), Int32Array.from([6, 7, 8, 9, 10, 11])];
    const y = [5, 6, 7, 8, 9, 4, 1, 2, 3, 2, 1, 0];
    const stat = (g: readonly Int32Array[]): number =>
      g[0].reduce((s, i) => s + y[i], 0) / g[0].length - g[1].reduce((s, i) => s + y[i], 0) / g[1].length;
    const a = bootstrapInterval(groups, stat, { samples: 300, seed: 1 });
    const b = bootstrapInterval(groups, stat, { samples: 300, seed: 1 });
    const c = bootstrapInterval(groups, stat, { samples: 300, seed: 2 });
    expect(a.ci).toEqual(b.ci);
    expect(a.ci).not.toEqual(c.ci);
    expect(a.ci[0]).toBeLessThan(stat(groups));
    expect(a.ci[1]).toBeGreaterThan(stat(groups));
  });
});

describe('power helpers', () => {
  it('identicalArmsSpec gives the treatment arm the control arm interventions', () => {
    const spec = makeSpec([endpoint({ name: 'e' })]);
    const withDiet = { ...spec, arms: [spec.arms[0], { ...spec.arms[1], interventions: [{ kind: 'placebo' } as never] }] };
    const same = identicalArmsSpec(withDiet, 'e');
    expect(same.arms[1].interventions).toEqual(same.arms[0].interventions);
    expect(same.arms[1].id).toBe('dash');
  });
  it('renderPowerSummary states the smallest size and the null check', () => {
    const text = renderPowerSummary({
      trial: 't', endpoint: 'e', alpha: 0.05, target: 0.9, smallestN: 400, smallestNConfident: null,
      points: [{ n: 400, replicates: 100, power: 0.93, mcse: 0.0255, ci95: [0.862, 0.966], meanEstimate: -5, sdEstimate: 1.4 }],
      nullCheck: { endpoint: 'e', replicates: 100, rejections: 6, rate: 0.06, mcse: 0.0237, ci95: [0.0278, 0.1249], alpha: 0.05, consistent: true },
    });
    expect(text).toMatch(/Smallest size reaching the target: 400 twins/);
    expect(text).toMatch(/type-I error 6\.0%.*consistent with the nominal level/);
  });
});
