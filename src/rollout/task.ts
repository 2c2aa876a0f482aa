/**
 * One shard's work, the same code in a piscina worker and in the main thread (workers = 1):
 * roll every twin of the shard out under every arm with the same keyed streams (paired
 * counterfactuals), compute each endpoint's per-twin values per arm, and accumulate the
 * observed twins' trajectories per arm.
 *
 * The simulator is loaded once per thread and cached by (engine, checkpoint, module).
 */
import { pathToFileURL } from 'node:url';
import type { Simulator, TwinBatch, Trajectories } from '../core/simulator.js';
import type { Engine, TrialSpec } from '../trial-dsl/spec.js';
import { computeEndpoint, TrajectoryAccumulator, type TwinEndpointValues } from '../analysis/endpoints.js';

/** An injected fault (tests and drills): what the worker does when it runs the shard. */
export interface TaskFault {
  readonly mode: 'throw' | 'exit' | 'delay';
  /** For 'delay': milliseconds to wait before the shard's work. */
  readonly delayMs?: number;
}

export interface ShardTask {
  readonly index: number;
  /** Twin range [start, end) in batch order. */
  readonly start: number;
  readonly end: number;
  /** The effective trial (seed and n as run). */
  readonly spec: TrialSpec;
  /** Seed of every random stream of this rollout (the trial seed, or a replicate's seed). */
  readonly seed: number;
  readonly engine: Engine;
  /** Absolute checkpoint folder for engine 'model'. */
  readonly checkpoint: string | null;
  /** An ES module (path or file URL) exporting createSimulator(): Simulator, used instead of the engine. */
  readonly simulatorModule?: string;
  readonly ids: Uint32Array;
  readonly columns: Record<string, Float64Array>;
  /** The twins' screening readings (TwinBatch.screening), when drawn on eligibility rules. */
  readonly screening?: Record<string, Float64Array>;
  readonly allocation: Uint8Array;
  /** Return every arm's full trajectories (for --trajectories). */
  readonly keepTrajectories: boolean;
  readonly attempt: number;
  readonly fault?: TaskFault;
}

/**
 * Warm a thread up: load the simulator and roll a few throw-away twins out under every arm, so
 * the engine's code is compiled before the first real shard. Never part of a result.
 */
export interface WarmTask {
  readonly kind: 'warm';
  readonly spec: TrialSpec;
  readonly seed: number;
  readonly engine: Engine;
  readonly checkpoint: string | null;
  readonly simulatorModule?: string;
  /** Folder the trial file is in (relative participant files). */
  readonly baseDir: string;
  /** Twins (default WARM_TWINS). */
  readonly twins?: number;
}

/** Throw-away twins per warm-up: enough for the JIT to compile the simulator's hot loops. */
export const WARM_TWINS = 300;

export interface ArmTrajectories {
  readonly values: Record<string, Float64Array>;
  readonly dropoutDay: Float64Array;
}

export interface ShardOutput {
  readonly index: number;
  readonly fingerprint: string;
  /** Compute backend of the simulator ('js' for the reference world, the tfjs backend for the model). */
  readonly backend: string;
  readonly visitDays: number[];
  /** endpoint name -> per arm (spec.arms order) values of every twin of the shard. */
  readonly endpoints: Record<string, TwinEndpointValues[]>;
  /** arm id -> TrajectoryAccumulator JSON of the twins allocated to that arm. */
  readonly accumulators: Record<string, unknown>;
  /** Per arm (spec.arms order), when keepTrajectories. */
  readonly trajectories?: ArmTrajectories[];
  readonly elapsedMs: number;
}

const simulators = new Map<string, Promise<Simulator>>();

type ReferenceModule = { createReferenceSimulator(): Simulator };
type ModelModule = { createModelSimulator(checkpointDir: string): Promise<Simulator> };
type PluginModule = { createSimulator(): Simulator | Promise<Simulator> };

// Specifiers held in variables: the engines are loaded only when a run needs them.
const REFERENCE_MODULE = '../population/world/index.js';
const MODEL_MODULE = '../model/index.js';
const BACKEND_MODULE = '../model/backend.js';
const DRAW_MODULE = '../population/draw.js';

