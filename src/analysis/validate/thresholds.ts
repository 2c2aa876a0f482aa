/**
 * Floors for a validation folder: `thresholds.yaml` beside the trial files, per engine,
 *
 *   model:
 *     direction: all      # every comparison whose direction is scored, or a count
 *     inside_ci: 31       # comparisons whose prediction lies inside the published CI
 *
 * `vtrial validate` exits 1 when a count falls below its floor. An engine with no entry has no
 * floors (the run is reported, not gated).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { InputError } from '../../core/errors.js';
import type { Engine } from '../../trial-dsl/spec.js';
import type { ValidationSummary } from './score.js';

export const THRESHOLDS_FILE = 'thresholds.yaml';

export interface Floors {
  /** Minimum correct directions among the scored comparisons; 'all' = every scored one. */
  readonly direction?: number | 'all';
  /** Minimum comparisons with the prediction inside the published CI. */
  readonly inside_ci?: number;
}

export type Thresholds = Partial<Record<Engine, Floors>>;

const ENGINES: readonly Engine[] = ['model', 'reference'];

export function parseThresholds(text: string, file: string): Thresholds {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`${file}: expected a map of engine -> floors (e.g. "model: {direction: all, inside_ci: 31}")`);
  const out: Thresholds = {};
  for (const [engine, floors] of Object.entries(doc as Record<string, unknown>)) {
    if (!ENGINES.includes(engine as Engine)) throw new InputError(`${file}: unknown engine '${engine}' (expected one of ${ENGINES.join(', ')})`);
    if (floors === null || typeof floors !== 'object' || Array.isArray(floors)) throw new InputError(`${file}: ${engine}: expected a map with direction and/or inside_ci`);
    const f: { direction?: number | 'all'; inside_ci?: number } = {};
    for (const [k, v] of Object.entries(floors as Record<string, unknown>)) {
      if (k === 'direction') {
        if (v === 'all' || (Number.isInteger(v) && (v as number) >= 0)) f.direction = v as number | 'all';
        else throw new InputError(`${file}: ${engine}.direction: expected 'all' or a whole number >= 0, found ${JSON.stringify(v)}`);
      } else if (k === 'inside_ci') {
        if (Number.isInteger(v) && (v as number) >= 0) f.inside_ci = v as number;
        else throw new InputError(`${file}: ${engine}.inside_ci: expected a whole number >= 0, found ${JSON.stringify(v)}`);
      } else {
        throw new InputError(`${file}: ${engine}: unknown key '${k}' (expected direction or inside_ci)`);
      }
    }
    out[engine as Engine] = f;
  }
  return out;
}

/** Read the thresholds file; a missing file means no floors. */
export async function loadThresholds(file: string): Promise<Thresholds | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseThresholds(text, file);
}

/** Messages for every floor the summary falls below (empty: all floors met or none set). */
export function checkFloors(summary: ValidationSummary, floors: Floors | undefined): string[] {
  if (!floors) return [];
  const failures: string[] = [];
  if (floors.direction !== undefined) {
    const need = floors.direction === 'all' ? summary.direction.scored : floors.direction;
    if (summary.direction.ok < need) failures.push(`direction agreement ${summary.direction.ok}/${summary.direction.scored} is below the floor of ${need}${floors.direction === 'all' ? ' (all scored)' : ''}`);
  }
  if (floors.inside_ci !== undefined && summary.inside_ci.ok < floors.inside_ci) {
    failures.push(`inside-CI ${summary.inside_ci.ok}/${summary.inside_ci.n} is below the floor of ${floors.inside_ci}`);
  }
  return failures;
}
