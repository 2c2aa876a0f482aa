/**
 * Training: a flat procedure in the nanoGPT manner. Read the cohort, fit the tokeniser,
 * split BY PARTICIPANT into train and validation, then loop: batches -> forward -> mixture NLL
 * -> gradients -> global-norm clipping -> AdamW with linear warm-up and cosine decay. The
 * validation loss after every epoch drives early stopping and the best weights are kept.
 * Everything needed to resume (weights, optimiser moments, step, schedule) is saved each epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { Rng, hashString, Purpose } from '../core/rng.js';
import { ENGINE_VERSION } from '../core/version.js';
import { readCohort, type Cohort } from './cohort.js';
import {
  fitTokenizer, subjectHistory, encodeHistories, paddedWindows, featureLayout,
  type EncodedSet, type ExtraVariable, type TokenizerSpec, type History,
} from './tokenizer.js';
import {
  DEFAULT_ARCH, initParams, newVariable, forward, mixtureNll, paramCount, isDecayed, validateConfig, disposeParams, MIN_SD,
  type ModelConfig, type Params,
} from './transformer.js';
import {
  saveWeights, saveManifest, saveTrainState, loadTrainState, loadCheckpoint, catalogHash, MANIFEST_FORMAT,
  type Manifest, type Lineage, type TrainingMetrics, type TrainingSummary,
} from './checkpoint.js';
import { writeModelCard } from './card.js';
import { fitCopula } from './copula.js';
import { fitRolloutScale, type RolloutScale } from './rollout-scale.js';
import { TwinModel } from './twin-model.js';

/** The architecture (ModelConfig less what the tokeniser decides) plus the optimisation settings. */
export interface TrainSettings extends Omit<ModelConfig, 'inputDim' | 'nVars' | 'residual' | 'residualVars' | 'interaction' | 'ownDim'> {
  /**
   * Rank of the own x query interaction in the input embedding (ModelConfig.interaction; 0 =
   * none): lets an exposure's effect depend on the current values from the first layer on.
   */
  readonly interaction: number;
  /** 1: residual head (the model predicts the change from each current value; see ModelConfig); 0: levels. */
  readonly residual: number;
  /**
   * With residual 1: the measured variables (ids) whose means are anchored on the current value;
   * the others keep a level head. Empty: all variables.
   */
  readonly residualVars: readonly string[];
  readonly batchSize: number;
  /** Peak learning rate after warm-up. */
  readonly lr: number;
  /** Learning rate at the end of the cosine decay. */
  readonly minLr: number;
  readonly warmupSteps: number;
  /** Decoupled (AdamW) weight decay on matrices. */
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  /** Clip the global gradient norm to this. */
  readonly clipNorm: number;
  readonly epochs: number;
  /** Wall-time budget; training stops cleanly (best weights saved) when it is spent. */
  readonly maxMinutes: number;
  /** Share of participants held out for validation. */
  readonly valFraction: number;
  /** Stop after this many epochs without a validation improvement of at least minDelta. */
  readonly patience: number;
  readonly minDelta: number;
  readonly seed: number;
  /**
   * Weight in the training loss of a token across which an exposure starts or stops (the query's
   * exposures differ from those in force at the token's own visit), relative to 1 for the others.
   * The weight depends on the inputs only, so the best predictive distribution is unchanged; it
   * moves gradient towards the rare tokens that carry intervention effects. The printed training
   * loss is the weighted one; the validation loss is always unweighted. Needs tokeniser version 2
   * or later.
   */
  readonly changeWeight: number;
  /**
   * Weight of a token in the first `earlyYears` of an exposure (some exposure in force at the
   * query has been on for less than that) or in the first `earlyYears` after one stopped
   * (tokeniser version 3), relative to 1 for the others; a token that is also an onset or stop
   * token takes changeWeight. Effects that build over months (weight, HbA1c) and the regain after
   * a stop are carried by these tokens. Input-only, like changeWeight.
   */
  readonly earlyWeight: number;
  /** The window, in years, of earlyWeight (above 0, at most the tokeniser's years-on cap). */
  readonly earlyYears: number;
  /**
   * Weight of a token of a participant screened before baseline (a window holding a visit before
   * day 0; tokeniser version 8) whose target visit lies within the first `earlyYears` after day 0,
   * the screening token included: such a token weighs at least this much (1 = no extra weight).
   * The untreated course after selection on a screening reading lives in few participants; this
   * lets them count (docs/model-card.md, sessions 16-17). Input-only, like changeWeight.
   */
  readonly screenWeight: number;
  /**
   * Own-sample training (scheduled sampling, Bengio S et al. NeurIPS 2015, arXiv:1506.03099, in
   * its one-pass form for transformers): the share of training windows, drawn per window and
   * step, in which every token after the window's first whose visit lies after day 0 carries, in
   * place of its recorded values, a full panel drawn from the model's own predictive mixture at
   * the token before (current weights, one forward pass without gradient, every variable marked
   * measured), as a rollout fed with `rolloutFeed: all` writes its history; the targets stay the
   * recorded values. The model so learns to predict the truth from histories of its own draws,
   * the remedy for the drift a fed rollout compounds (docs/model-card.md, sessions 16-18).
   * 0 = off (teacher forcing only). Each step with a chosen window costs one more forward pass.
   * The validation loss stays teacher-forced.
   */
  readonly ownSample: number;
  /**
   * Extra training copies of each history (with at least 4 visits) that start at a later visit,
   * drawn per history from the seed (0 = none). When histories are shorter than blockSize (the
   * bundled model's cohort's are), every window starts at the first visit and the model always
   * sees the values from before an exposure began; a copy that starts later makes it predict
   * from the exposure features and the visits it is shown. Validation histories are not copied.
   */
  readonly lateStarts: number;
  /**
   * Tokeniser version of a model trained from scratch: 3 (the default); 4, which adds per
   * exposure and drug class the level times the planned adherence, so an effect proportional to
   * the dose actually taken is linear in one feature; or 5, which instead multiplies the level,
   * in-force flag and years on of an exposure in force by its planned adherence; 6, 7 and 8 as
   * TokenizerSpec.version describes (docs/model-card.md). A checkpoint started from (--init,
   * --resume) keeps its own tokeniser, except that --init may move a version-6 or -7 one to a
   * later of 6-8 (the same layout).
   */
  readonly tokenizerVersion: number;
  /**
   * Every this many minutes of training (0 = never), save the current weights, calibrated, as a
   * full checkpoint in `snapshots/NNNmin/` under the output folder, so that a run can be judged
   * by something other than validation loss (scripts/select-snapshot.mjs scores them by effect
   * fidelity on a held-out cohort). Time spent saving is not counted against maxMinutes and does
   * not move the learning-rate schedule.
   */
  readonly snapshotMinutes: number;
}

