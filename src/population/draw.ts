/**
 * Drawing the twins of a trial: synthetic candidates filtered by eligibility (with conditional
 * sampling on the latent Gaussian for narrow populations), optionally tilted to reported
 * baseline means/SDs, or real participants read from a file.
 */
import { hashString, Rng } from '../core/rng.js';
import { InputError } from '../core/errors.js';
import type { TwinBatch } from '../core/simulator.js';
import type { EligibilityGroup, EligibilityRule, PopulationSpec, RangeRule, SexRule } from '../trial-dsl/spec.js';
import { VARIABLES } from './catalog.js';
import { drawBaseline, NVAR, VAR_INDEX, conditionProbability, type BaselineOptions, type LatentCondition } from './baseline.js';
import { appliesToSex, conditionFor, isFlagRule, passes, passesAll, passesGroups, rowValue, screenedVariables, screeningValues, validateRules } from './eligibility.js';

export interface DrawResult {
  readonly batch: TwinBatch;
  /** Candidates generated (synthetic) or participants read (file). */
  readonly draws: number;
  readonly method: string;
  readonly warnings: string[];
  /**
   * Synthetic draws: the candidate id behind each twin (twin i was candidate candidateIds[i]);
   * its baseline and screening streams are keyed by this id.
   */
  readonly candidateIds?: Uint32Array;
}

const TILT = hashString('baseline-tilt');
const PILOT = 3000;
/** A drawn share of a yes/no flag further than this from its target is reported. */
const FLAG_SHARE_TOLERANCE = 0.02;
/** Most candidates drawn before giving up on a population (reported, never silent). */
export const MAX_DRAWS = 5_000_000;

interface Plan {
  readonly opts: BaselineOptions;
  readonly rules: readonly EligibilityRule[];
  /** Any-of / count-of rules: judged by rejection on the screening values. */
  readonly groups: readonly EligibilityGroup[];
  readonly cond?: LatentCondition;
  readonly pMax: number;
  readonly method: string;
}

/** Ages the adult generator draws (years). */
const GENERATOR_AGES: readonly [number, number] = [18, 80];

/**
 * Rules on age become truncation of the age distribution; rules on sex are in pop.sex.
 * Sex-specific age ranges truncate a one-sex stratum directly; when both sexes are drawn
 * together, ages span both ranges and each sex's range is kept as a rule, checked by rejection.
 * Rules for the other sex of a one-sex stratum are dropped (they restrict no one in it).
 */
function splitAge(rules: readonly EligibilityRule[], sex: SexRule): { ageMin: number; ageMax: number; rest: EligibilityRule[]; noOne: number[] } {
  const bounds = [[...GENERATOR_AGES], [...GENERATOR_AGES]]; // men, women
  const sexes = sex === 'M' ? [0] : sex === 'F' ? [1] : [0, 1];
  const rest: EligibilityRule[] = [];
  for (const r of rules) {
    if (!sexes.some((s) => appliesToSex(r, s))) continue;
    if (r.variable === 'age' && !isFlagRule(r)) {
      const rr = r as RangeRule;
      for (const s of sexes) {
        if (!appliesToSex(rr, s)) continue;
        if (rr.min !== undefined) bounds[s][0] = Math.max(bounds[s][0], rr.min);
        if (rr.max !== undefined) bounds[s][1] = Math.min(bounds[s][1], rr.max);
      }
      if (rr.sex !== undefined && sexes.length > 1) rest.push(r);
    } else rest.push(r);
  }
  const open = sexes.filter((s) => bounds[s][0] <= bounds[s][1]);
  if (open.length === 0) {
    const [lo, hi] = bounds[sexes[0]];
    const who = sexes.length === 1 ? (sexes[0] === 1 ? ' for women' : ' for men') : '';
    throw new InputError(`eligibility: age range [${lo}, ${hi}]${who} is empty for the adult generator (ages ${GENERATOR_AGES[0]}-${GENERATOR_AGES[1]})`);
  }
  return {
    ageMin: Math.min(...open.map((s) => bounds[s][0])),
    ageMax: Math.max(...open.map((s) => bounds[s][1])),
    rest,
    noOne: sexes.filter((s) => !open.includes(s)),
  };
}

/**
 * Pilot draws estimate each rule's pass rate; the rarest rule that maps to one latent score is
 * sampled directly. Any-of / count-of groups are never the conditioned rule (conditioning on one
 * option would exclude those who meet only another): they are checked by rejection, and their
 * pass rate counts towards the choice between plain rejection and conditional sampling.
 */
