/**
 * Drawing the twins of a trial: synthetic candidates filtered by eligibility (with conditional
 * sampling on the latent Gaussian for narrow populations), optionally tilted to reported
 * baseline means/SDs, or real participants read from a file.
 */
import { hashString, Rng } from '../core/rng.js';
import { InputError } from '../core/errors.js';
import type { TwinBatch } from '../core/simulator.js';
import type { EligibilityRule, PopulationSpec, RangeRule } from '../trial-dsl/spec.js';
import { VARIABLES } from './catalog.js';
import { drawBaseline, NVAR, VAR_INDEX, conditionProbability, type BaselineOptions, type LatentCondition } from './baseline.js';
import { conditionFor, isFlagRule, passes, passesAll, rowValue, screeningValues, validateRules } from './eligibility.js';

export interface DrawResult {
  readonly batch: TwinBatch;
  /** Candidates generated (synthetic) or participants read (file). */
  readonly draws: number;
  readonly method: string;
  readonly warnings: string[];
}

const TILT = hashString('baseline-tilt');
const PILOT = 3000;
/** Most candidates drawn before giving up on a population (reported, never silent). */
export const MAX_DRAWS = 5_000_000;

interface Plan {
  readonly opts: BaselineOptions;
  readonly rules: readonly EligibilityRule[];
  readonly cond?: LatentCondition;
  readonly pMax: number;
  readonly method: string;
}

/** Rules on age become truncation of the age distribution; rules on sex are in pop.sex. */
function splitAge(rules: readonly EligibilityRule[]): { ageMin: number; ageMax: number; rest: EligibilityRule[] } {
  let ageMin = 18;
  let ageMax = 80;
  const rest: EligibilityRule[] = [];
  for (const r of rules) {
    if (r.variable === 'age' && !isFlagRule(r)) {
      const rr = r as RangeRule;
      if (rr.min !== undefined) ageMin = Math.max(ageMin, rr.min);
      if (rr.max !== undefined) ageMax = Math.min(ageMax, rr.max);
    } else rest.push(r);
  }
  if (ageMin > ageMax) throw new InputError(`eligibility: age range [${ageMin}, ${ageMax}] is empty for the adult generator (ages 18-80)`);
  return { ageMin, ageMax, rest };
}

/** Pilot draws estimate each rule's pass rate; the rarest rule that maps to one latent score is sampled directly. */
function plan(seed: number, opts: BaselineOptions, rules: readonly EligibilityRule[]): Plan {
  if (rules.length === 0) return { opts, rules, pMax: 1, method: 'unconditional draws' };
  const truth = new Float64Array(NVAR);
  const obs = new Float64Array(NVAR);
  const passCount = new Array<number>(rules.length).fill(0);
  let all = 0;
  const base = 0x7fff0000; // pilot candidates use ids far from the real ones
  for (let i = 0; i < PILOT; i++) {
    drawBaseline(seed, base + i, opts, truth);
    screeningValues(seed, base + i, truth, obs);
    let ok = true;
    rules.forEach((r, k) => {
      if (passes(r, obs)) passCount[k]++;
      else ok = false;
    });
    if (ok) all++;
  }
  if (all / PILOT >= 0.05) return { opts, rules, pMax: 1, method: `rejection sampling (pilot pass rate ${(all / PILOT).toFixed(3)})` };
  let best = -1;
  let bestRate = Infinity;
  rules.forEach((r, k) => {
    if (conditionFor(r) && passCount[k] / PILOT < bestRate) {
      best = k;
      bestRate = passCount[k] / PILOT;
    }
  });
  if (best < 0) return { opts, rules, pMax: 1, method: `rejection sampling (pilot pass rate ${(all / PILOT).toFixed(4)})` };
  const cond = conditionFor(rules[best])!;
  let pMax = 0;
  const sexes = opts.sex === 'M' ? [0] : opts.sex === 'F' ? [1] : [0, 1];
  for (const s of sexes) for (let a = opts.ageMin ?? 18; a <= (opts.ageMax ?? 80) + 1; a += 0.5) pMax = Math.max(pMax, conditionProbability(cond, s, a));
  if (pMax <= 0) throw new InputError(`eligibility: no adult can satisfy the rule on '${rules[best].variable}' under the generator`);
  return { opts, rules, cond, pMax, method: `conditional sampling on the latent score of '${rules[best].variable}', then rejection on the other rules` };
}

