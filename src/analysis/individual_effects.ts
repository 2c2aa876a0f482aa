import { quantileSorted } from './quantiles.js';
import { sampleMoments } from './sample_moments.js';
import { meanInterval, subgroupInteraction } from './subgroup_interaction.js';

/**
 * Individual treatment effects from paired counterfactuals: each twin is simulated under both
 * arms with the same random streams, so y_treatment - y_control is that twin's own effect.
 * No real trial observes these (each participant receives one arm); they describe the model's
 * heterogeneity of response, not something a trial could confirm directly.
 */
export const INDIVIDUAL_EFFECTS_NOTE =
  'Individual treatment effects come from paired counterfactuals: every twin was simulated under both arms with the same random streams. ' +
  'No real trial observes these (each participant receives one arm only); they show the heterogeneity of response in the simulator.';

export interface SubgroupEffect {
  readonly level: string;
  /** Mean individual effect in the subgroup (all twins, both counterfactuals) with a t interval. */
  readonly meanEffect: number;
  readonly ci95: [number, number];
  readonly n: number;
}

export interface SubgroupSummary {
  readonly factor: string;
  readonly levels: SubgroupEffect[];
  /** Treatment-by-subgroup interaction test on the observed (randomised) data. */
  readonly interaction: { statistic: number; df: number; p: number } | null;
}

export interface IndividualEffects {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly quantiles: { readonly p05: number; readonly p25: number; readonly p50: number; readonly p75: number; readonly p95: number };
  /** Share of twins whose effect is below zero / above zero. */
  readonly shareNegative: number;
  readonly sharePositive: number;
  /** Responder threshold (absolute, in the endpoint's unit) and the share of twins past it in the direction of the mean effect. */
  readonly responderThreshold: number;
  readonly shareResponders: number;
  readonly thresholdRule: string;
  /** Histogram of the individual effects (bins of equal width). */
  readonly histogram: { readonly start: number; readonly end: number; readonly count: number }[];
  readonly subgroups: SubgroupSummary[];
  readonly note: string;
}

export interface IndividualEffectsInput {
  /** Outcome of every twin under the treatment arm and under the control arm (paired). */
  readonly yTreatment: ArrayLike<number>;
  readonly yControl: ArrayLike<number>;
  /** Observed outcome and allocation (1 treatment, 0 control, NaN neither) for the interaction tests. */
  readonly observedY: ArrayLike<number>;
  readonly observedTreated: ArrayLike<number>;
  /** Baseline covariates per twin: age (years) and sex (0 male, 1 female) when present. */
  readonly covariates: Readonly<Record<string, ArrayLike<number>>>;
  /** Baseline of the endpoint variable per twin (for tertiles). */
  readonly base: ArrayLike<number>;
  /** Absolute responder threshold; default half the control-arm SD of the outcome. */
  readonly responderThreshold?: number;
  readonly bins?: number;
}

const AGE_BANDS: readonly { label: string; max: number }[] = [
  { label: 'age < 45', max: 45 },
  { label: 'age 45-64', max: 65 },
  { label: 'age >= 65', max: Infinity },
];

/**
 * Summarise individual treatment effects: distribution, share of responders, subgroup effects
 * by sex, age band and baseline tertile, with interaction tests on the observed data.
 * The default responder threshold is half the SD of the outcome under control, a common
 * minimal-important-difference rule (Norman GR et al. Med Care 2003;41:582-92
 * doi:10.1097/01.MLR.0000062554.74615.4C).
 */
