/**
 * The tokeniser: participant histories -> one token per visit.
 *
 * Granularity: a token is a VISIT PANEL (every variable measured at that visit, with a
 * missing-mask), not one token per measurement. On the 2-core CPU this project targets, compute
 * per token is the constraint; a panel token carries ~40 measurements for the price of one
 * (see docs/model-card.md for the measured comparison). Each token carries:
 *
 *   what   values of every measured variable on its normalised scale (catalog transform, then
 *          per-variable mean/sd from the training data) and a mask (1 = measured);
 *   when   days since baseline as sin/cos at several periods plus a linear term;
 *   who    static covariates: age at baseline, sex, condition and medication flags;
 *   query  the NEXT visit's time and the exposures in force by then (drug and dose, diet
 *          components, exercise, sleep, behaviour) with how long each has been in force, the
 *          planned adherence (ADHERENCE//<code> events; 1 when a cohort has none) and whether
 *          each was already in force at this visit (so an onset between the two is explicit);
 *          from version 3, for an exposure that has stopped, the level it had (times the
 *          adherence planned then) and the time since it stopped, so what happens after a diet
 *          or a drug ends (slow regain, a drug effect washing out) can be learned; from version
 *          4, also the level times the planned adherence (the dose actually planned to be taken),
 *          so an effect that scales with both is linear in one input feature; version 5 instead
 *          multiplies an exposure's level, in-force flag and years on by its planned adherence,
 *          so every query feature of an exposure just starting is proportional to the adherence
 *          (no input says "on the drug" apart from how much of it is taken).
 *
 * The transformer at token i outputs a predictive distribution for every variable at visit
 * i + 1: the query "variable v at time t under these exposures" is part of the token, so
 * forecasting and intervention simulation are the same operation.
 */
import { findVariable, resolveColumn, type Transform, type VariableDef } from '../population/catalog.js';
import { findDrug } from '../population/interventions.js';
import { InputError } from '../core/errors.js';
import type { Cohort, CohortSubject } from './cohort.js';

/** Periods (days) of the sin/cos time encoding: 4 years, 1 year, 6, 3 and 1 month. */
export const TIME_PERIODS = [1461, 365.25, 182.625, 91.3125, 30.4375] as const;
/** Exposure duration feature saturates at this many years. */
export const YEARS_ON_CAP = 2;
/**
 * Version 6: time constants (years) of the step-kinetics features. For an exposure in force at the
 * next visit, level x (exp(-a0/tau) - exp(-a1/tau)), where a1 is its years on at the next visit and
 * a0 = max(0, a1 - step): the share of a first-order approach with time constant tau that happens
 * during this step; for a stopped one the same over the years since the stop, times its former
 * level x adherence. A one-month constant suits drug onsets and washouts, a one-year one the
 * slow weight course (Hall KD et al. Lancet 2011;378:826-37 doi:10.1016/S0140-6736(11)60812-X:
 * half of the weight change in about a year). Without them the step's share must be computed by
 * the network from linear years-on and step-length inputs, and the bundled model's weight effect
 * follows the number of steps rather than the time (docs/model-card.md, session 12).
 */
export const KINETIC_TAUS = [30.4375 / 365.25, 1] as const;

/**
 * Day of the screening visit relative to the baseline visit (day 0), for twins drawn on
 * eligibility rules: two weeks. A modelling choice, not a published figure: the reference world
 * screens and measures baseline on the same true values, so only the gap's time features depend
 * on it. The model engine (version-8 tokens) and the training supplements
 * (scripts/model-cohort-supplement.mjs --screening-visit) use the same day.
 */
export const SCREENING_DAY = -14;

export interface MeasuredVar {
  readonly id: string;
  readonly transform: Transform;
  /** Mean and SD on the transformed scale, from the training data. */
  readonly mean: number;
  readonly sd: number;
  readonly plausible: readonly [number, number];
  /** Measurement noise (catalog): SD in unit, or CV % of the value. */
  readonly noiseSd?: number;
  readonly noiseCvPct?: number;
}

export interface StaticVar {
  readonly id: string;
  readonly mean: number;
  readonly sd: number;
}

export interface ExposureCode {
  readonly code: string;
  /** Levels are divided by this (95th percentile of non-zero levels in training). */
  readonly scale: number;
}

/**
 * A drug class pooled across its members (statins, GLP-1 agonists, ...): the class's level is
 * the sum over its active drugs of dose / that drug's typical dose, so what is learned from one
 * statin informs the others.
 */
export interface ExposureClass {
  readonly name: string;
  readonly members: readonly { readonly code: string; readonly typicalDose: number }[];
}

