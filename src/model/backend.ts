/**
 * Backend selection for TensorFlow.js, best available first:
 *   1. @tensorflow/tfjs-node-gpu (CUDA)      optional dependency, needs libtensorflow + a GPU
 *   2. @tensorflow/tfjs-node (native CPU)    optional dependency, needs libtensorflow
 *   3. @tensorflow/tfjs-backend-wasm (SIMD)  one thread: Node has no cross-origin-isolated threads
 *   4. the plain JavaScript 'cpu' backend
 *
 * This is the ONLY place that chooses a backend. Library code (tokeniser, transformer,
 * training, simulator) runs on whatever backend is active; the CLI and the rollout workers
 * call `initBackend()` once at their edge. Every skipped option records why, so `vtrial
 * doctor` and the reports can say what ran and why not something faster.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name now active ('tensorflow', 'wasm', 'cpu'). */
  readonly backend: string;
  /** Which package supplied it. */
  readonly source: string;
  /** Why it was chosen. */
  readonly reason: string;
  /** Options tried before it and why each was skipped. */
  readonly skipped: readonly { readonly name: string; readonly why: string }[];
  /** wasm only: whether the SIMD build is in use. */
  readonly simd?: boolean;
  readonly tfjsVersion: string;
  readonly nodeVersion: string;
}

export interface BackendOptions {
  /** Force one backend ('auto' = best available). Also read from VTRIAL_BACKEND. */
  readonly prefer?: 'auto' | BackendName;
}

let current: BackendInfo | undefined;

function errText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.slice(0, 200);
}

/** Import an optional native package by name without letting the type checker require it. */
async function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

/** Node can run wasm SIMD since v16; check by validating the smallest SIMD module. */
export function wasmSimdSupported(): boolean {
  // (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  const wa = (globalThis as unknown as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
  try {
    return wa !== undefined && wa.validate(bytes);
  } catch {
    return false;
  }
}

async function tryNative(pkg: string, backend: string): Promise<string | undefined> {
  try {
    await importOptional(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return 'not installed (an optional dependency: its install script downloads libtensorflow, which needs internet access)';
    }
    return `installed but failed to load (${errText(e)})`;
  }
  try {
    const ok = await tf.setBackend(backend);
    if (!ok) return `package loaded but backend '${backend}' did not initialise`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `backend '${backend}' failed to initialise (${errText(e)})`;
  }
}

async function tryWasm(): Promise<{ why?: string; simd?: boolean }> {
  let wasmMod: { setWasmPaths: (p: Record<string, string> | string, usePlatformFetch?: boolean) => void };
  try {
    wasmMod = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as typeof wasmMod;
  } catch (e) {
    return { why: `@tensorflow/tfjs-backend-wasm not loadable (${errText(e)})` };
  }
  try {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasmMod.setWasmPaths({
      'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dist, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
  } catch (e) {
    return { why: `wasm binaries not found next to the package (${errText(e)})` };
  }
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) return { why: "backend 'wasm' did not initialise" };
    await tf.ready();
    return { simd: wasmSimdSupported() };
  } catch (e) {
    return { why: `backend 'wasm' failed to initialise (${errText(e)})` };
  }
}

/**
 * Pick and activate the best available backend (idempotent: a second call returns the first
 * result). `prefer` (or the VTRIAL_BACKEND environment variable) forces one; if the forced one
 * is unavailable this throws, naming why.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  if (current) return current;
  const envPrefer = process.env.VTRIAL_BACKEND as BackendOptions['prefer'] | undefined;
  const prefer = opts.prefer ?? envPrefer ?? 'auto';
  const valid = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  if (!valid.includes(prefer)) throw new Error(`unknown backend '${prefer}' (VTRIAL_BACKEND or --backend): expected one of ${valid.join(', ')}`);
  const skipped: { name: string; why: string }[] = [];
  const base = { tfjsVersion: tf.version.tfjs, nodeVersion: process.versions.node };
  const want = (n: BackendName) => prefer === 'auto' || prefer === n;
  const forced = (n: BackendName) => `skipped: backend forced to '${prefer}' (not '${n}')`;

  if (want('tensorflow-gpu')) {
    const why = await tryNative('@tensorflow/tfjs-node-gpu', 'tensorflow');
    if (!why) return (current = { backend: 'tensorflow', source: '@tensorflow/tfjs-node-gpu', reason: 'best available: native TensorFlow with CUDA', skipped, ...base });
    skipped.push({ name: '@tensorflow/tfjs-node-gpu', why });
  } else skipped.push({ name: '@tensorflow/tfjs-node-gpu', why: forced('tensorflow-gpu') });

  if (want('tensorflow')) {
    const why = await tryNative('@tensorflow/tfjs-node', 'tensorflow');
    if (!why) return (current = { backend: 'tensorflow', source: '@tensorflow/tfjs-node', reason: 'native TensorFlow (CPU, multi-threaded)', skipped, ...base });
    skipped.push({ name: '@tensorflow/tfjs-node', why });
  } else skipped.push({ name: '@tensorflow/tfjs-node', why: forced('tensorflow') });

  if (want('wasm')) {
    const r = await tryWasm();
    if (!r.why) {
      return (current = {
        backend: 'wasm', source: '@tensorflow/tfjs-backend-wasm',
        reason: `WebAssembly${r.simd ? ' with SIMD' : ' without SIMD (slower)'}, one thread (Node offers no shared-memory threads to tfjs-wasm)`,
        skipped, simd: r.simd, ...base,
      });
    }
    skipped.push({ name: '@tensorflow/tfjs-backend-wasm', why: r.why });
  } else skipped.push({ name: '@tensorflow/tfjs-backend-wasm', why: forced('wasm') });

  if (prefer !== 'auto' && prefer !== 'cpu') {
    throw new Error(`backend '${prefer}' is not available: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (current = { backend: 'cpu', source: '@tensorflow/tfjs (cpu)', reason: prefer === 'cpu' ? 'forced' : 'fallback: plain JavaScript, slowest', skipped, ...base });
}

/** The backend chosen by initBackend, if it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/**
 * Measure square matmul throughput on the active backend: GFLOP/s for an n x n by n x n
 * product (2 n^3 flops), best of `reps` timed runs after one warm-up.
 */
export async function matmulGflops(n = 512, reps = 5): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  try {
    const w = tf.matMul(a, b);
    await w.data();
    w.dispose();
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      best = Math.min(best, performance.now() - t0);
      c.dispose();
    }
    return (2 * n * n * n) / (best / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}
