/**
 * A decoder-only, causal, pre-norm transformer over visit tokens, written with tf ops and
 * tf.variable (no layers API, so it trains on every backend: the embedding is a dense
 * projection of the token features, so no gather/UnsortedSegmentSum gradient is needed).
 *
 * Read top to bottom: config -> parameters -> layer norm, attention, MLP, block -> full
 * forward -> cached single-step forward -> the mixture-of-Gaussians head.
 *
 * Shapes: B batch (twins or sequences), T tokens, F token features, C = dModel, H heads,
 * D = C / H head size, V measured variables, K mixture components.
 */
import * as tf from '@tensorflow/tfjs';

export interface ModelConfig {
  /** Token feature size (from the tokeniser's layout). */
  readonly inputDim: number;
  /** Number of measured variables predicted per token. */
  readonly nVars: number;
  /** Width C. 64: trains at ~3k tokens/s on wasm; 128: ~4x slower. */
  readonly dModel: number;
  readonly nLayers: number;
  /** Attention heads; must divide dModel. */
  readonly nHeads: number;
  /** MLP hidden size = mlpRatio * dModel (4, as GPT-2). */
  readonly mlpRatio: number;
  /** Gaussian components per variable in the predictive mixture. */
  readonly nMix: number;
  /** Longest token sequence (visits) the model attends over. */
  readonly blockSize: number;
}

export const DEFAULT_ARCH = { dModel: 64, nLayers: 2, nHeads: 4, mlpRatio: 4, nMix: 3, blockSize: 32 } as const;

/** Check a config; every message names the field and the value received. */
export function validateConfig(c: ModelConfig): void {
  const posInt = (k: keyof ModelConfig) => {
    const v = c[k];
    if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`model config: ${k} must be a positive integer. Received: ${k}=${String(v)}`);
  };
  (['inputDim', 'nVars', 'dModel', 'nLayers', 'nHeads', 'mlpRatio', 'nMix', 'blockSize'] as const).forEach(posInt);
  if (c.dModel % c.nHeads !== 0) throw new RangeError(`model config: dModel must be divisible by nHeads. Received: dModel=${c.dModel}, nHeads=${c.nHeads}`);
}

export type Params = Map<string, tf.Variable>;

let varCounter = 0;
/** A tf.variable with a process-unique name (tfjs names are global; two models may coexist). */
export function newVariable(init: tf.Tensor, trainable: boolean, key: string): tf.Variable {
  return tf.variable(init, trainable, `${key}#${varCounter++}`);
}

/** Names of weights that receive weight decay (matrices, not biases or norm gains). */
export function isDecayed(name: string): boolean {
  return /\.W[a-z0-9]*$|^W/.test(name.split('.').pop() ?? '');
}

/** Deterministic initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 nLayers) as in GPT-2. */
export function initParams(c: ModelConfig, seed = 1): Params {
  validateConfig(c);
  const p: Params = new Map();
  let s = seed;
  const normal = (name: string, shape: number[], std = 0.02) => p.set(name, newVariable(tf.randomNormal(shape, 0, std, 'float32', s++), true, name));
  const fill = (name: string, shape: number[], v: number) => p.set(name, newVariable(tf.fill(shape, v), true, name));
  const C = c.dModel;
  const resStd = 0.02 / Math.sqrt(2 * c.nLayers);
  normal('in.W', [c.inputDim, C]);
  fill('in.b', [C], 0);
  for (let l = 0; l < c.nLayers; l++) {
    fill(`h${l}.ln1.g`, [C], 1); fill(`h${l}.ln1.b`, [C], 0);
    normal(`h${l}.attn.Wqkv`, [C, 3 * C]); fill(`h${l}.attn.bqkv`, [3 * C], 0);
    normal(`h${l}.attn.Wo`, [C, C], resStd); fill(`h${l}.attn.bo`, [C], 0);
    fill(`h${l}.ln2.g`, [C], 1); fill(`h${l}.ln2.b`, [C], 0);
    normal(`h${l}.mlp.W1`, [C, c.mlpRatio * C]); fill(`h${l}.mlp.b1`, [c.mlpRatio * C], 0);
    normal(`h${l}.mlp.W2`, [c.mlpRatio * C, C], resStd); fill(`h${l}.mlp.b2`, [C], 0);
  }
  fill('lnf.g', [C], 1); fill('lnf.b', [C], 0);
  normal('out.W', [C, c.nVars * 3 * c.nMix]);
  fill('out.b', [c.nVars * 3 * c.nMix], 0);
  return p;
}

