/**
 * Operating characteristics from replicate trials: the same trial run R times with fresh
 * twins. Power is the share of replicates significant at alpha; every figure carries its
 * Monte Carlo standard error so a reader can tell signal from simulation noise.
 *
 * Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical methods.
 * Stat Med 2019;38:2074-102 doi:10.1002/sim.8086 (Monte Carlo SE formulas, table 6).
 */
import { quantileSorted } from './quantiles.js';
import { sampleMoments } from './sample_moments.js';
import type { TrialAnalysis } from './trial.js';
import { wilsonInterval } from './wilson_interval.js';

export interface ReplicateEndpointSummary {
  readonly name: string;
  readonly effectMeasure: string;
  readonly nullValue: number;
  /** Replicates with an estimate (a replicate where the endpoint was not estimable is counted in `failed`). */
  readonly replicates: number;
  readonly failed: number;
  readonly significant: number;
  /** Share significant at alpha, with Monte Carlo SE and a Wilson 95% interval. */
  readonly power: number;
  readonly powerMcse: number;
  readonly powerCi95: [number, number];
  readonly meanEstimate: number;
  readonly meanEstimateMcse: number;
  /** Empirical SD of the estimate across replicates and its Monte Carlo SE. */
  readonly sdEstimate: number;
  readonly sdEstimateMcse: number;
  /** Mean model-based SE and the mean CI width (MC SE in brackets). */
  readonly meanSe: number;
  readonly meanSeMcse: number;
  readonly meanCiWidth: number;
  readonly meanCiWidthMcse: number;
  readonly quantiles: { readonly p025: number; readonly p25: number; readonly p50: number; readonly p75: number; readonly p975: number };
  /**
   * Against each replicate's own true effect (EndpointAnalysis.sampleEffect, known in
   * simulation only): share of 95% intervals covering it, and the mean error of the estimate.
   */
  readonly coverage: number;
  readonly coverageMcse: number;
  readonly bias: number;
  readonly biasMcse: number;
  /** Every replicate's estimate (for the distribution plot). */
  readonly estimates: number[];
}

export interface ReplicateSummary {
  readonly replicates: number;
  readonly alpha: number;
  readonly endpoints: ReplicateEndpointSummary[];
}

/** Monte Carlo SE of a mean of R values with SD s: s / sqrt(R). */
function mcseMean(sd: number, r: number): number {
  return sd / Math.sqrt(r);
}

/**
 * Summarise replicate analyses of the same trial.
 *
 * @throws if no analyses are given
 */
export function summariseReplicates(analyses: readonly TrialAnalysis[]): ReplicateSummary {
  if (analyses.length === 0) throw new Error('summariseReplicates requires at least one replicate analysis');
  const alpha = analyses[0].alpha;
  const names = analyses[0].endpoints.map((e) => e.name);
  const endpoints = names.map((name): ReplicateEndpointSummary => {
    const rows = analyses.map((a) => a.endpoints.find((e) => e.name === name)!);
    const ok = rows.filter((r) => r && Number.isFinite(r.estimate) && Number.isFinite(r.p));
    const r = ok.length;
    const significant = ok.filter((x) => x.p < alpha).length;
    const power = r ? significant / r : NaN;
    const estimates = ok.map((x) => x.estimate);
    // ratio measures are summarised on the log scale's natural companion: the estimate itself,
    // but the SD and quantiles remain meaningful; the mean of ratios is reported as is.
    const m = sampleMoments(estimates);
    const se = sampleMoments(ok.map((x) => x.se));
    const width = sampleMoments(ok.map((x) => x.ci95[1] - x.ci95[0]));
    const sorted = [...estimates].sort((a, b) => a - b);
    const sd = Math.sqrt(m.variance);
    const withTruth = ok.filter((x) => x.sampleEffect !== undefined && Number.isFinite(x.sampleEffect));
    const covered = withTruth.filter((x) => x.ci95[0] <= x.sampleEffect! && x.sampleEffect! <= x.ci95[1]).length;
    const coverage = withTruth.length ? covered / withTruth.length : NaN;
    const errors = sampleMoments(withTruth.map((x) => x.estimate - x.sampleEffect!));
    return {
      name,
      effectMeasure: rows[0].effectMeasure,
      nullValue: rows[0].nullValue,
      replicates: r,
      failed: analyses.length - r,
      significant,
      power,
      powerMcse: r ? Math.sqrt((power * (1 - power)) / r) : NaN,
      powerCi95: r ? wilsonInterval(significant, r) : [NaN, NaN],
      meanEstimate: m.mean,
      meanEstimateMcse: mcseMean(sd, r),
      sdEstimate: sd,
      // MC SE of an empirical SE: SD / sqrt(2 (R - 1)) (Morris et al. 2019, table 6)
      sdEstimateMcse: r > 1 ? sd / Math.sqrt(2 * (r - 1)) : NaN,
      meanSe: se.mean,
      meanSeMcse: mcseMean(Math.sqrt(se.variance), r),
      meanCiWidth: width.mean,
      meanCiWidthMcse: mcseMean(Math.sqrt(width.variance), r),
      quantiles: {
        p025: quantileSorted(sorted, 0.025),
        p25: quantileSorted(sorted, 0.25),
        p50: quantileSorted(sorted, 0.5),
        p75: quantileSorted(sorted, 0.75),
        p975: quantileSorted(sorted, 0.975),
      },
      coverage,
      coverageMcse: withTruth.length ? Math.sqrt((coverage * (1 - coverage)) / withTruth.length) : NaN,
      bias: errors.mean,
      biasMcse: mcseMean(Math.sqrt(errors.variance), errors.n),
      estimates,
    };
  });
  return { replicates: analyses.length, alpha, endpoints };
}

export interface TypeOneErrorCheck {
  readonly endpoint: string;
  readonly replicates: number;
  readonly rejections: number;
  readonly rate: number;
  readonly mcse: number;
  /** Wilson 95% interval of the rejection rate. */
  readonly ci95: [number, number];
  readonly alpha: number;
  /** Whether the nominal alpha lies inside the Monte Carlo interval. */
  readonly consistent: boolean;
}

/**
 * Null check: in replicates of a trial whose arms are identical, the share rejecting at alpha
 * estimates the type-I error; it should be consistent with alpha within Monte Carlo error.
 */
export function typeOneError(summary: ReplicateSummary, endpoint?: string): TypeOneErrorCheck {
  const e = endpoint ? summary.endpoints.find((x) => x.name === endpoint) : summary.endpoints[0];
  if (!e) throw new Error(`typeOneError: endpoint '${endpoint}' is not in the replicate summary`);
  return {
    endpoint: e.name,
    replicates: e.replicates,
    rejections: e.significant,
    rate: e.power,
    mcse: e.powerMcse,
    ci95: e.powerCi95,
    alpha: summary.alpha,
    consistent: e.powerCi95[0] <= summary.alpha && summary.alpha <= e.powerCi95[1],
  };
}