export const DEFAULT_TRAIN: TrainSettings = {
  ...DEFAULT_ARCH,
  residual: 0,
  residualVars: [],
  interaction: 0,
  batchSize: 64,
  lr: 2e-3,
  minLr: 1e-4,
  warmupSteps: 100,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  clipNorm: 1.0,
  epochs: 30,
  maxMinutes: 60,
  valFraction: 0.1,
  patience: 4,
  minDelta: 1e-3,
  seed: 1,
  changeWeight: 1,
  earlyWeight: 1,
  earlyYears: 1,
  screenWeight: 1,
  ownSample: 0,
  lateStarts: 0,
  tokenizerVersion: 3,
  snapshotMinutes: 0,
};

/** Merge user settings (from --config and flags) into the defaults; unknown or bad keys name themselves. */
export function resolveSettings(user: Record<string, unknown>, source = 'config'): TrainSettings {
  const out: Record<string, unknown> = { ...DEFAULT_TRAIN };
  for (const [k, v] of Object.entries(user)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_TRAIN)) {
      throw new InputError(`${source}: unknown training setting '${k}'`, [`  known settings: ${Object.keys(DEFAULT_TRAIN).join(', ')}`]);
    }
    if (k === 'residualVars') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
        throw new InputError(`${source}: setting 'residualVars' must be a list of measured variable ids. Received: residualVars=${JSON.stringify(v)}`, ['  e.g. "residualVars": ["body_weight", "bmi", "waist"]']);
      }
      out[k] = [...new Set(v as string[])];
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InputError(`${source}: setting '${k}' must be a non-negative number. Received: ${k}=${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  const s = out as unknown as TrainSettings;
  for (const k of ['dModel', 'nLayers', 'nHeads', 'mlpRatio', 'nMix', 'blockSize', 'batchSize', 'epochs'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new InputError(`${source}: setting '${k}' must be a positive integer. Received: ${k}=${s[k]}`);
  }
  if (!Number.isInteger(s.lateStarts)) throw new InputError(`${source}: setting 'lateStarts' must be a whole number (extra copies of each history that start at a later visit). Received: lateStarts=${s.lateStarts}`);
  if (![3, 4, 5, 6, 7, 8].includes(s.tokenizerVersion)) throw new InputError(`${source}: setting 'tokenizerVersion' must be 3, 4, 5, 6, 7 or 8 (4 adds the level times the planned adherence per exposure; 5 scales the in-force features by it; 6 adds the share of a first-order onset or washout that happens in each step; 7 is 6 with a dose change inside an episode carried as one continuing exposure; 8 is 7 with measurements before time 0, a screening visit, kept as a visit before baseline). Received: tokenizerVersion=${s.tokenizerVersion}`);
  if (!Number.isInteger(s.interaction)) throw new InputError(`${source}: setting 'interaction' must be a whole number (the rank of the own x query interaction; 0 = none). Received: interaction=${s.interaction}`);
  if (s.residual !== 0 && s.residual !== 1) throw new InputError(`${source}: setting 'residual' must be 0 (predict levels) or 1 (predict the change from each current value). Received: residual=${s.residual}`);
  if (s.residualVars.length > 0 && s.residual !== 1) throw new InputError(`${source}: setting 'residualVars' names the variables of a residual head, so it needs residual 1. Received: residual=${s.residual}, residualVars=${JSON.stringify(s.residualVars)}`);
  if (!(s.changeWeight > 0)) throw new InputError(`${source}: setting 'changeWeight' must be above 0 (1 = every token weighs the same). Received: changeWeight=${s.changeWeight}`);
  if (!(s.earlyWeight > 0)) throw new InputError(`${source}: setting 'earlyWeight' must be above 0 (1 = every token weighs the same). Received: earlyWeight=${s.earlyWeight}`);
  if (!(s.earlyYears > 0)) throw new InputError(`${source}: setting 'earlyYears' must be above 0. Received: earlyYears=${s.earlyYears}`);
  if (!(s.screenWeight > 0)) throw new InputError(`${source}: setting 'screenWeight' must be above 0 (1 = every token weighs the same). Received: screenWeight=${s.screenWeight}`);
  if (!(s.ownSample < 1)) throw new InputError(`${source}: setting 'ownSample' must be at least 0 and below 1 (the share of training windows fed the model's own draws; 0 = off). Received: ownSample=${s.ownSample}`);
  if (s.dModel % s.nHeads !== 0) throw new InputError(`${source}: dModel must be divisible by nHeads. Received: dModel=${s.dModel}, nHeads=${s.nHeads}`);
  if (s.valFraction <= 0 || s.valFraction >= 1) throw new InputError(`${source}: valFraction must be between 0 and 1 (exclusive). Received: ${s.valFraction}`);
  if (s.beta1 >= 1 || s.beta2 >= 1) throw new InputError(`${source}: beta1 and beta2 must be below 1`);
  return s;
}

export interface ProgressEvent {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly valLoss?: number;
  readonly lr: number;
  readonly tokensPerSecond: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number;
  readonly phase: 'start' | 'step' | 'epoch' | 'snapshot' | 'calibrate' | 'done';
  readonly message?: string;
}

export interface TrainOptions {
  readonly cohort: string | Cohort;
  readonly outDir: string;
  readonly settings?: Partial<TrainSettings>;
  readonly resume?: boolean;
  /**
   * Start from this checkpoint's weights, tokeniser and architecture (fine-tuning on a new
   * cohort) with a fresh optimiser and schedule. Codes the tokeniser does not know are ignored.
   */
  readonly init?: string;
  readonly extraVariables?: readonly ExtraVariable[];
  readonly backend?: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  /**
   * The clock that wall-time budgets, snapshots and speed are measured with, in milliseconds
   * (default `performance.now`). Tests pass a clock they advance themselves, so that time-based
   * behaviour does not depend on how fast the machine is.
   */
  readonly clock?: () => number;
}

export interface TrainResult {
  readonly outDir: string;
  readonly manifest: Manifest;
  readonly params: Params;
}

/** Deterministic participant-level split: a subject is in validation when its hash falls below valFraction. */
export function isValidationSubject(id: string, seed: number, valFraction: number): boolean {
  return new Rng(seed, hashString(id), Purpose.cohort).uniform() < valFraction;
}

/**
 * Learning rate: linear warm-up over warmupSteps, then cosine decay from lr to minLr as
 * `progress` goes 0 -> 1. Progress is the larger of steps done / steps planned and wall time
 * used / wall-time budget, so the decay completes whichever limit comes first, even when the
 * speed of the machine changes during training.
 */
export function learningRate(step: number, progress: number, s: Pick<TrainSettings, 'lr' | 'minLr' | 'warmupSteps'>): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const p = Math.min(1, Math.max(0, progress));
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * p)) * (s.lr - s.minLr);
}

