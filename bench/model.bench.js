// Twin-model speed: training tokens/s (and the cost of an own-sample step against a plain one), rollout tokens/s, twin-rollouts/s for a standard trial
// (12 months, monthly visits, 10 measured variables, 2 arms), achieved GFLOP/s next to the
// backend's own 512x512 matmul GFLOP/s measured in the same run, the key/value cache speed-up, and the
// memory of an encoded training set stored packed against the padded layout, and the cost of a
// two-member checkpoint ensemble's rollout against one checkpoint's.
// Uses models/default when present (else the default architecture with random weights: same cost).
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, matmulGflops } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { TwinEnsemble } from '../dist/model/ensemble.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { initParams, forward, mixtureNll, paramCount, matMulPlainGrad, DEFAULT_ARCH } from '../dist/model/transformer.js';
import { featureLayout, TIME_PERIODS, fitTokenizer, subjectHistory, encodeHistories } from '../dist/model/tokenizer.js';
import { parseCohortCsv } from '../dist/model/cohort.js';
import { cohortRows, cohortCsvLine, COHORT_CSV_HEADER } from '../dist/population/cohort.js';
import { Rng } from '../dist/core/rng.js';
import { writeOwnDraws } from '../dist/model/train.js';

export const name = 'model';
export const description = 'twin model: training and rollout throughput, achieved vs matmul GFLOP/s, KV-cache speed-up, ensemble rollout cost, encoded-set memory';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const STANDARD_VARS = ['sbp', 'dbp', 'ldl_c', 'hdl_c', 'triglycerides', 'total_cholesterol', 'fasting_glucose', 'hba1c', 'body_weight', 'waist'];

function syntheticModel() {
  const measured = STANDARD_VARS.concat(Array.from({ length: 30 }, (_, i) => `v${i}`)).map((id) => ({ id, transform: 'identity', mean: 0, sd: 1, plausible: [-1e9, 1e9] }));
  const tokenizer = { version: 1, measured, statics: [{ id: 'age', mean: 50, sd: 10 }, { id: 'sex', mean: 0.5, sd: 0.5 }], exposures: Array.from({ length: 30 }, (_, i) => ({ code: `X//e${i}`, scale: 1 })), timePeriods: [...TIME_PERIODS], yearsOnCap: 2 };
  const L = featureLayout(tokenizer);
  const config = { inputDim: L.dim, nVars: L.V, ...DEFAULT_ARCH };
  const manifest = { format: 'vtrial-model/1', config, tokenizer, metrics: {}, data: {} };
  return new TwinModel(manifest, initParams(config, 1), 'sha256:random');
}

/**
 * Forward flops per token at context length T (2 per multiply-add; attention counted), of the
 * plain formulation: the rollout's decoding step projects the time and exposure features once per
 * timeline rather than per twin, so it runs fewer flops than this, and the achieved figure is in
 * plain-formulation flops (comparable across versions).
 */
function flopsPerToken(c, T) {
  const C = c.dModel;
  const mm = c.inputDim * C + c.nLayers * (4 * C * C + 2 * c.mlpRatio * C * C) + C * c.nVars * 3 * c.nMix;
  return 2 * mm + c.nLayers * 4 * C * T;
}

