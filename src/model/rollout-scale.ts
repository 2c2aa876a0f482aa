/**
 * Rollout calibration: one spread multiplier per variable for multi-visit rollouts.
 *
 * A model whose one-visit-ahead mixtures are calibrated can still give multi-visit rollouts that
 * are too narrow: small errors in how fast sampled values revert compound over visits. We measure
 * this on the validation participants of the training split (never the held-out evaluation
 * set): each participant's first visit, visit days, exposures and measured panels are given, M
 * trajectories are sampled, and for each variable the multiplier c is found that makes the
 * sample intervals (median +/- c x (quantile - median), on the normalised scale) cover the
 * observed values at the nominal 50/90/95% rates (least squares over the three levels, c in
 * [0.8, 2]). Rollouts then draw every value as mu + c x sd x z. Two passes: the second refits
 * on rollouts that already use the first multipliers (the spread compounds through the
 * sampled history), and the product is kept. Variables with fewer than MIN_VALUES observed
 * values keep 1. One-visit-ahead predictions (TwinModel.predict) are never scaled.
 */
import { Rng } from '../core/rng.js';
import { normalise, splitPrior, type History } from './tokenizer.js';
import type { TwinModel } from './twin-model.js';

export interface RolloutScale {
  /** Aligned with tokenizer.measured. */
  readonly variables: readonly string[];
  readonly scale: readonly number[];
  /** How it was fitted: participants, samples per participant, observed values, coverage after. */
  readonly fitted: {
    readonly participants: number;
    readonly samples: number;
    readonly values: number;
    readonly coverBefore: readonly [number, number, number];
    readonly coverAfter: readonly [number, number, number];
  };
}

const LEVELS = [[0.5, 0.25, 0.75], [0.9, 0.05, 0.95], [0.95, 0.025, 0.975]] as const;
const MIN_VALUES = 50;
const HORIZON_DAYS = 730;

/** Per variable: for each observed value, its normalised value and sample median / quantile offsets. */
interface Obs { y: number; med: number; lo: number[]; hi: number[] }

function collect(model: TwinModel, hs: readonly History[], samples: number, seed: number): Obs[][] {
  const spec = model.tokenizer;
  const V = spec.measured.length;
  const per: Obs[][] = Array.from({ length: V }, () => []);
  hs.forEach((h, p) => {
    // a screening visit before day 0 (version-8 tokens) is given, as in a trial's rollout
    const { prior, visits } = splitPrior(h);
    const days = visits.map((v) => v.day).filter((d) => d <= HORIZON_DAYS).slice(0, model.config.blockSize + 1 - prior.length);
    if (days.length < 2) return;
    const measured = days.map((_, vi) => Uint8Array.from(visits[vi]!.values, (x) => (Number.isFinite(x) ? 1 : 0)));
    const sims = model.rollout({
      statics: Array.from({ length: samples }, () => h.statics), initial: Array.from({ length: samples }, () => visits[0]!.values),
      visitDays: days, exposures: h.exposures, rngs: Array.from({ length: samples }, (_, m) => new Rng(seed, p * 10_000 + m, 9)), measured,
      prior: prior.map((v) => ({ day: v.day, values: Array.from({ length: samples }, () => v.values) })),
    });
    const s = new Float64Array(samples);
    for (let vi = 1; vi < days.length; vi++) {
      for (let v = 0; v < V; v++) {
        const obs = visits[vi]!.values[v]!;
        if (!Number.isFinite(obs)) continue;
        const mv = spec.measured[v]!;
        for (let m = 0; m < samples; m++) s[m] = normalise(mv, sims[v]![m * days.length + vi]!);
        s.sort();
        const q = (x: number) => s[Math.min(samples - 1, Math.max(0, Math.round(x * (samples - 1))))]!;
        const med = q(0.5);
        per[v]!.push({ y: normalise(mv, obs), med, lo: LEVELS.map(([, a]) => q(a) - med), hi: LEVELS.map(([, , b]) => q(b) - med) });
      }
    }
  });
  return per;
}

function coverage(obs: readonly Obs[], c: number): [number, number, number] {
  const hit = [0, 0, 0];
  for (const o of obs) {
    for (let l = 0; l < 3; l++) if (o.y >= o.med + c * o.lo[l]! && o.y <= o.med + c * o.hi[l]!) hit[l]!++;
  }
  const n = Math.max(1, obs.length);
  return [hit[0]! / n, hit[1]! / n, hit[2]! / n];
}

function bestScale(obs: readonly Obs[]): number {
  let best = 1, bestErr = Infinity;
  for (let c = 0.8; c <= 2.0001; c += 0.01) {
    const cov = coverage(obs, c);
    const err = LEVELS.reduce((s, [nom], l) => s + (cov[l]! - nom) ** 2, 0);
    if (err < bestErr - 1e-12) { bestErr = err; best = c; }
  }
  return Math.round(best * 100) / 100;
}

/** Pooled coverage of the sampled intervals as they are (the samples already carry the scale). */
function pooled(per: readonly Obs[][]): [number, number, number] {
  const acc = [0, 0, 0];
  let n = 0;
  per.forEach((obs) => {
    const cov = coverage(obs, 1);
    for (let l = 0; l < 3; l++) acc[l]! += cov[l]! * obs.length;
    n += obs.length;
  });
  return [acc[0]! / Math.max(n, 1), acc[1]! / Math.max(n, 1), acc[2]! / Math.max(n, 1)];
}

/**
 * Fit the per-variable rollout spread multipliers on validation histories. The model's current
 * multipliers are replaced (set on the model while fitting, and left there).
 */
export function fitRolloutScale(model: TwinModel, hs: readonly History[], opts: { participants?: number; samples?: number; seed?: number } = {}): RolloutScale {
  const P = Math.min(opts.participants ?? 300, hs.length);
  const M = opts.samples ?? 40;
  const seed = opts.seed ?? 2718;
  const use = hs.filter((h) => h.visits.length >= 2).slice(0, P);
  const V = model.tokenizer.measured.length;
  let scale = new Array<number>(V).fill(1);
  model.setRolloutScale(scale);
  let per = collect(model, use, M, seed);
  const coverBefore = pooled(per);
  for (let pass = 0; pass < 2; pass++) {
    const next = per.map((obs, v) => (obs.length >= MIN_VALUES ? Math.round(scale[v]! * bestScale(obs) * 100) / 100 : scale[v]!));
    scale = next;
    model.setRolloutScale(scale);
    per = collect(model, use, M, seed);
  }
  return {
    variables: model.tokenizer.measured.map((m) => m.id),
    scale,
    fitted: { participants: use.length, samples: M, values: per.reduce((s, o) => s + o.length, 0), coverBefore, coverAfter: pooled(per) },
  };
}
