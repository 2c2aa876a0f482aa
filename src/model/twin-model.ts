/**
 * A loaded checkpoint plus the two things one asks of it:
 *   - predictive distributions for the next visit of known histories (evaluation, forecasting);
 *   - autoregressive rollouts of many twins at once with the key/value cache (simulation).
 *
 * Sampling: each twin draws from its own keyed stream (passed in), in a fixed order (visit by
 * visit, variable by variable: one uniform for the mixture component, one normal), so results
 * do not depend on which other twins share the batch, and the same twin under two arms uses
 * the same draws (paired counterfactuals).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.js';
import { cholesky } from './copula.js';
import { loadCheckpoint, type Manifest } from './checkpoint.js';
import { denormalise, featureLayout, writeTokenOwn, writeTokenShared, type ExposureTimeline, type TokenizerSpec } from './tokenizer.js';
import { forward, forwardStepSplit, KVCache, disposeParams, MIN_SD, type ModelConfig, type Params } from './transformer.js';

/** Mixture parameters for a set of predictions: arrays of length n * V * K. */
export interface MixtureArrays {
  readonly n: number;
  readonly V: number;
  readonly K: number;
  readonly w: Float32Array;
  readonly mu: Float32Array;
  readonly sd: Float32Array;
}

export interface RolloutRequest {
  /** Natural-unit statics per twin: [n][S] aligned with tokenizer.statics (NaN = unknown). */
  readonly statics: readonly Float64Array[];
  /** Natural-unit values at the first visit: [n][V] aligned with tokenizer.measured (NaN = missing). */
  readonly initial: readonly Float64Array[];
  /** Visit days, first = 0 (the initial values). */
  readonly visitDays: readonly number[];
  /**
   * Observed visits before day 0 (a screening visit; tokeniser version 8), by ascending negative
   * day, each with one natural-unit panel per twin (NaN = not measured). They enter the history
   * before the initial visit, as in training; nothing is sampled for them and they are not returned.
   */
  readonly prior?: readonly { readonly day: number; readonly values: readonly Float64Array[] }[];
  /** Exposure timeline (shared by every twin of an arm, or one per twin). */
  readonly exposures: ExposureTimeline | readonly ExposureTimeline[];
  /** One stream per twin. */
  readonly rngs: readonly Rng[];
  /**
   * Per visit (index into visitDays), which variables are measured there (1) and so enter the
   * next token as observations; the others are still sampled and returned but enter the history
   * as missing, as unmeasured variables did in training. Omitted (or null for a visit) = all.
   */
  readonly measured?: readonly (Uint8Array | null)[];
  /**
   * Longest rollout step in days (default: the checkpoint's rolloutStepDays; 0 = one step per
   * visit). Between visits further apart, latent visits are inserted at equal spacing; their
   * values are sampled and enter the history as the next real visit's measured variables would,
   * and are not returned.
   */
  readonly maxStepDays?: number;
  /**
   * 'measured': only each visit's measured variables enter the history (the others as missing);
   * 'all': every sampled value does, as a full panel. Default: the checkpoint's rolloutFeed, else
   * 'measured'.
   */
  readonly feed?: 'measured' | 'all';
  /** Use the key/value cache (default true); false re-runs the whole prefix each step (tests, benchmarks). */
  readonly cache?: boolean;
}

/** A value (normalised scale) from a K-component mixture at offset `o`: component by uniform u, then mu + sd z. */
export function mixtureDraw(m: MixtureArrays, o: number, u: number, z: number): number {
  let acc = 0;
  let k = 0;
  for (; k < m.K - 1; k++) {
    acc += m.w[o + k]!;
    if (u < acc) break;
  }
  return m.mu[o + k]! + m.sd[o + k]! * z;
}

/** Draw one value (normalised scale) from a K-component mixture at offset `o`. */
export function sampleMixture(m: MixtureArrays, o: number, rng: Rng): number {
  const u = rng.uniform();
  return mixtureDraw(m, o, u, rng.normal());
}

/** Mixture CDF on the normalised scale. */
export function mixtureCdf(m: MixtureArrays, o: number, y: number): number {
  let p = 0;
  for (let k = 0; k < m.K; k++) p += m.w[o + k]! * normalCdf((y - m.mu[o + k]!) / m.sd[o + k]!);
  return p;
}

