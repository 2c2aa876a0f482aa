import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { trainModel } from '../../src/model/train.js';
import { checkpointHash, saveManifest } from '../../src/model/checkpoint.js';
import { createModelSimulator } from '../../src/model/simulator.js';
import type { ArmSpec, ScheduleSpec } from '../../src/trial-dsl/spec.js';
import { TwinModel } from '../../src/model/twin-model.js';
import { normalise, featureLayout } from '../../src/model/tokenizer.js';
import { Rng } from '../../src/core/rng.js';
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
    // rollout spread multipliers fitted on the validation participants, one per variable, in range
    const rs = r.manifest.rolloutScale!;
    expect(rs.variables).toEqual(r.manifest.tokenizer.measured.map((m) => m.id));
    for (const c of rs.scale) expect(c).toBeGreaterThanOrEqual(0.8), expect(c).toBeLessThanOrEqual(4);
    expect(rs.fitted.values).toBeGreaterThan(100);
    // after fitting, 90% coverage on the fitting participants is at least as close to nominal as before
    expect(Math.abs(rs.fitted.coverAfter[1] - 0.9)).toBeLessThanOrEqual(Math.abs(rs.fitted.coverBefore[1] - 0.9) + 0.01);
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

/** Mean LDL-C difference at day 182 of a checkpoint's rollouts, atorvastatin 20 mg from day 0 vs nothing, 100 twins. */
async function statinEffect(dir: string): Promise<number> {
  const sim = await createModelSimulator(dir, { exposureFn: (arm) => (arm.id === 'statin' ? [{ day: 0, code: 'DRUG//atorvastatin', value: 20 }] : []) });
  const schedule: ScheduleSpec = { durationDays: 182, visits: VISIT_DAYS.map((d) => ({ label: `day ${d}`, day: d, variables: ['ldl_c'] })), dropout: 0 };
  const n = 100;
  const batch = { ids: Uint32Array.from({ length: n }, (_, i) => i), columns: {
    age: Float64Array.from({ length: n }, (_, i) => 40 + (i % 30)), sex: Float64Array.from({ length: n }, (_, i) => i % 2),
    ldl_c: Float64Array.from({ length: n }, (_, i) => 110 + (i % 7) * 8), sbp: Float64Array.from({ length: n }, () => 125), body_weight: Float64Array.from({ length: n }, () => 75),
  } };
  const arm = (id: string): ArmSpec => ({ id, label: id, role: id === 'statin' ? 'experimental' : 'placebo', interventions: [] });
  const a = await sim.simulate(batch, arm('statin'), schedule, { seed: 3 });
  const b = await sim.simulate(batch, arm('control'), schedule, { seed: 3 });
  const nv = VISIT_DAYS.length;
  let d = 0;
  for (let i = 0; i < n; i++) d += a.values.ldl_c![i * nv + nv - 1]! - b.values.ldl_c![i * nv + nv - 1]!;
  return d / n;
}

describe('training with the residual head', () => {
  it('records it in the checkpoint, fits better at equal steps, and the drug still lowers LDL-C', async () => {
    const fit = async (residual: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'vtrial-train-res-'));
      const r = await trainModel({ cohort: tinyCohort(600), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 4, residual } });
      r.params.forEach((v) => v.dispose());
      return { dir, manifest: r.manifest };
    };
    const levels = await fit(0);
    const res = await fit(1);
    expect(levels.manifest.config.residual).toBeUndefined();
    expect(res.manifest.config.residual).toBe(true);
    expect(res.manifest.train).toMatchObject({ residual: 1 });
    // the tiny world's values persist from visit to visit: predicting the change is the easier task
    expect(res.manifest.metrics.valLoss).toBeLessThan(levels.manifest.metrics.valLoss);
    expect(await statinEffect(res.dir)).toBeLessThan(-20);
    await expect(trainModel({ cohort: tinyCohort(50), outDir: res.dir, settings: { ...TINY_SETTINGS, residual: 2 } })).rejects.toThrow(/'residual' must be 0/);
  }, 120_000);

  it('on named variables only: recorded by index and by id, kept through --init; an unknown id is an error naming the measured ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-train-resv-'));
    const r = await trainModel({ cohort: tinyCohort(300), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 1, residual: 1, residualVars: ['body_weight'] } });
    r.params.forEach((v) => v.dispose());
    const ids = r.manifest.tokenizer.measured.map((m) => m.id);
    expect(r.manifest.config.residualVars).toEqual([ids.indexOf('body_weight')]);
    expect(r.manifest.train).toMatchObject({ residual: 1, residualVars: ['body_weight'] });
    const dir2 = mkdtempSync(join(tmpdir(), 'vtrial-train-resv2-'));
    const r2 = await trainModel({ cohort: tinyCohort(300), outDir: dir2, init: dir, settings: { ...TINY_SETTINGS, epochs: 1 } });
    r2.params.forEach((v) => v.dispose());
    expect(r2.manifest.config.residualVars).toEqual(r.manifest.config.residualVars);
    await expect(trainModel({ cohort: tinyCohort(50), outDir: mkdtempSync(join(tmpdir(), 'vtrial-train-resv3-')), settings: { ...TINY_SETTINGS, residual: 1, residualVars: ['weight'] } }))
      .rejects.toThrow(/'weight' is not a measured variable/);
  }, 120_000);
});

