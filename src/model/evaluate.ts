/**
 * Held-out quality of a twin model, from data alone:
 *   - one-step-ahead forecast error per variable (RMSE of the predictive mean, natural units)
 *     next to the measurement-noise floor (RMS of the catalog's noise SD at the observed values):
 *     no forecaster of a noisy measurement can beat the floor;
 *   - calibration: empirical coverage of central 50/90/95% predictive intervals, from the
 *     probability integral transform (PIT) of each observed value under the predicted mixture.
 */
import { median } from 'simple-statistics';
import { findVariable, measurementSd } from '../population/catalog.js';
import type { EncodedSet, MeasuredVar } from './tokenizer.js';
import { denormalise, paddedWindows } from './tokenizer.js';
import { mixtureCdf, type TwinModel, type MixtureArrays } from './twin-model.js';

export interface VariableQuality {
  readonly id: string;
  readonly n: number;
  /** RMSE of the predictive median (natural units). */
  readonly rmse: number;
  readonly mae: number;
  /** RMS measurement noise SD at the observed values (natural units). */
  readonly noiseFloor: number;
  readonly rmseOverNoise: number;
  /** SD of the observed values (what a forecaster without history would face). */
  readonly sdObserved: number;
  readonly cover50: number;
  readonly cover90: number;
  readonly cover95: number;
}

export interface ForecastQuality {
  readonly tokens: number;
  readonly perVariable: VariableQuality[];
  readonly cover50: number;
  readonly cover90: number;
  readonly cover95: number;
}

function noiseSdAt(m: MeasuredVar, x: number): number {
  if (m.noiseSd !== undefined) return m.noiseSd;
  if (m.noiseCvPct !== undefined) return (m.noiseCvPct / 100) * Math.abs(x);
  const def = findVariable(m.id);
  return def ? measurementSd(def, x) : NaN;
}

/** Median of a mixture on the normalised scale, by bisection on the CDF. */
export function mixtureQuantile(mix: MixtureArrays, o: number, q: number): number {
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < mix.K; k++) {
    lo = Math.min(lo, mix.mu[o + k]! - 8 * mix.sd[o + k]!);
    hi = Math.max(hi, mix.mu[o + k]! + 8 * mix.sd[o + k]!);
  }
  for (let it = 0; it < 50; it++) {
    const mid = 0.5 * (lo + hi);
    if (mixtureCdf(mix, o, mid) < q) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Evaluate one-step-ahead forecasts on an encoded (held-out) set. */
export function forecastQuality(model: TwinModel, set: EncodedSet, batchSize = 256): ForecastQuality {
  const spec = model.tokenizer;
  const V = set.V;
  const acc = spec.measured.map(() => ({ n: 0, se: 0, ae: 0, noise2: 0, s: 0, s2: 0, c50: 0, c90: 0, c95: 0 }));
  let tokens = 0;
  for (let s0 = 0; s0 < set.n; s0 += batchSize) {
    const B = Math.min(batchSize, set.n - s0);
    const batch = paddedWindows(set, Array.from({ length: B }, (_, i) => s0 + i));
    const mix = model.predict(batch.x, B, set.T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < set.T; t++) {
        const base = (b * set.T + t) * V;
        let any = false;
        for (let v = 0; v < V; v++) {
          if (!batch.m[base + v]) continue;
          any = true;
          const mv = spec.measured[v]!;
          const o = (base + v) * mix.K;
          const yz = batch.y[base + v]!;
          const pit = mixtureCdf(mix, o, yz);
          const obs = denormalise(mv, yz);
          const med = denormalise(mv, mixtureQuantile(mix, o, 0.5));
          const a = acc[v]!;
          a.n++; a.se += (med - obs) ** 2; a.ae += Math.abs(med - obs);
          const ns = noiseSdAt(mv, obs);
          a.noise2 += ns * ns;
          a.s += obs; a.s2 += obs * obs;
          const d = Math.abs(pit - 0.5);
          if (d <= 0.25) a.c50++;
          if (d <= 0.45) a.c90++;
          if (d <= 0.475) a.c95++;
        }
        if (any) tokens++;
      }
    }
  }
  const perVariable = spec.measured.map((mv, v): VariableQuality => {
    const a = acc[v]!;
    const n = Math.max(a.n, 1);
    const rmse = Math.sqrt(a.se / n);
    const noiseFloor = Math.sqrt(a.noise2 / n);
    const mean = a.s / n;
    return {
      id: mv.id, n: a.n, rmse, mae: a.ae / n, noiseFloor, rmseOverNoise: rmse / noiseFloor,
      sdObserved: Math.sqrt(Math.max(0, a.s2 / n - mean * mean)),
      cover50: a.c50 / n, cover90: a.c90 / n, cover95: a.c95 / n,
    };
  }).filter((q) => q.n > 0);
  const tot = perVariable.reduce((s, q) => s + q.n, 0) || 1;
  const pooled = (k: 'cover50' | 'cover90' | 'cover95') => perVariable.reduce((s, q) => s + q[k] * q.n, 0) / tot;
  return { tokens, perVariable, cover50: pooled('cover50'), cover90: pooled('cover90'), cover95: pooled('cover95') };
}