/**
 * Draw `count` eligible candidates. Candidate ids are `idOffset + idStride * k` (k = 0, 1, ...),
 * so strata use disjoint id sets. Returns rows of true values and the number of candidates drawn.
 */
function drawEligible(seed: number, p: Plan, count: number, idOffset: number, idStride: number): { rows: Float64Array[]; ids: number[]; draws: number } {
  const rows: Float64Array[] = [];
  const ids: number[] = [];
  const obs = new Float64Array(NVAR);
  let k = 0;
  let truth = new Float64Array(NVAR);
  while (rows.length < count) {
    if (k >= MAX_DRAWS) {
      throw new InputError(
        `eligibility: only ${rows.length} of ${count} twins found in ${MAX_DRAWS.toLocaleString('en-US')} candidates`,
        ['the rules select too rare a population for the adult generator; widen the ranges or lower population.n'],
      );
    }
    const id = idOffset + idStride * k++;
    const pc = drawBaseline(seed, id, p.opts, truth, p.cond);
    if (p.cond) {
      // accept (sex, age) with probability P(condition | sex, age) / max: exact rejection sampling
      const u = new Rng(seed, id, hashString('eligibility-accept')).uniform();
      if (u * p.pMax > pc) continue;
    }
    screeningValues(seed, id, truth, obs);
    if (!passesAll(p.rules, obs)) continue;
    rows.push(truth);
    ids.push(id);
    truth = new Float64Array(NVAR);
  }
  return { rows, ids, draws: k };
}

/** Exponential tilting weights w_i = exp(theta . t_i) matching target moments; returns weights or throws. */
export function tiltWeights(features: Float64Array[], targets: number[]): Float64Array {
  const n = features[0].length;
  const k = features.length;
  const theta = new Float64Array(k);
  const w = new Float64Array(n);
  for (let iter = 0; iter < 100; iter++) {
    let maxLog = -Infinity;
    const lw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += theta[j] * features[j][i];
      lw[i] = s;
      if (s > maxLog) maxLog = s;
    }
    let tot = 0;
    for (let i = 0; i < n; i++) tot += w[i] = Math.exp(lw[i] - maxLog);
    for (let i = 0; i < n; i++) w[i] /= tot;
    // gradient g = E_w[t] - target, Hessian H = Cov_w[t]
    const mean = new Float64Array(k);
    for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) mean[j] += w[i] * features[j][i];
    const g = Array.from(mean, (m, j) => m - targets[j]);
    if (Math.max(...g.map(Math.abs)) < 1e-6) break;
    const H: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let a = 0; a < k; a++)
      for (let b = a; b < k; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += w[i] * (features[a][i] - mean[a]) * (features[b][i] - mean[b]);
        H[a][b] = H[b][a] = s + (a === b ? 1e-9 : 0);
      }
    const step = solve(H, g);
    let scale = 1;
    const maxStep = Math.max(...step.map(Math.abs));
    if (maxStep > 2) scale = 2 / maxStep;
    for (let j = 0; j < k; j++) theta[j] -= scale * step[j];
  }
  return w;
}

function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / d;
      for (let cc = c; cc <= n; cc++) M[r][cc] -= f * M[c][cc];
    }
  }
  return M.map((r, i) => r[n] / (r[i] || 1e-12));
}

function toBatch(rows: Float64Array[]): TwinBatch {
  const n = rows.length;
  const columns: Record<string, Float64Array> = {};
  VARIABLES.forEach((v, j) => {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = rows[i][j];
    columns[v.id] = c;
  });
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return { ids, columns };
}

