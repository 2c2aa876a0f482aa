import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { trainModel } from '../../src/model/train.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { TwinEnsemble, loadRolloutModel } from '../../src/model/ensemble.js';
import { createModelSimulator } from '../../src/model/simulator.js';
import { TwinModel, type RolloutRequest } from '../../src/model/twin-model.js';
import { Rng } from '../../src/core/rng.js';
import type { ArmSpec, ScheduleSpec } from '../../src/trial-dsl/spec.js';
import { tinyCohort, TINY_SETTINGS, VISIT_DAYS } from './helpers.js';

// Two members trained on one cohort with different seeds (one tokeniser, different weights).
let root: string;
let ens: string;

beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'vtrial-ens-'));
  const cohort = tinyCohort(300, 21);
  for (const [name, seed, epochs] of [['a', 1, 3], ['b', 2, 1]] as const) {
    const r = await trainModel({ cohort, outDir: join(root, name), settings: { ...TINY_SETTINGS, epochs, seed } });
    r.params.forEach((v) => v.dispose());
  }
  ens = join(root, 'ens');
  mkdirSync(ens);
  writeFileSync(join(ens, 'ensemble.json'), JSON.stringify({ format: 'vtrial-ensemble/1', members: ['../a', '../b'], note: 'test' }));
}, 120_000);

function request(model: { tokenizer: TwinModel['tokenizer'] }, n: number, seed: number): RolloutRequest {
  const spec = model.tokenizer;
  return {
    statics: Array.from({ length: n }, (_, i) => Float64Array.from(spec.statics, (s) => (s.id === 'age' ? 40 + (i % 30) : s.id === 'sex' ? i % 2 : NaN))),
    initial: Array.from({ length: n }, (_, i) => Float64Array.from(spec.measured, (m) => (m.id === 'ldl_c' ? 110 + (i % 7) * 8 : m.id === 'sbp' ? 125 : m.id === 'body_weight' ? 75 : 24.5))),
    visitDays: [0, 30, 91, 182],
    exposures: { byCode: new Map([['DRUG//atorvastatin', [{ day: 0, level: 20, active: true }]]]), adherence: new Map() },
    rngs: Array.from({ length: n }, (_, i) => new Rng(seed, i, 1)),
  };
}

