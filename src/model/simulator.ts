/**
 * The model engine: a Simulator backed by a trained checkpoint.
 *
 * For each twin: a baseline token built from the TwinBatch columns (each value measured once
 * with the catalog's noise model, as the baseline visit of the training data was), the arm's
 * exposure schedule (armExposureEvents, the same codes the training cohort used), then
 * autoregressive sampling of every modelled variable at each scheduled visit, batched over
 * twins with the key/value cache. A checkpoint with version-8 tokens also reads the screening
 * readings of twins drawn on eligibility rules (TwinBatch.screening) as a visit before baseline.
 * Draws come from new Rng(seed, twinId, Purpose.model) and dropout from new Rng(seed, twinId,
 * Purpose.dropout): arms are paired and batching does not change results.
 */
import { InputError } from '../core/errors.js';
import { Purpose, Rng } from '../core/rng.js';
import type { SimulationContext, Simulator, Trajectories, TwinBatch } from '../core/simulator.js';
import { findDerived, findVariable, measurementSd, resolveColumn } from '../population/catalog.js';
import type { ArmSpec, ScheduleSpec } from '../trial-dsl/spec.js';
import { initBackend } from './backend.js';
import { adherenceTarget, byDayStopsFirst, isExposureCode, exposureStart, SCREENING_DAY, type AdherencePoint, type ExposurePoint, type ExposureTimeline } from './tokenizer.js';
import { loadRolloutModel, type RolloutModel } from './ensemble.js';

export interface ExposureEvent {
  readonly day: number;
  readonly code: string;
  readonly value: number;
}

export type ArmExposureFn = (arm: ArmSpec, durationDays: number) => ExposureEvent[];

/** Twins per tensor batch in a rollout (bounds memory; results do not depend on it). */
export const ROLLOUT_CHUNK = 4096;

// held in a variable so the reference world's module loads only when the model engine runs
const EXPOSURES_MODULE = '../population/exposures.js';

async function defaultExposureFn(): Promise<ArmExposureFn> {
  const mod = (await import(EXPOSURES_MODULE)) as { armExposureEvents?: ArmExposureFn };
  if (typeof mod.armExposureEvents !== 'function') throw new Error('population/exposures does not export armExposureEvents');
  return mod.armExposureEvents;
}

/** PLACEBO//<what it mimics>: the exposure code of a placebo intervention. */
export function isPlaceboCode(code: string): boolean {
  return code.toUpperCase().startsWith('PLACEBO//');
}

/** Exposure events -> timeline, rejecting codes the model never saw in training. */
export function exposureTimeline(model: Pick<RolloutModel, 'tokenizer' | 'dir'>, events: readonly ExposureEvent[], armId: string): ExposureTimeline {
  const known = new Set(model.tokenizer.exposures.map((e) => e.code));
  const byCode = new Map<string, ExposurePoint[]>();
  const unknown = new Set<string>();
  const adherence = new Map<string, AdherencePoint[]>();
  for (const e of events) {
    const target = adherenceTarget(e.code);
    if (target !== undefined) {
      let a = adherence.get(target);
      if (!a) adherence.set(target, (a = []));
      a.push({ day: e.day, value: e.value });
      continue;
    }
    if (!isExposureCode(e.code)) throw new Error(`arm '${armId}': exposure code '${e.code}' lacks a CATEGORY// prefix`);
    const { code, stop } = exposureStart(e.code);
    if (!known.has(code)) {
      // A placebo is inert by construction (no pharmacological or behavioural exposure). When the
      // training cohort had no placebo codes, the model cannot have learned anything about them,
      // and treating them as absent is the only consistent reading. Any other unseen code is an error.
      if (!stop && !isPlaceboCode(code)) unknown.add(code);
      continue;
    }
    let a = byCode.get(code);
    if (!a) byCode.set(code, (a = []));
    a.push(stop ? { day: e.day, level: 0, active: false } : { day: e.day, level: e.value, active: true });
  }
  if (unknown.size) {
    throw new InputError(`arm '${armId}': the model checkpoint was not trained on exposure(s) ${[...unknown].join(', ')}`, [
      `  checkpoint: ${model.dir || '(in memory)'}`,
      `  exposures it knows: ${[...known].slice(0, 30).join(', ')}${known.size > 30 ? ', ...' : ''}`,
      '  run this trial with `engine: reference`, or train a model on a cohort that includes these exposures',
    ]);
  }
  for (const a of byCode.values()) a.sort(byDayStopsFirst);
  for (const a of adherence.values()) a.sort((x, y) => x.day - y.day);
  return { byCode, adherence };
}

