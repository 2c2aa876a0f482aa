import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrialData } from '../../src/analysis/trial.js';
import { formatValidationText, listValidationFiles, renderValidationHtml, runValidation, type TrialRunner } from '../../src/analysis/validate/index.js';
import { WORLD_VERSION } from '../../src/population/world/version.js';
import { ENGINE_VERSION } from '../../src/core/version.js';
import type { TrialSpec } from '../../src/trial-dsl/spec.js';

const SUITE = join(import.meta.dirname, '../../validation/rct-41');
const dir = mkdtempSync(join(tmpdir(), 'vtrial-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync(join(SUITE, 'gu-2001-potassium-sbp.yaml'), join(dir, 'gu-2001-potassium-sbp.yaml'));
copyFileSync(join(SUITE, 'dietfits-2018-weight.yaml'), join(dir, 'dietfits-2018-weight.yaml'));
writeFileSync(join(dir, 'thresholds.yaml'), 'model: {direction: all, inside_ci: 1}\n');
writeFileSync(join(dir, 'broken.yaml'), 'vtrial: 1\nname: broken\npublished: {endpoint: x, estimate: -1, ci95: [-2, -0.5], effect_kind: difference_in_change, unit: mmHg, citation: none}\ncalibration_overlap: false\n');

/** A stand-in simulator: every twin's outcome under the treatment arm is its control outcome plus `effect`. */
function fakeRunner(effect: number): { runner: TrialRunner; calls: string[] } {
  const calls: string[] = [];
  const runner: TrialRunner = async (spec: TrialSpec, opts) => {
    calls.push(`${spec.name}|${opts.engine}`);
    const n = spec.population.n;
    const allocation = new Uint8Array(n).map((_, i) => i % 2);
    const endpoints: TrialData['endpoints'] = {};
    for (const ep of spec.endpoints) {
      const base = Float64Array.from({ length: n }, (_, i) => 100 + ((i * 7) % 13));
      const y0 = Float64Array.from({ length: n }, (_, i) => ((i * 37) % 11) - 5);
      const y1 = Float64Array.from(y0, (v, i) => v + effect + 0.1 * (((i * 13) % 5) - 2));
      const arms = spec.arms.map((a) => (a.id === ep.treatment ? { y: y1, base } : { y: y0, base }));
      endpoints[ep.name] = arms;
    }
    return { spec, allocation, covariates: { age: new Float64Array(n).fill(50), sex: Float64Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0) }, endpoints, trajectories: {} };
  };
  return { runner, calls };
}

describe('runValidation', () => {
  it('lists the trial files, leaving out thresholds.yaml', async () => {
    const files = await listValidationFiles(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['broken.yaml', 'dietfits-2018-weight.yaml', 'gu-2001-potassium-sbp.yaml']);
  });

  it('runs each file through the runner and the analysis, and scores it', async () => {
    const { runner, calls } = fakeRunner(-4);
    const report = await runValidation(dir, { engine: 'reference', runner });
    expect(calls).toHaveLength(2); // the broken file is never run
    expect(calls.every((c) => c.endsWith('|reference'))).toBe(true);
    const gu = report.comparisons.find((c) => c.id === 'gu-2001-potassium-sbp')!;
    expect(gu.predicted!.estimate).toBeCloseTo(-4, 1);
    expect(gu.predicted!.mc95[0]).toBeLessThan(gu.predicted!.estimate);
    expect(gu.direction_ok).toBe(true);
    expect(gu.inside_ci).toBe(true);
    expect(gu.error_halfwidths).toBeCloseTo((gu.predicted!.estimate - -5) / ((-2.13 - -7.88) / 2), 10);
    // DIETFITS: the published CI includes zero, so direction is not scored; -4 kg is outside [-1.6, 0.2]
    const df = report.comparisons.find((c) => c.id === 'dietfits-2018-weight')!;
    expect(df.direction_ok).toBeNull();
    expect(df.inside_ci).toBe(false);
    // the broken file is a scored miss with the reason
    const broken = report.comparisons.find((c) => c.id === 'broken')!;
    expect(broken.predicted).toBeNull();
    expect(broken.inside_ci).toBe(false);
    expect(broken.direction_ok).toBe(false);
    expect(broken.failure).toMatch(/does not check/);
    expect(report.summary.direction).toEqual({ ok: 1, scored: 2 });
    expect(report.summary.inside_ci).toEqual({ ok: 1, n: 3 });
    expect(report.summary.by_overlap.independent.n).toBe(3);
    // a stand-in runner records no simulator; the world version of the build is always there
    expect(report.comparisons.every((c) => c.simulator === null)).toBe(true);
    expect(report.simulators).toEqual([]);
    expect(report.world).toBe(WORLD_VERSION);
  });

  it('names the simulator that ran each comparison: the reference engine with its world version', async () => {
    const one = mkdtempSync(join(tmpdir(), 'vtrial-validate-one-'));
    try {
      copyFileSync(join(SUITE, 'gu-2001-potassium-sbp.yaml'), join(one, 'gu-2001-potassium-sbp.yaml'));
      const report = await runValidation(one, { engine: 'reference', workers: 1 });
      const fp = `reference@${ENGINE_VERSION}+world.${WORLD_VERSION}`;
      expect(report.comparisons[0]!.simulator).toBe(fp);
      expect(report.simulators).toEqual([fp]);
      expect(formatValidationText(report)).toContain(`Simulator: ${fp} (reference world ${WORLD_VERSION})`);
      expect(await renderValidationHtml(report)).toContain(`Simulator: <code>${fp}</code> (reference world ${WORLD_VERSION})`);
    } finally {
      rmSync(one, { recursive: true, force: true });
    }
  });

  it('records a simulation that throws as a failed run, not a crash of the whole suite', async () => {
    const report = await runValidation(dir, { runner: async () => { throw new Error('engine exploded'); } });
    expect(report.comparisons.filter((c) => c.failure?.startsWith('run failed: engine exploded'))).toHaveLength(2);
    expect(report.summary.n_predicted).toBe(0);
  });

  it('renders an HTML report with both charts as inline SVG', async () => {
    const { runner } = fakeRunner(-3);
    const html = await renderValidationHtml(await runValidation(dir, { runner }));
    expect(html.match(/<svg/g)!.length).toBe(2);
    expect(html).toContain('gu-2001-potassium-sbp');
    expect(html).toContain('identity');
  });

  it('refuses a folder that does not exist, naming it', async () => {
    await expect(runValidation(join(dir, 'nope'))).rejects.toThrow(/nope: no such folder/);
  });
});