/** Draw synthetic twins for a population (eligibility, sex share, baseline targets). */
export function drawSynthetic(pop: PopulationSpec, seed: number): DrawResult {
  const warnings: string[] = [];
  const problems = validateRules(pop.eligibility);
  for (const t of pop.baseline) if (VAR_INDEX[t.variable] === undefined) problems.push(`baseline: unknown variable '${t.variable}'`);
  if (problems.length) throw new InputError('population: invalid specification', problems);
  const { ageMin, ageMax, rest } = splitAge(pop.eligibility);
  const targets = pop.baseline.filter((t) => t.mean !== undefined || t.sd !== undefined);
  const poolFactor = targets.length ? 4 : 1;
  const strata: { opts: BaselineOptions; count: number; offset: number; stride: number }[] = [];
  if (pop.femaleShare !== undefined && pop.sex === 'any') {
    const nF = Math.round(pop.n * pop.femaleShare);
    strata.push({ opts: { sex: 'M', ageMin, ageMax }, count: (pop.n - nF) * poolFactor, offset: 0, stride: 2 });
    strata.push({ opts: { sex: 'F', ageMin, ageMax }, count: nF * poolFactor, offset: 1, stride: 2 });
  } else {
    strata.push({ opts: { sex: pop.sex, ageMin, ageMax }, count: pop.n * poolFactor, offset: 0, stride: 1 });
  }
  let rows: Float64Array[] = [];
  let ids: number[] = [];
  let draws = 0;
  const methods: string[] = [];
  for (const st of strata) {
    if (st.count === 0) continue;
    const p = plan(seed, st.opts, rest);
    methods.push(p.method);
    const r = drawEligible(seed, p, st.count, st.offset, st.stride);
    rows = rows.concat(r.rows);
    ids = ids.concat(r.ids);
    draws += r.draws;
  }
  let method = [...new Set(methods)].join('; ');
  if (targets.length) {
    // features: x and (x - target mean)^2 for each target, on the pool
    const feats: Float64Array[] = [];
    const goals: number[] = [];
    for (const t of targets) {
      const x = Float64Array.from(rows, (r) => rowValue(t.variable, r));
      const m = t.mean ?? x.reduce((a, b) => a + b, 0) / x.length;
      if (t.mean !== undefined) {
        feats.push(x);
        goals.push(t.mean);
      }
      if (t.sd !== undefined) {
        feats.push(Float64Array.from(x, (v) => (v - m) ** 2));
        goals.push(t.sd * t.sd);
      }
    }
    const w = tiltWeights(feats, goals);
    // weighted sampling without replacement (Efraimidis & Spirakis, Inf Process Lett 2006;97:181-5
    // doi:10.1016/j.ipl.2005.11.003): keep the n largest u^(1/w), u keyed by candidate id.
    const keys = rows.map((_, i) => {
      const u = new Rng(seed, ids[i], TILT).uniform();
      return { i, key: w[i] > 0 ? Math.log(u) / w[i] : -Infinity };
    });
    keys.sort((a, b) => b.key - a.key || ids[a.i] - ids[b.i]);
    let chosen: number[];
    if (strata.length > 1) {
      // keep the female share: choose within each sex stratum
      const nF = Math.round(pop.n * (pop.femaleShare ?? 0));
      const fem = keys.filter((k) => rows[k.i][VAR_INDEX.sex] === 1).slice(0, nF);
      const men = keys.filter((k) => rows[k.i][VAR_INDEX.sex] !== 1).slice(0, pop.n - nF);
      chosen = [...fem, ...men].map((k) => k.i).sort((a, b) => ids[a] - ids[b]);
    } else chosen = keys.slice(0, pop.n).map((k) => k.i).sort((a, b) => ids[a] - ids[b]);
    rows = chosen.map((i) => rows[i]);
    ids = chosen.map((i) => ids[i]);
    method += `; exponential tilting of a ${poolFactor}x pool to baseline targets`;
    for (const t of targets) {
      const x = rows.map((r) => rowValue(t.variable, r));
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, x.length - 1));
      if (t.mean !== undefined && Math.abs(m - t.mean) > 0.1 * Math.max(sd, Math.abs(t.mean) * 0.02)) {
        warnings.push(`baseline target ${t.variable} mean ${t.mean}: reached ${m.toFixed(2)}`);
      }
      if (t.sd !== undefined && Math.abs(sd - t.sd) > 0.1 * t.sd) warnings.push(`baseline target ${t.variable} sd ${t.sd}: reached ${sd.toFixed(2)}`);
    }
  } else if (strata.length > 1) {
    // interleave strata back into candidate-id order
    const order = ids.map((id, i) => [id, i] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
    rows = order.map((i) => rows[i]);
  }
  return { batch: toBatch(rows), draws, method, warnings };
}

/**
 * Draw the twins of a population. Synthetic populations are generated; `source: file` reads real
 * participants (CSV wide or long/MEDS, Parquet) relative to `baseDir`.
 */
export async function drawTwins(pop: PopulationSpec, opts: { seed: number; baseDir: string }): Promise<DrawResult> {
  if (pop.source === 'file') {
    const { readParticipants } = await import('./participants.js');
    return readParticipants(pop, opts);
  }
  return drawSynthetic(pop, opts.seed);
}
