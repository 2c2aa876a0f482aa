/**
 * Randomisation: which arm each twin is observed under.
 *
 * Every twin is rolled out under every arm (paired counterfactuals); the allocation decides
 * which arm's outcome the trial analysis observes, exactly as in a real trial.
 *
 * - Simple randomisation (block size 0): each twin draws its arm from its own stream
 *   Rng(seed, twinId, Purpose.randomise), with probabilities proportional to the ratio.
 * - Permuted blocks (block size B): twins are grouped by stratum (sex, age band, tertiles of a
 *   variable), taken in batch order within the stratum, and cut into consecutive blocks of B;
 *   block k of stratum s is a random permutation of B slots holding each arm B * ratio / sum
 *   times, shuffled with the stream Rng(seed, Purpose.randomise, hash(stratum), k).
 *
 * All twins are randomised together in the main process, before the run is split into shards,
 * so the allocation does not depend on the number of workers or shards.
 *
 * Stratified permuted-block randomisation as in ICH E9 (1998) section 2.3.1 and
 * Altman DG, Bland JM. BMJ 1999;318:1209 doi:10.1136/bmj.318.7192.1209.
 */
import { InputError } from '../core/errors.js';
import { hashString, Purpose, Rng } from '../core/rng.js';
import type { TwinBatch } from '../core/simulator.js';
import type { ArmSpec, RandomisationSpec } from '../trial-dsl/spec.js';

/**
 * Age bands used by the `age_band` stratum: [18, 45), [45, 65), [65, ...). These are the
 * conventional adult/middle-aged/older split used in many cardiometabolic trials' stratified
 * randomisation; they are a design choice, not a published constant.
 */
export const AGE_BAND_CUTS: readonly number[] = [45, 65];

export interface Allocation {
  /** Arm index (into spec.arms) per twin, in batch order. */
  readonly arm: Uint8Array;
  /** Stratum label per twin (e.g. "sex=1|age_band=2"); empty string when unstratified. */
  readonly strata: readonly string[];
  /** Twins per arm (same order as spec.arms). */
  readonly counts: readonly number[];
  /** Tertile cut points used for variable strata: variable -> [t1, t2]. */
  readonly tertiles: Readonly<Record<string, readonly [number, number]>>;
}

/** Integer ratio per arm, in arm order (missing arms count 1). */
export function armWeights(rand: RandomisationSpec, arms: readonly ArmSpec[]): number[] {
  return arms.map((a) => {
    const r = rand.ratio[a.id] ?? 1;
    if (!(r > 0) || !Number.isFinite(r)) {
      throw new InputError(`randomisation.ratio.${a.id}: expected a positive number, got ${r}`);
    }
    return r;
  });
}

/** Lower and upper tertile cut points of the finite values (type-7 quantiles). */
export function tertileCuts(values: Float64Array): [number, number] {
  const xs = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return [NaN, NaN];
  const q = (p: number): number => {
    const h = (xs.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, xs.length - 1);
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo]);
  };
  return [q(1 / 3), q(2 / 3)];
}

function band(x: number, cuts: readonly number[]): number {
  if (!Number.isFinite(x)) return -1; // own stratum for missing values
  let b = 0;
  while (b < cuts.length && x >= cuts[b]) b++;
  return b;
}

/** Stratum label of every twin. */
function strataLabels(rand: RandomisationSpec, batch: TwinBatch, tertiles: Record<string, readonly [number, number]>): string[] {
  const n = batch.ids.length;
  const labels: string[] = new Array<string>(n).fill('');
  if (rand.strata.length === 0) return labels;
  const parts: { name: string; code: (i: number) => number }[] = [];
  for (const s of rand.strata) {
    if (s === 'sex') {
      const sex = batch.columns.sex;
      if (!sex) throw new InputError('randomisation.strata: "sex" needs the twins\' sex column, which the population lacks');
      parts.push({ name: 'sex', code: (i) => (Number.isFinite(sex[i]) ? sex[i] : -1) });
    } else if (s === 'age_band') {
      const age = batch.columns.age;
      if (!age) throw new InputError('randomisation.strata: "age_band" needs the twins\' age column, which the population lacks');
      parts.push({ name: 'age_band', code: (i) => band(age[i], AGE_BAND_CUTS) });
    } else {
      const col = batch.columns[s];
      if (!col) {
        throw new InputError(`randomisation.strata: unknown stratum '${s}'`, [
          `expected 'sex', 'age_band' or a baseline variable of the twins (${Object.keys(batch.columns).slice(0, 12).join(', ')}, ...)`,
        ]);
      }
      const cuts = tertileCuts(col);
      tertiles[s] = cuts;
      parts.push({ name: s, code: (i) => band(col[i], cuts) });
    }
  }
  for (let i = 0; i < n; i++) labels[i] = parts.map((p) => `${p.name}=${p.code(i)}`).join('|');
  return labels;
}

/** Fisher-Yates shuffle in place with the given stream. */
function shuffle(a: Uint8Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * Allocate every twin of the batch to an arm. Deterministic in (seed, twin ids, batch order,
 * strata), independent of how the run is later split into shards.
 */
export function randomise(rand: RandomisationSpec, arms: readonly ArmSpec[], batch: TwinBatch, seed: number): Allocation {
  if (arms.length === 0) throw new InputError('arms: a trial needs at least one arm');
  if (arms.length > 255) throw new InputError(`arms: at most 255 arms are supported, got ${arms.length}`);
  const n = batch.ids.length;
  const weights = armWeights(rand, arms);
  const total = weights.reduce((s, w) => s + w, 0);
  const tertiles: Record<string, readonly [number, number]> = {};
  const strata = strataLabels(rand, batch, tertiles);
  const arm = new Uint8Array(n);

  if (!rand.blockSize) {
    // simple randomisation: one draw per twin from its own stream
    const cum: number[] = [];
    let acc = 0;
    for (const w of weights) cum.push((acc += w) / total);
    for (let i = 0; i < n; i++) {
      const u = new Rng(seed, batch.ids[i], Purpose.randomise).uniform();
      let k = 0;
      while (k < cum.length - 1 && u >= cum[k]) k++;
      arm[i] = k;
    }
  } else {
    const B = rand.blockSize;
    const perBlock = weights.map((w) => (B * w) / total);
    if (!Number.isInteger(B) || B < 0 || perBlock.some((c) => !Number.isInteger(c))) {
      throw new InputError(`randomisation.block_size: ${B} cannot hold the ratio ${weights.join(':')} in whole twins`, [
        `use a multiple of ${weights.every(Number.isInteger) ? weights.reduce((s, w) => s + w, 0) : 'the summed integer ratio'}`,
      ]);
    }
    const template = new Uint8Array(B);
    let pos = 0;
    perBlock.forEach((c, k) => {
      for (let j = 0; j < c; j++) template[pos++] = k;
    });
    // twins of each stratum in batch order
    const members = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      let list = members.get(strata[i]);
      if (!list) members.set(strata[i], (list = []));
      list.push(i);
    }
    for (const [label, list] of members) {
      const sHash = hashString(label);
      for (let start = 0, block = 0; start < list.length; start += B, block++) {
        const slots = template.slice();
        shuffle(slots, new Rng(seed, Purpose.randomise, sHash, block));
        const end = Math.min(start + B, list.length);
        for (let j = start; j < end; j++) arm[list[j]] = slots[j - start];
      }
    }
  }
  const counts = arms.map(() => 0);
  for (let i = 0; i < n; i++) counts[arm[i]]++;
  return { arm, strata, counts, tertiles };
}
