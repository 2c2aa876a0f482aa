import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/analysis/html.js';
import type { PowerCurve } from '../../src/analysis/power.js';
import { buildReport } from '../../src/analysis/report.js';
import { analyseTrial } from '../../src/analysis/trial.js';
import { META, buildTrialData, endpoint, makeSpec } from './helpers.js';

describe('renderHtml', () => {
  it('writes one self-contained page with every chart as inline SVG', async () => {
    const spec = makeSpec([
      endpoint({ name: 'sbp_change', primary: true }),
      endpoint({ name: 'sbp_below_130', measure: 'responder', analysis: 'risk_ratio', threshold: { op: '<', value: 130, on: 'value' } }),
      endpoint({ name: 'sbp_fall', measure: 'time_to_event', analysis: 'hazard_ratio', threshold: { op: '<=', value: -10, on: 'change' } }),
    ]);
    const report = buildReport(analyseTrial(buildTrialData(spec, 300, -6)), META);
    const power: PowerCurve = {
      trial: 'test trial',
      endpoint: 'sbp_change',
      alpha: 0.05,
      target: 0.9,
      points: [100, 200, 400].map((n, i) => ({ n, replicates: 50, power: [0.4, 0.7, 0.95][i], mcse: 0.05, ci95: [0.3, 0.99] as [number, number], meanEstimate: -6, sdEstimate: 2 })),
      smallestN: 400,
      smallestNConfident: null,
    };
    const html = await renderHtml(report, { power });
    // trajectories, forest, individual effects, Kaplan-Meier, power
    expect(html.match(/<svg/g)?.length).toBe(5);
    expect(html).not.toMatch(/<script|src="http|href="http|@import/);
    expect(html).toContain('sbp_below_130');
    expect(html).toMatch(/No real trial observes these/);
    expect(html).toMatch(/Smallest size reaching 90% power: <b>400<\/b>/);
    // the forest plot labels the primary endpoint and the trajectories panel names the arms
    expect(html).toContain('sbp_change *');
    expect(html).toMatch(/>dash</);
  }, 30_000);
});