/**
 * 1 for each of `count` tokens (rows of x) across which an exposure starts or stops: some exposure's query
 * "active" flag differs from its "in force at this visit" flag (tokeniser version 2 or later).
 */
export function exposureChangeTokens(spec: TokenizerSpec, x: Float32Array, count: number): Uint8Array {
  const L = featureLayout(spec);
  if (spec.version < 2) throw new InputError('changeWeight needs tokeniser version 2 or later (this checkpoint has version 1 tokens)');
  const out = new Uint8Array(count);
  const act = L.offsets.expo + L.E, now = L.offsets.expo + 4 * L.E;
  for (let t = 0; t < count; t++) {
    const o = t * L.dim;
    // version 5 writes the planned adherence in the query's in-force slot: compare presence
    for (let e = 0; e < L.E; e++) if ((x[o + act + e]! > 0) !== (x[o + now + e]! > 0)) { out[t] = 1; break; }
  }
  return out;
}

/**
 * 1 for each of `count` tokens (rows of x) in the first `years` of an exposure: some exposure active at the query
 * has been on for less than `years`, or (version 3) some exposure stopped less than `years` before
 * the query. Years at or beyond the tokeniser's cap cannot be told apart, so `years` must not
 * exceed it.
 */
export function earlyExposureTokens(spec: TokenizerSpec, x: Float32Array, count: number, years: number): Uint8Array {
  const L = featureLayout(spec);
  if (spec.version < 2) throw new InputError('earlyWeight needs tokeniser version 2 or later (this checkpoint has version 1 tokens)');
  if (!(years > 0) || years > spec.yearsOnCap) throw new InputError(`earlyYears must be above 0 and at most the tokeniser's years-on cap (${spec.yearsOnCap}). Received: ${years}`);
  const out = new Uint8Array(count);
  const o = L.offsets.expo, E = L.E, cut = years / spec.yearsOnCap;
  for (let t = 0; t < count; t++) {
    const b = t * L.dim + o;
    for (let e = 0; e < E; e++) {
      // version 5 scales the in-force flag and years on by the planned adherence: undo it
      const a = x[b + E + e]!;
      const on = a > 0 && (spec.version === 5 ? x[b + 2 * E + e]! / a : x[b + 2 * E + e]!) < cut;
      const off = L.F >= 7 && x[b + 5 * E + e]! > 0 && x[b + 6 * E + e]! < cut;
      if (on || off) { out[t] = 1; break; }
    }
  }
  return out;
}

/**
 * `perHistory` copies of each history with at least 4 visits, each starting at a later visit
 * (index 1 .. visits - 3, so a copy keeps at least 2 tokens), drawn from (seed, history id).
 * A copy keeps the statics and the whole exposure timeline: exposures that began before its
 * first visit are in force there, with their years on.
 */
export function lateStartHistories(hs: readonly History[], perHistory: number, seed: number): History[] {
  const out: History[] = [];
  if (perHistory <= 0) return out;
  for (const h of hs) {
    const nv = h.visits.length;
    if (nv < 4) continue;
    const rng = new Rng(seed, hashString(`late-start:${h.id}`), Purpose.cohort);
    for (let j = 0; j < perHistory; j++) {
      const k = 1 + rng.int(nv - 3);
      out.push({ ...h, id: `${h.id}#${k}`, visits: h.visits.slice(k) });
    }
  }
  return out;
}

/**
 * 1 for each of `count` tokens (rows of x) in a window (rows offsets[w] .. offsets[w + 1] - 1) that
 * holds a visit before day 0 (a screening visit, tokeniser version 8), whose target visit lies
 * within `years` after day 0: the screening token itself and the first months after baseline.
 */
export function screenedTokens(spec: TokenizerSpec, x: Float32Array, count: number, offsets: Int32Array, years: number): Uint8Array {
  const L = featureLayout(spec);
  const day = L.offsets.time + 2 * L.P, qday = L.offsets.qtime + 2 * L.P; // days / 365.25
  const out = new Uint8Array(count);
  for (let w = 0; w < offsets.length; w++) {
    const a = offsets[w]!, b = w + 1 < offsets.length ? offsets[w + 1]! : count;
    let screened = false;
    for (let t = a; t < b && !screened; t++) screened = x[t * L.dim + day]! < 0;
    if (!screened) continue;
    for (let t = a; t < b; t++) if (x[t * L.dim + L.offsets.hasQuery]! > 0 && x[t * L.dim + qday]! <= years) out[t] = 1;
  }
  return out;
}

/**
 * Loss weight per token (row of x) from the settings, or undefined when every token weighs 1:
 * changeWeight for onset and stop tokens, else earlyWeight for early-exposure tokens, else 1;
 * then at least screenWeight for the tokens of screened participants' first months (which needs
 * the windows' `offsets`).
 */
