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
  /**
   * Residual head: each variable's mixture means are the network's output PLUS the variable's
   * value in the current token (its normalised value where this visit measured it; 0, the
   * training mean, where it did not, so the network predicts the level itself). The network
   * then learns the visit-to-visit change, which is small next to between-person spread, instead
   * of carrying ~40 levels through its residual stream to the head. Absent = false (checkpoints
   * written before it).
   */
  readonly residual?: boolean;
  /**
   * With `residual`: the indices of the variables whose means are anchored on the current value
   * (absent: all). The others keep a level head. A change-predicting head suits slow variables
   * (weight drifts over months) and shrinks the one-step effects of drugs on fast ones (model
   * card, "the residual head"), so the two can be mixed per variable.
   */
  readonly residualVars?: readonly number[];
  /**
   * Rank r of the own x query interaction in the input embedding (absent or 0: none). The token
   * embedding is in.W x + in.b plus ((own ix.Wa + ix.ba) * (query ix.Wb + ix.bb)) ix.Wc, where
   * `own` is the token's first `ownDim` features (values, mask, statics) and `query` the rest
   * (times, exposures): a low-rank bilinear term, so an exposure's effect can depend on the
   * current values (a BP drug lowers a high SBP more) from the first layer on, instead of being
   * built by the layers above from a sum.
   */
  readonly interaction?: number;
  /** Features [0, ownDim) are the token's own (needed with `interaction`). */
  readonly ownDim?: number;
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
  if (c.residual !== undefined && typeof c.residual !== 'boolean') throw new RangeError(`model config: residual must be true or false. Received: residual=${String(c.residual)}`);
  if (c.interaction !== undefined && c.interaction !== 0) {
    if (!Number.isInteger(c.interaction) || c.interaction < 1) throw new RangeError(`model config: interaction must be a whole number of at least 1 (or 0 for none). Received: interaction=${String(c.interaction)}`);
    if (!Number.isInteger(c.ownDim) || c.ownDim! < 1 || c.ownDim! >= c.inputDim) throw new RangeError(`model config: interaction needs ownDim, the number of the token's own features, between 1 and inputDim - 1. Received: ownDim=${String(c.ownDim)}, inputDim=${c.inputDim}`);
  }
  if (c.residualVars !== undefined) {
    if (!c.residual) throw new RangeError('model config: residualVars needs residual: true');
    const seen = new Set<number>();
    for (const v of c.residualVars) {
      if (!Number.isInteger(v) || v < 0 || v >= c.nVars || seen.has(v)) throw new RangeError(`model config: residualVars must be distinct variable indices in [0, ${c.nVars}). Received: ${JSON.stringify(c.residualVars)}`);
      seen.add(v);
    }
  }
  if (c.residual && c.inputDim < c.nVars) throw new RangeError(`model config: a residual head needs the token to start with the ${c.nVars} values. Received: inputDim=${c.inputDim}`);
}

/**
 * The residual head's fixed map from a token's values [N, V] to head outputs [N, V * 3K]: value v
 * of an anchored variable (all, or `residualVars`) goes to each of variable v's K mean slots (per
 * variable the head lays out K logits, K means, K raw scales). One constant per (V, K, anchored
 * set), kept for the life of the process.
 */
const residualMaps = new Map<string, tf.Tensor2D>();
function residualMap(c: ModelConfig): tf.Tensor2D {
  const key = `${c.nVars}x${c.nMix}:${c.residualVars ? c.residualVars.join(',') : 'all'}`;
  let A = residualMaps.get(key);
  if (!A || A.isDisposed) {
    const V = c.nVars, K = c.nMix, W = V * 3 * K;
    const a = new Float32Array(V * W);
    for (const v of c.residualVars ?? Array.from({ length: V }, (_, i) => i)) for (let k = 0; k < K; k++) a[v * W + v * 3 * K + K + k] = 1;
    A = tf.keep(tf.tensor2d(a, [V, W]));
    residualMaps.set(key, A);
  }
  return A;
}

