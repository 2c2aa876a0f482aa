/**
 * The report: one JSON object holding everything a run produced, validated by
 * schema/report.schema.json. Non-finite numbers (NaN, Infinity) become null, so the JSON is
 * valid and a missing figure is visibly missing.
 */
import { createRequire } from 'node:module';
import { ENGINE_VERSION } from '../core/version.js';
import { WORLD_VERSION } from '../population/world/version.js';
import type { ReplicateSummary } from './replicates.js';
import type { EndpointAnalysis, TrialAnalysis, TrajectorySeries } from './trial.js';

export const REPORT_FORMAT = 'vtrial.report/1';

export interface RunMeta {
  seed: number;
  engine: string;
  simulatorFingerprint: string;
  backend: string;
  trialFile: string;
  trialSha256: string;
  startedAt: string;
  wallSeconds: number;
  workers: number;
  /** How the population was drawn: candidates drawn, method, warnings (imputed values, exclusions). */
  population?: { draws: number; method: string; warnings: readonly string[] };
  replicates?: ReplicateSummary;
}

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly trial: TrialAnalysis['trial'];
  readonly run: {
    readonly seed: number;
    readonly engine: string;
    /** Simulator build: model checkpoint hash or reference-world version. */
    readonly modelHash: string;
    readonly backend: string;
    readonly versions: { readonly vtrial: string; readonly node: string; readonly tfjs?: string; readonly world?: number };
    readonly trialFile: string;
    readonly trialSha256: string;
    readonly startedAt: string;
    readonly wallSeconds: number;
    readonly workers: number;
  };
  /** How the twins were drawn (synthetic) or read (file): draws, method, warnings. */
  readonly population?: { readonly draws: number; readonly method: string; readonly warnings: readonly string[] };
  readonly alpha: number;
  readonly arms: TrialAnalysis['arms'];
  /** Numbers that were not finite are null. */
  readonly endpoints: EndpointAnalysis[];
  readonly trajectories: TrajectorySeries[];
  readonly replicates?: ReplicateSummary;
  readonly notes: string[];
}

function tfjsVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('@tensorflow/tfjs/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Replace non-finite numbers by null, recursively (typed arrays become plain arrays). */
export function jsonSafe<T>(x: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (n) => (Number.isFinite(n) ? n : null));
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = walk(val);
      return out;
    }
    return v;
  };
  return walk(x) as T;
}

/** Assemble the report from one trial's analysis and the run's metadata. */
export function buildReport(analysis: TrialAnalysis, meta: RunMeta): Report {
  const tfjs = tfjsVersion();
  const notes = [...analysis.notes];
  if (meta.replicates) {
    notes.push(
      `Replicates: the trial was repeated ${meta.replicates.replicates} times with fresh twins; power is the share significant at alpha = ${meta.replicates.alpha}, with its Monte Carlo SE.`,
    );
  }
  const report: Report = {
    format: REPORT_FORMAT,
    trial: analysis.trial,
    run: {
      seed: meta.seed,
      engine: meta.engine,
      modelHash: meta.simulatorFingerprint,
      backend: meta.backend,
      versions: { vtrial: ENGINE_VERSION, node: process.version, ...(tfjs ? { tfjs } : {}), world: WORLD_VERSION },
      trialFile: meta.trialFile,
      trialSha256: meta.trialSha256,
      startedAt: meta.startedAt,
      wallSeconds: meta.wallSeconds,
      workers: meta.workers,
    },
    ...(meta.population ? { population: { draws: meta.population.draws, method: meta.population.method, warnings: [...meta.population.warnings] } } : {}),
    alpha: analysis.alpha,
    arms: analysis.arms,
    endpoints: analysis.endpoints,
    trajectories: analysis.trajectories,
    ...(meta.replicates ? { replicates: meta.replicates } : {}),
    notes,
  };
  return jsonSafe(report);
}
