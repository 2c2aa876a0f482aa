import { logScaleWald } from './log_scale_wald.js';
import type { Estimate } from './estimate.js';

/**
 * Odds ratio (treatment over control) with Woolf's Wald interval on the log scale:
 * log OR +/- z sqrt(1/a + 1/b + 1/c + 1/d), the same as logistic regression on a treatment
 * indicator in R (`glm(y ~ treat, family = binomial)`, `confint.default`). With a zero cell,
 * 0.5 is added to every cell (Haldane-Anscombe), and the method says so.
 *
 * Woolf B. Ann Hum Genet 1955;19:251-3 doi:10.1111/j.1469-1809.1955.tb01348.x
 *
 * O(1).
 *
 * @example
 * oddsRatio(30, 100, 20, 100).estimate; // => 1.714
 */
export function oddsRatio(eventsTreatment: number, nTreatment: number, eventsControl: number, nControl: number, alpha = 0.05): Estimate {
  if (!(nTreatment > 0) || !(nControl > 0)) {
    throw new Error(`oddsRatio requires at least one participant per group, received ${nTreatment} and ${nControl}`);
  }
  const cells = [eventsTreatment, nTreatment - eventsTreatment, eventsControl, nControl - eventsControl];
  const zeroCell = cells.some((x) => x === 0);
  const [a, b, c, d] = cells.map((x) => x + (zeroCell ? 0.5 : 0));
  const logEstimate = Math.log((a * d) / (b * c));
  const se = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
  return logScaleWald(logEstimate, se, alpha, 'odds ratio, Woolf (Wald) interval on the log scale' + (zeroCell ? ' (0.5 added to every cell: a zero cell)' : ''));
}
