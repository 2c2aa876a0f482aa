import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';
import { initParams, forward, forwardStep, KVCache, mixtureNll, validateConfig, disposeParams, paramCount, type ModelConfig } from '../../src/model/transformer.js';
import { saveWeights, saveManifest, loadCheckpoint, MANIFEST_FORMAT, catalogHash, type Manifest } from '../../src/model/checkpoint.js';
import { fitTokenizer, subjectHistory, encodeHistories } from '../../src/model/tokenizer.js';
import { TwinModel } from '../../src/model/twin-model.js';
import { Rng } from '../../src/core/rng.js';
import { tinyCohort } from './helpers.js';

const cfg: ModelConfig = { inputDim: 12, nVars: 3, dModel: 16, nLayers: 2, nHeads: 4, mlpRatio: 2, nMix: 2, blockSize: 8 };

beforeAll(async () => {
  await initBackend();
});

function randomX(B: number, T: number, F: number, seed = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: B * T * F }, () => r.normal());
}

describe('transformer', () => {
  it('has the documented output shape and parameter count', () => {
    const p = initParams(cfg);
    const x = tf.tensor3d(randomX(3, 5, 12), [3, 5, 12]);
    const y = tf.tidy(() => forward(p, cfg, x));
    expect(y.shape).toEqual([3, 5, cfg.nVars * 3 * cfg.nMix]);
    const C = 16;
    const perLayer = 2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + 2 * C * C + 2 * C + 2 * C * C + C;
    expect(paramCount(p)).toBe(12 * C + C + 2 * perLayer + 2 * C + C * 18 + 18);
    tf.dispose([x, y]);
    disposeParams(p);
  });

  it('bad config arguments name themselves', () => {
    expect(() => validateConfig({ ...cfg, nHeads: 3 })).toThrow(/nHeads/);
    expect(() => validateConfig({ ...cfg, dModel: 0 })).toThrow(/dModel/);
    expect(() => validateConfig({ ...cfg, blockSize: 2.5 })).toThrow(/blockSize/);
    const p = initParams(cfg);
    const x = tf.zeros([1, 9, 12]) as tf.Tensor3D;
    expect(() => tf.tidy(() => forward(p, cfg, x))).toThrow(/blockSize/);
    const xw = tf.zeros([1, 2, 11]) as tf.Tensor3D;
    expect(() => tf.tidy(() => forward(p, cfg, xw))).toThrow(/inputDim/);
    tf.dispose([x, xw]);
    disposeParams(p);
  });

  it('is causal: changing a later token does not change earlier outputs', () => {
    const p = initParams(cfg);
    const a = randomX(2, 6, 12, 3);
    const b = a.slice();
    for (let i = 4 * 12; i < 6 * 12; i++) b[i] = 5; // tokens 4..5 of the first sequence
    const ya = tf.tidy(() => forward(p, cfg, tf.tensor3d(a, [2, 6, 12])).arraySync());
    const yb = tf.tidy(() => forward(p, cfg, tf.tensor3d(b, [2, 6, 12])).arraySync());
    for (let t = 0; t < 4; t++) for (let k = 0; k < 18; k++) expect(yb[0]![t]![k]).toBeCloseTo(ya[0]![t]![k]!, 5);
    expect(Math.abs(yb[0]![5]![0]! - ya[0]![5]![0]!)).toBeGreaterThan(1e-4);
    disposeParams(p);
  });

  it('cached decoding agrees with the full pass within 1e-4 and does not leak', () => {
    const p = initParams(cfg, 5);
    // larger weights so differences would show
    for (const v of p.values()) v.assign(tf.tidy(() => tf.mul(v, 10)));
    const B = 4, T = 7, F = 12;
    const xs = randomX(B, T, F, 9);
    const full = tf.tidy(() => forward(p, cfg, tf.tensor3d(xs, [B, T, F])).arraySync());
    const before = tf.memory().numTensors;
    const cache = new KVCache();
    let maxDiff = 0;
    for (let t = 0; t < T; t++) {
      const tok = new Float32Array(B * F);
      for (let b = 0; b < B; b++) tok.set(xs.subarray((b * T + t) * F, (b * T + t + 1) * F), b * F);
      const x = tf.tensor3d(tok, [B, 1, F]);
      const y = forwardStep(p, cfg, x, cache);
      const arr = y.arraySync();
      for (let b = 0; b < B; b++) for (let k = 0; k < 18; k++) maxDiff = Math.max(maxDiff, Math.abs(arr[b]![0]![k]! - full[b]![t]![k]!));
      tf.dispose([x, y]);
    }
    expect(cache.length).toBe(T);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(maxDiff).toBeLessThan(1e-4);
    disposeParams(p);
  });

  it('a training step leaks no tensors', () => {
    const p = initParams(cfg);
    const x = tf.tensor3d(randomX(2, 4, 12), [2, 4, 12]);
    const y = tf.tensor3d(randomX(2, 4, 3, 2), [2, 4, 3]);
    const m = tf.ones([2, 4, 3]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => mixtureNll(forward(p, cfg, x), y, m, cfg), [...p.values()]);
      tf.dispose(value);
      tf.dispose(grads);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, m]);
    disposeParams(p);
  });
});

