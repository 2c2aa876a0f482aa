/**
 * Prognostic covariate adjustment (PROCOVA): a randomised trial's outcome analysed by ANCOVA
 * with, besides the baseline, each participant's predicted outcome under control (from their
 * digital twin) as a covariate. Randomisation keeps the estimate unbiased whatever the quality
 * of the prediction; a good prediction shrinks the residual variance, which is worth the same
 * as a larger trial.
 *
 * Schuler A, Walsh D, Hall D, et al. Increasing the efficiency of randomized trial estimates via
 * linear adjustment for a prognostic score. Int J Biostat 2022;18:329-56 doi:10.1515/ijb-2021-0072
 * (EMA qualification opinion EMA/CHMP/597866/2021 for this method).
 */
import { ancova } from './ancova.js';
import type { Estimate } from './estimate.js';

export interface ProcovaResult {
  /** ANCOVA with the usual covariates (baseline and any others). */
  readonly standard: Estimate & { readonly residualVariance: number; readonly n: number };
  /** The same ANCOVA plus the prognostic score. */
  readonly prognostic: Estimate & { readonly residualVariance: number; readonly n: number };
  /** 1 - residual variance with the score / residual variance without it. */
  readonly varianceReduction: number;
  /** (SE without / SE with)^2: the factor by which the trial is effectively larger. */
  readonly efficiencyGain: number;
  /**
   * Participants a trial analysed without the score would need for the same precision,
   * n / (1 - varianceReduction), and the gain over the actual n.
   */
  readonly equivalentSampleSize: number;
  readonly sampleSizeGain: number;
  /** Pearson correlation of the score with the outcome among control participants. */
  readonly controlCorrelation: number;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>, keep: (i: number) => boolean): number {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    if (!keep(i) || !Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    n++;
    mx += (x[i] - mx) / n;
    my += (y[i] - my) / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    if (!keep(i) || !Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Compare ANCOVA with and without the prognostic score on the same complete cases.
 *
 * @param y outcome per participant (NaN = missing)
 * @param treated 1 treatment, 0 control
 * @param covariates the standard covariates (baseline first)
 * @param score the predicted outcome under control per participant
 */
export function procova(
  y: ArrayLike<number>,
  treated: ArrayLike<number>,
  covariates: Readonly<Record<string, ArrayLike<number>>>,
  score: ArrayLike<number>,
  alpha = 0.05,
): ProcovaResult {
  // the same participants in both fits: drop rows where the score is missing from both
  const yBoth = Float64Array.from(y, (v, i) => (Number.isFinite(score[i]) ? v : NaN));
  const standard = ancova(yBoth, treated, covariates, { alpha });
  const withScore = ancova(yBoth, treated, { ...covariates, prognostic_score: score }, { alpha });
  const n = standard.nTreatment + standard.nControl;
  const varianceReduction = 1 - withScore.fit.residualVariance / standard.fit.residualVariance;
  const equivalentSampleSize = n / (1 - varianceReduction);
  const strip = (e: typeof standard): ProcovaResult['standard'] => ({
    estimate: e.estimate,
    se: e.se,
    ci: e.ci,
    p: e.p,
    df: e.df,
    statistic: e.statistic,
    method: e.method,
    residualVariance: e.fit.residualVariance,
    n,
  });
  return {
    standard: strip(standard),
    prognostic: strip(withScore),
    varianceReduction,
    efficiencyGain: (standard.se / withScore.se) ** 2,
    equivalentSampleSize,
    sampleSizeGain: equivalentSampleSize - n,
    controlCorrelation: pearson(score, yBoth, (i) => treated[i] === 0),
  };
}

export interface ParticipantOutcomes {
  readonly n: number;
  /** Endpoint value per participant (the file's column named after the endpoint). */
  readonly y: Float64Array;
  /** 1 = treatment arm, 0 = control arm, NaN = another arm. */
  readonly treated: Float64Array;
  /** Baseline of the endpoint variable, then the endpoint's extra covariates. */
  readonly covariates: Record<string, Float64Array>;
}

/**
 * Pick a real trial's participant-level outcomes out of a table (one row per participant):
 * column `arm` (arm ids of the trial), a column named after the endpoint holding each
 * participant's endpoint value as the trial file defines it (e.g. the change at 12 weeks), the
 * endpoint variable's baseline (its catalog id) and the endpoint's covariates.
 *
 * @throws Error naming the file and the missing column
 */
export function participantOutcomes(
  table: Readonly<Record<string, readonly (string | number | null)[]>>,
  ep: { name: string; variable: string; treatment: string; control: string; covariates: readonly string[] },
  file: string,
): ParticipantOutcomes {
  const need = ['arm', ep.name, ep.variable, ...ep.covariates];
  const missing = need.filter((c) => !(c in table));
  if (missing.length) {
    throw new Error(
      `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected one row per participant with arm, ` +
        `the endpoint '${ep.name}' as a column, the baseline '${ep.variable}'${ep.covariates.length ? ` and ${ep.covariates.join(', ')}` : ''})`,
    );
  }
  const n = table.arm.length;
  const num = (x: string | number | null): number => (x === null || x === '' ? NaN : Number(x));
  const arms = new Set(table.arm.map(String));
  if (!arms.has(ep.treatment) || !arms.has(ep.control)) {
    throw new Error(`${file}: column arm holds ${[...arms].join(', ')}; the endpoint compares ${ep.treatment} vs ${ep.control}`);
  }
  const covariates: Record<string, Float64Array> = { baseline: Float64Array.from(table[ep.variable], num) };
  for (const c of ep.covariates) covariates[c] = Float64Array.from(table[c], num);
  return {
    n,
    y: Float64Array.from(table[ep.name], num),
    treated: Float64Array.from(table.arm, (a) => (a === ep.treatment ? 1 : a === ep.control ? 0 : NaN)),
    covariates,
  };
}

/**
 * The prognostic score: each participant's expected endpoint value under the control arm,
 * averaged over `draws` stochastic rollouts of their digital twin (the mean of the predictive
 * distribution, not one noisy draw).
 *
 * @param runDraw simulates every participant's twin (in file order) for draw r and returns the data
 */
export async function prognosticScore(
  draws: number,
  runDraw: (r: number) => Promise<{ endpoints: Record<string, { y: Float64Array }[]> }>,
  endpoint: string,
  controlArm: number,
): Promise<Float64Array> {
  if (!(draws >= 1)) throw new Error(`prognosticScore requires at least one draw, received ${draws}`);
  let sum: Float64Array | null = null;
  let count: Float64Array | null = null;
  for (let r = 0; r < draws; r++) {
    const y = (await runDraw(r)).endpoints[endpoint][controlArm].y;
    sum ??= new Float64Array(y.length);
    count ??= new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) continue;
      sum[i] += y[i];
      count[i]++;
    }
  }
  return sum!.map((s, i) => (count![i] > 0 ? s / count![i] : NaN));
}

/** Plain-text summary of a PROCOVA analysis. */
export function renderProcovaSummary(res: ProcovaResult, what: { endpoint: string; comparison: string; file: string; model: string; draws: number }): string {
  const f = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3)) : '—');
  const p = (x: number): string => (x < 0.001 ? '<0.001' : x.toFixed(3));
  const row = (label: string, e: ProcovaResult['standard']): string =>
    `  ${label.padEnd(30)} ${f(e.estimate).padStart(8)}  [${f(e.ci[0])}, ${f(e.ci[1])}]  SE ${f(e.se)}  p ${p(e.p)}  residual SD ${f(Math.sqrt(e.residualVariance))}`;
  return [
    `Prognostic covariate adjustment (PROCOVA) of ${what.endpoint} (${what.comparison}) in ${what.file}, n = ${res.standard.n}`,
    `prognostic score: each participant's twin under control from ${what.model}, mean of ${what.draws} draws`,
    '',
    row('ANCOVA (baseline)', res.standard),
    row('ANCOVA (baseline + prognostic)', res.prognostic),
    '',
    `variance reduction ${(100 * res.varianceReduction).toFixed(1)}%; correlation of the score with the outcome under control ${f(res.controlCorrelation)}`,
    `equivalent sample size without the score: ${Math.round(res.equivalentSampleSize)} (a gain of ${Math.round(res.sampleSizeGain)} participants); efficiency (SE ratio squared) ${f(res.efficiencyGain)}`,
  ].join('\n');
}
