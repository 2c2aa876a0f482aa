import { normalQuantile } from './distributions.js';

export interface KaplanMeierCurve {
  /** Distinct observed times (events or censoring), ascending. */
  readonly time: number[];
  readonly nRisk: number[];
  readonly nEvent: number[];
  readonly nCensor: number[];
  /** Survival probability just after each time. */
  readonly survival: number[];
  /** Greenwood standard error of log survival (R's survfit `std.err`). */
  readonly seLog: number[];
  /** Pointwise interval, log transform (R's survfit default conf.type = "log"). */
  readonly lower: number[];
  readonly upper: number[];
}

/**
 * Kaplan-Meier product-limit estimate of the survival function, with Greenwood's variance and
 * pointwise "log" intervals S exp(+/- z se), as R's `survival::survfit(Surv(time, event) ~ 1)`.
 *
 * Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81 doi:10.1080/01621459.1958.10501452
 *
 * O(n log n) (a sort).
 *
 * @param time follow-up time per participant
 * @param event 1 = event, 0 = censored
 * @example
 * kaplanMeier([1, 2, 3], [1, 0, 1]).survival; // => [0.6667, 0.6667, 0]
 */
export function kaplanMeier(time: ArrayLike<number>, event: ArrayLike<number>, alpha = 0.05): KaplanMeierCurve {
  const order = Array.from({ length: time.length }, (_, i) => i)
    .filter((i) => Number.isFinite(time[i]))
    .sort((a, b) => time[a] - time[b]);
  if (order.length === 0) throw new Error('kaplanMeier requires at least one participant with a finite time');
  const z = normalQuantile(1 - alpha / 2);
  const out: KaplanMeierCurve = { time: [], nRisk: [], nEvent: [], nCensor: [], survival: [], seLog: [], lower: [], upper: [] };
  let atRisk = order.length;
  let survival = 1;
  let greenwoodSum = 0;
  for (let k = 0; k < order.length; ) {
    const t = time[order[k]];
    let events = 0;
    let censored = 0;
    while (k < order.length && time[order[k]] === t) {
      if (event[order[k]] === 1) events++;
      else censored++;
      k++;
    }
    if (events > 0) {
      survival *= 1 - events / atRisk;
      greenwoodSum += atRisk > events ? events / (atRisk * (atRisk - events)) : Infinity;
    }
    const se = Math.sqrt(greenwoodSum);
    out.time.push(t);
    out.nRisk.push(atRisk);
    out.nEvent.push(events);
    out.nCensor.push(censored);
    out.survival.push(survival);
    out.seLog.push(se);
    out.lower.push(survival > 0 && Number.isFinite(se) ? survival * Math.exp(-z * se) : NaN);
    out.upper.push(survival > 0 && Number.isFinite(se) ? Math.min(1, survival * Math.exp(z * se)) : NaN);
    atRisk -= events + censored;
  }
  return out;
}
