import { chiSquareUpperP, normalQuantile } from './distributions.js';
import type { Estimate } from './estimate.js';
import { wilsonInterval } from './wilson_interval.js';

export interface RiskDifferenceOptions {
  /** 'newcombe' (hybrid score, default) or 'wald'. */
  readonly method?: 'newcombe' | 'wald';
  readonly alpha?: number;
}

/**
 * Risk difference (treatment risk minus control risk) for a binary endpoint.
 *
 * The interval is Newcombe's hybrid score interval (his method 10, built from the two Wilson
 * intervals; good coverage even with few events) or the simple Wald interval
 * p1 - p2 +/- z sqrt(p1 q1 / n1 + p2 q2 / n2), which is what R's
 * `prop.test(c(x1, x2), c(n1, n2), correct = FALSE)` reports. The p-value is that of the
 * Pearson chi-square (pooled score) test, as in `prop.test(..., correct = FALSE)`.
 *
 * Newcombe RG. Stat Med 1998;17:873-90 doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
 *
 * O(1).
 *
 * @example
 * riskDifference(30, 100, 20, 100).estimate; // => 0.1
 */
export function riskDifference(
  eventsTreatment: number,
  nTreatment: number,
  eventsControl: number,
  nControl: number,
  options: RiskDifferenceOptions = {},
): Estimate & { readonly riskTreatment: number; readonly riskControl: number } {
  if (!(nTreatment > 0) || !(nControl > 0)) {
    throw new Error(`riskDifference requires at least one participant per group, received ${nTreatment} and ${nControl}`);
  }
  const method = options.method ?? 'newcombe';
  const alpha = options.alpha ?? 0.05;
  const p1 = eventsTreatment / nTreatment;
  const p2 = eventsControl / nControl;
  const estimate = p1 - p2;
  const se = Math.sqrt((p1 * (1 - p1)) / nTreatment + (p2 * (1 - p2)) / nControl);
  let ci: [number, number];
  if (method === 'wald') {
    const z = normalQuantile(1 - alpha / 2);
    ci = [Math.max(-1, estimate - z * se), Math.min(1, estimate + z * se)];
  } else {
    const [l1, u1] = wilsonInterval(eventsTreatment, nTreatment, alpha);
    const [l2, u2] = wilsonInterval(eventsControl, nControl, alpha);
    ci = [estimate - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), estimate + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
  }
  // Pearson chi-square on the 2x2 table = squared pooled score statistic
  const pooled = (eventsTreatment + eventsControl) / (nTreatment + nControl);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / nTreatment + 1 / nControl));
  const z = sePooled > 0 ? estimate / sePooled : 0;
  const statistic = z * z;
  return {
    estimate,
    se,
    ci,
    p: sePooled > 0 ? chiSquareUpperP(statistic, 1) : 1,
    df: Infinity,
    statistic,
    method: method === 'wald' ? 'risk difference, Wald interval, chi-square test' : 'risk difference, Newcombe hybrid score interval, chi-square test',
    riskTreatment: p1,
    riskControl: p2,
  };
}
