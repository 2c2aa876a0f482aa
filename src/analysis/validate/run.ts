/**
 * Run a folder of validation trial files (each with a `published:` block) through the same path
 * as `vtrial run` (runTrial, then analyseTrial) and score the predictions against the published
 * effects. The folder is always an argument: nothing here names a particular suite.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { InputError } from '../../core/errors.js';
import { loadTrial } from '../../trial-dsl/index.js';
import type { Engine, TrialSpec } from '../../trial-dsl/spec.js';
import { analyseTrial, type TrialData } from '../trial.js';
import { scoreComparison, summarise, type ComparisonInput, type ComparisonScore, type ValidationSummary } from './score.js';
import { THRESHOLDS_FILE } from './thresholds.js';
import { WORLD_VERSION } from '../../population/world/version.js';

export const VALIDATION_FORMAT = 'vtrial.validation/1';

export interface ValidationComparison extends ComparisonScore {
  readonly file: string;
  readonly endpoint: string | null;
  readonly effect_kind: string | null;
  readonly citation: string | null;
  readonly doi: string | null;
  readonly pmid: string | null;
  /** Twins randomised in the simulated trial. */
  readonly twins: number | null;
  readonly wall_ms: number | null;
  /** Fingerprint of the simulator that ran it (checkpoint hash, or reference@<version>+world.<N>); null when not run. */
  readonly simulator: string | null;
}

export interface ValidationReport {
  readonly format: typeof VALIDATION_FORMAT;
  readonly folder: string;
  readonly engine: Engine;
  readonly comparisons: ValidationComparison[];
  readonly summary: ValidationSummary;
  /** The distinct simulator fingerprints of the comparisons that ran (one, unless the engine changed mid-run). */
  readonly simulators: string[];
  /** Reference world version of this build (docs/reference-world.md "World versions"). */
  readonly world: number;
}

export type TrialRunner = (spec: TrialSpec, opts: { engine: Engine; workers?: number }) => Promise<TrialData>;

export interface ValidateOptions {
  readonly engine?: Engine;
  readonly workers?: number;
  /** How each trial is simulated; default: runTrial from the rollout (the `vtrial run` path). */
  readonly runner?: TrialRunner;
  /** Called before each comparison starts and after it ends. */
  readonly progress?: (e: { index: number; total: number; id: string; done: boolean; wallMs?: number; failure?: string }) => void;
}

