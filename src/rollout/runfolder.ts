/**
 * Run folders: where finished shards are kept, so an interrupted run can be resumed and a
 * sharded run (one part per machine) can be merged. A folder holds
 *
 *   manifest.json           what was run (effective trial spec, seeds, n, shard plan, versions)
 *   shard-000042.bin        one finished shard: ids, allocation, baseline covariates, every
 *                           endpoint's per-twin values under every arm, trajectory accumulators
 *   traj-000042.bin         (only with --trajectories) every arm's full trajectories
 *
 * Shard files are written to a temporary name and renamed, so a file that exists is complete.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { TwinEndpointValues } from '../analysis/endpoints.js';
import type { Engine, TrialSpec } from '../trial-dsl/spec.js';
import { pack, parseExact, stringifyExact, unpack, type PackedArray } from './pack.js';
import type { ArmTrajectories } from './task.js';

export const RUN_FORMAT = 'vtrial-run';
export const RUN_FORMAT_VERSION = 1;

export interface RunManifest {
  readonly format: typeof RUN_FORMAT;
  readonly formatVersion: number;
  readonly engineVersion: string;
  /** The effective trial (seed, engine and n as run). */
  readonly spec: TrialSpec;
  readonly seed: number;
  readonly replicate: number;
  /** Seed of the twins, randomisation and rollout streams (= seed for replicate 0). */
  readonly streamSeed: number;
  readonly engine: Engine;
  readonly checkpoint: string | null;
  readonly n: number;
  readonly shardSize: number;
  readonly nShards: number;
  /** This folder's part of a sharded run, or null for a whole run. */
  readonly part: { readonly index: number; readonly count: number } | null;
  /** Shards this folder is responsible for: [from, to). */
  readonly shards: readonly [number, number];
  readonly population: { readonly draws: number; readonly method: string; readonly warnings: readonly string[] };
  readonly allocationCounts: readonly number[];
  readonly trajectories: boolean;
}

/** A finished shard, as kept in memory and on disk. */
export interface ShardResult {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly fingerprint: string;
  readonly backend: string;
  readonly visitDays: readonly number[];
  readonly elapsedMs: number;
  readonly ids: Uint32Array;
  readonly allocation: Uint8Array;
  readonly covariates: Record<string, Float64Array>;
  /** endpoint name -> per arm values. */
  readonly endpoints: Record<string, TwinEndpointValues[]>;
  /** arm id -> accumulator JSON. */
  readonly accumulators: Record<string, unknown>;
}

interface ShardMeta {
  index: number;
  start: number;
  end: number;
  fingerprint: string;
  backend: string;
  visitDays: number[];
  elapsedMs: number;
  covariates: string[];
  endpoints: { name: string; arms: { time: boolean; event: boolean }[] }[];
  accumulators: Record<string, unknown>;
}

const pad = (i: number): string => String(i).padStart(6, '0');
export const shardFileName = (i: number): string => `shard-${pad(i)}.bin`;
export const trajFileName = (i: number): string => `traj-${pad(i)}.bin`;

function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeManifest(dir: string, m: RunManifest): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'manifest.json'), stringifyExact(m, 2) + '\n');
}

