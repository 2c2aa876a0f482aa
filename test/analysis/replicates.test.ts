import { describe, expect, it } from 'vitest';
import { nullCheck, powerCurve } from '../../src/analysis/power.js';
import { summariseReplicates } from '../../src/analysis/replicates.js';
import { analyseTrial, type TrialAnalysis } from '../../src/analysis/trial.js';
import { buildTrialData, endpoint, makeSpec } from './helpers.js';

const spec = makeSpec([endpoint({ name: 'sbp_change', primary: true }), endpoint({ name: 'sbp_diff', analysis: 'difference' })]);
const replicate = (n: number, effect: number, r: number): TrialAnalysis => analyseTrial(buildTrialData(spec, n, effect, 1000 + r), { individual: false });

describe('replicates', () => {
  it('null check: identical arms reject at the nominal alpha within Monte Carlo error', () => {
    const analyses = Array.from({ length: 400 }, (_, r) => replicate(60, 0, r));
    for (const name of ['sbp_change', 'sbp_diff']) {
      const check = nullCheck(analyses, name);
      expect(check.replicates).toBe(400);
      expect(check.consistent, JSON.stringify(check)).toBe(true);
      expect(check.mcse).toBeCloseTo(Math.sqrt((check.rate * (1 - check.rate)) / 400), 12);
    }
  });

  it('summarises the estimate distribution with Monte Carlo errors', () => {
    const analyses = Array.from({ length: 120 }, (_, r) => replicate(80, -6, r));
    const s = summariseReplicates(analyses);
    const e = s.endpoints.find((x) => x.name === 'sbp_change')!;
    expect(e.replicates).toBe(120);
    // unbiased for the simulated effect within 3 Monte Carlo SEs
    expect(Math.abs(e.meanEstimate - -6)).toBeLessThan(3 * e.meanEstimateMcse);
    // the model-based SE agrees with the empirical SD of the estimates within MC error
    expect(Math.abs(e.meanSe - e.sdEstimate)).toBeLessThan(3 * e.sdEstimateMcse + 3 * e.meanSeMcse);
    expect(e.estimates).toHaveLength(120);
    // each replicate's true effect is known from paired counterfactuals: intervals cover it about
    // 95% of the time (at least nominal: the sample effect varies less than the population one)
    expect(e.coverage).toBeGreaterThan(0.95 - 3 * Math.sqrt((0.95 * 0.05) / 120));
    expect(Math.abs(e.bias)).toBeLessThan(3 * e.biasMcse);
    expect(e.quantiles.p025).toBeLessThan(e.quantiles.p975);
  });

  it('power rises with sample size and the smallest size reaching the target is reported', async () => {
    const curve = await powerCurve(async (n, r) => replicate(n, -3, r), { sizes: [160, 20, 60], replicates: 60, target: 0.8 });
    expect(curve.endpoint).toBe('sbp_change');
    expect(curve.points.map((p) => p.n)).toEqual([20, 60, 160]);
    expect(curve.points[0].power).toBeLessThan(curve.points[2].power);
    expect(curve.smallestN).toBe(curve.points.find((p) => p.power >= 0.8)?.n ?? null);
    await expect(powerCurve(async (n, r) => replicate(n, -3, r), { sizes: [20], replicates: 1, target: 0.8 })).rejects.toThrow(/at least 2 replicates/);
  });
});