export function tokenLossWeights(spec: TokenizerSpec, x: Float32Array, count: number, s: Pick<TrainSettings, 'changeWeight' | 'earlyWeight' | 'earlyYears'> & Partial<Pick<TrainSettings, 'screenWeight'>>, offsets?: Int32Array): Float32Array | undefined {
  const screenWeight = s.screenWeight ?? 1;
  if (s.changeWeight === 1 && s.earlyWeight === 1 && screenWeight === 1) return undefined;
  const w = new Float32Array(count).fill(1);
  if (s.earlyWeight !== 1) {
    const early = earlyExposureTokens(spec, x, count, s.earlyYears);
    for (let t = 0; t < count; t++) if (early[t]) w[t] = s.earlyWeight;
  }
  if (s.changeWeight !== 1) {
    const change = exposureChangeTokens(spec, x, count);
    for (let t = 0; t < count; t++) if (change[t]) w[t] = s.changeWeight;
  }
  if (screenWeight !== 1) {
    if (!offsets) throw new RangeError('tokenLossWeights: screenWeight needs the windows\' offsets');
    const scr = screenedTokens(spec, x, count, offsets, s.earlyYears);
    for (let t = 0; t < count; t++) if (scr[t]) w[t] = Math.max(w[t]!, screenWeight);
  }
  return w;
}

/** Share of training tokens whose loss weight is above 1, as a percentage string. */
function weightedShare(w: Float32Array): string {
  let up = 0;
  for (let i = 0; i < w.length; i++) if (w[i]! > 1) up++;
  return `${((100 * up) / Math.max(1, w.length)).toFixed(1)}%`;
}

/**
 * Own-sample training's inputs (setting ownSample). In each window b of a padded batch x [B, T, F]
 * (its first lens[b] tokens real) with chosen[b] set, every token t >= 1 whose visit lies after
 * day 0 gets as its values a full panel drawn from the head outputs raw [B, T, V * 3K] at token
 * t - 1 (per variable: component by the softmax of the K logits, then mean + SD x normal, as
 * TwinModel's rollout draws without its calibrated scale and copula) and a mask of 1 for every
 * variable. Statics, times and exposures are untouched. Returns the number of tokens rewritten.
 */
export function writeOwnDraws(
  spec: TokenizerSpec, c: Pick<ModelConfig, 'nVars' | 'nMix'>, x: Float32Array, raw: Float32Array,
  B: number, T: number, lens: ArrayLike<number>, chosen: ArrayLike<number>, rng: Rng,
): number {
  const L = featureLayout(spec);
  const V = L.V, K = c.nMix, F = L.dim;
  if (c.nVars !== V) throw new RangeError(`writeOwnDraws: the model predicts ${c.nVars} variables, the tokeniser measures ${V}`);
  if (x.length !== B * T * F || raw.length !== B * T * V * 3 * K) throw new RangeError(`writeOwnDraws: x (${x.length}) and raw (${raw.length}) do not match [${B}, ${T}] tokens`);
  const day = L.offsets.time + 2 * L.P; // days / 365.25
  const e = new Float64Array(K);
  let written = 0;
  for (let b = 0; b < B; b++) {
    if (!chosen[b]) continue;
    const len = Math.min(T, lens[b]!);
    for (let t = 1; t < len; t++) {
      const at = (b * T + t) * F;
      if (!(x[at + day]! > 0)) continue;
      const from = (b * T + t - 1) * V * 3 * K;
      for (let v = 0; v < V; v++) {
        const o = from + v * 3 * K;
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, raw[o + k]!);
        let tot = 0;
        for (let k = 0; k < K; k++) { e[k] = Math.exp(raw[o + k]! - mx); tot += e[k]!; }
        const u = rng.uniform() * tot;
        let k = 0;
        for (let acc = e[0]!; k < K - 1 && u >= acc; acc += e[++k]!);
        const r = raw[o + 2 * K + k]!;
        const sd = (r > 20 ? r : Math.log1p(Math.exp(r))) + MIN_SD;
        x[at + L.offsets.values + v] = raw[o + K + k]! + sd * rng.normal();
        x[at + L.offsets.mask + v] = 1;
      }
      written++;
    }
  }
  return written;
}

/**
 * A training batch as tensors. With `own` (setting ownSample above 0), each window is chosen with
 * probability own.share from own.rng, and the chosen windows' inputs are rewritten by
 * writeOwnDraws from one forward pass of the current weights (no gradient).
 */
function sliceBatch(
  set: EncodedSet, idx: readonly number[], T: number, weights?: Float32Array,
  own?: { share: number; rng: Rng; spec: TokenizerSpec; params: Params; c: ModelConfig },
): { x: tf.Tensor3D; y: tf.Tensor3D; m: tf.Tensor3D; ownTokens: number } {
  const B = idx.length;
  const { x, y, m } = paddedWindows(set, idx, T, weights);
  let ownTokens = 0;
  if (own && own.share > 0) {
    const chosen = Uint8Array.from(idx, () => (own.rng.uniform() < own.share ? 1 : 0));
    if (chosen.some((v) => v === 1)) {
      const raw = tf.tidy(() => {
        const xt = tf.tensor3d(x, [B, T, set.dim]);
        return forward(own.params, own.c, xt);
      });
      const r = raw.dataSync() as Float32Array;
      raw.dispose();
      ownTokens = writeOwnDraws(own.spec, own.c, x, r, B, T, Array.from(idx, (i) => set.lens[i]!), chosen, own.rng);
    }
  }
  return { x: tf.tensor3d(x, [B, T, set.dim]), y: tf.tensor3d(y, [B, T, set.V]), m: tf.tensor3d(m, [B, T, set.V]), ownTokens };
}

/** Mean validation NLL per observed value (weighted over batches by observed count). */
export function evaluateLoss(p: Params, c: ModelConfig, set: EncodedSet, batchSize = 256): number {
  let tot = 0, cnt = 0;
  for (let s = 0; s < set.n; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.n - s) }, (_, i) => s + i);
    const { x, y, m } = sliceBatch(set, idx, set.T);
    const [l, n] = tf.tidy(() => {
      const loss = mixtureNll(forward(p, c, x), y, m, c);
      return [loss.dataSync()[0]!, m.sum().dataSync()[0]!];
    });
    x.dispose(); y.dispose(); m.dispose();
    tot += l * n; cnt += n;
  }
  return cnt ? tot / cnt : NaN;
}