describe('checkpoint', () => {
  it('save/load round trip gives identical outputs, and rollouts cached == uncached', async () => {
    const cohort = tinyCohort(40);
    const spec = fitTokenizer(cohort);
    const hs = cohort.subjects.map((s) => subjectHistory(spec, s));
    const set = encodeHistories(spec, hs, 6);
    const c: ModelConfig = { inputDim: set.dim, nVars: set.V, dModel: 16, nLayers: 2, nHeads: 2, mlpRatio: 2, nMix: 2, blockSize: 8 };
    const p = initParams(c, 11);
    for (const v of p.values()) v.assign(tf.tidy(() => tf.mul(v, 5)));
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-ck-'));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT, created: 'test', engineVersion: 'test', backend: tf.getBackend(), config: c, train: {}, tokenizer: spec,
      catalogSha256: catalogHash(), paramCount: paramCount(p),
      data: { cohortFile: 'tiny', cohortSha256: '', subjects: 40, trainSubjects: 40, valSubjects: 0, events: cohort.nEvents, trainTokens: set.tokens, valTokens: 0 },
      metrics: { epochs: 0, steps: 0, wallSeconds: 0, tokensPerSecond: 0, trainLoss: NaN, valLoss: NaN, bestValLoss: NaN, stoppedBecause: 'test', history: [] },
    };
    await saveWeights(dir, p);
    await saveManifest(dir, manifest);
    const x = tf.tensor3d(set.x.subarray(0, 3 * 6 * set.dim), [3, 6, set.dim]);
    const y1 = tf.tidy(() => forward(p, c, x).dataSync());
    const ck = await loadCheckpoint(dir);
    const y2 = tf.tidy(() => forward(ck.params, ck.manifest.config, x).dataSync());
    expect(Array.from(y2)).toEqual(Array.from(y1));
    expect(ck.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    x.dispose();
    disposeParams(p);

    const model = new TwinModel(ck.manifest, ck.params, ck.hash, dir);
    const h = hs.slice(0, 5);
    const req = (cache: boolean) => ({
      statics: h.map((q) => q.statics), initial: h.map((q) => q.visits[0]!.values), visitDays: [0, 30, 61, 91, 122, 152, 182],
      exposures: h.map((q) => q.exposures), rngs: h.map((_, i) => new Rng(1, i, 2)), cache,
    });
    const before = tf.memory().numTensors;
    const a = model.rollout(req(true));
    expect(tf.memory().numTensors).toBe(before);
    const b = model.rollout(req(false));
    let maxRel = 0;
    a.forEach((col, v) => col.forEach((val, i) => { maxRel = Math.max(maxRel, Math.abs(val - b[v]![i]!) / Math.max(1, Math.abs(val))); }));
    expect(maxRel).toBeLessThan(1e-4);
    // batching does not change a twin's rollout
    const solo = model.rollout({ ...req(true), statics: [h[2]!.statics], initial: [h[2]!.visits[0]!.values], exposures: [h[2]!.exposures], rngs: [new Rng(1, 2, 2)] });
    solo.forEach((col, v) => col.forEach((val, j) => expect(Math.abs(val - a[v]![2 * 7 + j]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(val)))));
    model.dispose();
  });

  it('cholesky factor reproduces its matrix and refuses an indefinite one', async () => {
    const { cholesky } = await import('../../src/model/copula.js');
    const a = [4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 1];
    const L = cholesky(a, 3)!;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[i * 3 + k]! * L[j * 3 + k]!;
      expect(s).toBeCloseTo(a[i * 3 + j]!, 10);
    }
    expect(cholesky([1, 2, 2, 1], 2)).toBeUndefined();
  });

  it('rejects a file that is not a checkpoint, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-empty-'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/not a model checkpoint/);
  });
});

describe('evaluation', () => {
  it('a trained tiny model is roughly calibrated on held-out participants', async () => {
    const { trainModel } = await import('../../src/model/train.js');
    const { forecastQuality } = await import('../../src/model/evaluate.js');
    const { TINY_SETTINGS } = await import('./helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-eval-'));
    const r = await trainModel({ cohort: tinyCohort(600), outDir: dir, settings: { ...TINY_SETTINGS, epochs: 6 } });
    r.params.forEach((v) => v.dispose());
    const model = await TwinModel.load(dir);
    const held = tinyCohort(200, 99); // other participants, same world
    const set = encodeHistories(model.tokenizer, held.subjects.map((s) => subjectHistory(model.tokenizer, s)), 6);
    const q = forecastQuality(model, set);
    expect(q.perVariable.map((v) => v.id).sort()).toEqual(['bmi', 'body_weight', 'ldl_c', 'sbp']);
    // loose bounds: a tiny model trained for seconds; the default model's figures are in docs/model-card.md
    expect(q.cover90).toBeGreaterThan(0.8);
    expect(q.cover90).toBeLessThan(0.97);
    const sbp = q.perVariable.find((v) => v.id === 'sbp')!;
    expect(sbp.rmse).toBeLessThan(sbp.sdObserved);
    model.dispose();
  }, 60_000);
});