export function individualEffects(input: IndividualEffectsInput): IndividualEffects {
  const n = input.yTreatment.length;
  const effect = new Float64Array(n);
  const finite: number[] = [];
  for (let i = 0; i < n; i++) {
    effect[i] = input.yTreatment[i] - input.yControl[i];
    if (Number.isFinite(effect[i])) finite.push(effect[i]);
  }
  const sorted = Float64Array.from(finite).sort();
  const moments = sampleMoments(sorted);
  const control = sampleMoments(Float64Array.from(Array.from(input.yControl).filter(Number.isFinite)));
  const threshold = input.responderThreshold ?? 0.5 * Math.sqrt(control.variance);
  const direction = moments.mean < 0 ? -1 : 1;
  let negative = 0;
  let positive = 0;
  let responders = 0;
  for (const e of sorted) {
    if (e < 0) negative++;
    if (e > 0) positive++;
    if (direction * e > threshold) responders++;
  }
  const m = sorted.length;
  const bins = input.bins ?? 30;
  const histogram: { start: number; end: number; count: number }[] = [];
  if (m > 0) {
    let lo = sorted[0];
    let hi = sorted[m - 1];
    // identical effects (up to rounding): one bar centred on the common value
    const spread = hi - lo > 1e-9 * Math.max(1, Math.abs(lo));
    if (!spread) {
      const half = 0.05 * Math.max(Math.abs(lo), 1);
      lo -= half;
      hi += half;
    }
    const width = (hi - lo) / (spread ? bins : 1);
    const counts = new Array<number>(spread ? bins : 1).fill(0);
    for (const e of sorted) counts[Math.min(counts.length - 1, Math.max(0, Math.floor((e - lo) / width)))]++;
    counts.forEach((count, b) => histogram.push({ start: lo + b * width, end: lo + (b + 1) * width, count }));
  }

  const subgroups: SubgroupSummary[] = [];
  const addFactor = (factor: string, labels: readonly string[], levelOf: (i: number) => number): void => {
    const level = Float64Array.from({ length: n }, (_, i) => levelOf(i));
    const levels: SubgroupEffect[] = labels.map((label, l) => {
      const within = Array.from(effect).filter((_, i) => level[i] === l);
      const s = meanInterval(within);
      return { level: label, meanEffect: s.mean, ci95: s.ci, n: s.n };
    });
    const used = levels.filter((l) => l.n > 0).length;
    let interaction: SubgroupSummary['interaction'] = null;
    if (used === labels.length && labels.length > 1) {
      try {
        interaction = subgroupInteraction(input.observedY, input.observedTreated, level, labels.length);
      } catch {
        interaction = null; // a level without both arms observed: no test
      }
    }
    subgroups.push({ factor, levels, interaction });
  };
  const sex = input.covariates.sex;
  if (sex) addFactor('sex', ['male', 'female'], (i) => (sex[i] === 0 ? 0 : sex[i] === 1 ? 1 : -1));
  const age = input.covariates.age;
  if (age) addFactor('age band', AGE_BANDS.map((b) => b.label), (i) => (Number.isFinite(age[i]) ? AGE_BANDS.findIndex((b) => age[i] < b.max) : -1));
  const baseSorted = Float64Array.from(Array.from(input.base).filter(Number.isFinite)).sort();
  if (baseSorted.length >= 3) {
    const t1 = quantileSorted(baseSorted, 1 / 3);
    const t2 = quantileSorted(baseSorted, 2 / 3);
    const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
    addFactor('baseline tertile', [`baseline <= ${f(t1)}`, `baseline ${f(t1)}-${f(t2)}`, `baseline > ${f(t2)}`], (i) => {
      const b = input.base[i];
      if (!Number.isFinite(b)) return -1;
      return b <= t1 ? 0 : b <= t2 ? 1 : 2;
    });
  }
  return {
    n: m,
    mean: moments.mean,
    sd: Math.sqrt(moments.variance),
    quantiles: {
      p05: quantileSorted(sorted, 0.05),
      p25: quantileSorted(sorted, 0.25),
      p50: quantileSorted(sorted, 0.5),
      p75: quantileSorted(sorted, 0.75),
      p95: quantileSorted(sorted, 0.95),
    },
    shareNegative: m ? negative / m : NaN,
    sharePositive: m ? positive / m : NaN,
    responderThreshold: threshold,
    shareResponders: m ? responders / m : NaN,
    thresholdRule: input.responderThreshold !== undefined ? 'given' : 'half the control-arm SD of the outcome (Norman 2003)',
    histogram,
    subgroups,
    note: INDIVIDUAL_EFFECTS_NOTE,
  };
}