/** One model-vs-reference comparison as scripts/evaluate-model.mjs writes it. */
export interface EffectComparison {
  readonly reference: number;
  readonly model: number;
  readonly within: boolean;
}

/** The effect sections of an evaluation (scripts/evaluate-model.mjs --only effects,course). */
export interface EffectEvaluation {
  readonly interventionEffects?: readonly { readonly label: string; readonly primary?: string; readonly outcomes?: Readonly<Record<string, EffectComparison>>; readonly error?: string }[];
  readonly courseEffects?: readonly { readonly label: string; readonly visits: readonly EffectComparison[] }[];
  /** 24-month courses kept throughout (section 3e), one comparison every 6 months. */
  readonly longCourseEffects?: readonly { readonly label: string; readonly visits: readonly EffectComparison[] }[];
  /** Add-on effects on top of a diet, against the diet alone (section 3f); one comparison each. */
  readonly comboEffects?: readonly (Partial<EffectComparison> & { readonly label: string; readonly error?: string })[];
  /**
   * Effects in treated or severe populations and multi-component designs (section 3g: very high
   * TG, BP uncontrolled on BP drugs, raised LDL-C with a food supplement, short sleepers, a
   * lifestyle programme at raised BP, a Mediterranean diet with nuts, a titrated incretin on a
   * diet and exercise, exercise in inactive adults); one comparison each.
   */
  readonly treatedEffects?: readonly (Partial<EffectComparison> & { readonly label: string; readonly error?: string })[];
  /**
   * The untreated 6-month change in populations screened on a high value (section 3h); one
   * comparison each (the world's change is near zero, so within tolerance means within its Monte
   * Carlo interval).
   */
  readonly screenedCourses?: readonly (Partial<EffectComparison> & { readonly population: string; readonly error?: string })[];
  /** Drug effects in the indication strata trials recruit from (section 3d); each row is one comparison. */
  readonly strataEffects?: readonly (Partial<EffectComparison> & { readonly label: string; readonly error?: string })[];
}

export interface EffectFidelity {
  /** Intervention kinds whose primary effect is within tolerance of the reference world's. */
  readonly kindsWithin: number;
  readonly kinds: number;
  /** Visits of the 12-month courses within tolerance. */
  readonly courseWithin: number;
  readonly courseVisits: number;
  /** Drug effects in the indication strata within tolerance (0 of 0 for evaluations without that section). */
  readonly strataWithin: number;
  readonly strata: number;
  /**
   * Visits of the 24-month courses within tolerance (0 of 0 for evaluations without that
   * section). Reported apart, not in `score`: added in session 14 as a separate criterion, so
   * that scores stay comparable with earlier sessions' (docs/model-card.md).
   */
  readonly longWithin: number;
  readonly longVisits: number;
  /** Add-on effects on a diet within tolerance (section 3f; 0 of 0 without it), apart from `score` likewise. */
  readonly comboWithin: number;
  readonly combos: number;
  /** Effects in treated or severe populations within tolerance (section 3g, session 15; 0 of 0 without it), apart from `score` likewise. */
  readonly treatedWithin: number;
  readonly treated: number;
  /** Untreated courses in screened populations within tolerance (section 3h, session 15; 0 of 0 without it), apart from `score` likewise. */
  readonly screenedWithin: number;
  readonly screened: number;
  /** kindsWithin + courseWithin + strataWithin: the score checkpoints are chosen by (higher is better). */
  readonly score: number;
  /**
   * Median over kinds and strata effects of |log(model / reference)| of the primary effect, where
   * both have the same sign and the reference is not zero (the tie-break: lower is better); NaN
   * when none qualifies.
   */
  readonly medianAbsLogRatio: number;
  /** Kinds and strata effects whose model effect has the opposite sign to a non-zero reference effect, or failed. */
  readonly wrongSign: number;
}

