/**
 * The longitudinal training cohort (MEDS convention: subject_id, time, code, numeric_value; time
 * in days since the participant's entry). Each participant is a synthetic twin followed in the
 * reference world for `years`, with exposures (every catalog intervention, several doses,
 * combinations) starting and stopping at random times, mostly assigned at random; with
 * `confounding` > 0, drugs are given preferentially to people with the indication (statins to
 * high LDL, BP drugs to high SBP, glucose-lowering drugs to high HbA1c, weight-loss care to high
 * BMI). Visits are irregular (gaps ~ exponential, mean 60 days) and each measures a random
 * subset of panels, so measurements are missing as in real follow-up.
 */
import { hashString, Rng } from '../core/rng.js';
import type { ArmSpec, Intervention, ScheduleSpec } from '../trial-dsl/spec.js';
import { VARIABLES } from './catalog.js';
import { drawBaseline, NVAR } from './baseline.js';
import { DRUGS, DIET_PATTERNS, EXERCISE_TYPES, SUPPLEMENTS, findDrug } from './interventions.js';
import { armExposureEvents } from './exposures.js';
import { simulateReference } from './world/simulator.js';

export interface CohortOptions {
  readonly n: number;
  readonly years: number;
  readonly seed: number;
  /** 0 = exposures assigned at random; larger = stronger confounding by indication. */
  readonly confounding?: number;
}

export interface CohortRow {
  readonly subject_id: number;
  readonly time: number;
  readonly code: string;
  /** NaN for codes without a value (SEX//F). */
  readonly numeric_value: number;
}

/** The header of a cohort CSV file (long format, MEDS columns). */
export const COHORT_CSV_HEADER = 'subject_id,time,code,numeric_value';

/** One cohort row as a CSV line (no line ending; an empty value for codes without one). */
export function cohortCsvLine(r: CohortRow): string {
  return `${r.subject_id},${r.time},${r.code},${Number.isFinite(r.numeric_value) ? r.numeric_value : ''}`;
}

const P_COHORT_EXPOSURE = hashString('cohort-exposure');
const P_COHORT_VISITS = hashString('cohort-visits');

