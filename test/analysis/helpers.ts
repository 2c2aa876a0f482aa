// Shared builders for analysis tests: a small two-arm TrialSpec and synthetic trajectories.
import { computeEndpoint, TrajectoryAccumulator } from '../../src/analysis/endpoints.js';
import type { RunMeta } from '../../src/analysis/report.js';
import type { TrialData } from '../../src/analysis/trial.js';
import type { Trajectories } from '../../src/core/simulator.js';
import { Rng, hashString } from '../../src/core/rng.js';
import type { EndpointSpec, ScheduleSpec, TrialSpec } from '../../src/trial-dsl/spec.js';

export const SCHEDULE: ScheduleSpec = {
  durationDays: 84,
  visits: [
    { label: 'baseline', day: 0, variables: ['sbp', 'dbp'] },
    { label: 'week 4', day: 28, variables: ['sbp', 'dbp'] },
    { label: 'week 12', day: 84, variables: ['sbp', 'dbp'] },
  ],
  dropout: 0.1,
};

export function endpoint(over: Partial<EndpointSpec> & Pick<EndpointSpec, 'name'>): EndpointSpec {
  return {
    variable: 'sbp',
    day: 84,
    measure: 'change',
    analysis: 'ancova',
    treatment: 'dash',
    control: 'usual',
    primary: false,
    covariates: [],
    ...over,
  };
}

export function makeSpec(endpoints: EndpointSpec[], over: Partial<TrialSpec> = {}): TrialSpec {
  return {
    version: 1,
    name: 'test trial',
    seed: 7,
    engine: 'reference',
    model: 'none',
    population: { source: 'synthetic', n: 200, sex: 'any', eligibility: [], baseline: [] },
    randomisation: { ratio: { usual: 1, dash: 1 }, strata: [], blockSize: 0 },
    schedule: SCHEDULE,
    arms: [
      { id: 'usual', label: 'Usual diet', role: 'usual_care', interventions: [] },
      { id: 'dash', label: 'DASH diet', role: 'intervention', interventions: [] },
    ],
    endpoints,
    analysis: { alpha: 0.05, replicates: 1, ci: 't', bootstrapSamples: 200 },
    source: { file: 'test.yaml', sha256: 'a'.repeat(64) },
    ...over,
  } as TrialSpec;
}

/**
 * Synthetic SBP/DBP trajectories for n twins under one arm: baseline ~ N(140, 12), a per-twin
 * response that grows linearly to `effect` (plus heterogeneity), visit noise; twins with
 * dropoutDay < visit day are NaN. Keyed by twin id so arms are paired.
 */
export function synthTrajectories(n: number, effect: number, seed = 1, dropoutShare = 0.1): Trajectories {
  const visitDays = SCHEDULE.visits.map((v) => v.day);
  const nV = visitDays.length;
  const sbp = new Float64Array(n * nV);
  const dbp = new Float64Array(n * nV);
  const dropoutDay = new Float64Array(n).fill(Infinity);
  for (let t = 0; t < n; t++) {
    const rng = new Rng(seed, t, hashString('test-traj'));
    const base = 140 + 12 * rng.normal();
    const hetero = 1 + 0.5 * rng.normal();
    if (rng.uniform() < dropoutShare) dropoutDay[t] = 40;
    for (let v = 0; v < nV; v++) {
      const day = visitDays[v];
      const value = base + (effect * hetero * day) / 84 + 6 * rng.normal();
      sbp[t * nV + v] = day > dropoutDay[t] ? NaN : value;
      dbp[t * nV + v] = day > dropoutDay[t] ? NaN : 0.6 * value + 5 * rng.normal();
    }
  }
  return { n, visitDays, values: { sbp, dbp }, dropoutDay };
}

/** A paired two-arm trial: every twin under both arms, allocation by a keyed coin, age and sex covariates. */
export function buildTrialData(spec: TrialSpec, n: number, effect: number, seed = 11): TrialData {
  const usual = synthTrajectories(n, 0, seed);
  const dash = synthTrajectories(n, effect, seed); // same twins, same streams: paired
  const allocation = new Uint8Array(n);
  for (let i = 0; i < n; i++) allocation[i] = new Rng(seed, i, hashString('alloc')).uniform() < 0.5 ? 0 : 1;
  const age = Float64Array.from({ length: n }, (_, i) => 30 + ((i * 37) % 45));
  const sex = Float64Array.from({ length: n }, (_, i) => i % 2);
  const endpoints: TrialData['endpoints'] = {};
  for (const ep of spec.endpoints) endpoints[ep.name] = [computeEndpoint(ep, usual, SCHEDULE), computeEndpoint(ep, dash, SCHEDULE)];
  const trajectories: Record<string, unknown> = {};
  [usual, dash].forEach((traj, a) => {
    const acc = new TrajectoryAccumulator(['sbp', 'dbp'], traj.visitDays);
    const nV = traj.visitDays.length;
    const mask = (arr: Float64Array): Float64Array => arr.map((x, k) => (allocation[Math.floor(k / nV)] === a ? x : NaN));
    acc.add({ ...traj, values: { sbp: mask(traj.values.sbp), dbp: mask(traj.values.dbp) } });
    trajectories[spec.arms[a].id] = acc.toJSON();
  });
  return { spec, allocation, covariates: { age, sex }, endpoints, trajectories };
}

export const META: RunMeta = {
  seed: 7,
  engine: 'reference',
  simulatorFingerprint: 'reference-0.1.0',
  backend: 'cpu',
  trialFile: 'test.yaml',
  trialSha256: 'a'.repeat(64),
  startedAt: '2026-01-01T00:00:00.000Z',
  wallSeconds: 1.5,
  workers: 2,
};