/**
 * How faithfully a checkpoint reproduces the reference world's intervention effects: the count of
 * effects within tolerance among the intervention kinds, the 12-month course visits and, where
 * evaluated, the drug effects in the indication strata trials recruit from. Each comparison carries
 * its own `within`, set by evaluate-model.mjs (10% of the reference effect or its 95% Monte Carlo
 * half-width, whichever is wider). The median log ratio breaks ties. Used to choose among
 * snapshots of training runs, where validation loss chooses badly (docs/model-card.md, sessions 7-9).
 */
export function effectFidelity(e: EffectEvaluation): EffectFidelity {
  let wrongSign = 0;
  const logs: number[] = [];
  // one primary comparison (kind or stratum): within tolerance?, and its |log ratio| or a wrong sign
  const tally = (p: Partial<EffectComparison> | undefined): number => {
    if (!p || p.reference === undefined || p.model === undefined) { wrongSign++; return 0; }
    if (p.reference !== 0) {
      const r = p.model / p.reference;
      if (r > 0) logs.push(Math.abs(Math.log(r))); else wrongSign++;
    }
    return p.within ? 1 : 0;
  };
  const kinds = e.interventionEffects ?? [];
  let kindsWithin = 0;
  for (const k of kinds) kindsWithin += tally(k.primary !== undefined ? k.outcomes?.[k.primary] : undefined);
  const visits = (e.courseEffects ?? []).flatMap((c) => c.visits);
  const courseWithin = visits.filter((v) => v.within).length;
  const strata = e.strataEffects ?? [];
  let strataWithin = 0;
  for (const p of strata) strataWithin += tally(p.error !== undefined ? undefined : p);
  const longVisits = (e.longCourseEffects ?? []).flatMap((c) => c.visits);
  const longWithin = longVisits.filter((v) => v.within).length;
  const combos = e.comboEffects ?? [];
  const comboWithin = combos.filter((c) => c.error === undefined && c.within).length;
  const treated = e.treatedEffects ?? [];
  const treatedWithin = treated.filter((c) => c.error === undefined && c.within).length;
  const screened = e.screenedCourses ?? [];
  const screenedWithin = screened.filter((c) => c.error === undefined && c.within).length;
  const medianAbsLogRatio = logs.length === 0 ? NaN : median(logs);
  return { kindsWithin, kinds: kinds.length, courseWithin, courseVisits: visits.length, strataWithin, strata: strata.length, longWithin, longVisits: longVisits.length, comboWithin, combos: combos.length, treatedWithin, treated: treated.length, screenedWithin, screened: screened.length, score: kindsWithin + courseWithin + strataWithin, medianAbsLogRatio, wrongSign };
}

/** Order by effect fidelity: higher score first, then lower median |log ratio| (NaN last). */
export function compareFidelity(a: EffectFidelity, b: EffectFidelity): number {
  if (a.score !== b.score) return b.score - a.score;
  const x = Number.isNaN(a.medianAbsLogRatio) ? Infinity : a.medianAbsLogRatio;
  const y = Number.isNaN(b.medianAbsLogRatio) ? Infinity : b.medianAbsLogRatio;
  return x - y;
}