/** Everything needed to turn histories into tokens; stored in the checkpoint manifest. */
export interface TokenizerSpec {
  /**
   * 1: three features per exposure and class (level, active, years on); 2: five (also planned
   * adherence at the query time and whether in force at the current visit); 3: seven (also, once
   * stopped, the former level times its planned adherence, and the years since the stop); 4: eight
   * (also the level times the planned adherence at the query time); 5: seven, as 3, with the
   * level, in-force flag and years on of an exposure in force at the query multiplied by its
   * planned adherence (the in-force slot then equals the adherence slot; kept for one layout);
   * 6: version 3's seven and the step-kinetics shares (KINETIC_TAUS); 7: version 6's layout, with
   * a dose change inside one episode (a titration step) carried as one continuing exposure: years
   * on count from the episode's start, and the onset shares are the sum over the episode's
   * changes in level of that change times its own share (a linear first-order system), so a step
   * from 1 to 2.4 mg adds the onset of 1.4 mg, not a fresh start of 2.4 mg. Without dose changes
   * 6 and 7 give the same tokens. 8: version 7's tokens, and measurements dated before time 0
   * (a screening visit before entry, SCREENING_DAY) stay visits on negative days: days count from
   * the first visit at or after time 0, where versions 1-7 count them from the first visit,
   * whatever its date. The screening token's target is the baseline visit, so the model learns
   * what a screening reading says about the baseline and the course (the regression to the mean
   * of a population selected on that reading), and a trial's rollout starts from the same two
   * visits (src/model/simulator.ts).
   */
  readonly version: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
  readonly measured: readonly MeasuredVar[];
  readonly statics: readonly StaticVar[];
  readonly exposures: readonly ExposureCode[];
  /** Drug classes pooled from the exposures (absent in checkpoints written before pooling). */
  readonly classes?: readonly ExposureClass[];
  readonly timePeriods: readonly number[];
  readonly yearsOnCap: number;
}

/** A variable definition supplied by a user catalog file (--catalog) for codes not in ours. */
export interface ExtraVariable {
  readonly id: string;
  readonly transform?: Transform;
  readonly plausible?: readonly [number, number];
  readonly noiseSd?: number;
  readonly static?: boolean;
}

/** A participant's history in model form. Times are days since the first visit (baseline). */
export interface Visit {
  readonly day: number;
  /** Natural-unit values aligned with spec.measured; NaN = not measured. */
  readonly values: Float64Array;
}

/** From `day` on, the exposure is `active` at `level` (a stop sets active false). */
export interface ExposurePoint {
  readonly day: number;
  readonly level: number;
  readonly active: boolean;
}

/** From `day` on, the planned adherence to an exposure is `value` (fraction taken, 0-1). */
export interface AdherencePoint {
  readonly day: number;
  readonly value: number;
}

export interface ExposureTimeline {
  /** code -> change points sorted by day. */
  readonly byCode: ReadonlyMap<string, readonly ExposurePoint[]>;
  /** code -> planned-adherence points sorted by day (absent: taken as prescribed). */
  readonly adherence?: ReadonlyMap<string, readonly AdherencePoint[]>;
}

export interface History {
  readonly id: string;
  /** Natural-unit static values aligned with spec.statics; NaN = unknown. */
  readonly statics: Float64Array;
  readonly visits: Visit[];
  readonly exposures: ExposureTimeline;
}

/**
 * A history as a rollout sees it: the visits before day 0 (screening; version-8 tokens only) as
 * `prior`, and the visits from day 0 on (the first is the initial panel).
 */
export function splitPrior(h: History): { prior: Visit[]; visits: Visit[] } {
  const k = h.visits.findIndex((v) => v.day >= 0);
  return k <= 0 ? { prior: [], visits: k < 0 ? [] : h.visits } : { prior: h.visits.slice(0, k), visits: h.visits.slice(k) };
}

const STATIC_CORE = ['age', 'sex'];
const staticRank = (id: string): number => (STATIC_CORE.includes(id) ? STATIC_CORE.indexOf(id) : STATIC_CORE.length);

/** Code prefixes that are not exposures: static attributes and events (MEDS convention). */
const STATIC_PREFIXES = ['SEX', 'CONDITION', 'STATIC'];
const IGNORED_PREFIXES = ['EVENT'];
/** ADHERENCE//<exposure code>: planned fraction of that exposure taken, from this time on. */
export const ADHERENCE_PREFIX = 'ADHERENCE';

/** 'ADHERENCE//DRUG//x' -> 'DRUG//x'; undefined for any other code. */
export function adherenceTarget(code: string): string | undefined {
  const i = code.indexOf('//');
  if (i < 0 || code.slice(0, i).toUpperCase() !== ADHERENCE_PREFIX) return undefined;
  return exposureStart(code.slice(i + 2)).code;
}

/** An exposure code is CATEGORY//name (or CATEGORY_STOP//name, which stops it), other than SEX//, CONDITION//, EVENT//. */
export function isExposureCode(code: string): boolean {
  const i = code.indexOf('//');
  if (i < 0) return false;
  const pre = code.slice(0, i).toUpperCase();
  return !STATIC_PREFIXES.includes(pre) && !IGNORED_PREFIXES.includes(pre) && pre !== ADHERENCE_PREFIX;
}

/** 'DRUG_STOP//x' -> 'DRUG//x' (a stop), anything else unchanged. */
export function exposureStart(code: string): { code: string; stop: boolean } {
  const i = code.indexOf('//');
  const pre = code.slice(0, i);
  if (pre.toUpperCase().endsWith('_STOP')) return { code: pre.slice(0, -5) + code.slice(i), stop: true };
  return { code, stop: false };
}

export function forwardTransform(t: Transform, x: number): number {
  switch (t) {
    case 'identity': return x;
    case 'log': return Math.log(Math.max(x, 1e-6));
    case 'logit100': {
      const p = Math.min(Math.max(x / 100, 1e-4), 1 - 1e-4);
      return Math.log(p / (1 - p));
    }
  }
}

