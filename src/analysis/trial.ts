/**
 * One trial's analysis: from per-twin endpoint values (every twin under every arm) and the
 * observed allocation to estimates, intervals and individual effects per endpoint.
 * Called once, in the main process, after the workers have returned their shards.
 */
import { findDerived, findVariable } from '../population/catalog.js';
import type { AnalysisKind, EndpointSpec, TrialSpec } from '../trial-dsl/spec.js';
import { ancova } from './ancova.js';
import { bootstrapInterval } from './bootstrap_interval.js';
import { coxPH } from './cox_ph.js';
import type { TwinEndpointValues } from './endpoints.js';
import type { Estimate } from './estimate.js';
import { hedgesG, type HedgesG } from './hedges_g.js';
import { individualEffects, type IndividualEffects } from './individual_effects.js';
import { kaplanMeier, type KaplanMeierCurve } from './kaplan_meier.js';
import { logRankTest, type LogRankTest } from './log_rank_test.js';
import { meanDifference } from './mean_difference.js';
import { oddsRatio } from './odds_ratio.js';
import { riskDifference } from './risk_difference.js';
import { riskRatio } from './risk_ratio.js';
import { sampleMoments } from './sample_moments.js';

export interface TrialData {
  spec: TrialSpec;
  /** Observed arm index (into spec.arms) per twin. */
  allocation: Uint8Array;
  /** Baseline covariates per twin (age, sex 0/1, catalog ids). */
  covariates: Record<string, Float64Array>;
  /** By endpoint name; one entry per arm index: every twin under every arm (paired counterfactuals). */
  endpoints: Record<string, TwinEndpointValues[]>;
  /** By arm id: TrajectoryAccumulator.toJSON() of the observed twins (for plots). */
  trajectories: Record<string, unknown>;
}

export type EffectMeasure = 'difference' | 'risk difference' | 'risk ratio' | 'odds ratio' | 'hazard ratio';

export interface ArmCount {
  readonly randomised: number;
  readonly analysed: number;
}

export interface ArmSummary {
  /** Mean and SD of the analysed outcome (risk for binary endpoints). */
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
  /** Mean baseline of the endpoint variable among the analysed. */
  readonly baselineMean: number;
  /** Events among the analysed (binary and time-to-event endpoints). */
  readonly events?: number;
}

export interface EndpointAnalysis {
  readonly name: string;
  readonly variable: string;
  readonly label: string;
  readonly unit: string;
  readonly measure: EndpointSpec['measure'];
  readonly day: number;
  readonly primary: boolean;
  readonly analysis: AnalysisKind;
  readonly treatment: string;
  readonly control: string;
  readonly comparison: string;
  readonly effectMeasure: EffectMeasure;
  /** The value of "no effect" on this scale: 0 for differences, 1 for ratios. */
  readonly nullValue: number;
  readonly estimate: number;
  readonly ci95: [number, number];
  /** Interval at level 1 - alpha (equal to ci95 when alpha = 0.05). */
  readonly ci: [number, number];
  readonly ciLevel: number;
  readonly ciMethod: 't' | 'normal' | 'bootstrap';
  readonly se: number;
  readonly df: number | null;
  readonly p: number;
  readonly alpha: number;
  readonly significant: boolean;
  readonly method: string;
  readonly covariates: string[];
  readonly n: Record<string, ArmCount>;
  readonly arms: Record<string, ArmSummary>;
  readonly hedgesG?: HedgesG;
  readonly logRank?: LogRankTest;
  readonly kaplanMeier?: Record<string, KaplanMeierCurve>;
  readonly individual?: IndividualEffects;
  /**
   * The effect in this trial's own twins, known only in simulation: from paired counterfactuals,
   * the mean of y(treatment) - y(control) over randomised twins with both values (a risk or
   * odds ratio of the counterfactual risks for ratio measures; absent for hazard ratios).
   */
  readonly sampleEffect?: number;
  readonly error?: string;
}