const PANELS: readonly (readonly string[])[] = [
  ['sbp', 'dbp', 'resting_hr'],
  ['body_weight', 'bmi', 'waist', 'body_fat_pct'],
  ['total_cholesterol', 'ldl_c', 'hdl_c', 'triglycerides'],
  ['fasting_glucose', 'hba1c', 'fasting_insulin'],
  ['crp', 'alt', 'creatinine', 'egfr'],
  ['cgm_mean_glucose', 'cgm_tir', 'cgm_cv', 'cgm_time_above_140', 'ppgr'],
  ['sleep_duration', 'sleep_efficiency', 'steps', 'hrv_rmssd'],
  ['microbiome_shannon', 'microbiome_butyrate', 'microbiome_prevotella'],
  ['energy_intake', 'sodium_intake', 'potassium_intake', 'carb_pct', 'protein_pct', 'fat_pct', 'sfa_pct', 'mufa_pct', 'pufa_pct', 'fibre_intake', 'dietary_cholesterol', 'alcohol', 'mvpa', 'smoker'],
];
/** Probability a visit measures each panel (BP and weight most often). */
const PANEL_P = [0.85, 0.8, 0.45, 0.45, 0.3, 0.15, 0.3, 0.1, 0.25];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** A random intervention of a random kind (every catalog entry reachable, several doses). */
function randomIntervention(rng: Rng, kindBias: string | undefined, start: number, stop: number): Intervention {
  // planned adherence: as prescribed (the trial language's default for most kinds) in 30% of
  // episodes, otherwise 50-100% with up to a 50% decline; the cohort records it (ADHERENCE//)
  const full = rng.uniform() < 0.3;
  const base = { startDay: start, stopDay: stop, adherence: full ? 1 : 0.5 + 0.5 * rng.uniform(), adherenceWaning: full ? 0 : 0.5 * rng.uniform() };
  const kinds = ['drug', 'drug', 'drug', 'diet', 'diet', 'exercise', 'supplement', 'sleep', 'behaviour', 'weight_loss'];
  const kind = kindBias ?? pick(rng, kinds);
  switch (kind) {
    case 'drug': {
      const d = kindBias ? (findDrug(kindBias) ?? pick(rng, DRUGS)) : pick(rng, DRUGS);
      return { ...base, kind: 'drug', drug: d.name, dose: pick(rng, d.doses), frequency: d.frequency };
    }
    case 'diet': {
      const r = rng.uniform();
      if (r < 0.5) return { ...base, kind: 'diet', pattern: pick(rng, DIET_PATTERNS) };
      if (r < 0.7) return { ...base, kind: 'diet', sodiumMg: pick(rng, [1500, 2300, 3000]) };
      if (r < 0.85) return { ...base, kind: 'diet', energyChangeKcal: pick(rng, [-300, -500, -750]) };
      return { ...base, kind: 'diet', fasting: { regimen: pick(rng, ['time_restricted', 'alternate_day', 'five_two'] as const), windowHours: 8 } };
    }
    case 'exercise':
      return { ...base, kind: 'exercise', type: pick(rng, EXERCISE_TYPES), minutesPerWeek: pick(rng, [60, 90, 150, 210, 300]), intensity: pick(rng, ['light', 'moderate', 'vigorous'] as const) };
    case 'supplement': {
      const s = pick(rng, SUPPLEMENTS);
      const dose = +(s.range[0] + (s.range[1] - s.range[0]) * (0.1 + 0.5 * rng.uniform())).toPrecision(2);
      return { ...base, kind: 'supplement', supplement: s.name, dose };
    }
    case 'sleep':
      return { ...base, kind: 'sleep', extendHours: pick(rng, [0.5, 1, 1.5]) };
    case 'behaviour': {
      const r = rng.uniform();
      if (r < 0.4) return { ...base, kind: 'behaviour', alcoholDrinksPerDay: pick(rng, [0, 1, 2]) };
      if (r < 0.7) return { ...base, kind: 'behaviour', smokingCessation: true };
      return { ...base, kind: 'behaviour', sodiumEducation: true };
    }
    default:
      return { ...base, kind: 'weight_loss', targetPct: pick(rng, [5, 7, 10]), support: pick(rng, ['minimal', 'moderate', 'intensive'] as const) };
  }
}

/** Indication-driven drug choice (confounding by indication). */
function indicated(row: Float64Array, idx: Record<string, number>): { drug: string; z: number }[] {
  return [
    { drug: 'atorvastatin', z: (row[idx.ldl_c] - 110) / 35 },
    { drug: 'amlodipine', z: (row[idx.sbp] - 125) / 16 },
    { drug: 'metformin', z: (row[idx.hba1c] - 5.8) / 0.8 },
    { drug: 'semaglutide', z: (row[idx.bmi] - 30) / 6 },
  ];
}