export function mixtureMean(m: MixtureArrays, o: number): number {
  let s = 0;
  for (let k = 0; k < m.K; k++) s += m.w[o + k]! * m.mu[o + k]!;
  return s;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

export class TwinModel {
  readonly config: ModelConfig;
  readonly tokenizer: TokenizerSpec;
  private readonly dim: number;
  /** Token features [0, ownDim) are each twin's own (values, mask, statics); the rest are shared by a timeline. */
  private readonly ownDim: number;
  /** Cholesky factor of the within-visit copula (identity when the checkpoint has none). */
  private readonly chol: Float64Array | undefined;
  /** Per-variable spread multiplier for rollout draws (1 = the mixture as predicted); see rollout-scale.ts. */
  private rolloutScale: Float64Array;

  constructor(readonly manifest: Manifest, readonly params: Params, readonly hash: string, readonly dir = '') {
    this.config = manifest.config;
    this.tokenizer = manifest.tokenizer;
    const layout = featureLayout(this.tokenizer);
    this.dim = layout.dim;
    this.ownDim = layout.offsets.time;
    const cop = manifest.copula;
    if (cop) {
      const ids = this.tokenizer.measured.map((m) => m.id);
      if (cop.variables.length !== ids.length || cop.variables.some((v, i) => v !== ids[i])) {
        throw new Error(`checkpoint ${dir}: copula variables do not match the tokeniser's`);
      }
      this.chol = cholesky(cop.correlation, ids.length);
      if (!this.chol) throw new Error(`checkpoint ${dir}: copula correlation is not positive definite`);
    }
    this.rolloutScale = new Float64Array(this.tokenizer.measured.length).fill(1);
    const rs = manifest.rolloutScale;
    if (rs) {
      const ids = this.tokenizer.measured.map((m) => m.id);
      if (rs.variables.length !== ids.length || rs.variables.some((v, i) => v !== ids[i])) throw new Error(`checkpoint ${dir}: rollout-scale variables do not match the tokeniser's`);
      this.setRolloutScale(rs.scale);
    }
  }

  /** Replace the rollout spread multipliers (one per measured variable, each > 0). */
  setRolloutScale(scale: readonly number[]): void {
    if (scale.length !== this.tokenizer.measured.length || scale.some((c) => !(c > 0))) throw new RangeError(`rollout scale: expected ${this.tokenizer.measured.length} positive multipliers`);
    this.rolloutScale = Float64Array.from(scale);
  }

  static async load(dir: string): Promise<TwinModel> {
    const ck = await loadCheckpoint(dir);
    return new TwinModel(ck.manifest, ck.params, ck.hash, dir);
  }

  dispose(): void {
    disposeParams(this.params);
  }

  /**
   * Head outputs -> mixture arrays (weights, means, SDs). Read back once and finished in plain
   * JS: the same maths as mixtureParams (softmax; softplus + MIN_SD) without three tensor slices.
   */
  private readMixture(out: tf.Tensor): MixtureArrays {
    const c = this.config;
    const K = c.nMix;
    const raw = out.dataSync() as Float32Array;
    const n = raw.length / (c.nVars * 3 * K);
    const cells = n * c.nVars;
    const w = new Float32Array(cells * K), mu = new Float32Array(cells * K), sd = new Float32Array(cells * K);
    for (let j = 0; j < cells; j++) {
      const o = j * 3 * K, q = j * K;
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, raw[o + k]!);
      let tot = 0;
      for (let k = 0; k < K; k++) { const e = Math.exp(raw[o + k]! - mx); w[q + k] = e; tot += e; }
      for (let k = 0; k < K; k++) {
        w[q + k] = w[q + k]! / tot;
        mu[q + k] = raw[o + K + k]!;
        const r = raw[o + 2 * K + k]!;
        sd[q + k] = (r > 20 ? r : Math.log1p(Math.exp(r))) + MIN_SD;
      }
    }
    return { n, V: c.nVars, K, w, mu, sd };
  }

  /** Full (uncached) forward over token features [B, T, F] -> mixtures for every position. */
  predict(x: Float32Array, B: number, T: number): MixtureArrays {
    const xt = tf.tensor3d(x, [B, T, this.dim]);
    const out = tf.tidy(() => forward(this.params, this.config, xt));
    const r = this.readMixture(out);
    tf.dispose([xt, out]);
    return r;
  }

  /**
   * Roll out n twins over the visit days. Returns natural-unit values per measured variable:
   * values[v][twin * nVisits + visit]; visit 0 is the initial values as given.
   *
   * Each step's token is built in two parts: each twin's own features (values, mask, statics)
   * and the time and exposure features, which are the same for every twin on one exposure
   * timeline; the latter are written and projected once per distinct timeline
   * (forwardStepSplit).
   */
  rollout(request: RolloutRequest): Float64Array[] {
    const req = (request.feed ?? this.manifest.rolloutFeed ?? 'measured') === 'all' ? { ...request, measured: undefined } : request;
    const maxStep = req.maxStepDays ?? this.manifest.rolloutStepDays ?? 0;
    if (!(maxStep >= 0)) throw new RangeError(`rollout: maxStepDays must be 0 (one step per visit) or a positive number of days. Received: ${req.maxStepDays}`);
    const days = req.visitDays;
    if (maxStep === 0 || days.every((d, i) => i === 0 || d - days[i - 1]! <= maxStep)) return this.rolloutSteps(req);
    // the grid: every visit, plus latent visits splitting each longer gap into equal steps
    const grid: number[] = [days[0]!];
    const real: number[] = [0];
    const measured: (Uint8Array | null)[] = [req.measured?.[0] ?? null];
    for (let v = 1; v < days.length; v++) {
      const a = days[v - 1]!, b = days[v]!;
      const k = Math.ceil((b - a) / maxStep);
      for (let j = 1; j < k; j++) {
        grid.push(a + Math.round(((b - a) * j) / k));
        measured.push(req.measured?.[v] ?? null);
      }
      real.push(grid.length);
      grid.push(b);
      measured.push(req.measured?.[v] ?? null);
    }
    const fine = this.rolloutSteps({ ...req, visitDays: grid, measured });
    const n = req.initial.length, nv = days.length, ng = grid.length;
    return fine.map((f) => {
      const o = new Float64Array(n * nv);
      for (let i = 0; i < n; i++) for (let v = 0; v < nv; v++) o[i * nv + v] = f[i * ng + real[v]!]!;
      return o;
    });
  }

  /** One step per visit of `req.visitDays` (rollout, after any latent visits are inserted). */
  private rolloutSteps(req: RolloutRequest): Float64Array[] {
    const spec = this.tokenizer;
    const V = spec.measured.length;
    const n = req.initial.length;
    const days = req.visitDays;
    const nv = days.length;
    const F = this.dim, Pn = this.ownDim, Q = F - Pn;
    if (req.statics.length !== n || req.rngs.length !== n) throw new RangeError(`rollout: statics (${req.statics.length}), initial (${n}) and rngs (${req.rngs.length}) must have one entry per twin`);
    if (Array.isArray(req.exposures) && req.exposures.length !== n) throw new RangeError(`rollout: exposures has ${req.exposures.length} timelines for ${n} twins (give one per twin, or one shared)`);
    if (nv < 1 || days[0] !== 0) throw new RangeError(`rollout: visitDays must start at day 0. Received: ${days.slice(0, 3).join(', ')}`);
    const out = Array.from({ length: V }, () => new Float64Array(n * nv).fill(NaN));
    const cur = req.initial.map((r) => Float64Array.from(r));
    for (let i = 0; i < n; i++) for (let v = 0; v < V; v++) out[v]![i * nv] = cur[i]![v]!;
    // distinct exposure timelines (by identity) and which one each twin follows
    const timelines: ExposureTimeline[] = [];
    let groupOf: Int32Array | null = null;
    if (Array.isArray(req.exposures)) {
      const index = new Map<ExposureTimeline, number>();
      const g = new Int32Array(n);
      (req.exposures as readonly ExposureTimeline[]).forEach((t, i) => {
        let k = index.get(t);
        if (k === undefined) { index.set(t, (k = timelines.length)); timelines.push(t); }
        g[i] = k;
      });
      if (timelines.length > 1) groupOf = g;
    } else timelines.push(req.exposures as ExposureTimeline);
    const G = timelines.length;
    const useCache = req.cache !== false;
    // token parts per step (uncached mode and cache re-priming): own [n, Pn], shared [G, Q]
    const history: { own: Float32Array; shared: Float32Array }[] = [];
    const cache = new KVCache();
    const block = this.config.blockSize;
    const groupT = groupOf && useCache ? tf.tensor1d(groupOf, 'int32') : null;
    const step = (own: Float32Array, shared: Float32Array): Float32Array => {
      const o = tf.tensor2d(own, [n, Pn]), sh = tf.tensor2d(shared, [G, Q]);
      const y = forwardStepSplit(this.params, this.config, { own: o, shared: sh, group: groupT }, cache);
      const raw = y.dataSync() as Float32Array;
      tf.dispose([o, sh, y]);
      return raw;
    };
    const scratch = new Float32Array(F);
    const prior = req.prior ?? [];
    prior.forEach((p, k) => {
      if (!(p.day < 0) || (k > 0 && !(p.day > prior[k - 1]!.day))) throw new RangeError(`rollout: prior visits must be on ascending negative days. Received: ${prior.map((q) => q.day).join(', ')}`);
      if (p.values.length !== n) throw new RangeError(`rollout: prior visit ${k} has ${p.values.length} panels for ${n} twins`);
    });
    try {
      // the visits before day 0 enter the history (and the cache) first; their outputs are not used
      prior.forEach((p, k) => {
        const own = new Float32Array(n * Pn);
        for (let i = 0; i < n; i++) writeTokenOwn(spec, own, i * Pn, req.statics[i]!, p.values[i]!);
        const shared = new Float32Array(G * Q);
        timelines.forEach((t, g) => {
          writeTokenShared(spec, scratch, 0, p.day, k + 1 < prior.length ? prior[k + 1]!.day : days[0]!, t);
          shared.set(scratch.subarray(Pn), g * Q);
        });
        history.push({ own, shared });
        if (useCache) step(own, shared);
      });
      for (let s = 0; s < nv - 1; s++) {
        const own = new Float32Array(n * Pn);
        for (let i = 0; i < n; i++) writeTokenOwn(spec, own, i * Pn, req.statics[i]!, cur[i]!);
        const shared = new Float32Array(G * Q);
        timelines.forEach((t, g) => {
          writeTokenShared(spec, scratch, 0, days[s]!, days[s + 1]!, t);
          shared.set(scratch.subarray(Pn), g * Q);
        });
        history.push({ own, shared });
        let raw: Float32Array;
        if (useCache) {
          if (cache.length >= block) {
            // context full: restart the cache from the most recent half-block of tokens
            cache.dispose();
            for (const h of history.slice(-Math.floor(block / 2) - 1, -1)) step(h.own, h.shared);
          }
          raw = step(own, shared);
        } else {
          const win = history.slice(-block);
          const T = win.length;
          const full = new Float32Array(n * T * F);
          for (let t = 0; t < T; t++) {
            const h = win[t]!;
            for (let i = 0; i < n; i++) {
              const at = (i * T + t) * F;
              full.set(h.own.subarray(i * Pn, (i + 1) * Pn), at);
              const g = groupOf ? groupOf[i]! : 0;
              full.set(h.shared.subarray(g * Q, (g + 1) * Q), at + Pn);
            }
          }
          const xt = tf.tensor3d(full, [n, T, F]);
          const o = tf.tidy(() => forward(this.params, this.config, xt).slice([0, T - 1, 0], [n, 1, -1]));
          raw = o.dataSync() as Float32Array;
          tf.dispose([xt, o]);
        }
        this.sampleStep(raw, req, cur, out, s + 1);
      }
    } finally {
      cache.dispose();
      groupT?.dispose();
    }
    return out;
  }

  /**
   * Draw visit `visit` for every twin from the head outputs `raw` [n, V * 3K] (per variable: K
   * logits, K means, K raw scales). The same arithmetic as readMixture + mixtureDraw (weights
   * and SDs rounded to float32 as readMixture stores them), computing only the chosen
   * component's SD.
   */
  private sampleStep(raw: Float32Array, req: RolloutRequest, cur: Float64Array[], out: Float64Array[], visit: number): void {
    const V = this.tokenizer.measured.length;
    const K = this.config.nMix;
    const n = cur.length;
    const nv = req.visitDays.length;
    const fed = req.measured?.[visit] ?? null;
    const u = new Float64Array(V), eps = new Float64Array(V), z = new Float64Array(V), e = new Float64Array(K);
    const L = this.chol;
    const measured = this.tokenizer.measured;
    const scale = this.rolloutScale;
    const fround = Math.fround;
    for (let i = 0; i < n; i++) {
      const rng = req.rngs[i]!;
      const row = cur[i]!;
      // fixed draw order per twin and visit: V uniforms (mixture components), then V normals
      for (let v = 0; v < V; v++) u[v] = rng.uniform();
      for (let v = 0; v < V; v++) eps[v] = rng.normal();
      if (L) {
        for (let v = 0; v < V; v++) {
          let acc = 0;
          const r = v * V;
          for (let k = 0; k <= v; k++) acc += L[r + k]! * eps[k]!;
          z[v] = acc;
        }
      } else z.set(eps);
      for (let v = 0; v < V; v++) {
        const o = (i * V + v) * 3 * K;
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, raw[o + k]!);
        let tot = 0;
        for (let k = 0; k < K; k++) { const x = raw[o + k] === mx ? 1 : Math.exp(raw[o + k]! - mx); e[k] = x; tot += x; } // exp(0) = 1 exactly
        let acc = 0;
        let k = 0;
        for (; k < K - 1; k++) {
          acc += fround(fround(e[k]!) / tot);
          if (u[v]! < acc) break;
        }
        const r = raw[o + 2 * K + k]!;
        const sd = fround((r > 20 ? r : Math.log1p(Math.exp(r))) + MIN_SD);
        const val = denormalise(measured[v]!, raw[o + K + k]! + sd * (z[v]! * scale[v]!));
        row[v] = fed === null || fed[v] ? val : NaN;
        out[v]![i * nv + visit] = val;
      }
    }
  }
}
