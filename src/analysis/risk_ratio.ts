import { logScaleWald } from './log_scale_wald.js';
import type { Estimate } from './estimate.js';

/**
 * Risk ratio (relative risk, treatment over control) with a Wald interval on the log scale:
 * log RR +/- z sqrt(1/a - 1/n1 + 1/c - 1/n2), the same as a log-binomial GLM with a treatment
 * indicator in R (`glm(y ~ treat, family = binomial(link = "log"))`, `confint.default`).
 * With a zero cell, 0.5 is added to every cell (Haldane-Anscombe), and the method says so.
 *
 * Altman DG. Practical Statistics for Medical Research (1991), section 10.11.
 *
 * O(1).
 *
 * @example
 * riskRatio(30, 100, 20, 100).estimate; // => 1.5
 */
export function riskRatio(eventsTreatment: number, nTreatment: number, eventsControl: number, nControl: number, alpha = 0.05): Estimate {
  if (!(nTreatment > 0) || !(nControl > 0)) {
    throw new Error(`riskRatio requires at least one participant per group, received ${nTreatment} and ${nControl}`);
  }
  const zeroCell = eventsTreatment === 0 || eventsControl === 0;
  const a = eventsTreatment + (zeroCell ? 0.5 : 0);
  const c = eventsControl + (zeroCell ? 0.5 : 0);
  const n1 = nTreatment + (zeroCell ? 1 : 0);
  const n2 = nControl + (zeroCell ? 1 : 0);
  const logEstimate = Math.log(a / n1 / (c / n2));
  const se = Math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2);
  return logScaleWald(logEstimate, se, alpha, 'risk ratio, Wald interval on the log scale' + (zeroCell ? ' (0.5 added to every cell: a zero cell)' : ''));
}