describe('training with the own x query interaction', () => {
  it('records it in the checkpoint, keeps it through --init, and the drug lowers LDL-C in rollouts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-train-ix-'));
    const r = await trainModel({ cohort: tinyCohort(600), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 4, interaction: 8 } });
    r.params.forEach((v) => v.dispose());
    expect(r.manifest.config.interaction).toBe(8);
    expect(r.manifest.config.ownDim).toBe(featureLayout(r.manifest.tokenizer).offsets.time);
    expect(r.manifest.train).toMatchObject({ interaction: 8 });
    // a fine-tune keeps the architecture whatever the settings say
    const dir2 = mkdtempSync(join(tmpdir(), 'vtrial-train-ix2-'));
    const r2 = await trainModel({ cohort: tinyCohort(200), outDir: dir2, init: dir, settings: { ...TINY_SETTINGS, epochs: 1, interaction: 0 } });
    r2.params.forEach((v) => v.dispose());
    expect(r2.manifest.config.interaction).toBe(8);
    expect(await statinEffect(dir)).toBeLessThan(-20);
    await expect(trainModel({ cohort: tinyCohort(50), outDir: mkdtempSync(join(tmpdir(), 'vtrial-train-ix3-')), settings: { ...TINY_SETTINGS, interaction: 2.5 } })).rejects.toThrow(/'interaction' must be a whole number/);
  }, 120_000);
});

describe('rollout spread multipliers', () => {
  it('scale the spread of sampled values and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-scale-'));
    const r = await trainModel({ cohort: tinyCohort(200, 11), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 1 } });
    const model = new TwinModel(r.manifest, r.params, '');
    const spec = model.tokenizer;
    const V = spec.measured.length;
    const n = 400;
    const req = () => ({
      statics: Array.from({ length: n }, () => Float64Array.from(spec.statics, (s) => (s.id === 'age' ? 50 : 0))),
      initial: Array.from({ length: n }, () => Float64Array.from(spec.measured, (m) => (m.id === 'ldl_c' ? 130 : m.id === 'sbp' ? 125 : m.id === 'body_weight' ? 75 : 24.5))),
      visitDays: [0, 30], exposures: { byCode: new Map() }, rngs: Array.from({ length: n }, (_, i) => new Rng(5, i, 1)),
    });
    const sdOf = (x: Float64Array) => {
      const y = Array.from({ length: n }, (_, i) => normalise(spec.measured[0]!, x[i * 2 + 1]!));
      const m = y.reduce((a, b) => a + b, 0) / n;
      return { m, sd: Math.sqrt(y.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1)) };
    };
    model.setRolloutScale(new Array(V).fill(1));
    const one = sdOf(model.rollout(req())[0]!);
    model.setRolloutScale(new Array(V).fill(2));
    const two = sdOf(model.rollout(req())[0]!);
    // same draws: every value moves away from its component mean by exactly twice as much, so the
    // spread roughly doubles (mixture components differ) and the centre hardly moves
    expect(two.sd / one.sd).toBeGreaterThan(1.6);
    expect(two.sd / one.sd).toBeLessThan(2.4);
    expect(Math.abs(two.m - one.m)).toBeLessThan(0.25 * one.sd);
    expect(() => model.setRolloutScale([1])).toThrow(/positive multipliers/);
    model.dispose();
  }, 60_000);
});