export function inverseTransform(t: Transform, y: number): number {
  switch (t) {
    case 'identity': return y;
    case 'log': return Math.exp(y);
    case 'logit100': return 100 / (1 + Math.exp(-y));
  }
}

export function normalise(v: MeasuredVar, x: number): number {
  return (forwardTransform(v.transform, x) - v.mean) / v.sd;
}

export function denormalise(v: MeasuredVar, z: number): number {
  const x = inverseTransform(v.transform, z * v.sd + v.mean);
  return Math.min(Math.max(x, v.plausible[0]), v.plausible[1]);
}

/** Feature layout of a token. */
export function featureLayout(spec: TokenizerSpec) {
  const V = spec.measured.length;
  const S = spec.statics.length;
  const E = spec.exposures.length;
  const C = spec.classes?.length ?? 0;
  const P = spec.timePeriods.length;
  const time = 2 * P + 1;
  const o = { values: 0, mask: V, statics: 2 * V, time: 2 * V + S, qtime: 2 * V + S + time, qdt: 2 * V + S + 2 * time, hasQuery: 2 * V + S + 2 * time + 1, expo: 2 * V + S + 2 * time + 2 };
  // per exposure: level / scale, active (0/1), years on (capped) [, planned adherence, in force
  // at the current visit (0/1) from version 2] [, former level x adherence, years off (capped)
  // from version 3] [, level x planned adherence from version 4]; then per drug class the same.
  // Version 5: version 3's seven, the first three times the planned adherence. Version 6:
  // version 3's seven, then the shares of first-order onsets and washouts in the step
  // (KINETIC_TAUS, stepShare).
  const F = spec.version >= 6 ? 7 + 2 * KINETIC_TAUS.length : spec.version === 4 ? 8 : spec.version >= 3 ? 7 : spec.version === 2 ? 5 : 3;
  const classes = o.expo + F * E;
  const dim = classes + F * C;
  return { V, S, E, C, P, F, dim, offsets: { ...o, classes } };
}

type Classified =
  | { kind: 'measured' | 'unknown' | 'ignored'; id: string; def?: VariableDef }
  | { kind: 'static'; id: string; def?: VariableDef; value?: number }
  | { kind: 'exposure'; id: string; stop: boolean }
  | { kind: 'adherence'; id: string };

function classify(code: string, extra: ReadonlyMap<string, ExtraVariable>): Classified {
  const i = code.indexOf('//');
  if (i >= 0) {
    const pre = code.slice(0, i).toUpperCase();
    const name = code.slice(i + 2);
    if (IGNORED_PREFIXES.includes(pre)) return { kind: 'ignored', id: code };
    if (pre === ADHERENCE_PREFIX) return { kind: 'adherence', id: exposureStart(name).code };
    if (pre === 'SEX') {
      const l = name.toUpperCase();
      if (l === 'F' || l === 'FEMALE') return { kind: 'static', id: 'sex', value: 1 };
      if (l === 'M' || l === 'MALE') return { kind: 'static', id: 'sex', value: 0 };
      return { kind: 'unknown', id: code };
    }
    if (pre === 'CONDITION' || pre === 'STATIC') {
      const id = resolveColumn(name) ?? name;
      const def = findVariable(id);
      if (def) return { kind: 'static', id: def.id, def };
      const x = extra.get(name);
      return x ? { kind: 'static', id: x.id } : { kind: 'unknown', id: code };
    }
    const e = exposureStart(code);
    return { kind: 'exposure', id: e.code, stop: e.stop };
  }
  const id = resolveColumn(code) ?? code;
  const def = findVariable(id);
  if (def) {
    if (STATIC_CORE.includes(def.id) || def.kind === 'flag' || !def.measurable) return { kind: 'static', id: def.id, def };
    return { kind: 'measured', id: def.id, def };
  }
  const x = extra.get(code) ?? extra.get(code.toLowerCase());
  if (x) return { kind: x.static ? 'static' : 'measured', id: x.id };
  return { kind: 'unknown', id: code };
}

/** Flags absent from a participant's record are 0 (MEDS lists only present conditions). */
function staticDefault(id: string): number {
  const d = findVariable(id);
  return d && d.kind === 'flag' ? 0 : NaN;
}

/**
 * Build the vocabulary and normalisation from a training cohort. Unknown codes (not in the
 * catalog, not an exposure, not in `extra`) are rejected with the list of them.
 */