/** Generate the cohort for subjects [from, to) as rows. Deterministic per (seed, subject). */
export function cohortRows(opts: CohortOptions, from: number, to: number): CohortRow[] {
  const rows: CohortRow[] = [];
  const days = Math.round(opts.years * 365.25);
  const idx: Record<string, number> = Object.fromEntries(VARIABLES.map((v, j) => [v.id, j]));
  const truth = new Float64Array(NVAR);
  for (let s = from; s < to; s++) {
    drawBaseline(opts.seed, s, {}, truth);
    const rng = new Rng(opts.seed, s, P_COHORT_EXPOSURE);
    const nEp = rng.int(4); // 0-3 exposure episodes
    const ivs: Intervention[] = [];
    const conf = opts.confounding ?? 0;
    for (let e = 0; e < nEp; e++) {
      const start = Math.round(rng.uniform() * days * 0.8);
      const stop = rng.uniform() < 0.5 ? days + 1 : Math.min(days + 1, start + 28 + Math.round(rng.uniform() * days * 0.6));
      let bias: string | undefined;
      if (conf > 0) {
        // choose an indicated drug with probability increasing in the indication
        for (const c of indicated(truth, idx)) {
          const p = 0.1 * Math.exp(conf * c.z) / (1 + 0.1 * Math.exp(conf * c.z));
          if (rng.uniform() < p) {
            bias = c.drug;
            break;
          }
        }
      }
      ivs.push(randomIntervention(rng, bias ? 'drug' : undefined, start, stop));
      if (bias) {
        const last = ivs[ivs.length - 1] as Extract<Intervention, { kind: 'drug' }>;
        const d = findDrug(bias)!;
        ivs[ivs.length - 1] = { ...last, drug: d.name, dose: d.doses[rng.int(d.doses.length)], frequency: d.frequency };
      }
    }
    // irregular visits with random panels
    const vr = new Rng(opts.seed, s, P_COHORT_VISITS);
    const visits: { label: string; day: number; variables: string[] }[] = [];
    let day = 0;
    while (day <= days) {
      const vars: string[] = [];
      PANELS.forEach((p, k) => {
        if (day === 0 || vr.uniform() < PANEL_P[k]) vars.push(...p);
      });
      visits.push({ label: `d${day}`, day, variables: vars });
      day += Math.max(7, Math.round(vr.exponential(1 / 60)));
    }
    const arm: ArmSpec = { id: 'cohort', label: 'cohort', role: 'experimental', interventions: ivs };
    const schedule: ScheduleSpec = { durationDays: days, visits, dropout: 0.1 * opts.years };
    const batch = { ids: Uint32Array.of(s), columns: Object.fromEntries(VARIABLES.map((v, j) => [v.id, Float64Array.of(truth[j])])) };
    const tr = simulateReference(batch, arm, schedule, opts.seed);
    rows.push({ subject_id: s, time: 0, code: truth[idx.sex] === 1 ? 'SEX//F' : 'SEX//M', numeric_value: NaN });
    rows.push({ subject_id: s, time: 0, code: 'AGE', numeric_value: +truth[idx.age].toFixed(1) });
    rows.push({ subject_id: s, time: 0, code: 'height', numeric_value: +truth[idx.height].toFixed(1) });
    for (const f of ['diabetes', 'hypertension', 'on_statin', 'on_bp_meds', 'on_metformin', 'on_insulin']) {
      if (truth[idx[f]] === 1) rows.push({ subject_id: s, time: 0, code: `CONDITION//${f}`, numeric_value: 1 });
    }
    const events = armExposureEvents(arm, days + 1).map((e) => ({ subject_id: s, time: e.day, code: e.code, numeric_value: e.value }));
    const meas: CohortRow[] = [];
    const nV = visits.length;
    visits.forEach((v, k) => {
      for (const id of v.variables) {
        const x = tr.values[id]?.[k];
        if (x !== undefined && Number.isFinite(x)) meas.push({ subject_id: s, time: v.day, code: id, numeric_value: +x.toPrecision(5) });
      }
      void nV;
    });
    if (Number.isFinite(tr.dropoutDay[0])) meas.push({ subject_id: s, time: Math.round(tr.dropoutDay[0]), code: 'EVENT//lost_to_follow_up', numeric_value: NaN });
    const merged = [...events, ...meas].sort((a, b) => a.time - b.time);
    for (const r of merged) rows.push(r);
  }
  return rows;
}

/** The cohort as an async stream of rows, subject by subject (chunks of 200 subjects). */
export async function* generateCohort(opts: CohortOptions): AsyncIterable<CohortRow> {
  for (let s = 0; s < opts.n; s += 200) {
    for (const r of cohortRows(opts, s, Math.min(opts.n, s + 200))) yield r;
  }
}