/** Head outputs [N, V*3K] plus the residual anchor from token features [N, >= V] (values first). */
function addResidual(c: ModelConfig, out: tf.Tensor2D, tokens: tf.Tensor2D): tf.Tensor2D {
  const N = tokens.shape[0];
  return tf.add(out, tf.matMul(tokens.slice([0, 0], [N, c.nVars]), residualMap(c))) as tf.Tensor2D;
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
  // last, so the other weights draw the same numbers with or without it
  if (c.interaction) {
    // both factors start at unit scale for unit-scale inputs (std 1 / sqrt(fan-in)) so each
    // gets a gradient from the other; the output map starts small, like in.W
    const r = c.interaction, own = c.ownDim!, q = c.inputDim - own;
    normal('ix.Wa', [own, r], 1 / Math.sqrt(own)); fill('ix.ba', [r], 0);
    normal('ix.Wb', [q, r], 1 / Math.sqrt(q)); fill('ix.bb', [r], 0);
    normal('ix.Wc', [r, C]);
  }
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

/**
 * a [N, In] @ W [In, Out], the same value as tf.matMul, with a gradient built from explicit
 * transposes and plain products. tfjs's own matMul gradient asks for products with a transposed
 * operand, which the wasm backend runs about 4x slower than a transpose followed by a plain
 * product (a [896, 884]^T [896, 64] product: 52 ms against 13 ms); training spends most of its
 * time in these gradients (docs/model-card.md, "Speed").
 */
const plainGradMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, W, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, W]);
  return {
    value: tf.matMul(a, W) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D, [sa, sW]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(sW as tf.Tensor2D)), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy)],
  };
});
export function matMulPlainGrad(a: tf.Tensor2D, W: tf.Tensor2D): tf.Tensor2D {
  return plainGradMatMul(a, W);
}