export function fitTokenizer(cohort: Cohort, extra: readonly ExtraVariable[] = [], version: 3 | 4 | 5 | 6 | 7 | 8 = 3): TokenizerSpec {
  const extraMap = new Map(extra.map((x) => [x.id, x] as const));
  const meas = new Map<string, { sum: number; sum2: number; n: number; t: Transform; def?: VariableDef; x?: ExtraVariable }>();
  const stat = new Map<string, { sum: number; sum2: number; n: number }>();
  const expo = new Map<string, number[]>();
  const unknown = new Map<string, number>();
  const badAdherence: string[] = [];
  for (const s of cohort.subjects) {
    for (const e of s.events) {
      const c = classify(e.code, extraMap);
      if (c.kind === 'unknown') { unknown.set(e.code, (unknown.get(e.code) ?? 0) + 1); continue; }
      if (c.kind === 'ignored') continue;
      if (c.kind === 'adherence') {
        if (!(e.value >= 0 && e.value <= 1)) badAdherence.push(`  subject ${s.id}, day ${e.time}: ${e.code} = ${e.value}`);
        continue;
      }
      if (c.kind === 'exposure') {
        let a = expo.get(c.id);
        if (!a) expo.set(c.id, (a = []));
        if (!c.stop && Number.isFinite(e.value) && e.value !== 0) a.push(Math.abs(e.value));
      } else if (c.kind === 'static') {
        const val = c.value ?? (Number.isFinite(e.value) ? e.value : 1);
        let a = stat.get(c.id);
        if (!a) stat.set(c.id, (a = { sum: 0, sum2: 0, n: 0 }));
        a.sum += val; a.sum2 += val * val; a.n++;
      } else {
        if (!Number.isFinite(e.value)) continue;
        const x = extraMap.get(c.id);
        const t: Transform = c.def?.modelTransform ?? c.def?.transform ?? x?.transform ?? 'identity';
        let a = meas.get(c.id);
        if (!a) meas.set(c.id, (a = { sum: 0, sum2: 0, n: 0, t, def: c.def, x }));
        const y = forwardTransform(t, e.value);
        a.sum += y; a.sum2 += y * y; a.n++;
      }
    }
  }
  if (unknown.size) {
    const list = [...unknown.entries()].sort((a, b) => b[1] - a[1]);
    throw new InputError(`${cohort.file}: ${unknown.size} code(s) are neither catalog variables nor exposures (CATEGORY//name)`, [
      ...list.slice(0, 15).map(([c, n]) => `  '${c}' (${n} rows)`),
      ...(list.length > 15 ? [`  ... and ${list.length - 15} more`] : []),
      '  fix: rename them to catalog ids (vtrial catalog lists them), or pass --catalog FILE with a JSON array of',
      '  {"id": "...", "transform": "identity|log|logit100", "plausible": [lo, hi], "noiseSd": n, "static": false}',
    ]);
  }
  if (badAdherence.length) {
    throw new InputError(`${cohort.file}: ${badAdherence.length} ADHERENCE// value(s) outside 0-1`, [
      ...badAdherence.slice(0, 10),
      '  ADHERENCE//<exposure code> carries the planned fraction of the exposure taken (1 = as prescribed)',
    ]);
  }
  const meanSd = (a: { sum: number; sum2: number; n: number }) => {
    const m = a.sum / a.n;
    const v = a.n > 1 ? (a.sum2 - a.n * m * m) / (a.n - 1) : 1;
    return { mean: m, sd: Math.sqrt(Math.max(v, 1e-12)) || 1 };
  };
  const measured: MeasuredVar[] = [...meas.entries()].filter(([, a]) => a.n >= 2).sort(([a], [b]) => a.localeCompare(b)).map(([id, a]) => {
    const { mean, sd } = meanSd(a);
    const cv = a.def ? Math.hypot(a.def.cvi ?? 0, a.def.cva ?? 0) : 0;
    return {
      id, transform: a.t, mean, sd: sd > 1e-9 ? sd : 1,
      plausible: (a.def?.plausible ?? a.x?.plausible ?? [-Infinity, Infinity]) as [number, number],
      ...(a.def?.noiseSd !== undefined ? { noiseSd: a.def.noiseSd } : a.x?.noiseSd !== undefined ? { noiseSd: a.x.noiseSd } : cv > 0 ? { noiseCvPct: cv } : {}),
    };
  });
  if (!stat.has('age') || !stat.has('sex')) {
    throw new InputError(`${cohort.file}: cohort has no '${!stat.has('age') ? 'age' : 'sex'}' rows`, ['  every participant needs age (years) and sex (0 = male, 1 = female) rows, e.g. at time 0']);
  }
  // flags are listed only when present: their mean/sd over participants counts the absent ones as 0
  const nSubj = cohort.subjects.length;
  for (const [id, a] of stat) if (staticDefault(id) === 0 && a.n < nSubj) a.n = nSubj;
  const statics: StaticVar[] = [...stat.entries()].sort(([a], [b]) => staticRank(a) - staticRank(b) || a.localeCompare(b)).map(([id, a]) => {
    const { mean, sd } = meanSd(a);
    return { id, mean, sd: sd > 1e-9 ? sd : 1 };
  });
  const exposures: ExposureCode[] = [...expo.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([code, levels]) => {
    levels.sort((a, b) => a - b);
    const q = levels.length ? levels[Math.min(levels.length - 1, Math.floor(0.95 * levels.length))]! : 1;
    return { code, scale: q > 0 ? q : 1 };
  });
  return { version, measured, statics, exposures, classes: drugClasses(exposures), timePeriods: [...TIME_PERIODS], yearsOnCap: YEARS_ON_CAP };
}

/** Pool DRUG//<name> exposures by formulary class; typical dose = the middle marketed dose. */
export function drugClasses(exposures: readonly ExposureCode[]): ExposureClass[] {
  const byClass = new Map<string, { code: string; typicalDose: number }[]>();
  for (const e of exposures) {
    if (!e.code.startsWith('DRUG//')) continue;
    const d = findDrug(e.code.slice(6));
    if (!d) continue;
    let a = byClass.get(d.class);
    if (!a) byClass.set(d.class, (a = []));
    a.push({ code: e.code, typicalDose: d.doses[Math.floor((d.doses.length - 1) / 2)]! });
  }
  return [...byClass.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => ({ name, members }));
}

