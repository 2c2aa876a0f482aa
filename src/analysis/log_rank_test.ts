import { chiSquareUpperP } from './distributions.js';

export interface LogRankTest {
  readonly statistic: number;
  readonly df: 1;
  readonly p: number;
  /** Observed and expected events in the treatment group (group 1). */
  readonly observedTreatment: number;
  readonly expectedTreatment: number;
  readonly observedControl: number;
  readonly expectedControl: number;
  readonly variance: number;
}

/**
 * Log-rank test comparing two survival curves: at each distinct event time, observed minus
 * expected events in the treatment group under no difference, with the hypergeometric
 * variance; (O - E)^2 / V is chi-square on 1 df. Matches R's `survival::survdiff(..., rho = 0)`.
 *
 * Mantel N. Cancer Chemother Rep 1966;50:163-70 PMID:5910392;
 * Peto R, Peto J. J R Stat Soc A 1972;135:185-207 doi:10.2307/2344317
 *
 * O(n log n).
 *
 * @param time follow-up time
 * @param event 1 = event, 0 = censored
 * @param group 1 = treatment, 0 = control
 */
export function logRankTest(time: ArrayLike<number>, event: ArrayLike<number>, group: ArrayLike<number>): LogRankTest {
  const order = Array.from({ length: time.length }, (_, i) => i)
    .filter((i) => Number.isFinite(time[i]))
    .sort((a, b) => time[a] - time[b]);
  let atRisk = order.length;
  let atRiskTreatment = 0;
  for (const i of order) if (group[i] === 1) atRiskTreatment++;
  if (atRiskTreatment === 0 || atRiskTreatment === atRisk) throw new Error('logRankTest requires participants in both groups');
  let observed = 0;
  let expected = 0;
  let variance = 0;
  let totalEvents = 0;
  for (let k = 0; k < order.length; ) {
    const t = time[order[k]];
    let events = 0;
    let eventsTreatment = 0;
    let leaving = 0;
    let leavingTreatment = 0;
    while (k < order.length && time[order[k]] === t) {
      const i = order[k];
      if (event[i] === 1) {
        events++;
        if (group[i] === 1) eventsTreatment++;
      }
      leaving++;
      if (group[i] === 1) leavingTreatment++;
      k++;
    }
    if (events > 0) {
      const share = atRiskTreatment / atRisk;
      observed += eventsTreatment;
      expected += events * share;
      if (atRisk > 1) variance += (events * share * (1 - share) * (atRisk - events)) / (atRisk - 1);
      totalEvents += events;
    }
    atRisk -= leaving;
    atRiskTreatment -= leavingTreatment;
  }
  const statistic = variance > 0 ? (observed - expected) ** 2 / variance : 0;
  return {
    statistic,
    df: 1,
    p: variance > 0 ? chiSquareUpperP(statistic, 1) : 1,
    observedTreatment: observed,
    expectedTreatment: expected,
    observedControl: totalEvents - observed,
    expectedControl: totalEvents - expected,
    variance,
  };
}
