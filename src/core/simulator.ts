/**
 * The Simulator contract shared by the reference world (src/population/world) and the
 * transformer (src/model): baseline of each twin + the arm's exposure schedule + the visit
 * schedule + keyed random streams -> measured trajectories.
 *
 * Data is columnar and vectorised over twins: one Float64Array per variable. Sex is coded
 * 0 = male, 1 = female; flags are 0/1; a missing value (not scheduled, or after dropout) is NaN.
 */
import type { ArmSpec, ScheduleSpec } from '../trial-dsl/spec.js';

/** A batch of twins' baselines (true, noise-free latent values where the generator knows them). */
export interface TwinBatch {
  /** Stable twin ids: keys of every random stream (seed, twinId, purpose). */
  readonly ids: Uint32Array;
  /** Catalog variable id -> value per twin. Must include age and sex. */
  readonly columns: Readonly<Record<string, Float64Array>>;
  /**
   * Synthetic twins drawn on eligibility rules: the values each twin showed at the screening
   * visit (true value + measurement noise, the readings the rules were checked on), for the
   * measured variables the rules name; NaN where not measured. Absent for twins read from a
   * file. The reference world does not need them (it keeps the true values); a model checkpoint
   * with version-8 tokens reads them as a visit before baseline (src/model/simulator.ts).
   */
  readonly screening?: Readonly<Record<string, Float64Array>>;
}

export interface SimulationContext {
  /** Trial seed: first part of every stream key. */
  readonly seed: number;
}

/** Measured values at each visit: values[variable][twin * nVisits + visit]. */
export interface Trajectories {
  readonly n: number;
  readonly visitDays: readonly number[];
  readonly values: Readonly<Record<string, Float64Array>>;
  /** Day each twin dropped out (Infinity if completed). Visits after it are NaN. */
  readonly dropoutDay: Float64Array;
}

export interface Simulator {
  readonly engine: 'reference' | 'model';
  /** Identifies the simulator build for reports: engine version or checkpoint hash. */
  readonly fingerprint: string;
  /**
   * Roll out every twin in the batch under one arm. Called once per arm with the same batch and
   * context: all random draws must be keyed by (seed, twin id, purpose) and never by call order,
   * so the arms are paired counterfactuals and results do not depend on batching.
   */
  simulate(batch: TwinBatch, arm: ArmSpec, schedule: ScheduleSpec, ctx: SimulationContext): Promise<Trajectories>;
}

export const SEX_MALE = 0;
export const SEX_FEMALE = 1;

export function batchSize(b: TwinBatch): number {
  return b.ids.length;
}