/** x [..., In] @ W [In, Out] + b -> [..., Out], via a 2-D matmul. */
function linear(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const In = shape[shape.length - 1]!;
  const x2 = x.reshape([-1, In]);
  const y = tf.add(matMulPlainGrad(x2 as tf.Tensor2D, W as tf.Tensor2D), b);
  return y.reshape([...shape.slice(0, -1), W.shape[1]!]);
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

/** GELU, tanh approximation (Hendrycks & Gimpel 2016, arXiv:1606.08415). */
function gelu(x: tf.Tensor): tf.Tensor {
  const c = Math.sqrt(2 / Math.PI);
  const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x))))); // x^3 as a product: Pow and its gradient are slow kernels
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
 * The embedding's own x query term [N, C] from own features [N, ownDim] and query features
 * ([N, Q], or [G, Q] with `group` [N] picking each row's): ((own Wa + ba) * (query Wb + bb)) Wc.
 */
function interactionTerm(p: Params, own: tf.Tensor2D, query: tf.Tensor2D, group?: tf.Tensor1D | null): tf.Tensor2D {
  const a = tf.add(matMulPlainGrad(own, P(p, 'ix.Wa') as tf.Tensor2D), P(p, 'ix.ba'));
  let b = tf.add(matMulPlainGrad(query, P(p, 'ix.Wb') as tf.Tensor2D), P(p, 'ix.bb'));
  if (group) b = tf.gather(b, group);
  return matMulPlainGrad(tf.mul(a, b) as tf.Tensor2D, P(p, 'ix.Wc') as tf.Tensor2D);
}

/** interactionTerm of whole tokens [N, inputDim], split at the config's ownDim. */
function tokenInteraction(p: Params, c: ModelConfig, x2: tf.Tensor2D): tf.Tensor2D {
  return interactionTerm(p, x2.slice([0, 0], [-1, c.ownDim!]), x2.slice([0, c.ownDim!], [-1, -1]));
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
  if (c.interaction) h = tf.add(h, tokenInteraction(p, c, x.reshape([B * T, F]) as tf.Tensor2D).reshape([B, T, c.dModel]));
  for (let l = 0; l < c.nLayers; l++) {
    const n1 = layerNorm(h, P(p, `h${l}.ln1.g`), P(p, `h${l}.ln1.b`));
    const [q, k, v] = qkv(p, c, l, n1);
    const y = mergeHeads(attend(q, k, v, mask)); // (B, T, C)
    h = tf.add(h, linear(y, P(p, `h${l}.attn.Wo`), P(p, `h${l}.attn.bo`)));
    const n2 = layerNorm(h, P(p, `h${l}.ln2.g`), P(p, `h${l}.ln2.b`));
    h = tf.add(h, mlp(p, l, n2));
  }
  const hf = layerNorm(h, P(p, 'lnf.g'), P(p, 'lnf.b'));
  let out = linear(hf, P(p, 'out.W'), P(p, 'out.b')).reshape([B * T, c.nVars * 3 * c.nMix]) as tf.Tensor2D;
  if (c.residual) out = addResidual(c, out, x.reshape([B * T, F]) as tf.Tensor2D);
  return out.reshape([B, T, c.nVars * 3 * c.nMix]);
}

/**
 * Inference-only weights derived once per cache from the parameters, so a decoding step runs
 * fewer and larger kernels:
 *   - each layer norm's gain and bias are folded into the matmul that follows it
 *     (LN(h) W + b = xhat (g W) + (beta W + b), xhat = (h - mean) / sd);
 *   - q, k and v get their own matmuls (three [C, C] products are cheaper than one [C, 3C]
 *     product followed by a split), and the attention scale 1/sqrt(D) is folded into q;
 *   - every bias rides in its matmul (one fused kernel).
 * GELU is computed as x sigmoid(2u), which equals forward's 0.5 x (1 + tanh(u)) (tanh is a slow
 * kernel on wasm). Numerically the same function as `forward` up to float32 rounding (~1e-6
 * relative).
 */
class StepWeights {
  readonly layers: { Wq: tf.Tensor2D; bq: tf.Tensor1D; Wk: tf.Tensor2D; bk: tf.Tensor1D; Wv: tf.Tensor2D; bv: tf.Tensor1D; Wo: tf.Tensor2D; bo: tf.Tensor1D; W1: tf.Tensor2D; b1: tf.Tensor1D; W2: tf.Tensor2D; b2: tf.Tensor1D }[] = [];
  readonly inB: tf.Tensor1D;
  readonly outW: tf.Tensor2D;
  readonly outB: tf.Tensor1D;
  readonly eps: tf.Scalar;
  readonly geluA: tf.Scalar;
  readonly geluB: tf.Scalar;
  /** Input projection split at feature `splitAt` (rows before / from it), made on first use. */
  private split: { at: number; own: tf.Tensor2D; shared: tf.Tensor2D } | undefined;
  private readonly all: tf.Tensor[] = [];

  constructor(private readonly p: Params, c: ModelConfig) {
    const C = c.dModel;
    const keep = <T extends tf.Tensor>(t: T): T => { this.all.push(t); return tf.keep(t); };
    // ln (g, beta) then x W + b  ->  W' = g[:, None] W, b' = beta W + b
    const fold = (g: tf.Tensor, beta: tf.Tensor, W: tf.Tensor2D, b: tf.Tensor1D, scale = 1): [tf.Tensor2D, tf.Tensor1D] => tf.tidy(() => {
      let Wf = tf.mul(g.reshape([-1, 1]), W) as tf.Tensor2D;
      let bf = tf.add(tf.matMul(beta.reshape([1, -1]) as tf.Tensor2D, W).reshape([-1]), b) as tf.Tensor1D;
      if (scale !== 1) { Wf = tf.mul(Wf, scale); bf = tf.mul(bf, scale); }
      return [keep(Wf), keep(bf)];
    });
    // a bias as a fresh rank-1 tensor (the wasm fused matmul reads the bias's stored shape, which must be rank 1)
    const vec = (t: tf.Tensor): tf.Tensor1D => keep(tf.tidy(() => tf.add(t.reshape([-1]), 0)) as tf.Tensor1D);
    const cols = (t: tf.Tensor, i: number): tf.Tensor => (t.rank === 2 ? t.slice([0, i * C], [-1, C]) : t.slice([i * C], [C]));
    const scale = 1 / Math.sqrt(C / c.nHeads);
    for (let l = 0; l < c.nLayers; l++) {
      const g1 = P(p, `h${l}.ln1.g`), be1 = P(p, `h${l}.ln1.b`);
      const Wqkv = P(p, `h${l}.attn.Wqkv`), bqkv = P(p, `h${l}.attn.bqkv`);
      const [Wq, bq, Wk, bk, Wv, bv] = tf.tidy(() => {
        const q = fold(g1, be1, cols(Wqkv, 0) as tf.Tensor2D, cols(bqkv, 0) as tf.Tensor1D, scale);
        const k = fold(g1, be1, cols(Wqkv, 1) as tf.Tensor2D, cols(bqkv, 1) as tf.Tensor1D);
        const v = fold(g1, be1, cols(Wqkv, 2) as tf.Tensor2D, cols(bqkv, 2) as tf.Tensor1D);
        return [...q, ...k, ...v];
      }) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
      const [W1, b1] = fold(P(p, `h${l}.ln2.g`), P(p, `h${l}.ln2.b`), P(p, `h${l}.mlp.W1`) as tf.Tensor2D, P(p, `h${l}.mlp.b1`) as tf.Tensor1D);
      this.layers.push({
        Wq, bq, Wk, bk, Wv, bv, W1, b1,
        Wo: P(p, `h${l}.attn.Wo`) as tf.Tensor2D, bo: vec(P(p, `h${l}.attn.bo`)),
        W2: P(p, `h${l}.mlp.W2`) as tf.Tensor2D, b2: vec(P(p, `h${l}.mlp.b2`)),
      });
    }
    this.inB = vec(P(p, 'in.b'));
    [this.outW, this.outB] = fold(P(p, 'lnf.g'), P(p, 'lnf.b'), P(p, 'out.W') as tf.Tensor2D, P(p, 'out.b') as tf.Tensor1D);
    this.eps = keep(tf.scalar(LN_EPS));
    // GELU(x) = 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): 2u = x (A + B x^2)
    this.geluA = keep(tf.scalar(2 * Math.sqrt(2 / Math.PI)));
    this.geluB = keep(tf.scalar(2 * Math.sqrt(2 / Math.PI) * 0.044715));
  }

  /** Rows [0, at) and [at, inputDim) of the input projection. */
  inputSplit(at: number): { own: tf.Tensor2D; shared: tf.Tensor2D } {
    if (this.split?.at !== at) {
      if (this.split) tf.dispose([this.split.own, this.split.shared]);
      const W = P(this.p, 'in.W');
      const [own, shared] = tf.tidy(() => [tf.keep(W.slice([0, 0], [at, -1])), tf.keep(W.slice([at, 0], [-1, -1]))]) as [tf.Tensor2D, tf.Tensor2D];
      this.split = { at, own, shared };
    }
    return this.split;
  }

  dispose(): void {
    tf.dispose(this.all);
    if (this.split) tf.dispose([this.split.own, this.split.shared]);
    this.all.length = 0;
    this.split = undefined;
  }
}

const LN_EPS = 1e-5;

/**
 * Key/value cache for autoregressive decoding: per layer, keys and values of every token seen
 * so far, each of shape [B, H, S, D] (S = tokens cached), plus the derived inference weights
 * (made on the first step, freed with the cache). Caching is useful only at inference.
 */
export class KVCache {
  keys: tf.Tensor4D[] = [];
  values: tf.Tensor4D[] = [];
  length = 0;
  /** @internal derived weights for the parameters this cache was first used with. */
  weights: StepWeights | undefined;
  /** @internal the parameters `weights` were derived from. */
  weightsOf: Params | undefined;
  dispose(): void {
    for (const t of this.keys) t.dispose();
    for (const t of this.values) t.dispose();
    this.keys = [];
    this.values = [];
    this.length = 0;
    this.weights?.dispose();
    this.weights = undefined;
    this.weightsOf = undefined;
  }
}

/**
 * Input of one decoding step given in two parts (rollouts: every twin of an arm shares the
 * time and exposure features of a step, so they are projected once per distinct row):
 * `own` [B, P] the first P token features of each sequence, `shared` [G, F - P] the remaining
 * features of G distinct rows, and `group` which row each sequence uses (null when G = 1).
 * Equivalent to the full token [own | shared[group]] up to float32 rounding.
 */
export interface SplitToken {
  readonly own: tf.Tensor2D;
  readonly shared: tf.Tensor2D;
  readonly group: tf.Tensor1D | null;
}

function checkStep(c: ModelConfig, B: number, F: number, cache: KVCache, where: string): void {
  if (F !== c.inputDim) throw new RangeError(`${where}: token feature size ${F} does not match inputDim ${c.inputDim}`);
  if (cache.length >= c.blockSize) throw new RangeError(`${where}: cache holds ${cache.length} tokens, blockSize is only ${c.blockSize}`);
  if (cache.length > 0 && cache.keys[0]!.shape[0] !== B) throw new RangeError(`${where}: batch ${B} does not match the cache's batch ${cache.keys[0]!.shape[0]}`);
}

function stepWeights(p: Params, c: ModelConfig, cache: KVCache): StepWeights {
  if (!cache.weights || cache.weightsOf !== p) {
    cache.weights?.dispose();
    cache.weights = new StepWeights(p, c);
    cache.weightsOf = p;
  }
  return cache.weights;
}

/** (x - mean) / sqrt(var + eps) over the last axis of [B, C]; gain and bias live in the next matmul. */
function normalise2d(x: tf.Tensor2D, eps: tf.Scalar): tf.Tensor2D {
  const xc = tf.sub(x, tf.mean(x, -1, true));
  return tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)));
}