/** Turn one cohort subject into a History (visits = distinct measurement days). */
export function subjectHistory(spec: TokenizerSpec, s: CohortSubject, extra: readonly ExtraVariable[] = []): History {
  const extraMap = new Map(extra.map((x) => [x.id, x] as const));
  const mIndex = new Map(spec.measured.map((v, i) => [v.id, i] as const));
  const sIndex = new Map(spec.statics.map((v, i) => [v.id, i] as const));
  const statics = Float64Array.from(spec.statics, (v) => staticDefault(v.id));
  const seenStatic = new Set<string>();
  const byDay = new Map<number, Float64Array>();
  const expo = new Map<string, ExposurePoint[]>();
  const adh = new Map<string, AdherencePoint[]>();
  for (const e of s.events) {
    const c = classify(e.code, extraMap);
    if (c.kind === 'adherence') {
      let a = adh.get(c.id);
      if (!a) adh.set(c.id, (a = []));
      if (Number.isFinite(e.value)) a.push({ day: e.time, value: e.value });
    } else if (c.kind === 'exposure') {
      let a = expo.get(c.id);
      if (!a) expo.set(c.id, (a = []));
      a.push(c.stop ? { day: e.time, level: 0, active: false } : { day: e.time, level: Number.isFinite(e.value) ? e.value : 1, active: true });
    } else if (c.kind === 'static') {
      const i = sIndex.get(c.id);
      if (i !== undefined && !seenStatic.has(c.id)) { statics[i] = c.value ?? (Number.isFinite(e.value) ? e.value : 1); seenStatic.add(c.id); }
    } else if (c.kind === 'measured') {
      const i = mIndex.get(c.id);
      if (i === undefined || !Number.isFinite(e.value)) continue;
      let row = byDay.get(e.time);
      if (!row) byDay.set(e.time, (row = new Float64Array(spec.measured.length).fill(NaN)));
      row[i] = e.value;
    }
  }
  const days = [...byDay.keys()].sort((a, b) => a - b);
  // version 8 keeps visits before time 0 (screening) on negative days; before it, the first visit is day 0
  const t0 = !days.length ? 0 : spec.version >= 8 ? (days.find((d) => d >= 0) ?? days[0]!) : days[0]!;
  const visits = days.map((d) => ({ day: d - t0, values: byDay.get(d)! }));
  const byCode = new Map<string, ExposurePoint[]>();
  for (const [code, pts] of expo) byCode.set(code, pts.map((p) => ({ ...p, day: p.day - t0 })).sort(byDayStopsFirst));
  const adherence = new Map<string, AdherencePoint[]>();
  for (const [code, pts] of adh) adherence.set(code, pts.map((p) => ({ day: p.day - t0, value: p.value })).sort((a, b) => a.day - b.day));
  return { id: s.id, statics, visits, exposures: { byCode, adherence } };
}

/**
 * Order of change points: by day, and on the same day a stop before a start, so a dose change
 * written as "stop old dose, start new dose" on one day (in either order) leaves it active.
 */
export function byDayStopsFirst(a: ExposurePoint, b: ExposurePoint): number {
  return a.day - b.day || Number(a.active) - Number(b.active);
}

/** Exposure state at `day`: level, whether active, and years since it became active at this level. */
export function exposureAt(points: readonly ExposurePoint[] | undefined, day: number): { level: number; active: boolean; yearsOn: number } {
  if (!points) return { level: 0, active: false, yearsOn: 0 };
  let level = 0;
  let active = false;
  let since = day;
  for (const p of points) {
    if (p.day > day) break;
    if (p.active !== active || p.level !== level) { since = p.day; level = p.level; active = p.active; }
  }
  return active ? { level, active, yearsOn: (day - since) / 365.25 } : { level: 0, active: false, yearsOn: 0 };
}

/**
 * Version 7: the episode in force at `day` (since the exposure last became active; a stop and a
 * start on the same day, a dose change written as two items, continue it): years since
 * its start, and the onset shares of a first-order approach with time constant `tau` (years) in
 * the step of `dt` years ending at `day`, summed over the episode's changes in level, each
 * weighted by the change (so a dose step adds only the increment's onset; a reduction enters
 * with a negative weight). Zero when not in force.
 */
export function episodeAt(points: readonly ExposurePoint[] | undefined, day: number): { active: boolean; level: number; yearsOn: number; steps: { day: number; delta: number }[] } {
  const none = { active: false, level: 0, yearsOn: 0, steps: [] as { day: number; delta: number }[] };
  if (!points) return none;
  let level = 0;
  let active = false;
  // a stop and a start on the same day (a dose change written as two items) continue the episode
  let stopped = { day: NaN, level: 0 };
  let steps: { day: number; delta: number }[] = [];
  for (const p of points) {
    if (p.day > day) break;
    if (p.active && !active) {
      if (p.day === stopped.day && steps.length) steps.push({ day: p.day, delta: p.level - stopped.level });
      else steps = [{ day: p.day, delta: p.level }];
    } else if (p.active && p.level !== level) steps.push({ day: p.day, delta: p.level - level });
    if (active && !p.active) stopped = { day: p.day, level };
    level = p.active ? p.level : 0;
    active = p.active;
  }
  return active ? { active, level, yearsOn: (day - steps[0]!.day) / 365.25, steps } : none;
}