describe('planned adherence reaches the model', () => {
  it.each([3, 4, 5, 6, 7, 8])('a tiny model trained where the effect scales with adherence gives a smaller effect at low planned adherence (tokeniser version %i)', async (tokenizerVersion) => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-adh-'));
    const r = await trainModel({ cohort: tinyCohort(800, 13, true), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 6, tokenizerVersion } });
    r.params.forEach((v) => v.dispose());
    expect(r.manifest.tokenizer.version).toBe(tokenizerVersion);
    expect(r.manifest.train.tokenizerVersion).toBe(tokenizerVersion);
    if (tokenizerVersion === 4) {
      // a checkpoint keeps its tokeniser: asking --init for another version is an error
      await expect(trainModel({ cohort: tinyCohort(50), outDir: mkdtempSync(join(tmpdir(), 'vtrial-adh-init-')), init: dir, settings: { ...TINY_SETTINGS, tokenizerVersion: 3 } }))
        .rejects.toThrow(/tokenizerVersion 3 was asked for, but the checkpoint given to --init has version 4 tokens/);
    }
    if (tokenizerVersion === 6) {
      // version 7 keeps version 6's layout: a version-6 checkpoint fine-tunes into version-7 tokens
      const up = await trainModel({ cohort: tinyCohort(50), outDir: mkdtempSync(join(tmpdir(), 'vtrial-adh-up-')), init: dir, settings: { ...TINY_SETTINGS, epochs: 1, tokenizerVersion: 7 } });
      up.params.forEach((v) => v.dispose());
      expect([up.manifest.tokenizer.version, up.manifest.train.tokenizerVersion]).toEqual([7, 7]);
      expect(up.manifest.tokenizer.measured).toEqual(r.manifest.tokenizer.measured);
    }
    const at = (a: number) => [{ day: 0, code: 'DRUG//atorvastatin', value: 20 }, { day: 0, code: 'ADHERENCE//DRUG//atorvastatin', value: a }];
    const sim = await createModelSimulator(dir, { exposureFn: (arm) => (arm.id === 'full' ? at(1) : arm.id === 'low' ? at(0.3) : []) });
    const schedule: ScheduleSpec = { durationDays: 182, visits: VISIT_DAYS.map((d) => ({ label: `day ${d}`, day: d, variables: ['ldl_c'] })), dropout: 0 };
    const n = 300;
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const columns = {
      age: Float64Array.from({ length: n }, (_, i) => 40 + (i % 30)),
      sex: Float64Array.from({ length: n }, (_, i) => i % 2),
      ldl_c: Float64Array.from({ length: n }, (_, i) => 110 + (i % 7) * 8),
    };
    const arm = (id: string): ArmSpec => ({ id, label: id, role: 'experimental', interventions: [] });
    const nv = VISIT_DAYS.length;
    const meanChange = async (id: string) => {
      const t = await sim.simulate({ ids, columns }, arm(id), schedule, { seed: 4 });
      let s = 0;
      for (let i = 0; i < n; i++) s += t.values.ldl_c![i * nv + nv - 1]! - t.values.ldl_c![i * nv]!;
      return s / n;
    };
    const none = await meanChange('none');
    const full = (await meanChange('full')) - none;
    const low = (await meanChange('low')) - none;
    // tiny world: -40% x adherence of ~130 mg/dL, i.e. about -52 at full and -16 at 0.3
    console.log(`tiny model (tokeniser version ${tokenizerVersion}) LDL effect at planned adherence 1 / 0.3:`, full.toFixed(1), '/', low.toFixed(1), 'mg/dL');
    expect(full).toBeLessThan(-25);
    expect(low).toBeLessThan(0);
    expect(low / full).toBeLessThan(0.6);
  }, 120_000);
});