/** The transformer body of a decoding step from the input embedding h [B, C] -> head outputs [B, V*3K]. */
function decode(w: StepWeights, c: ModelConfig, h0: tf.Tensor2D, cache: KVCache): tf.Tensor2D {
  const B = h0.shape[0];
  const H = c.nHeads, D = c.dModel / c.nHeads, C = c.dModel;
  const newK: tf.Tensor4D[] = [];
  const newV: tf.Tensor4D[] = [];
  const mm = (a: tf.Tensor2D, W: tf.Tensor2D, bias: tf.Tensor1D) => tf.fused.matMul({ a, b: W, bias }) as tf.Tensor2D;
  const out = tf.tidy(() => {
    let h = h0;
    for (let l = 0; l < c.nLayers; l++) {
      const L = w.layers[l]!;
      const n1 = normalise2d(h, w.eps);
      const q = mm(n1, L.Wq, L.bq).reshape([B, H, 1, D]) as tf.Tensor4D; // already scaled by 1/sqrt(D)
      const k = mm(n1, L.Wk, L.bk).reshape([B, H, 1, D]) as tf.Tensor4D;
      const v = mm(n1, L.Wv, L.bv).reshape([B, H, 1, D]) as tf.Tensor4D;
      const K = (cache.length ? tf.concat([cache.keys[l]!, k], 2) : k) as tf.Tensor4D; // (B, H, S+1, D)
      const Vv = (cache.length ? tf.concat([cache.values[l]!, v], 2) : v) as tf.Tensor4D;
      newK.push(tf.keep(K));
      newV.push(tf.keep(Vv));
      // every cached key is in the past: no mask
      const att = tf.softmax(tf.matMul(q, K, false, true)) as tf.Tensor4D; // (B, H, 1, S+1)
      const y = tf.matMul(att, Vv).reshape([B, C]) as tf.Tensor2D; // (B, H, 1, D) -> (B, C)
      h = tf.add(h, mm(y, L.Wo, L.bo));
      const a = mm(normalise2d(h, w.eps), L.W1, L.b1); // (B, 4C)
      const g = tf.mul(a, tf.sigmoid(tf.mul(a, tf.add(tf.mul(tf.square(a), w.geluB), w.geluA)))) as tf.Tensor2D; // GELU, tanh form
      h = tf.add(h, mm(g, L.W2, L.b2));
    }
    return mm(normalise2d(h, w.eps), w.outW, w.outB);
  });
  const len = cache.length;
  for (const t of cache.keys) t.dispose();
  for (const t of cache.values) t.dispose();
  cache.keys = newK;
  cache.values = newV;
  cache.length = len + 1;
  return out;
}