/** Sum over an episode's changes in level (divided by `unit`) of each change's step share. */
export function episodeShare(steps: readonly { day: number; delta: number }[], day: number, dt: number, tau: number, unit: number): number {
  let s = 0;
  for (const st of steps) s += (st.delta / unit) * stepShare((day - st.day) / 365.25, dt, tau);
  return s;
}

/**
 * An exposure that is not in force at `day` but was before: the level of its last episode, the day
 * that episode stopped and the years since. Zeros (stopDay NaN) while in force or never started.
 */
export function formerExposureAt(points: readonly ExposurePoint[] | undefined, day: number): { level: number; stopDay: number; yearsOff: number } {
  const none = { level: 0, stopDay: NaN, yearsOff: 0 };
  if (!points) return none;
  let level = 0;
  let active = false;
  let stopDay = NaN;
  for (const p of points) {
    if (p.day > day) break;
    if (active && !p.active) stopDay = p.day;
    if (p.active) level = p.level;
    active = p.active;
  }
  return !active && level > 0 && Number.isFinite(stopDay) ? { level, stopDay, yearsOff: (day - stopDay) / 365.25 } : none;
}

/**
 * Version-3 features of a stopped exposure at `day`: whether it has stopped, its former level (in
 * `unit`s) times the adherence planned just before the stop, and the years since the stop; zeros
 * when in force or never started.
 */
function formerTaken(points: readonly ExposurePoint[], adherence: readonly AdherencePoint[] | undefined, day: number, unit: number): { stopped: boolean; taken: number; yearsOff: number } {
  const f = formerExposureAt(points, day);
  return f.level > 0 ? { stopped: true, taken: (f.level / unit) * adherenceAt(adherence, f.stopDay - IN_FORCE_EPS), yearsOff: f.yearsOff } : { stopped: false, taken: 0, yearsOff: 0 };
}

/** Planned adherence at `day`: the latest point at or before it; 1 (as prescribed) when none. */
export function adherenceAt(points: readonly AdherencePoint[] | undefined, day: number): number {
  if (!points) return 1;
  let v = 1;
  for (const p of points) {
    if (p.day > day) break;
    v = p.value;
  }
  return Math.min(1, Math.max(0, v));
}

/**
 * "In force at this visit" means started before it: a visit on the day an exposure starts is
 * measured before the first dose (a trial's baseline visit), as in the reference world.
 */
const IN_FORCE_EPS = 1e-6;

function writeTime(out: Float32Array, off: number, day: number, periods: readonly number[]): void {
  for (let p = 0; p < periods.length; p++) {
    const w = (2 * Math.PI * day) / periods[p]!;
    out[off + 2 * p] = Math.sin(w);
    out[off + 2 * p + 1] = Math.cos(w);
  }
  out[off + 2 * periods.length] = day / 365.25;
}

type Layout = ReturnType<typeof featureLayout>;
const layoutCache = new WeakMap<TokenizerSpec, Layout>();
/** featureLayout, computed once per spec object (specs are immutable). */
function layoutOf(spec: TokenizerSpec): Layout {
  let L = layoutCache.get(spec);
  if (!L) layoutCache.set(spec, (L = featureLayout(spec)));
  return L;
}

/**
 * Write token features for one visit into out[off .. off + dim).
 * `values` natural units (NaN = missing), `nextDay` the query time (undefined = no query).
 * The same as writeTokenOwn followed by writeTokenShared.
 */
export function writeToken(
  spec: TokenizerSpec, out: Float32Array, off: number,
  statics: Float64Array, day: number, values: ArrayLike<number>, nextDay: number | undefined, exposures: ExposureTimeline,
): void {
  writeTokenOwn(spec, out, off, statics, values);
  writeTokenShared(spec, out, off, day, nextDay, exposures);
}

/**
 * The participant's own features of a token, out[off .. off + offsets.time): measured values,
 * their mask and the statics. Everything after them depends only on the days and the exposures.
 */
export function writeTokenOwn(spec: TokenizerSpec, out: Float32Array, off: number, statics: Float64Array, values: ArrayLike<number>): void {
  const L = layoutOf(spec);
  const o = L.offsets;
  for (let v = 0; v < L.V; v++) {
    const x = values[v]!;
    if (Number.isFinite(x)) {
      out[off + o.values + v] = normalise(spec.measured[v]!, x);
      out[off + o.mask + v] = 1;
    } else {
      out[off + o.values + v] = 0;
      out[off + o.mask + v] = 0;
    }
  }
  for (let s = 0; s < L.S; s++) {
    const x = statics[s]!;
    const d = spec.statics[s]!;
    out[off + o.statics + s] = Number.isFinite(x) ? (x - d.mean) / d.sd : 0;
  }
}

/**
 * The features of a token shared by everyone on the same exposure timeline at the same visit,
 * out[off + offsets.time .. off + dim): time, query time and the exposures in force
 * (`off` is the token's start, as for writeToken).
 */