export interface TrajectorySeries {
  readonly arm: string;
  readonly variable: string;
  readonly day: number;
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
}

export interface TrialAnalysis {
  readonly trial: { readonly name: string; readonly file: string; readonly sha256: string; readonly registry?: string; readonly citation?: string };
  readonly seed: number;
  readonly alpha: number;
  readonly arms: { readonly id: string; readonly label: string; readonly role: string; readonly randomised: number }[];
  readonly endpoints: EndpointAnalysis[];
  readonly trajectories: TrajectorySeries[];
  readonly notes: string[];
}

export interface AnalyseOptions {
  /** Override the trial's CI method. */
  readonly ci?: 't' | 'bootstrap';
  /** Skip individual-effect summaries (replicates for power do not need them). */
  readonly individual?: boolean;
  /** Extra ANCOVA covariate columns by name (e.g. a prognostic score), added to every ANCOVA endpoint. */
  readonly extraCovariates?: Readonly<Record<string, Float64Array>>;
}

const BINARY: readonly AnalysisKind[] = ['risk_difference', 'risk_ratio', 'odds_ratio'];

function effectMeasureOf(kind: AnalysisKind): EffectMeasure {
  switch (kind) {
    case 'difference':
    case 'ancova':
      return 'difference';
    case 'risk_difference':
      return 'risk difference';
    case 'risk_ratio':
      return 'risk ratio';
    case 'odds_ratio':
      return 'odds ratio';
    case 'hazard_ratio':
      return 'hazard ratio';
  }
}

function describe(variable: string): { label: string; unit: string } {
  const v = findVariable(variable);
  if (v) return { label: v.label, unit: v.unit };
  const d = findDerived(variable);
  if (d) return { label: d.label, unit: d.unit };
  return { label: variable, unit: '' };
}

function armIndex(spec: TrialSpec, id: string, what: string): number {
  const i = spec.arms.findIndex((a) => a.id === id);
  if (i < 0) throw new Error(`${what}: arm '${id}' is not one of ${spec.arms.map((a) => a.id).join(', ')}`);
  return i;
}

/** Analyse every endpoint of one trial. */
export function analyseTrial(data: TrialData, options: AnalyseOptions = {}): TrialAnalysis {
  const spec = data.spec;
  const alpha = spec.analysis.alpha;
  const randomised = spec.arms.map((_, a) => data.allocation.reduce((s, x) => s + (x === a ? 1 : 0), 0));
  const endpoints = spec.endpoints.map((ep) => analyseEndpoint(data, ep, options));
  const trajectories: TrajectorySeries[] = [];
  for (const arm of spec.arms) {
    const acc = data.trajectories[arm.id] as
      | { variables: string[]; visitDays: number[]; n: number[]; mean: number[]; m2: number[] }
      | undefined;
    if (!acc) continue;
    acc.variables.forEach((variable, v) => {
      acc.visitDays.forEach((day, k) => {
        const cell = v * acc.visitDays.length + k;
        const n = acc.n[cell];
        if (n === 0) return;
        trajectories.push({ arm: arm.id, variable, day, mean: acc.mean[cell], sd: n > 1 ? Math.sqrt(acc.m2[cell] / (n - 1)) : NaN, n });
      });
    });
  }
  const notes = [
    'Complete-case analysis: twins with a missing endpoint value (dropout) are excluded; n analysed / randomised is shown per arm.',
  ];
  if (endpoints.some((e) => e.individual)) notes.push(endpoints.find((e) => e.individual)!.individual!.note);
  return {
    trial: { name: spec.name, file: spec.source.file, sha256: spec.source.sha256, registry: spec.registry, citation: spec.citation },
    seed: spec.seed,
    alpha,
    arms: spec.arms.map((a, i) => ({ id: a.id, label: a.label, role: a.role, randomised: randomised[i] })),
    endpoints,
    trajectories,
    notes,
  };
}