describe('version 8: the screening visit', () => {
  it('a version-7 checkpoint fine-tunes into version 8, which reads the twins\' screening readings as a visit before baseline; version 7 ignores them', async () => {
    const v7 = mkdtempSync(join(tmpdir(), 'vtrial-scr7-'));
    const a = await trainModel({ cohort: tinyCohort(200, 19), outDir: v7, settings: { ...TINY_SETTINGS, epochs: 1, tokenizerVersion: 7 } });
    a.params.forEach((v) => v.dispose());
    const v8 = mkdtempSync(join(tmpdir(), 'vtrial-scr8-'));
    const b = await trainModel({ cohort: tinyCohort(200, 19), outDir: v8, init: v7, settings: { ...TINY_SETTINGS, epochs: 1, tokenizerVersion: 8 } });
    b.params.forEach((v) => v.dispose());
    expect([b.manifest.tokenizer.version, b.manifest.train.tokenizerVersion]).toEqual([8, 8]);
    // the lineage: the version-7 checkpoint it started from, by hash, cohort and steps, in the manifest and the card
    expect(a.manifest.startedFrom).toBeUndefined();
    const aHash = await checkpointHash(v7);
    expect(b.manifest.startedFrom).toEqual({ hash: aHash, created: a.manifest.created, cohortFile: a.manifest.data.cohortFile, cohortSha256: a.manifest.data.cohortSha256, steps: a.manifest.metrics.steps, tokenizerVersion: 7 });
    const card = readFileSync(join(v8, 'model-card.md'), 'utf8');
    expect(card).toContain('Started from another checkpoint');
    expect(card).toContain(aHash);
    expect(readFileSync(join(v7, 'model-card.md'), 'utf8')).not.toContain('Started from');
    // a second fine-tune carries the whole chain, and the starting checkpoint's rollout settings
    await saveManifest(v8, { ...b.manifest, rolloutStepDays: 31, rolloutFeed: 'all' });
    const v8b = mkdtempSync(join(tmpdir(), 'vtrial-scr8b-'));
    const c = await trainModel({ cohort: tinyCohort(60, 23), outDir: v8b, init: v8, settings: { ...TINY_SETTINGS, epochs: 1, screenWeight: 2 } });
    c.params.forEach((v) => v.dispose());
    expect(c.manifest.startedFrom?.hash).toBe(await checkpointHash(v8));
    expect(c.manifest.startedFrom?.startedFrom).toEqual(b.manifest.startedFrom);
    expect([c.manifest.rolloutStepDays, c.manifest.rolloutFeed]).toEqual([31, 'all']);
    expect(c.manifest.train.screenWeight).toBe(2);
    expect([a.manifest.rolloutStepDays, b.manifest.rolloutFeed]).toEqual([undefined, undefined]);
    // a version-8 checkpoint is not moved back
    await expect(trainModel({ cohort: tinyCohort(50), outDir: mkdtempSync(join(tmpdir(), 'vtrial-scr-back-')), init: v8, settings: { ...TINY_SETTINGS, tokenizerVersion: 7 } }))
      .rejects.toThrow(/tokenizerVersion 7 was asked for, but the checkpoint given to --init has version 8 tokens/);

    const schedule: ScheduleSpec = { durationDays: 182, visits: VISIT_DAYS.map((d) => ({ label: `day ${d}`, day: d, variables: ['ldl_c'] })), dropout: 0 };
    const n = 60;
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const columns = { age: Float64Array.from({ length: n }, (_, i) => 40 + (i % 30)), sex: Float64Array.from({ length: n }, (_, i) => i % 2), ldl_c: Float64Array.from({ length: n }, () => 130) };
    const screening = { ldl_c: Float64Array.from({ length: n }, () => 220) };
    const arm: ArmSpec = { id: 'none', label: 'none', role: 'control', interventions: [] };
    const run = async (dir: string, withScreening: boolean) => {
      const sim = await createModelSimulator(dir, { exposureFn: () => [] });
      return Array.from((await sim.simulate(withScreening ? { ids, columns, screening } : { ids, columns }, arm, schedule, { seed: 4 })).values.ldl_c!);
    };
    expect(await run(v7, true)).toEqual(await run(v7, false));
    const [w, wo] = [await run(v8, true), await run(v8, false)];
    const nv = VISIT_DAYS.length;
    for (let i = 0; i < n; i++) expect(w[i * nv]).toBe(wo[i * nv]); // the baseline panel is the same measurement
    expect(w.filter((x, k) => k % nv !== 0 && x !== wo[k]).length).toBe(n * (nv - 1)); // every later visit hears the screening

    // the key/value cache and the full re-run agree with a visit before baseline
    const model = await TwinModel.load(v8);
    const V = model.tokenizer.measured.length;
    const req = (cache: boolean) => ({
      statics: Array.from({ length: 4 }, () => Float64Array.from(model.tokenizer.statics, (st) => (st.id === 'age' ? 50 : st.id === 'sex' ? 1 : NaN))),
      initial: Array.from({ length: 4 }, () => Float64Array.from({ length: V }, (_, k) => (model.tokenizer.measured[k]!.id === 'ldl_c' ? 130 : NaN))),
      visitDays: [0, 30, 90], exposures: { byCode: new Map(), adherence: new Map() }, rngs: Array.from({ length: 4 }, (_, i) => new Rng(3, i, 1)),
      prior: [{ day: -14, values: Array.from({ length: 4 }, () => Float64Array.from({ length: V }, (_, k) => (model.tokenizer.measured[k]!.id === 'ldl_c' ? 220 : NaN))) }], cache,
    });
    const [c1, c0] = [model.rollout(req(true)), model.rollout(req(false))];
    c1.forEach((col, v) => col.forEach((x, k) => (Number.isNaN(x) ? expect(c0[v]![k]).toBeNaN() : expect(c0[v]![k]).toBeCloseTo(x, 3))));
    expect(() => model.rollout({ ...req(true), prior: [{ day: 3, values: req(true).prior[0]!.values }] })).toThrow(/ascending negative days/);
    model.dispose();
  }, 120_000);
});

