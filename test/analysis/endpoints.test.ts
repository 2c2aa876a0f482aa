import { describe, expect, it } from 'vitest';
import type { Trajectories } from '../../src/core/simulator.js';
import { computeEndpoint, TrajectoryAccumulator } from '../../src/analysis/endpoints.js';
import { SCHEDULE, endpoint, synthTrajectories } from './helpers.js';

// two twins, three visits (days 0, 28, 84); twin 1 drops out after day 28
const tiny: Trajectories = {
  n: 2,
  visitDays: [0, 28, 84],
  values: {
    sbp: Float64Array.from([150, 140, 128, 120, 135, NaN]),
    dbp: Float64Array.from([90, 85, 80, 80, 90, NaN]),
  },
  dropoutDay: Float64Array.from([Infinity, 40]),
};

describe('computeEndpoint', () => {
  it('computes value, change and percent change at the endpoint visit, NaN after dropout', () => {
    const value = computeEndpoint(endpoint({ name: 'v', measure: 'value' }), tiny, SCHEDULE);
    expect(Array.from(value.y)).toEqual([128, NaN]);
    expect(Array.from(value.base)).toEqual([150, 120]);
    const change = computeEndpoint(endpoint({ name: 'c', measure: 'change' }), tiny, SCHEDULE);
    expect(Array.from(change.y)).toEqual([-22, NaN]);
    const pct = computeEndpoint(endpoint({ name: 'p', measure: 'percent_change', day: 28 }), tiny, SCHEDULE);
    expect(pct.y[0]).toBeCloseTo((100 * -10) / 150, 12);
    expect(pct.y[1]).toBeCloseTo((100 * 15) / 120, 12);
  });

  it('a home or 24-h ambulatory setting scales each twin BP change from its own baseline (Ishikawa 2008 ratios)', () => {
    const home = computeEndpoint(endpoint({ name: 'h', measure: 'change', setting: 'home' }), tiny, SCHEDULE);
    expect(home.y[0]).toBeCloseTo(-22 * (12.2 / 15.2), 12);
    expect(Array.from(home.base)).toEqual([150, 120]); // the baseline visit is unchanged
    const abpm = computeEndpoint(endpoint({ name: 'a', variable: 'dbp', measure: 'value', day: 28, setting: 'ambulatory_24h' }), tiny, SCHEDULE);
    const r = (8.0 / 10.3) * (11.9 / 12.6);
    expect(abpm.y[0]).toBeCloseTo(90 - 5 * r, 12);
    expect(abpm.y[1]).toBeCloseTo(80 + 10 * r, 12);
    // the mean over visits uses the scaled values; a dropped-out visit stays missing
    const mean = computeEndpoint(endpoint({ name: 'm', measure: 'mean_over_visits', setting: 'home' }), tiny, SCHEDULE);
    expect(mean.y[0]).toBeCloseTo(150 + (12.2 / 15.2) * (-10 - 22) / 2, 12);
    expect(mean.y[1]).toBeCloseTo(120 + (12.2 / 15.2) * 15, 12);
    // clinic is the simulated value itself
    expect(computeEndpoint(endpoint({ name: 'c', measure: 'change', setting: 'clinic' }), tiny, SCHEDULE).y[0]).toBe(-22);
    expect(() => computeEndpoint(endpoint({ name: 'x', variable: 'ldl_c', measure: 'change', setting: 'home' }), { ...tiny, values: { ...tiny.values, ldl_c: tiny.values.sbp } }, SCHEDULE)).toThrow(/blood pressure/);
  });

  it('computes responders, events by a day and time to event from a threshold', () => {
    const below130 = { op: '<' as const, value: 130, on: 'value' as const };
    const responder = computeEndpoint(endpoint({ name: 'r', measure: 'responder', threshold: below130 }), tiny, SCHEDULE);
    expect(Array.from(responder.y)).toEqual([1, NaN]);
    const rise = { op: '>=' as const, value: 10, on: 'change' as const };
    const event = computeEndpoint(endpoint({ name: 'e', measure: 'event', threshold: rise }), tiny, SCHEDULE);
    // twin 0 never rises by 10 and completed: 0; twin 1 rose by 15 at day 28: 1
    expect(Array.from(event.y)).toEqual([0, 1]);
    const fall = { op: '<=' as const, value: -5, on: 'change' as const };
    const tte = computeEndpoint(endpoint({ name: 't', measure: 'time_to_event', threshold: fall }), tiny, SCHEDULE);
    expect(Array.from(tte.time!)).toEqual([28, 28]); // twin 0 event at day 28; twin 1 censored at its last visit
    expect(Array.from(tte.event!)).toEqual([1, 0]);
    const none = computeEndpoint(endpoint({ name: 'n', measure: 'event', threshold: fall }), tiny, SCHEDULE);
    expect(Array.from(none.y)).toEqual([1, NaN]); // twin 1 dropped out without the event: unknown
  });

  it('averages post-baseline visits and computes derived variables', () => {
    const mean = computeEndpoint(endpoint({ name: 'm', measure: 'mean_over_visits' }), tiny, SCHEDULE);
    expect(Array.from(mean.y)).toEqual([134, 135]);
    const map = computeEndpoint(endpoint({ name: 'map', variable: 'map', measure: 'value', day: 0 }), tiny, SCHEDULE);
    expect(map.y[0]).toBeCloseTo(90 + 60 / 3, 12);
  });

  it('names the endpoint when the day is not a visit or the variable is absent', () => {
    expect(() => computeEndpoint(endpoint({ name: 'bad', day: 30 }), tiny, SCHEDULE)).toThrow(/endpoint 'bad'.*day 30/);
    expect(() => computeEndpoint(endpoint({ name: 'x', variable: 'ldl_c' }), tiny, SCHEDULE)).toThrow(/ldl_c/);
  });
});