export function writeTokenShared(spec: TokenizerSpec, out: Float32Array, off: number, day: number, nextDay: number | undefined, exposures: ExposureTimeline): void {
  const L = layoutOf(spec);
  const o = L.offsets;
  writeTime(out, off + o.time, day, spec.timePeriods);
  if (nextDay === undefined) {
    for (let i = o.qtime; i < L.dim; i++) out[off + i] = 0;
    return;
  }
  writeTime(out, off + o.qtime, nextDay, spec.timePeriods);
  out[off + o.qdt] = (nextDay - day) / 365.25;
  out[off + o.hasQuery] = 1;
  // The exposures in force for the next visit are those just before it, as in the reference
  // world: a visit on the day an exposure starts is measured before the first dose, and one on the
  // day it stops is measured before the stop takes effect (its effect is still there).
  const qDay = nextDay - IN_FORCE_EPS;
  const v2 = L.F >= 5;
  const v3 = L.F >= 7;
  const v4 = L.F === 8;
  // version 5: the in-force features scaled by the planned adherence (1 otherwise)
  const v5 = spec.version === 5;
  const v6 = spec.version >= 6;
  const v7 = spec.version >= 7;
  const dt = (nextDay - day) / 365.25;
  for (let e = 0; e < L.E; e++) {
    const x = spec.exposures[e]!;
    const pts = exposures.byCode.get(x.code);
    if (!pts) {
      // no change points: never in force (what exposureAt returns for undefined)
      for (let f = 0; f < L.F; f++) out[off + o.expo + f * L.E + e] = 0;
      continue;
    }
    const ep = v7 ? episodeAt(pts, qDay) : undefined;
    const { level, active, yearsOn } = ep ?? exposureAt(pts, qDay);
    const adh = v2 && active ? adherenceAt(exposures.adherence?.get(x.code), qDay) : 0;
    const k = v5 ? adh : 1;
    out[off + o.expo + e] = (level / x.scale) * k;
    out[off + o.expo + L.E + e] = active ? k : 0;
    out[off + o.expo + 2 * L.E + e] = (Math.min(yearsOn, spec.yearsOnCap) / spec.yearsOnCap) * k;
    if (v2) {
      out[off + o.expo + 3 * L.E + e] = adh;
      out[off + o.expo + 4 * L.E + e] = exposureAt(pts, day - IN_FORCE_EPS).active ? 1 : 0;
    }
    const f = v3 ? formerTaken(pts, exposures.adherence?.get(x.code), qDay, x.scale) : undefined;
    if (f) {
      out[off + o.expo + 5 * L.E + e] = f.taken;
      out[off + o.expo + 6 * L.E + e] = f.stopped ? Math.min(f.yearsOff, spec.yearsOnCap) / spec.yearsOnCap : 0;
    }
    if (v4) out[off + o.expo + 7 * L.E + e] = (level / x.scale) * adh;
    if (v6 && f) {
      KINETIC_TAUS.forEach((tau, j) => {
        out[off + o.expo + (7 + j) * L.E + e] = !active ? 0 : ep ? episodeShare(ep.steps, qDay, dt, tau, x.scale) : (level / x.scale) * stepShare(yearsOn, dt, tau);
        out[off + o.expo + (7 + KINETIC_TAUS.length + j) * L.E + e] = f.stopped ? f.taken * stepShare(f.yearsOff, dt, tau) : 0;
      });
    }
  }
  for (let k = 0; k < L.C; k++) {
    let level = 0, active = 0, years = 0, adh = 0, now = 0, former = 0, off3 = Infinity, taken = 0;
    // version 7: the members' episode onset shares, per time constant
    const shares = v7 ? KINETIC_TAUS.map(() => 0) : undefined;
    for (const m of spec.classes![k]!.members) {
      const pts = exposures.byCode.get(m.code);
      if (!pts) continue;
      if (v2 && exposureAt(pts, day - IN_FORCE_EPS).active) now = 1;
      if (v3) {
        const f = formerTaken(pts, exposures.adherence?.get(m.code), qDay, m.typicalDose);
        if (f.stopped) {
          former += f.taken;
          off3 = Math.min(off3, f.yearsOff);
        }
      }
      const ep = v7 ? episodeAt(pts, qDay) : undefined;
      const x = ep ?? exposureAt(pts, qDay);
      if (!x.active) continue;
      if (ep && shares) KINETIC_TAUS.forEach((tau, j) => (shares[j]! += episodeShare(ep.steps, qDay, dt, tau, m.typicalDose)));
      level += x.level / m.typicalDose;
      active = 1;
      years = Math.max(years, x.yearsOn);
      const a = adherenceAt(exposures.adherence?.get(m.code), qDay);
      adh = Math.max(adh, a);
      taken += (x.level / m.typicalDose) * a;
    }
    // version 5: the class's dose taken (sum of level x adherence) and, for the in-force flag and
    // years on, the highest member adherence
    out[off + o.classes + k] = v5 ? taken : level;
    out[off + o.classes + L.C + k] = v5 ? adh : active;
    out[off + o.classes + 2 * L.C + k] = (Math.min(years, spec.yearsOnCap) / spec.yearsOnCap) * (v5 ? adh : 1);
    if (v2) {
      out[off + o.classes + 3 * L.C + k] = adh;
      out[off + o.classes + 4 * L.C + k] = now;
    }
    if (v3) {
      out[off + o.classes + 5 * L.C + k] = former;
      out[off + o.classes + 6 * L.C + k] = former > 0 ? Math.min(off3, spec.yearsOnCap) / spec.yearsOnCap : 0;
    }
    if (v4) out[off + o.classes + 7 * L.C + k] = taken;
    if (v6) {
      KINETIC_TAUS.forEach((tau, j) => {
        out[off + o.classes + (7 + j) * L.C + k] = !active ? 0 : shares ? shares[j]! : level * stepShare(years, dt, tau);
        out[off + o.classes + (7 + KINETIC_TAUS.length + j) * L.C + k] = former > 0 ? former * stepShare(off3, dt, tau) : 0;
      });
    }
  }
}

