import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TwinBatch } from '../../src/core/simulator.js';
import type { TrialData } from '../../src/analysis/trial.js';
import { stringifyExact } from '../../src/rollout/pack.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const FIXTURES = join(HERE, 'fixtures');
export const SMALL_TRIAL = join(FIXTURES, 'small.yaml');
export const SIMULATOR = pathToFileURL(join(FIXTURES, 'simulator.mjs')).href;
export const CLI = join(ROOT, 'bin', 'vtrial.js');

if (!existsSync(join(ROOT, 'dist', 'rollout', 'worker.js'))) {
  throw new Error('test/rollout needs the compiled package: run `npm run build` first');
}

export async function fixtureTwins(n: number): Promise<TwinBatch> {
  const mod = (await import(SIMULATOR)) as { makeTwins(n: number): TwinBatch };
  return mod.makeTwins(n);
}

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'vtrial-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Bit-exact serialisation of the analysis data (typed arrays as arrays, NaN kept). */
export function fingerprintData(d: TrialData): string {
  const plain = (x: unknown): unknown => {
    if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>, (v) => (Object.is(v, -0) ? '-0' : v));
    if (Array.isArray(x)) return x.map(plain);
    if (x && typeof x === 'object') return Object.fromEntries(Object.keys(x).sort().map((k) => [k, plain((x as Record<string, unknown>)[k])]));
    return x;
  };
  return stringifyExact(plain({ allocation: d.allocation, covariates: d.covariates, endpoints: d.endpoints, trajectories: d.trajectories }));
}