export async function run(log) {
  const info = await initBackend();
  const matmul = await matmulGflops(512, 5);
  log(`  backend ${info.backend}: 512x512 matmul ${matmul.toFixed(1)} GFLOP/s`);
  const ckDir = join(root, 'models', 'default');
  const model = existsSync(join(ckDir, 'manifest.json')) ? await TwinModel.load(ckDir) : syntheticModel();
  const c = model.config;
  const spec = model.tokenizer;
  const V = spec.measured.length, F = c.inputDim;

  // training throughput: default-sized batches of random tokens, forward + backward + update
  const B = 64, T = 12;
  const r = new Rng(1);
  const x = tf.tensor3d(Float32Array.from({ length: B * T * F }, () => r.normal()), [B, T, F]);
  const y = tf.tensor3d(Float32Array.from({ length: B * T * V }, () => r.normal()), [B, T, V]);
  const m = tf.ones([B, T, V]);
  const p = initParams(c, 2);
  const vars = [...p.values()];
  const opt = tf.train.adam(1e-4);
  const trainStep = (xs = x) => { const cost = opt.minimize(() => mixtureNll(forward(p, c, xs), y, m, c), true, vars); cost.dataSync(); cost.dispose(); };
  trainStep();
  let steps = 0; const t0 = performance.now();
  while (performance.now() - t0 < 5000) { trainStep(); steps++; }
  const trainSec = (performance.now() - t0) / 1000;
  const trainTps = (steps * B * T) / trainSec;
  // own-sample training (setting ownSample, every window chosen): one more forward pass without
  // gradient and the draws written into the inputs before the same step
  const xData = x.dataSync();
  const ownStep = () => {
    const raw = tf.tidy(() => forward(p, c, x));
    const xs = Float32Array.from(xData);
    writeOwnDraws(spec, c, xs, raw.dataSync(), B, T, new Int32Array(B).fill(T), new Uint8Array(B).fill(1), r);
    raw.dispose();
    const xt = tf.tensor3d(xs, [B, T, F]);
    trainStep(xt);
    xt.dispose();
  };
  ownStep();
  let ownSteps = 0; const t0own = performance.now();
  while (performance.now() - t0own < 5000) { ownStep(); ownSteps++; }
  const ownSec = (performance.now() - t0own) / 1000;
  tf.dispose([x, y, m]); for (const v of p.values()) v.dispose(); opt.dispose();

  // the input projection's gradient (the largest product in a training step): tfjs's own matMul
  // gradient (products with a transposed operand) against forward's (explicit transposes)
  const xa = tf.randomNormal([B * T, F], 0, 1, 'float32', 3);
  const Wv = tf.variable(tf.randomNormal([F, c.dModel], 0, 0.02, 'float32', 4));
  const gradTime = (mm) => {
    const once = () => { const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(mm(xa, Wv))), [Wv]); grads[Wv.name].dataSync(); tf.dispose([value, ...Object.values(grads)]); };
    once();
    let n = 0; const t = performance.now();
    while (performance.now() - t < 2000) { once(); n++; }
    return (performance.now() - t) / n;
  };
  const tfjsGradMs = gradTime((a, w) => tf.matMul(a, w));
  const plainGradMs = gradTime(matMulPlainGrad);
  tf.dispose([xa, Wv]);

  // the standard trial through the Simulator interface: 12 monthly visits + baseline, 10 variables, 2 arms
  const days = Array.from({ length: 13 }, (_, i) => Math.round(i * 30.4375));
  const schedule = { durationDays: 365, dropout: 0, visits: days.map((d, i) => ({ label: `m${i}`, day: d, variables: STANDARD_VARS.filter((v) => spec.measured.some((q) => q.id === v)) })) };
  const arms = [{ id: 'a', label: 'a', role: 'experimental', interventions: [] }, { id: 'b', label: 'b', role: 'placebo', interventions: [] }];
  const expo0 = spec.exposures[0]?.code;
  const sim = new ModelSimulator(model, (arm) => (arm.id === 'a' && expo0 ? [{ day: 0, code: expo0, value: 1 }] : []));
  const batchOf = (n) => {
    const cols = {};
    for (const s of spec.statics) cols[s.id] = Float64Array.from({ length: n }, (_, i) => (s.id === 'sex' ? i % 2 : s.mean));
    for (const q of spec.measured) cols[q.id] = Float64Array.from({ length: n }, () => (q.transform === 'log' ? Math.exp(q.mean) : q.mean));
    return { ids: Uint32Array.from({ length: n }, (_, i) => i), columns: cols };
  };
  const nTwins = 10000;
  const batch = batchOf(nTwins);
  await sim.simulate(batchOf(64), arms[0], schedule, { seed: 1 }); // warm-up
  const t1 = performance.now();
  for (const arm of arms) await sim.simulate(batch, arm, schedule, { seed: 1 });
  const trialSec = (performance.now() - t1) / 1000;
  const rolloutTokens = 2 * nTwins * (days.length - 1);
  const rolloutTps = rolloutTokens / trialSec;
  const avgT = days.length / 2;
  const achieved = (rolloutTps * flopsPerToken(c, avgT)) / 1e9;

  // KV cache speed-up on the same rollout (2000 twins, model only)
  const n2 = 2000;
  const req = (cache) => ({
    statics: Array.from({ length: n2 }, () => Float64Array.from(spec.statics.map((s) => s.mean))),
    initial: Array.from({ length: n2 }, () => Float64Array.from(spec.measured.map((q) => (q.transform === 'log' ? Math.exp(q.mean) : q.mean)))),
    visitDays: days, exposures: { byCode: new Map() }, rngs: Array.from({ length: n2 }, (_, i) => new Rng(1, i, 9)), cache,
  });
  let t2 = performance.now(); model.rollout(req(true)); const cachedSec = (performance.now() - t2) / 1000;
  t2 = performance.now(); model.rollout(req(false)); const uncachedSec = (performance.now() - t2) / 1000;
  // a two-member ensemble (each twin rolled out by one member) against one checkpoint, same twins:
  // the ensemble's claim is one member's cost per twin (members share weights here; cost is the same)
  const ens = new TwinEnsemble([model, new TwinModel(model.manifest, model.params, `${model.hash}-copy`)]);
  t2 = performance.now(); ens.rollout(req(true)); const ensembleSec = (performance.now() - t2) / 1000;
  t2 = performance.now(); model.rollout(req(true)); const singleSec = (performance.now() - t2) / 1000;
  const params = paramCount(model.params);
  model.dispose();

  // memory of an encoded training set: stored packed (real tokens only) against the padded
  // [windows, blockSize, features] layout, on a generated 3-year cohort, tokeniser version 6
  const rows = cohortRows({ n: 500, years: 3, seed: 1 }, 0, 500);
  const cohort = parseCohortCsv([COHORT_CSV_HEADER, ...rows.map(cohortCsvLine)].join('\n'));
  const spec6 = fitTokenizer(cohort, [], 6);
  const set = encodeHistories(spec6, cohort.subjects.map((s) => subjectHistory(spec6, s)), 32);
  const packedBytes = 4 * (set.x.length + set.y.length + set.m.length);
  const paddedBytes = 4 * set.n * 32 * (set.dim + 2 * set.V);

  return {
    backend: info.backend,
    checkpoint: existsSync(join(ckDir, 'manifest.json')) ? 'models/default' : 'random weights, default architecture',
    params,
    matmul_gflops: matmul,
    train_tokens_per_s: trainTps,
    own_sample_step_over_plain_step: (ownSec / ownSteps) / (trainSec / steps),
    input_projection_grad_tfjs_over_plain: tfjsGradMs / plainGradMs,
    rollout_tokens_per_s: rolloutTps,
    twin_rollouts_per_s: (2 * nTwins) / trialSec,
    standard_trial_10000_twins_2_arms_s: trialSec,
    achieved_rollout_gflops: achieved,
    achieved_over_matmul: achieved / matmul,
    kv_cache_speedup: uncachedSec / cachedSec,
    ensemble2_rollout_over_single: ensembleSec / singleSec,
    encoded_set_bytes_per_token_v6: packedBytes / set.tokens,
    encoded_set_padded_over_packed: paddedBytes / packedBytes,
  };
}
