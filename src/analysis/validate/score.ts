/**
 * Scoring of predicted against published effects, as the validation suite defines it:
 * - direction: the prediction has the sign of the published estimate, scored only where the
 *   published 95% CI excludes zero (null otherwise);
 * - inside CI: the predicted estimate lies inside the published 95% CI (bounds included);
 * - signed error, and the same error in units of the published CI half-width, so a miss just
 *   outside a narrow CI and one far outside a wide CI are told apart;
 * - calibration slope: least-squares slope of predicted on published across comparisons.
 * Pure functions on plain numbers; no files are read here.
 */

export interface PublishedEffect {
  readonly estimate: number;
  readonly ci95: readonly [number, number];
}

export interface PredictedEffect {
  readonly estimate: number;
  /** Monte Carlo 95% interval of the prediction (the simulated trial's CI). */
  readonly mc95: readonly [number, number];
}

export interface ComparisonInput {
  readonly id: string;
  readonly published: PublishedEffect;
  /** null when the comparison could not be run (counted as a miss). */
  readonly predicted: PredictedEffect | null;
  readonly calibrationOverlap: boolean | null;
  readonly unit?: string;
  readonly name?: string;
  readonly failure?: string;
}

export interface ComparisonScore {
  readonly id: string;
  readonly name?: string;
  readonly unit?: string;
  readonly published: PublishedEffect;
  readonly predicted: PredictedEffect | null;
  /** true/false where the published CI excludes zero, null where direction is not scored. */
  readonly direction_ok: boolean | null;
  readonly inside_ci: boolean;
  /** predicted - published (null when not run). */
  readonly error: number | null;
  /** error / published CI half-width (null when not run). */
  readonly error_halfwidths: number | null;
  /** The published estimate lies inside the prediction's Monte Carlo interval. */
  readonly published_inside_mc: boolean | null;
  readonly calibration_overlap: boolean | null;
  readonly failure?: string;
}

/** Whether the published 95% CI excludes zero (so the direction of the effect is scored). */
export function ciExcludesZero(ci: readonly [number, number]): boolean {
  return ci[0] > 0 || ci[1] < 0;
}

export function halfWidth(ci: readonly [number, number]): number {
  return (ci[1] - ci[0]) / 2;
}

export function validatePublished(p: PublishedEffect, what: string): void {
  const [lo, hi] = p.ci95;
  if (![p.estimate, lo, hi].every(Number.isFinite)) throw new Error(`${what}: published estimate and CI must be finite numbers`);
  if (!(lo < hi)) throw new Error(`${what}: published ci95 must be [low, high] with low < high (got [${lo}, ${hi}])`);
  if (p.estimate < lo || p.estimate > hi) throw new Error(`${what}: published estimate ${p.estimate} lies outside its own ci95 [${lo}, ${hi}]`);
}

export function scoreComparison(c: ComparisonInput): ComparisonScore {
  validatePublished(c.published, c.id);
  const pub = c.published;
  const scored = ciExcludesZero(pub.ci95);
  const base = { id: c.id, name: c.name, unit: c.unit, published: pub, calibration_overlap: c.calibrationOverlap, failure: c.failure };
  const pred = c.predicted;
  if (!pred || !Number.isFinite(pred.estimate)) {
    return { ...base, predicted: null, direction_ok: scored ? false : null, inside_ci: false, error: null, error_halfwidths: null, published_inside_mc: null };
  }
  const error = pred.estimate - pub.estimate;
  const direction_ok = scored ? Math.sign(pred.estimate) === Math.sign(pub.estimate) : null;
  const inside_ci = pred.estimate >= pub.ci95[0] && pred.estimate <= pub.ci95[1];
  const mcOk = Number.isFinite(pred.mc95[0]) && Number.isFinite(pred.mc95[1]);
  return {
    ...base,
    predicted: pred,
    direction_ok,
    inside_ci,
    error,
    error_halfwidths: error / halfWidth(pub.ci95),
    published_inside_mc: mcOk ? pub.estimate >= pred.mc95[0] && pub.estimate <= pred.mc95[1] : null,
  };
}

export interface GroupSummary {
  /** Comparisons in the group. */
  readonly n: number;
  /** Comparisons that ran and produced a prediction. */
  readonly n_predicted: number;
  readonly direction: { readonly ok: number; readonly scored: number };
  readonly inside_ci: { readonly ok: number; readonly n: number };
  /** Mean |predicted - published| over the predicted comparisons (in each comparison's own unit). */
  readonly mean_abs_error: number | null;
  /** Mean |error| in published CI half-widths. */
  readonly mean_abs_error_halfwidths: number | null;
  /** Mean signed error in half-widths (positive: predictions above the published values). */
  readonly mean_error_halfwidths: number | null;
  /** Least-squares fit predicted = intercept + slope x published (null with < 3 points or no spread). */
  readonly calibration: { readonly slope: number; readonly intercept: number; readonly n: number } | null;
}

export interface ValidationSummary extends GroupSummary {
  readonly by_overlap: { readonly overlap: GroupSummary; readonly independent: GroupSummary; readonly unknown: GroupSummary };
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Ordinary least squares of y on x; null with fewer than 3 points or no spread in x. */
export function calibrationFit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number; n: number } | null {
  const n = x.length;
  if (n !== y.length) throw new Error('calibrationFit: x and y differ in length');
  if (n < 3) return null;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, n };
}

export function summariseGroup(scores: readonly ComparisonScore[]): GroupSummary {
  const predicted = scores.filter((s) => s.predicted !== null);
  const scored = scores.filter((s) => s.direction_ok !== null);
  return {
    n: scores.length,
    n_predicted: predicted.length,
    direction: { ok: scored.filter((s) => s.direction_ok === true).length, scored: scored.length },
    inside_ci: { ok: scores.filter((s) => s.inside_ci).length, n: scores.length },
    mean_abs_error: mean(predicted.map((s) => Math.abs(s.error!))),
    mean_abs_error_halfwidths: mean(predicted.map((s) => Math.abs(s.error_halfwidths!))),
    mean_error_halfwidths: mean(predicted.map((s) => s.error_halfwidths!)),
    calibration: calibrationFit(predicted.map((s) => s.published.estimate), predicted.map((s) => s.predicted!.estimate)),
  };
}

export function summarise(scores: readonly ComparisonScore[]): ValidationSummary {
  return {
    ...summariseGroup(scores),
    by_overlap: {
      overlap: summariseGroup(scores.filter((s) => s.calibration_overlap === true)),
      independent: summariseGroup(scores.filter((s) => s.calibration_overlap === false)),
      unknown: summariseGroup(scores.filter((s) => s.calibration_overlap === null)),
    },
  };
}
