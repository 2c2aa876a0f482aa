/**
 * Checkpoint folders:
 *
 *   weights.bin     magic 'VTRW', format version, JSON header length, JSON header (tensor names,
 *                   shapes, offsets), then float32 little-endian data
 *   manifest.json   architecture, tokeniser (vocabulary + normalisation), catalog hash, training
 *                   data summary, metrics
 *   model-card.md   what the model is, what it was trained on, how good it is
 *   train-state.bin optimiser moments and step (only while training; needed for --resume)
 *
 * The checkpoint hash (sha256 of weights.bin and the manifest's architecture, tokeniser and copula) is
 * the model simulator's fingerprint in every report.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { VARIABLES } from '../population/catalog.js';
import { newVariable, type ModelConfig, type Params } from './transformer.js';
import type { TokenizerSpec } from './tokenizer.js';
import type { RolloutScale } from './rollout-scale.js';
import type { Copula } from './copula.js';
import { checkCheckpointFiles } from './folder.js';

export const WEIGHTS_MAGIC = 0x57525456; // 'VTRW' read as little-endian uint32
export const WEIGHTS_VERSION = 1;
export const MANIFEST_FORMAT = 'vtrial-model/1';

export interface TrainingSummary {
  readonly cohortFile: string;
  readonly cohortSha256: string;
  readonly subjects: number;
  readonly trainSubjects: number;
  readonly valSubjects: number;
  readonly events: number;
  readonly trainTokens: number;
  readonly valTokens: number;
}

export interface TrainingMetrics {
  readonly epochs: number;
  readonly steps: number;
  readonly wallSeconds: number;
  readonly tokensPerSecond: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly bestValLoss: number;
  readonly stoppedBecause: string;
  readonly history: readonly { epoch: number; step: number; trainLoss: number; valLoss: number; seconds: number }[];
}

/**
 * The checkpoint a `vtrial train --init` run started from (its hash, cohort and steps), and,
 * nested, the one that one started from: a fine-tuned checkpoint's whole training history.
 */
export interface Lineage {
  readonly hash: string;
  readonly created: string;
  readonly cohortFile: string;
  readonly cohortSha256: string;
  readonly steps: number;
  readonly tokenizerVersion: number;
  readonly startedFrom?: Lineage;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly created: string;
  readonly engineVersion: string;
  readonly backend: string;
  readonly config: ModelConfig;
  readonly train: Record<string, unknown>;
  readonly tokenizer: TokenizerSpec;
  readonly catalogSha256: string;
  readonly data: TrainingSummary;
  readonly metrics: TrainingMetrics;
  readonly paramCount: number;
  /** Within-visit dependence used when sampling rollouts (fitted on the validation split). */
  readonly copula?: Copula;
  /** Per-variable spread multipliers for multi-visit rollouts (fitted on the validation split). */
  readonly rolloutScale?: RolloutScale;
  /**
   * Longest step of a rollout, in days: between visits further apart the rollout inserts latent
   * visits (sampled, fed to the history, not reported), so it steps on the grid the model learned
   * from (TwinModel.rollout). Absent: one step per visit.
   */
  readonly rolloutStepDays?: number;
  /**
   * Which sampled values a rollout feeds to the history: 'measured' (absent; the visit's measured
   * variables, the others enter as missing) or 'all' (every modelled variable, as a full panel).
   */
  readonly rolloutFeed?: 'measured' | 'all';
  /** Absent for a run from scratch; a --init run's starting checkpoint (kept through --resume). */
  readonly startedFrom?: Lineage;
  /** Free-form evaluation results added by the evaluation script. */
  readonly evaluation?: Record<string, unknown>;
}

/** sha256 of the catalog entries the tokeniser depends on (id, transform, plausible, noise). */
export function catalogHash(): string {
  const h = createHash('sha256');
  for (const v of VARIABLES) h.update(JSON.stringify([v.id, v.transform, v.plausible, v.noiseSd, v.cvi, v.cva, v.kind, v.measurable]));
  return h.digest('hex');
}

export function encodeTensors(named: readonly { name: string; shape: number[]; data: Float32Array }[]): Buffer {
  let off = 0;
  const entries = named.map((t) => {
    const e = { name: t.name, shape: t.shape, offset: off, length: t.data.length };
    off += t.data.length;
    return e;
  });
  const header = Buffer.from(JSON.stringify(entries), 'utf8');
  const pre = Buffer.alloc(12);
  pre.writeUInt32LE(WEIGHTS_MAGIC, 0);
  pre.writeUInt32LE(WEIGHTS_VERSION, 4);
  pre.writeUInt32LE(header.length, 8);
  const pad = (4 - ((12 + header.length) % 4)) % 4;
  const data = Buffer.alloc(off * 4);
  for (let i = 0; i < named.length; i++) {
    const t = named[i]!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(data, entries[i]!.offset * 4);
  }
  return Buffer.concat([pre, header, Buffer.alloc(pad), data]);
}