/** The trial files of a validation folder: *.yaml / *.yml except thresholds.yaml, sorted by name. */
export async function listValidationFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${dir}: no such folder`, ['expected a folder of trial files with published: blocks, e.g. validation/<suite>']);
    if (code === 'ENOTDIR') throw new InputError(`${dir}: not a folder`, ['pass the folder that holds the trial files, not one file']);
    throw e;
  }
  const files = names.filter((n) => /\.ya?ml$/i.test(n) && n !== THRESHOLDS_FILE).sort();
  if (files.length === 0) throw new InputError(`${dir}: no trial files (*.yaml) found`);
  return files.map((n) => join(dir, n));
}

interface RawPublished {
  endpoint?: string;
  estimate: number;
  ci95: [number, number];
  effect_kind?: string;
  unit?: string;
  citation?: string;
  doi?: string;
  pmid?: string | number;
}

/**
 * The published block straight from the YAML, for a file that does not pass the checker: the
 * comparison is then scored as a miss instead of disappearing from the denominator.
 */
async function rawPublished(file: string): Promise<{ published: RawPublished; overlap: boolean | null } | null> {
  try {
    const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown> | null;
    const p = doc?.published as Record<string, unknown> | undefined;
    if (!p || typeof p.estimate !== 'number' || !Array.isArray(p.ci95) || p.ci95.length !== 2 || !p.ci95.every((x) => typeof x === 'number')) return null;
    const overlap = typeof doc?.calibration_overlap === 'boolean' ? (doc.calibration_overlap as boolean) : null;
    return { published: p as unknown as RawPublished, overlap };
  } catch {
    return null;
  }
}

function idOf(file: string): string {
  return basename(file).replace(/\.ya?ml$/i, '');
}

async function defaultRunner(spec: TrialSpec, opts: { engine: Engine; workers?: number }): Promise<TrialData> {
  const { runTrial } = await import('../../rollout/run.js');
  return runTrial(spec, { engine: opts.engine, workers: opts.workers });
}

/** Load, run, analyse and score one validation trial file. */
export async function validateFile(file: string, opts: ValidateOptions = {}): Promise<ValidationComparison> {
  const engine = opts.engine ?? 'model';
  const id = idOf(file);
  let spec: TrialSpec;
  try {
    spec = await loadTrial(file);
  } catch (e) {
    const raw = await rawPublished(file);
    const detail = e instanceof InputError ? [e.message, ...e.details].join('; ') : (e as Error).message;
    if (!raw) throw new InputError(`${file}: cannot be scored: no readable published block (estimate, ci95)`, [detail]);
    const p = raw.published;
    return finish(file, { id, published: { estimate: p.estimate, ci95: p.ci95 }, predicted: null, calibrationOverlap: raw.overlap, unit: p.unit, failure: `trial file does not check: ${detail}` }, {
      endpoint: p.endpoint ?? null, effect_kind: p.effect_kind ?? null, citation: p.citation ?? null, doi: p.doi ?? null, pmid: p.pmid === undefined ? null : String(p.pmid), twins: null, wall_ms: null, simulator: null,
    });
  }
  const pub = spec.published;
  if (!pub) throw new InputError(`${file}: no published: block`, ['every file in a validation folder mirrors a published result: add published: {endpoint, estimate, ci95, effect_kind, unit, citation}']);
  const meta = { endpoint: pub.endpoint, effect_kind: pub.effectKind, citation: pub.citation, doi: pub.doi ?? null, pmid: pub.pmid ?? null, twins: spec.population.n };
  const input = { id, name: spec.name, published: { estimate: pub.estimate, ci95: pub.ci95 }, calibrationOverlap: spec.calibrationOverlap ?? null, unit: pub.unit };
  const t0 = Date.now();
  try {
    const data = await (opts.runner ?? defaultRunner)(spec, { engine, workers: opts.workers });
    const { runInfoOf } = await import('../../rollout/run.js');
    const simulator = runInfoOf(data)?.fingerprint || null;
    const analysis = analyseTrial(data, { individual: false });
    const ep = analysis.endpoints.find((e) => e.name === pub.endpoint);
    if (!ep) throw new Error(`endpoint '${pub.endpoint}' named in published.endpoint was not analysed`);
    if (ep.error) throw new Error(`endpoint '${pub.endpoint}': ${ep.error}`);
    return finish(file, { ...input, predicted: { estimate: ep.estimate, mc95: [ep.ci95[0], ep.ci95[1]] } }, { ...meta, wall_ms: Date.now() - t0, simulator });
  } catch (e) {
    if (e instanceof InputError) throw e;
    return finish(file, { ...input, predicted: null, failure: `run failed: ${(e as Error).message}` }, { ...meta, wall_ms: Date.now() - t0, simulator: null });
  }
}

function finish(
  file: string,
  input: ComparisonInput,
  meta: Pick<ValidationComparison, 'endpoint' | 'effect_kind' | 'citation' | 'doi' | 'pmid' | 'twins' | 'wall_ms' | 'simulator'>,
): ValidationComparison {
  return { ...scoreComparison(input), file, ...meta };
}

/** Validate every trial file in a folder, in name order, one after another. */
export async function runValidation(dir: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const files = await listValidationFiles(dir);
  const comparisons: ValidationComparison[] = [];
  for (const [index, file] of files.entries()) {
    const id = idOf(file);
    opts.progress?.({ index, total: files.length, id, done: false });
    const c = await validateFile(file, opts);
    comparisons.push(c);
    opts.progress?.({ index, total: files.length, id, done: true, wallMs: c.wall_ms ?? undefined, failure: c.failure });
  }
  const simulators = [...new Set(comparisons.map((c) => c.simulator).filter((x): x is string => !!x))].sort();
  return { format: VALIDATION_FORMAT, folder: dir, engine: opts.engine ?? 'model', comparisons, summary: summarise(comparisons), simulators, world: WORLD_VERSION };
}