/**
 * Share of a first-order approach with time constant `tau` (years) that happens in a step of `dt`
 * years ending `a1` years after the start: exp(-a0/tau) - exp(-a1/tau), a0 = max(0, a1 - dt).
 */
export function stepShare(a1: number, dt: number, tau: number): number {
  const a0 = Math.max(0, a1 - dt);
  return Math.exp(-a0 / tau) - Math.exp(-a1 / tau);
}

/**
 * Encoded training windows of up to `T` tokens each, stored packed: window b's real tokens are
 * rows offsets[b] .. offsets[b] + lens[b] - 1 of x, y and m (no padding is stored, so a set's size
 * follows its visits, not windows x T). `paddedWindows` cuts padded batches from it.
 */
export interface EncodedSet {
  /** Windows. */
  readonly n: number;
  /** Tokens per window at most (blockSize). */
  readonly T: number;
  readonly dim: number;
  readonly V: number;
  /** [tokens, dim] features. */
  readonly x: Float32Array;
  /** [tokens, V] normalised targets (next visit). */
  readonly y: Float32Array;
  /** [tokens, V] 1 where the target is observed. */
  readonly m: Float32Array;
  /** Number of tokens (visits with a next visit). */
  readonly tokens: number;
  /** First token (row) of each window. */
  readonly offsets: Int32Array;
  /** Tokens per window. */
  readonly lens: Int32Array;
  readonly subjects: string[];
}

/**
 * Encode histories into windows of up to `T` tokens (longer histories are cut into consecutive
 * windows; every window keeps absolute time since baseline).
 */
export function encodeHistories(spec: TokenizerSpec, hs: readonly History[], T: number): EncodedSet {
  const L = featureLayout(spec);
  const windows: { h: History; start: number; len: number }[] = [];
  let tokens = 0;
  for (const h of hs) {
    const nv = h.visits.length;
    if (nv < 2) continue;
    for (let s = 0; s < nv - 1; s += T) {
      const len = Math.min(T, nv - 1 - s);
      windows.push({ h, start: s, len });
      tokens += len;
    }
  }
  const n = windows.length;
  let x: Float32Array, y: Float32Array, m: Float32Array;
  try {
    x = new Float32Array(tokens * L.dim);
    y = new Float32Array(tokens * L.V);
    m = new Float32Array(tokens * L.V);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new InputError(`the encoded set is too large for one array: ${tokens} tokens x ${L.dim} features = ${tokens * L.dim} values (${e.message})`,
      ['  hint: train on fewer participants or lower lateStarts in --config']);
  }
  const offsets = new Int32Array(n);
  let r = 0;
  windows.forEach((w, b) => {
    offsets[b] = r;
    for (let t = 0; t < w.len; t++, r++) {
      const i = w.start + t;
      const cur = w.h.visits[i]!;
      const nxt = w.h.visits[i + 1]!;
      writeToken(spec, x, r * L.dim, w.h.statics, cur.day, cur.values, nxt.day, w.h.exposures);
      for (let v = 0; v < L.V; v++) {
        const val = nxt.values[v]!;
        if (Number.isFinite(val)) {
          y[r * L.V + v] = normalise(spec.measured[v]!, val);
          m[r * L.V + v] = 1;
        }
      }
    }
  });
  return { n, T, dim: L.dim, V: L.V, x, y, m, tokens, offsets, lens: Int32Array.from(windows, (w) => w.len), subjects: windows.map((w) => w.h.id) };
}

/**
 * Windows `idx` of a set as padded batch arrays [B, T, dim] / [B, T, V] (zeros past each window's
 * tokens; a window longer than T is cut to its first T tokens). `weights` (one per token of the
 * set) multiplies each token's mask.
 */
export function paddedWindows(set: EncodedSet, idx: readonly number[], T = set.T, weights?: Float32Array): { x: Float32Array; y: Float32Array; m: Float32Array } {
  const B = idx.length, F = set.dim, V = set.V;
  const x = new Float32Array(B * T * F);
  const y = new Float32Array(B * T * V);
  const m = new Float32Array(B * T * V);
  idx.forEach((s, b) => {
    const o = set.offsets[s]!, len = Math.min(T, set.lens[s]!);
    x.set(set.x.subarray(o * F, (o + len) * F), b * T * F);
    y.set(set.y.subarray(o * V, (o + len) * V), b * T * V);
    m.set(set.m.subarray(o * V, (o + len) * V), b * T * V);
    if (weights) {
      for (let t = 0; t < len; t++) {
        const w = weights[o + t]!;
        if (w === 1) continue;
        for (let v = 0; v < V; v++) m[(b * T + t) * V + v] *= w;
      }
    }
  });
  return { x, y, m };
}