export function decodeTensors(buf: Buffer, file: string): { name: string; shape: number[]; data: Float32Array }[] {
  if (buf.length < 12 || buf.readUInt32LE(0) !== WEIGHTS_MAGIC) {
    throw new InputError(`${file}: not a vtrial weights file (bad magic number)`, ['  hint: a checkpoint folder is written by `vtrial train --out DIR`']);
  }
  const ver = buf.readUInt32LE(4);
  if (ver !== WEIGHTS_VERSION) throw new InputError(`${file}: weights format version ${ver}, this vtrial reads version ${WEIGHTS_VERSION}`, ['  hint: retrain with `vtrial train` or use a matching vtrial version']);
  const hl = buf.readUInt32LE(8);
  const entries = JSON.parse(buf.subarray(12, 12 + hl).toString('utf8')) as { name: string; shape: number[]; offset: number; length: number }[];
  const start = 12 + hl + ((4 - ((12 + hl) % 4)) % 4);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return entries.map((e) => {
    if (e.offset + e.length > all.length) throw new InputError(`${file}: truncated weights (tensor ${e.name})`);
    return { name: e.name, shape: e.shape, data: all.slice(e.offset, e.offset + e.length) };
  });
}

async function paramsToNamed(p: Params): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  const out = [];
  for (const [name, v] of p) out.push({ name, shape: v.shape.slice(), data: (await v.data()) as Float32Array });
  return out;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  await writeFile(file + '.tmp', data);
  await rename(file + '.tmp', file);
}

export async function saveWeights(dir: string, p: Params): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'weights.bin'), encodeTensors(await paramsToNamed(p)));
}

export async function saveManifest(dir: string, m: Manifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'manifest.json'), JSON.stringify(m, null, 1) + '\n');
}

export function paramsFromNamed(named: readonly { name: string; shape: number[]; data: Float32Array }[]): Params {
  const p: Params = new Map();
  for (const t of named) p.set(t.name, newVariable(tf.tensor(t.data, t.shape), true, t.name));
  return p;
}

export interface LoadedCheckpoint {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly params: Params;
  /** 'sha256:' + hex of weights and architecture/tokeniser. */
  readonly hash: string;
}

export async function checkpointHash(dir: string): Promise<string> {
  const w = await readFile(join(dir, 'weights.bin'));
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return hashOf(w, m);
}

function hashOf(weights: Buffer, m: Manifest): string {
  return 'sha256:' + createHash('sha256').update(weights).update(JSON.stringify([m.config, m.tokenizer, m.copula ?? null, ...(m.rolloutScale ? [m.rolloutScale.scale] : []), ...(m.rolloutStepDays ? [{ rolloutStepDays: m.rolloutStepDays }] : []), ...(m.rolloutFeed === 'all' ? [{ rolloutFeed: 'all' }] : [])])).digest('hex');
}

/** Load a checkpoint folder; errors name the folder and what is wrong. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const mf = join(dir, 'manifest.json');
  const wf = join(dir, 'weights.bin');
  checkCheckpointFiles(dir);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(mf, 'utf8')) as Manifest;
  } catch (e) {
    throw new InputError(`${mf}: unreadable manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  if (manifest.format !== MANIFEST_FORMAT) throw new InputError(`${mf}: format '${String(manifest.format)}', expected '${MANIFEST_FORMAT}'`);
  const step = manifest.rolloutStepDays;
  if (step !== undefined && !(Number.isInteger(step) && step >= 1)) {
    throw new InputError(`${mf}: rolloutStepDays must be a whole number of days, at least 1 (or absent: one rollout step per visit). Received: ${JSON.stringify(step)}`);
  }
  if (manifest.rolloutFeed !== undefined && manifest.rolloutFeed !== 'measured' && manifest.rolloutFeed !== 'all') {
    throw new InputError(`${mf}: rolloutFeed must be 'measured' or 'all'. Received: ${JSON.stringify(manifest.rolloutFeed)}`);
  }
  const wbuf = await readFile(wf);
  const named = decodeTensors(wbuf, wf);
  return { dir, manifest, params: paramsFromNamed(named), hash: hashOf(wbuf, manifest) };
}

/** Optimiser state for --resume. */
export interface TrainState {
  readonly step: number;
  readonly epoch: number;
  readonly bestValLoss: number;
  readonly badEpochs: number;
  readonly elapsedSeconds: number;
  readonly history: TrainingMetrics['history'];
}

export async function saveTrainState(dir: string, s: TrainState, m: Params, v: Params, best: Params): Promise<void> {
  const named = [
    ...(await paramsToNamed(m)).map((t) => ({ ...t, name: 'm:' + t.name })),
    ...(await paramsToNamed(v)).map((t) => ({ ...t, name: 'v:' + t.name })),
    ...(await paramsToNamed(best)).map((t) => ({ ...t, name: 'best:' + t.name })),
  ];
  await writeAtomic(join(dir, 'train-state.bin'), encodeTensors(named));
  await writeAtomic(join(dir, 'train-state.json'), JSON.stringify(s) + '\n');
}

export async function loadTrainState(dir: string): Promise<{ state: TrainState; tensors: Map<string, { shape: number[]; data: Float32Array }> } | undefined> {
  const f = join(dir, 'train-state.json');
  if (!existsSync(f)) return undefined;
  const state = JSON.parse(await readFile(f, 'utf8')) as TrainState;
  const named = decodeTensors(await readFile(join(dir, 'train-state.bin')), join(dir, 'train-state.bin'));
  return { state, tensors: new Map(named.map((t) => [t.name, { shape: t.shape, data: t.data }])) };
}
