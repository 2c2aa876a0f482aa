import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { trainModel } from '../../src/model/train.js';
import { createModelSimulator } from '../../src/model/simulator.js';
import type { ArmSpec, ScheduleSpec } from '../../src/trial-dsl/spec.js';
import { tinyCohort, TINY_SETTINGS, VISIT_DAYS } from './helpers.js';

beforeAll(async () => {
  await initBackend();
});

describe('training a tiny model on a tiny cohort', () => {
  it('loss falls and the drug lowers LDL-C in rollouts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-train-'));
    const losses: number[] = [];
    const r = await trainModel({
      cohort: tinyCohort(600), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 6 },
      onProgress: (e) => { if (e.phase === 'step') losses.push(e.loss); },
    });
    const first = losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(last).toBeLessThan(first - 0.3);
    expect(r.manifest.metrics.valLoss).toBeLessThan(r.manifest.metrics.history[0]!.valLoss + 1e-9);
    for (const f of ['weights.bin', 'manifest.json', 'model-card.md']) expect(existsSync(join(dir, f))).toBe(true);
    // the within-visit copula sees that BMI and weight change together, and LDL-C does not
    const cop = r.manifest.copula!;
    const V = cop.variables.length;
    const at = (a: string, b: string) => cop.correlation[cop.variables.indexOf(a) * V + cop.variables.indexOf(b)]!;
    expect(at('bmi', 'body_weight')).toBeGreaterThan(0.3);
    expect(Math.abs(at('ldl_c', 'body_weight'))).toBeLessThan(0.15);
    r.params.forEach((v) => v.dispose());

    const arms: ArmSpec[] = [
      { id: 'statin', label: 'statin', role: 'experimental', interventions: [] },
      { id: 'control', label: 'control', role: 'placebo', interventions: [] },
    ];
    const sim = await createModelSimulator(dir, { exposureFn: (arm) => (arm.id === 'statin' ? [{ day: 0, code: 'DRUG//atorvastatin', value: 20 }] : []) });
    const schedule: ScheduleSpec = { durationDays: 182, visits: VISIT_DAYS.map((d) => ({ label: `day ${d}`, day: d, variables: ['ldl_c', 'sbp'] })), dropout: 0 };
    const n = 200;
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const columns = {
      age: Float64Array.from({ length: n }, (_, i) => 40 + (i % 30)),
      sex: Float64Array.from({ length: n }, (_, i) => i % 2),
      ldl_c: Float64Array.from({ length: n }, (_, i) => 110 + (i % 7) * 8),
      sbp: Float64Array.from({ length: n }, (_, i) => 120 + (i % 5) * 5),
      body_weight: Float64Array.from({ length: n }, () => 75),
    };
    const ctx = { seed: 3 };
    const a = await sim.simulate({ ids, columns }, arms[0]!, schedule, ctx);
    const b = await sim.simulate({ ids, columns }, arms[1]!, schedule, ctx);
    const nv = VISIT_DAYS.length;
    let dA = 0, dB = 0;
    for (let i = 0; i < n; i++) {
      dA += a.values.ldl_c![i * nv + nv - 1]! - a.values.ldl_c![i * nv]!;
      dB += b.values.ldl_c![i * nv + nv - 1]! - b.values.ldl_c![i * nv]!;
      // paired: the same baseline draw under both arms
      expect(a.values.ldl_c![i * nv]).toBe(b.values.ldl_c![i * nv]);
    }
    const effect = (dA - dB) / n;
    // the tiny world's drug lowers LDL-C by ~40% of ~130 mg/dL; the model must get the sign and rough size
    expect(effect).toBeLessThan(-20);
    console.log('tiny model LDL effect', effect.toFixed(1), 'mg/dL; reference ~', (-0.4 * 130).toFixed(0));

    // a twin's rollout does not depend on which other twins share the batch
    const sub = [3, 17, 150];
    const subBatch = { ids: Uint32Array.from(sub), columns: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, Float64Array.from(sub, (i) => v[i]!)])) };
    const as = await sim.simulate(subBatch, arms[0]!, schedule, ctx);
    sub.forEach((i, j) => {
      for (let v = 0; v < nv; v++) expect(as.values.ldl_c![j * nv + v]).toBeCloseTo(a.values.ldl_c![i * nv + v]!, 6);
    });

    // an exposure the model never saw is rejected, naming it; a placebo the cohort lacked is inert
    const sim2 = await createModelSimulator(dir, { exposureFn: (arm) => (arm.id === 'x' ? [{ day: 0, code: 'DRUG//metformin', value: 1000 }] : [{ day: 0, code: 'PLACEBO//pill', value: 1 }]) });
    await expect(sim2.simulate({ ids, columns }, { ...arms[0]!, id: 'x' }, schedule, ctx)).rejects.toThrow(/not trained on exposure\(s\) DRUG\/\/metformin/);
    const pl = await sim2.simulate({ ids, columns }, { ...arms[1]!, id: 'placebo' }, schedule, ctx);
    expect(Array.from(pl.values.ldl_c!)).toEqual(Array.from(b.values.ldl_c!));
    // unmodelled scheduled variables are rejected
    await expect(sim.simulate({ ids, columns }, arms[0]!, { ...schedule, visits: [{ label: 'b', day: 0, variables: ['hba1c'] }] }, ctx)).rejects.toThrow(/does not model variable\(s\) hba1c/);
  }, 120_000);
});