/**
 * Constant-hazard dropout reaching probability p by the end of the trial; Infinity = completed.
 * The same draw as the reference world's (one exponential from the twin's Purpose.dropout
 * stream), so both engines drop the same twins on the same days.
 */
export function dropoutDay(rng: Rng, p: number, durationDays: number): number {
  if (!(p > 0)) return Infinity;
  if (p >= 1) return 0;
  const d = rng.exponential(-Math.log(1 - p) / durationDays);
  return d > durationDays ? Infinity : d;
}

/** The model simulator over a loaded TwinModel or TwinEnsemble (src/model/ensemble.ts). */
export class ModelSimulator implements Simulator {
  readonly engine = 'model' as const;
  readonly fingerprint: string;

  /** exposureFn: maps an arm to exposure events; defaults to the reference world's armExposureEvents. */
  constructor(readonly model: RolloutModel, private exposureFn?: ArmExposureFn) {
    this.fingerprint = model.hash;
  }

  private async armEvents(arm: ArmSpec, duration: number): Promise<ExposureEvent[]> {
    const f = this.exposureFn ?? (this.exposureFn = await defaultExposureFn());
    return f(arm, duration);
  }

  async simulate(batch: TwinBatch, arm: ArmSpec, schedule: ScheduleSpec, ctx: SimulationContext): Promise<Trajectories> {
    const spec = this.model.tokenizer;
    const n = batch.ids.length;
    const visitDays = schedule.visits.map((v) => v.day);
    const nv = visitDays.length;
    if (nv === 0) throw new InputError('trial schedule has no visits');
    if (visitDays[0] !== 0) throw new InputError(`trial schedule: the first visit must be day 0 (baseline). Received: day ${visitDays[0]}`);
    const mIndex = new Map(spec.measured.map((v, i) => [v.id, i] as const));
    const sIndex = new Map(spec.statics.map((v, i) => [v.id, i] as const));

    // scheduled variables: modelled ones are sampled; fixed attributes are carried from the batch
    // derived endpoints (non_hdl_c, map, ...) expand to their inputs, as in the reference world
    const visitVars = schedule.visits.map((v) => {
      const out = new Set<string>();
      for (const x of v.variables) {
        const d = findDerived(x);
        if (d) d.inputs.forEach((y) => out.add(y)); else out.add(x);
      }
      return [...out];
    });
    const scheduled: string[] = [];
    for (const vs of visitVars) for (const x of vs) if (!scheduled.includes(x)) scheduled.push(x);
    const unknownVars = scheduled.filter((x) => !mIndex.has(x) && !sIndex.has(x) && !batch.columns[x]);
    if (unknownVars.length) {
      throw new InputError(`the model checkpoint does not model variable(s) ${unknownVars.join(', ')}`, [
        `  checkpoint: ${this.model.dir || '(in memory)'}`,
        `  it models: ${spec.measured.map((m) => m.id).join(', ')}`,
        '  measure other variables, run with `engine: reference`, or train a model on a cohort that has them',
      ]);
    }

    // which modelled variables each visit measures: only those enter the history as observations
    const measured = visitVars.map((vs) => {
      const m = new Uint8Array(spec.measured.length);
      for (const x of vs) { const k = mIndex.get(x); if (k !== undefined) m[k] = 1; }
      return m;
    });
    const timeline = exposureTimeline(this.model, await this.armEvents(arm, schedule.durationDays), arm.id);
    // version-8 tokens: the screening readings the twins were selected on enter as a visit before
    // baseline (SCREENING_DAY), as the training supplements record them
    const screenCols = spec.version >= 8 && batch.screening
      ? spec.measured.map((m) => batch.screening![m.id] ?? null)
      : [];
    const screened = screenCols.some((c) => c !== null);
    const values: Record<string, Float64Array> = {};
    for (const x of scheduled) values[x] = new Float64Array(n * nv).fill(NaN);
    const drop = new Float64Array(n);

    for (let c0 = 0; c0 < n; c0 += ROLLOUT_CHUNK) {
      const c1 = Math.min(n, c0 + ROLLOUT_CHUNK);
      const statics: Float64Array[] = [];
      const initial: Float64Array[] = [];
      const rngs: Rng[] = [];
      for (let i = c0; i < c1; i++) {
        const id = batch.ids[i]!;
        const rng = new Rng(ctx.seed, id, Purpose.model);
        const st = new Float64Array(spec.statics.length).fill(NaN);
        spec.statics.forEach((s, k) => { const col = batch.columns[s.id]; if (col) st[k] = col[i]!; });
        const init = new Float64Array(spec.measured.length).fill(NaN);
        spec.measured.forEach((m, k) => {
          const z = rng.normal(); // drawn for every variable so the stream does not depend on which columns exist
          const col = batch.columns[m.id] ?? batch.columns[resolveColumn(m.id) ?? m.id];
          if (!col || !Number.isFinite(col[i]!)) return;
          const truth = col[i]!;
          const def = findVariable(m.id);
          let x: number;
          if (m.noiseCvPct !== undefined && m.noiseCvPct > 0) {
            const cv = m.noiseCvPct / 100;
            x = truth * Math.exp(cv * z - 0.5 * cv * cv);
          } else {
            x = truth + (m.noiseSd ?? (def ? measurementSd(def, truth) : 0)) * z;
          }
          init[k] = Math.min(Math.max(x, m.plausible[0]), m.plausible[1]);
        });
        statics.push(st);
        initial.push(init);
        rngs.push(rng);
        drop[i] = dropoutDay(new Rng(ctx.seed, id, Purpose.dropout), arm.dropout ?? schedule.dropout, schedule.durationDays);
      }
      let prior: { day: number; values: Float64Array[] }[] | undefined;
      if (screened) {
        const panels: Float64Array[] = [];
        for (let i = c0; i < c1; i++) {
          panels.push(Float64Array.from(spec.measured, (m, k) => {
            const x = screenCols[k]?.[i];
            return x === undefined || !Number.isFinite(x) ? NaN : Math.min(Math.max(x, m.plausible[0]), m.plausible[1]);
          }));
        }
        prior = [{ day: SCREENING_DAY, values: panels }];
      }
      const traj = this.model.rollout({ statics, initial, visitDays, exposures: timeline, rngs, measured, prior });
      for (let i = c0; i < c1; i++) {
        const li = i - c0;
        schedule.visits.forEach((visit, vi) => {
          if (vi > 0 && visit.day > drop[i]!) return;
          for (const x of visitVars[vi]!) {
            const k = mIndex.get(x);
            let val: number;
            if (k !== undefined) val = traj[k]![li * nv + vi]!;
            else {
              const col = batch.columns[x];
              val = col ? col[i]! : NaN;
            }
            values[x]![i * nv + vi] = val;
          }
        });
      }
    }
    return { n, visitDays, values, dropoutDay: drop };
  }
}

/**
 * Load a checkpoint (or a checkpoint ensemble, src/model/ensemble.ts) as the `model` engine. Activates the best available tfjs backend through
 * initBackend() (a no-op when the CLI or worker already chose one).
 */
export async function createModelSimulator(checkpointDir: string, opts: { exposureFn?: ArmExposureFn } = {}): Promise<Simulator> {
  await initBackend();
  const model = await loadRolloutModel(checkpointDir);
  return new ModelSimulator(model, opts.exposureFn);
}
