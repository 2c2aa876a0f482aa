/**
 * A checkpoint ensemble: several trained checkpoints that share one tokeniser, used as one model.
 *
 * Each twin is rolled out by one member, chosen by the first uniform of the twin's own stream
 * (member = floor(u * K)); the member's rollout then continues on that stream. The model engine
 * gives a twin the same stream under every arm, so the same member rolls the twin out under
 * every arm and arms stay paired. Over twins the predictive distribution is the equal mixture of
 * the members' (a deep ensemble at the level of whole trajectories: Lakshminarayanan B, Pritzel
 * A, Blundell C. NeurIPS 2017, arXiv:1612.01474), so a trial's effect estimates average the
 * members' effects, and errors the members make in opposite directions cancel. Cost: one
 * member's forward passes per twin, as a single checkpoint; memory: every member's weights.
 *
 * On disk: a folder holding `ensemble.json` and the member checkpoint folders it names:
 *
 *   { "format": "vtrial-ensemble/1", "members": ["s3", "s9"], "note": "why these members" }
 *
 * Member paths are relative to the ensemble folder. Members must have identical tokenisers
 * (variables, statics, exposure codes, normalisation); their architectures may differ.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.js';
import type { ExposureTimeline, TokenizerSpec } from './tokenizer.js';
import type { ModelConfig } from './transformer.js';
import { ensembleMemberDirs, isEnsembleDir, readEnsembleManifest } from './folder.js';
import { TwinModel, type RolloutRequest } from './twin-model.js';

export { ENSEMBLE_FORMAT, ENSEMBLE_FILE, isEnsembleDir, readEnsembleManifest, type EnsembleManifest } from './folder.js';

/** What the model engine and the evaluation scripts ask of a model: a single checkpoint or an ensemble. */
export interface RolloutModel {
  readonly tokenizer: TokenizerSpec;
  readonly config: ModelConfig;
  readonly hash: string;
  readonly dir: string;
  rollout(request: RolloutRequest): Float64Array[];
  dispose(): void;
}

/** Tokeniser identity (what a shared exposure timeline and shared inputs need). */
function tokenizerKey(t: TokenizerSpec): string {
  return JSON.stringify(t);
}

export class TwinEnsemble implements RolloutModel {
  readonly tokenizer: TokenizerSpec;
  /** The first member's architecture (members may differ; each runs its own). */
  readonly config: ModelConfig;
  /** 'ensemble:sha256:' + hex over the members' hashes, in order. */
  readonly hash: string;

  constructor(readonly members: readonly TwinModel[], readonly dir = '', readonly note?: string) {
    if (members.length < 2) throw new RangeError('an ensemble needs at least two members');
    const key = tokenizerKey(members[0]!.tokenizer);
    members.forEach((m, i) => {
      if (tokenizerKey(m.tokenizer) !== key) {
        throw new InputError(`ensemble ${dir || '(in memory)'}: member ${i + 1} (${m.dir || 'in memory'}) has a different tokeniser from member 1 (${members[0]!.dir || 'in memory'})`, [
          '  members must be trained on the same variables, statics and exposure codes with the same normalisation (fine-tunes of one checkpoint, or runs on one cohort with one tokenizerVersion)',
        ]);
      }
    });
    this.tokenizer = members[0]!.tokenizer;
    this.config = members[0]!.config;
    this.hash = 'ensemble:sha256:' + createHash('sha256').update(members.map((m) => m.hash).join('\n')).digest('hex');
  }

  static async load(dir: string): Promise<TwinEnsemble> {
    const m = readEnsembleManifest(dir);
    const dirs = ensembleMemberDirs(dir, m);
    const members: TwinModel[] = [];
    try {
      for (const md of dirs) members.push(await TwinModel.load(md));
      return new TwinEnsemble(members, dir, m.note);
    } catch (e) {
      members.forEach((x) => x.dispose());
      throw e;
    }
  }

  /** Which member rolls each twin out: floor(u * K) from the first uniform of its stream (consumed). */
  assign(request: RolloutRequest): Int32Array {
    const K = this.members.length;
    return Int32Array.from(request.rngs, (r) => Math.min(K - 1, Math.floor(r.uniform() * K)));
  }

  rollout(request: RolloutRequest): Float64Array[] {
    const n = request.rngs.length;
    const nv = request.visitDays.length;
    const V = this.tokenizer.measured.length;
    const who = this.assign(request);
    const out = Array.from({ length: V }, () => new Float64Array(n * nv));
    const perTwin = Array.isArray(request.exposures);
    this.members.forEach((member, k) => {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (who[i] === k) idx.push(i);
      if (idx.length === 0) return;
      const pick = <T>(a: readonly T[]): T[] => idx.map((i) => a[i]!);
      const sub: RolloutRequest = {
        ...request,
        statics: pick(request.statics),
        initial: pick(request.initial),
        rngs: pick(request.rngs),
        exposures: perTwin ? pick(request.exposures as readonly ExposureTimeline[]) : request.exposures,
        prior: request.prior?.map((p) => ({ day: p.day, values: pick(p.values) })),
      };
      const r = member.rollout(sub);
      for (let v = 0; v < V; v++) {
        const src = r[v]!, dst = out[v]!;
        idx.forEach((i, j) => { for (let q = 0; q < nv; q++) dst[i * nv + q] = src[j * nv + q]!; });
      }
    });
    return out;
  }

  dispose(): void {
    this.members.forEach((m) => m.dispose());
  }
}

/** Load a model folder: an ensemble (ensemble.json) or a single checkpoint (manifest.json + weights.bin). */
export async function loadRolloutModel(dir: string): Promise<RolloutModel> {
  return isEnsembleDir(dir) ? TwinEnsemble.load(dir) : TwinModel.load(dir);
}