describe('checkpoint ensemble', () => {
  it('rolls each twin out by one member, chosen by the first uniform of its own stream', async () => {
    const e = await TwinEnsemble.load(ens);
    expect(e.members.length).toBe(2);
    const n = 300;
    const out = e.rollout(request(e, n, 9));
    // which member each twin got: the first uniform of a fresh copy of its stream
    const who = Array.from({ length: n }, (_, i) => Math.floor(new Rng(9, i, 1).uniform() * 2));
    const share = who.filter((k) => k === 0).length / n;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    // each member alone, on streams advanced past that uniform, gives exactly the ensemble's values
    const V = e.tokenizer.measured.length, nv = 4;
    for (const k of [0, 1]) {
      const member = e.members[k]!;
      const req = request(e, n, 9);
      req.rngs.forEach((r) => r.uniform());
      const alone = member.rollout(req);
      let compared = 0;
      for (let i = 0; i < n; i++) {
        if (who[i] !== k) continue;
        for (let v = 0; v < V; v++) for (let q = 0; q < nv; q++) expect(out[v]![i * nv + q]).toBe(alone[v]![i * nv + q]);
        compared++;
      }
      expect(compared).toBeGreaterThan(100);
    }
    // the two members differ (otherwise the test above proves nothing about routing)
    const req = request(e, n, 9);
    req.rngs.forEach((r) => r.uniform());
    const a = e.members[0]!.rollout(req);
    const req2 = request(e, n, 9);
    req2.rngs.forEach((r) => r.uniform());
    const b = e.members[1]!.rollout(req2);
    const ldl = e.tokenizer.measured.findIndex((m) => m.id === 'ldl_c');
    expect(Array.from(a[ldl]!).some((x, j) => j % nv !== 0 && Math.abs(x - b[ldl]![j]!) > 1e-6)).toBe(true);
    e.dispose();
  }, 60_000);

  it('is the model engine for a folder with ensemble.json: paired arms, batch-independent, its own fingerprint', async () => {
    const sim = await createModelSimulator(ens, { exposureFn: (arm) => (arm.id === 'statin' ? [{ day: 0, code: 'DRUG//atorvastatin', value: 20 }] : []) });
    const single = await createModelSimulator(join(root, 'a'), { exposureFn: () => [] });
    expect(sim.fingerprint).toMatch(/^ensemble:sha256:[0-9a-f]{64}$/);
    expect(sim.fingerprint).not.toBe(single.fingerprint);
    const schedule: ScheduleSpec = { durationDays: 182, visits: VISIT_DAYS.map((d) => ({ label: `day ${d}`, day: d, variables: ['ldl_c'] })), dropout: 0 };
    const n = 200;
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const columns = {
      age: Float64Array.from({ length: n }, (_, i) => 40 + (i % 30)), sex: Float64Array.from({ length: n }, (_, i) => i % 2),
      ldl_c: Float64Array.from({ length: n }, (_, i) => 110 + (i % 7) * 8), sbp: Float64Array.from({ length: n }, () => 125), body_weight: Float64Array.from({ length: n }, () => 75),
    };
    const arm = (id: string): ArmSpec => ({ id, label: id, role: id === 'statin' ? 'experimental' : 'placebo', interventions: [] });
    const a = await sim.simulate({ ids, columns }, arm('statin'), schedule, { seed: 3 });
    const b = await sim.simulate({ ids, columns }, arm('control'), schedule, { seed: 3 });
    const nv = VISIT_DAYS.length;
    let d = 0;
    for (let i = 0; i < n; i++) {
      expect(a.values.ldl_c![i * nv]).toBe(b.values.ldl_c![i * nv]); // same baseline draw under both arms
      d += a.values.ldl_c![i * nv + nv - 1]! - b.values.ldl_c![i * nv + nv - 1]!;
    }
    // the mixture's effect lies between the members' own effects on the same twins (give or take
    // Monte Carlo error: each twin is rolled out by one member only)
    const effectOf = async (dir: string) => {
      const m = await createModelSimulator(dir, { exposureFn: (x) => (x.id === 'statin' ? [{ day: 0, code: 'DRUG//atorvastatin', value: 20 }] : []) });
      const [p, q] = [await m.simulate({ ids, columns }, arm('statin'), schedule, { seed: 3 }), await m.simulate({ ids, columns }, arm('control'), schedule, { seed: 3 })];
      let t = 0;
      for (let i = 0; i < n; i++) t += p.values.ldl_c![i * nv + nv - 1]! - q.values.ldl_c![i * nv + nv - 1]!;
      return t / n;
    };
    const [ea, eb] = [await effectOf(join(root, 'a')), await effectOf(join(root, 'b'))];
    console.log('ensemble statin effect', (d / n).toFixed(1), 'members', ea.toFixed(1), eb.toFixed(1));
    expect(Math.abs(ea - eb)).toBeGreaterThan(3);
    expect(d / n).toBeGreaterThan(Math.min(ea, eb) - 3);
    expect(d / n).toBeLessThan(Math.max(ea, eb) + 3);
    expect(d / n).toBeLessThan(-10);
    // a twin's values do not depend on which other twins share the batch (nor on their members)
    const sub = [5, 6, 199];
    const subBatch = { ids: Uint32Array.from(sub), columns: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, Float64Array.from(sub, (i) => v[i]!)])) };
    const s = await sim.simulate(subBatch, arm('statin'), schedule, { seed: 3 });
    sub.forEach((i, j) => { for (let q = 0; q < nv; q++) expect(s.values.ldl_c![j * nv + q]).toBe(a.values.ldl_c![i * nv + q]); });
  }, 60_000);

  it('rejects bad ensembles with the file and what is wrong', async () => {
    const bad = (name: string, body: unknown) => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'ensemble.json'), typeof body === 'string' ? body : JSON.stringify(body));
      return d;
    };
    await expect(loadRolloutModel(bad('one', { format: 'vtrial-ensemble/1', members: ['../a'] }))).rejects.toThrow(/ensemble\.json: 'members' must list at least two/);
    await expect(loadRolloutModel(bad('fmt', { format: 'vtrial-ensemble/9', members: ['../a', '../b'] }))).rejects.toThrow(/format 'vtrial-ensemble\/9', expected 'vtrial-ensemble\/1'/);
    await expect(loadRolloutModel(bad('twice', { format: 'vtrial-ensemble/1', members: ['../a', '../a/'] }))).rejects.toThrow(/listed twice/);
    await expect(loadRolloutModel(bad('json', '{ members: '))).rejects.toThrow(/ensemble\.json: unreadable ensemble manifest/);
    await expect(loadRolloutModel(bad('gone', { format: 'vtrial-ensemble/1', members: ['../a', '../nope'] }))).rejects.toThrow(/nope: not a model checkpoint/);
    await expect(loadRolloutModel(bad('nest', { format: 'vtrial-ensemble/1', members: ['../a', '../ens'] }))).rejects.toThrow(/member '\.\.\/ens' is itself an ensemble/);
    // a member with a different tokeniser (one exposure code fewer) is refused, naming both
    const c = join(root, 'c');
    cpSync(join(root, 'b'), c, { recursive: true });
    const mf = JSON.parse(readFileSync(join(c, 'manifest.json'), 'utf8'));
    mf.tokenizer.exposures = mf.tokenizer.exposures.slice(1);
    writeFileSync(join(c, 'manifest.json'), JSON.stringify(mf));
    await expect(loadRolloutModel(bad('tok', { format: 'vtrial-ensemble/1', members: ['../a', '../c'] }))).rejects.toThrow(/member 2 \(.*c\) has a different tokeniser from member 1/);
    // a step that needs one checkpoint says the folder is an ensemble
    await expect(loadCheckpoint(ens)).rejects.toThrow(/a checkpoint ensemble \(ensemble\.json\), not a single checkpoint/);
  }, 60_000);
});