function plan(seed: number, opts: BaselineOptions, rules: readonly EligibilityRule[], groups: readonly EligibilityGroup[]): Plan {
  const byGroups = groups.length ? `; ${groups.length === 1 ? 'the any-of/count-of rule' : `${groups.length} any-of/count-of rules`} by rejection` : '';
  if (rules.length === 0 && groups.length === 0) return { opts, rules, groups, pMax: 1, method: 'unconditional draws' };
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
    if (ok && passesGroups(groups, obs)) all++;
  }
  if (all / PILOT >= 0.05) return { opts, rules, groups, pMax: 1, method: `rejection sampling (pilot pass rate ${(all / PILOT).toFixed(3)})${byGroups}` };
  let best = -1;
  let bestRate = Infinity;
  rules.forEach((r, k) => {
    if (conditionFor(r) && passCount[k] / PILOT < bestRate) {
      best = k;
      bestRate = passCount[k] / PILOT;
    }
  });
  if (best < 0) return { opts, rules, groups, pMax: 1, method: `rejection sampling (pilot pass rate ${(all / PILOT).toFixed(4)})${byGroups}` };
  const cond = conditionFor(rules[best])!;
  let pMax = 0;
  const sexes = opts.sex === 'M' ? [0] : opts.sex === 'F' ? [1] : [0, 1];
  for (const s of sexes) for (let a = opts.ageMin ?? 18; a <= (opts.ageMax ?? 80) + 1; a += 0.5) pMax = Math.max(pMax, conditionProbability(cond, s, a));
  if (pMax <= 0) throw new InputError(`eligibility: no adult can satisfy the rule on '${rules[best].variable}' under the generator`);
  return { opts, rules, groups, cond, pMax, method: `conditional sampling on the latent score of '${rules[best].variable}', then rejection on the other rules${byGroups}` };
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
    if (!passesAll(p.rules, obs) || !passesGroups(p.groups, obs)) continue;
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

/**
 * Weighted selection that meets flag shares exactly up to rounding. Weighted sampling without
 * replacement of n from a 4n pool under-reaches tilted shares (inclusion is not proportional to
 * weight when a quarter of the pool is taken: a 0.50 target lands near 0.44), so each cell of the
 * flag combinations gets a quota from its tilted weight (largest remainder) and is filled in key
 * order; a cell with too few candidates is topped up from the best remaining keys of its group.
 * Groups are the sexes when they were drawn apart (sex -1 = everyone).
 *
 * `order`: pool indices sorted by selection key, best first. Returns the chosen pool indices.
 */