async function backendOf(engine: Engine, simulatorModule?: string): Promise<string> {
  if (engine !== 'model' || simulatorModule) return 'js';
  try {
    const mod = (await import(BACKEND_MODULE)) as { backendInfo(): { backend: string; simd?: boolean } | undefined };
    const info = mod.backendInfo();
    return info ? `tfjs-${info.backend}${info.simd ? ' (simd)' : ''}` : 'tfjs';
  } catch {
    return 'tfjs';
  }
}

async function loadSimulator(engine: Engine, checkpoint: string | null, simulatorModule?: string): Promise<Simulator> {
  if (simulatorModule) {
    const url = simulatorModule.startsWith('file:') ? simulatorModule : pathToFileURL(simulatorModule).href;
    const mod = (await import(url)) as PluginModule;
    if (typeof mod.createSimulator !== 'function') throw new Error(`${simulatorModule} does not export createSimulator()`);
    return mod.createSimulator();
  }
  if (engine === 'reference') {
    const mod = (await import(REFERENCE_MODULE)) as ReferenceModule;
    return mod.createReferenceSimulator();
  }
  if (!checkpoint) throw new Error('engine "model" needs a checkpoint folder');
  const mod = (await import(MODEL_MODULE)) as ModelModule;
  return mod.createModelSimulator(checkpoint);
}

/** The thread's simulator for this engine, loaded on first use. */
export function getSimulator(engine: Engine, checkpoint: string | null, simulatorModule?: string): Promise<Simulator> {
  const key = `${engine}\u0000${checkpoint ?? ''}\u0000${simulatorModule ?? ''}`;
  let s = simulators.get(key);
  if (!s) {
    s = loadSimulator(engine, checkpoint, simulatorModule);
    simulators.set(key, s);
    s.catch(() => simulators.delete(key)); // a failed load may be retried
  }
  return s;
}

/** Variables tracked by the trajectory accumulators: every scheduled variable, then endpoint variables. */
export function trackedVariables(spec: TrialSpec): string[] {
  const out: string[] = [];
  for (const v of spec.schedule.visits) for (const x of v.variables) if (!out.includes(x)) out.push(x);
  for (const ep of spec.endpoints) if (!out.includes(ep.variable)) out.push(ep.variable);
  return out;
}