export function paramCount(p: Params): number {
  let n = 0;
  for (const v of p.values()) n += v.size;
  return n;
}

export function disposeParams(p: Params): void {
  for (const v of p.values()) v.dispose();
  p.clear();
}

function P(p: Params, name: string): tf.Variable {
  const v = p.get(name);
  if (!v) throw new Error(`model parameter '${name}' missing (checkpoint does not match the architecture)`);
  return v;
}

/** x [..., In] @ W [In, Out] + b -> [..., Out], via a 2-D matmul. */
function linear(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const In = shape[shape.length - 1]!;
  const x2 = x.reshape([-1, In]);
  const y = tf.add(tf.matMul(x2, W as tf.Tensor2D), b);
  return y.reshape([...shape.slice(0, -1), W.shape[1]!]);
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

/** GELU, tanh approximation (Hendrycks & Gimpel 2016, arXiv:1606.08415). */
function gelu(x: tf.Tensor): tf.Tensor {
  const c = Math.sqrt(2 / Math.PI);
  const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** [B, T, C] -> [B, H, T, D] */
function splitHeads(x: tf.Tensor, H: number): tf.Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  return x.reshape([B, T, H, C / H]).transpose([0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, C] */
function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [B, H, T, D] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([B, T, H * D]);
}

function causalMask(T: number): tf.Tensor {
  // 0 where key <= query, -1e9 above the diagonal (future keys)
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor4d(m, [1, 1, T, T]);
}

function qkv(p: Params, c: ModelConfig, l: number, h: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const C = c.dModel;
  const all = linear(h, P(p, `h${l}.attn.Wqkv`), P(p, `h${l}.attn.bqkv`)); // (B, T, 3C)
  const [q, k, v] = tf.split(all, [C, C, C], -1); // each (B, T, C)
  return [splitHeads(q!, c.nHeads), splitHeads(k!, c.nHeads), splitHeads(v!, c.nHeads)]; // each (B, H, T, D)
}

function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  const D = q.shape[3]!;
  let att = tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), 1 / Math.sqrt(D)); // (B, H, Tq, Tk)
  if (mask) att = tf.add(att, mask);
  return tf.matMul(tf.softmax(att) as tf.Tensor4D, v as tf.Tensor4D); // (B, H, Tq, D)
}

function mlp(p: Params, l: number, h: tf.Tensor): tf.Tensor {
  const a = gelu(linear(h, P(p, `h${l}.mlp.W1`), P(p, `h${l}.mlp.b1`))); // (B, T, 4C)
  return linear(a, P(p, `h${l}.mlp.W2`), P(p, `h${l}.mlp.b2`)); // (B, T, C)
}

/**
 * Full causal forward pass. x: [B, T, F] token features -> [B, T, V * 3K] head outputs
 * (per variable: K mixture logits, K means, K raw scales). Call inside tf.tidy.
 */
export function forward(p: Params, c: ModelConfig, x: tf.Tensor3D): tf.Tensor3D {
  const [B, T, F] = x.shape;
  if (F !== c.inputDim) throw new RangeError(`forward: token feature size ${F} does not match the model's inputDim ${c.inputDim}`);
  if (T > c.blockSize) throw new RangeError(`forward: cannot run a sequence of length ${T}, blockSize is only ${c.blockSize}`);
  const mask = causalMask(T);
  let h = linear(x, P(p, 'in.W'), P(p, 'in.b')); // (B, T, C)
  for (let l = 0; l < c.nLayers; l++) {
    const n1 = layerNorm(h, P(p, `h${l}.ln1.g`), P(p, `h${l}.ln1.b`));
    const [q, k, v] = qkv(p, c, l, n1);
    const y = mergeHeads(attend(q, k, v, mask)); // (B, T, C)
    h = tf.add(h, linear(y, P(p, `h${l}.attn.Wo`), P(p, `h${l}.attn.bo`)));
    const n2 = layerNorm(h, P(p, `h${l}.ln2.g`), P(p, `h${l}.ln2.b`));
    h = tf.add(h, mlp(p, l, n2));
  }
  const hf = layerNorm(h, P(p, 'lnf.g'), P(p, 'lnf.b'));
  return linear(hf, P(p, 'out.W'), P(p, 'out.b')).reshape([B, T, c.nVars * 3 * c.nMix]);
}

/**
 * Key/value cache for autoregressive decoding: per layer, keys and values of every token seen
 * so far, each of shape [B, H, S, D] (S = tokens cached). Caching is useful only at inference.
 */