function analyseEndpoint(data: TrialData, ep: EndpointSpec, options: AnalyseOptions): EndpointAnalysis {
  const spec = data.spec;
  const alpha = spec.analysis.alpha;
  const what = `endpoint '${ep.name}'`;
  const ti = armIndex(spec, ep.treatment, what);
  const ci = armIndex(spec, ep.control, what);
  const values = data.endpoints[ep.name];
  if (!values || !values[ti] || !values[ci]) throw new Error(`${what}: no endpoint values for arms '${ep.treatment}' and '${ep.control}'`);
  const n = data.allocation.length;
  // observed outcome: each twin contributes its own arm's counterfactual
  const observedY = new Float64Array(n).fill(NaN);
  const observedTreated = new Float64Array(n).fill(NaN);
  const observedBase = new Float64Array(n).fill(NaN);
  const observedTime = new Float64Array(n).fill(NaN);
  const observedEvent = new Float64Array(n).fill(NaN);
  let randomisedT = 0;
  let randomisedC = 0;
  for (let i = 0; i < n; i++) {
    const a = data.allocation[i];
    if (a !== ti && a !== ci) continue;
    const v = values[a];
    observedY[i] = v.y[i];
    observedBase[i] = v.base[i];
    observedTreated[i] = a === ti ? 1 : 0;
    if (v.time && v.event) {
      observedTime[i] = v.time[i];
      observedEvent[i] = v.event[i];
    }
    if (a === ti) randomisedT++;
    else randomisedC++;
  }
  const kind = ep.analysis;
  const isAncova = kind === 'ancova';
  const covariateNames = isAncova ? ['baseline', ...ep.covariates, ...Object.keys(options.extraCovariates ?? {})] : [];
  const covariateColumns: Record<string, ArrayLike<number>> = {};
  if (isAncova) {
    covariateColumns.baseline = observedBase;
    for (const c of ep.covariates) {
      const col = data.covariates[c];
      if (!col) throw new Error(`${what}: covariate '${c}' is not among the twins' baseline covariates (${Object.keys(data.covariates).join(', ')})`);
      covariateColumns[c] = col;
    }
    for (const [name, col] of Object.entries(options.extraCovariates ?? {})) covariateColumns[name] = col;
  }
  // complete cases per arm
  const analysedIdx: [number[], number[]] = [[], []];
  for (let i = 0; i < n; i++) {
    if (!(observedTreated[i] >= 0)) continue;
    if (kind === 'hazard_ratio') {
      if (!Number.isFinite(observedTime[i])) continue;
    } else if (!Number.isFinite(observedY[i])) continue;
    if (isAncova && covariateNames.some((c) => !Number.isFinite(covariateColumns[c][i]))) continue;
    analysedIdx[observedTreated[i] === 1 ? 0 : 1].push(i);
  }
  const pick = (arr: ArrayLike<number>, idx: readonly number[]): Float64Array => Float64Array.from(idx, (i) => arr[i]);
  const yT = pick(observedY, analysedIdx[0]);
  const yC = pick(observedY, analysedIdx[1]);
  const { label, unit } = describe(ep.variable);
  const summarise = (idx: number[]): ArmSummary => {
    const m = sampleMoments(pick(observedY, idx));
    const b = sampleMoments(pick(observedBase, idx).filter(Number.isFinite));
    const events = kind === 'hazard_ratio' || BINARY.includes(kind) ? idx.reduce((s, i) => s + (kind === 'hazard_ratio' ? observedEvent[i] : observedY[i]), 0) : undefined;
    return { mean: m.mean, sd: Math.sqrt(m.variance), n: m.n, baselineMean: b.mean, ...(events !== undefined ? { events } : {}) };
  };
  const base = {
    name: ep.name,
    variable: ep.variable,
    label,
    unit: kind === 'hazard_ratio' || BINARY.includes(kind) ? '' : ep.measure === 'percent_change' ? '%' : unit,
    measure: ep.measure,
    day: ep.day,
    primary: ep.primary,
    analysis: kind,
    treatment: ep.treatment,
    control: ep.control,
    comparison: `${ep.treatment} vs ${ep.control}`,
    effectMeasure: effectMeasureOf(kind),
    nullValue: kind === 'risk_ratio' || kind === 'odds_ratio' || kind === 'hazard_ratio' ? 1 : 0,
    alpha,
    covariates: covariateNames,
    ciLevel: 1 - alpha,
    n: {
      [ep.treatment]: { randomised: randomisedT, analysed: analysedIdx[0].length },
      [ep.control]: { randomised: randomisedC, analysed: analysedIdx[1].length },
    },
    arms: { [ep.treatment]: summarise(analysedIdx[0]), [ep.control]: summarise(analysedIdx[1]) },
  };

  const estimateWith = (a: number): { est: Estimate; extra: Partial<EndpointAnalysis> } => {
    switch (kind) {
      case 'difference':
        return { est: meanDifference(yT, yC, { alpha: a }), extra: {} };
      case 'ancova':
        return { est: ancova(observedY, observedTreated, covariateColumns, { alpha: a }), extra: {} };
      case 'risk_difference':
      case 'risk_ratio':
      case 'odds_ratio': {
        const eT = yT.reduce((s, v) => s + v, 0);
        const eC = yC.reduce((s, v) => s + v, 0);
        if (kind === 'risk_difference') return { est: riskDifference(eT, yT.length, eC, yC.length, { alpha: a }), extra: {} };
        if (kind === 'risk_ratio') return { est: riskRatio(eT, yT.length, eC, yC.length, a), extra: {} };
        return { est: oddsRatio(eT, yT.length, eC, yC.length, a), extra: {} };
      }
      case 'hazard_ratio': {
        const idx = [...analysedIdx[0], ...analysedIdx[1]];
        const time = pick(observedTime, idx);
        const event = pick(observedEvent, idx);
        const group = pick(observedTreated, idx);
        const fit = coxPH(time, event, [group], { alpha: a });
        const est: Estimate = {
          estimate: fit.hazardRatio[0],
          se: fit.se[0],
          ci: fit.ci[0],
          p: fit.p[0],
          df: Infinity,
          statistic: fit.z[0],
          method: 'Cox proportional hazards (Efron ties), Wald interval',
        };
        return {
          est,
          extra: {
            logRank: logRankTest(time, event, group),
            kaplanMeier: {
              [ep.treatment]: kaplanMeier(pick(observedTime, analysedIdx[0]), pick(observedEvent, analysedIdx[0])),
              [ep.control]: kaplanMeier(pick(observedTime, analysedIdx[1]), pick(observedEvent, analysedIdx[1])),
            },
          },
        };
      }
    }
  };

  let est95: Estimate;
  let estAlpha: Estimate;
  let extra: Partial<EndpointAnalysis>;
  try {
    ({ est: est95, extra } = estimateWith(0.05));
    estAlpha = alpha === 0.05 ? est95 : estimateWith(alpha).est;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      ...base,
      estimate: NaN,
      ci95: [NaN, NaN],
      ci: [NaN, NaN],
      ciMethod: 't',
      se: NaN,
      df: null,
      p: NaN,
      significant: false,
      method: 'not estimable',
      error: `${what}: ${message}`,
    };
  }
  let ci95: [number, number] = [est95.ci[0], est95.ci[1]];
  let ciAlpha: [number, number] = [estAlpha.ci[0], estAlpha.ci[1]];
  let ciMethod: EndpointAnalysis['ciMethod'] = Number.isFinite(est95.df) ? 't' : 'normal';
  let method = est95.method;
  const useBootstrap = (options.ci ?? spec.analysis.ci) === 'bootstrap' && kind !== 'hazard_ratio';
  if (useBootstrap) {
    const groups = [Int32Array.from(analysedIdx[0]), Int32Array.from(analysedIdx[1])];
    const statistic = (resampled: readonly Int32Array[]): number => {
      const rows = [...resampled[0], ...resampled[1]];
      const y = Float64Array.from(rows, (i) => observedY[i]);
      const treated = Float64Array.from(rows, (i) => observedTreated[i]);
      const t = Float64Array.from(resampled[0], (i) => observedY[i]);
      const c = Float64Array.from(resampled[1], (i) => observedY[i]);
      switch (kind) {
        case 'difference':
          return meanDifference(t, c).estimate;
        case 'ancova': {
          const cov: Record<string, Float64Array> = {};
          for (const name of covariateNames) cov[name] = Float64Array.from(rows, (i) => covariateColumns[name][i]);
          return ancova(y, treated, cov).estimate;
        }
        case 'risk_difference':
          return riskDifference(t.reduce((s, v) => s + v, 0), t.length, c.reduce((s, v) => s + v, 0), c.length).estimate;
        case 'risk_ratio':
          return riskRatio(t.reduce((s, v) => s + v, 0), t.length, c.reduce((s, v) => s + v, 0), c.length).estimate;
        case 'odds_ratio':
          return oddsRatio(t.reduce((s, v) => s + v, 0), t.length, c.reduce((s, v) => s + v, 0), c.length).estimate;
        default:
          return NaN;
      }
    };
    const seed = spec.seed;
    ci95 = bootstrapInterval(groups, statistic, { samples: spec.analysis.bootstrapSamples, seed, alpha: 0.05 }).ci;
    ciAlpha = alpha === 0.05 ? ci95 : bootstrapInterval(groups, statistic, { samples: spec.analysis.bootstrapSamples, seed, alpha }).ci;
    ciMethod = 'bootstrap';
    method += `; percentile bootstrap interval (${spec.analysis.bootstrapSamples} resamples)`;
  }
  const sampleEffect = counterfactualEffect(kind, values[ti].y, values[ci].y, observedTreated);
  const continuous = kind === 'difference' || kind === 'ancova';
  let g: HedgesG | undefined;
  if (continuous && yT.length >= 2 && yC.length >= 2) g = hedgesG(yT, yC);
  let individual: IndividualEffects | undefined;
  if (options.individual !== false && kind !== 'hazard_ratio') {
    const pairedT = values[ti].y;
    const pairedC = values[ci].y;
    individual = individualEffects({
      yTreatment: pairedT,
      yControl: pairedC,
      observedY,
      observedTreated,
      covariates: data.covariates,
      base: values[ci].base,
    });
  }
  return {
    ...base,
    estimate: est95.estimate,
    ci95,
    ci: ciAlpha,
    ciMethod,
    se: est95.se,
    df: Number.isFinite(est95.df) ? est95.df : null,
    p: est95.p,
    significant: est95.p < alpha,
    method,
    ...extra,
    ...(g ? { hedgesG: g } : {}),
    ...(sampleEffect !== undefined ? { sampleEffect } : {}),
    ...(individual ? { individual } : {}),
  };
}

/** The trial's true effect from paired counterfactuals (see EndpointAnalysis.sampleEffect). */
function counterfactualEffect(kind: AnalysisKind, yT: Float64Array, yC: Float64Array, randomised: Float64Array): number | undefined {
  if (kind === 'hazard_ratio') return undefined;
  let n = 0;
  let sumT = 0;
  let sumC = 0;
  for (let i = 0; i < yT.length; i++) {
    if (!(randomised[i] >= 0) || !Number.isFinite(yT[i]) || !Number.isFinite(yC[i])) continue;
    n++;
    sumT += yT[i];
    sumC += yC[i];
  }
  if (n === 0) return undefined;
  const mT = sumT / n;
  const mC = sumC / n;
  if (kind === 'risk_ratio') return mT / mC;
  if (kind === 'odds_ratio') return mT / (1 - mT) / (mC / (1 - mC));
  return mT - mC;
}