function flagQuotaSelect(order: readonly number[], rows: readonly Float64Array[], w: Float64Array, flagCols: readonly number[], groups: readonly { sex: number; n: number }[]): number[] {
  const cellOf = (i: number): number => flagCols.reduce((c, j, b) => c | (rows[i][j] === 1 ? 1 << b : 0), 0);
  const nCells = 1 << flagCols.length;
  const chosen: number[] = [];
  for (const g of groups) {
    const members = order.filter((i) => g.sex < 0 || (rows[i][VAR_INDEX.sex] === 1 ? 1 : 0) === g.sex);
    const weight = new Float64Array(nCells);
    for (const i of members) weight[cellOf(i)] += w[i];
    const total = weight.reduce((a, b) => a + b, 0);
    const exact = Array.from(weight, (x) => (total > 0 ? (g.n * x) / total : 0));
    const quota = exact.map(Math.floor);
    let left = g.n - quota.reduce((a, b) => a + b, 0);
    const byRemainder = exact.map((x, c) => [x - Math.floor(x), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, c] of byRemainder) if (left-- > 0) quota[c]++;
    const taken = new Set<number>();
    for (const i of members) {
      const c = cellOf(i);
      if (quota[c] > 0) {
        quota[c]--;
        taken.add(i);
      }
    }
    for (const i of members) {
      if (taken.size >= g.n) break;
      taken.add(i);
    }
    chosen.push(...taken);
  }
  return chosen;
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
  const groups = pop.eligibilityGroups ?? [];
  const problems = validateRules(pop.eligibility, groups);
  for (const t of pop.baseline) if (VAR_INDEX[t.variable] === undefined) problems.push(`baseline: unknown variable '${t.variable}'`);
  if (problems.length) throw new InputError('population: invalid specification', problems);
  const targets = pop.baseline.filter((t) => t.mean !== undefined || t.sd !== undefined);
  const poolFactor = targets.length ? 4 : 1;
  const strata: { sex: SexRule; count: number; offset: number; stride: number }[] = [];
  if (pop.femaleShare !== undefined && pop.sex === 'any') {
    const nF = Math.round(pop.n * pop.femaleShare);
    strata.push({ sex: 'M', count: (pop.n - nF) * poolFactor, offset: 0, stride: 2 });
    strata.push({ sex: 'F', count: nF * poolFactor, offset: 1, stride: 2 });
  } else {
    strata.push({ sex: pop.sex, count: pop.n * poolFactor, offset: 0, stride: 1 });
  }
  let rows: Float64Array[] = [];
  let ids: number[] = [];
  let draws = 0;
  const methods: string[] = [];
  for (const st of strata) {
    if (st.count === 0) continue;
    const { ageMin, ageMax, rest, noOne } = splitAge(pop.eligibility, st.sex);
    for (const s of noOne) warnings.push(`eligibility: no ${s === 1 ? 'woman' : 'man'} meets the age rules, so every twin is a ${s === 1 ? 'man' : 'woman'}`);
    const p = plan(seed, { sex: st.sex, ageMin, ageMax }, rest, groups);
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
    // yes/no flags with a share target: the selection below fills each flag cell to its quota,
    // which needs the tilt to keep the sexes at the female share when the sexes are drawn apart
    const flagTargets = targets.filter((t) => t.mean !== undefined && VARIABLES[VAR_INDEX[t.variable]]?.kind === 'flag');
    if (flagTargets.length && strata.length > 1) {
      feats.push(Float64Array.from(rows, (r) => (r[VAR_INDEX.sex] === 1 ? 1 : 0)));
      goals.push(Math.round(pop.n * (pop.femaleShare ?? 0)) / pop.n);
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
    if (flagTargets.length) {
      const nF = Math.round(pop.n * (pop.femaleShare ?? 0));
      const groups = strata.length > 1 ? [{ sex: 1, n: nF }, { sex: 0, n: pop.n - nF }] : [{ sex: -1, n: pop.n }];
      chosen = flagQuotaSelect(keys.map((k) => k.i), rows, w, flagTargets.map((t) => VAR_INDEX[t.variable]), groups).sort((a, b) => ids[a] - ids[b]);
    } else if (strata.length > 1) {
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
      if (flagTargets.includes(t)) {
        // one twin moves the share by 1/n: closer than that cannot be asked
        if (Math.abs(m - t.mean!) > Math.max(FLAG_SHARE_TOLERANCE, 1 / x.length)) warnings.push(`baseline target ${t.variable} share ${t.mean}: reached ${m.toFixed(3)}`);
        continue;
      }
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
    ids = order.map((i) => ids[i]);
  }
  const batch = toBatch(rows);
  // the screening readings the rules were checked on, re-derived from each twin's candidate id
  const screened = screenedVariables(pop.eligibility, groups);
  if (screened.length) {
    const obs = new Float64Array(NVAR);
    const cols = screened.map((id) => [id, new Float64Array(rows.length)] as const);
    rows.forEach((r, i) => {
      screeningValues(seed, ids[i], r, obs);
      for (const [id, c] of cols) c[i] = obs[VAR_INDEX[id]];
    });
    return { batch: { ...batch, screening: Object.fromEntries(cols) }, draws, method, warnings, candidateIds: Uint32Array.from(ids) };
  }
  return { batch, draws, method, warnings, candidateIds: Uint32Array.from(ids) };
}

/**
 * Draw the twins of a population. Synthetic populations are generated; `source: file` reads real
 * participants (CSV wide or long/MEDS, Parquet) relative to `baseDir`.
 */
export async function drawTwins(pop: PopulationSpec, opts: { seed: number; baseDir: string }): Promise<DrawResult> {
  if (pop.source === 'file') {
    if (pop.eligibilityGroups?.length) {
      throw new InputError('population.eligibility: any_of and count_of are not yet applied to participants read from a file', [
        'use plain eligibility rules with population.source: file, or draw synthetic twins',
      ]);
    }
    const { readParticipants } = await import('./participants.js');
    return readParticipants(pop, opts);
  }
  return drawSynthetic(pop, opts.seed);
}