function cloneParams(p: Params): Params {
  const out: Params = new Map();
  for (const [k, v] of p) out.set(k, newVariable(v.clone(), false, 'copy:' + k));
  return out;
}

function copyInto(dst: Params, src: Params): void {
  for (const [k, v] of src) dst.get(k)!.assign(v);
}

function zerosLike(p: Params, tag: string): Params {
  const out: Params = new Map();
  for (const [k, v] of p) out.set(k, newVariable(tf.zerosLike(v), false, `${tag}:${k}`));
  return out;
}

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Build the model config for a tokeniser and settings. */
export function modelConfigFor(spec: TokenizerSpec, s: Pick<TrainSettings, 'dModel' | 'nLayers' | 'nHeads' | 'mlpRatio' | 'nMix' | 'blockSize'> & { readonly residual?: number; readonly residualVars?: readonly string[]; readonly interaction?: number }): ModelConfig {
  const L = featureLayout(spec);
  const c: ModelConfig = { inputDim: L.dim, nVars: L.V, dModel: s.dModel, nLayers: s.nLayers, nHeads: s.nHeads, mlpRatio: s.mlpRatio, nMix: s.nMix, blockSize: s.blockSize };
  const ids = spec.measured.map((m) => m.id);
  const vars = s.residual && s.residualVars && s.residualVars.length > 0
    ? s.residualVars.map((id) => {
      const i = ids.indexOf(id);
      if (i < 0) throw new InputError(`setting 'residualVars': '${id}' is not a measured variable of this cohort`, [`  measured variables: ${ids.join(', ')}`]);
      return i;
    }).sort((a, b) => a - b)
    : undefined;
  return { ...c, ...(s.residual ? { residual: true } : {}), ...(vars ? { residualVars: vars } : {}), ...(s.interaction ? { interaction: s.interaction, ownDim: L.offsets.time } : {}) };
}