/** The trajectories of the twins whose allocation equals `arm`. */
function subsetTrajectories(traj: Trajectories, allocation: Uint8Array, arm: number): Trajectories {
  const nVisits = traj.visitDays.length;
  const keep: number[] = [];
  for (let i = 0; i < traj.n; i++) if (allocation[i] === arm) keep.push(i);
  const values: Record<string, Float64Array> = {};
  for (const [k, col] of Object.entries(traj.values)) {
    const out = new Float64Array(keep.length * nVisits);
    keep.forEach((i, j) => out.set(col.subarray(i * nVisits, (i + 1) * nVisits), j * nVisits));
    values[k] = out;
  }
  const dropoutDay = new Float64Array(keep.length);
  keep.forEach((i, j) => (dropoutDay[j] = traj.dropoutDay[i]));
  return { n: keep.length, visitDays: traj.visitDays, values, dropoutDay };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run one shard. Pure in its inputs: the same task gives the same output in any thread. */
export async function runShardTask(task: ShardTask, inWorker: boolean): Promise<ShardOutput> {
  const t0 = performance.now();
  if (task.fault) {
    if (task.fault.mode === 'delay') await sleep(task.fault.delayMs ?? 100);
    else if (task.fault.mode === 'throw') throw new Error(`injected fault (shard ${task.index}, attempt ${task.attempt + 1})`);
    else if (task.fault.mode === 'exit') {
      if (inWorker) process.exit(70); // ends this worker thread only
      throw new Error(`injected worker exit (shard ${task.index}, attempt ${task.attempt + 1}; in-process run)`);
    }
  }
  const { spec } = task;
  const sim = await getSimulator(task.engine, task.checkpoint, task.simulatorModule);
  const batch: TwinBatch = task.screening ? { ids: task.ids, columns: task.columns, screening: task.screening } : { ids: task.ids, columns: task.columns };
  const n = task.end - task.start;
  if (task.ids.length !== n) throw new Error(`shard ${task.index}: expected ${n} twins, received ${task.ids.length}`);
  const variables = trackedVariables(spec);
  const endpoints: Record<string, TwinEndpointValues[]> = {};
  for (const ep of spec.endpoints) endpoints[ep.name] = [];
  const accumulators: Record<string, unknown> = {};
  const trajectories: ArmTrajectories[] = [];
  let visitDays: number[] = spec.schedule.visits.map((v) => v.day);
  for (let a = 0; a < spec.arms.length; a++) {
    const arm = spec.arms[a];
    const traj = await sim.simulate(batch, arm, spec.schedule, { seed: task.seed });
    if (traj.n !== n) throw new Error(`shard ${task.index}: simulator returned ${traj.n} twins for arm '${arm.id}', expected ${n}`);
    visitDays = [...traj.visitDays];
    for (const ep of spec.endpoints) endpoints[ep.name].push(computeEndpoint(ep, traj, spec.schedule));
    const acc = new TrajectoryAccumulator(variables, traj.visitDays);
    acc.add(subsetTrajectories(traj, task.allocation, a));
    accumulators[arm.id] = acc.toJSON();
    if (task.keepTrajectories) {
      const values: Record<string, Float64Array> = {};
      // copies: the simulator may own (and reuse) its output buffers, and these get transferred
      for (const v of Object.keys(traj.values)) values[v] = traj.values[v].slice();
      trajectories.push({ values, dropoutDay: traj.dropoutDay.slice() });
    }
  }
  return {
    index: task.index,
    fingerprint: sim.fingerprint,
    backend: await backendOf(task.engine, task.simulatorModule),
    visitDays,
    endpoints,
    accumulators,
    trajectories: task.keepTrajectories ? trajectories : undefined,
    elapsedMs: performance.now() - t0,
  };
}

const warmed = new Set<string>();

/** Warm this thread up (see WarmTask); resolves once done, never throws. */
export async function warmUp(task: WarmTask): Promise<{ ms: number }> {
  const t0 = performance.now();
  const key = `${task.engine}\u0000${task.checkpoint ?? ''}\u0000${task.simulatorModule ?? ''}`;
  if (warmed.has(key)) return { ms: 0 };
  warmed.add(key);
  try {
    await getSimulator(task.engine, task.checkpoint, task.simulatorModule);
    if (task.spec.population.source !== 'synthetic') return { ms: performance.now() - t0 };
    const { drawTwins } = (await import(DRAW_MODULE)) as typeof import('../population/draw.js');
    const n = task.twins ?? WARM_TWINS;
    // a seed of its own: these twins are never the trial's
    const drawn = await drawTwins({ ...task.spec.population, n }, { seed: (task.seed ^ 0x5eed) >>> 0, baseDir: task.baseDir });
    const m = drawn.batch.ids.length;
    await runShardTask(
      {
        index: -1, start: 0, end: m, spec: task.spec, seed: task.seed, engine: task.engine, checkpoint: task.checkpoint,
        simulatorModule: task.simulatorModule, ids: drawn.batch.ids, columns: drawn.batch.columns as Record<string, Float64Array>,
        screening: drawn.batch.screening as Record<string, Float64Array> | undefined,
        allocation: new Uint8Array(m).map((_x, i) => i % task.spec.arms.length), keepTrajectories: false, attempt: 0,
      },
      true,
    );
  } catch {
    // best effort: a real shard reports any error of the simulator
  }
  return { ms: performance.now() - t0 };
}

/** Every ArrayBuffer of a shard output (to transfer it rather than copy it). */
export function outputBuffers(out: ShardOutput): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined): void => {
    if (a && a.buffer instanceof ArrayBuffer) seen.add(a.buffer);
  };
  for (const list of Object.values(out.endpoints)) {
    for (const v of list) {
      add(v.y);
      add(v.base);
      add(v.time);
      add(v.event);
    }
  }
  for (const t of out.trajectories ?? []) {
    for (const v of Object.values(t.values)) add(v);
    add(t.dropoutDay);
  }
  return [...seen];
}
