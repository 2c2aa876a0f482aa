/**
 * What a model folder is, checked with the file system only (no tfjs): a single checkpoint
 * (manifest.json + weights.bin) or a checkpoint ensemble (ensemble.json naming member checkpoint
 * folders; src/model/ensemble.ts). The run planner checks a folder here before any worker loads
 * it, so a broken folder is one clear error instead of failed shards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';

export const ENSEMBLE_FORMAT = 'vtrial-ensemble/1';
export const ENSEMBLE_FILE = 'ensemble.json';

export interface EnsembleManifest {
  readonly format: typeof ENSEMBLE_FORMAT;
  /** Member checkpoint folders, relative to the ensemble folder (or absolute). */
  readonly members: readonly string[];
  /** Free text: why these members. */
  readonly note?: string;
  readonly created?: string;
}

/** True when `dir` holds an ensemble (ensemble.json) rather than a single checkpoint. */
export function isEnsembleDir(dir: string): boolean {
  return existsSync(join(dir, ENSEMBLE_FILE));
}

/** Parse and check the text of `dir`/ensemble.json; errors name the file and what is wrong. */
export function parseEnsembleManifest(dir: string, text: string): EnsembleManifest {
  const f = join(dir, ENSEMBLE_FILE);
  let m: EnsembleManifest;
  try {
    m = JSON.parse(text) as EnsembleManifest;
  } catch (e) {
    throw new InputError(`${f}: unreadable ensemble manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  if (m === null || typeof m !== 'object') throw new InputError(`${f}: expected a JSON object with 'format' and 'members'`);
  if (m.format !== ENSEMBLE_FORMAT) throw new InputError(`${f}: format '${String(m.format)}', expected '${ENSEMBLE_FORMAT}'`);
  if (!Array.isArray(m.members) || m.members.length < 2 || m.members.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw new InputError(`${f}: 'members' must list at least two checkpoint folders (relative to ${dir}). Received: ${JSON.stringify(m.members)}`, [
      '  a single checkpoint needs no ensemble.json: point --model at its folder',
    ]);
  }
  const seen = new Set<string>();
  for (const x of m.members) {
    const r = resolve(dir, x);
    if (seen.has(r)) throw new InputError(`${f}: member '${x}' is listed twice (a member given twice the weight is not supported)`);
    seen.add(r);
  }
  return m;
}

/** Check that `dir` holds a single checkpoint's files (manifest.json + weights.bin); an ensemble folder is named as such. */
export function checkCheckpointFiles(dir: string): void {
  if (!existsSync(join(dir, 'manifest.json')) && isEnsembleDir(dir)) {
    throw new InputError(`${dir}: a checkpoint ensemble (ensemble.json), not a single checkpoint; this step needs one checkpoint`, ['  hint: point it at one of the member folders that ensemble.json lists']);
  }
  if (!existsSync(join(dir, 'manifest.json')) || !existsSync(join(dir, 'weights.bin'))) {
    throw new InputError(`${dir}: not a model checkpoint (needs manifest.json and weights.bin)`, ['  hint: train one with `vtrial train --cohort FILE --out DIR`, or use the bundled models/default']);
  }
}

/** Read and check `dir`/ensemble.json (file system only); errors name the file and what is wrong. */
export function readEnsembleManifest(dir: string): EnsembleManifest {
  const f = join(dir, ENSEMBLE_FILE);
  let text: string;
  try {
    text = readFileSync(f, 'utf8');
  } catch (e) {
    throw new InputError(`${f}: unreadable ensemble manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseEnsembleManifest(dir, text);
}

/**
 * An ensemble's member folders, resolved against it, each checked to be a single checkpoint
 * (members may not be ensembles).
 */
export function ensembleMemberDirs(dir: string, m: EnsembleManifest = readEnsembleManifest(dir)): string[] {
  return m.members.map((x) => {
    const md = resolve(dir, x);
    if (isEnsembleDir(md)) throw new InputError(`${join(dir, ENSEMBLE_FILE)}: member '${x}' is itself an ensemble (nesting is not supported; list its members instead)`);
    checkCheckpointFiles(md);
    return md;
  });
}

/**
 * Check a model folder's files: a checkpoint's two files, or an ensemble's manifest and each
 * member's files. Throws InputError naming what is wrong.
 */
export function checkModelFolder(dir: string): void {
  if (isEnsembleDir(dir)) ensembleMemberDirs(dir);
  else checkCheckpointFiles(dir);
}