describe('snapshots during training (snapshotMinutes)', () => {
  it('saves loadable, calibrated checkpoints of the weights as they were, and does not change the run', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const plain = mkdtempSync(join(tmpdir(), 'vtrial-snap0-'));
    const snap = mkdtempSync(join(tmpdir(), 'vtrial-snap1-'));
    // a clock that moves 50 ms per training step, whatever the machine's speed
    const stepClock = () => { let t = 0; return { clock: () => t, onStep: () => { t += 50; } }; };
    const ca = stepClock();
    const a = await trainModel({ cohort: tinyCohort(300, 17), outDir: plain, settings: { ...TINY_SETTINGS, epochs: 2 }, clock: ca.clock, onProgress: (e) => { if (e.phase === 'step') ca.onStep(); } });
    const saved: string[] = [];
    // every 0.12 s of training, i.e. every 2.4 steps: several snapshots in two tiny epochs
    const cb = stepClock();
    const b = await trainModel({ cohort: tinyCohort(300, 17), outDir: snap, settings: { ...TINY_SETTINGS, epochs: 2, snapshotMinutes: 0.002 }, clock: cb.clock,
      onProgress: (e) => { if (e.phase === 'step') cb.onStep(); if (e.phase === 'snapshot') saved.push(e.message!); } });
    expect(existsSync(join(plain, 'snapshots'))).toBe(false);
    const dirs = readdirSync(join(snap, 'snapshots')).sort();
    expect(dirs.length).toBe(Math.floor((b.manifest.metrics.steps * 0.05) / 0.12));
    expect(dirs.length).toBeGreaterThan(1);
    expect(saved.length).toBe(dirs.length);
    for (const d of dirs) expect(d).toMatch(/^\d{3}\.\d{3}min$/);
    // saving a snapshot (validation loss, copula and spread fits) leaves the training untouched
    for (const k of a.params.keys()) expect(Array.from(b.params.get(k)!.dataSync())).toEqual(Array.from(a.params.get(k)!.dataSync()));
    expect(b.manifest.metrics.history.map((h) => h.valLoss)).toEqual(a.manifest.metrics.history.map((h) => h.valLoss));
    // the first snapshot is the model mid-run: a full checkpoint with its own calibration, not the final weights
    const first = join(snap, 'snapshots', dirs[0]!);
    const m = JSON.parse(readFileSync(join(first, 'manifest.json'), 'utf8'));
    expect(m.metrics.stoppedBecause).toMatch(/^snapshot at /);
    expect(m.copula).toBeDefined();
    expect(m.rolloutScale).toBeDefined();
    expect(m.train.snapshotMinutes).toBe(0.002);
    const model = await TwinModel.load(first);
    const w = model.params.get('head.W') ?? [...model.params.values()][0]!;
    const key = [...model.params.keys()].find((k) => model.params.get(k) === w)!;
    expect(Array.from(w.dataSync())).not.toEqual(Array.from(b.params.get(key)!.dataSync()));
    model.dispose();
    a.params.forEach((v) => v.dispose());
    b.params.forEach((v) => v.dispose());
  }, 120_000);
});

describe('own-sample training (ownSample)', () => {
  it('feeds chosen windows the model\'s own draws: reproducible from the seed, different from teacher forcing, recorded in the manifest', async () => {
    const run = async (ownSample: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'vtrial-own-'));
      let done = '';
      const r = await trainModel({ cohort: tinyCohort(120, 29), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 2, ownSample },
        onProgress: (e) => { if (e.phase === 'done') done = e.message ?? ''; } });
      r.params.forEach((v) => v.dispose());
      return { dir, done, manifest: r.manifest, hash: await checkpointHash(dir) };
    };
    const [a, b, off] = [await run(0.5), await run(0.5), await run(0)];
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(off.hash);
    expect(a.manifest.train.ownSample).toBe(0.5);
    expect(off.manifest.train.ownSample).toBe(0);
    const fed = Number(/; (\d+) training tokens were fed the model's own draws \(ownSample 0.5\)/.exec(a.done)?.[1]);
    // about half the windows, each with its tokens after day 0 but the first: a share of all tokens seen
    const seen = a.manifest.metrics.steps > 0 ? a.manifest.data.trainTokens * a.manifest.metrics.epochs : 0;
    expect(fed).toBeGreaterThan(0.2 * seen);
    expect(fed).toBeLessThan(0.5 * seen);
    expect(off.done).not.toMatch(/own draws/);
    // the validation loss stays teacher-forced: the same function of the weights in both runs
    expect(Number.isFinite(a.manifest.metrics.valLoss)).toBe(true);
  }, 120_000);
});