export function readManifest(dir: string): RunManifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw new InputError(`${dir}: not a vtrial run folder (no manifest.json)`, [
      'expected a folder written by `vtrial run --shard i/N --out DIR` or kept by an interrupted run',
    ]);
  }
  let m: RunManifest;
  try {
    m = parseExact<RunManifest>(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: unreadable manifest (${(e as Error).message})`);
  }
  if (m.format !== RUN_FORMAT) throw new InputError(`${path}: format is '${String(m.format)}', expected '${RUN_FORMAT}'`);
  if (m.formatVersion !== RUN_FORMAT_VERSION) {
    throw new InputError(`${path}: run folder format ${m.formatVersion}, this vtrial reads format ${RUN_FORMAT_VERSION}`);
  }
  return m;
}

export function encodeShard(r: ShardResult): Buffer {
  const arrays = new Map<string, PackedArray>();
  arrays.set('ids', r.ids);
  arrays.set('allocation', r.allocation);
  const covariates = Object.keys(r.covariates);
  for (const c of covariates) arrays.set(`cov\u0000${c}`, r.covariates[c]);
  const endpoints: ShardMeta['endpoints'] = [];
  for (const [name, perArm] of Object.entries(r.endpoints)) {
    endpoints.push({ name, arms: perArm.map((v) => ({ time: !!v.time, event: !!v.event })) });
    perArm.forEach((v, a) => {
      const k = `ep\u0000${name}\u0000${a}\u0000`;
      arrays.set(k + 'y', v.y);
      arrays.set(k + 'base', v.base);
      if (v.time) arrays.set(k + 'time', v.time);
      if (v.event) arrays.set(k + 'event', v.event);
    });
  }
  const meta: ShardMeta = {
    index: r.index,
    start: r.start,
    end: r.end,
    fingerprint: r.fingerprint,
    backend: r.backend,
    visitDays: [...r.visitDays],
    elapsedMs: r.elapsedMs,
    covariates,
    endpoints,
    accumulators: r.accumulators,
  };
  return pack(meta, arrays);
}

export function decodeShard(buf: Buffer, what: string): ShardResult {
  const { meta, arrays } = unpack<ShardMeta>(buf, what);
  const get = <T extends PackedArray>(k: string): T => {
    const a = arrays.get(k);
    if (!a) throw new Error(`${what}: missing array '${k.replace(/\u0000/g, '/')}'`);
    return a as T;
  };
  const covariates: Record<string, Float64Array> = {};
  for (const c of meta.covariates) covariates[c] = get<Float64Array>(`cov\u0000${c}`);
  const endpoints: Record<string, TwinEndpointValues[]> = {};
  for (const ep of meta.endpoints) {
    endpoints[ep.name] = ep.arms.map((has, a) => {
      const k = `ep\u0000${ep.name}\u0000${a}\u0000`;
      const v: TwinEndpointValues = { y: get<Float64Array>(k + 'y'), base: get<Float64Array>(k + 'base') };
      if (has.time) v.time = get<Float64Array>(k + 'time');
      if (has.event) v.event = get<Uint8Array>(k + 'event');
      return v;
    });
  }
  return {
    index: meta.index,
    start: meta.start,
    end: meta.end,
    fingerprint: meta.fingerprint,
    backend: meta.backend,
    visitDays: meta.visitDays,
    elapsedMs: meta.elapsedMs,
    ids: get<Uint32Array>('ids'),
    allocation: get<Uint8Array>('allocation'),
    covariates,
    endpoints,
    accumulators: meta.accumulators,
  };
}

export function writeShard(dir: string, r: ShardResult): void {
  writeAtomic(join(dir, shardFileName(r.index)), encodeShard(r));
}

export function readShard(dir: string, index: number): ShardResult {
  const path = join(dir, shardFileName(index));
  const r = decodeShard(readFileSync(path), path);
  if (r.index !== index) throw new Error(`${path}: holds shard ${r.index}, expected ${index}`);
  return r;
}

/** Indices of the finished shards in a folder. */
export function finishedShards(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^shard-(\d+)\.bin$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function writeShardTrajectories(dir: string, index: number, visitDays: readonly number[], ids: Uint32Array, arms: readonly ArmTrajectories[]): void {
  const arrays = new Map<string, PackedArray>();
  arrays.set('ids', ids);
  const variables = arms.length ? Object.keys(arms[0].values) : [];
  arms.forEach((t, a) => {
    arrays.set(`drop\u0000${a}`, t.dropoutDay);
    for (const v of variables) arrays.set(`val\u0000${a}\u0000${v}`, t.values[v]);
  });
  writeAtomic(join(dir, trajFileName(index)), pack({ index, visitDays: [...visitDays], variables, nArms: arms.length }, arrays));
}

export interface ShardTrajectories {
  readonly visitDays: number[];
  readonly variables: string[];
  readonly ids: Uint32Array;
  readonly arms: ArmTrajectories[];
}

export function readShardTrajectories(dir: string, index: number): ShardTrajectories {
  const path = join(dir, trajFileName(index));
  if (!existsSync(path)) {
    throw new InputError(`${path} is missing: this run did not keep trajectories`, ['run again with --trajectories FILE']);
  }
  const { meta, arrays } = unpack<{ visitDays: number[]; variables: string[]; nArms: number }>(readFileSync(path), path);
  const arms: ArmTrajectories[] = [];
  for (let a = 0; a < meta.nArms; a++) {
    const values: Record<string, Float64Array> = {};
    for (const v of meta.variables) values[v] = arrays.get(`val\u0000${a}\u0000${v}`) as Float64Array;
    arms.push({ values, dropoutDay: arrays.get(`drop\u0000${a}`) as Float64Array });
  }
  return { visitDays: meta.visitDays, variables: meta.variables, ids: arrays.get('ids') as Uint32Array, arms };
}
