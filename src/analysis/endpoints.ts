/**
 * Per-twin endpoint values: from one arm's trajectories to the number each twin contributes to
 * an endpoint (its value, change, percent change, 0/1 responder or event, mean over visits,
 * or time to event). Runs inside workers, shard by shard and arm by arm; the main process only
 * concatenates the arrays and estimates effects.
 */
import type { Trajectories } from '../core/simulator.js';
import type { EndpointSpec, ScheduleSpec, Threshold } from '../trial-dsl/spec.js';
import { variableValues } from './variable_values.js';
import { applyBpSetting } from './bp_setting.js';

export { TrajectoryAccumulator, type TrajectoryCell } from './trajectory_accumulator.js';

export interface TwinEndpointValues {
  /** Per-twin outcome for the endpoint's measure; NaN = missing (dropout). */
  y: Float64Array;
  /** Per-twin baseline of the endpoint variable (NaN if not measured). */
  base: Float64Array;
  /** time_to_event: day of event or censoring. */
  time?: Float64Array;
  /** time_to_event: 1 event, 0 censored. */
  event?: Uint8Array;
}

/** Whether a value passes a threshold (value, change or percent change as the threshold says). */
export function meetsThreshold(threshold: Threshold, value: number, base: number): number {
  let x: number;
  if (threshold.on === 'value') x = value;
  else if (threshold.on === 'change') x = value - base;
  else x = (100 * (value - base)) / base;
  if (!Number.isFinite(x)) return NaN;
  switch (threshold.op) {
    case '<':
      return x < threshold.value ? 1 : 0;
    case '<=':
      return x <= threshold.value ? 1 : 0;
    case '>':
      return x > threshold.value ? 1 : 0;
    case '>=':
      return x >= threshold.value ? 1 : 0;
  }
}

function visitIndex(visitDays: readonly number[], day: number, what: string): number {
  const i = visitDays.indexOf(day);
  if (i < 0) throw new Error(`${what}: day ${day} is not a visit day (visits: ${visitDays.join(', ')})`);
  return i;
}

/**
 * Compute one endpoint for every twin of a trajectory batch.
 *
 * - value: the measurement at the endpoint visit
 * - change: value minus baseline (day 0)
 * - percent_change: 100 (value - baseline) / baseline
 * - responder: 1 if the threshold holds at the endpoint visit, else 0
 * - event: 1 if the threshold holds at any post-baseline visit up to the endpoint day, 0 if it
 *   never does and the twin was observed to the endpoint visit, NaN if it dropped out first
 * - mean_over_visits: mean of the observed values at post-baseline visits from `fromDay`
 *   (default: the first post-baseline visit) to the endpoint day
 * - time_to_event: first visit day the threshold holds (event) or the last observed visit day
 *   up to the endpoint day (censored); y holds the 0/1 event indicator
 *
 * Missing values (NaN) propagate: complete-case analysis happens downstream.
 */
export function computeEndpoint(ep: EndpointSpec, traj: Trajectories, schedule: ScheduleSpec): TwinEndpointValues {
  const visitDays = traj.visitDays;
  const nVisits = visitDays.length;
  const n = traj.n;
  const what = `endpoint '${ep.name}'`;
  if (schedule.visits.length && schedule.visits[0].day !== visitDays[0]) {
    throw new Error(`${what}: trajectories start at day ${visitDays[0]} but the schedule starts at day ${schedule.visits[0].day}`);
  }
  const baselineVisit = visitIndex(visitDays, 0, `${what} baseline`);
  const clinic = variableValues(traj, ep.variable);
  const values = ep.setting && ep.setting !== 'clinic' ? applyBpSetting(clinic, nVisits, baselineVisit, ep.setting, ep.variable) : clinic;
  const y = new Float64Array(n);
  const base = new Float64Array(n);
  for (let t = 0; t < n; t++) base[t] = values[t * nVisits + baselineVisit];
  const needsThreshold = ep.measure === 'responder' || ep.measure === 'event' || ep.measure === 'time_to_event';
  const threshold = ep.threshold;
  if (needsThreshold && !threshold) throw new Error(`${what}: measure '${ep.measure}' requires a threshold`);
  // post-baseline visits considered by event / mean / time-to-event measures
  const fromDay = ep.fromDay ?? -Infinity;
  const window: number[] = [];
  for (let v = 0; v < nVisits; v++) if (visitDays[v] > 0 && visitDays[v] <= ep.day && visitDays[v] >= fromDay) window.push(v);

  switch (ep.measure) {
    case 'value':
    case 'change':
    case 'percent_change':
    case 'responder': {
      const at = visitIndex(visitDays, ep.day, what);
      for (let t = 0; t < n; t++) {
        const value = values[t * nVisits + at];
        const b = base[t];
        if (ep.measure === 'value') y[t] = value;
        else if (ep.measure === 'change') y[t] = value - b;
        else if (ep.measure === 'percent_change') y[t] = (100 * (value - b)) / b;
        else y[t] = meetsThreshold(threshold!, value, b);
      }
      return { y, base };
    }
    case 'mean_over_visits': {
      if (window.length === 0) throw new Error(`${what}: no post-baseline visit between day ${ep.fromDay ?? 0} and day ${ep.day}`);
      for (let t = 0; t < n; t++) {
        let sum = 0;
        let count = 0;
        for (const v of window) {
          const x = values[t * nVisits + v];
          if (Number.isFinite(x)) {
            sum += x;
            count++;
          }
        }
        y[t] = count > 0 ? sum / count : NaN;
      }
      return { y, base };
    }
    case 'event':
    case 'time_to_event': {
      const time = new Float64Array(n);
      const event = new Uint8Array(n);
      const lastVisit = window.length ? window[window.length - 1] : -1;
      for (let t = 0; t < n; t++) {
        let eventDay = NaN;
        let lastObserved = 0;
        for (const v of window) {
          const x = values[t * nVisits + v];
          if (!Number.isFinite(x)) continue;
          lastObserved = visitDays[v];
          if (meetsThreshold(threshold!, x, base[t]) === 1) {
            eventDay = visitDays[v];
            break;
          }
        }
        if (Number.isFinite(eventDay)) {
          event[t] = 1;
          time[t] = eventDay;
          y[t] = 1;
        } else {
          time[t] = lastObserved;
          const completed = lastVisit >= 0 && Number.isFinite(values[t * nVisits + lastVisit]);
          // a twin lost before the endpoint visit has an unknown 'event by day' status
          y[t] = ep.measure === 'time_to_event' ? 0 : completed ? 0 : NaN;
        }
      }
      return ep.measure === 'time_to_event' ? { y, base, time, event } : { y, base };
    }
  }
}