/**
 * One decoding step with the cache: x [B, 1, F] (the newest token) -> [B, 1, V * 3K].
 * The cache is extended in place (old tensors disposed). Do not call inside tf.tidy.
 */
export function forwardStep(p: Params, c: ModelConfig, x: tf.Tensor3D, cache: KVCache): tf.Tensor3D {
  const [B, T, F] = x.shape;
  if (T !== 1) throw new RangeError(`forwardStep: expects one token per call. Received: T=${T}`);
  checkStep(c, B, F, cache, 'forwardStep');
  const w = stepWeights(p, c, cache);
  const h0 = tf.tidy(() => {
    const x2 = x.reshape([B, F]) as tf.Tensor2D;
    const h = tf.fused.matMul({ a: x2, b: P(p, 'in.W') as tf.Tensor2D, bias: w.inB }) as tf.Tensor2D;
    return c.interaction ? tf.add(h, tokenInteraction(p, c, x2)) as tf.Tensor2D : h;
  });
  const out = decode(w, c, h0, cache);
  h0.dispose();
  const r = tf.tidy(() => (c.residual ? addResidual(c, out, x.reshape([B, F]) as tf.Tensor2D) : out).reshape([B, 1, c.nVars * 3 * c.nMix]) as tf.Tensor3D);
  out.dispose();
  return r;
}