export class KVCache {
  keys: tf.Tensor4D[] = [];
  values: tf.Tensor4D[] = [];
  length = 0;
  dispose(): void {
    for (const t of this.keys) t.dispose();
    for (const t of this.values) t.dispose();
    this.keys = [];
    this.values = [];
    this.length = 0;
  }
}

/**
 * One decoding step with the cache: x [B, 1, F] (the newest token) -> [B, 1, V * 3K].
 * The cache is extended in place (old tensors disposed). Do not call inside tf.tidy.
 */
export function forwardStep(p: Params, c: ModelConfig, x: tf.Tensor3D, cache: KVCache): tf.Tensor3D {
  const [B, T, F] = x.shape;
  if (T !== 1) throw new RangeError(`forwardStep: expects one token per call. Received: T=${T}`);
  if (F !== c.inputDim) throw new RangeError(`forwardStep: token feature size ${F} does not match inputDim ${c.inputDim}`);
  if (cache.length >= c.blockSize) throw new RangeError(`forwardStep: cache holds ${cache.length} tokens, blockSize is only ${c.blockSize}`);
  if (cache.length > 0 && cache.keys[0]!.shape[0] !== B) throw new RangeError(`forwardStep: batch ${B} does not match the cache's batch ${cache.keys[0]!.shape[0]}`);
  const newK: tf.Tensor4D[] = [];
  const newV: tf.Tensor4D[] = [];
  const out = tf.tidy(() => {
    let h = linear(x, P(p, 'in.W'), P(p, 'in.b')); // (B, 1, C)
    for (let l = 0; l < c.nLayers; l++) {
      const n1 = layerNorm(h, P(p, `h${l}.ln1.g`), P(p, `h${l}.ln1.b`));
      const [q, k, v] = qkv(p, c, l, n1); // each (B, H, 1, D)
      const K = (cache.length ? tf.concat([cache.keys[l]!, k], 2) : k) as tf.Tensor4D; // (B, H, S+1, D)
      const Vv = (cache.length ? tf.concat([cache.values[l]!, v], 2) : v) as tf.Tensor4D;
      newK.push(tf.keep(K));
      newV.push(tf.keep(Vv));
      const y = mergeHeads(attend(q, K, Vv, null)); // (B, 1, C): every cached key is in the past
      h = tf.add(h, linear(y, P(p, `h${l}.attn.Wo`), P(p, `h${l}.attn.bo`)));
      const n2 = layerNorm(h, P(p, `h${l}.ln2.g`), P(p, `h${l}.ln2.b`));
      h = tf.add(h, mlp(p, l, n2));
    }
    const hf = layerNorm(h, P(p, 'lnf.g'), P(p, 'lnf.b'));
    return linear(hf, P(p, 'out.W'), P(p, 'out.b')).reshape([B, 1, c.nVars * 3 * c.nMix]) as tf.Tensor3D;
  });
  const len = cache.length;
  cache.dispose();
  cache.keys = newK;
  cache.values = newV;
  cache.length = len + 1;
  return out;
}

/** Minimum predictive SD on the normalised scale (keeps the likelihood bounded). */
export const MIN_SD = 0.01;

/** Split head outputs [..., V*3K] into log-weights, means, SDs, each [..., V, K]. */
export function mixtureParams(out: tf.Tensor, c: ModelConfig): { logw: tf.Tensor; mu: tf.Tensor; sd: tf.Tensor } {
  const K = c.nMix;
  const r = out.reshape([...out.shape.slice(0, -1), c.nVars, 3 * K]);
  const [logits, mu, raw] = tf.split(r, [K, K, K], -1);
  return { logw: tf.logSoftmax(logits!, -1), mu: mu!, sd: tf.add(tf.softplus(raw!), MIN_SD) };
}

/**
 * Negative log-likelihood of the observed targets, averaged over observed entries.
 * out [B, T, V*3K], y and m [B, T, V] (m = 1 where observed).
 */
export function mixtureNll(out: tf.Tensor, y: tf.Tensor, m: tf.Tensor, c: ModelConfig): tf.Scalar {
  const { logw, mu, sd } = mixtureParams(out, c);
  const z = tf.div(tf.sub(y.expandDims(-1), mu), sd); // (B, T, V, K)
  const comp = tf.sub(tf.sub(logw, tf.log(sd)), tf.mul(0.5, tf.square(z)));
  const logp = tf.sub(tf.logSumExp(comp, -1), 0.5 * Math.log(2 * Math.PI)); // (B, T, V)
  return tf.div(tf.neg(tf.sum(tf.mul(logp, m))), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}