/** Train a model on a long-format cohort and write a checkpoint folder. */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const cohortFile = typeof opts.cohort === 'string' ? opts.cohort : opts.cohort.file;
  const cohort = typeof opts.cohort === 'string' ? await readCohort(opts.cohort) : opts.cohort;
  await mkdir(opts.outDir, { recursive: true });

  // On resume, settings, tokeniser and architecture come from the checkpoint (nanoGPT: force model_args back).
  let resumed: Awaited<ReturnType<typeof loadCheckpoint>> | undefined;
  let resumeState: Awaited<ReturnType<typeof loadTrainState>>;
  if (opts.resume) {
    if (!existsSync(join(opts.outDir, 'train-state.json'))) {
      throw new InputError(`${opts.outDir}: nothing to resume (no train-state.json)`, ['  hint: run without --resume to start training into this folder']);
    }
    resumed = await loadCheckpoint(opts.outDir);
    resumeState = await loadTrainState(opts.outDir);
  }
  if (opts.init && opts.resume) throw new InputError('--init and --resume cannot be combined', ['  --resume continues a run in --out; --init starts a new run from another checkpoint']);
  const initFrom = opts.init ? await loadCheckpoint(opts.init) : undefined;
  const startedFrom: Lineage | undefined = resumed
    ? resumed.manifest.startedFrom
    : initFrom
      ? {
          hash: initFrom.hash, created: initFrom.manifest.created, cohortFile: initFrom.manifest.data.cohortFile, cohortSha256: initFrom.manifest.data.cohortSha256,
          steps: initFrom.manifest.metrics.steps, tokenizerVersion: initFrom.manifest.tokenizer.version, ...(initFrom.manifest.startedFrom ? { startedFrom: initFrom.manifest.startedFrom } : {}),
        }
      : undefined;
  // how the starting checkpoint is meant to be rolled out (latent steps, feed) carries over
  const from = resumed?.manifest ?? initFrom?.manifest;
  const rolloutSettings = { ...(from?.rolloutStepDays ? { rolloutStepDays: from.rolloutStepDays } : {}), ...(from?.rolloutFeed ? { rolloutFeed: from.rolloutFeed } : {}) };
  const arch = (m: Manifest) => ({ dModel: m.config.dModel, nLayers: m.config.nLayers, nHeads: m.config.nHeads, mlpRatio: m.config.mlpRatio, nMix: m.config.nMix, blockSize: m.config.blockSize, residual: m.config.residual ? 1 : 0, residualVars: (m.config.residualVars ?? []).map((i) => m.tokenizer.measured[i]!.id), interaction: m.config.interaction ?? 0 });
  const s = resumed
    ? resolveSettings({ ...withoutTokenizerVersion(resumed.manifest.train as Partial<TrainSettings>), ...pickNonArch(opts.settings ?? {}) }, 'checkpoint')
    : initFrom
      ? resolveSettings({ ...pickNonArch(opts.settings ?? {}), ...arch(initFrom.manifest) })
      : resolveSettings(opts.settings ?? {});
  const asked = opts.settings?.tokenizerVersion;
  // versions 7 and 8 keep version 6's layout (7 differs only where a dose changes inside an
  // episode, 8 only where a cohort has measurements before time 0), so a version-6 or -7
  // checkpoint can be fine-tuned into a later one of the three
  const fromVersion = initFrom?.manifest.tokenizer.version ?? 0;
  const upgrade = !resumed && fromVersion >= 6 && (asked === 7 || asked === 8) && asked > fromVersion;
  const spec = resumed ? resumed.manifest.tokenizer : initFrom ? (upgrade ? { ...initFrom.manifest.tokenizer, version: asked as 7 | 8 } : initFrom.manifest.tokenizer) : fitTokenizer(cohort, opts.extraVariables, s.tokenizerVersion as 3 | 4 | 5 | 6 | 7 | 8);
  if ((resumed || initFrom) && asked !== undefined && asked !== spec.version) {
    throw new InputError(`tokenizerVersion ${asked} was asked for, but the checkpoint ${opts.resume ? 'being resumed' : 'given to --init'} has version ${spec.version} tokens`, ['  a checkpoint keeps its tokeniser (a version-6 one can be fine-tuned into version 7 or 8, a version-7 one into 8); train from scratch (no --init) for another version']);
  }

  const trainH: History[] = [];
  const valH: History[] = [];
  for (const subj of cohort.subjects) {
    const h = subjectHistory(spec, subj, opts.extraVariables);
    (isValidationSubject(subj.id, s.seed, s.valFraction) ? valH : trainH).push(h);
  }
  // a loop, not Math.max(...): a spread of one argument per participant overflows the call stack
  // beyond ~120,000 participants
  let maxVisits = 2;
  for (const h of trainH) maxVisits = Math.max(maxVisits, h.visits.length);
  for (const h of valH) maxVisits = Math.max(maxVisits, h.visits.length);
  const T = Math.min(s.blockSize, maxVisits - 1);
  const train = encodeHistories(spec, s.lateStarts > 0 ? [...trainH, ...lateStartHistories(trainH, s.lateStarts, s.seed)] : trainH, T);
  const val = encodeHistories(spec, valH, T);
  if (train.n === 0) throw new InputError(`${cohortFile}: no participant in the training split has two or more visits`, ['  the model learns from visit-to-visit changes: each participant needs at least two measurement days']);
  if (val.n === 0) throw new InputError(`${cohortFile}: the validation split is empty (${cohort.subjects.length} participants, valFraction ${s.valFraction})`, ['  hint: use a larger cohort or raise valFraction in --config']);

  const c = modelConfigFor(spec, s);
  validateConfig(c);
  const params = resumed ? resumed.params : initFrom ? initFrom.params : initParams(c, s.seed);
  const mAdam = zerosLike(params, 'adam-m');
  const vAdam = zerosLike(params, 'adam-v');
  const best = cloneParams(params);
  let step = 0, epoch = 0, bestVal = Infinity, badEpochs = 0, elapsedBefore = 0;
  let history: TrainingMetrics['history'][number][] = [];
  if (resumeState) {
    for (const [k, v] of mAdam) { const t = resumeState.tensors.get('m:' + k); if (t) v.assign(tf.tensor(t.data, t.shape)); }
    for (const [k, v] of vAdam) { const t = resumeState.tensors.get('v:' + k); if (t) v.assign(tf.tensor(t.data, t.shape)); }
    for (const [k, v] of best) { const t = resumeState.tensors.get('best:' + k); if (t) v.assign(tf.tensor(t.data, t.shape)); }
    ({ step, epoch, bestValLoss: bestVal, badEpochs } = resumeState.state);
    elapsedBefore = resumeState.state.elapsedSeconds;
    history = [...resumeState.state.history];
  }

  const weights = tokenLossWeights(spec, train.x, train.tokens, s, train.offsets);
  const stepsPerEpoch = Math.ceil(train.n / s.batchSize);
  const plannedSteps = s.epochs * stepsPerEpoch;
  let totalSteps = plannedSteps;
  const maxSeconds = s.maxMinutes * 60;
  const now = opts.clock ?? (() => performance.now());
  const t0 = now();
  let pausedSeconds = 0; // spent saving snapshots: not training time
  const elapsed = () => elapsedBefore + (now() - t0) / 1000 - pausedSeconds;
  let nextSnapshot = s.snapshotMinutes > 0 ? (Math.floor(elapsedBefore / 60 / s.snapshotMinutes) + 1) * s.snapshotMinutes : Infinity;
  const summary: TrainingSummary = {
    cohortFile: cohortFile.split(/[\\/]/).pop()!,
    cohortSha256: typeof opts.cohort === 'string' ? await sha256File(opts.cohort) : '',
    subjects: cohort.subjects.length, trainSubjects: trainH.length, valSubjects: valH.length, events: cohort.nEvents,
    trainTokens: train.tokens, valTokens: val.tokens,
  };
  const emit = opts.onProgress ?? (() => {});
  emit({ phase: 'start', epoch, epochs: s.epochs, step, totalSteps, loss: NaN, lr: 0, tokensPerSecond: 0, elapsedSeconds: elapsed(), etaSeconds: NaN,
    message: `${summary.trainSubjects} train / ${summary.valSubjects} validation participants, ${train.tokens} / ${val.tokens} tokens, ${paramCount(params)} parameters, T=${T}${weights ? `; ${weightedShare(weights)} of training tokens weigh more than 1 in the loss` : ''}` });

  let stoppedBecause = 'completed all epochs';
  let lastTrainLoss = NaN;
  let tokensSeen = 0;
  let ownTokensSeen = 0;
  const tStart = now();
  const order = Array.from({ length: train.n }, (_, i) => i);
  const names = [...params.keys()];
  const varList = names.map((k) => params.get(k)!);
  let tokensPerSecond = 0;

  outer: while (epoch < s.epochs) {
    // shuffle windows with a stream keyed by (seed, epoch), then bucket by length: within each run
    // of 32 batches, windows are sorted by length so a batch is cut to its longest window and
    // little compute goes to padding; the batch order is shuffled again
    const rng = new Rng(s.seed, epoch, Purpose.cohort);
    for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
    const batches: number[][] = [];
    const chunk = 32 * s.batchSize;
    for (let c0 = 0; c0 < order.length; c0 += chunk) {
      const part = order.slice(c0, c0 + chunk).sort((a, b) => train.lens[a]! - train.lens[b]!);
      for (let b0 = 0; b0 < part.length; b0 += s.batchSize) batches.push(part.slice(b0, b0 + s.batchSize));
    }
    for (let i = batches.length - 1; i > 0; i--) { const j = rng.int(i + 1); [batches[i], batches[j]] = [batches[j]!, batches[i]!]; }
    let epochLoss = 0, epochCount = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const idx = batches[b]!;
      const Tb = idx.reduce((a, i) => Math.max(a, train.lens[i]!), 1);
      const batch = sliceBatch(train, idx, Tb, weights, s.ownSample > 0 ? { share: s.ownSample, rng: new Rng(s.seed, step, Purpose.model), spec, params, c } : undefined);
      ownTokensSeen += batch.ownTokens;
      const progress = Math.max(step / plannedSteps, elapsed() / maxSeconds);
      const lr = learningRate(step, progress, s);
      const { value, grads } = tf.variableGrads(() => mixtureNll(forward(params, c, batch.x), batch.y, batch.m, c), varList);
      const loss = value.dataSync()[0]!;
      const gnorm = tf.tidy(() => Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
      const scale = gnorm > s.clipNorm ? s.clipNorm / (gnorm + 1e-6) : 1;
      const t = step + 1;
      const bc1 = 1 - Math.pow(s.beta1, t), bc2 = 1 - Math.pow(s.beta2, t);
      tf.tidy(() => {
        for (const k of names) {
          const p = params.get(k)!;
          const g = tf.mul(grads[p.name]!, scale);
          const m = mAdam.get(k)!, v = vAdam.get(k)!;
          m.assign(tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1)));
          v.assign(tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2)));
          const upd = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), 1e-8));
          let next = tf.sub(p, tf.mul(upd, lr));
          if (isDecayed(k)) next = tf.sub(next, tf.mul(p, lr * s.weightDecay));
          p.assign(next);
        }
      });
      tf.dispose([value, batch.x, batch.y, batch.m]);
      tf.dispose(grads);
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step} (loss ${loss}); lower lr in --config`);
      const ntok = idx.reduce((a, i) => a + train.lens[i]!, 0);
      tokensSeen += ntok;
      epochLoss += loss; epochCount++;
      step++;
      const sec = (now() - tStart) / 1000 - pausedSeconds; // training time only
      tokensPerSecond = tokensSeen / Math.max(sec, 1e-9);
      // steps expected in total at the current speed (for the progress bar and ETA)
      const stepsThisRun = step - (resumeState?.state.step ?? 0);
      if (stepsThisRun >= 5) totalSteps = Math.min(plannedSteps, step + Math.floor(Math.max(0, maxSeconds - elapsed()) / (sec / stepsThisRun)));
      const secPerStep = sec / Math.max(1, step - (resumeState?.state.step ?? 0));
      emit({ phase: 'step', epoch, epochs: s.epochs, step, totalSteps, loss, lr, tokensPerSecond, elapsedSeconds: elapsed(), etaSeconds: Math.max(0, (totalSteps - step) * secPerStep) });
      if (elapsed() >= nextSnapshot * 60 && elapsed() < maxSeconds) {
        const p0 = now();
        await saveSnapshot(nextSnapshot, epoch + (b + 1) / stepsPerEpoch);
        pausedSeconds += (now() - p0) / 1000;
        nextSnapshot += s.snapshotMinutes;
      }
      if (elapsed() >= maxSeconds) { stoppedBecause = `wall-time budget of ${s.maxMinutes} min reached`; epoch++; lastTrainLoss = epochLoss / epochCount; await endEpoch(); break outer; }
    }
    epoch++;
    lastTrainLoss = epochLoss / epochCount;
    if (await endEpoch()) break;
  }

  async function endEpoch(): Promise<boolean> {
    const valLoss = evaluateLoss(params, c, val);
    history.push({ epoch, step, trainLoss: lastTrainLoss, valLoss, seconds: elapsed() });
    let stop = false;
    if (valLoss < bestVal - s.minDelta) { bestVal = valLoss; badEpochs = 0; copyInto(best, params); }
    else if (valLoss < bestVal) { bestVal = valLoss; copyInto(best, params); badEpochs++; }
    else badEpochs++;
    if (badEpochs >= s.patience) { stoppedBecause = `early stopping: no validation improvement > ${s.minDelta} for ${s.patience} epochs`; stop = true; }
    emit({ phase: 'epoch', epoch, epochs: s.epochs, step, totalSteps, loss: lastTrainLoss, valLoss, lr: learningRate(step, Math.max(step / plannedSteps, elapsed() / maxSeconds), s), tokensPerSecond, elapsedSeconds: elapsed(), etaSeconds: NaN });
    // save current weights (for resume) and state every epoch
    await saveWeights(opts.outDir, params);
    await saveTrainState(opts.outDir, { step, epoch, bestValLoss: bestVal, badEpochs, elapsedSeconds: elapsed(), history }, mAdam, vAdam, best);
    await saveManifest(opts.outDir, buildManifest(valLoss));
    return stop;
  }

  async function saveSnapshot(minutes: number, epochs: number): Promise<void> {
    const name = Number.isInteger(minutes) ? String(minutes).padStart(3, '0') : minutes.toFixed(3).padStart(7, '0');
    const dir = join(opts.outDir, 'snapshots', `${name}min`);
    await mkdir(dir, { recursive: true });
    const valLoss = evaluateLoss(params, c, val);
    emit({ phase: 'snapshot', epoch, epochs: s.epochs, step, totalSteps, loss: lastTrainLoss, valLoss, lr: 0, tokensPerSecond, elapsedSeconds: elapsed(), etaSeconds: NaN,
      message: `snapshot at ${minutes} min (epoch ${epochs.toFixed(2)}, validation ${valLoss.toFixed(4)}) -> ${dir}` });
    const base = buildManifest(valLoss);
    const manifest = calibrated({ ...base, metrics: { ...base.metrics, stoppedBecause: `snapshot at ${minutes} min of training` } }, params, val, valH);
    await saveWeights(dir, params);
    await saveManifest(dir, manifest);
    await writeFile(join(dir, 'model-card.md'), writeModelCard(manifest));
  }

  function buildManifest(valLoss: number): Manifest {
    return {
      format: MANIFEST_FORMAT, created: new Date().toISOString(), engineVersion: ENGINE_VERSION, backend: opts.backend ?? tf.getBackend(),
      config: c, train: { ...s, tokenizerVersion: spec.version }, tokenizer: spec, catalogSha256: catalogHash(), data: summary, paramCount: paramCount(params),
      metrics: { epochs: epoch, steps: step, wallSeconds: Math.round(elapsed()), tokensPerSecond: Math.round(tokensPerSecond), trainLoss: lastTrainLoss, valLoss, bestValLoss: bestVal, stoppedBecause, history },
      ...rolloutSettings,
      ...(startedFrom ? { startedFrom } : {}),
    };
  }

  // final: the best weights become the checkpoint, with the within-visit copula fitted on the
  // validation participants
  copyInto(params, best);
  const finalVal = evaluateLoss(params, c, val);
  const base = buildManifest(finalVal);
  emit({ phase: 'calibrate', epoch, epochs: s.epochs, step, totalSteps, loss: lastTrainLoss, lr: 0, tokensPerSecond, elapsedSeconds: elapsed(), etaSeconds: NaN, message: 'fitting the within-visit copula and rollout spread on validation participants' });
  const manifest = calibrated(base, params, val, valH);
  await saveWeights(opts.outDir, params);
  await saveManifest(opts.outDir, manifest);
  await saveTrainState(opts.outDir, { step, epoch, bestValLoss: bestVal, badEpochs, elapsedSeconds: elapsed(), history }, mAdam, vAdam, best);
  await writeFile(join(opts.outDir, 'model-card.md'), writeModelCard(manifest));
  emit({ phase: 'done', epoch, epochs: s.epochs, step, totalSteps, loss: lastTrainLoss, valLoss: finalVal, lr: 0, tokensPerSecond, elapsedSeconds: elapsed(), etaSeconds: 0, message: s.ownSample > 0 ? `${stoppedBecause}; ${ownTokensSeen} training tokens were fed the model's own draws (ownSample ${s.ownSample})` : stoppedBecause });
  disposeParams(mAdam); disposeParams(vAdam); disposeParams(best);
  return { outDir: opts.outDir, manifest, params };
}

