import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/analysis/report.js';
import { renderSummary } from '../../src/analysis/summary.js';
import { analyseTrial, type TrialData } from '../../src/analysis/trial.js';
import { meanDifference } from '../../src/analysis/mean_difference.js';
import { META, buildTrialData, endpoint, makeSpec } from './helpers.js';
import { WORLD_VERSION } from '../../src/population/world/version.js';

const spec = makeSpec([
  endpoint({ name: 'sbp_change', primary: true }),
  endpoint({ name: 'sbp_diff', analysis: 'difference' }),
  endpoint({ name: 'dbp_pct', variable: 'dbp', measure: 'percent_change', analysis: 'difference' }),
  endpoint({ name: 'sbp_below_130', measure: 'responder', analysis: 'risk_difference', threshold: { op: '<', value: 130, on: 'value' } }),
  endpoint({ name: 'sbp_rr', measure: 'responder', analysis: 'risk_ratio', threshold: { op: '<', value: 130, on: 'value' } }),
  endpoint({ name: 'sbp_or', measure: 'responder', analysis: 'odds_ratio', threshold: { op: '<', value: 130, on: 'value' } }),
  endpoint({ name: 'sbp_fall_tte', measure: 'time_to_event', analysis: 'hazard_ratio', threshold: { op: '<=', value: -10, on: 'change' } }),
  endpoint({ name: 'sbp_adj_age', covariates: ['age'] }),
]);

describe('analyseTrial', () => {
  const data = buildTrialData(spec, 600, -8);
  const analysis = analyseTrial(data);
  const byName = Object.fromEntries(analysis.endpoints.map((e) => [e.name, e]));

  it('recovers a known effect with complete-case counts per arm', () => {
    const e = byName.sbp_change;
    expect(e.comparison).toBe('dash vs usual');
    expect(e.ci95[0]).toBeLessThan(-8 + 3);
    expect(e.ci95[1]).toBeGreaterThan(-8 - 3);
    expect(e.ci95[1]).toBeLessThan(0);
    expect(e.p).toBeLessThan(1e-6);
    const randomised = Array.from(data.allocation).filter((a) => a === 1).length;
    expect(e.n.dash.randomised).toBe(randomised);
    expect(e.n.dash.analysed).toBeLessThan(randomised); // dropouts excluded
    expect(e.n.dash.analysed + e.n.usual.analysed).toBe(
      Array.from(data.endpoints.sbp_change[0].y).filter((_, i) => Number.isFinite(data.endpoints.sbp_change[data.allocation[i]].y[i])).length,
    );
    expect(e.hedgesG!.g).toBeLessThan(0);
  });

  it('uses the observed arm of each twin: difference equals a direct Welch test on the observed values', () => {
    const yT: number[] = [];
    const yC: number[] = [];
    data.allocation.forEach((a, i) => {
      const y = data.endpoints.sbp_diff[a].y[i];
      if (Number.isFinite(y)) (a === 1 ? yT : yC).push(y);
    });
    const direct = meanDifference(yT, yC);
    expect(byName.sbp_diff.estimate).toBe(direct.estimate);
    expect(byName.sbp_diff.ci95).toEqual(direct.ci);
  });

  it('gives ANCOVA a tighter interval than the unadjusted difference in change', () => {
    const diff = analyseTrial({ ...data, spec: makeSpec([endpoint({ name: 'sbp_change', analysis: 'difference' })]) }).endpoints[0];
    expect(byName.sbp_change.ci95[1] - byName.sbp_change.ci95[0]).toBeLessThan(diff.ci95[1] - diff.ci95[0]);
  });

  it('estimates ratios above 1 for a beneficial responder endpoint and a hazard ratio for time to event', () => {
    expect(byName.sbp_below_130.estimate).toBeGreaterThan(0);
    expect(byName.sbp_rr.estimate).toBeGreaterThan(1);
    expect(byName.sbp_or.estimate).toBeGreaterThan(byName.sbp_rr.estimate);
    expect(byName.sbp_fall_tte.effectMeasure).toBe('hazard ratio');
    expect(byName.sbp_fall_tte.estimate).toBeGreaterThan(1);
    expect(byName.sbp_fall_tte.logRank!.p).toBeLessThan(0.05);
  });

  it('summarises individual effects from paired counterfactuals with subgroups', () => {
    const ind = byName.sbp_change.individual!;
    // the simulated per-twin effect at day 84 is -8 x (1 + 0.5 z) plus visit noise difference
    expect(ind.mean).toBeGreaterThan(-10);
    expect(ind.mean).toBeLessThan(-6);
    expect(ind.note).toMatch(/No real trial observes these/);
    expect(ind.subgroups.map((s) => s.factor)).toEqual(['sex', 'age band', 'baseline tertile']);
    expect(ind.subgroups[0].interaction!.df).toBe(1);
    expect(ind.subgroups[1].interaction!.df).toBe(2);
  });

  it('adds covariates to ANCOVA', () => {
    expect(byName.sbp_adj_age.covariates).toEqual(['baseline', 'age']);
    expect(byName.sbp_adj_age.method).toMatch(/baseline, age/);
  });

  it('gives a bootstrap interval close to the t interval when asked', () => {
    const boot = analyseTrial(data, { ci: 'bootstrap', individual: false }).endpoints.find((e) => e.name === 'sbp_diff')!;
    expect(boot.ciMethod).toBe('bootstrap');
    const t = byName.sbp_diff;
    const width = t.ci95[1] - t.ci95[0];
    expect(Math.abs(boot.ci95[0] - t.ci95[0])).toBeLessThan(0.25 * width);
    expect(Math.abs(boot.ci95[1] - t.ci95[1])).toBeLessThan(0.25 * width);
  });

  it('builds a report valid under schema/report.schema.json and a readable summary', () => {
    const report = buildReport(analysis, META);
    const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const json = JSON.parse(JSON.stringify(report));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.endpoints[0].n.dash.analysed).toBeGreaterThan(0);
    expect(json.run.versions.node).toBe(process.version);
    expect(json.run.versions.world).toBe(WORLD_VERSION);
    expect(validate({ ...json, run: { ...json.run, versions: { ...json.run.versions, world: 'one' } } })).toBe(false);
    const broken = { ...json, endpoints: [{ ...json.endpoints[0], ci95: [1] }] };
    expect(validate(broken)).toBe(false);
    const text = renderSummary(report);
    for (const e of spec.endpoints) expect(text).toContain(e.name);
    expect(text).toMatch(/dash \d+\/\d+, usual \d+\/\d+/);
    expect(text).toMatch(/no real trial observes these/i);
    expect(text).toContain(`(world ${WORLD_VERSION})`);
  });
});