/**
 * forwardStep with the token given as a SplitToken: the shared rows are projected once each.
 * Returns [B, V * 3K].
 */
export function forwardStepSplit(p: Params, c: ModelConfig, x: SplitToken, cache: KVCache): tf.Tensor2D {
  const [B, Pn] = x.own.shape;
  const [G, Q] = x.shared.shape;
  checkStep(c, B, Pn + Q, cache, 'forwardStepSplit');
  if (c.interaction && Pn !== c.ownDim) throw new RangeError(`forwardStepSplit: the own part has ${Pn} features, the model's interaction term splits at ownDim ${c.ownDim}`);
  if (x.group ? x.group.shape[0] !== B : G !== 1) throw new RangeError(`forwardStepSplit: ${x.group ? `group has ${x.group.shape[0]} entries for a batch of ${B}` : `${G} shared rows need a group index`}`);
  const w = stepWeights(p, c, cache);
  const Win = w.inputSplit(Pn);
  const h0 = tf.tidy((): tf.Tensor2D => {
    const own = tf.fused.matMul({ a: x.own, b: Win.own, bias: w.inB }); // (B, C)
    const sh = tf.matMul(x.shared, Win.shared); // (G, C)
    const h = tf.add(own, x.group ? tf.gather(sh, x.group) : sh) as tf.Tensor2D;
    return c.interaction ? tf.add(h, interactionTerm(p, x.own, x.shared, x.group)) as tf.Tensor2D : h;
  });
  const out = decode(w, c, h0, cache);
  h0.dispose();
  if (!c.residual) return out;
  const r = tf.tidy(() => addResidual(c, out, x.own));
  out.dispose();
  return r;
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