/** Settings less the tokeniser version: a checkpoint's is its spec's own, never a setting to carry. */
function withoutTokenizerVersion(s: Partial<TrainSettings>): Partial<TrainSettings> {
  const { tokenizerVersion: _t, ...rest } = s as TrainSettings;
  return rest;
}

function pickNonArch(s: Partial<TrainSettings>): Partial<TrainSettings> {
  const { dModel: _a, nLayers: _b, nHeads: _c, mlpRatio: _d, nMix: _e, blockSize: _f, residual: _g, residualVars: _r, interaction: _h, ...rest } = withoutTokenizerVersion(s) as TrainSettings;
  return rest;
}

/**
 * Training settings from `--config`: a JSON file, or the JSON object itself when the value starts
 * with `{` (`--config '{"lr": 0.001, "seed": 4}'`). Settings are checked here, before the cohort
 * is read.
 */
export async function readTrainConfig(fileOrJson: string): Promise<Partial<TrainSettings>> {
  const inline = fileOrJson.trimStart().startsWith('{');
  const source = inline ? '--config' : fileOrJson;
  let obj: unknown;
  try {
    obj = JSON.parse(inline ? fileOrJson : await readFile(fileOrJson, 'utf8'));
  } catch (e) {
    throw new InputError(`${source}: cannot read training config (${e instanceof Error ? e.message : String(e)})`, ['  expected a JSON file, or a JSON object given inline, such as {"dModel": 64, "nLayers": 2, "epochs": 20}']);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(`${source}: training config must be a JSON object`);
  resolveSettings(obj as Record<string, unknown>, source);
  return obj as Partial<TrainSettings>;
}

/** Read a --catalog JSON file: extra variables accepted in a user's cohort. */
export async function readExtraCatalog(file: string): Promise<ExtraVariable[]> {
  let obj: unknown;
  try {
    obj = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: cannot read catalog file (${e instanceof Error ? e.message : String(e)})`);
  }
  const arr = Array.isArray(obj) ? obj : (obj as { variables?: unknown }).variables;
  if (!Array.isArray(arr)) throw new InputError(`${file}: expected a JSON array of variables (or {"variables": [...]})`);
  return arr.map((v, i) => {
    const o = v as Record<string, unknown>;
    if (typeof o.id !== 'string' || !o.id) throw new InputError(`${file}: variables[${i}].id must be a non-empty string`);
    if (o.transform !== undefined && !['identity', 'log', 'logit100'].includes(o.transform as string)) {
      throw new InputError(`${file}: variables[${i}].transform must be identity, log or logit100. Received: ${JSON.stringify(o.transform)}`);
    }
    if (o.plausible !== undefined && !(Array.isArray(o.plausible) && o.plausible.length === 2 && o.plausible.every((x) => typeof x === 'number'))) {
      throw new InputError(`${file}: variables[${i}].plausible must be [low, high]`);
    }
    return { id: o.id, transform: o.transform as ExtraVariable['transform'], plausible: o.plausible as [number, number] | undefined, noiseSd: typeof o.noiseSd === 'number' ? o.noiseSd : undefined, static: o.static === true };
  });
}

/**
 * Refit the sampling calibration of a checkpoint (the within-visit copula, then the rollout
 * spread multipliers) on the validation participants of its training cohort (the same
 * participant split as training), and write both into the manifest. Weights are untouched.
 */
export async function recalibrate(dir: string, cohortFile: string): Promise<{ copula: Manifest['copula']; rolloutScale: RolloutScale }> {
  const ck = await loadCheckpoint(dir);
  const cohort = await readCohort(cohortFile);
  const s = resolveSettings(ck.manifest.train as Record<string, unknown>, 'checkpoint');
  const val = cohort.subjects.filter((subj) => isValidationSubject(subj.id, s.seed, s.valFraction)).map((subj) => subjectHistory(ck.manifest.tokenizer, subj));
  if (val.length === 0) throw new InputError(`${cohortFile}: no validation participants for checkpoint ${dir}`, ['  pass the cohort file the checkpoint was trained on']);
  const set = encodeHistories(ck.manifest.tokenizer, val, ck.manifest.config.blockSize);
  const { copula: _c, rolloutScale: _r, ...rest } = ck.manifest;
  const manifest = calibrated(rest, ck.params, set, val);
  await saveManifest(dir, manifest);
  await writeFile(join(dir, 'model-card.md'), writeModelCard(manifest));
  disposeParams(ck.params);
  return { copula: manifest.copula, rolloutScale: manifest.rolloutScale! };
}

/**
 * The sampling calibration of a trained model, on its validation participants: first the
 * within-visit copula (from one-step residuals), then the rollout spread multipliers (from
 * rollouts that already use that copula).
 */
function calibrated(base: Manifest, params: Params, valSet: EncodedSet, valHistories: readonly History[]): Manifest {
  const withCopula: Manifest = { ...base, copula: fitCopula(new TwinModel(base, params, ''), valSet) };
  return { ...withCopula, rolloutScale: fitRolloutScale(new TwinModel(withCopula, params, ''), valHistories) };
}