describe('TrajectoryAccumulator', () => {
  const traj = synthTrajectories(300, -8, 3);
  const slice = (from: number, to: number): Trajectories => {
    const nV = traj.visitDays.length;
    return {
      n: to - from,
      visitDays: traj.visitDays,
      values: Object.fromEntries(Object.entries(traj.values).map(([k, v]) => [k, v.slice(from * nV, to * nV)])),
      dropoutDay: traj.dropoutDay.slice(from, to),
    };
  };

  it('matches a direct mean and SD, and merges shards in any order to 1e-12', () => {
    const whole = new TrajectoryAccumulator(['sbp', 'dbp', 'map'], traj.visitDays);
    whole.add(traj);
    const cuts = [0, 17, 120, 121, 300];
    const shards = cuts.slice(0, -1).map((c, i) => {
      const acc = new TrajectoryAccumulator(['sbp', 'dbp', 'map'], traj.visitDays);
      acc.add(slice(c, cuts[i + 1]));
      return acc;
    });
    const forward = new TrajectoryAccumulator(['sbp', 'dbp', 'map'], traj.visitDays);
    shards.forEach((s) => forward.merge(s));
    const backward = new TrajectoryAccumulator(['sbp', 'dbp', 'map'], traj.visitDays);
    [...shards].reverse().forEach((s) => backward.merge(TrajectoryAccumulator.fromJSON(JSON.parse(JSON.stringify(s.toJSON())))));
    for (const variable of ['sbp', 'dbp', 'map']) {
      for (let v = 0; v < 3; v++) {
        const a = whole.cell(variable, v);
        for (const other of [forward.cell(variable, v), backward.cell(variable, v)]) {
          expect(other.n).toBe(a.n);
          expect(Math.abs(other.mean - a.mean) / Math.abs(a.mean)).toBeLessThan(1e-12);
          expect(Math.abs(other.sd - a.sd) / a.sd).toBeLessThan(1e-12);
        }
      }
    }
    // direct computation at the last visit
    const nV = 3;
    const xs: number[] = [];
    for (let t = 0; t < traj.n; t++) if (Number.isFinite(traj.values.sbp[t * nV + 2])) xs.push(traj.values.sbp[t * nV + 2]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
    const cell = whole.cell('sbp', 2);
    expect(cell.n).toBe(xs.length);
    expect(cell.mean).toBeCloseTo(mean, 10);
    expect(cell.sd).toBeCloseTo(sd, 10);
  });

  it('rejects mismatched visits and foreign JSON', () => {
    const acc = new TrajectoryAccumulator(['sbp'], [0, 84]);
    expect(() => acc.add(traj)).toThrow(/visit days/);
    expect(() => TrajectoryAccumulator.fromJSON({ kind: 'other' })).toThrow(/toJSON/);
  });
});
