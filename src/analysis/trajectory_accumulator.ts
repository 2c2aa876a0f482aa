import type { Trajectories } from '../core/simulator.js';
import { variableValues } from './variable_values.js';

/**
 * Online per-variable, per-visit mean, SD and count of trajectories (one arm's twins), built
 * shard by shard in workers and merged in the main process: Welford's update within a shard
 * and Chan et al.'s pairwise combination across shards, so the merged result does not depend
 * on shard order beyond floating-point rounding (~1e-12 relative).
 *
 * Welford BP. Technometrics 1962;4:419-20 doi:10.1080/00401706.1962.10490022
 * Chan TF, Golub GH, LeVeque RJ. Am Stat 1983;37:242-7 doi:10.1080/00031305.1983.10483115
 */
export interface TrajectoryCell {
  readonly n: number;
  readonly mean: number;
  /** Sample SD (n - 1); NaN when n < 2. */
  readonly sd: number;
}

interface AccumulatorJson {
  readonly kind: 'vtrial.trajectory-accumulator';
  readonly variables: string[];
  readonly visitDays: number[];
  readonly n: number[];
  readonly mean: number[];
  readonly m2: number[];
}

export class TrajectoryAccumulator {
  readonly variables: readonly string[];
  readonly visitDays: readonly number[];
  /** [variable * nVisits + visit] */
  private readonly count: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(variables: readonly string[], visitDays: readonly number[]) {
    this.variables = [...variables];
    this.visitDays = [...visitDays];
    const size = variables.length * visitDays.length;
    this.count = new Float64Array(size);
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }

  /** Add every twin of a trajectory batch (missing values are skipped). */
  add(traj: Trajectories): void {
    const nVisits = this.visitDays.length;
    if (traj.visitDays.length !== nVisits || traj.visitDays.some((d, i) => d !== this.visitDays[i])) {
      throw new Error(`TrajectoryAccumulator.add requires visit days [${this.visitDays.join(', ')}], received [${traj.visitDays.join(', ')}]`);
    }
    this.variables.forEach((variable, v) => {
      const values = variableValues(traj, variable);
      for (let twin = 0; twin < traj.n; twin++) {
        for (let visit = 0; visit < nVisits; visit++) {
          const x = values[twin * nVisits + visit];
          if (!Number.isFinite(x)) continue;
          const cell = v * nVisits + visit;
          const n = ++this.count[cell];
          const delta = x - this.mean[cell];
          this.mean[cell] += delta / n;
          this.m2[cell] += delta * (x - this.mean[cell]);
        }
      }
    });
  }

  /** Combine another accumulator over the same variables and visits into this one. */
  merge(other: TrajectoryAccumulator): void {
    if (other.variables.join('\u0000') !== this.variables.join('\u0000') || other.visitDays.join(',') !== this.visitDays.join(',')) {
      throw new Error('TrajectoryAccumulator.merge requires the same variables and visit days');
    }
    for (let cell = 0; cell < this.count.length; cell++) {
      const nb = other.count[cell];
      if (nb === 0) continue;
      const na = this.count[cell];
      const n = na + nb;
      const delta = other.mean[cell] - this.mean[cell];
      // weighted mean written symmetrically so merge(a, b) and merge(b, a) agree
      this.mean[cell] = (na * this.mean[cell] + nb * other.mean[cell]) / n;
      this.m2[cell] = this.m2[cell] + other.m2[cell] + (delta * delta * na * nb) / n;
      this.count[cell] = n;
    }
  }

  /** Summary of one variable at one visit. */
  cell(variable: string, visit: number): TrajectoryCell {
    const v = this.variables.indexOf(variable);
    if (v < 0) throw new Error(`TrajectoryAccumulator has no variable '${variable}'`);
    const k = v * this.visitDays.length + visit;
    const n = this.count[k];
    return { n, mean: n > 0 ? this.mean[k] : NaN, sd: n > 1 ? Math.sqrt(this.m2[k] / (n - 1)) : NaN };
  }

  toJSON(): AccumulatorJson {
    return {
      kind: 'vtrial.trajectory-accumulator',
      variables: [...this.variables],
      visitDays: [...this.visitDays],
      n: Array.from(this.count),
      mean: Array.from(this.mean),
      m2: Array.from(this.m2),
    };
  }

  static fromJSON(x: unknown): TrajectoryAccumulator {
    const j = x as Partial<AccumulatorJson> | null;
    if (!j || j.kind !== 'vtrial.trajectory-accumulator' || !Array.isArray(j.variables) || !Array.isArray(j.visitDays)) {
      throw new Error('TrajectoryAccumulator.fromJSON requires an object written by TrajectoryAccumulator.toJSON');
    }
    const acc = new TrajectoryAccumulator(j.variables, j.visitDays);
    const size = acc.count.length;
    if (j.n?.length !== size || j.mean?.length !== size || j.m2?.length !== size) {
      throw new Error(`TrajectoryAccumulator.fromJSON requires arrays of length ${size}`);
    }
    acc.count.set(j.n);
    acc.mean.set(j.mean);
    acc.m2.set(j.m2);
    return acc;
  }
}
