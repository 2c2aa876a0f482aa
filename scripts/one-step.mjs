// Shared by the diagnostics that ask whether a checkpoint's shortfall is in its one-step dynamics
// or in the history it conditions on (scripts/stop-diagnostic.mjs, scripts/diet-course.mjs).
import { exposureTimeline } from '../dist/model/simulator.js';
import { armExposureEvents } from '../dist/population/exposures.js';
import { Rng } from '../dist/core/rng.js';

/**
 * From the reference world's TRUE state at visit day `from` (no earlier history), the model's
 * prediction of `variable` one visit ahead, next to the world's: mean change over the `n` twins
 * of `batch` (each the mean of `M` draws), from the world trajectory `traj` simulated on `days`.
 * The arm's exposure timeline (exposure events up to day `end`, keyed `armName`) is shifted so
 * that day `from` becomes the rollout's day 0; the rollout measures the variables `measuredIds`.
 */
export function oneStepFromWorld(model, { batch, traj, days, from, arm, armName, end, measuredIds, variable, n, M }) {
  const spec = model.tokenizer;
  const nv = days.length, vi = days.indexOf(from);
  const k = spec.measured.findIndex((m) => m.id === variable);
  const tl0 = exposureTimeline(model, armExposureEvents(arm, end), armName);
  const shift = (m) => m && new Map([...m].map(([c, pts]) => [c, pts.map((p) => ({ ...p, day: p.day - from }))]));
  const timeline = { ...tl0, byCode: shift(tl0.byCode), adherence: shift(tl0.adherence) };
  const statics = [], initial = [], rngs = [];
  for (let i = 0; i < n; i++) {
    const st = Float64Array.from(spec.statics, (s) => (batch.columns[s.id] ? batch.columns[s.id][i] : NaN));
    const init = Float64Array.from(spec.measured, (m) => (traj.values[m.id] ? traj.values[m.id][i * nv + vi] : NaN));
    for (let j = 0; j < M; j++) { statics.push(st); initial.push(init); rngs.push(new Rng(5, i * M + j, 6)); }
  }
  const vd = days.slice(vi).map((d) => d - from);
  const measured = vd.map(() => Uint8Array.from(spec.measured, (m) => (measuredIds.includes(m.id) ? 1 : 0)));
  const sims = model.rollout({ statics, initial, visitDays: vd, exposures: timeline, rngs, measured });
  const y = traj.values[variable];
  let sm = 0, sw = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < M; j++) s += sims[k][(i * M + j) * vd.length + 1] - y[i * nv + vi];
    sm += s / M;
    sw += y[i * nv + vi + 1] - y[i * nv + vi];
  }
  return { model: sm / n, world: sw / n };
}
